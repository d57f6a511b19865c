// The local half of `mkctl port-forward`: listens on local addresses and
// carries each accepted connection over its own
// `minik8s.kubelet.v1.Kubelet/PortForward` stream to the kubelet of the
// pod's node, as kubectl carries them over the apiserver's pods/portforward
// (minik8s' gRPC apiserver has no such proxy, so mkctl dials the kubelet
// itself, as `mkctl logs` does).
//
// Per connection: a thread copies local -> kubelet, another kubelet ->
// local, one 64 KiB buffer each way. When the pod closes its side the local
// connection is closed; when the local peer closes, the stream is ended.
// An error on one connection (a refused port) is printed and the others go
// on, as kubectl does.
//
// Thread safety: Run is called once; Stop may be called from any thread.
#ifndef MINIK8S_KUBECTL_PORTFORWARD_KUBELET_FORWARDER_H_
#define MINIK8S_KUBECTL_PORTFORWARD_KUBELET_FORWARDER_H_

#include <atomic>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/tls.h"

namespace minik8s::kubectl {

struct ForwardTarget {
  std::string kubelet;  // HOST:PORT of the node's kubelet API
  std::string namespace_;
  std::string pod;
  // TLS to the kubelet (its CA, the client certificate); nullopt: plaintext.
  std::optional<TlsClientFiles> tls;
};

class KubeletForwarder {
 public:
  // `out` and `err` are borrowed and must outlive Run.
  KubeletForwarder(ForwardTarget target, std::ostream& out, std::ostream& err)
      : target_(std::move(target)), out_(out), err_(err) {}

  // Binds every (address, local port) pair (local 0: a free port), prints
  // `Forwarding from ADDR:LOCAL -> REMOTE` for each, then serves until
  // Stop(). Fails with kubectl's `Unable to listen on port N: ...` when a
  // port cannot be bound on any address.
  absl::Status Run(const std::vector<std::string>& addresses,
                   const std::vector<std::pair<int, int>>& ports);

  // Ends Run: closes the listeners and every open connection's stream.
  void Stop() { stop_ = true; }

 private:
  void Handle(int fd, int local, int remote);
  void Print(std::ostream& os, const std::string& line);

  const ForwardTarget target_;
  std::ostream& out_;
  std::ostream& err_;
  std::atomic<bool> stop_{false};
  absl::Mutex print_mu_;
};

}  // namespace minik8s::kubectl

#endif  // MINIK8S_KUBECTL_PORTFORWARD_KUBELET_FORWARDER_H_
