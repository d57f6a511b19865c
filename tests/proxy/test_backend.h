// Test helpers for the proxy's tests: a little TCP server that answers
// every connection with its name and then echoes what it reads until the
// client half-closes, and a blocking client for it.
//
// Thread safety: a TestBackend is driven by one owner thread; its accept
// and connection threads are joined by Stop() (and the destructor).
#ifndef MINIK8S_TESTS_PROXY_TEST_BACKEND_H_
#define MINIK8S_TESTS_PROXY_TEST_BACKEND_H_

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace minik8s::proxy::testing {

inline absl::StatusOr<sockaddr_in> SockAddr(const std::string& ip, int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, ip.c_str(), &a.sin_addr) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("bad ip ", ip));
  }
  return a;
}

class TestBackend {
 public:
  TestBackend(std::string name, std::string ip) : name_(std::move(name)), ip_(std::move(ip)) {}
  ~TestBackend() { Stop(); }

  // Listens on ip:port (0 picks a port).
  absl::Status Start(int port = 0) {
    absl::StatusOr<sockaddr_in> a = SockAddr(ip_, port);
    if (!a.ok()) return a.status();
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd_, reinterpret_cast<sockaddr*>(&*a), sizeof(*a)) != 0 || listen(fd_, 128) != 0) {
      return absl::UnavailableError(absl::StrCat("bind ", ip_, ": ", strerror(errno)));
    }
    socklen_t len = sizeof(*a);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&*a), &len);
    port_ = ntohs(a->sin_port);
    if (pipe(stop_pipe_) != 0) return absl::InternalError("pipe");
    accept_thread_ = std::thread([this] { AcceptLoop(); });
    return absl::OkStatus();
  }

  void Stop() {
    if (fd_ < 0) return;
    (void)!write(stop_pipe_[1], "x", 1);
    accept_thread_.join();
    std::vector<std::thread> conns;
    {
      std::lock_guard<std::mutex> l(mu_);
      conns.swap(conns_);
    }
    for (std::thread& t : conns) t.join();
    close(fd_);
    close(stop_pipe_[0]);
    close(stop_pipe_[1]);
    fd_ = -1;
  }

  int port() const { return port_; }
  const std::string& ip() const { return ip_; }
  int accepted() const { return accepted_.load(); }

 private:
  void AcceptLoop() {
    while (true) {
      pollfd p[2] = {{fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
      if (poll(p, 2, -1) < 0) continue;
      if (p[1].revents != 0) return;
      int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      ++accepted_;
      std::lock_guard<std::mutex> l(mu_);
      conns_.emplace_back([this, c] { Serve(c); });
    }
  }

  void Serve(int c) {
    std::string hello = name_ + "\n";
    (void)!write(c, hello.data(), hello.size());
    char buf[4096];
    while (true) {
      pollfd p[2] = {{c, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
      if (poll(p, 2, 10000) <= 0 || p[1].revents != 0) break;
      ssize_t n = read(c, buf, sizeof(buf));
      if (n <= 0) break;
      (void)!write(c, buf, static_cast<size_t>(n));
    }
    close(c);
  }

  const std::string name_;
  const std::string ip_;
  int fd_ = -1;
  int port_ = 0;
  int stop_pipe_[2] = {-1, -1};
  std::atomic<int> accepted_{0};
  std::thread accept_thread_;
  std::mutex mu_;
  std::vector<std::thread> conns_;
};

// Connects to ip:port, sends `payload`, half-closes and reads until the
// server closes: returns everything read ("<backend name>\n<payload>").
// The error's message names errno (e.g. "Connection refused").
inline absl::StatusOr<std::string> Exchange(const std::string& ip, int port,
                                            const std::string& payload = "ping") {
  absl::StatusOr<sockaddr_in> a = SockAddr(ip, port);
  if (!a.ok()) return a.status();
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv{.tv_sec = 10, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  if (connect(fd, reinterpret_cast<sockaddr*>(&*a), sizeof(*a)) != 0) {
    int err = errno;
    close(fd);
    return absl::UnavailableError(strerror(err));
  }
  if (!payload.empty() && write(fd, payload.data(), payload.size()) < 0) {
    int err = errno;
    close(fd);
    return absl::UnavailableError(strerror(err));
  }
  shutdown(fd, SHUT_WR);
  std::string out;
  char buf[4096];
  while (true) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0) {
      int err = errno;
      close(fd);
      return absl::UnavailableError(absl::StrCat(strerror(err), " after reading \"", out, "\""));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

// The backend name in an Exchange answer (its first line).
inline std::string BackendOf(const absl::StatusOr<std::string>& answer) {
  if (!answer.ok()) return answer.status().ToString();
  return answer->substr(0, answer->find('\n'));
}

}  // namespace minik8s::proxy::testing

#endif  // MINIK8S_TESTS_PROXY_TEST_BACKEND_H_
