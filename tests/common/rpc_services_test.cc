// The services common/rpc offers any server built on rpc/h2_server.h, in
// process on a loopback port, against gRPC 1.51's C++ client: the health
// service (Check, and Watch following SetServing; watches ended by the
// client, by Shutdown, with the service gone first).
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/client_unary_call.h>
#include <grpcpp/support/sync_stream.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/rpc/h2_server.h"
#include "common/rpc/health_service.h"
#include "gtest/gtest.h"

namespace minik8s::rpc {
namespace {

// HealthCheckRequest{service} and HealthCheckResponse{status}, encoded by
// hand (the tree has no health proto).
std::string HealthRequest(const std::string& service) {
  if (service.empty()) return "";
  return absl::StrCat(std::string(1, '\x0a'), std::string(1, static_cast<char>(service.size())),
                      service);
}
const std::string kServing("\x08\x01", 2);
const std::string kNotServing("\x08\x02", 2);
const std::string kServiceUnknown("\x08\x03", 2);

grpc::ByteBuffer ToBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

std::string FromBuffer(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return "<bad buffer>";
  for (const grpc::Slice& s : slices)
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

void Within(grpc::ClientContext* ctx, int seconds) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
}

class RpcServicesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<Server>(ServerConfig{.worker_threads = 2});
    health_ = std::make_unique<HealthService>(server_.get());
    absl::StatusOr<int> port = server_->Listen("127.0.0.1:0", nullptr);
    ASSERT_TRUE(port.ok()) << port.status();
    server_->Start();
    channel_ =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", *port), grpc::InsecureChannelCredentials());
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(absl::Seconds(1));
  }

  // Check(service): the response bytes, or the status when not OK.
  grpc::Status Check(const std::string& service, std::string* response,
                     const std::string& raw_request = "<none>") {
    grpc::ClientContext ctx;
    Within(&ctx, 10);
    grpc::ByteBuffer request =
        ToBuffer(raw_request == "<none>" ? HealthRequest(service) : raw_request);
    grpc::ByteBuffer reply;
    grpc::Status status = grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
        channel_.get(),
        grpc::internal::RpcMethod("/grpc.health.v1.Health/Check",
                                  grpc::internal::RpcMethod::NORMAL_RPC),
        &ctx, request, &reply);
    if (status.ok()) *response = FromBuffer(reply);
    return status;
  }

  // An open Watch(service).
  struct Watch {
    grpc::ClientContext ctx;
    std::unique_ptr<grpc::ClientReader<grpc::ByteBuffer>> reader;

    // The next message; "" once the stream is over.
    std::string Next() {
      grpc::ByteBuffer message;
      if (!reader->Read(&message)) return "";
      return FromBuffer(message);
    }
  };
  std::unique_ptr<Watch> StartWatch(const std::string& service, int seconds = 30,
                                    const std::string& raw_request = "<none>") {
    auto watch = std::make_unique<Watch>();
    Within(&watch->ctx, seconds);
    watch->reader.reset(grpc::internal::ClientReaderFactory<grpc::ByteBuffer>::Create(
        channel_.get(),
        grpc::internal::RpcMethod("/grpc.health.v1.Health/Watch",
                                  grpc::internal::RpcMethod::SERVER_STREAMING),
        &watch->ctx, ToBuffer(raw_request == "<none>" ? HealthRequest(service) : raw_request)));
    return watch;
  }

  // Waits until the server has no call left (every watch finished).
  bool Drained() {
    for (int i = 0; i < 500; ++i) {
      if (server_->live_calls() == 0) return true;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return false;
  }

  std::unique_ptr<Server> server_;
  std::unique_ptr<HealthService> health_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(RpcServicesTest, CheckAnswersTheServersStatus) {
  std::string response;
  grpc::Status status = Check("", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response, kServing);

  health_->SetServing(false);
  status = Check("", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response, kNotServing);

  health_->SetServing(true);
  status = Check("", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response, kServing);

  status = Check("etcdserverpb.KV", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(), "service name unknown");

  status = Check("", &response, std::string("\x0a\x05ab", 4));  // truncated
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(RpcServicesTest, StartsNotServingWhenAsked) {
  Server server(ServerConfig{});
  HealthService health(&server, /*serving=*/false);
  absl::StatusOr<int> port = server.Listen("127.0.0.1:0", nullptr);
  ASSERT_TRUE(port.ok()) << port.status();
  server.Start();
  channel_ =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", *port), grpc::InsecureChannelCredentials());
  std::string response;
  grpc::Status status = Check("", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response, kNotServing);
  server.Shutdown(absl::Seconds(1));
}

TEST_F(RpcServicesTest, WatchFollowsTheStatusUntilCancelled) {
  std::unique_ptr<Watch> watch = StartWatch("");
  EXPECT_EQ(watch->Next(), kServing);
  health_->SetServing(false);
  EXPECT_EQ(watch->Next(), kNotServing);
  health_->SetServing(false);  // unchanged: no message
  health_->SetServing(true);
  EXPECT_EQ(watch->Next(), kServing);

  watch->ctx.TryCancel();
  EXPECT_EQ(watch->Next(), "");
  grpc::Status status = watch->reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED) << status.error_message();
  EXPECT_TRUE(Drained()) << server_->live_calls() << " calls left";
  health_->SetServing(false);  // no watch left to tell
}

TEST_F(RpcServicesTest, WatchOfAnUnknownServiceStaysOpen) {
  std::unique_ptr<Watch> unknown = StartWatch("no.such.Service");
  EXPECT_EQ(unknown->Next(), kServiceUnknown);
  std::unique_ptr<Watch> server_watch = StartWatch("");
  EXPECT_EQ(server_watch->Next(), kServing);
  health_->SetServing(false);
  EXPECT_EQ(server_watch->Next(), kNotServing);
  // The unknown service's watch got nothing more: it ends only as cancelled.
  unknown->ctx.TryCancel();
  EXPECT_EQ(unknown->Next(), "");
  EXPECT_EQ(unknown->reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  server_watch->ctx.TryCancel();
  EXPECT_EQ(server_watch->Next(), "");
  EXPECT_TRUE(Drained());
}

TEST_F(RpcServicesTest, WatchWithABadRequestEnds) {
  std::unique_ptr<Watch> watch = StartWatch("", 10, std::string("\x0a\x05ab", 4));
  EXPECT_EQ(watch->Next(), "");
  EXPECT_EQ(watch->reader->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(Drained());
}

// Every watcher hears each change; one slower than the changes gets the
// latest status after the one it is being sent: never the same twice in a
// row, and the last word is the last status.
TEST_F(RpcServicesTest, ManyWatchersAndQuickChanges) {
  std::vector<std::unique_ptr<Watch>> watches;
  // The first ends at its deadline: all it got is then known.
  watches.push_back(StartWatch("", 4));
  EXPECT_EQ(watches.back()->Next(), kServing);
  for (int i = 0; i < 7; ++i) {
    watches.push_back(StartWatch(""));
    EXPECT_EQ(watches.back()->Next(), kServing);
  }
  health_->SetServing(false);
  for (auto& w : watches) EXPECT_EQ(w->Next(), kNotServing);

  std::thread flipper([this] {
    for (int i = 0; i < 2000; ++i) health_->SetServing(i % 2 == 0);
    health_->SetServing(false);
  });
  flipper.join();
  std::vector<std::string> seen;
  std::string last = kNotServing;
  for (std::string m = watches[0]->Next(); !m.empty(); m = watches[0]->Next()) {
    ASSERT_NE(m, last) << "the same status twice in a row, after " << seen.size();
    seen.push_back(m);
    last = m;
  }
  EXPECT_EQ(watches[0]->reader->Finish().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(last, kNotServing) << seen.size() << " messages";
  EXPECT_LE(seen.size(), 2001u);
  std::string response;
  ASSERT_TRUE(Check("", &response).ok());
  EXPECT_EQ(response, kNotServing);
  for (size_t i = 1; i < watches.size(); ++i) watches[i]->ctx.TryCancel();
  for (size_t i = 1; i < watches.size(); ++i) {
    while (!watches[i]->Next().empty()) {
    }
  }
  EXPECT_TRUE(Drained()) << server_->live_calls() << " calls left";
}

TEST_F(RpcServicesTest, ShutdownWithAnOpenWatchReturns) {
  std::unique_ptr<Watch> watch = StartWatch("");
  EXPECT_EQ(watch->Next(), kServing);
  const absl::Time start = absl::Now();
  server_->Shutdown(absl::Milliseconds(200));
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  EXPECT_EQ(watch->Next(), "");
  EXPECT_FALSE(watch->reader->Finish().ok());
  // The service outlives the server: changes go nowhere, and it goes.
  health_->SetServing(false);
  health_.reset();
  server_.reset();
}

TEST_F(RpcServicesTest, ServiceGoneBeforeTheServerStops) {
  std::unique_ptr<Watch> watch = StartWatch("");
  EXPECT_EQ(watch->Next(), kServing);
  health_.reset();
  // Its methods still answer.
  std::string response;
  ASSERT_TRUE(Check("", &response).ok());
  EXPECT_EQ(response, kServing);
  watch->ctx.TryCancel();
  EXPECT_EQ(watch->Next(), "");
  EXPECT_TRUE(Drained());
  std::unique_ptr<Watch> open = StartWatch("");
  EXPECT_EQ(open->Next(), kServing);
  server_->Shutdown(absl::ZeroDuration());
  EXPECT_EQ(open->Next(), "");
  server_.reset();
}

}  // namespace
}  // namespace minik8s::rpc
