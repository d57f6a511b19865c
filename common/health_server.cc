#include "common/health_server.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/metrics.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "grpcpp/server_posix.h"
#include "spdlog/spdlog.h"

namespace minik8s {
namespace {

// A connection that says nothing for this long is closed; a request that
// takes longer to arrive, or a response longer to leave, likewise.
constexpr absl::Duration kIoTimeout = absl::Seconds(10);
constexpr size_t kMaxRequestHead = 16 * 1024;
constexpr int kMaxConnections = 64;

// Waits until `fd` is ready for `events` or `wake_fd` fires; false on
// timeout, wake-up or error.
bool WaitFor(int fd, short events, int wake_fd, absl::Time deadline) {
  while (true) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    pollfd fds[2] = {{fd, events, 0}, {wake_fd, POLLIN, 0}};
    const int n = poll(fds, 2, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    if (fds[1].revents != 0) return false;
    return (fds[0].revents & (events | POLLHUP | POLLERR)) != 0;
  }
}

bool WriteAll(int fd, absl::string_view data, int wake_fd, absl::Time deadline) {
  while (!data.empty()) {
    const ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!WaitFor(fd, POLLOUT, wake_fd, deadline)) return false;
      continue;
    }
    return false;
  }
  return true;
}

std::string Response(int code, absl::string_view reason, absl::string_view content_type,
                     absl::string_view body, bool head) {
  std::string out =
      absl::StrCat("HTTP/1.1 ", code, " ", reason, "\r\nContent-Type: ", content_type,
                   "\r\nContent-Length: ", body.size(), "\r\nConnection: close\r\n\r\n");
  if (!head) absl::StrAppend(&out, body);
  return out;
}

// Splits "host:port" / "[v6]:port" for getaddrinfo.
absl::Status SplitHostPort(const std::string& address, std::string* host, std::string* port) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon + 1 == address.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("health address \"", address, "\" is not host:port"));
  }
  *host = address.substr(0, colon);
  *port = address.substr(colon + 1);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<HealthServer>> HealthServer::StartIfSet(const std::string& address,
                                                                       Options options) {
  if (address.empty()) return std::unique_ptr<HealthServer>();
  return Start(address, std::move(options));
}

HealthServer::HealthServer(Options options) : options_(std::move(options)) {
  if (!options_.metrics) {
    options_.metrics = [] { return metrics::Registry::Default().Expose(); };
  }
}

absl::StatusOr<std::unique_ptr<HealthServer>> HealthServer::Start(const std::string& address,
                                                                  Options options) {
  std::string host, port;
  if (absl::Status s = SplitHostPort(address, &host, &port); !s.ok()) return s;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &found);
      rc != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve the health endpoint on ", address, ": ", gai_strerror(rc)));
  }
  std::unique_ptr<HealthServer> health(new HealthServer(std::move(options)));
  int fd = socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  // SO_REUSEADDR only (never SO_REUSEPORT): a restarted daemon may rebind
  // at once, but a busy port is an error, not a port shared with another.
  bool ok = fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
            bind(fd, found->ai_addr, found->ai_addrlen) == 0 && listen(fd, 128) == 0;
  const int bind_errno = errno;
  freeaddrinfo(found);
  if (!ok) {
    if (fd >= 0) close(fd);
    return absl::UnavailableError(absl::StrCat("cannot serve the health endpoint on ", address,
                                               " (port in use?): ", strerror(bind_errno)));
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof(bound);
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  health->port_ =
      ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                        : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  health->listen_fd_ = fd;
  if (pipe2(health->wake_pipe_, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", strerror(errno)));
  }

  // The gRPC server listens on no port of its own: the accept loop hands
  // it the connections that speak HTTP/2.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.RegisterCallbackGenericService(&health->unimplemented_);
  health->server_ = builder.BuildAndStart();
  if (health->server_ == nullptr) return absl::InternalError("cannot start the gRPC server");
  health->SetServing(false);
  HealthServer* raw = health.get();
  health->accept_thread_ = std::thread([raw] { raw->AcceptLoop(); });
  return health;
}

HealthServer::~HealthServer() {
  SetServing(false);
  if (wake_pipe_[1] >= 0) {
    const char byte = 0;
    while (write(wake_pipe_[1], &byte, 1) < 0 && errno == EINTR) {
    }
  }
  if (accept_thread_.joinable()) accept_thread_.join();
  {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](int* n) { return *n == 0; }, &connections_));
  }
  if (server_ != nullptr) {
    if (grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService()) {
      health->Shutdown();
    }
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    server_->Wait();
  }
  if (listen_fd_ >= 0) close(listen_fd_);
  for (int fd : wake_pipe_) {
    if (fd >= 0) close(fd);
  }
}

void HealthServer::SetServing(bool serving) {
  serving_ = serving;
  if (server_ == nullptr) return;
  if (grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService()) {
    health->SetServingStatus(serving);
  }
}

void HealthServer::AcceptLoop() {
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    const int n = poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || fds[1].revents != 0) return;
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;  // the peer went away, or out of descriptors for now
    {
      absl::MutexLock lock(&mu_);
      if (connections_ >= kMaxConnections) {
        close(fd);
        continue;
      }
      ++connections_;
    }
    std::thread([this, fd] {
      HandleConnection(fd);
      absl::MutexLock lock(&mu_);
      --connections_;
    }).detach();
  }
}

void HealthServer::HandleConnection(int fd) {
  // Peek at the first three bytes: "PRI" (the HTTP/2 preface) or not.
  const absl::Time deadline = absl::Now() + kIoTimeout;
  constexpr absl::string_view kPreface = "PRI";
  char head[3];
  size_t got = 0;
  while (true) {
    if (!WaitFor(fd, POLLIN, wake_pipe_[0], deadline)) {
      close(fd);
      return;
    }
    const ssize_t n = recv(fd, head, sizeof(head), MSG_PEEK | MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      close(fd);
      return;
    }
    got = n < 0 ? 0 : static_cast<size_t>(n);
    if (got >= kPreface.size() || absl::string_view(head, got) != kPreface.substr(0, got)) break;
    absl::SleepFor(absl::Milliseconds(5));  // a partial preface: wait for the rest
  }
  if (absl::string_view(head, got) == kPreface) {
    grpc::AddInsecureChannelFromFd(server_.get(), fd);  // gRPC owns fd now
    return;
  }
  ServeHttp(fd);
  shutdown(fd, SHUT_WR);
  close(fd);
}

void HealthServer::ServeHttp(int fd) {
  const absl::Time deadline = absl::Now() + kIoTimeout;
  std::string request;
  size_t end = std::string::npos;
  while (end == std::string::npos) {
    if (request.size() > kMaxRequestHead) {
      WriteAll(fd,
               Response(431, "Request Header Fields Too Large", "text/plain", "too large\n", false),
               wake_pipe_[0], deadline);
      return;
    }
    if (!WaitFor(fd, POLLIN, wake_pipe_[0], deadline)) return;
    char buf[4096];
    const ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
    if (n <= 0) return;
    request.append(buf, static_cast<size_t>(n));
    end = request.find("\r\n\r\n");
    if (end == std::string::npos) end = request.find("\n\n");  // lenient, as Go is
  }
  // Request line: METHOD SP TARGET SP HTTP/1.x
  const absl::string_view line(request.data(), request.find_first_of("\r\n"));
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == absl::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == absl::string_view::npos || !absl::StartsWith(line.substr(sp2 + 1), "HTTP/1.")) {
    WriteAll(fd, Response(400, "Bad Request", "text/plain", "malformed request\n", false),
             wake_pipe_[0], deadline);
    return;
  }
  const absl::string_view method = line.substr(0, sp1);
  absl::string_view path = line.substr(sp1 + 1, sp2 - sp1 - 1);
  path = path.substr(0, path.find('?'));
  const bool head = method == "HEAD";
  std::string response;
  if (method != "GET" && !head) {
    response = Response(405, "Method Not Allowed", "text/plain", "only GET and HEAD\n", false);
  } else if (path == "/metrics") {
    response = Response(200, "OK", metrics::kTextContentType, options_.metrics(), head);
  } else if (path == "/healthz" || path == "/readyz") {
    response = serving_ ? Response(200, "OK", "text/plain; charset=utf-8", "ok", head)
                        : Response(503, "Service Unavailable", "text/plain; charset=utf-8",
                                   "not serving", head);
  } else if (path == "/livez") {
    response = Response(200, "OK", "text/plain; charset=utf-8", "ok", head);
  } else if (auto page = options_.json_pages.find(std::string(path));
             page != options_.json_pages.end()) {
    response = Response(200, "OK", "application/json", page->second(), head);
  } else {
    response =
        Response(404, "Not Found", "text/plain; charset=utf-8", "404 page not found\n", head);
  }
  WriteAll(fd, response, wake_pipe_[0], deadline);
}

}  // namespace minik8s
