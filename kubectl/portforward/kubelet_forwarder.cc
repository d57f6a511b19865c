#include "kubectl/portforward/kubelet_forwarder.h"

#include <arpa/inet.h>
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <list>
#include <memory>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/net.h"
#include "kubelet/v1/kubelet.grpc.pb.h"

namespace minik8s::kubectl {
namespace {

namespace kv1 = ::minik8s::kubelet::v1;

constexpr size_t kChunk = 64 * 1024;
// How often a blocked thread looks at Stop().
constexpr int kPollMillis = 200;

// A listening socket on address:port (port 0: the kernel picks); the bound
// port in *bound.
absl::StatusOr<int> Listen(const std::string& address, int port, int* bound) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, address.c_str(), &addr.sin_addr) != 1) {
    return absl::InvalidArgumentError(absl::StrCat(address, " is not a valid IP"));
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(strerror(errno));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd, 128) != 0) {
    const int err = errno;
    close(fd);
    return absl::UnavailableError(
        absl::StrCat("unable to create listener: Error listen tcp4 ", address, ":", port,
                     ": bind: ", err == EADDRINUSE ? "address already in use" : strerror(err)));
  }
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *bound = ntohs(addr.sin_port);
  return fd;
}

}  // namespace

void KubeletForwarder::Print(std::ostream& os, const std::string& line) {
  absl::MutexLock lock(&print_mu_);
  os << line << "\n";
  os.flush();
}

absl::Status KubeletForwarder::Run(const std::vector<std::string>& addresses,
                                   const std::vector<std::pair<int, int>>& ports) {
  struct Listener {
    int fd;
    int local;
    int remote;
  };
  std::vector<Listener> listeners;
  std::vector<std::string> failed;
  for (const auto& [local, remote] : ports) {
    int port = local;
    std::vector<std::string> errors;
    bool any = false;
    for (const std::string& address : addresses) {
      int bound = 0;
      absl::StatusOr<int> fd = Listen(address, port, &bound);
      if (!fd.ok()) {
        errors.emplace_back(fd.status().message());
        continue;
      }
      any = true;
      port = bound;  // the other addresses share the port picked first
      listeners.push_back({*fd, bound, remote});
      Print(out_, absl::StrCat("Forwarding from ", address, ":", bound, " -> ", remote));
    }
    if (!any) {
      Print(err_, absl::StrCat("Unable to listen on port ", local,
                               ": Listeners failed to create with the following errors: [",
                               absl::StrJoin(errors, " "), "]"));
      failed.push_back(absl::StrCat("{", local, " ", remote, "}"));
    }
  }
  if (listeners.empty()) {
    return absl::UnavailableError(absl::StrCat("unable to listen on any of the requested ports: [",
                                               absl::StrJoin(failed, " "), "]"));
  }

  struct Connection {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::list<Connection> connections;
  std::vector<pollfd> polled;
  for (const Listener& l : listeners) polled.push_back({l.fd, POLLIN, 0});
  while (!stop_) {
    // Reap the connections that ended.
    for (auto it = connections.begin(); it != connections.end();) {
      if (it->done->load()) {
        it->thread.join();
        it = connections.erase(it);
      } else {
        ++it;
      }
    }
    for (pollfd& p : polled) p.revents = 0;
    int r = poll(polled.data(), polled.size(), kPollMillis);
    if (r <= 0) continue;
    for (size_t i = 0; i < polled.size(); ++i) {
      if ((polled[i].revents & POLLIN) == 0) continue;
      int fd = accept4(polled[i].fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      Print(out_, absl::StrCat("Handling connection for ", listeners[i].local));
      auto done = std::make_shared<std::atomic<bool>>(false);
      const int local = listeners[i].local;
      const int remote = listeners[i].remote;
      connections.push_back({std::thread([this, fd, local, remote, done] {
                               Handle(fd, local, remote);
                               *done = true;
                             }),
                             done});
    }
  }
  for (const Listener& l : listeners) close(l.fd);
  for (Connection& c : connections) c.thread.join();
  return absl::OkStatus();
}

void KubeletForwarder::Handle(int fd, int local, int remote) {
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      MakeChannelCredentialsOrPlaintext(target_.tls);
  if (!credentials.ok()) {
    Print(err_, absl::StrCat("error: ", credentials.status().message()));
    close(fd);
    return;
  }
  auto channel = grpc::CreateChannel(target_.kubelet, *credentials);
  auto stub = kv1::Kubelet::NewStub(channel);
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReaderWriter<kv1::PortForwardRequest, kv1::PortForwardResponse>>
      stream = stub->PortForward(&context);
  std::atomic<bool> down_done{false};
  std::atomic<bool> we_cancelled{false};
  auto stopped = [this] { return stop_.load(); };

  // local -> pod. Ends at the local peer's EOF (kubectl then ends the
  // stream too), when the pod's side finished, or on Stop().
  std::thread up([&] {
    kv1::PortForwardRequest first;
    first.set_namespace_(target_.namespace_);
    first.set_pod(target_.pod);
    first.set_port(remote);
    bool ok = stream->Write(first);
    std::string buf(kChunk, '\0');
    while (ok && !stop_ && !down_done) {
      pollfd p{fd, POLLIN, 0};
      int r = poll(&p, 1, kPollMillis);
      if (r < 0 && errno != EINTR) break;
      if (r <= 0) continue;
      ssize_t n = recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
      if (n <= 0) break;
      kv1::PortForwardRequest req;
      req.set_data(buf.data(), static_cast<size_t>(n));
      ok = stream->Write(req);
    }
    stream->WritesDone();
    if (!down_done) {
      we_cancelled = true;
      context.TryCancel();
    }
  });

  // pod -> local, on this thread.
  kv1::PortForwardResponse resp;
  // Read to the end of the call (Finish may block otherwise): after
  // `closed` the kubelet ends it once the up thread has finished writing.
  while (stream->Read(&resp)) {
    if (!resp.data().empty() && !SendAllUntil(fd, resp.data(), stopped, kPollMillis)) {
      we_cancelled = true;
      context.TryCancel();
      continue;
    }
    if (resp.closed()) {
      // The pod closed its side: so does kubectl with the local connection.
      down_done = true;
      shutdown(fd, SHUT_RDWR);
    }
  }
  down_done = true;
  shutdown(fd, SHUT_RDWR);
  up.join();
  grpc::Status status = stream->Finish();
  close(fd);
  if (!status.ok() && !we_cancelled) {
    Print(err_, absl::StrCat("an error occurred forwarding ", local, " -> ", remote, ": ",
                             status.error_message()));
  }
}

}  // namespace minik8s::kubectl
