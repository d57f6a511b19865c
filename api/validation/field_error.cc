#include "api/validation/field_error.h"

#include <set>

#include "common/go_quote.h"

namespace minik8s::validation {

FieldPath FieldPath::Child(std::string_view name) const {
  FieldPath p;
  p.path_ = path_;
  if (!p.path_.empty()) p.path_ += '.';
  p.path_ += name;
  return p;
}

FieldPath FieldPath::Index(int64_t i) const {
  FieldPath p;
  p.path_ = path_ + "[" + std::to_string(i) + "]";
  return p;
}

FieldPath FieldPath::Key(std::string_view key) const {
  FieldPath p;
  p.path_ = path_ + "[";
  p.path_ += key;
  p.path_ += "]";
  return p;
}

std::string_view FieldError::TypeString(Type type) {
  switch (type) {
    case Type::kRequired:
      return "Required value";
    case Type::kInvalid:
      return "Invalid value";
    case Type::kNotSupported:
      return "Unsupported value";
    case Type::kDuplicate:
      return "Duplicate value";
    case Type::kForbidden:
      return "Forbidden";
    case Type::kTooLong:
      return "Too long";
    case Type::kTooMany:
      return "Too many";
    case Type::kNotFound:
      return "Not found";
  }
  return "";
}

std::string FieldError::ErrorBody() const {
  std::string s(TypeString(type));
  bool omit_value = type == Type::kRequired || type == Type::kForbidden || type == Type::kTooLong ||
                    (type == Type::kTooMany && bad_value.empty());
  if (!omit_value) {
    s += ": ";
    s += bad_value;
  }
  if (!detail.empty()) {
    s += ": ";
    s += detail;
  }
  return s;
}

std::string FieldError::ToString() const {
  return (field.empty() ? std::string("<nil>") : field) + ": " + ErrorBody();
}

std::string QuoteValue(std::string_view s) { return common::GoQuote(s); }

std::string PrintValue(int64_t v) { return std::to_string(v); }
std::string PrintBool(bool v) { return v ? "true" : "false"; }

std::string PrintStringSlice(const std::vector<std::string>& values) {
  std::string out = "[]string{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ", ";
    out += QuoteValue(values[i]);
  }
  return out + "}";
}

std::string PrintStringMap(const std::map<std::string, std::string>& m) {
  std::string out = "map[string]string{";
  bool first = true;
  for (const auto& [k, v] : m) {
    if (!first) out += ", ";
    first = false;
    out += QuoteValue(k) + ":" + QuoteValue(v);
  }
  return out + "}";
}

FieldError Required(const FieldPath& path, std::string_view detail) {
  return {FieldError::Type::kRequired, path.String(), "\"\"", std::string(detail)};
}

FieldError Invalid(const FieldPath& path, std::string_view value, std::string_view detail) {
  return {FieldError::Type::kInvalid, path.String(), QuoteValue(value), std::string(detail)};
}

FieldError Invalid(const FieldPath& path, int64_t value, std::string_view detail) {
  return {FieldError::Type::kInvalid, path.String(), PrintValue(value), std::string(detail)};
}

FieldError InvalidPrinted(const FieldPath& path, std::string_view printed_value,
                          std::string_view detail) {
  return {FieldError::Type::kInvalid, path.String(), std::string(printed_value),
          std::string(detail)};
}

FieldError NotSupported(const FieldPath& path, std::string_view value,
                        const std::vector<std::string>& valid_values) {
  std::string detail;
  if (!valid_values.empty()) {
    detail = "supported values: ";
    for (size_t i = 0; i < valid_values.size(); ++i) {
      if (i > 0) detail += ", ";
      detail += QuoteValue(valid_values[i]);
    }
  }
  return {FieldError::Type::kNotSupported, path.String(), QuoteValue(value), detail};
}

FieldError Duplicate(const FieldPath& path, std::string_view value) {
  return {FieldError::Type::kDuplicate, path.String(), QuoteValue(value), ""};
}

FieldError DuplicatePrinted(const FieldPath& path, std::string_view printed_value) {
  return {FieldError::Type::kDuplicate, path.String(), std::string(printed_value), ""};
}

FieldError Forbidden(const FieldPath& path, std::string_view detail) {
  return {FieldError::Type::kForbidden, path.String(), "\"\"", std::string(detail)};
}

FieldError TooLong(const FieldPath& path, int max_length) {
  return {FieldError::Type::kTooLong, path.String(), "",
          "must have at most " + std::to_string(max_length) + " bytes"};
}

FieldError TooMany(const FieldPath& path, int actual, int max) {
  std::string detail =
      max >= 0 ? "must have at most " + std::to_string(max) + " items" : "has too many items";
  return {FieldError::Type::kTooMany, path.String(), actual >= 0 ? PrintValue(actual) : "", detail};
}

FieldError NotFound(const FieldPath& path, std::string_view value) {
  return {FieldError::Type::kNotFound, path.String(), QuoteValue(value), ""};
}

std::string AggregateMessage(const FieldErrors& errs) {
  std::vector<std::string> msgs;
  std::set<std::string> seen;
  for (const FieldError& e : errs) {
    std::string m = e.ToString();
    if (seen.insert(m).second) msgs.push_back(std::move(m));
  }
  if (msgs.empty()) return "";
  if (msgs.size() == 1) return msgs[0];
  std::string out = "[";
  for (size_t i = 0; i < msgs.size(); ++i) {
    if (i > 0) out += ", ";
    out += msgs[i];
  }
  return out + "]";
}

std::string InvalidMessage(std::string_view kind_group, std::string_view name,
                           const FieldErrors& errs) {
  std::string out(kind_group);
  out += " ";
  out += QuoteValue(name);
  out += " is invalid";
  if (!errs.empty()) out += ": " + AggregateMessage(errs);
  return out;
}

absl::Status InvalidStatus(std::string_view kind_group, std::string_view name,
                           const FieldErrors& errs) {
  if (errs.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(InvalidMessage(kind_group, name, errs));
}

}  // namespace minik8s::validation
