// FindListeningProcess / FindDaemonServing over /proc, with a unix socket
// this test process listens on (no network).
#include "cluster/listener.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "gtest/gtest.h"
#include "testing/temp_dir.h"

namespace minik8s::cluster {
namespace {

// A unix socket bound to `path`, listening when `listen` is set.
class UnixSocket {
 public:
  UnixSocket(const std::string& path, bool listen) {
    fd_ = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    ok_ = fd_ >= 0 && bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
          (!listen || ::listen(fd_, 1) == 0);
  }
  ~UnixSocket() { close(fd_); }
  bool ok() const { return ok_; }

 private:
  int fd_ = -1;
  bool ok_ = false;
};

TEST(ListenerTest, FindsTheProcessListeningOnAUnixSocket) {
  testing::TempDir dir;
  const std::string path = dir.Join("runtime.sock");
  UnixSocket socket(path, /*listen=*/true);
  ASSERT_TRUE(socket.ok());
  EXPECT_EQ(FindListeningProcess("unix://" + path), getpid());
  EXPECT_EQ(FindDaemonServing("unix://" + path, "/proc/self/exe"), getpid());
}

TEST(ListenerTest, ABoundSocketThatDoesNotListenIsNotAServer) {
  testing::TempDir dir;
  const std::string path = dir.Join("bound.sock");
  UnixSocket socket(path, /*listen=*/false);
  ASSERT_TRUE(socket.ok());
  EXPECT_EQ(FindListeningProcess("unix://" + path), std::nullopt);
}

TEST(ListenerTest, AnotherExecutableDoesNotMatch) {
  testing::TempDir dir;
  const std::string path = dir.Join("other.sock");
  UnixSocket socket(path, /*listen=*/true);
  ASSERT_TRUE(socket.ok());
  EXPECT_EQ(FindDaemonServing("unix://" + path, "/bin/sh"), std::nullopt);
  EXPECT_EQ(FindDaemonServing("unix://" + path, dir.Join("no-such-binary")), std::nullopt);
}

TEST(ListenerTest, NothingServesAnUnusedAddress) {
  testing::TempDir dir;
  EXPECT_EQ(FindListeningProcess("unix://" + dir.Join("absent.sock")), std::nullopt);
  EXPECT_EQ(FindListeningProcess("not an address"), std::nullopt);
  EXPECT_EQ(FindListeningProcess("127.0.0.1:99999"), std::nullopt);
  EXPECT_EQ(FindListeningProcess("127.0.0.1:"), std::nullopt);
  EXPECT_EQ(FindListeningProcess(""), std::nullopt);
}

TEST(ListenerTest, ExecutableOfThisProcess) {
  EXPECT_FALSE(ProcessExecutable(getpid()).empty());
  EXPECT_EQ(ProcessExecutable(-1), "");
}

}  // namespace
}  // namespace minik8s::cluster
