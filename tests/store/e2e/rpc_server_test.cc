// The store's RPC server (common/rpc/h2_server.h) on a loopback port, in
// process, against gRPC 1.51's C++ client and raw sockets: unary and
// streaming calls, answers from other threads, statuses and their messages
// and binary details, the limits (oversized, compressed, malformed, unknown
// method), flow control on a large stream, cancellation, shutdown, garbage
// on the wire, what handlers learn of a call (peer address, client
// certificate over TLS, metadata), early response headers, and connections
// adopted from elsewhere. The store's services on it are tested through
// etcdctl (store_etcdctl_interop_test).
#include <arpa/inet.h>
#include <errno.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/rpc/h2_server.h"
#include "common/tls.h"
#include "etcd/etcdserverpb/rpc.grpc.pb.h"
#include "gtest/gtest.h"
#include "pki/issue.h"
#include "pki/pem_file.h"
#include "testing/temp_dir.h"

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

// The methods that tell the test what their handlers saw: a unary one
// (DeleteRange; the key "details" is refused with kDetails, "details-ok" is
// answered OK with them) and a server-streaming one, scripted by the test
// (any request message; answered as StreamScript says).
constexpr char kInfoMethod[] = "/etcdserverpb.KV/DeleteRange";
constexpr char kScriptedMethod[] = "/minik8s.test.Scripted/ServerStream";
// Binary status details: not text, and of a length whose base64 is padded.
const std::string kDetails = std::string("\x01\x02") + "binary";

// What the scripted stream does once the client has sent its request.
struct StreamScript {
  bool send_headers = false;  // SendHeaders as soon as the call starts
  bool hold = false;          // wait for HeldStreams::Release before writing
  int writes = 0;             // messages, WatchResponse with watch_id 1, 2, ...
  absl::Status status;        // then Finish with this
  std::string details;
};

class ScriptedStream;

// Scripted streams waiting for the test (StreamScript::hold).
class HeldStreams {
 public:
  void Hold(ScriptedStream* stream) {
    absl::MutexLock lock(&mu_);
    held_.push_back(stream);
  }
  void Forget(ScriptedStream* stream) {
    absl::MutexLock lock(&mu_);
    held_.erase(std::remove(held_.begin(), held_.end(), stream), held_.end());
  }
  int count() {
    absl::MutexLock lock(&mu_);
    return static_cast<int>(held_.size());
  }
  // Lets every held stream go on; false if none was held.
  bool Release();

 private:
  absl::Mutex mu_;
  std::vector<ScriptedStream*> held_ ABSL_GUARDED_BY(mu_);
};

class ScriptedStream final : public StreamCallbacks {
 public:
  ScriptedStream(CallRef ref, StreamScript script, HeldStreams* held)
      : ref_(ref), script_(std::move(script)), held_(held) {
    if (script_.hold) held_->Hold(this);
    if (script_.send_headers) ref_.SendHeaders();
  }

  bool OnMessage(std::string_view) override { return true; }
  void OnReadsDone() override {
    if (!script_.hold) Go(/*cancelled=*/false);
  }
  // The call must be finished all the same.
  void OnCancelled() override { Go(/*cancelled=*/true); }
  void OnWritten(bool ok) override {
    absl::MutexLock lock(&mu_);
    if (ok && written_ + 1 < script_.writes) {
      ++written_;
      ref_.Write(Message(written_ + 1));
    } else {
      ref_.Finish(script_.status, script_.details);
    }
  }
  void OnFinished() override {
    held_->Forget(this);
    delete this;
  }

  // Starts writing (or finishes), once.
  void Go(bool cancelled) {
    absl::MutexLock lock(&mu_);
    if (started_) return;
    started_ = true;
    if (cancelled || script_.writes == 0) {
      ref_.Finish(script_.status, script_.details);
    } else {
      ref_.Write(Message(1));
    }
  }

 private:
  static std::string Message(int64_t id) {
    WatchResponse response;
    response.set_watch_id(id);
    return Frame(response);
  }

  const CallRef ref_;
  const StreamScript script_;
  HeldStreams* const held_;
  absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  int written_ ABSL_GUARDED_BY(mu_) = 0;
};

bool HeldStreams::Release() {
  // Under the lock: a held stream is deleted only after it has been
  // forgotten.
  absl::MutexLock lock(&mu_);
  for (ScriptedStream* stream : held_) stream->Go(/*cancelled=*/false);
  return !held_.empty();
}

// Each test runs with one worker thread (the store's default) and with three
// (connections handed out round-robin, answers posted across workers).
class RpcServerTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    ServerConfig config;
    config.max_receive_message_bytes = kMaxMessage;
    config.worker_threads = GetParam();
    ASSERT_NO_FATAL_FAILURE(StartServer(config, nullptr, &server_, &port_));
    channel_ =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials());
  }

  // A server with the test's methods, listening on a free loopback port.
  void StartServer(const ServerConfig& config, std::shared_ptr<SSL_CTX> tls,
                   std::unique_ptr<Server>* server, int* port) {
    *server = std::make_unique<Server>(config);
    // Put: answers on another thread after the value's length in ms (at most
    // 100), with the value's size as the revision; the key "fail" gets
    // NOT_FOUND with a message that needs percent-encoding.
    Method put;
    put.unary = [](std::string_view message, CallRef ref, const CallInfo&) {
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
    (*server)->AddMethod("/etcdserverpb.KV/Put", std::move(put));
    Method watch;
    watch.streaming = [this](CallRef ref, const CallInfo&) -> StreamCallbacks* {
      return new EchoStream(ref, big_.load(), &cancelled_, &finished_);
    };
    (*server)->AddMethod("/etcdserverpb.Watch/Watch", std::move(watch));
    Method info;
    info.unary = [this](std::string_view message, CallRef ref, const CallInfo& call) {
      Record(call);
      etcdserverpb::DeleteRangeRequest request;
      if (!request.ParseFromArray(message.data(), static_cast<int>(message.size()))) {
        return ref.Reply(absl::InternalError("bad request"), "");
      }
      if (request.key() == "details") {
        return ref.Reply(absl::PermissionDeniedError("denied"), "", kDetails);
      }
      etcdserverpb::DeleteRangeResponse response;
      response.set_deleted(7);
      ref.Reply(absl::OkStatus(), Frame(response), request.key() == "details-ok" ? kDetails : "");
    };
    (*server)->AddMethod(kInfoMethod, std::move(info));
    Method scripted;
    scripted.streaming = [this](CallRef ref, const CallInfo& call) -> StreamCallbacks* {
      Record(call);
      absl::MutexLock lock(&mu_);
      return new ScriptedStream(ref, script_, &held_);
    };
    (*server)->AddMethod(kScriptedMethod, std::move(scripted));
    absl::StatusOr<int> bound = (*server)->Listen("127.0.0.1:0", std::move(tls));
    ASSERT_TRUE(bound.ok()) << bound.status();
    *port = *bound;
    (*server)->Start();
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

  // The info method: the key's call on `channel` (the fixture's by default),
  // with `context` as the test prepared it (a deadline is added).
  grpc::Status CallInfoMethod(const std::string& key, grpc::ClientContext* context,
                              std::shared_ptr<grpc::Channel> channel = nullptr) {
    auto stub = etcdserverpb::KV::NewStub(channel != nullptr ? channel : channel_);
    context->set_deadline(Deadline());
    etcdserverpb::DeleteRangeRequest request;
    request.set_key(key);
    etcdserverpb::DeleteRangeResponse response;
    grpc::Status status = stub->DeleteRange(context, request, &response);
    if (status.ok() && response.deleted() != 7) {
      return grpc::Status(grpc::StatusCode::INTERNAL, "not the info method's response");
    }
    return status;
  }

  // A call of the scripted server-streaming method (`context` as prepared).
  std::unique_ptr<grpc::ClientReader<WatchResponse>> CallScripted(
      grpc::ClientContext* context, std::shared_ptr<grpc::Channel> channel = nullptr) {
    const grpc::internal::RpcMethod method(kScriptedMethod,
                                           grpc::internal::RpcMethod::SERVER_STREAMING);
    return std::unique_ptr<grpc::ClientReader<WatchResponse>>(
        grpc::internal::ClientReaderFactory<WatchResponse>::Create(
            (channel != nullptr ? channel : channel_).get(), method, context, WatchRequest()));
  }

  void SetScript(StreamScript script) {
    absl::MutexLock lock(&mu_);
    script_ = std::move(script);
  }

  void Record(const CallInfo& info) {
    absl::MutexLock lock(&mu_);
    infos_.push_back(info);
  }

  // What the last call's handler was told (the test fails without one).
  CallInfo LastInfo() {
    absl::MutexLock lock(&mu_);
    if (infos_.empty()) {
      ADD_FAILURE() << "no call reached the info or scripted method";
      return CallInfo{.peer = std::make_shared<Peer>()};
    }
    return infos_.back();
  }

  // What the handlers use, before the server (destroyed after it).
  HeldStreams held_;
  absl::Mutex mu_;
  StreamScript script_ ABSL_GUARDED_BY(mu_);
  std::vector<CallInfo> infos_ ABSL_GUARDED_BY(mu_);
  std::atomic<int> big_{0};
  std::atomic<int> cancelled_{0};
  std::atomic<int> finished_{0};
  std::unique_ptr<Server> server_;
  int port_ = 0;
  std::shared_ptr<grpc::Channel> channel_;
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

TEST_P(RpcServerTest, HandlersGetTheRequestsCustomMetadataWhenKept) {
  ServerConfig config;
  config.worker_threads = GetParam();
  config.keep_metadata = true;
  std::unique_ptr<Server> server;
  int port = 0;
  ASSERT_NO_FATAL_FAILURE(StartServer(config, nullptr, &server, &port));
  auto channel =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
  {
    // The deadline makes the client send grpc-timeout; gRPC always sends
    // content-type, te and grpc-accept-encoding.
    grpc::ClientContext context;
    context.AddMetadata("x-custom", "v");
    context.AddMetadata("authorization", "Bearer abc");
    context.AddMetadata("x-multi", "1");
    context.AddMetadata("x-multi", "2");
    grpc::Status s = CallInfoMethod("k", &context, channel);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  const CallInfo info = LastInfo();
  EXPECT_EQ(info.Find("x-custom"), "v");
  EXPECT_EQ(info.Find("authorization"), "Bearer abc");
  EXPECT_EQ(info.Find("x-multi"), "1");  // the first value
  EXPECT_EQ(info.Find("x-absent"), std::string_view());
  EXPECT_NE(info.Find("user-agent").find("grpc-c++"), std::string_view::npos)
      << "user-agent is not reserved";
  std::vector<std::string> multi;
  for (const auto& [name, value] : info.metadata) {
    EXPECT_FALSE(name.empty());
    EXPECT_NE(name.front(), ':') << name;
    EXPECT_NE(name, "content-type");
    EXPECT_NE(name, "te");
    EXPECT_FALSE(absl::StartsWith(name, "grpc-")) << name << ": " << value;
    EXPECT_EQ(absl::AsciiStrToLower(name), name);
    if (name == "x-multi") multi.push_back(value);
  }
  EXPECT_EQ(multi, (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(info.Find("grpc-timeout"), std::string_view());
  EXPECT_EQ(info.Find("grpc-accept-encoding"), std::string_view());

  // A streaming call's handler gets them too.
  SetScript({.writes = 1});
  {
    grpc::ClientContext context;
    context.set_deadline(Deadline());
    context.AddMetadata("x-stream", "s");
    auto reader = CallScripted(&context, channel);
    WatchResponse response;
    while (reader->Read(&response)) {
    }
    grpc::Status s = reader->Finish();
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  EXPECT_EQ(LastInfo().Find("x-stream"), "s");
  EXPECT_EQ(LastInfo().Find("x-custom"), std::string_view());

  // Without keep_metadata (the fixture's server), none.
  {
    grpc::ClientContext context;
    context.AddMetadata("x-custom", "v");
    context.AddMetadata("authorization", "Bearer abc");
    grpc::Status s = CallInfoMethod("k", &context);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  EXPECT_TRUE(LastInfo().metadata.empty());
  EXPECT_EQ(LastInfo().Find("x-custom"), std::string_view());
  server->Shutdown(absl::Milliseconds(100));
}

TEST_P(RpcServerTest, HandlersGetThePeerAddressAsGrpcNamesIt) {
  {
    grpc::ClientContext context;
    grpc::Status s = CallInfoMethod("k", &context);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  CallInfo info = LastInfo();
  ASSERT_NE(info.peer, nullptr);
  EXPECT_FALSE(info.peer->certificate.has_value());
  const std::string prefix = "ipv4:127.0.0.1:";
  ASSERT_TRUE(absl::StartsWith(info.peer->address, prefix)) << info.peer->address;
  int client_port = 0;
  EXPECT_TRUE(absl::SimpleAtoi(info.peer->address.substr(prefix.size()), &client_port))
      << info.peer->address;
  EXPECT_GT(client_port, 0);
  EXPECT_LT(client_port, 65536);
  EXPECT_NE(client_port, port_);

  // A client on a socket of the test's: the port is the socket's own.
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port_));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0)
      << std::strerror(errno);
  sockaddr_in local{};
  socklen_t length = sizeof local;
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length), 0);
  auto channel = grpc::CreateInsecureChannelFromFd("peer-test", fd);  // takes the fd
  {
    grpc::ClientContext context;
    grpc::Status s = CallInfoMethod("k", &context, channel);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  info = LastInfo();
  EXPECT_EQ(info.peer->address, absl::StrCat(prefix, ntohs(local.sin_port)));
  EXPECT_FALSE(info.peer->certificate.has_value());
}

// A CA, a serving certificate for 127.0.0.1 and a client certificate, as
// files (the server's) and PEM text (the client's).
struct TestPki {
  minik8s::testing::TempDir dir;
  std::string ca_pem;
  std::string client_cert_pem;
  std::string client_key_pem;
  TlsServerFiles server_files;
};

void MakeTestPki(const std::string& client_cn, std::vector<std::string> client_organizations,
                 TestPki* out) {
  absl::StatusOr<pki::CertificateAuthority> ca = pki::CreateSelfSignedCa();
  ASSERT_TRUE(ca.ok()) << ca.status();
  absl::StatusOr<pki::IssuedCert> serving =
      pki::IssueWithNewKey(*ca, pki::ServingSpec("rpc-server", {"localhost"}, {"127.0.0.1"}));
  ASSERT_TRUE(serving.ok()) << serving.status();
  absl::StatusOr<pki::IssuedCert> client =
      pki::IssueWithNewKey(*ca, pki::ClientSpec(client_cn, std::move(client_organizations)));
  ASSERT_TRUE(client.ok()) << client.status();
  out->server_files.cert_file = out->dir.Join("server.crt");
  out->server_files.key_file = out->dir.Join("server.key");
  out->server_files.trusted_ca_file = out->dir.Join("ca.crt");
  out->server_files.request_client_cert = true;
  ASSERT_TRUE(pki::WriteCertificateFile(out->server_files.cert_file, serving->cert).ok());
  ASSERT_TRUE(pki::WritePrivateKeyFile(out->server_files.key_file, serving->key).ok());
  ASSERT_TRUE(pki::WriteCertificateFile(out->server_files.trusted_ca_file, ca->cert).ok());
  absl::StatusOr<std::string> pem = ca->cert.ToPem();
  ASSERT_TRUE(pem.ok()) << pem.status();
  out->ca_pem = *pem;
  pem = client->cert.ToPem();
  ASSERT_TRUE(pem.ok()) << pem.status();
  out->client_cert_pem = *pem;
  pem = client->key.ToPem();
  ASSERT_TRUE(pem.ok()) << pem.status();
  out->client_key_pem = *pem;
}

TEST_P(RpcServerTest, OverTlsHandlersGetTheVerifiedClientCertificatesSubject) {
  TestPki test_pki;
  ASSERT_NO_FATAL_FAILURE(MakeTestPki("alice", {"system:masters", "devs"}, &test_pki));
  absl::StatusOr<SslCtxPtr> context = MakeServerSslContext(test_pki.server_files);
  ASSERT_TRUE(context.ok()) << context.status();
  ServerConfig config;
  config.worker_threads = GetParam();
  std::unique_ptr<Server> server;
  int port = 0;
  ASSERT_NO_FATAL_FAILURE(
      StartServer(config, std::shared_ptr<SSL_CTX>(std::move(*context)), &server, &port));
  auto channel_with = [&](bool with_certificate) {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = test_pki.ca_pem;
    if (with_certificate) {
      options.pem_cert_chain = test_pki.client_cert_pem;
      options.pem_private_key = test_pki.client_key_pem;
    }
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection of its own
    return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                     grpc::SslCredentials(options), args);
  };

  {
    grpc::ClientContext client_context;
    grpc::Status s = CallInfoMethod("k", &client_context, channel_with(true));
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  CallInfo info = LastInfo();
  ASSERT_TRUE(info.peer->certificate.has_value());
  EXPECT_EQ(info.peer->certificate->common_name, "alice");
  EXPECT_EQ(info.peer->certificate->organizations,
            (std::vector<std::string>{"system:masters", "devs"}));
  EXPECT_TRUE(absl::StartsWith(info.peer->address, "ipv4:127.0.0.1:")) << info.peer->address;

  // A streaming call's handler too.
  SetScript({});
  {
    grpc::ClientContext client_context;
    client_context.set_deadline(Deadline());
    auto reader = CallScripted(&client_context, channel_with(true));
    WatchResponse response;
    EXPECT_FALSE(reader->Read(&response));
    grpc::Status s = reader->Finish();
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  info = LastInfo();
  ASSERT_TRUE(info.peer->certificate.has_value());
  EXPECT_EQ(info.peer->certificate->common_name, "alice");

  // Without a certificate: let in, and none.
  {
    grpc::ClientContext client_context;
    grpc::Status s = CallInfoMethod("k", &client_context, channel_with(false));
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  info = LastInfo();
  EXPECT_FALSE(info.peer->certificate.has_value()) << info.peer->certificate->common_name;
  EXPECT_TRUE(absl::StartsWith(info.peer->address, "ipv4:127.0.0.1:")) << info.peer->address;
  server->Shutdown(absl::Milliseconds(100));
}

TEST_P(RpcServerTest, StatusDetailsReachTheClient) {
  // Every byte value, more than one HPACK literal's worth of base64.
  std::string long_details;
  for (int i = 0; i < 2048; ++i) long_details.push_back(static_cast<char>(i % 256));
  {
    grpc::ClientContext context;
    grpc::Status s = CallInfoMethod("details", &context);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(s.error_message(), "denied");
    EXPECT_EQ(s.error_details(), kDetails);
  }
  {
    // Details go with errors only.
    grpc::ClientContext context;
    grpc::Status s = CallInfoMethod("details-ok", &context);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(s.error_details(), "");
  }
  struct Case {
    const char* what;
    StreamScript script;
    int messages;
  };
  const absl::Status aborted = absl::AbortedError("aborted");
  const std::vector<Case> cases = {
      {"trailers after a message", {.writes = 1, .status = aborted, .details = kDetails}, 1},
      {"trailers after two messages", {.writes = 2, .status = aborted, .details = long_details}, 2},
      {"trailers-only", {.status = aborted, .details = kDetails}, 0},
      {"trailers after early headers",
       {.send_headers = true, .status = aborted, .details = kDetails},
       0},
      {"an error without details", {.writes = 1, .status = aborted}, 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    SetScript(c.script);
    grpc::ClientContext context;
    context.set_deadline(Deadline());
    auto reader = CallScripted(&context);
    WatchResponse response;
    int messages = 0;
    while (reader->Read(&response)) EXPECT_EQ(response.watch_id(), ++messages);
    EXPECT_EQ(messages, c.messages);
    grpc::Status s = reader->Finish();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED) << s.error_message();
    EXPECT_EQ(s.error_message(), "aborted");
    if (c.script.details.size() <= 64) {
      EXPECT_EQ(s.error_details(), c.script.details);
    } else {
      EXPECT_TRUE(s.error_details() == c.script.details)
          << s.error_details().size() << " bytes, not the " << c.script.details.size() << " sent";
    }
  }
  EXPECT_TRUE(WaitForLiveCalls(0));
}

TEST_P(RpcServerTest, SendHeadersEstablishesAStreamBeforeItsFirstMessage) {
  SetScript({.send_headers = true, .hold = true, .writes = 1});
  grpc::ClientContext context;
  context.set_deadline(Deadline(5));  // without the headers, the wait ends here
  auto reader = CallScripted(&context);
  const absl::Time start = absl::Now();
  reader->WaitForInitialMetadata();
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  // Nothing was written: the handler is still waiting for the test.
  EXPECT_EQ(held_.count(), 1);
  EXPECT_EQ(server_->live_calls(), 1);
  EXPECT_TRUE(held_.Release());
  WatchResponse response;
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_EQ(response.watch_id(), 1);
  EXPECT_FALSE(reader->Read(&response));
  grpc::Status s = reader->Finish();
  EXPECT_TRUE(s.ok()) << s.error_code() << ": " << s.error_message();
}

TEST_P(RpcServerTest, WithoutSendHeadersTheHeadersComeWithTheFirstMessage) {
  // The control: the same handler without SendHeaders leaves the client
  // waiting until it writes.
  SetScript({.hold = true, .writes = 1});
  grpc::ClientContext context;
  context.set_deadline(Deadline(10));
  auto reader = CallScripted(&context);
  absl::Notification headers;
  std::thread waiter([&] {
    reader->WaitForInitialMetadata();
    headers.Notify();
  });
  ASSERT_TRUE(WaitForLiveCalls(1));
  EXPECT_FALSE(headers.WaitForNotificationWithTimeout(absl::Milliseconds(300)));
  EXPECT_TRUE(held_.Release());
  EXPECT_TRUE(headers.WaitForNotificationWithTimeout(absl::Seconds(5)));
  waiter.join();
  WatchResponse response;
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_EQ(response.watch_id(), 1);
  EXPECT_FALSE(reader->Read(&response));
  EXPECT_TRUE(reader->Finish().ok());
}

TEST_P(RpcServerTest, AdoptedConnectionsAreServedAsTheirGivenPeer) {
  // Three: with three workers, one for each.
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    int fds[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    const std::string organization = absl::StrCat("connection-", i);
    server_->Adopt(fds[0], std::make_shared<const Peer>(Peer{
                               .address = "test-peer",
                               .certificate = CertificateSubject{.common_name = "adopted",
                                                                 .organizations = {organization}},
                           }));
    auto channel = grpc::CreateInsecureChannelFromFd("adopted", fds[1]);  // takes the fd
    {
      grpc::ClientContext context;
      grpc::Status s = CallInfoMethod("k", &context, channel);
      ASSERT_TRUE(s.ok()) << s.error_code() << ": " << s.error_message();
    }
    const CallInfo info = LastInfo();
    EXPECT_EQ(info.peer->address, "test-peer");
    ASSERT_TRUE(info.peer->certificate.has_value());
    EXPECT_EQ(*info.peer->certificate,
              (CertificateSubject{.common_name = "adopted", .organizations = {organization}}));
    // Other calls on it: answered from another thread, and a stream.
    PutResponse put;
    grpc::Status s = Put("k", "vv", &put, channel);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(put.header().revision(), 2);
    auto stub = etcdserverpb::Watch::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(Deadline());
    auto stream = stub->Watch(&context);
    WatchRequest request;
    request.mutable_cancel_request()->set_watch_id(5);
    ASSERT_TRUE(stream->Write(request));
    ASSERT_TRUE(stream->WritesDone());
    WatchResponse response;
    ASSERT_TRUE(stream->Read(&response));
    EXPECT_EQ(response.watch_id(), 5);
    EXPECT_FALSE(stream->Read(&response));
    EXPECT_TRUE(stream->Finish().ok());
  }
  EXPECT_TRUE(WaitForLiveCalls(0));
}

// Whether `fd` reads end of file within 5 s (after whatever comes first).
bool ReadsEof(int fd) {
  char buffer[4096];
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  for (;;) {
    const int left = static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now()));
    if (left <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, left) != 1) return false;
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n == 0) return true;
    if (n < 0) return errno == ECONNRESET;
  }
}

TEST_P(RpcServerTest, AdoptedConnectionsCloseAtShutdownAndAdoptAfterItOnlyCloses) {
  // Adopted while running: the server's SETTINGS come at once, and the
  // connection is closed at shutdown.
  int running[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, running), 0);
  server_->Adopt(running[0], std::make_shared<const Peer>(Peer{.address = "test-peer"}));
  pollfd p{running[1], POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 5000), 1);
  char frame[9];
  ASSERT_EQ(recv(running[1], frame, sizeof frame, MSG_WAITALL), 9);
  EXPECT_EQ(frame[3], 0x4) << "a SETTINGS frame first";
  server_->Shutdown(absl::Milliseconds(100));
  EXPECT_TRUE(ReadsEof(running[1]));
  close(running[1]);

  int after[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, after), 0);
  server_->Adopt(after[0], std::make_shared<const Peer>(Peer{.address = "test-peer"}));
  // Closed: nothing is written, and the other end reads end of file.
  EXPECT_TRUE(ReadsEof(after[1]));
  close(after[1]);
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
