// PortListeners: the sockets a simulated container answers on. When a
// container with declared TCP ports (container_ports.h) starts in a pod
// whose IP is a loopback address (127.0.0.0/8: minik8s' rootless network,
// cluster/README.md), the runtime opens podIP:containerPort for each port
// (SO_REUSEADDR); an nginx-like container answers HTTP (sim_http.h), any
// other echoes what it receives. When the container stops, exits or is
// removed, the runtime closes them: the listening sockets at once (new
// connections are refused), idle connections at once, an HTTP request in
// progress gets its answer (with `Connection: close`) first.
//
// A port that cannot be bound (taken by another process or container) is
// logged once as a warning and skipped; nothing else fails.
//
// Threading: one Boost.Asio io_context thread, started by the first Open, so
// a runtime whose pods are not on loopback (scale mode's 10.x addresses)
// never starts it. Open and Close are thread-safe and do not block: they
// queue the work for that thread in call order and return a future that is
// ready once it is done. Waiting on it must not hold a lock the access log
// callback takes. The access log callback runs on the io thread.
#ifndef MINIK8S_RUNTIME_PORT_LISTENERS_H_
#define MINIK8S_RUNTIME_PORT_LISTENERS_H_

#include <functional>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "runtime/sim_http.h"

namespace minik8s::runtime {

struct ListenerSpec {
  std::string container_id;
  std::string ip;          // the pod's IPv4 address
  std::vector<int> ports;  // TCP
  bool http = false;       // nginx-like: HTTP; otherwise echo
  HttpServerIdentity who;  // named in the HTTP page
};

class PortListeners {
 public:
  // One line of a container's nginx access log (no newline), for each HTTP
  // request answered.
  using AccessLog = std::function<void(const std::string& container_id, const std::string& line)>;

  // `access_log` may be empty.
  explicit PortListeners(AccessLog access_log);
  // Closes every socket and joins the io thread.
  ~PortListeners();
  PortListeners(const PortListeners&) = delete;
  PortListeners& operator=(const PortListeners&) = delete;

  // Starts answering on spec.ip:port for each port. A container already
  // open is closed first.
  std::shared_future<void> Open(ListenerSpec spec);
  // Stops answering for the container (see the top). No-op when it has
  // nothing open.
  std::shared_future<void> Close(const std::string& container_id);

  // The ports the container listens on now, ascending (tests, debugging).
  std::vector<int> ListeningPorts(const std::string& container_id);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace minik8s::runtime

#endif  // MINIK8S_RUNTIME_PORT_LISTENERS_H_
