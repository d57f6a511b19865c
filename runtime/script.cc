#include "runtime/script.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace minik8s::runtime {
namespace {

std::string Basename(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Quotes a word for display when it has spaces or shell characters.
std::string DisplayWord(const std::string& w) {
  if (!w.empty() && w.find_first_of(" \t\n;&|'\"$") == std::string::npos) return w;
  std::string out = "'";
  for (char c : w) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// ------------------------------------------------------------- tokenizer

struct Token {
  enum Kind { kWord, kOp, kRedirect };
  Kind kind = kWord;
  std::string text;    // word text, operator, or ">" / ">>" for a redirect
  int fd = 1;          // kRedirect: the redirected descriptor
  std::string target;  // kRedirect: "&1"-style target read with the operator
};

class Tokenizer {
 public:
  Tokenizer(const std::string& s, const std::map<std::string, std::string>& env)
      : s_(s), env_(env) {}

  bool Run(std::vector<Token>* out) {
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == ' ' || c == '\t' || c == '\r') {
        EndWord(out);
        ++i_;
      } else if (c == '\n') {
        EndWord(out);
        out->push_back({Token::kOp, ";"});
        ++i_;
      } else if (c == '#' && !in_word_) {
        while (i_ < s_.size() && s_[i_] != '\n') ++i_;
      } else if (c == '\'') {
        size_t end = s_.find('\'', i_ + 1);
        if (end == std::string::npos) return false;
        word_ += s_.substr(i_ + 1, end - i_ - 1);
        in_word_ = true;
        i_ = end + 1;
      } else if (c == '"') {
        if (!DoubleQuoted()) return false;
      } else if (c == '\\') {
        if (i_ + 1 < s_.size() && s_[i_ + 1] == '\n') {
          i_ += 2;  // line continuation
          continue;
        }
        if (i_ + 1 < s_.size()) word_ += s_[i_ + 1];
        in_word_ = true;
        i_ += 2;
      } else if (c == '$') {
        Expand();
      } else if (c == '>' || c == '<') {
        if (c == '<') return false;  // input redirection is not simulated
        int fd = 1;
        if (in_word_ && !word_.empty() &&
            std::all_of(word_.begin(), word_.end(), [](char d) { return std::isdigit(d); })) {
          fd = std::atoi(word_.c_str());
          word_.clear();
          in_word_ = false;
        }
        EndWord(out);
        Token t{Token::kRedirect, ">"};
        t.fd = fd;
        ++i_;
        if (i_ < s_.size() && s_[i_] == '>') {
          t.text = ">>";
          ++i_;
        }
        if (i_ < s_.size() && s_[i_] == '&') {
          ++i_;
          t.target = "&";
          while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) {
            t.target += s_[i_++];
          }
        }
        out->push_back(t);
      } else if (c == ';' || c == '&' || c == '|' || c == '(' || c == ')') {
        EndWord(out);
        std::string op(1, c);
        if ((c == '&' || c == '|') && i_ + 1 < s_.size() && s_[i_ + 1] == c) op += c;
        i_ += op.size();
        out->push_back({Token::kOp, op});
      } else {
        word_ += c;
        in_word_ = true;
        ++i_;
      }
    }
    EndWord(out);
    return true;
  }

 private:
  void EndWord(std::vector<Token>* out) {
    if (in_word_) out->push_back({Token::kWord, word_});
    word_.clear();
    in_word_ = false;
  }

  bool DoubleQuoted() {
    in_word_ = true;
    ++i_;
    while (i_ < s_.size() && s_[i_] != '"') {
      char c = s_[i_];
      if (c == '\\' && i_ + 1 < s_.size() &&
          std::string("\"\\$`\n").find(s_[i_ + 1]) != std::string::npos) {
        if (s_[i_ + 1] != '\n') word_ += s_[i_ + 1];
        i_ += 2;
      } else if (c == '$') {
        Expand();
      } else {
        word_ += c;
        ++i_;
      }
    }
    if (i_ >= s_.size()) return false;  // unterminated
    ++i_;
    return true;
  }

  // At '$': appends the value of $NAME / ${NAME}; unknown names expand to "".
  void Expand() {
    in_word_ = true;
    ++i_;
    std::string name;
    if (i_ < s_.size() && s_[i_] == '{') {
      size_t end = s_.find('}', i_);
      if (end == std::string::npos) {
        word_ += "${";
        ++i_;
        return;
      }
      name = s_.substr(i_ + 1, end - i_ - 1);
      i_ = end + 1;
    } else {
      while (i_ < s_.size() &&
             (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_')) {
        name += s_[i_++];
      }
      if (name.empty()) {
        word_ += '$';
        return;
      }
    }
    auto it = env_.find(name);
    if (it != env_.end()) word_ += it->second;
  }

  const std::string& s_;
  const std::map<std::string, std::string>& env_;
  size_t i_ = 0;
  std::string word_;
  bool in_word_ = false;
};

// ------------------------------------------------------------- compiler

void EmitSimple(std::vector<std::string> words, const std::string& redirect, bool append,
                Program* prog) {
  auto emit = [&](Instr in) {
    in.redirect = redirect;
    in.append = append;
    prog->code.push_back(std::move(in));
  };
  while (!words.empty() && (words[0] == "exec" || words[0] == "command")) {
    words.erase(words.begin());
  }
  if (words.empty()) {
    // `> file` alone creates the file.
    if (!redirect.empty()) emit({.op = Instr::kTouch, .args = {redirect}});
    return;
  }
  std::string name = Basename(words[0]);
  std::vector<std::string> rest(words.begin() + 1, words.end());
  auto operands = [&rest] {
    std::vector<std::string> out;
    for (const auto& w : rest) {
      if (!absl::StartsWith(w, "-")) out.push_back(w);
    }
    return out;
  };

  if (name == "echo") {
    while (!rest.empty() && (rest[0] == "-n" || rest[0] == "-e" || rest[0] == "-E")) {
      rest.erase(rest.begin());
    }
    emit({.op = Instr::kEcho, .args = rest});
  } else if (name == "printf") {
    if (rest.empty()) {
      emit({.op = Instr::kFail, .args = {"printf: usage: printf format [arguments]"}, .code = 2});
    } else {
      emit({.op = Instr::kPrintf, .args = rest});
    }
  } else if (name == "sleep") {
    absl::Duration d;
    bool forever = false;
    if (!ParseSleepDuration(rest, &d, &forever)) {
      emit({.op = Instr::kFail,
            .args = {absl::StrCat("sleep: invalid time interval '", absl::StrJoin(rest, " "), "'")},
            .code = 1});
    } else if (forever) {
      emit({.op = Instr::kForever});
    } else {
      emit({.op = Instr::kSleep, .duration = d});
    }
  } else if (name == "exit") {
    int code = -1;
    if (!rest.empty()) {
      int n = 0;
      code = absl::SimpleAtoi(rest[0], &n) && n >= 0 ? (n & 255) : 2;
    }
    emit({.op = Instr::kExit, .code = code});
  } else if (name == "true" || name == ":" || name == "mkdir" || name == "chmod" || name == "cd" ||
             name == "export" || name == "trap" || name == "set") {
    emit({.op = Instr::kStatus, .code = 0});
  } else if (name == "false") {
    emit({.op = Instr::kStatus, .code = 1});
  } else if (name == "touch") {
    emit({.op = Instr::kTouch, .args = operands()});
  } else if (name == "rm") {
    bool force = false;
    for (const auto& w : rest) {
      if (absl::StartsWith(w, "-") && absl::StrContains(w, 'f')) force = true;
    }
    emit({.op = Instr::kRm, .args = operands(), .code = force ? 1 : 0});
  } else if (name == "cat") {
    emit({.op = Instr::kCat, .args = operands()});
  } else if (name == "ls") {
    std::vector<std::string> ops = operands();
    if (ops.empty()) {
      emit({.op = Instr::kStatus, .code = 0});
    } else {
      emit({.op = Instr::kLs, .args = ops});
    }
  } else if (name == "test" || name == "[" || name == "[[") {
    if (name != "test" && !rest.empty() && (rest.back() == "]" || rest.back() == "]]")) {
      rest.pop_back();
    }
    bool negate = !rest.empty() && rest[0] == "!";
    if (negate) rest.erase(rest.begin());
    int result = -1;  // -1: decided at run time (file test)
    if (rest.size() == 2 && absl::StartsWith(rest[0], "-") && rest[0].size() == 2 &&
        std::string("efsdr").find(rest[0][1]) != std::string::npos) {
      // file test, below
    } else if (rest.size() == 3 && (rest[1] == "=" || rest[1] == "==")) {
      result = rest[0] == rest[2] ? 0 : 1;
    } else if (rest.size() == 3 && rest[1] == "!=") {
      result = rest[0] != rest[2] ? 0 : 1;
    } else if (rest.size() == 2 && rest[0] == "-n") {
      result = rest[1].empty() ? 1 : 0;
    } else if (rest.size() == 2 && rest[0] == "-z") {
      result = rest[1].empty() ? 0 : 1;
    } else if (rest.size() == 1) {
      result = rest[0].empty() ? 1 : 0;
    } else {
      result = 0;  // an expression we do not evaluate: true
    }
    if (result < 0) {
      emit({.op = Instr::kTest, .args = {rest[1], rest[0]}, .code = negate ? 1 : 0});
    } else {
      emit({.op = Instr::kStatus, .code = negate ? 1 - result : result});
    }
  } else if (name == "tail") {
    bool follow = false;
    for (const auto& w : rest) {
      if (w == "-f" || w == "-F" || w == "--follow") follow = true;
    }
    emit({.op = follow ? Instr::kForever : Instr::kStatus});
  } else if (name == "nginx") {
    emit({.op = Instr::kForever});
  } else {
    emit({.op = Instr::kUnknown, .args = words});
  }
}

class Compiler {
 public:
  Compiler(const std::vector<Token>& tokens, Program* prog) : t_(tokens), prog_(prog) {}

  bool Run() { return ParseList({}) && pos_ == t_.size(); }

 private:
  bool AtEnd() const { return pos_ >= t_.size(); }
  bool PeekWord(const std::string& w) const {
    return !AtEnd() && t_[pos_].kind == Token::kWord && t_[pos_].text == w;
  }
  bool PeekOp(const std::string& op) const {
    return !AtEnd() && t_[pos_].kind == Token::kOp && t_[pos_].text == op;
  }
  bool Expect(const std::string& w) {
    if (!PeekWord(w)) return false;
    ++pos_;
    return true;
  }
  size_t Here() const { return prog_->code.size(); }
  size_t EmitJump(Instr::Op op, size_t target = 0) {
    prog_->code.push_back({.op = op, .target = target});
    return Here() - 1;
  }

  bool ParseList(const std::set<std::string>& stops) {
    while (true) {
      while (PeekOp(";") || PeekOp("&")) ++pos_;
      if (AtEnd()) return true;
      if (t_[pos_].kind == Token::kWord && stops.count(t_[pos_].text)) return true;
      if (t_[pos_].kind == Token::kOp) return false;  // e.g. `|`, `(`, a leading `&&`
      if (!ParseAndOr()) return false;
      if (!AtEnd() && !PeekOp(";") && !PeekOp("&") &&
          !(t_[pos_].kind == Token::kWord && stops.count(t_[pos_].text))) {
        return false;
      }
    }
  }

  bool ParseAndOr() {
    if (!ParseCommand()) return false;
    while (PeekOp("&&") || PeekOp("||")) {
      bool is_and = t_[pos_].text == "&&";
      ++pos_;
      while (PeekOp(";")) ++pos_;  // a newline may follow && / ||
      size_t jump = EmitJump(is_and ? Instr::kJumpIfFail : Instr::kJumpIfOk);
      if (!ParseCommand()) return false;
      prog_->code[jump].target = Here();
    }
    return true;
  }

  bool ParseCommand() {
    if (AtEnd() || t_[pos_].kind == Token::kOp) return false;
    const std::string& w = t_[pos_].text;
    if (t_[pos_].kind == Token::kWord && (w == "while" || w == "until")) {
      bool until = w == "until";
      ++pos_;
      size_t loop = Here();
      if (!ParseList({"do"}) || !Expect("do")) return false;
      size_t exit_jump = EmitJump(until ? Instr::kJumpIfOk : Instr::kJumpIfFail);
      if (!ParseList({"done"}) || !Expect("done")) return false;
      bool sleeps = false;
      for (size_t i = loop; i < Here(); ++i) {
        if (prog_->code[i].op == Instr::kSleep) sleeps = true;
      }
      // A loop that never sleeps would spin and flood the log: after one
      // pass it idles until stopped.
      EmitJump(sleeps ? Instr::kJump : Instr::kForever, loop);
      prog_->code[exit_jump].target = Here();
      return true;
    }
    if (t_[pos_].kind == Token::kWord && w == "if") {
      ++pos_;
      if (!ParseList({"then"}) || !Expect("then")) return false;
      size_t else_jump = EmitJump(Instr::kJumpIfFail);
      if (!ParseList({"else", "elif", "fi"})) return false;
      if (PeekWord("else")) {
        ++pos_;
        size_t end_jump = EmitJump(Instr::kJump);
        prog_->code[else_jump].target = Here();
        if (!ParseList({"fi"})) return false;
        prog_->code[end_jump].target = Here();
      } else {
        prog_->code[else_jump].target = Here();
      }
      return Expect("fi");
    }
    if (t_[pos_].kind == Token::kWord && w == "{") {
      ++pos_;
      return ParseList({"}"}) && Expect("}");
    }
    static const std::set<std::string> kReserved = {"do", "done", "then", "else", "elif",
                                                    "fi", "}",    "for",  "case", "esac"};
    if (t_[pos_].kind == Token::kWord && kReserved.count(w)) return false;

    std::vector<std::string> words;
    std::string redirect;
    bool append = false;
    while (!AtEnd() && t_[pos_].kind != Token::kOp) {
      const Token& tok = t_[pos_++];
      if (tok.kind == Token::kWord) {
        words.push_back(tok.text);
        continue;
      }
      std::string target = tok.target;
      if (target.empty()) {
        if (AtEnd() || t_[pos_].kind != Token::kWord) return false;
        target = t_[pos_++].text;
      }
      if (tok.fd == 1 && !absl::StartsWith(target, "&")) {
        redirect = target;
        append = tok.text == ">>";
      }
    }
    EmitSimple(std::move(words), redirect, append, prog_);
    return true;
  }

  const std::vector<Token>& t_;
  Program* prog_;
  size_t pos_ = 0;
};

bool IsShell(const std::string& name) {
  return name == "sh" || name == "bash" || name == "ash" || name == "dash" || name == "zsh" ||
         name == "ksh";
}

std::string FormatPrintf(const std::vector<std::string>& args) {
  const std::string& fmt = args[0];
  size_t next = 1;
  std::string out;
  do {
    bool used = false;
    for (size_t i = 0; i < fmt.size(); ++i) {
      char c = fmt[i];
      if (c == '\\' && i + 1 < fmt.size()) {
        char e = fmt[++i];
        out += e == 'n' ? '\n' : e == 't' ? '\t' : e;
      } else if (c == '%' && i + 1 < fmt.size()) {
        char f = fmt[++i];
        if (f == '%') {
          out += '%';
        } else {
          used = true;
          if (next < args.size()) out += args[next++];
        }
      } else {
        out += c;
      }
    }
    if (!used) break;
  } while (next < args.size());
  return out;
}

}  // namespace

bool ParseSleepDuration(const std::vector<std::string>& operands, absl::Duration* d,
                        bool* forever) {
  *d = absl::ZeroDuration();
  *forever = false;
  if (operands.empty()) return false;
  for (const std::string& op : operands) {
    if (op == "infinity" || op == "inf") {
      *forever = true;
      continue;
    }
    std::string num = op;
    double unit = 1;
    if (!num.empty() && std::isalpha(static_cast<unsigned char>(num.back()))) {
      switch (num.back()) {
        case 's':
          unit = 1;
          break;
        case 'm':
          unit = 60;
          break;
        case 'h':
          unit = 3600;
          break;
        case 'd':
          unit = 86400;
          break;
        default:
          return false;
      }
      num.pop_back();
    }
    double value = 0;
    if (!absl::SimpleAtod(num, &value) || value < 0 || !std::isfinite(value)) return false;
    *d += absl::Seconds(value * unit);
  }
  return true;
}

Program CompileCommand(const std::vector<std::string>& argv,
                       const std::map<std::string, std::string>& env) {
  Program prog;
  if (argv.empty()) {
    prog.image_default = true;
    prog.description = "(image entrypoint)";
    prog.code.push_back({.op = Instr::kForever});
    return prog;
  }
  std::vector<std::string> shown;
  for (const auto& w : argv) shown.push_back(DisplayWord(w));
  prog.description = absl::StrJoin(shown, " ");

  std::string name = Basename(argv[0]);
  if (IsShell(name)) {
    if (argv.size() >= 3 && absl::StartsWith(argv[1], "-") && absl::StrContains(argv[1], 'c')) {
      std::vector<Token> tokens;
      Tokenizer tokenizer(argv[2], env);
      if (tokenizer.Run(&tokens)) {
        Compiler compiler(tokens, &prog);
        if (compiler.Run()) return prog;
      }
    }
    prog.code.clear();
    prog.code.push_back({.op = Instr::kUnknown, .args = argv});
    return prog;
  }
  EmitSimple(argv, "", false, &prog);
  return prog;
}

namespace {

namespace fs = std::filesystem;

// The host file behind `path` when a mount covers it.
struct HostFile {
  const MountPoint* mount = nullptr;
  std::string path;
};

HostFile FindHostFile(const ScriptIo& io, const std::string& path) {
  HostFile out;
  if (io.mounts == nullptr || path.empty() || path[0] != '/') return out;
  size_t best = 0;
  for (const MountPoint& m : *io.mounts) {
    std::string cp = m.container_path;
    while (cp.size() > 1 && cp.back() == '/') cp.pop_back();
    const bool covers =
        path == cp || (absl::StartsWith(path, cp) &&
                       (cp == "/" || (path.size() > cp.size() && path[cp.size()] == '/')));
    if (!covers || (out.mount != nullptr && cp.size() <= best)) continue;
    best = cp.size();
    out.mount = &m;
    out.path = m.host_path + (cp == "/" ? path : path.substr(cp.size()));
  }
  return out;
}

constexpr char kReadOnly[] = "Read-only file system";

std::optional<std::string> ReadHostFile(const std::string& path, bool* is_dir) {
  std::error_code ec;
  *is_dir = fs::is_directory(path, ec);
  if (*is_dir || !fs::exists(path, ec)) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

// Writes `text` to the host file (appending or replacing); false on failure.
bool WriteHostFile(const std::string& path, const std::string& text, bool append) {
  std::ofstream out(path,
                    append ? std::ios::binary | std::ios::app : std::ios::binary | std::ios::trunc);
  if (!out) return false;
  out << text;
  return static_cast<bool>(out);
}

// `test FLAG path` against the host file system.
bool TestHostFile(const std::string& path, const std::string& flag) {
  std::error_code ec;
  fs::file_status st = fs::status(path, ec);  // follows symlinks
  if (ec || !fs::exists(st)) return false;
  if (flag == "-f") return fs::is_regular_file(st);
  if (flag == "-d") return fs::is_directory(st);
  if (flag == "-s") return fs::is_regular_file(st) && fs::file_size(path, ec) > 0 && !ec;
  return true;
}

}  // namespace

Blocked RunUntilBlocked(const Program& program, ScriptState* state, const ScriptIo& io,
                        int max_steps) {
  auto write = [&](const Instr& in, const std::string& text) {
    if (!in.redirect.empty()) {
      if (in.redirect == "/dev/null") return;
      if (HostFile host = FindHostFile(io, in.redirect); host.mount != nullptr) {
        // A read-only mount was refused before the command ran.
        std::string line = text;
        if (line.empty() || line.back() != '\n') line += '\n';
        if (!WriteHostFile(host.path, line, in.append)) {
          io.output("stderr",
                    absl::StrCat("sh: can't create ", in.redirect, ": ", std::strerror(errno)));
        }
        return;
      }
      if (io.files == nullptr) return;
      std::string& content = (*io.files)[in.redirect];
      if (!in.append) content.clear();
      content += text;
      if (text.empty() || text.back() != '\n') content += '\n';
      return;
    }
    std::vector<std::string> lines = absl::StrSplit(text, '\n');
    if (lines.size() > 1 && lines.back().empty()) lines.pop_back();
    for (const auto& line : lines) io.output("stdout", line);
  };
  int steps = 0;
  while (state->pc < program.code.size()) {
    if (++steps > max_steps) {
      return {.kind = Blocked::kForever,
              .note = absl::StrCat("script ran ", max_steps, " steps without sleeping")};
    }
    const Instr& in = program.code[state->pc++];
    if (!in.redirect.empty() && in.op != Instr::kJump && in.op != Instr::kJumpIfFail &&
        in.op != Instr::kJumpIfOk) {
      // As a shell does, the redirection is opened before the command runs:
      // on a read-only mount the command does not run.
      HostFile host = FindHostFile(io, in.redirect);
      if (host.mount != nullptr && host.mount->readonly) {
        io.output("stderr", absl::StrCat("sh: can't create ", in.redirect, ": ", kReadOnly));
        state->status = 1;
        continue;
      }
    }
    switch (in.op) {
      case Instr::kEcho:
        write(in, absl::StrJoin(in.args, " "));
        state->status = 0;
        break;
      case Instr::kPrintf:
        write(in, FormatPrintf(in.args));
        state->status = 0;
        break;
      case Instr::kSleep:
        state->status = 0;
        return {.kind = Blocked::kSleep, .sleep = in.duration};
      case Instr::kExit:
        return {.kind = Blocked::kExit, .exit_code = in.code < 0 ? state->status : in.code};
      case Instr::kStatus:
        state->status = in.code;
        break;
      case Instr::kFail:
        io.output("stderr", in.args[0]);
        state->status = in.code;
        break;
      case Instr::kForever:
        --state->pc;
        return {.kind = Blocked::kForever};
      case Instr::kUnknown:
        --state->pc;
        return {.kind = Blocked::kForever,
                .note = absl::StrCat("command not simulated: ", absl::StrJoin(in.args, " ")),
                .unknown = true};
      case Instr::kTouch:
        state->status = 0;
        for (const auto& f : in.args) {
          if (HostFile host = FindHostFile(io, f); host.mount != nullptr) {
            std::error_code ec;
            if (host.mount->readonly) {
              io.output("stderr", absl::StrCat("touch: ", f, ": ", kReadOnly));
              state->status = 1;
            } else if (!fs::exists(host.path, ec) && !WriteHostFile(host.path, "", true)) {
              io.output("stderr", absl::StrCat("touch: ", f, ": ", std::strerror(errno)));
              state->status = 1;
            }
            continue;
          }
          if (io.files) io.files->emplace(f, "");
        }
        break;
      case Instr::kRm:
        state->status = 0;
        for (const auto& f : in.args) {
          if (HostFile host = FindHostFile(io, f); host.mount != nullptr) {
            std::error_code ec;
            if (!fs::exists(fs::symlink_status(host.path, ec))) {
              if (in.code == 0) {
                io.output("stderr",
                          absl::StrCat("rm: can't remove '", f, "': No such file or directory"));
                state->status = 1;
              }
            } else if (host.mount->readonly) {
              io.output("stderr", absl::StrCat("rm: can't remove '", f, "': ", kReadOnly));
              state->status = 1;
            } else if (!fs::remove(host.path, ec)) {
              io.output("stderr", absl::StrCat("rm: can't remove '", f, "': ", ec.message()));
              state->status = 1;
            }
            continue;
          }
          if (io.files && io.files->erase(f) == 0 && in.code == 0) {
            io.output("stderr",
                      absl::StrCat("rm: cannot remove '", f, "': No such file or directory"));
            state->status = 1;
          }
        }
        break;
      case Instr::kCat:
        state->status = 0;
        for (const auto& f : in.args) {
          if (HostFile host = FindHostFile(io, f); host.mount != nullptr) {
            bool is_dir = false;
            std::optional<std::string> content = ReadHostFile(host.path, &is_dir);
            if (content.has_value()) {
              if (!content->empty()) write(in, *content);
            } else {
              io.output("stderr",
                        absl::StrCat("cat: ", f, ": ",
                                     is_dir ? "Is a directory" : "No such file or directory"));
              state->status = 1;
            }
            continue;
          }
          auto it = io.files ? io.files->find(f) : FileMap::iterator();
          if (io.files && it != io.files->end()) {
            if (!it->second.empty()) write(in, it->second);
          } else {
            io.output("stderr", absl::StrCat("cat: ", f, ": No such file or directory"));
            state->status = 1;
          }
        }
        break;
      case Instr::kTest: {
        bool exists = false;
        if (HostFile host = FindHostFile(io, in.args[0]); host.mount != nullptr) {
          exists = TestHostFile(host.path, in.args.size() > 1 ? in.args[1] : "-e");
        } else {
          exists = io.files && io.files->count(in.args[0]) > 0;
        }
        state->status = (exists ? 0 : 1) ^ in.code;
        break;
      }
      case Instr::kLs:
        // Like `ls` into a pipe: one name a line; a folder's entries sorted,
        // without the hidden ones (a kubelet volume's `..data` and its
        // timestamped folder).
        state->status = 0;
        for (const auto& f : in.args) {
          HostFile host = FindHostFile(io, f);
          if (host.mount == nullptr) {
            if (!io.files || io.files->count(f) == 0) {
              io.output("stderr", absl::StrCat("ls: ", f, ": No such file or directory"));
              state->status = 1;
            } else {
              write(in, f);
            }
            continue;
          }
          std::error_code ec;
          if (!fs::exists(host.path, ec)) {
            io.output("stderr", absl::StrCat("ls: ", f, ": No such file or directory"));
            state->status = 1;
          } else if (fs::is_directory(host.path, ec)) {
            std::vector<std::string> names;
            for (const fs::directory_entry& e : fs::directory_iterator(host.path, ec)) {
              std::string name = e.path().filename().string();
              if (!name.empty() && name[0] != '.') names.push_back(std::move(name));
            }
            std::sort(names.begin(), names.end());
            for (const std::string& name : names) write(in, name);
          } else {
            write(in, f);
          }
        }
        break;
      case Instr::kJump:
        state->pc = in.target;
        break;
      case Instr::kJumpIfFail:
        if (state->status != 0) state->pc = in.target;
        break;
      case Instr::kJumpIfOk:
        if (state->status == 0) state->pc = in.target;
        break;
    }
  }
  return {.kind = Blocked::kExit, .exit_code = state->status};
}

}  // namespace minik8s::runtime
