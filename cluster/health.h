// Health probes the launcher runs against the daemons it starts. Each makes
// one call with a deadline and answers OK or the reason it is not healthy.
//
// Thread safety: the functions are safe from any thread.
#ifndef MINIK8S_CLUSTER_HEALTH_H_
#define MINIK8S_CLUSTER_HEALTH_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/clientset.h"
#include "common/tls.h"

namespace minik8s::cluster {

// etcd Maintenance.Status on a gRPC target ("127.0.0.1:2379"), in
// plaintext, or over TLS with `tls`'s CA and client certificate.
absl::Status CheckEtcd(const std::string& target, absl::Duration timeout,
                       const std::optional<TlsClientFiles>& tls = std::nullopt);

// grpc.health.v1.Health/Check for the server as a whole (service "") is
// SERVING. Target: "127.0.0.1:6443" or "unix:///path".
absl::Status CheckGrpcHealth(const std::string& target, absl::Duration timeout,
                             const std::optional<TlsClientFiles>& tls = std::nullopt);

// Every node in `names` exists and its Ready condition is True. On failure
// the message names the nodes that are not (yet) Ready.
absl::Status CheckNodesReady(const client::Clientset& clientset,
                             const std::vector<std::string>& names);

}  // namespace minik8s::cluster

#endif  // MINIK8S_CLUSTER_HEALTH_H_
