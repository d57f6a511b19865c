// The value of a container's resource as a resourceFieldRef names it
// (Kubernetes' resource.ExtractContainerResourceValue): the container's
// request or limit (`requests.cpu`, `limits.memory`, ...) divided by the
// divisor (default 1) and rounded up, CPU counted in thousandths (limits.cpu
// 500m with divisor 1m is "500", with divisor 1 it is "1"), memory and
// storage in bytes. An unset limit is `allocatable` (the node's amount;
// "" = unknown, then 0); an unset request is 0. The kubelet gives it to env
// vars and downwardAPI files; describe shows it.
//
// Pure; thread-safe.
#ifndef MINIK8S_API_RESOURCE_FIELD_H_
#define MINIK8S_API_RESOURCE_FIELD_H_

#include <string>

#include "absl/status/statusor.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::api {

absl::StatusOr<std::string> ContainerResourceValue(
    const minik8s::core::v1::Container& c, const minik8s::core::v1::ResourceFieldSelector& ref,
    const std::string& allocatable = "");

}  // namespace minik8s::api

#endif  // MINIK8S_API_RESOURCE_FIELD_H_
