// Starts the real minik8s-store, talks etcd v3 gRPC to it (Put, Range,
// Watch), restarts it on the same data dir, and stops it with SIGTERM; and
// serves it on a unix socket (how `minik8s up`'s apiserver reaches it).
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <filesystem>

#include "common/net.h"
#include "etcd/etcdserverpb/rpc.grpc.pb.h"
#include "gtest/gtest.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace minik8s {
namespace {

class StoreSmokeTest : public ::testing::Test {
 protected:
  void Start() {
    auto port = PickFreeLoopbackPort();
    ASSERT_TRUE(port.ok());
    port_ = *port;
    const std::string url = "http://127.0.0.1:" + std::to_string(port_);
    ASSERT_TRUE(
        proc_
            .Start({testing::BinPath("minik8s-store"), "--name", "default", "--data-dir",
                    dir_.Join("data"), "--listen-client-urls", url, "--advertise-client-urls", url},
                   dir_.Join("store.log"))
            .ok());
    ASSERT_TRUE(testing::WaitFor([&] { return testing::PortAcceptsConnections(port_); },
                                 absl::Seconds(20)));
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(port_),
                                   grpc::InsecureChannelCredentials());
    kv_ = etcdserverpb::KV::NewStub(channel_);
  }

  int StopWithSigterm() {
    auto status = proc_.Stop(SIGTERM, absl::Seconds(15));
    EXPECT_TRUE(status.has_value());
    return status.has_value() && WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
  }

  grpc::Status Put(const std::string& k, const std::string& v, etcdserverpb::PutResponse* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    etcdserverpb::PutRequest req;
    req.set_key(k);
    req.set_value(v);
    return kv_->Put(&ctx, req, resp);
  }

  testing::TempDir dir_;
  testing::Subprocess proc_;
  int port_ = 0;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<etcdserverpb::KV::Stub> kv_;
};

TEST_F(StoreSmokeTest, PutRangeWatchRestartAndSigterm) {
  Start();
  auto watch_stub = etcdserverpb::Watch::NewStub(channel_);
  grpc::ClientContext wctx;
  auto stream = watch_stub->Watch(&wctx);
  etcdserverpb::WatchRequest wreq;
  wreq.mutable_create_request()->set_key("smoke/");
  wreq.mutable_create_request()->set_range_end("smoke0");
  ASSERT_TRUE(stream->Write(wreq));
  etcdserverpb::WatchResponse wresp;
  ASSERT_TRUE(stream->Read(&wresp));
  EXPECT_TRUE(wresp.created());

  etcdserverpb::PutResponse presp;
  ASSERT_TRUE(Put("smoke/a", "1", &presp).ok());
  EXPECT_EQ(presp.header().revision(), 2);  // as etcd: a fresh store is at revision 1
  ASSERT_TRUE(stream->Read(&wresp));
  ASSERT_EQ(wresp.events_size(), 1);
  EXPECT_EQ(wresp.events(0).kv().key(), "smoke/a");
  EXPECT_EQ(wresp.events(0).kv().mod_revision(), 2);

  // Errors keep etcd's code and text.
  grpc::Status empty = Put("", "x", &presp);
  EXPECT_EQ(empty.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(empty.error_message(), "etcdserver: key is not provided");

  wctx.TryCancel();
  stream->Finish();
  EXPECT_EQ(StopWithSigterm(), 0);

  Start();  // same data dir
  grpc::ClientContext rctx;
  etcdserverpb::RangeRequest rreq;
  rreq.set_key("smoke/a");
  etcdserverpb::RangeResponse rresp;
  ASSERT_TRUE(kv_->Range(&rctx, rreq, &rresp).ok());
  ASSERT_EQ(rresp.kvs_size(), 1);
  EXPECT_EQ(rresp.kvs(0).value(), "1");
  EXPECT_EQ(rresp.header().revision(), 2);

  // A second store on the same data dir refuses to start.
  std::string output;
  auto port = PickFreeLoopbackPort();
  ASSERT_TRUE(port.ok());
  int rc =
      testing::RunCommand({testing::BinPath("minik8s-store"), "--data-dir", dir_.Join("data"),
                           "--listen-client-urls", "http://127.0.0.1:" + std::to_string(*port)},
                          &output, absl::Seconds(20));
  EXPECT_EQ(rc, 1);
  EXPECT_NE(output.find("in use"), std::string::npos) << output;

  // A busy port too.
  rc = testing::RunCommand({testing::BinPath("minik8s-store"), "--data-dir", dir_.Join("other"),
                            "--listen-client-urls", "http://127.0.0.1:" + std::to_string(port_)},
                           &output, absl::Seconds(20));
  EXPECT_EQ(rc, 1);
  EXPECT_NE(output.find("cannot listen"), std::string::npos) << output;

  EXPECT_EQ(StopWithSigterm(), 0);
}

// The unix socket is the store user's only (0600 under any umask, as
// common/unix_socket.h makes it); a live store's socket is not taken over,
// a dead one's is.
TEST_F(StoreSmokeTest, UnixSocketIsPrivateAndNotTakenOverWhileLive) {
  const std::string socket = dir_.Join("run/store.sock");
  const std::string url = "unix://" + socket;
  const std::vector<std::string> args = {testing::BinPath("minik8s-store"), "--data-dir",
                                         dir_.Join("data"), "--listen-client-urls", url};
  ASSERT_TRUE(proc_.Start(args, dir_.Join("store.log")).ok());
  struct stat st {};
  ASSERT_TRUE(testing::WaitFor([&] { return stat(socket.c_str(), &st) == 0; }, absl::Seconds(20)));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat(dir_.Join("run").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u) << "the folder the store made for its socket";
  channel_ = grpc::CreateChannel(url, grpc::InsecureChannelCredentials());
  kv_ = etcdserverpb::KV::NewStub(channel_);
  etcdserverpb::PutResponse presp;
  ASSERT_TRUE(
      testing::WaitFor([&] { return Put("socket/a", "1", &presp).ok(); }, absl::Seconds(20)));

  // A second store (another data dir) on the same socket is refused.
  std::string output;
  int rc = testing::RunCommand({testing::BinPath("minik8s-store"), "--data-dir", dir_.Join("other"),
                                "--listen-client-urls", url},
                               &output, absl::Seconds(20));
  EXPECT_EQ(rc, 1);
  EXPECT_NE(output.find("already serving on " + socket), std::string::npos) << output;
  EXPECT_FALSE(std::filesystem::exists(dir_.Join("other"))) << "refused before opening its data";
  EXPECT_TRUE(Put("socket/b", "2", &presp).ok()) << "the first store still serves";

  // Killed, it leaves its socket behind; the next start replaces it.
  ASSERT_TRUE(proc_.Stop(SIGKILL, absl::Seconds(15)).has_value());
  ASSERT_EQ(stat(socket.c_str(), &st), 0);
  ASSERT_TRUE(proc_.Start(args, dir_.Join("store2.log")).ok());
  channel_ = grpc::CreateChannel(url, grpc::InsecureChannelCredentials());
  kv_ = etcdserverpb::KV::NewStub(channel_);
  ASSERT_TRUE(
      testing::WaitFor([&] { return Put("socket/c", "3", &presp).ok(); }, absl::Seconds(20)));
  EXPECT_EQ(presp.header().revision(), 4);
  EXPECT_EQ(StopWithSigterm(), 0);
}

}  // namespace
}  // namespace minik8s
