// `mkctl expose TYPE NAME ...`: the Service kubectl expose builds for a Pod,
// Deployment, ReplicaSet or Service, without a server. As kubectl v1.32:
//   selector  --selector, else the object's (a Deployment's or ReplicaSet's
//             spec.selector.matchLabels, a Pod's labels, a Service's selector)
//   ports     --port (`80` or `80,443`), else every container port (a
//             Service's ports); several ports are named port-1, port-2, ...
//   targetPort --target-port (a number or a port name) for every port, else
//             the port itself
//   protocol  --protocol, else the introspected port's protocol, else TCP
//   labels    --labels, else the object's labels
//   name      --name, else the object's name (cut to 63 characters)
//
// Thread safety: pure functions.
#ifndef MINIK8S_KUBECTL_CMD_EXPOSE_H_
#define MINIK8S_KUBECTL_CMD_EXPOSE_H_

#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::kubectl {

struct ExposeOptions {
  std::string name;
  std::string port;
  std::string target_port;
  std::string type;
  std::string protocol;
  std::string selector;
  std::string labels;
  std::string cluster_ip;
};

// `object` is a core::v1::Pod, core::v1::Service, apps::v1::Deployment or
// apps::v1::ReplicaSet; InvalidArgument `cannot expose a <Kind>` for
// anything else, and kubectl's messages (`couldn't find port via --port flag
// or introspection`, `couldn't retrieve selectors via --selector flag or
// introspection: ...`) when the object does not tell.
absl::StatusOr<core::v1::Service> BuildExposeService(const google::protobuf::Message& object,
                                                     const ExposeOptions& options);

}  // namespace minik8s::kubectl

#endif  // MINIK8S_KUBECTL_CMD_EXPOSE_H_
