// The ConfigMap `create configmap NAME --from-literal=K=V --from-file=[K=]PATH`
// builds, as kubectl's: a literal is key=value; a file's key is its base
// name unless given; a folder adds each regular file in it under its base
// name; a value that is not UTF-8 goes to binaryData; a key given twice is an
// error naming it.
//
// Thread safety: reads files; no shared state.
#ifndef MINIK8S_KUBECTL_CMD_CREATE_CONFIGMAP_H_
#define MINIK8S_KUBECTL_CMD_CREATE_CONFIGMAP_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::kubectl {

absl::StatusOr<core::v1::ConfigMap> BuildConfigMap(const std::string& name,
                                                   const std::vector<std::string>& literals,
                                                   const std::vector<std::string>& files);

}  // namespace minik8s::kubectl

#endif  // MINIK8S_KUBECTL_CMD_CREATE_CONFIGMAP_H_
