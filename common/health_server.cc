#include "common/health_server.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
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
// A gRPC connection over TLS holds one of those threads while it lasts: one
// that moves no byte either way for this long is closed, so idle clients
// cannot hold every slot (a client dials again when it needs to).
constexpr absl::Duration kRelayIdleTimeout = absl::Minutes(2);

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

// gRPC reads a descriptor it is handed until EAGAIN: a blocking one stalls
// the poller thread in that read until the peer sends again, so a client
// waits out its deadline for an answer already made.
bool MakeNonBlocking(int fd) {
  const int flags = fcntl(fd, F_GETFL);
  return flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

// Closes a connection after its answer: the write side first, then whatever
// the client still sends is read and dropped (for a second at most). Closing
// with unread bytes makes the kernel send a reset, which can destroy the
// answer before the client reads it (a 431 to an oversized request).
void LingeringClose(int fd, int wake_fd) {
  shutdown(fd, SHUT_WR);
  const absl::Time deadline = absl::Now() + absl::Seconds(1);
  size_t dropped = 0;
  char buf[4096];
  while (dropped < 1024 * 1024 && WaitFor(fd, POLLIN, wake_fd, deadline)) {
    const ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (n <= 0) break;  // the client closed too, or the connection broke
    dropped += static_cast<size_t>(n);
  }
  close(fd);
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

// Waits for what the last OpenSSL call on `ssl` asked for (more bytes to
// read, or room to write); false when it failed for good, on timeout or on
// wake-up.
bool WaitForSsl(SSL* ssl, int result, int fd, int wake_fd, absl::Time deadline) {
  switch (SSL_get_error(ssl, result)) {
    case SSL_ERROR_WANT_READ:
      return WaitFor(fd, POLLIN, wake_fd, deadline);
    case SSL_ERROR_WANT_WRITE:
      return WaitFor(fd, POLLOUT, wake_fd, deadline);
    default:
      return false;
  }
}

struct SslDeleter {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};

}  // namespace

// One connection's bytes, plaintext or TLS, read and written with the
// connection's deadline.
class HealthServer::Stream {
 public:
  Stream(int fd, SSL* ssl, int wake_fd, absl::Time deadline)
      : fd_(fd), ssl_(ssl), wake_fd_(wake_fd), deadline_(deadline) {}

  // Bytes read into `buf` (at most `size`); 0 at the end, on error or on
  // timeout.
  size_t Read(char* buf, size_t size) {
    while (true) {
      if (ssl_ != nullptr) {
        const int n = SSL_read(ssl_, buf, static_cast<int>(size));
        if (n > 0) return static_cast<size_t>(n);
        if (!WaitForSsl(ssl_, n, fd_, wake_fd_, deadline_)) return 0;
        continue;
      }
      if (!WaitFor(fd_, POLLIN, wake_fd_, deadline_)) return 0;
      const ssize_t n = recv(fd_, buf, size, MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
      return n <= 0 ? 0 : static_cast<size_t>(n);
    }
  }

  bool Write(absl::string_view data) {
    if (ssl_ == nullptr) return WriteAll(fd_, data, wake_fd_, deadline_);
    while (!data.empty()) {
      const int n = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
      if (n > 0) {
        data.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      if (!WaitForSsl(ssl_, n, fd_, wake_fd_, deadline_)) return false;
    }
    return true;
  }

 private:
  int fd_;
  SSL* ssl_;  // nullptr: plaintext
  int wake_fd_;
  absl::Time deadline_;
};

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
  SslCtxPtr ssl_ctx;
  if (options.tls.has_value()) {
    TlsServerFiles files = *options.tls;
    files.client_cert_auth = false;
    absl::StatusOr<SslCtxPtr> made = MakeServerSslContext(files);
    if (!made.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("health endpoint TLS: ", made.status().message()));
    }
    ssl_ctx = *std::move(made);
  }
  std::unique_ptr<HealthServer> health(new HealthServer(std::move(options)));
  health->ssl_ctx_ = std::move(ssl_ctx);
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
      // OpenSSL writes with plain write(): to a client that has gone, that
      // raises SIGPIPE. Blocked in this thread, the write fails with EPIPE
      // instead, and the pending signal ends with the thread (a process
      // that does not ignore SIGPIPE, a test's, is not killed).
      sigset_t pipe;
      sigemptyset(&pipe);
      sigaddset(&pipe, SIGPIPE);
      pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
      HandleConnection(fd);
      absl::MutexLock lock(&mu_);
      --connections_;
    }).detach();
  }
}

void HealthServer::HandleConnection(int fd) {
  if (ssl_ctx_ != nullptr) {
    HandleTlsConnection(fd);
    return;
  }
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
    if (!MakeNonBlocking(fd)) {
      close(fd);
      return;
    }
    grpc::AddInsecureChannelFromFd(server_.get(), fd);  // gRPC owns fd now
    return;
  }
  Stream stream(fd, nullptr, wake_pipe_[0], absl::Now() + kIoTimeout);
  ServeHttp(stream, /*authenticated=*/true);
  LingeringClose(fd, wake_pipe_[0]);
}

void HealthServer::HandleTlsConnection(int fd) {
  const absl::Time deadline = absl::Now() + kIoTimeout;
  // The first byte: 0x16 opens a TLS handshake; a capital letter, a
  // plaintext HTTP request (answered as Go's servers answer it).
  char first = 0;
  while (true) {
    if (!WaitFor(fd, POLLIN, wake_pipe_[0], deadline)) {
      close(fd);
      return;
    }
    const ssize_t n = recv(fd, &first, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 1) break;
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      close(fd);
      return;
    }
  }
  constexpr char kHandshakeRecord = 0x16;
  if (first != kHandshakeRecord) {
    if (first >= 'A' && first <= 'Z' && first != 'P') {
      WriteAll(fd,
               "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS "
               "server.\n",
               wake_pipe_[0], deadline);
      shutdown(fd, SHUT_WR);
    }
    close(fd);
    return;
  }
  std::unique_ptr<SSL, SslDeleter> ssl(SSL_new(ssl_ctx_.get()));
  if (!MakeNonBlocking(fd) || ssl == nullptr || SSL_set_fd(ssl.get(), fd) != 1) {
    close(fd);
    return;
  }
  while (true) {
    const int rc = SSL_accept(ssl.get());
    if (rc == 1) break;
    if (!WaitForSsl(ssl.get(), rc, fd, wake_pipe_[0], deadline)) {
      // An unknown client certificate ends here, in the handshake.
      char reason[256] = "closed or timed out";
      if (const unsigned long code = ERR_get_error(); code != 0) {  // NOLINT(runtime/int)
        ERR_error_string_n(code, reason, sizeof(reason));
      }
      ERR_clear_error();
      spdlog::debug("health: TLS handshake failed: {}", reason);
      close(fd);
      return;
    }
  }
  const unsigned char* alpn = nullptr;
  unsigned int alpn_len = 0;
  SSL_get0_alpn_selected(ssl.get(), &alpn, &alpn_len);
  if (absl::string_view(reinterpret_cast<const char*>(alpn), alpn_len) == "h2") {
    RelayToGrpc(ssl.get(), fd);
    ssl.reset();
    close(fd);
    return;
  }
  const bool authenticated =
      options_.tls->trusted_ca_file.empty() || PeerCertificateVerified(ssl.get());
  Stream stream(fd, ssl.get(), wake_pipe_[0], deadline);
  ServeHttp(stream, authenticated);
  SSL_shutdown(ssl.get());  // close_notify, best effort
  ssl.reset();
  LingeringClose(fd, wake_pipe_[0]);
}

void HealthServer::RelayToGrpc(SSL* ssl, int fd) {
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair) != 0) {
    spdlog::warn("health: socketpair: {}", strerror(errno));
    return;
  }
  grpc::AddInsecureChannelFromFd(server_.get(), pair[1]);  // gRPC owns pair[1] now
  const int local = pair[0];
  constexpr size_t kBuffer = 64 * 1024;
  std::string up;    // read from the client, not yet written to gRPC
  std::string down;  // read from gRPC, not yet written to the client
  char buf[16 * 1024];
  bool open = true;
  while (open) {
    bool progress = false;
    short tls_events = 0;
    short local_events = 0;
    auto want = [&](int result) {
      switch (SSL_get_error(ssl, result)) {
        case SSL_ERROR_WANT_READ:
          tls_events |= POLLIN;
          return true;
        case SSL_ERROR_WANT_WRITE:
          tls_events |= POLLOUT;
          return true;
        default:
          return false;  // closed by the client, or broken
      }
    };
    if (up.size() < kBuffer) {
      const int n = SSL_read(ssl, buf, sizeof(buf));
      if (n > 0) {
        up.append(buf, static_cast<size_t>(n));
        progress = true;
      } else if (!want(n)) {
        open = false;
      }
    }
    if (open && !up.empty()) {
      const ssize_t n = send(local, up.data(), up.size(), MSG_NOSIGNAL);
      if (n > 0) {
        up.erase(0, static_cast<size_t>(n));
        progress = true;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        local_events |= POLLOUT;
      } else if (n < 0 && errno != EINTR) {
        open = false;
      }
    }
    if (open && down.size() < kBuffer) {
      const ssize_t n = recv(local, buf, sizeof(buf), 0);
      if (n > 0) {
        down.append(buf, static_cast<size_t>(n));
        progress = true;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        local_events |= POLLIN;
      } else {
        open = false;  // gRPC closed the connection
      }
    }
    if (open && !down.empty()) {
      const int n = SSL_write(ssl, down.data(), static_cast<int>(down.size()));
      if (n > 0) {
        down.erase(0, static_cast<size_t>(n));
        progress = true;
      } else if (!want(n)) {
        open = false;
      }
    }
    if (!open || progress) continue;
    pollfd fds[3] = {{fd, tls_events, 0}, {local, local_events, 0}, {wake_pipe_[0], POLLIN, 0}};
    const int n = poll(fds, 3, static_cast<int>(absl::ToInt64Milliseconds(kRelayIdleTimeout)));
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) {
      spdlog::debug("health: closing a gRPC connection idle for {}",
                    absl::FormatDuration(kRelayIdleTimeout));
      break;
    }
    if (n < 0 || fds[2].revents != 0) break;
    // A hang-up or error shows in the next read or write.
  }
  close(local);
}

void HealthServer::ServeHttp(Stream& stream, bool authenticated) {
  std::string request;
  size_t end = std::string::npos;
  while (end == std::string::npos) {
    if (request.size() > kMaxRequestHead) {
      stream.Write(
          Response(431, "Request Header Fields Too Large", "text/plain", "too large\n", false));
      return;
    }
    char buf[4096];
    const size_t n = stream.Read(buf, sizeof(buf));
    if (n == 0) return;
    request.append(buf, n);
    end = request.find("\r\n\r\n");
    if (end == std::string::npos) end = request.find("\n\n");  // lenient, as Go is
  }
  // Request line: METHOD SP TARGET SP HTTP/1.x
  const absl::string_view line(request.data(), request.find_first_of("\r\n"));
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == absl::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == absl::string_view::npos || !absl::StartsWith(line.substr(sp2 + 1), "HTTP/1.")) {
    stream.Write(Response(400, "Bad Request", "text/plain", "malformed request\n", false));
    return;
  }
  const absl::string_view method = line.substr(0, sp1);
  absl::string_view path = line.substr(sp1 + 1, sp2 - sp1 - 1);
  path = path.substr(0, path.find('?'));
  const bool head = method == "HEAD";
  const bool health_path = path == "/healthz" || path == "/readyz" || path == "/livez";
  std::string response;
  if (method != "GET" && !head) {
    response = Response(405, "Method Not Allowed", "text/plain", "only GET and HEAD\n", false);
  } else if (!authenticated && !health_path) {
    // Health is for anyone; the metrics and pages for clients the cluster
    // CA vouches for.
    response = Response(401, "Unauthorized", "text/plain; charset=utf-8",
                        "Unauthorized: a client certificate signed by the cluster CA is "
                        "required\n",
                        head);
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
  stream.Write(response);
}

}  // namespace minik8s
