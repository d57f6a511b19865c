// TcpProxy: the data plane of minik8s-proxy, a userspace TCP proxy on
// Boost.Asio. It holds one listening socket per frontend (a cluster IP and
// port, or a node address and node port) and copies bytes between each
// accepted connection and one backend (an endpoint's ip:port).
//
//   - A frontend listens only while it has backends: Apply() with an empty
//     list (or without the frontend) closes its socket, so a client gets
//     "connection refused" at once (as kube-proxy's REJECT rule), never a
//     hang.
//   - Sockets are bound with SO_REUSEADDR and SO_REUSEPORT: every node's
//     proxy on one machine binds the same address and the kernel spreads new
//     connections between the processes that listen.
//   - Backends are picked round-robin. A connect that fails (refused, or no
//     answer within connect_timeout) moves on to the next backend, at most
//     max_connect_attempts tries (and never more than there are backends);
//     then the client connection is reset.
//   - Apply() changes which backends new connections go to at once; the
//     connections already made stay with their backend (as conntrack keeps
//     established flows).
//   - Each direction copies through one buffer of buffer_bytes (a slow
//     reader slows the writer: nothing queues without bound). An end-of-
//     stream from one side is passed on as a half-close (shutdown of the
//     write side) and the other direction goes on; the connection closes
//     when both directions have ended, on any error, or after idle_timeout
//     without a byte either way.
//   - A frontend that cannot be bound (e.g. a 10.96.x.y cluster IP that is
//     not a local address when not run as root) is logged once (warning) and
//     retried at each Apply(); the other frontends are not affected.
//
// Thread safety: Apply() and the accessors may be called from any thread
// (they run on the proxy's I/O thread and wait for it); all socket work
// happens on that one thread.
#ifndef MINIK8S_PROXY_TCP_PROXY_H_
#define MINIK8S_PROXY_TCP_PROXY_H_

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"

namespace minik8s::proxy {

struct HostPort {
  std::string ip;
  int32_t port = 0;

  std::string ToString() const;
  auto operator<=>(const HostPort&) const = default;
};

struct TcpProxyOptions {
  absl::Duration connect_timeout = absl::Seconds(1);
  absl::Duration idle_timeout = absl::Hours(1);
  int max_connect_attempts = 3;
  size_t buffer_bytes = 64 * 1024;
};

// Counts since start, for tests and metrics.
struct TcpProxyStats {
  int64_t accepted = 0;
  int64_t connect_failures = 0;  // attempts to a backend that failed
  int64_t dropped = 0;           // connections reset: no backend answered
  int64_t active = 0;            // connections open now
};

class TcpProxy {
 public:
  // frontend -> backends (in the order round-robin visits them).
  using Table = std::map<HostPort, std::vector<HostPort>>;

  // Starts the I/O thread.
  explicit TcpProxy(TcpProxyOptions options = {});
  // Closes every listener and connection and joins the thread.
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  // Makes `table` the whole set of frontends (see the file comment) and
  // returns once the sockets are opened and closed accordingly.
  void Apply(const Table& table);
  // The frontends listening now.
  std::vector<HostPort> Listening();
  // The frontends with backends that could not be bound, with the error.
  std::map<HostPort, std::string> BindFailures();
  TcpProxyStats Stats();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace minik8s::proxy

#endif  // MINIK8S_PROXY_TCP_PROXY_H_
