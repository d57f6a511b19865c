// A daemon's unix socket (the runtime's, the store's) is private whatever the
// umask: created 0600 in a folder created 0700 for it.
#include "common/unix_socket.h"

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "gtest/gtest.h"

namespace minik8s {
namespace {

mode_t ModeOf(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return static_cast<mode_t>(-1);
  return st.st_mode & 07777;
}

class SocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/minik8s-socket-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    saved_umask_ = umask(0);  // the worst case: everything world-writable
  }
  void TearDown() override {
    umask(saved_umask_);
    std::filesystem::remove_all(dir_);
  }

  // Starts a gRPC server on `path` as the runtime and the store do.
  std::unique_ptr<grpc::Server> Serve(const std::string& path) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("unix://" + path, grpc::InsecureServerCredentials());
    builder.RegisterCallbackGenericService(&service_);  // a server needs a service
    std::unique_ptr<grpc::Server> server;
    {
      ScopedSocketUmask private_socket;
      server = builder.BuildAndStart();
    }
    return server;
  }

  grpc::CallbackGenericService service_;
  std::string dir_;
  mode_t saved_umask_ = 0;
};

TEST_F(SocketTest, SocketIsOwnerOnlyUnderUmaskZero) {
  const std::string path = dir_ + "/runtime.sock";
  ASSERT_TRUE(PrepareSocketPath(path).ok());
  std::unique_ptr<grpc::Server> server = Serve(path);
  ASSERT_NE(server, nullptr);
  // Born private (no window between bind and chmod), and kept so.
  EXPECT_EQ(ModeOf(path) & 0777, 0600u);
  ASSERT_TRUE(RestrictSocket(path).ok());
  EXPECT_EQ(ModeOf(path) & 0777, 0600u);
  server->Shutdown();
  // The umask is the caller's again.
  EXPECT_EQ(umask(0), 0u);
}

TEST_F(SocketTest, MissingFoldersAreCreatedPrivate) {
  const std::string parent = dir_ + "/run";
  const std::string folder = parent + "/minik8s";
  const std::string path = folder + "/runtime.sock";
  ASSERT_TRUE(PrepareSocketPath(path).ok());
  EXPECT_EQ(ModeOf(parent), 0700u);
  EXPECT_EQ(ModeOf(folder), 0700u);
  std::unique_ptr<grpc::Server> server = Serve(path);
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(RestrictSocket(path).ok());
  EXPECT_EQ(ModeOf(path) & 0777, 0600u);
  server->Shutdown();
}

TEST_F(SocketTest, ExistingFolderIsLeftAsItIs) {
  const std::string folder = dir_ + "/shared";
  ASSERT_EQ(mkdir(folder.c_str(), 0755), 0);
  ASSERT_TRUE(PrepareSocketPath(folder + "/runtime.sock").ok());
  EXPECT_EQ(ModeOf(folder), 0755u);
}

TEST_F(SocketTest, RefusesToReplaceAFileOrALiveSocket) {
  const std::string file = dir_ + "/not-a-socket";
  std::ofstream(file) << "data";
  absl::Status s = PrepareSocketPath(file);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("is not a socket"), absl::string_view::npos) << s;

  const std::string blocked = file + "/runtime.sock";  // a file where a folder should be
  s = PrepareSocketPath(blocked);
  EXPECT_FALSE(s.ok());

  const std::string path = dir_ + "/live.sock";
  std::unique_ptr<grpc::Server> server = Serve(path);
  ASSERT_NE(server, nullptr);
  s = PrepareSocketPath(path);
  EXPECT_NE(s.message().find("already serving"), absl::string_view::npos) << s;
  server->Shutdown();
  server.reset();
  // A stale socket file (its server gone) is removed.
  if (ModeOf(path) != static_cast<mode_t>(-1)) EXPECT_TRUE(PrepareSocketPath(path).ok());
  EXPECT_EQ(ModeOf(path), static_cast<mode_t>(-1));
}

}  // namespace
}  // namespace minik8s
