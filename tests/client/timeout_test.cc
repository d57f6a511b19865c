// A server that accepts the connection but never answers (an apiserver
// frozen with SIGSTOP) is a timeout, reported in kubectl's words at the
// call's own deadline; a refused connection stays UNAVAILABLE and fails at
// once.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/api_client.h"
#include "gtest/gtest.h"

namespace minik8s::client {
namespace {

// A loopback TCP socket that listens and never accepts: connections complete
// in the kernel's backlog and nothing ever answers. Port 0 picks a free port.
class SilentListener {
 public:
  SilentListener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return;
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentListener() { Close(); }
  bool Listen() { return listen(fd_, 64) == 0; }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(ApiClientTimeout, FrozenServerIsATimeoutNamingTheServer) {
  SilentListener server;
  ASSERT_NE(server.port(), 0);
  ASSERT_TRUE(server.Listen());
  const std::string address = absl::StrCat("127.0.0.1:", server.port());
  ApiClientOptions options;
  options.server = address;
  options.timeout = absl::Seconds(2);
  auto client = ApiClient::Connect(options);
  ASSERT_TRUE(client.ok()) << client.status();

  const absl::Time start = absl::Now();
  core::v1::Pod pod;
  absl::Status s = (*client)->Get("pods", "default", "web", &pod);
  const absl::Duration took = absl::Now() - start;

  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded) << s;
  EXPECT_EQ(s.message(),
            absl::StrCat("Unable to connect to the server: timed out after 2s "
                         "waiting for the server at ",
                         address, " (Client.Timeout exceeded while awaiting headers)"));
  // At the call's deadline, not earlier and not at gRPC's connect timeout.
  EXPECT_GE(took, absl::Milliseconds(1900));
  EXPECT_LT(took, absl::Seconds(15));
}

TEST(ApiClientTimeout, RefusedConnectionStaysUnavailableAndFast) {
  SilentListener closed;  // bound, never listening: connections are refused
  ASSERT_NE(closed.port(), 0);
  ApiClientOptions options;
  options.server = absl::StrCat("127.0.0.1:", closed.port());
  options.timeout = absl::Seconds(10);
  auto client = ApiClient::Connect(options);
  ASSERT_TRUE(client.ok()) << client.status();

  const absl::Time start = absl::Now();
  core::v1::Pod pod;
  absl::Status s = (*client)->Get("pods", "default", "web", &pod);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

}  // namespace
}  // namespace minik8s::client
