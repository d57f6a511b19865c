// Address helpers shared by daemons and tests.
#ifndef MINIK8S_COMMON_NET_H_
#define MINIK8S_COMMON_NET_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace minik8s {

// Turns an etcd-style URL ("http://127.0.0.1:2379", "unix:///run/x.sock") or a
// bare "host:port" into a gRPC target/listen address ("127.0.0.1:2379",
// "unix:///run/x.sock"). https is refused: use UrlToGrpcEndpoint where TLS is
// supported.
absl::StatusOr<std::string> UrlToGrpcAddress(const std::string& url);

// A gRPC address and whether it is reached over TLS.
struct GrpcEndpoint {
  std::string address;  // "127.0.0.1:2379", "unix:///run/x.sock"
  bool tls = false;
  bool operator==(const GrpcEndpoint&) const = default;
};

// As UrlToGrpcAddress, but https:// (and unixs:// for a unix socket) are
// accepted and marked TLS, as etcd reads its URLs; a bare host:port is
// plaintext.
absl::StatusOr<GrpcEndpoint> UrlToGrpcEndpoint(const std::string& url);

// Splits a comma-separated URL list into endpoints.
absl::StatusOr<std::vector<GrpcEndpoint>> UrlListToGrpcEndpoints(const std::string& urls);

// Splits a comma-separated URL list ("http://a:1,http://b:2") into addresses.
absl::StatusOr<std::vector<std::string>> UrlListToGrpcAddresses(const std::string& urls);

// Asks the kernel for a currently free TCP port on 127.0.0.1. The port is free
// when the call returns; another process may take it afterwards.
absl::StatusOr<int> PickFreeLoopbackPort();

// Sends all of `data` to the socket `fd` with non-blocking sends, waiting
// for room at most `poll_millis` at a time so that `stop` is looked at
// that often; false on a socket error or once `stop` returns true.
bool SendAllUntil(int fd, absl::string_view data, const std::function<bool()>& stop,
                  int poll_millis = 200);

}  // namespace minik8s

#endif  // MINIK8S_COMMON_NET_H_
