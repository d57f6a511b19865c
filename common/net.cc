#include "common/net.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace minik8s {

absl::StatusOr<std::string> UrlToGrpcAddress(const std::string& url) {
  absl::string_view u = absl::StripAsciiWhitespace(url);
  if (u.empty()) return absl::InvalidArgumentError("empty URL");
  if (absl::StartsWith(u, "unix:")) return std::string(u);
  if (absl::StartsWith(u, "https://")) {
    return absl::InvalidArgumentError(
        absl::StrCat("URL ", u, ": TLS is not supported, use http://"));
  }
  absl::ConsumePrefix(&u, "http://");
  absl::ConsumeSuffix(&u, "/");
  if (u.empty() || absl::StrContains(u, "/") || !absl::StrContains(u, ":")) {
    return absl::InvalidArgumentError(
        absl::StrCat("URL \"", url, "\" is not of the form http://host:port"));
  }
  return std::string(u);
}

absl::StatusOr<GrpcEndpoint> UrlToGrpcEndpoint(const std::string& url) {
  absl::string_view u = absl::StripAsciiWhitespace(url);
  if (absl::ConsumePrefix(&u, "unixs:")) {
    if (u.empty()) return absl::InvalidArgumentError(absl::StrCat("URL \"", url, "\" has no path"));
    return GrpcEndpoint{.address = absl::StrCat("unix:", u), .tls = true};
  }
  if (absl::ConsumePrefix(&u, "https://")) {
    auto address = UrlToGrpcAddress(absl::StrCat("http://", u));
    if (!address.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("URL \"", url, "\" is not of the form https://host:port"));
    }
    return GrpcEndpoint{.address = *std::move(address), .tls = true};
  }
  auto address = UrlToGrpcAddress(url);
  if (!address.ok()) return address.status();
  return GrpcEndpoint{.address = *std::move(address), .tls = false};
}

absl::StatusOr<std::vector<GrpcEndpoint>> UrlListToGrpcEndpoints(const std::string& urls) {
  std::vector<GrpcEndpoint> out;
  for (absl::string_view part : absl::StrSplit(urls, ',', absl::SkipWhitespace())) {
    auto endpoint = UrlToGrpcEndpoint(std::string(part));
    if (!endpoint.ok()) return endpoint.status();
    out.push_back(*std::move(endpoint));
  }
  if (out.empty()) return absl::InvalidArgumentError("no URL given");
  return out;
}

absl::StatusOr<std::vector<std::string>> UrlListToGrpcAddresses(const std::string& urls) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(urls, ',', absl::SkipWhitespace())) {
    auto addr = UrlToGrpcAddress(std::string(part));
    if (!addr.ok()) return addr.status();
    out.push_back(*std::move(addr));
  }
  if (out.empty()) return absl::InvalidArgumentError("no URL given");
  return out;
}

absl::StatusOr<int> PickFreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    int err = errno;
    close(fd);
    return absl::InternalError(absl::StrCat("bind: ", strerror(err)));
  }
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return static_cast<int>(ntohs(addr.sin_port));
}

bool SendAllUntil(int fd, absl::string_view data, const std::function<bool()>& stop,
                  int poll_millis) {
  size_t sent = 0;
  while (sent < data.size()) {
    if (stop()) return false;
    pollfd p{fd, POLLOUT, 0};
    const int r = poll(&p, 1, poll_millis);
    if (r < 0 && errno != EINTR) return false;
    if (r <= 0) continue;
    const ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
      return false;
    }
    sent += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace minik8s
