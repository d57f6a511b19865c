// The store's RPC server (common/rpc/h2_server.h) on a loopback port, in
// process, against gRPC 1.51's C++ client and raw sockets: unary and
// streaming calls, answers from other threads, statuses and their messages,
// the limits (oversized, compressed, malformed, unknown method), flow
// control on a large stream, cancellation, shutdown, and garbage on the
// wire. The store's services on it are tested through etcdctl
// (store_etcdctl_interop_test).
#include <arpa/inet.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "etcd/etcdserverpb/rpc.grpc.pb.h"
#include "gtest/gtest.h"
#include "common/rpc/h2_server.h"

namespace minik8s::rpc {
namespace {

using etcdserverpb::PutRequest;
using etcdserverpb::PutResponse;
using etcdserverpb::WatchRequest;
using etcdserverpb::WatchResponse;

constexpr int64_t kMaxMessage = 64 * 1024;

// A stream that echoes each request's watch id back as a response, and
// finishes once the client is done sending; with `big` set, every request
// is answered with `big` responses of 256 KiB instead.
class EchoStream final : public StreamCallbacks {
 public:
  EchoStream(CallRef ref, int big, std::atomic<int>* cancelled, std::atomic<int>* finished)
      : ref_(ref), big_(big), cancelled_(cancelled), finished_(finished) {}

  bool OnMessage(std::string_view message) override {
    WatchRequest request;
    if (!request.ParseFromArray(message.data(), static_cast<int>(message.size()))) return false;
    absl::MutexLock lock(&mu_);
    const int count = big_ > 0 ? big_ : 1;
    for (int i = 0; i < count; ++i) {
      WatchResponse response;
      response.set_watch_id(request.cancel_request().watch_id());
      if (big_ > 0) response.set_cancel_reason(std::string(256 * 1024, 'a' + i % 26));
      pending_.push_back(Frame(response));
    }
    WriteNextLocked();
    return true;
  }

  void OnReadsDone() override {
    absl::MutexLock lock(&mu_);
    reads_done_ = true;
    MaybeFinishLocked();
  }

  void OnCancelled() override { cancelled_->fetch_add(1); }

  void OnWritten(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) pending_.clear();
    WriteNextLocked();
    MaybeFinishLocked();
  }

  void OnFinished() override {
    finished_->fetch_add(1);
    delete this;
  }

 private:
  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || pending_.empty()) return;
    writing_ = true;
    std::string next = std::move(pending_.front());
    pending_.erase(pending_.begin());
    ref_.Write(std::move(next));
  }

  void MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_call_ || !reads_done_ || writing_ || !pending_.empty()) return;
    finished_call_ = true;
    ref_.Finish(absl::OkStatus());
  }

  const CallRef ref_;
  const int big_;
  std::atomic<int>* const cancelled_;
  std::atomic<int>* const finished_;
  absl::Mutex mu_;
  std::vector<std::string> pending_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_call_ ABSL_GUARDED_BY(mu_) = false;
};

// Each test runs with one worker thread (the store's default) and with three
// (connections handed out round-robin, answers posted across workers).
class RpcServerTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    ServerConfig config;
    config.max_receive_message_bytes = kMaxMessage;
    config.worker_threads = GetParam();
    server_ = std::make_unique<Server>(config);
    // Put: answers on another thread after the value's length in ms (at most
    // 100), with the value's size as the revision; the key "fail" gets
    // NOT_FOUND with a message that needs percent-encoding.
    Method put;
    put.unary = [this](std::string_view message, CallRef ref, const CallInfo&) {
      PutRequest request;
      if (!request.ParseFromArray(message.data(), static_cast<int>(message.size()))) {
        return ref.Reply(absl::InternalError("bad request"), "");
      }
      if (request.key() == "fail") {
        return ref.Reply(absl::NotFoundError("no such thing: 100% \xc3\xbc\nnext line"), "");
      }
      const int delay = std::min<int>(static_cast<int>(request.value().size()), 100);
      std::thread([ref, delay, size = request.value().size()] {
        absl::SleepFor(absl::Milliseconds(delay));
        PutResponse response;
        response.mutable_header()->set_revision(static_cast<int64_t>(size));
        ref.Reply(absl::OkStatus(), Frame(response));
      }).detach();
    };
    server_->AddMethod("/etcdserverpb.KV/Put", std::move(put));
    Method watch;
    watch.streaming = [this](CallRef ref, const CallInfo&) -> StreamCallbacks* {
      return new EchoStream(ref, big_.load(), &cancelled_, &finished_);
    };
    server_->AddMethod("/etcdserverpb.Watch/Watch", std::move(watch));
    absl::StatusOr<int> port = server_->Listen("127.0.0.1:0", nullptr);
    ASSERT_TRUE(port.ok()) << port.status();
    port_ = *port;
    server_->Start();
    channel_ =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials());
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(absl::Milliseconds(100));
  }

  static std::chrono::system_clock::time_point Deadline(int seconds = 10) {
    return std::chrono::system_clock::now() + std::chrono::seconds(seconds);
  }

  grpc::Status Put(const std::string& key, const std::string& value, PutResponse* response,
                   std::shared_ptr<grpc::Channel> channel = nullptr) {
    auto stub = etcdserverpb::KV::NewStub(channel != nullptr ? channel : channel_);
    grpc::ClientContext context;
    context.set_deadline(Deadline());
    PutRequest request;
    request.set_key(key);
    request.set_value(value);
    return stub->Put(&context, request, response);
  }

  bool WaitForLiveCalls(int64_t n) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (server_->live_calls() != n) {
      if (absl::Now() > deadline) return false;
      absl::SleepFor(absl::Milliseconds(5));
    }
    return true;
  }

  std::unique_ptr<Server> server_;
  int port_ = 0;
  std::shared_ptr<grpc::Channel> channel_;
  std::atomic<int> big_{0};
  std::atomic<int> cancelled_{0};
  std::atomic<int> finished_{0};
};

TEST(RpcFrameTest, PrefixAndPercentEncoding) {
  EXPECT_EQ(FrameBytes("abc"), std::string("\0\0\0\0\3abc", 8));
  EXPECT_EQ(FrameBytes(""), std::string(5, '\0'));
  EXPECT_EQ(PercentEncode("plain text: ok"), "plain text: ok");
  EXPECT_EQ(PercentEncode("100% \xc3\xbc\n"), "100%25 %C3%BC%0A");
}

TEST_P(RpcServerTest, UnaryCallsAnsweredFromOtherThreads) {
  // Many calls at once on one connection, each answered later from a thread
  // of its own, in a different order than they came.
  constexpr int kCalls = 64;
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int i = 0; i < kCalls; ++i) {
    clients.emplace_back([&, i] {
      PutResponse response;
      grpc::Status s = Put("k", std::string(static_cast<size_t>(100 - i), 'v'), &response);
      if (s.ok() && response.header().revision() == 100 - i) ok.fetch_add(1);
    });
  }
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(ok.load(), kCalls);
  EXPECT_TRUE(WaitForLiveCalls(0));
}

TEST_P(RpcServerTest, StatusCodeAndMessageReachTheClient) {
  PutResponse response;
  grpc::Status s = Put("fail", "", &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(s.error_message(), "no such thing: 100% \xc3\xbc\nnext line");
}

TEST_P(RpcServerTest, UnknownMethodIsUnimplemented) {
  auto stub = etcdserverpb::KV::NewStub(channel_);
  grpc::ClientContext context;
  context.set_deadline(Deadline());
  etcdserverpb::RangeResponse response;
  grpc::Status s = stub->Range(&context, etcdserverpb::RangeRequest(), &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNIMPLEMENTED) << s.error_message();
  EXPECT_NE(s.error_message().find("/etcdserverpb.KV/Range"), std::string::npos)
      << s.error_message();
}

TEST_P(RpcServerTest, OversizedRequestIsRefusedAndTheConnectionGoesOn) {
  PutResponse response;
  grpc::Status s = Put("k", std::string(kMaxMessage + 1, 'x'), &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  EXPECT_NE(s.error_message().find("larger than max"), std::string::npos) << s.error_message();
  s = Put("k", "vv", &response);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(response.header().revision(), 2);
}

TEST_P(RpcServerTest, CompressedRequestIsRefused) {
  grpc::ChannelArguments args;
  args.SetCompressionAlgorithm(GRPC_COMPRESS_GZIP);
  auto channel = grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port_),
                                           grpc::InsecureChannelCredentials(), args);
  PutResponse response;
  grpc::Status s = Put("k", std::string(1000, 'x'), &response, channel);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNIMPLEMENTED) << s.error_message();
  EXPECT_NE(s.error_message().find("gzip"), std::string::npos) << s.error_message();
  s = Put("k", "v", &response);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

TEST_P(RpcServerTest, MalformedUnaryMessageIsAnError) {
  grpc::GenericStub stub(channel_);
  grpc::Slice slice(std::string("\xff\xff\xff", 3));
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  grpc::ClientContext context;
  context.set_deadline(Deadline());
  grpc::Status status;
  absl::Notification done;
  stub.UnaryCall(&context, "/etcdserverpb.KV/Put", grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) {
                   status = std::move(s);
                   done.Notify();
                 });
  done.WaitForNotification();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INTERNAL);
}

TEST_P(RpcServerTest, StreamEchoesThenFinishesAfterTheClientIsDone) {
  auto stub = etcdserverpb::Watch::NewStub(channel_);
  grpc::ClientContext context;
  context.set_deadline(Deadline());
  auto stream = stub->Watch(&context);
  for (int i = 1; i <= 20; ++i) {
    WatchRequest request;
    request.mutable_cancel_request()->set_watch_id(i);
    ASSERT_TRUE(stream->Write(request));
  }
  ASSERT_TRUE(stream->WritesDone());
  WatchResponse response;
  int64_t expected = 1;
  while (stream->Read(&response)) EXPECT_EQ(response.watch_id(), expected++);
  EXPECT_EQ(expected, 21);
  grpc::Status s = stream->Finish();
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(WaitForLiveCalls(0));
  EXPECT_EQ(finished_.load(), 1);
  EXPECT_EQ(cancelled_.load(), 0);
}

TEST_P(RpcServerTest, LargeStreamFollowsFlowControl) {
  // 64 MiB of responses to one request, more than any window: each write
  // completes only as the client reads, and every byte arrives in order.
  big_ = 256;
  auto stub = etcdserverpb::Watch::NewStub(channel_);
  grpc::ClientContext context;
  context.set_deadline(Deadline(60));
  auto stream = stub->Watch(&context);
  WatchRequest request;
  request.mutable_cancel_request()->set_watch_id(7);
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->WritesDone());
  WatchResponse response;
  int count = 0;
  while (stream->Read(&response)) {
    ASSERT_EQ(response.cancel_reason().size(), 256u * 1024);
    ASSERT_EQ(response.cancel_reason()[1000], 'a' + count % 26);
    if (count == 0) absl::SleepFor(absl::Milliseconds(200));  // a slow reader first
    ++count;
  }
  EXPECT_EQ(count, 256);
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_P(RpcServerTest, AClientThatStopsReadingHoldsUpNoOneElse) {
  // 16 MiB for a client that never reads: the windows fill, the server's
  // writes wait, and calls on other connections are answered meanwhile.
  big_ = 64;
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection of its own
  auto stalled_channel = grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port_),
                                                   grpc::InsecureChannelCredentials(), args);
  auto stub = etcdserverpb::Watch::NewStub(stalled_channel);
  grpc::ClientContext context;
  auto stream = stub->Watch(&context);
  WatchRequest request;
  ASSERT_TRUE(stream->Write(request));
  absl::SleepFor(absl::Milliseconds(200));  // the server writes until the windows are full
  for (int i = 0; i < 20; ++i) {
    PutResponse response;
    grpc::Status s = Put("k", "v", &response);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  EXPECT_EQ(server_->live_calls(), 1);
  context.TryCancel();
  stream->Finish();
  EXPECT_TRUE(WaitForLiveCalls(0));
  EXPECT_EQ(finished_.load(), 1);
}

TEST_P(RpcServerTest, ClientCancelEndsTheStreamForItsHandler) {
  auto stub = etcdserverpb::Watch::NewStub(channel_);
  grpc::ClientContext context;
  auto stream = stub->Watch(&context);
  WatchRequest request;
  request.mutable_cancel_request()->set_watch_id(3);
  ASSERT_TRUE(stream->Write(request));
  WatchResponse response;
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_EQ(server_->live_calls(), 1);
  context.TryCancel();
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(WaitForLiveCalls(0));
  EXPECT_EQ(cancelled_.load(), 1);
  EXPECT_EQ(finished_.load(), 1);
}

TEST_P(RpcServerTest, ShutdownCancelsOpenStreamsAndWaitsForAnswers) {
  auto stub = etcdserverpb::Watch::NewStub(channel_);
  grpc::ClientContext context;
  auto stream = stub->Watch(&context);
  WatchRequest request;
  ASSERT_TRUE(stream->Write(request));
  WatchResponse response;
  ASSERT_TRUE(stream->Read(&response));
  // A unary call whose answer comes 100 ms later.
  std::thread slow([&] {
    PutResponse r;
    Put("k", std::string(100, 'v'), &r);
  });
  ASSERT_TRUE(WaitForLiveCalls(2));
  const absl::Time start = absl::Now();
  server_->Shutdown(absl::Milliseconds(50));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(server_->live_calls(), 0);
  EXPECT_FALSE(stream->Read(&response));
  EXPECT_FALSE(stream->Finish().ok());
  slow.join();
  EXPECT_EQ(finished_.load(), 1);
  // Nothing listens any more.
  PutResponse r;
  EXPECT_FALSE(Put("k", "v", &r).ok());
}

// Bytes a raw client sends, and whether the server closes the connection
// within 5 s (reading whatever it answered first).
bool ServerCloses(int port, const std::string& bytes) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return false;
  }
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  char buffer[4096];
  bool closed = false;
  for (;;) {
    const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n == 0 || (n < 0 && errno == ECONNRESET)) {
      closed = true;
      break;
    }
    if (n < 0) break;  // timed out
  }
  close(fd);
  return closed;
}

TEST_P(RpcServerTest, GarbageAndHttp1AreClosedWithoutHurtingOthers) {
  EXPECT_TRUE(ServerCloses(port_, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_TRUE(ServerCloses(port_, std::string(100000, '\x17')));
  // A correct preface, then a frame of an unknown length that never ends.
  EXPECT_TRUE(ServerCloses(port_, std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") +
                                      std::string("\xff\xff\xff\x01\x00\x00\x00\x00\x01", 9)));
  PutResponse response;
  grpc::Status s = Put("k", "v", &response);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(WaitForLiveCalls(0));
}

INSTANTIATE_TEST_SUITE_P(Workers, RpcServerTest, ::testing::Values(1, 3),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return absl::StrCat(info.param, info.param == 1 ? "Worker" : "Workers");
                         });

TEST(RpcServerListenTest, BusyPortAndBadAddressAreErrors) {
  Server first(ServerConfig{});
  absl::StatusOr<int> port = first.Listen("127.0.0.1:0", nullptr);
  ASSERT_TRUE(port.ok()) << port.status();
  Server second(ServerConfig{});
  EXPECT_FALSE(second.Listen(absl::StrCat("127.0.0.1:", *port), nullptr).ok());
  EXPECT_FALSE(second.Listen("no-port-here", nullptr).ok());
  EXPECT_FALSE(second.Listen("256.1.1.1:80", nullptr).ok());
}

}  // namespace
}  // namespace minik8s::rpc
