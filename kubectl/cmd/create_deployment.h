// The Deployment `create deployment` builds: labels and selector app=NAME,
// one container per image named after the image (registry path, tag and
// digest removed, e.g. `registry.io/lib/nginx:1.25` → `nginx`).
//
// Thread safety: pure functions.
#ifndef MINIK8S_KUBECTL_CMD_CREATE_DEPLOYMENT_H_
#define MINIK8S_KUBECTL_CMD_CREATE_DEPLOYMENT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "k8s/apps/v1/apps.pb.h"

namespace minik8s::kubectl {

// `port` < 0: no container port.
absl::StatusOr<apps::v1::Deployment> BuildDeployment(const std::string& name,
                                                     const std::vector<std::string>& images,
                                                     int replicas, int port);

std::string ContainerNameForImage(const std::string& image);

}  // namespace minik8s::kubectl

#endif  // MINIK8S_KUBECTL_CMD_CREATE_DEPLOYMENT_H_
