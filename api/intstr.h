// Helpers for meta/v1 IntOrString (`maxSurge: 25%`, `port: 8080`,
// `port: http`).
//
// Thread safety: all functions are pure.
#ifndef MINIK8S_API_INTSTR_H_
#define MINIK8S_API_INTSTR_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "k8s/meta/v1/meta.pb.h"

namespace minik8s::api {

minik8s::meta::v1::IntOrString IntOrStringFromInt(int32_t value);
minik8s::meta::v1::IntOrString IntOrStringFromString(std::string_view value);

// True when the string form is set (an unset IntOrString is int 0).
bool IsString(const minik8s::meta::v1::IntOrString& v);

// `25%` or `1` as Kubernetes prints it.
std::string IntOrStringToString(const minik8s::meta::v1::IntOrString& v);

// Resolves an absolute number or a percentage of `total`, as Kubernetes'
// intstr.GetScaledValueFromIntOrPercent: an int is returned as is; a string
// must be `<int>%` and gives total*percent/100 rounded up (round_up) or down.
// Errors (InvalidArgument): null value → "nil value for IntOrString";
// a string without `%` → "invalid value for IntOrString: invalid type: string
// is not a percentage"; a bad number → "invalid value for IntOrString:
// invalid value \"x%\": ...".
absl::StatusOr<int> GetScaledValueFromIntOrPercent(const minik8s::meta::v1::IntOrString* v,
                                                   int total, bool round_up);

}  // namespace minik8s::api

#endif  // MINIK8S_API_INTSTR_H_
