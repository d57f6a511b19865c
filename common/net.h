// Address helpers shared by daemons and tests.
#ifndef MINIK8S_COMMON_NET_H_
#define MINIK8S_COMMON_NET_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace minik8s {

// Turns an etcd-style URL ("http://127.0.0.1:2379", "unix:///run/x.sock") or a
// bare "host:port" into a gRPC target/listen address ("127.0.0.1:2379",
// "unix:///run/x.sock"). https is refused: minik8s serves plaintext only.
absl::StatusOr<std::string> UrlToGrpcAddress(const std::string& url);

// Splits a comma-separated URL list ("http://a:1,http://b:2") into addresses.
absl::StatusOr<std::vector<std::string>> UrlListToGrpcAddresses(const std::string& urls);

// Asks the kernel for a currently free TCP port on 127.0.0.1. The port is free
// when the call returns; another process may take it afterwards.
absl::StatusOr<int> PickFreeLoopbackPort();

}  // namespace minik8s

#endif  // MINIK8S_COMMON_NET_H_
