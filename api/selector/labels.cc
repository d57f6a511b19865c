#include "api/selector/labels.h"

#include <algorithm>
#include <charconv>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/validation/names.h"

namespace minik8s::api {
namespace {

using Op = LabelRequirement::Operator;

// Go's %#v of a []string, which Kubernetes prints as the bad value of
// "values" errors: []string{"a", "b"}.
std::string GoStringSlice(const std::vector<std::string>& values) {
  std::string out = "[]string{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ", ";
    absl::StrAppend(&out, "\"", values[i], "\"");
  }
  out += "}";
  return out;
}

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += "\"";
  return out;
}

// A field error as Kubernetes prints it: `<path>: Invalid value: <v>: <detail>`.
std::string InvalidError(std::string_view path, std::string_view value, std::string_view detail) {
  std::string out(path.empty() ? "<nil>" : path);
  out += ": Invalid value: ";
  out += value;
  out += ": ";
  out += detail;
  return out;
}

std::string KeyError(std::string_view key, std::string_view path) {
  std::vector<std::string> errs = validation::IsQualifiedName(key);
  if (errs.empty()) return "";
  return InvalidError(path, Quote(key), absl::StrJoin(errs, "; "));
}

bool ParseInt64(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  const char* begin = s.data();
  if (*begin == '+') {  // Go's ParseInt accepts a leading sign
    ++begin;
    if (begin != s.data() + s.size() && *begin == '-') return false;
  }
  auto [ptr, ec] = std::from_chars(begin, s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size() && begin != ptr;
}

// Joins several error messages the way Kubernetes' aggregate error does.
absl::Status Aggregate(const std::vector<std::string>& errs) {
  if (errs.size() == 1) return absl::InvalidArgumentError(errs[0]);
  return absl::InvalidArgumentError(absl::StrCat("[", absl::StrJoin(errs, ", "), "]"));
}

// ------------------------------------------------------------------ lexer

enum class Token {
  kError,
  kEnd,
  kClosedPar,
  kComma,
  kDoesNotExist,
  kDoubleEquals,
  kEquals,
  kGreaterThan,
  kIdentifier,
  kIn,
  kLessThan,
  kNotEquals,
  kNotIn,
  kOpenPar,
};

struct Item {
  Token tok;
  std::string literal;
};

bool IsWhitespace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool IsSpecial(char c) {
  return c == '=' || c == '!' || c == '(' || c == ')' || c == ',' || c == '>' || c == '<';
}

// Tokens made of special characters; the lexer takes the longest one.
bool SymbolToken(std::string_view s, Token* tok) {
  if (s == ")")
    *tok = Token::kClosedPar;
  else if (s == ",")
    *tok = Token::kComma;
  else if (s == "!")
    *tok = Token::kDoesNotExist;
  else if (s == "==")
    *tok = Token::kDoubleEquals;
  else if (s == "=")
    *tok = Token::kEquals;
  else if (s == ">")
    *tok = Token::kGreaterThan;
  else if (s == "<")
    *tok = Token::kLessThan;
  else if (s == "!=")
    *tok = Token::kNotEquals;
  else if (s == "(")
    *tok = Token::kOpenPar;
  else
    return false;
  return true;
}

std::vector<Item> Lex(std::string_view s) {
  std::vector<Item> items;
  size_t pos = 0;
  while (true) {
    while (pos < s.size() && IsWhitespace(s[pos])) ++pos;
    if (pos >= s.size()) {
      items.push_back({Token::kEnd, ""});
      return items;
    }
    if (IsSpecial(s[pos])) {
      // Grow the symbol while it still forms a known token; stop at the first
      // character that would break the longest valid match.
      std::string buf;
      Item last{Token::kError, ""};
      bool have = false;
      while (pos < s.size() && IsSpecial(s[pos])) {
        buf += s[pos];
        Token t;
        if (SymbolToken(buf, &t)) {
          last = {t, buf};
          have = true;
          ++pos;
        } else if (have) {
          break;
        } else {
          ++pos;
        }
      }
      if (!have) {
        items.push_back({Token::kError, absl::StrCat("error expected: keyword found '", buf, "'")});
      } else {
        items.push_back(std::move(last));
      }
      continue;
    }
    size_t start = pos;
    while (pos < s.size() && !IsSpecial(s[pos]) && !IsWhitespace(s[pos])) ++pos;
    std::string word(s.substr(start, pos - start));
    if (word == "in") {
      items.push_back({Token::kIn, word});
    } else if (word == "notin") {
      items.push_back({Token::kNotIn, word});
    } else {
      items.push_back({Token::kIdentifier, word});
    }
  }
}

// ------------------------------------------------------------------ parser

// In a value position `in` and `notin` are plain identifiers (`a in (in)`).
enum class Context { kKeyAndOperator, kValues };

class Parser {
 public:
  explicit Parser(std::string_view text) : items_(Lex(text)) {}

  absl::StatusOr<std::vector<LabelRequirement>> Parse() {
    std::vector<LabelRequirement> reqs;
    while (true) {
      auto [tok, lit] = Lookahead(Context::kValues);
      switch (tok) {
        case Token::kIdentifier:
        case Token::kDoesNotExist: {
          auto r = ParseRequirement();
          if (!r.ok()) {
            return absl::InvalidArgumentError(
                absl::StrCat("unable to parse requirement: ", r.status().message()));
          }
          reqs.push_back(*std::move(r));
          auto [t, l] = Consume(Context::kValues);
          if (t == Token::kEnd) return reqs;
          if (t == Token::kComma) {
            auto [t2, l2] = Lookahead(Context::kValues);
            if (t2 != Token::kIdentifier && t2 != Token::kDoesNotExist) {
              return absl::InvalidArgumentError(
                  absl::StrCat("found '", l2, "', expected: identifier after ','"));
            }
            break;
          }
          return absl::InvalidArgumentError(
              absl::StrCat("found '", l, "', expected: ',' or 'end of string'"));
        }
        case Token::kEnd:
          return reqs;
        default:
          return absl::InvalidArgumentError(
              absl::StrCat("found '", lit, "', expected: !, identifier, or 'end of string'"));
      }
    }
  }

 private:
  std::pair<Token, std::string> Lookahead(Context ctx) const {
    const Item& it = items_[pos_];
    return {Adjust(it.tok, ctx), it.literal};
  }
  std::pair<Token, std::string> Consume(Context ctx) {
    const Item& it = items_[pos_];
    if (pos_ + 1 < items_.size()) ++pos_;  // the last item is always kEnd
    return {Adjust(it.tok, ctx), it.literal};
  }
  static Token Adjust(Token t, Context ctx) {
    if (ctx == Context::kValues && (t == Token::kIn || t == Token::kNotIn)) {
      return Token::kIdentifier;
    }
    return t;
  }

  absl::StatusOr<LabelRequirement> ParseRequirement() {
    // Key, with `!` in front for DoesNotExist; a bare key is Exists.
    bool not_exists = false;
    auto [tok, key] = Consume(Context::kValues);
    if (tok == Token::kDoesNotExist) {
      not_exists = true;
      std::tie(tok, key) = Consume(Context::kValues);
    }
    if (tok != Token::kIdentifier) {
      return absl::InvalidArgumentError(absl::StrCat("found '", key, "', expected: identifier"));
    }
    if (std::string err = KeyError(key, ""); !err.empty()) {
      return absl::InvalidArgumentError(err);
    }
    // `!key` never takes an operator: whatever follows is left for the caller
    // (which then reports it), as Kubernetes' parser does.
    Token next = Lookahead(Context::kValues).first;
    if (not_exists) return LabelRequirement::Make(key, Op::kDoesNotExist, {});
    if (next == Token::kEnd || next == Token::kComma) {
      return LabelRequirement::Make(key, Op::kExists, {});
    }

    auto [op_tok, op_lit] = Consume(Context::kKeyAndOperator);
    Op op;
    switch (op_tok) {
      case Token::kIn:
        op = Op::kIn;
        break;
      case Token::kNotIn:
        op = Op::kNotIn;
        break;
      case Token::kEquals:
        op = Op::kEquals;
        break;
      case Token::kDoubleEquals:
        op = Op::kDoubleEquals;
        break;
      case Token::kNotEquals:
        op = Op::kNotEquals;
        break;
      case Token::kGreaterThan:
        op = Op::kGreaterThan;
        break;
      case Token::kLessThan:
        op = Op::kLessThan;
        break;
      default:
        return absl::InvalidArgumentError(
            absl::StrCat("found '", op_lit, "', expected: in, notin, =, ==, !=, gt, lt"));
    }

    std::vector<std::string> values;
    if (op == Op::kIn || op == Op::kNotIn) {
      auto v = ParseValues();
      if (!v.ok()) return v.status();
      values = *std::move(v);
    } else {
      auto v = ParseExactValue();
      if (!v.ok()) return v.status();
      values = *std::move(v);
    }
    return LabelRequirement::Make(key, op, std::move(values));
  }

  // `(x,y,z)`; empty entries are the empty string: `(,a)` has "" and "a".
  absl::StatusOr<std::vector<std::string>> ParseValues() {
    auto [tok, lit] = Consume(Context::kValues);
    if (tok != Token::kOpenPar) {
      return absl::InvalidArgumentError(absl::StrCat("found '", lit, "' expected: '('"));
    }
    std::tie(tok, lit) = Lookahead(Context::kValues);
    if (tok == Token::kClosedPar) {
      Consume(Context::kValues);
      return std::vector<std::string>{""};
    }
    if (tok != Token::kIdentifier && tok != Token::kComma) {
      return absl::InvalidArgumentError(
          absl::StrCat("found '", lit, "', expected: ',', ')' or identifier"));
    }
    std::vector<std::string> values;
    while (true) {
      auto [t, l] = Consume(Context::kValues);
      if (t == Token::kIdentifier) {
        values.push_back(l);
        auto [t2, l2] = Lookahead(Context::kValues);
        if (t2 == Token::kComma) continue;
        if (t2 == Token::kClosedPar) break;
        return absl::InvalidArgumentError(absl::StrCat("found '", l2, "', expected: ',' or ')'"));
      }
      if (t == Token::kComma) {
        if (values.empty()) values.push_back("");  // `(,`
        Token t2 = Lookahead(Context::kValues).first;
        if (t2 == Token::kClosedPar) {
          values.push_back("");  // `,)`
          break;
        }
        if (t2 == Token::kComma) values.push_back("");  // `,,`
        continue;
      }
      return absl::InvalidArgumentError(
          absl::StrCat("found '", l, "', expected: ',', or identifier"));
    }
    if (Consume(Context::kValues).first != Token::kClosedPar) {
      return absl::InvalidArgumentError(absl::StrCat("found '", lit, "', expected: ')'"));
    }
    return values;
  }

  absl::StatusOr<std::vector<std::string>> ParseExactValue() {
    Token t = Lookahead(Context::kValues).first;
    if (t == Token::kEnd || t == Token::kComma) return std::vector<std::string>{""};
    auto [tok, lit] = Consume(Context::kValues);
    if (tok == Token::kIdentifier) return std::vector<std::string>{lit};
    return absl::InvalidArgumentError(absl::StrCat("found '", lit, "', expected: identifier"));
  }

  std::vector<Item> items_;
  size_t pos_ = 0;
};

void SortByKey(std::vector<LabelRequirement>* reqs) {
  std::stable_sort(
      reqs->begin(), reqs->end(),
      [](const LabelRequirement& a, const LabelRequirement& b) { return a.key < b.key; });
}

}  // namespace

// ------------------------------------------------------------------ LabelRequirement

absl::StatusOr<LabelRequirement> LabelRequirement::Make(std::string key, Operator op,
                                                        std::vector<std::string> values) {
  std::vector<std::string> errs;
  if (std::string err = KeyError(key, "key"); !err.empty()) errs.push_back(std::move(err));
  switch (op) {
    case Op::kIn:
    case Op::kNotIn:
      if (values.empty()) {
        errs.push_back(InvalidError("values", GoStringSlice(values),
                                    "for 'in', 'notin' operators, values set can't be empty"));
      }
      break;
    case Op::kEquals:
    case Op::kDoubleEquals:
    case Op::kNotEquals:
      if (values.size() != 1) {
        errs.push_back(InvalidError("values", GoStringSlice(values),
                                    "exact-match compatibility requires one single value"));
      }
      break;
    case Op::kExists:
    case Op::kDoesNotExist:
      if (!values.empty()) {
        errs.push_back(InvalidError("values", GoStringSlice(values),
                                    "values set must be empty for exists and does not exist"));
      }
      break;
    case Op::kGreaterThan:
    case Op::kLessThan:
      if (values.size() != 1) {
        errs.push_back(InvalidError("values", GoStringSlice(values),
                                    "for 'Gt', 'Lt' operators, exactly one value is required"));
      }
      for (size_t i = 0; i < values.size(); ++i) {
        int64_t unused;
        if (!ParseInt64(values[i], &unused)) {
          errs.push_back(InvalidError(absl::StrCat("values[", i, "]"), Quote(values[i]),
                                      "for 'Gt', 'Lt' operators, the value must be an integer"));
        }
      }
      break;
  }
  for (size_t i = 0; i < values.size(); ++i) {
    std::vector<std::string> verrs = validation::IsValidLabelValue(values[i]);
    if (!verrs.empty()) {
      errs.push_back(InvalidError(absl::StrCat("values[", i, "][", key, "]"), Quote(values[i]),
                                  absl::StrJoin(verrs, "; ")));
    }
  }
  if (!errs.empty()) return Aggregate(errs);

  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  LabelRequirement r;
  r.key = std::move(key);
  r.op = op;
  r.values = std::move(values);
  return r;
}

bool LabelRequirement::MatchesValue(const std::string* value) const {
  auto has = [this](const std::string& v) {
    for (const std::string& x : values) {
      if (x == v) return true;
    }
    return false;
  };
  switch (op) {
    case Op::kIn:
    case Op::kEquals:
    case Op::kDoubleEquals:
      return value != nullptr && has(*value);
    case Op::kNotIn:
    case Op::kNotEquals:
      return value == nullptr || !has(*value);
    case Op::kExists:
      return value != nullptr;
    case Op::kDoesNotExist:
      return value == nullptr;
    case Op::kGreaterThan:
    case Op::kLessThan: {
      if (value == nullptr || values.size() != 1) return false;
      int64_t have, want;
      if (!ParseInt64(*value, &have) || !ParseInt64(values[0], &want)) return false;
      return op == Op::kGreaterThan ? have > want : have < want;
    }
  }
  return false;
}

std::string LabelRequirement::ToString() const {
  std::string out;
  if (op == Op::kDoesNotExist) out += "!";
  out += key;
  switch (op) {
    case Op::kEquals:
      out += "=";
      break;
    case Op::kDoubleEquals:
      out += "==";
      break;
    case Op::kNotEquals:
      out += "!=";
      break;
    case Op::kIn:
      out += " in (";
      break;
    case Op::kNotIn:
      out += " notin (";
      break;
    case Op::kGreaterThan:
      out += ">";
      break;
    case Op::kLessThan:
      out += "<";
      break;
    case Op::kExists:
    case Op::kDoesNotExist:
      return out;
  }
  out += absl::StrJoin(values, ",");
  if (op == Op::kIn || op == Op::kNotIn) out += ")";
  return out;
}

// ------------------------------------------------------------------ LabelSelector

LabelSelector LabelSelector::Nothing() {
  LabelSelector s;
  s.nothing_ = true;
  return s;
}

absl::StatusOr<LabelSelector> LabelSelector::Parse(std::string_view text) {
  Parser parser(text);
  auto reqs = parser.Parse();
  if (!reqs.ok()) return reqs.status();
  LabelSelector s;
  s.requirements_ = *std::move(reqs);
  SortByKey(&s.requirements_);
  return s;
}

absl::StatusOr<LabelSelector> LabelSelector::FromProto(
    const minik8s::meta::v1::LabelSelector& proto) {
  LabelSelector s;
  s.requirements_.reserve(proto.match_labels_size() + proto.match_expressions_size());
  for (const auto& [k, v] : proto.match_labels()) {
    auto r = LabelRequirement::Make(k, Op::kEquals, {v});
    if (!r.ok()) return r.status();
    s.requirements_.push_back(*std::move(r));
  }
  // match_labels is a hash map: order its part by key before the expressions
  // are appended, so the result does not depend on hash order.
  SortByKey(&s.requirements_);
  for (const auto& expr : proto.match_expressions()) {
    Op op;
    if (expr.operator_() == "In") {
      op = Op::kIn;
    } else if (expr.operator_() == "NotIn") {
      op = Op::kNotIn;
    } else if (expr.operator_() == "Exists") {
      op = Op::kExists;
    } else if (expr.operator_() == "DoesNotExist") {
      op = Op::kDoesNotExist;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(Quote(expr.operator_()), " is not a valid label selector operator"));
    }
    auto r = LabelRequirement::Make(
        expr.key(), op, std::vector<std::string>(expr.values().begin(), expr.values().end()));
    if (!r.ok()) return r.status();
    s.requirements_.push_back(*std::move(r));
  }
  SortByKey(&s.requirements_);
  return s;
}

absl::StatusOr<LabelSelector> LabelSelector::FromProtoOrNothing(
    const minik8s::meta::v1::LabelSelector* proto) {
  if (proto == nullptr) return Nothing();
  return FromProto(*proto);
}

void LabelSelector::Add(LabelRequirement requirement) {
  auto it = std::upper_bound(
      requirements_.begin(), requirements_.end(), requirement.key,
      [](const std::string& key, const LabelRequirement& r) { return key < r.key; });
  requirements_.insert(it, std::move(requirement));
}

bool LabelsEqual(const google::protobuf::Map<std::string, std::string>& a,
                 const google::protobuf::Map<std::string, std::string>& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [k, v] : a) {
    auto it = b.find(k);
    if (it == b.end() || it->second != v) return false;
  }
  return true;
}

bool LabelSelector::Matches(const google::protobuf::Map<std::string, std::string>& labels) const {
  return MatchesLookup([&labels](const std::string& key) -> const std::string* {
    auto it = labels.find(key);
    return it == labels.end() ? nullptr : &it->second;
  });
}

bool LabelSelector::Matches(const std::map<std::string, std::string>& labels) const {
  return MatchesLookup([&labels](const std::string& key) -> const std::string* {
    auto it = labels.find(key);
    return it == labels.end() ? nullptr : &it->second;
  });
}

bool LabelSelector::Matches(const absl::flat_hash_map<std::string, std::string>& labels) const {
  return MatchesLookup([&labels](const std::string& key) -> const std::string* {
    auto it = labels.find(key);
    return it == labels.end() ? nullptr : &it->second;
  });
}

bool LabelSelector::RequiresExactMatch(std::string_view key, std::string* value) const {
  for (const LabelRequirement& r : requirements_) {
    if (r.key != key) continue;
    if ((r.op == Op::kEquals || r.op == Op::kDoubleEquals || r.op == Op::kIn) &&
        r.values.size() == 1) {
      if (value != nullptr) *value = r.values[0];
      return true;
    }
    return false;
  }
  return false;
}

std::string LabelSelector::ToString() const {
  if (nothing_) return "";
  std::string out;
  for (size_t i = 0; i < requirements_.size(); ++i) {
    if (i > 0) out += ",";
    out += requirements_[i].ToString();
  }
  return out;
}

namespace {
template <typename MapT>
LabelSelector FromSet(const MapT& labels) {
  LabelSelector s;
  std::vector<std::pair<std::string, std::string>> sorted(labels.begin(), labels.end());
  std::sort(sorted.begin(), sorted.end());
  for (auto& [k, v] : sorted) {
    LabelRequirement r;
    r.key = k;
    r.op = Op::kEquals;
    r.values = {v};
    s.Add(std::move(r));
  }
  return s;
}
}  // namespace

LabelSelector SelectorFromSet(const std::map<std::string, std::string>& labels) {
  return FromSet(labels);
}

LabelSelector SelectorFromSet(const google::protobuf::Map<std::string, std::string>& labels) {
  return FromSet(labels);
}

}  // namespace minik8s::api
