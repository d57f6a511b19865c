// How YAML plain (unquoted) scalars are read and when strings must be quoted.
//
// Kubernetes turns YAML into JSON before decoding, so `replicas: "3"` is a
// string and `value: 3` is a number. The codec follows the same rules: a
// quoted scalar is always a string; a plain scalar is null, a boolean, a
// number or a string by its text (YAML 1.2 core schema). When writing YAML,
// a string that a YAML 1.1 or 1.2 reader could take for anything else
// (`"3"`, `"true"`, `"yes"`, `"1.5"`, `""`, `"2024-01-01"`) is double-quoted.
//
// Thread safety: all functions are pure.
#ifndef MINIK8S_API_YAML_SCALAR_H_
#define MINIK8S_API_YAML_SCALAR_H_

#include <string>
#include <string_view>

namespace minik8s::api {

enum class ScalarKind { kNull, kBool, kInteger, kFloat, kString };

// Resolves a plain scalar: null (``, `~`, `null`), bool (`true`/`false` in
// any of the cases True/TRUE), integer (`[-+]?[0-9]+`, and the octal, hex
// and binary forms below), float (decimal with `.` or exponent, `.inf`,
// `.nan`), otherwise string.
ScalarKind ResolvePlainScalar(std::string_view text);

// The decimal text of an integer scalar, as Kubernetes' YAML reader (Go's
// strconv.ParseInt with base 0) reads it: `0644` and `0o644` are octal
// (420: the usual `defaultMode: 0644`), `0x1a4` hex, `0b1` binary, each with
// an optional sign; a decimal integer comes back as it is. Other text, or
// a value outside int64/uint64, comes back unchanged (the caller's range
// check then refuses it).
std::string IntegerText(std::string_view text);

// "null", "boolean", "number" or "string" for messages.
const char* ScalarKindName(ScalarKind kind);

// True when `s` must be quoted to be read back as the same string.
bool YamlNeedsQuotes(std::string_view s);

// `s` as a JSON string literal (also a valid YAML double-quoted scalar).
std::string JsonQuote(std::string_view s);

// True when `s` is valid UTF-8.
bool IsValidUtf8(std::string_view s);

// `s` with every byte that does not start a valid UTF-8 sequence replaced
// by U+FFFD, as Go does when it encodes a string to JSON: for messages that
// quote client input and must go into proto3 `string` fields.
std::string ToValidUtf8(std::string_view s);

}  // namespace minik8s::api

#endif  // MINIK8S_API_YAML_SCALAR_H_
