// rpc_floor_bench end to end: its two floor servers answer a real gRPC
// client as gRPC servers do (a Put, an unknown method, a malformed request,
// SIGTERM), and a short run prints a figure for every server it loads.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/wait.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/net.h"
#include "etcd/etcdserverpb/rpc.grpc.pb.h"
#include "gtest/gtest.h"
#include "testing/subprocess.h"

namespace minik8s::bench {
namespace {

class FloorServerTest : public ::testing::TestWithParam<const char*> {};

grpc::Status CallRaw(grpc::Channel* channel, const std::string& method, const std::string& bytes) {
  grpc::GenericStub stub(channel->shared_from_this());
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Status status;
  absl::Notification done;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response, [&](grpc::Status s) {
    status = std::move(s);
    done.Notify();
  });
  done.WaitForNotification();
  return status;
}

TEST_P(FloorServerTest, AnswersLikeAGrpcServer) {
  absl::StatusOr<int> port = PickFreeLoopbackPort();
  ASSERT_TRUE(port.ok()) << port.status();
  minik8s::testing::Subprocess server;
  ASSERT_TRUE(server
                  .Start({minik8s::testing::BinPath("rpc_floor_bench"), "--serve", GetParam(),
                          "--port", absl::StrCat(*port)})
                  .ok());
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!minik8s::testing::PortAcceptsConnections(*port)) {
    ASSERT_LT(absl::Now(), deadline) << GetParam() << " never listened";
    absl::SleepFor(absl::Milliseconds(20));
  }
  auto channel =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", *port), grpc::InsecureChannelCredentials());
  auto kv = etcdserverpb::KV::NewStub(channel);

  for (int64_t want = 1; want <= 2; ++want) {
    etcdserverpb::PutRequest put;
    put.set_key("k");
    put.set_value(std::string(300, 'v'));
    etcdserverpb::PutResponse answer;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::Status status = kv->Put(&context, put, &answer);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(answer.header().revision(), want);
  }

  etcdserverpb::RangeRequest range;
  range.set_key("k");
  etcdserverpb::RangeResponse range_answer;
  grpc::ClientContext range_context;
  EXPECT_EQ(kv->Range(&range_context, range, &range_answer).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);

  // Field 1 (key) as a length-delimited field longer than the message.
  EXPECT_EQ(
      CallRaw(channel.get(), "/etcdserverpb.KV/Put", std::string("\x0a\x7f\x01", 3)).error_code(),
      grpc::StatusCode::INTERNAL);

  const std::optional<int> exit = server.Stop(SIGTERM, absl::Seconds(10));
  ASSERT_TRUE(exit.has_value());
  EXPECT_TRUE(WIFEXITED(*exit) && WEXITSTATUS(*exit) == 0) << "status " << *exit;
}

INSTANTIATE_TEST_SUITE_P(Floors, FloorServerTest,
                         ::testing::Values("grpc-floor", "grpc-handoff", "grpc-handoff-relay",
                                           "http2-floor"),
                         [](const auto& info) {
                           std::string name;
                           for (char c : std::string(info.param)) {
                             if (c != '-') name += c;
                           }
                           return name;
                         });

TEST(RpcFloorBenchSmokeTest, ShortRunPrintsEveryServer) {
  std::string output;
  const int rc = minik8s::testing::RunCommand(
      {minik8s::testing::BinPath("rpc_floor_bench"), "--servers",
       "grpc-floor,grpc-handoff,grpc-handoff-relay,http2-floor,minik8s-store", "--clients", "8",
       "--connections", "2", "--duration", "0.3"},
      &output, absl::Seconds(100));
  ASSERT_EQ(rc, 0) << output;
  for (const char* server :
       {"grpc-floor", "grpc-handoff", "grpc-handoff-relay", "http2-floor", "minik8s-store"}) {
    std::string row;
    for (absl::string_view line : absl::StrSplit(output, '\n')) {
      if (absl::StartsWith(line, absl::StrCat("| ", server, " |"))) row = std::string(line);
    }
    ASSERT_FALSE(row.empty()) << server << " missing:\n" << output;
    // | server | puts/s | daemon CPU | vs etcd | generator CPU | errors |
    std::vector<std::string> cells = absl::StrSplit(row, '|');
    ASSERT_EQ(cells.size(), 8u) << row;
    EXPECT_GT(std::stod(cells[2]), 0) << row;
    EXPECT_EQ(absl::StripAsciiWhitespace(cells[6]), "0") << row;
  }
}

}  // namespace
}  // namespace minik8s::bench
