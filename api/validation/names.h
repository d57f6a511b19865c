// Syntax checks for names, label keys and values, ports and other strings,
// with Kubernetes' exact messages (k8s.io/apimachinery/pkg/util/validation).
//
// Contract: each Is* function returns the list of problems with `value`; an
// empty list means valid. The messages are Kubernetes' own, e.g.
//   IsDNS1123Label("My") → {"a lowercase RFC 1123 label must consist of lower
//   case alphanumeric characters or '-', and must start and end with an
//   alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for
//   validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"}
// The checks are hand-written scanners equivalent to Kubernetes' regular
// expressions (no regex engine on the hot path).
//
// This file has no dependencies besides the standard library, so the selector
// library (which validates keys and values while parsing) links it too.
//
// Thread safety: all functions are pure.
#ifndef MINIK8S_API_VALIDATION_NAMES_H_
#define MINIK8S_API_VALIDATION_NAMES_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace minik8s::validation {

inline constexpr int kDNS1123LabelMaxLength = 63;
inline constexpr int kDNS1123SubdomainMaxLength = 253;
inline constexpr int kDNS1035LabelMaxLength = 63;
inline constexpr int kLabelValueMaxLength = 63;
inline constexpr int kQualifiedNameMaxLength = 63;

// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters.
std::vector<std::string> IsDNS1123Label(std::string_view value);
// Dot-separated DNS-1123 labels, at most 253 characters.
std::vector<std::string> IsDNS1123Subdomain(std::string_view value);
// `[a-z]([-a-z0-9]*[a-z0-9])?`, at most 63 characters.
std::vector<std::string> IsDNS1035Label(std::string_view value);
// A label key: `[prefix/]name`, prefix a DNS-1123 subdomain, name at most 63
// characters of `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`.
std::vector<std::string> IsQualifiedName(std::string_view value);
// Empty, or at most 63 characters like a qualified name's name part.
std::vector<std::string> IsValidLabelValue(std::string_view value);
// 1..65535.
std::vector<std::string> IsValidPortNum(int64_t port);
// An IANA service name: at most 15 of [-a-z0-9], one letter at least, no
// `--`, no leading or trailing `-`.
std::vector<std::string> IsValidPortName(std::string_view port);
std::vector<std::string> IsInRange(int64_t value, int64_t min, int64_t max);
// `[-._a-zA-Z][-._a-zA-Z0-9]*`, and not `.`, `..` or `..`-prefixed.
std::vector<std::string> IsEnvVarName(std::string_view value);
// `[-A-Za-z0-9]+`.
std::vector<std::string> IsHTTPHeaderName(std::string_view value);
// An IPv4 or IPv6 address, in the forms inet_pton(3) reads.
std::vector<std::string> IsValidIP(std::string_view value);

// Building blocks of the messages above, public for validators that use them.
std::string MaxLenError(int length);
std::string RegexError(std::string_view msg, std::string_view regex,
                       std::initializer_list<std::string_view> examples);
std::string EmptyError();
std::string InclusiveRangeError(int64_t lo, int64_t hi);

}  // namespace minik8s::validation

#endif  // MINIK8S_API_VALIDATION_NAMES_H_
