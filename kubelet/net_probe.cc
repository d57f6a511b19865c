#include "kubelet/net_probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace minik8s::kubelet {

namespace {

// What probes send as User-Agent (Kubernetes: kube-probe/<major>.<minor>).
constexpr char kUserAgent[] = "kube-probe/1.31";
// Longest response head read; a longer one is a malformed response.
constexpr size_t kMaxHead = 16 * 1024;

// Go's wording of an errno: strerror with a lower-case first letter.
std::string ErrnoText(int err) {
  std::string s = std::strerror(err);
  if (!s.empty()) s[0] = absl::ascii_tolower(static_cast<unsigned char>(s[0]));
  return s;
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

int MillisLeft(absl::Time deadline) {
  absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  return static_cast<int>(std::max<int64_t>(1, absl::ToInt64Milliseconds(left)));
}

// Waits for `events` on fd until the deadline; false on timeout.
bool WaitFor(int fd, short events, absl::Time deadline) {
  while (true) {
    pollfd p{fd, events, 0};
    int ms = MillisLeft(deadline);
    if (ms == 0) return false;
    int n = ::poll(&p, 1, ms);
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return true;  // let the following call report it
  }
}

std::optional<in_addr> Resolve(const std::string& host) {
  in_addr a{};
  if (::inet_pton(AF_INET, host.c_str(), &a) == 1) return a;
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (::getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0 || res == nullptr) {
    return std::nullopt;
  }
  a = reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr;
  ::freeaddrinfo(res);
  return a;
}

struct Dialed {
  int fd = -1;
  std::string error;  // "dial tcp 127.244.1.2:80: connect: connection refused"
};

// A connected, non-blocking socket, or why not.
Dialed Dial(const std::string& host, int port, absl::Time deadline) {
  const std::string addr = absl::StrCat(host, ":", port);
  Dialed d;
  std::optional<in_addr> ip = Resolve(host);
  if (!ip) {
    d.error = absl::StrCat("dial tcp: lookup ", host, ": no such host");
    return d;
  }
  if (port <= 0 || port > 65535) {
    d.error = absl::StrCat("dial tcp ", addr, ": invalid port");
    return d;
  }
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    d.error = absl::StrCat("dial tcp ", addr, ": socket: ", ErrnoText(errno));
    return d;
  }
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr = *ip;
  int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
  int err = rc == 0 ? 0 : errno;
  if (err == EINPROGRESS) {
    if (!WaitFor(fd, POLLOUT, deadline)) {
      ::close(fd);
      d.error = absl::StrCat("dial tcp ", addr, ": i/o timeout");
      return d;
    }
    socklen_t len = sizeof(err);
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  }
  if (err != 0) {
    ::close(fd);
    d.error = absl::StrCat("dial tcp ", addr, ": connect: ", ErrnoText(err));
    return d;
  }
  d.fd = fd;
  return d;
}

}  // namespace

bool IsLoopbackIpv4(absl::string_view ip) {
  in_addr a{};
  std::string s(ip);
  if (::inet_pton(AF_INET, s.c_str(), &a) != 1) return false;
  return (ntohl(a.s_addr) >> 24) == 127;
}

NetProbeOutcome TcpProbe(const std::string& host, int port, absl::Duration timeout) {
  Dialed d = Dial(host, port, absl::Now() + timeout);
  if (d.fd < 0) return NetProbeOutcome{false, d.error};
  ::close(d.fd);
  return NetProbeOutcome{true, ""};
}

NetProbeOutcome HttpProbe(const HttpProbeRequest& req, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::string path = req.path;
  if (!absl::StartsWith(path, "/")) path = "/" + path;
  const std::string url = absl::StrCat("http://", req.host, ":", req.port, path);
  auto failed = [&](absl::string_view why) {
    return NetProbeOutcome{false, absl::StrCat("Get \"", url, "\": ", why)};
  };

  Dialed d = Dial(req.host, req.port, deadline);
  if (d.fd < 0) return failed(d.error);
  Fd fd(d.fd);

  // The probe's own headers replace the defaults of the same name.
  std::string host_header = absl::StrCat(req.host, ":", req.port);
  std::string user_agent = kUserAgent;
  std::string accept = "*/*";
  std::string extra;
  for (const auto& [name, value] : req.headers) {
    if (absl::EqualsIgnoreCase(name, "Host")) {
      host_header = value;
    } else if (absl::EqualsIgnoreCase(name, "User-Agent")) {
      user_agent = value;
    } else if (absl::EqualsIgnoreCase(name, "Accept")) {
      accept = value;
    } else if (!absl::EqualsIgnoreCase(name, "Connection")) {
      absl::StrAppend(&extra, name, ": ", value, "\r\n");
    }
  }
  const std::string request =
      absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: ", host_header, "\r\nUser-Agent: ", user_agent,
                   "\r\nAccept: ", accept, "\r\n", extra, "Connection: close\r\n\r\n");
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!WaitFor(fd.get(), POLLOUT, deadline)) {
        return failed("context deadline exceeded (Client.Timeout exceeded while awaiting headers)");
      }
      continue;
    }
    return failed(absl::StrCat("write tcp ", req.host, ":", req.port, ": ", ErrnoText(errno)));
  }

  // Read until the status line (and the head) is in, or the server closes.
  std::string head;
  char buf[4096];
  while (head.find("\r\n\r\n") == std::string::npos && head.size() < kMaxHead) {
    if (!WaitFor(fd.get(), POLLIN, deadline)) {
      return failed("context deadline exceeded (Client.Timeout exceeded while awaiting headers)");
    }
    ssize_t n = ::recv(fd.get(), buf, sizeof(buf), 0);
    if (n > 0) {
      head.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (n < 0) {
      return failed(absl::StrCat("read tcp ", req.host, ":", req.port, ": ", ErrnoText(errno)));
    }
    break;  // closed by the server
  }
  if (head.empty()) return failed("EOF");
  const size_t eol = head.find("\r\n");
  const std::string status_line = head.substr(0, eol == std::string::npos ? head.size() : eol);
  // "HTTP/1.1 200 OK"
  std::vector<absl::string_view> parts = absl::StrSplit(status_line, absl::MaxSplits(' ', 2));
  int code = 0;
  if (eol == std::string::npos || parts.size() < 2 || !absl::StartsWith(parts[0], "HTTP/") ||
      parts[1].size() != 3 || !absl::SimpleAtoi(parts[1], &code)) {
    return failed(absl::StrCat("net/http: HTTP/1.x transport connection broken: malformed HTTP ",
                               "response \"", status_line.substr(0, 64), "\""));
  }
  NetProbeOutcome out;
  out.http_status = code;
  out.success = code >= 200 && code < 400;
  if (!out.success) out.message = absl::StrCat("HTTP probe failed with statuscode: ", code);
  return out;
}

}  // namespace minik8s::kubelet
