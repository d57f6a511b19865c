#include "testing/tcp_exchange.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace minik8s::testing {

TcpExchangeResult TcpExchange(const std::string& ip, int port, const std::string& request,
                              size_t enough, absl::Duration timeout) {
  TcpExchangeResult result;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, ip.c_str(), &addr.sin_addr) != 1) {
    result.error = absl::StrCat("not an IPv4 address: ", ip);
    return result;
  }
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    result.error = absl::StrCat("socket: ", strerror(errno));
    return result;
  }
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int err = errno;
    close(fd);
    result.refused = err == ECONNREFUSED;
    result.error = absl::StrCat("connect: ", strerror(err));
    return result;
  }
  result.connected = true;
  send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  const absl::Time deadline = absl::Now() + timeout;
  while (result.answer.size() < enough && absl::Now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char buf[4096];
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    result.answer.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return result;
}

}  // namespace minik8s::testing
