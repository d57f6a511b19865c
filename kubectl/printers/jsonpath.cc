#include "kubectl/printers/jsonpath.h"

#include <charconv>
#include <cmath>
#include <optional>
#include <regex>
#include <span>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "api/codec.h"
#include "api/yaml_scalar.h"

namespace minik8s::kubectl::jsonpath {

Value Value::String(std::string s) {
  Value v;
  v.kind = Kind::kString;
  v.string = std::move(s);
  return v;
}

Value Value::Int(int64_t i) {
  Value v;
  v.kind = Kind::kInt;
  v.integer = i;
  return v;
}

Value FromNode(const YAML::Node& node) {
  Value v;
  if (!node.IsDefined() || node.IsNull()) return v;
  if (node.IsSequence()) {
    v.kind = Value::Kind::kArray;
    for (const YAML::Node& item : node) v.array.push_back(FromNode(item));
    return v;
  }
  if (node.IsMap()) {
    v.kind = Value::Kind::kObject;
    for (const auto& kv : node) v.object[kv.first.Scalar()] = FromNode(kv.second);
    return v;
  }
  const std::string& text = node.Scalar();
  if (node.Tag() == "!") return Value::String(text);
  switch (api::ResolvePlainScalar(text)) {
    case api::ScalarKind::kNull:
      return v;
    case api::ScalarKind::kBool:
      v.kind = Value::Kind::kBool;
      v.boolean = text[0] == 't' || text[0] == 'T';
      return v;
    case api::ScalarKind::kInteger:
      if (absl::SimpleAtoi(text, &v.integer)) {
        v.kind = Value::Kind::kInt;
        return v;
      }
      [[fallthrough]];
    case api::ScalarKind::kFloat:
      if (absl::SimpleAtod(text, &v.number)) {
        v.kind = Value::Kind::kFloat;
        return v;
      }
      [[fallthrough]];
    case api::ScalarKind::kString:
      break;
  }
  return Value::String(text);
}

Value FromMessage(const google::protobuf::Message& message) {
  return FromNode(api::EncodeNode(message));
}

Value ListOf(std::vector<Value> items) {
  Value list;
  list.kind = Value::Kind::kObject;
  list.object["apiVersion"] = Value::String("v1");
  list.object["kind"] = Value::String("List");
  Value array;
  array.kind = Value::Kind::kArray;
  array.array = std::move(items);
  list.object["items"] = std::move(array);
  Value meta;
  meta.kind = Value::Kind::kObject;
  meta.object["resourceVersion"] = Value::String("");
  list.object["metadata"] = std::move(meta);
  return list;
}

namespace {

// Decodes one UTF-8 code point at s[*i] (advancing *i); -1 when invalid.
int32_t DecodeRune(std::string_view s, size_t* i) {
  const auto c = static_cast<unsigned char>(s[*i]);
  int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (len == 0 || *i + len > s.size()) {
    ++*i;
    return -1;
  }
  int32_t r = len == 1 ? c : c & (0x7f >> len);
  for (int k = 1; k < len; ++k) {
    const auto cc = static_cast<unsigned char>(s[*i + k]);
    if ((cc >> 6) != 2) {
      ++*i;
      return -1;
    }
    r = (r << 6) | (cc & 0x3f);
  }
  *i += len;
  return r;
}

// Go's float64 text: fmt's %v (strconv 'g' shortest: exponent form below
// 1e-4 or from 1e6, exponent of at least two digits) or encoding/json's
// (exponent form below 1e-6 or from 1e21, `1e-7`).
std::string GoFloat(double d, bool for_json) {
  if (std::isinf(d)) return d > 0 ? "+Inf" : "-Inf";
  if (std::isnan(d)) return "NaN";
  char buf[64];
  const double abs = std::fabs(d);
  const bool exp = for_json ? (abs != 0 && (abs < 1e-6 || abs >= 1e21))
                            : (abs != 0 && (abs < 1e-4 || abs >= 1e6));
  auto r = std::to_chars(buf, buf + sizeof(buf), d,
                         exp ? std::chars_format::scientific : std::chars_format::fixed);
  std::string s(buf, r.ptr);
  if (exp && for_json) {
    const size_t e = s.find("e-0");
    if (e != std::string::npos && e + 4 == s.size()) s.erase(e + 2, 1);
  }
  return s;
}

void AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      switch (c) {
        case '"':
          *out += "\\\"";
          break;
        case '\\':
          *out += "\\\\";
          break;
        case '\n':
          *out += "\\n";
          break;
        case '\r':
          *out += "\\r";
          break;
        case '\t':
          *out += "\\t";
          break;
        case '<':
        case '>':
        case '&':
          absl::StrAppendFormat(out, "\\u%04x", c);
          break;
        default:
          if (c < 0x20) {
            absl::StrAppendFormat(out, "\\u%04x", c);
          } else {
            out->push_back(static_cast<char>(c));
          }
      }
      continue;
    }
    const size_t start = i;
    const int32_t r = DecodeRune(s, &i);
    if (r < 0) {
      *out += "\\ufffd";
    } else if (r == 0x2028 || r == 0x2029) {
      absl::StrAppendFormat(out, "\\u%04x", r);
    } else {
      out->append(s.substr(start, i - start));
    }
  }
  out->push_back('"');
}

void AppendJson(const Value& v, int indent, int depth, std::string* out) {
  auto newline = [&](int d) {
    if (indent < 0) return;
    out->push_back('\n');
    out->append(static_cast<size_t>(indent * d), ' ');
  };
  switch (v.kind) {
    case Value::Kind::kNull:
      *out += "null";
      return;
    case Value::Kind::kBool:
      *out += v.boolean ? "true" : "false";
      return;
    case Value::Kind::kInt:
      absl::StrAppend(out, v.integer);
      return;
    case Value::Kind::kFloat:
      *out += GoFloat(v.number, true);
      return;
    case Value::Kind::kString:
      AppendJsonString(v.string, out);
      return;
    case Value::Kind::kArray: {
      out->push_back('[');
      bool first = true;
      for (const Value& item : v.array) {
        if (!first) out->push_back(',');
        first = false;
        newline(depth + 1);
        AppendJson(item, indent, depth + 1, out);
      }
      if (!v.array.empty()) newline(depth);
      out->push_back(']');
      return;
    }
    case Value::Kind::kObject: {
      out->push_back('{');
      bool first = true;
      for (const auto& [key, item] : v.object) {
        if (!first) out->push_back(',');
        first = false;
        newline(depth + 1);
        AppendJsonString(key, out);
        out->push_back(':');
        if (indent >= 0) out->push_back(' ');
        AppendJson(item, indent, depth + 1, out);
      }
      if (!v.object.empty()) newline(depth);
      out->push_back('}');
      return;
    }
  }
}

const char* GoTypeName(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kNull:
      return "<nil>";
    case Value::Kind::kBool:
      return "bool";
    case Value::Kind::kInt:
      return "int64";
    case Value::Kind::kFloat:
      return "float64";
    case Value::Kind::kString:
      return "string";
    case Value::Kind::kArray:
      return "[]interface {}";
    case Value::Kind::kObject:
      return "map[string]interface {}";
  }
  return "";
}

}  // namespace

std::string ToJson(const Value& value) {
  std::string out;
  AppendJson(value, -1, 0, &out);
  return out;
}

std::string ToIndentedJson(const Value& value) {
  std::string out;
  AppendJson(value, 4, 0, &out);
  return out;
}

std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const size_t start = i;
      const int32_t r = DecodeRune(s, &i);
      if (r < 0) {
        absl::StrAppendFormat(&out, "\\x%02x", c);
      } else if (r < 0xa0 || r == 0xad || r == 0x2028 || r == 0x2029 || r == 0xfeff) {
        absl::StrAppendFormat(&out, "\\u%04x", r);  // every rune here is below 0x10000
      } else {
        out.append(s.substr(start, i - start));
      }
      continue;
    }
    ++i;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\v':
        out += "\\v";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          absl::StrAppendFormat(&out, "\\x%02x", c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out += "\"";
  return out;
}

std::string GoString(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kNull:
      return "<nil>";
    case Value::Kind::kBool:
      return v.boolean ? "true" : "false";
    case Value::Kind::kInt:
      return absl::StrCat(v.integer);
    case Value::Kind::kFloat:
      return GoFloat(v.number, false);
    case Value::Kind::kString:
      return v.string;
    case Value::Kind::kArray: {
      std::vector<std::string> parts;
      for (const Value& item : v.array) parts.push_back(GoString(item));
      return absl::StrCat("[", absl::StrJoin(parts, " "), "]");
    }
    case Value::Kind::kObject: {
      std::vector<std::string> parts;
      for (const auto& [key, item] : v.object) parts.push_back(key + ":" + GoString(item));
      return absl::StrCat("map[", absl::StrJoin(parts, " "), "]");
    }
  }
  return "";
}

std::string GoSyntax(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kNull:
      return "interface {}(nil)";
    case Value::Kind::kString:
      return GoQuote(v.string);
    case Value::Kind::kArray: {
      std::vector<std::string> parts;
      for (const Value& item : v.array) parts.push_back(GoSyntax(item));
      return absl::StrCat("[]interface {}{", absl::StrJoin(parts, ", "), "}");
    }
    case Value::Kind::kObject: {
      std::vector<std::string> parts;
      for (const auto& [key, item] : v.object) {
        parts.push_back(absl::StrCat(GoQuote(key), ":", GoSyntax(item)));
      }
      return absl::StrCat("map[string]interface {}{", absl::StrJoin(parts, ", "), "}");
    }
    default:
      return GoString(v);
  }
}

// ---------------------------------------------------------------------------
// Parse tree.

struct SliceParam {
  bool known = false;
  int value = 0;
  bool derived = false;
};

struct Node {
  enum class Type {
    kList,
    kText,
    kField,
    kArray,
    kFilter,
    kLiteral,  // int, float, bool: `literal`
    kWildcard,
    kRecursive,
    kUnion,
    kIdentifier,
  };
  Type type = Type::kList;
  std::vector<Node> nodes;         // kList; kFilter: {left, right}; kUnion: lists
  std::string text;                // kText, kField, kIdentifier; kFilter: operator
  Value literal;                   // kText (as a string), kLiteral
  SliceParam params[3];            // kArray
  bool literal_is_go_int = false;  // kLiteral from an integer literal
};

namespace {

Node MakeNode(Node::Type type) {
  Node n;
  n.type = type;
  return n;
}

Node TextNode(std::string text) {
  Node n = MakeNode(Node::Type::kText);
  n.literal = Value::String(text);
  n.text = std::move(text);
  return n;
}

bool IsSpace(int32_t r) { return r == ' ' || r == '\t'; }
bool IsEndOfLine(int32_t r) { return r == '\r' || r == '\n'; }
bool IsTerminator(int32_t r) {
  if (IsSpace(r) || IsEndOfLine(r)) return true;
  switch (r) {
    case -1:
    case '.':
    case ',':
    case '[':
    case ']':
    case '$':
    case '@':
    case '{':
    case '}':
      return true;
  }
  return false;
}
bool IsDigit(int32_t r) { return r >= '0' && r <= '9'; }
bool IsAlphaNumeric(int32_t r) {
  return r == '_' || IsDigit(r) || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || r >= 0x80;
}

constexpr int32_t kEof = -1;

// strconv.UnquoteChar-based unquoting of a '...' or "..." literal.
std::optional<std::string> UnquoteExtend(std::string_view s) {
  if (s.size() < 2) return std::nullopt;
  const char quote = s.front();
  if (quote != s.back() || (quote != '"' && quote != '\'')) return std::nullopt;
  s = s.substr(1, s.size() - 2);
  if (s.find('\\') == std::string_view::npos && s.find(quote) == std::string_view::npos) {
    return std::string(s);
  }
  std::string out;
  size_t i = 0;
  auto append_rune = [&out](uint32_t r) {
    if (r < 0x80) {
      out.push_back(static_cast<char>(r));
    } else if (r < 0x800) {
      out.push_back(static_cast<char>(0xc0 | (r >> 6)));
      out.push_back(static_cast<char>(0x80 | (r & 0x3f)));
    } else if (r < 0x10000) {
      out.push_back(static_cast<char>(0xe0 | (r >> 12)));
      out.push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | (r & 0x3f)));
    } else {
      out.push_back(static_cast<char>(0xf0 | (r >> 18)));
      out.push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | (r & 0x3f)));
    }
  };
  while (i < s.size()) {
    const char c = s[i];
    if (c == quote && quote == '\'') {
      // A bare ' inside '...' is a syntax error in UnquoteChar.
      return std::nullopt;
    }
    if (c == '"' && quote == '"') return std::nullopt;
    if (c != '\\') {
      out.push_back(c);
      ++i;
      continue;
    }
    if (i + 1 >= s.size()) return std::nullopt;
    const char e = s[i + 1];
    i += 2;
    switch (e) {
      case 'a':
        out.push_back('\a');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'v':
        out.push_back('\v');
        break;
      case '\\':
        out.push_back('\\');
        break;
      case '\'':
      case '"':
        if (e != quote) return std::nullopt;
        out.push_back(e);
        break;
      case 'x':
      case 'u':
      case 'U': {
        const size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        if (i + n > s.size()) return std::nullopt;
        uint32_t r = 0;
        for (size_t k = 0; k < n; ++k) {
          const char h = s[i + k];
          const int d = IsDigit(h)               ? h - '0'
                        : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                        : (h >= 'A' && h <= 'F') ? h - 'A' + 10
                                                 : -1;
          if (d < 0) return std::nullopt;
          r = r * 16 + static_cast<uint32_t>(d);
        }
        i += n;
        if (e == 'x') {
          out.push_back(static_cast<char>(r));
        } else {
          if (r > 0x10ffff || (r >= 0xd800 && r < 0xe000)) return std::nullopt;
          append_rune(r);
        }
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          if (i + 2 > s.size()) return std::nullopt;
          uint32_t r = static_cast<uint32_t>(e - '0');
          for (int k = 0; k < 2; ++k) {
            const char o = s[i + k];
            if (o < '0' || o > '7') return std::nullopt;
            r = r * 8 + static_cast<uint32_t>(o - '0');
          }
          if (r > 255) return std::nullopt;
          i += 2;
          out.push_back(static_cast<char>(r));
          break;
        }
        return std::nullopt;
    }
  }
  return out;
}

class Parser {
 public:
  explicit Parser(std::string input) : input_(std::move(input)) {}

  absl::Status Parse(std::vector<Node>* root) {
    root_ = root;
    return ParseText();
  }

 private:
  int32_t Next() {
    if (pos_ >= input_.size()) {
      width_ = 0;
      return kEof;
    }
    size_t i = pos_;
    int32_t r = DecodeRune(input_, &i);
    if (r < 0) r = 0xfffd;
    width_ = i - pos_;
    pos_ = i;
    return r;
  }
  int32_t Peek() {
    const int32_t r = Next();
    Backup();
    return r;
  }
  void Backup() { pos_ -= width_; }
  std::string Consume() {
    std::string v(input_.substr(start_, pos_ - start_));
    start_ = pos_;
    return v;
  }
  bool HasPrefix(std::string_view p) const {
    return std::string_view(input_).substr(pos_).starts_with(p);
  }

  absl::Status ParseText() {
    while (true) {
      if (HasPrefix("{")) {
        if (pos_ > start_) root_->push_back(TextNode(Consume()));
        pos_ += 1;
        Consume();
        root_->push_back(MakeNode(Node::Type::kList));
        // Actions are parsed until their closing brace, which returns here.
        absl::Status st = ParseInsideAction(&root_->back().nodes);
        if (!st.ok() || done_) return st;
        continue;
      }
      if (Next() == kEof) break;
    }
    if (pos_ > start_) root_->push_back(TextNode(Consume()));
    done_ = true;
    return absl::OkStatus();
  }

  // Parses one action's contents into `cur`; returns after its '}'.
  absl::Status ParseInsideAction(std::vector<Node>* cur) {
    while (true) {
      if (HasPrefix("}")) {
        pos_ += 1;
        Consume();
        return absl::OkStatus();
      }
      if (HasPrefix("[?(")) {
        absl::Status st = ParseFilter(cur);
        if (!st.ok()) return st;
        continue;
      }
      if (HasPrefix("..")) {
        if (!cur->empty() && cur->back().type == Node::Type::kRecursive) {
          return absl::InvalidArgumentError("invalid multiple recursive descent");
        }
        pos_ += 2;
        Consume();
        cur->push_back(MakeNode(Node::Type::kRecursive));
        if (IsAlphaNumeric(Peek())) ParseField(cur);
        continue;
      }
      const int32_t r = Next();
      if (r == kEof || IsEndOfLine(r)) return absl::InvalidArgumentError("unclosed action");
      if (r == ' ' || r == '@' || r == '$') {
        Consume();
      } else if (r == '[') {
        absl::Status st = ParseArray(cur);
        if (!st.ok()) return st;
      } else if (r == '"' || r == '\'') {
        absl::Status st = ParseQuote(cur, r);
        if (!st.ok()) return st;
      } else if (r == '.') {
        ParseField(cur);
      } else if (r == '+' || r == '-' || IsDigit(r)) {
        Backup();
        absl::Status st = ParseNumber(cur);
        if (!st.ok()) return st;
      } else if (IsAlphaNumeric(r)) {
        Backup();
        ParseIdentifier(cur);
      } else {
        std::string ch;
        if (r < 0x80) {
          ch = std::string(1, static_cast<char>(r));
        } else {
          ch = std::string(input_.substr(pos_ - width_, width_));
        }
        return absl::InvalidArgumentError(
            absl::StrFormat("unrecognized character in action: U+%04X '%s'", r, ch));
      }
    }
  }

  void ParseIdentifier(std::vector<Node>* cur) {
    while (true) {
      const int32_t r = Next();
      if (IsTerminator(r)) {
        Backup();
        break;
      }
    }
    std::string value = Consume();
    if (value == "true" || value == "false") {
      Node n = MakeNode(Node::Type::kLiteral);
      n.literal.kind = Value::Kind::kBool;
      n.literal.boolean = value == "true";
      cur->push_back(std::move(n));
    } else {
      Node n = MakeNode(Node::Type::kIdentifier);
      n.text = std::move(value);
      cur->push_back(std::move(n));
    }
  }

  absl::Status ParseNumber(std::vector<Node>* cur) {
    int32_t r = Peek();
    if (r == '+' || r == '-') Next();
    while (true) {
      r = Next();
      if (r != '.' && !IsDigit(r)) {
        Backup();
        break;
      }
    }
    std::string value = Consume();
    Node n = MakeNode(Node::Type::kLiteral);
    int64_t i = 0;
    double d = 0;
    std::string_view digits = value;
    if (!digits.empty() && digits[0] == '+') digits.remove_prefix(1);
    if (absl::SimpleAtoi(value, &i) && value.find('.') == std::string::npos) {
      n.literal = Value::Int(i);
      n.literal_is_go_int = true;
    } else if (value.find_first_of("0123456789") != std::string::npos &&
               absl::SimpleAtod(value, &d)) {
      n.literal.kind = Value::Kind::kFloat;
      n.literal.number = d;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("cannot parse number ", value));
    }
    cur->push_back(std::move(n));
    return absl::OkStatus();
  }

  // Parses `text` as the inside of one action ("{" text "}").
  static absl::StatusOr<std::vector<Node>> ParseAction(const std::string& text) {
    std::vector<Node> root;
    Parser p(absl::StrCat("{", text, "}"));
    absl::Status st = p.Parse(&root);
    if (!st.ok()) return st;
    if (root.empty() || root[0].type != Node::Type::kList) return std::vector<Node>{};
    return std::move(root[0].nodes);
  }

  absl::Status ParseArray(std::vector<Node>* cur) {
    while (true) {
      const int32_t r = Next();
      if (r == kEof || r == '\n') return absl::InvalidArgumentError("unterminated array");
      if (r == ']') break;
    }
    std::string text = Consume();
    text = text.substr(1, text.size() - 2);
    if (text == "*") text = ":";

    std::vector<std::string> parts = absl::StrSplit(text, ',');
    if (parts.size() > 1) {
      Node u = MakeNode(Node::Type::kUnion);
      for (const std::string& part : parts) {
        // strings.Trim(str, " "): spaces only.
        std::string trimmed = part;
        while (!trimmed.empty() && trimmed.front() == ' ') trimmed.erase(0, 1);
        while (!trimmed.empty() && trimmed.back() == ' ') trimmed.pop_back();
        absl::StatusOr<std::vector<Node>> nodes = ParseAction(absl::StrCat("[", trimmed, "]"));
        if (!nodes.ok()) return nodes.status();
        Node list = MakeNode(Node::Type::kList);
        list.nodes = std::move(*nodes);
        u.nodes.push_back(std::move(list));
      }
      cur->push_back(std::move(u));
      return absl::OkStatus();
    }
    static const std::regex kDictKey("^'([^']*)'$");
    static const std::regex kSlice(R"(^(-?[0-9]*)(:-?[0-9]*)?(:-?[0-9]*)?$)");
    std::smatch m;
    if (std::regex_match(text, m, kDictKey)) {
      absl::StatusOr<std::vector<Node>> nodes = ParseAction("." + m[1].str());
      if (!nodes.ok()) return nodes.status();
      for (Node& n : *nodes) cur->push_back(std::move(n));
      return absl::OkStatus();
    }
    if (!std::regex_match(text, m, kSlice)) {
      return absl::InvalidArgumentError(absl::StrCat("invalid array index ", text));
    }
    Node n = MakeNode(Node::Type::kArray);
    for (int i = 0; i < 3; ++i) {
      std::string v = m[i + 1].str();
      if (!v.empty()) {
        if (i > 0) v = v.substr(1);
        if (i > 0 && v.empty()) {
          n.params[i].known = false;
        } else {
          n.params[i].known = true;
          if (!absl::SimpleAtoi(v, &n.params[i].value) || v[0] == '+') {
            return absl::InvalidArgumentError(absl::StrCat("array index ", v, " is not a number"));
          }
        }
      } else if (i == 1) {
        n.params[1].known = true;
        n.params[1].value = n.params[0].value + 1;
        n.params[1].derived = true;
      } else {
        n.params[i].known = false;
        n.params[i].value = 0;
      }
    }
    cur->push_back(std::move(n));
    return absl::OkStatus();
  }

  absl::Status ParseFilter(std::vector<Node>* cur) {
    pos_ += 3;
    Consume();
    bool begin = false, end = false;
    int32_t pair = 0;
    while (true) {
      const int32_t r = Next();
      if (r == kEof || r == '\n') return absl::InvalidArgumentError("unterminated filter");
      if (r == '"' || r == '\'') {
        if (!begin) {
          begin = true;
          pair = r;
          continue;
        }
        if (input_[pos_ - 2] != '\\' && r == pair) end = true;
      } else if (r == ')') {
        if (begin == end) break;
      }
    }
    if (Next() != ']') return absl::InvalidArgumentError("unclosed array expect ]");
    std::string text = Consume();
    text = text.substr(0, text.size() - 2);
    static const std::regex kFilter("^([^!<>=]+)([!<>=]+)(.+?)$");
    std::smatch m;
    Node f = MakeNode(Node::Type::kFilter);
    Node left = MakeNode(Node::Type::kList), right = MakeNode(Node::Type::kList);
    if (!std::regex_match(text, m, kFilter)) {
      absl::StatusOr<std::vector<Node>> nodes = ParseAction(text);
      if (!nodes.ok()) return nodes.status();
      left.nodes = std::move(*nodes);
      f.text = "exists";
    } else {
      absl::StatusOr<std::vector<Node>> l = ParseAction(m[1].str());
      if (!l.ok()) return l.status();
      absl::StatusOr<std::vector<Node>> r = ParseAction(m[3].str());
      if (!r.ok()) return r.status();
      left.nodes = std::move(*l);
      right.nodes = std::move(*r);
      f.text = m[2].str();
    }
    f.nodes.push_back(std::move(left));
    f.nodes.push_back(std::move(right));
    cur->push_back(std::move(f));
    return absl::OkStatus();
  }

  absl::Status ParseQuote(std::vector<Node>* cur, int32_t end) {
    while (true) {
      const int32_t r = Next();
      if (r == kEof || r == '\n') return absl::InvalidArgumentError("unterminated quoted string");
      if (r == end && input_[pos_ - 2] != '\\') break;
    }
    std::string value = Consume();
    std::optional<std::string> s = UnquoteExtend(value);
    if (!s.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unquote string ", value, " error invalid syntax"));
    }
    cur->push_back(TextNode(*s));
    return absl::OkStatus();
  }

  void ParseField(std::vector<Node>* cur) {
    Consume();
    while (true) {
      const int32_t r = Next();
      if (r == '\\') {
        Next();
      } else if (IsTerminator(r)) {
        Backup();
        break;
      }
    }
    std::string value = Consume();
    if (value == "*") {
      cur->push_back(MakeNode(Node::Type::kWildcard));
      return;
    }
    Node n = MakeNode(Node::Type::kField);
    for (char c : value) {
      if (c != '\\') n.text.push_back(c);
    }
    cur->push_back(std::move(n));
  }

  std::string input_;
  size_t pos_ = 0;
  size_t start_ = 0;
  size_t width_ = 0;
  std::vector<Node>* root_ = nullptr;
  bool done_ = false;
};

// ---------------------------------------------------------------------------
// Evaluation.

using Values = std::vector<const Value*>;

// Go template's basic kinds for comparisons.
enum class Basic { kBool, kInt, kFloat, kString, kInvalid };
Basic BasicOf(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kBool:
      return Basic::kBool;
    case Value::Kind::kInt:
      return Basic::kInt;
    case Value::Kind::kFloat:
      return Basic::kFloat;
    case Value::Kind::kString:
      return Basic::kString;
    default:
      return Basic::kInvalid;
  }
}

absl::StatusOr<bool> Equal(const Value& a, const Value& b) {
  const Basic ka = BasicOf(a), kb = BasicOf(b);
  if (ka == Basic::kInvalid || kb == Basic::kInvalid) {
    return absl::InvalidArgumentError("invalid type for comparison");
  }
  if (ka != kb) return absl::InvalidArgumentError("incompatible types for comparison");
  switch (ka) {
    case Basic::kBool:
      return a.boolean == b.boolean;
    case Basic::kInt:
      return a.integer == b.integer;
    case Basic::kFloat:
      return a.number == b.number;
    default:
      return a.string == b.string;
  }
}

absl::StatusOr<bool> Less(const Value& a, const Value& b) {
  const Basic ka = BasicOf(a), kb = BasicOf(b);
  if (ka == Basic::kInvalid || kb == Basic::kInvalid || ka == Basic::kBool) {
    return absl::InvalidArgumentError("invalid type for comparison");
  }
  if (ka != kb) return absl::InvalidArgumentError("incompatible types for comparison");
  switch (ka) {
    case Basic::kInt:
      return a.integer < b.integer;
    case Basic::kFloat:
      return a.number < b.number;
    default:
      return a.string < b.string;
  }
}

class Evaluator {
 public:
  explicit Evaluator(bool allow_missing) : allow_missing_(allow_missing) {}

  absl::Status FindResults(std::span<const Node> nodes, const Value* data,
                           std::vector<Values>* full) {
    Values cur = {data};
    for (size_t i = 0; i < nodes.size(); ++i) {
      absl::StatusOr<Values> results = Walk(cur, nodes[i]);
      if (!results.ok()) return results.status();
      if (end_range_ > 0 && end_range_ <= in_range_) {
        --end_range_;
        last_end_ = &nodes[i];
        break;
      }
      if (begin_range_ > 0) {
        --begin_range_;
        ++in_range_;
        if (!results->empty()) {
          for (const Value* v : *results) {
            absl::Status st = FindResults(nodes.subspan(i + 1), v, full);
            if (!st.ok()) return st;
          }
        } else {
          std::vector<Values> discard;
          absl::Status st = FindResults(nodes.subspan(i + 1), nullptr, &discard);
          if (!st.ok()) return st;
        }
        --in_range_;
        for (size_t k = i + 1; k < nodes.size(); ++k) {
          if (&nodes[k] == last_end_) {
            i = k;
            break;
          }
        }
        continue;
      }
      full->push_back(std::move(*results));
    }
    return absl::OkStatus();
  }

 private:
  static bool IsNil(const Value* v) { return v == nullptr || v->kind == Value::Kind::kNull; }

  absl::StatusOr<Values> Walk(const Values& input, const Node& node) {
    switch (node.type) {
      case Node::Type::kList:
        return EvalList(input, node.nodes);
      case Node::Type::kText:
        return Values{&node.literal};
      case Node::Type::kField:
        return EvalField(input, node);
      case Node::Type::kArray:
        return EvalArray(input, node);
      case Node::Type::kFilter:
        return EvalFilter(input, node);
      case Node::Type::kLiteral:
        return Values(input.size(), &node.literal);
      case Node::Type::kWildcard:
        return EvalWildcard(input);
      case Node::Type::kRecursive:
        return EvalRecursive(input);
      case Node::Type::kUnion: {
        Values out;
        for (const Node& list : node.nodes) {
          absl::StatusOr<Values> r = EvalList(input, list.nodes);
          if (!r.ok()) return r.status();
          out.insert(out.end(), r->begin(), r->end());
        }
        return out;
      }
      case Node::Type::kIdentifier:
        if (node.text == "range") {
          ++begin_range_;
          return input;
        }
        if (node.text == "end") {
          if (in_range_ > 0) {
            ++end_range_;
            return Values{};
          }
          return absl::InvalidArgumentError("not in range, nothing to end");
        }
        return absl::InvalidArgumentError(absl::StrCat("unrecognized identifier ", node.text));
    }
    return absl::InternalError("unexpected node");
  }

  absl::StatusOr<Values> EvalList(const Values& input, const std::vector<Node>& nodes) {
    Values cur = input;
    for (const Node& n : nodes) {
      absl::StatusOr<Values> r = Walk(cur, n);
      if (!r.ok()) return r.status();
      cur = std::move(*r);
    }
    return cur;
  }

  absl::StatusOr<Values> EvalField(const Values& input, const Node& node) {
    Values results;
    if (input.empty()) return results;
    for (const Value* v : input) {
      if (IsNil(v) || v->kind != Value::Kind::kObject) continue;
      auto it = v->object.find(node.text);
      if (it != v->object.end()) results.push_back(&it->second);
    }
    if (results.empty() && !allow_missing_) {
      return absl::InvalidArgumentError(absl::StrCat(node.text, " is not found"));
    }
    return results;
  }

  absl::StatusOr<Values> EvalArray(const Values& input, const Node& node) {
    Values result;
    for (const Value* v : input) {
      if (IsNil(v)) continue;
      if (v->kind != Value::Kind::kArray) {
        return absl::InvalidArgumentError(absl::StrCat(GoTypeName(*v), " is not array or slice"));
      }
      SliceParam p[3] = {node.params[0], node.params[1], node.params[2]};
      const int len = static_cast<int>(v->array.size());
      if (!p[0].known) p[0].value = 0;
      if (p[0].value < 0) p[0].value += len;
      if (!p[1].known) p[1].value = len;
      if (p[1].value < 0 || (p[1].value == 0 && p[1].derived)) p[1].value += len;
      if (p[1].value != p[0].value) {
        if (p[0].value >= len || p[0].value < 0) {
          return absl::InvalidArgumentError(
              absl::StrCat("array index out of bounds: index ", p[0].value, ", length ", len));
        }
        if (p[1].value > len || p[1].value < 0) {
          return absl::InvalidArgumentError(
              absl::StrCat("array index out of bounds: index ", p[1].value - 1, ", length ", len));
        }
        if (p[0].value > p[1].value) {
          return absl::InvalidArgumentError(absl::StrCat(
              "starting index ", p[0].value, " is greater than ending index ", p[1].value));
        }
      } else {
        return result;
      }
      int step = 1;
      if (p[2].known) {
        if (p[2].value <= 0) return absl::InvalidArgumentError("step must be > 0");
        step = p[2].value;
      }
      for (int i = p[0].value; i < p[1].value; i += step) result.push_back(&v->array[i]);
    }
    return result;
  }

  static void Children(const Value& v, Values* out) {
    if (v.kind == Value::Kind::kObject) {
      for (const auto& kv : v.object) out->push_back(&kv.second);
    } else if (v.kind == Value::Kind::kArray) {
      for (const Value& item : v.array) out->push_back(&item);
    }
  }

  absl::StatusOr<Values> EvalWildcard(const Values& input) {
    Values results;
    for (const Value* v : input) {
      if (!IsNil(v)) Children(*v, &results);
    }
    return results;
  }

  absl::StatusOr<Values> EvalRecursive(const Values& input) {
    Values result;
    for (const Value* v : input) {
      if (IsNil(v)) continue;
      Values children;
      Children(*v, &children);
      if (!children.empty()) {
        result.push_back(v);
        absl::StatusOr<Values> out = EvalRecursive(children);
        if (!out.ok()) return out.status();
        result.insert(result.end(), out->begin(), out->end());
      }
    }
    return result;
  }

  absl::StatusOr<Values> EvalFilter(const Values& input, const Node& node) {
    Values results;
    for (const Value* v : input) {
      if (v == nullptr || v->kind != Value::Kind::kArray) {
        const std::string shown = v == nullptr ? "<invalid reflect.Value>" : GoString(*v);
        return absl::InvalidArgumentError(
            absl::StrCat(shown, " is not array or slice and cannot be filtered"));
      }
      for (const Value& item : v->array) {
        const Values temp = {&item};
        absl::StatusOr<Values> lefts = EvalList(temp, node.nodes[0].nodes);
        if (node.text == "exists") {
          if (lefts.ok() && !lefts->empty()) results.push_back(&item);
          continue;
        }
        if (!lefts.ok()) return lefts.status();
        if (lefts->empty()) continue;
        if (lefts->size() > 1) {
          return absl::InvalidArgumentError("can only compare one element at a time");
        }
        absl::StatusOr<Values> rights = EvalList(temp, node.nodes[1].nodes);
        if (!rights.ok()) return rights.status();
        if (rights->empty()) continue;
        if (rights->size() > 1) {
          return absl::InvalidArgumentError("can only compare one element at a time");
        }
        const Value& l = *(*lefts)[0];
        const Value& r = *(*rights)[0];
        absl::StatusOr<bool> pass;
        const std::string& op = node.text;
        if (op == "<") {
          pass = Less(l, r);
        } else if (op == ">") {
          absl::StatusOr<bool> lt = Less(l, r);
          absl::StatusOr<bool> eq = lt.ok() ? Equal(l, r) : lt;
          pass = eq.ok() ? absl::StatusOr<bool>(!(*lt || *eq)) : eq;
        } else if (op == "==") {
          pass = Equal(l, r);
        } else if (op == "!=") {
          absl::StatusOr<bool> eq = Equal(l, r);
          pass = eq.ok() ? absl::StatusOr<bool>(!*eq) : eq;
        } else if (op == "<=") {
          absl::StatusOr<bool> lt = Less(l, r);
          absl::StatusOr<bool> eq = lt.ok() ? Equal(l, r) : lt;
          pass = eq.ok() ? absl::StatusOr<bool>(*lt || *eq) : eq;
        } else if (op == ">=") {
          absl::StatusOr<bool> lt = Less(l, r);
          pass = lt.ok() ? absl::StatusOr<bool>(!*lt) : lt;
        } else {
          return absl::InvalidArgumentError(absl::StrCat("unrecognized filter operator ", op));
        }
        if (!pass.ok()) return pass.status();
        if (*pass) results.push_back(&item);
      }
    }
    return results;
  }

  bool allow_missing_;
  int begin_range_ = 0;
  int in_range_ = 0;
  int end_range_ = 0;
  const Node* last_end_ = nullptr;
};

}  // namespace

absl::StatusOr<Template> Template::Parse(std::string_view text) {
  auto nodes = std::make_shared<std::vector<Node>>();
  Parser parser{std::string(text)};
  absl::Status st = parser.Parse(nodes.get());
  if (!st.ok()) return st;
  Template t;
  t.root_ = std::move(nodes);
  return t;
}

absl::StatusOr<std::vector<std::vector<const Value*>>> Template::FindResults(
    const Value& root, bool allow_missing_keys) const {
  std::vector<Values> full;
  Evaluator e(allow_missing_keys);
  absl::Status st = e.FindResults(std::span<const Node>(*root_), &root, &full);
  if (!st.ok()) return st;
  return full;
}

absl::StatusOr<std::string> Template::Execute(const Value& root, bool allow_missing_keys,
                                              bool output_json) const {
  absl::StatusOr<std::vector<Values>> full = FindResults(root, allow_missing_keys);
  if (!full.ok()) return full.status();
  std::string out;
  for (const Values& results : *full) {
    if (output_json) {
      Value array;
      array.kind = Value::Kind::kArray;
      for (const Value* v : results) array.array.push_back(*v);
      absl::StrAppend(&out, ToIndentedJson(array), "\n");
      continue;
    }
    for (size_t i = 0; i < results.size(); ++i) {
      const Value& v = *results[i];
      if (v.kind == Value::Kind::kObject || v.kind == Value::Kind::kArray) {
        out += ToJson(v);
      } else {
        out += GoString(v);
      }
      if (i + 1 != results.size()) out += ' ';
    }
  }
  return out;
}

absl::StatusOr<std::string> PrintJsonPath(const std::string& text, const Value& root,
                                          bool allow_missing_keys, bool output_json) {
  absl::StatusOr<Template> t = Template::Parse(text);
  if (!t.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("error parsing jsonpath ", text, ", ", t.status().message()));
  }
  absl::StatusOr<std::string> out = t->Execute(root, allow_missing_keys, output_json);
  if (!out.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "error executing jsonpath ", GoQuote(text),
        ": Error executing template: ", out.status().message(),
        ". Printing more information for debugging the template:\n\ttemplate was:\n\t\t", text,
        "\n\tobject given to jsonpath engine was:\n\t\t", GoSyntax(root), "\n\n"));
  }
  return out;
}

}  // namespace minik8s::kubectl::jsonpath
