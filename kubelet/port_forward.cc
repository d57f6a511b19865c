#include "kubelet/port_forward.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/net.h"
#include "kubelet/pod_worker.h"

namespace minik8s::kubelet {

namespace cri = ::minik8s::cri::v1;
namespace kv1 = ::minik8s::kubelet::v1;

namespace {

constexpr size_t kChunk = 64 * 1024;
// How often a thread blocked on a socket looks at the call's cancellation.
constexpr int kPollMillis = 200;

}  // namespace

absl::StatusOr<std::string> PodDialer::PodIp(const std::string& ns, const std::string& pod) {
  cri::ListPodSandboxRequest list;
  auto& sel = *list.mutable_filter()->mutable_label_selector();
  sel[kLabelPodNamespace] = ns;
  sel[kLabelPodName] = pod;
  auto resp = runtime_->ListPodSandbox(list);
  if (!resp.ok()) return resp.status();
  if (resp->items().empty()) {
    return absl::NotFoundError(absl::StrCat("pods \"", pod, "\" not found"));
  }
  // The newest ready sandbox (items are ordered by creation time).
  for (auto it = resp->items().rbegin(); it != resp->items().rend(); ++it) {
    if (it->state() != cri::SANDBOX_READY) continue;
    auto ip = it->annotations().find(kAnnotationPodIp);
    if (ip == it->annotations().end() || ip->second.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("pod \"", pod, "\" has no IP address to forward to"));
    }
    return ip->second;
  }
  return absl::FailedPreconditionError(
      absl::StrCat("unable to forward port because pod \"", pod, "\" is not running"));
}

absl::StatusOr<int> PodDialer::Dial(const std::string& ns, const std::string& pod, int port) {
  if (port <= 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("invalid port ", port));
  }
  absl::StatusOr<std::string> ip = PodIp(ns, pod);
  if (!ip.ok()) return ip.status();
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, ip->c_str(), &addr.sin_addr) != 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("pod \"", pod, "\" has an address that is not IPv4: ", *ip));
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::ResourceExhaustedError(absl::StrCat("socket: ", strerror(errno)));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int err = errno;
    close(fd);
    // Kubernetes' kubelet: `error forwarding port 80 to pod <sandbox>, uid :
    // ... dial tcp4 127.0.0.1:80: connect: connection refused`.
    return absl::UnavailableError(absl::StrCat(
        "error forwarding port ", port, " to pod ", ns, "/", pod, ": dial tcp4 ", *ip, ":", port,
        ": connect: ", err == ECONNREFUSED ? "connection refused" : strerror(err)));
  }
  return fd;
}

grpc::Status ServePortForward(
    PodDialer& dialer, grpc::ServerContext* context,
    grpc::ServerReaderWriter<kv1::PortForwardResponse, kv1::PortForwardRequest>* stream) {
  kv1::PortForwardRequest first;
  if (!stream->Read(&first)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no port-forward request");
  }
  absl::StatusOr<int> dialed = dialer.Dial(first.namespace_(), first.pod(), first.port());
  if (!dialed.ok()) return ToGrpcStatus(dialed.status());
  const int fd = *dialed;
  auto cancelled = [context] { return context->IsCancelled(); };

  // client -> pod. Ends when the client finishes writing (the pod's side is
  // then half-closed), the call is cancelled, or the pod stops accepting.
  std::thread up([&] {
    bool ok = SendAllUntil(fd, first.data(), cancelled, kPollMillis);
    kv1::PortForwardRequest req;
    while (ok && stream->Read(&req)) ok = SendAllUntil(fd, req.data(), cancelled, kPollMillis);
    // Either the client is done (its later reads fail fast) or the pod
    // refused more data: nothing more goes to the pod.
    shutdown(fd, SHUT_WR);
  });

  // pod -> client, on this thread.
  std::string buf(kChunk, '\0');
  bool pod_closed = false;
  while (!context->IsCancelled()) {
    pollfd p{fd, POLLIN, 0};
    int r = poll(&p, 1, kPollMillis);
    if (r < 0 && errno != EINTR) break;
    if (r <= 0) continue;
    ssize_t n = recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
    if (n <= 0) {
      pod_closed = true;
      break;
    }
    kv1::PortForwardResponse resp;
    resp.set_data(buf.data(), static_cast<size_t>(n));
    if (!stream->Write(resp)) break;
  }
  if (pod_closed) {
    kv1::PortForwardResponse resp;
    resp.set_closed(true);
    stream->Write(resp);
  } else {
    // The client went away (or the stream broke): stop the reader too.
    context->TryCancel();
  }
  // The reader ends when the client finishes writing or the call is
  // cancelled (a vanished client cancels it).
  up.join();
  close(fd);
  if (context->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
  return grpc::Status::OK;
}

}  // namespace minik8s::kubelet
