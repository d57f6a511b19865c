#include "api/yaml_scalar.h"

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <string>

namespace minik8s::api {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool OneOf(std::string_view s, std::initializer_list<std::string_view> options) {
  for (std::string_view o : options) {
    if (s == o) return true;
  }
  return false;
}

// [-+]?[0-9]+
bool IsDecimalInteger(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  if (i == s.size()) return false;
  for (; i < s.size(); ++i) {
    if (!IsDigit(s[i])) return false;
  }
  return true;
}

// The base and digits of an octal (`0[0-7]+`, `0o[0-7]+`), hex (`0x...`)
// or binary (`0b...`) integer without its sign; base 0 for other text.
int NonDecimalBase(std::string_view body, std::string_view* digits) {
  if (body.size() < 2 || body[0] != '0') return 0;
  int base = 8;
  std::string_view rest = body.substr(1);
  if (rest[0] == 'o' || rest[0] == 'O') {
    rest.remove_prefix(1);
  } else if (rest[0] == 'x' || rest[0] == 'X') {
    base = 16;
    rest.remove_prefix(1);
  } else if (rest[0] == 'b' || rest[0] == 'B') {
    base = 2;
    rest.remove_prefix(1);
  }
  if (rest.empty()) return 0;
  for (char c : rest) {
    const bool ok = base == 16 ? (IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
                               : (c >= '0' && c < '0' + base);
    if (!ok) return 0;
  }
  *digits = rest;
  return base;
}

bool IsNonDecimalInteger(std::string_view s) {
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
  std::string_view digits;
  return NonDecimalBase(s, &digits) != 0;
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?, or .inf/.nan forms.
bool IsFloat(std::string_view s) {
  std::string_view body = s;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) body.remove_prefix(1);
  if (OneOf(body, {".inf", ".Inf", ".INF"})) return true;
  if (OneOf(s, {".nan", ".NaN", ".NAN"})) return true;
  size_t i = 0;
  size_t int_digits = 0, frac_digits = 0;
  while (i < body.size() && IsDigit(body[i])) ++i, ++int_digits;
  if (i < body.size() && body[i] == '.') {
    ++i;
    while (i < body.size() && IsDigit(body[i])) ++i, ++frac_digits;
  }
  if (int_digits + frac_digits == 0) return false;
  if (i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
    ++i;
    if (i < body.size() && (body[i] == '+' || body[i] == '-')) ++i;
    size_t exp_digits = 0;
    while (i < body.size() && IsDigit(body[i])) ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  return i == body.size();
}

// Forms that only YAML 1.1 readers (go-yaml v2, PyYAML) treat as non-strings:
// yes/no/on/off/y/n, 0x/0o/0b integers, `_` digit separators, sexagesimal
// numbers, timestamps, `<<` and `=`.
bool LooksNonStringToYaml11(std::string_view s) {
  static constexpr std::string_view kWords[] = {"y",  "Y",   "yes", "Yes", "YES", "n",
                                                "N",  "no",  "No",  "NO",  "on",  "On",
                                                "ON", "off", "Off", "OFF", "<<",  "="};
  for (std::string_view w : kWords) {
    if (s == w) return true;
  }
  std::string_view body = s;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) body.remove_prefix(1);
  if (body.empty()) return false;
  if (!IsDigit(body[0]) && body[0] != '.') return false;
  // Anything made only of number-ish characters is quoted to be safe; this
  // covers 0x1F, 0o17, 1_000, 1:30, 1e3, 2024-01-01 and friends. Strings
  // with letters (e.g. `500m`, `1.14.2-alpine`) stay plain unless they are
  // hex/octal/binary literals.
  if (body.size() > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'o' || body[1] == 'b')) {
    return true;
  }
  int dot_count = 0;
  for (char c : body) {
    if (c == '.') ++dot_count;
    if (!(IsDigit(c) || c == '.' || c == '_' || c == ':' || c == '-' || c == '+' || c == 'e' ||
          c == 'E' || c == 'T' || c == 't' || c == 'Z' || c == ' ')) {
      return false;
    }
  }
  // Version-like strings with several dots and only digits ("1.14.2") are
  // never numbers in either YAML version.
  if (dot_count >= 2) {
    for (char c : body) {
      if (!(IsDigit(c) || c == '.')) return true;
    }
    return false;
  }
  return true;
}

}  // namespace

ScalarKind ResolvePlainScalar(std::string_view text) {
  if (OneOf(text, {"", "~", "null", "Null", "NULL"})) return ScalarKind::kNull;
  if (OneOf(text, {"true", "True", "TRUE", "false", "False", "FALSE"})) return ScalarKind::kBool;
  if (IsDecimalInteger(text) || IsNonDecimalInteger(text)) return ScalarKind::kInteger;
  if (IsFloat(text)) return ScalarKind::kFloat;
  return ScalarKind::kString;
}

std::string IntegerText(std::string_view text) {
  std::string_view body = text;
  const bool negative = !body.empty() && body[0] == '-';
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) body.remove_prefix(1);
  std::string_view digits;
  const int base = NonDecimalBase(body, &digits);
  if (base == 0) return std::string(text);
  uint64_t value = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
  if (error != std::errc() || end != digits.data() + digits.size()) return std::string(text);
  if (!negative) return std::to_string(value);
  if (value > uint64_t{1} << 63) return std::string(text);
  return value == 0 ? "0" : "-" + std::to_string(value);
}

const char* ScalarKindName(ScalarKind kind) {
  switch (kind) {
    case ScalarKind::kNull:
      return "null";
    case ScalarKind::kBool:
      return "boolean";
    case ScalarKind::kInteger:
    case ScalarKind::kFloat:
      return "number";
    case ScalarKind::kString:
      return "string";
  }
  return "string";
}

bool YamlNeedsQuotes(std::string_view s) {
  if (s.empty()) return true;
  if (ResolvePlainScalar(s) != ScalarKind::kString) return true;
  if (LooksNonStringToYaml11(s)) return true;
  static constexpr std::string_view kIndicators = "-?:,[]{}#&*!|>'\"%@`";
  if (kIndicators.find(s[0]) != std::string_view::npos) return true;
  if (s.front() == ' ' || s.back() == ' ' || s.back() == ':') return true;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return true;
    if (c == ':' && i + 1 < s.size() && s[i + 1] == ' ') return true;
    if (c == '#' && i > 0 && s[i - 1] == ' ') return true;
  }
  return false;
}

std::string JsonQuote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
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
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
  return out;
}

namespace {

// The length of the valid UTF-8 sequence starting at s[i], or 0 when the
// bytes there are not one (a stray continuation byte, a truncated sequence,
// an overlong form, a surrogate or a code point past U+10FFFF).
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  int extra;
  uint32_t cp;
  if (c < 0x80) {
    return 1;
  } else if ((c & 0xE0) == 0xC0) {
    extra = 1;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    extra = 2;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    extra = 3;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + extra >= s.size()) return 0;
  for (int k = 1; k <= extra; ++k) {
    const unsigned char cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3F);
  }
  if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) ||
      (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
    return 0;
  }
  return static_cast<size_t>(extra) + 1;
}

}  // namespace

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t n = Utf8SequenceLength(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string ToValidUtf8(std::string_view s) {
  if (IsValidUtf8(s)) return std::string(s);
  std::string out;
  out.reserve(s.size() + 16);
  for (size_t i = 0; i < s.size();) {
    const size_t n = Utf8SequenceLength(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      ++i;
      continue;
    }
    out.append(s.substr(i, n));
    i += n;
  }
  return out;
}

}  // namespace minik8s::api
