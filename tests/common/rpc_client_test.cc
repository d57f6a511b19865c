// rpc::Channel (common/rpc/h2_client.h), the gRPC client on nghttp2, in
// process against real servers on loopback ports and unix sockets:
// - rpc::Server (h2_server.h) in plaintext: unary calls, error statuses with
//   their percent-encoded messages and binary details, custom and binary
//   metadata and the user-agent as the server sees them, deadlines,
//   concurrent calls from several threads, the receive limit, server streams
//   (order, final status, flow control on a large one), a stream cancelled
//   from another thread, dropped by its reader, timed out, or outliving its
//   Channel; over a unix socket and IPv6 loopback too; Create refusing an
//   empty target and a missing TLS file;
// - connection management: a refused connection (fails at once, then the
//   backoff, then a server that came up meanwhile), a server restarted on
//   the same port, GOAWAY with a call still being answered, a server that
//   accepts and never speaks, a connection that goes silent (keepalive) or
//   drops (through a TCP proxy of the test's);
// - TLS: the client certificate as the server sees it, and the handshakes
//   that must fail (a server certificate of another CA, a host the
//   certificate does not name, no client certificate where one is required);
// - gRPC 1.51's own server (grpc::ServerBuilder) on a unix socket, serving a
//   fake of minik8s.apiserver.v1.ApiServer: unary calls, errors with details,
//   a watch stream and its status, cancellation, deadlines, the receive
//   limit, and the metadata, user-agent and grpc-timeout it receives.
#include <arpa/inet.h>
#include <errno.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "apiserver/v1/apiserver.grpc.pb.h"
#include "common/rpc/h2_client.h"
#include "common/rpc/h2_server.h"
#include "common/tls.h"
#include "gtest/gtest.h"
#include "pki/issue.h"
#include "pki/pem_file.h"
#include "testing/temp_dir.h"
#include "testing/wait.h"

namespace minik8s::rpc {
namespace {

namespace apiv1 = ::minik8s::apiserver::v1;
using ::minik8s::testing::TempDir;
using ::minik8s::testing::WaitFor;

// ===========================================================================
// Shared helpers
// ===========================================================================

constexpr char kUserAgent[] = "rpc-client-test/1.0";
// A call expected to end quickly gets this long; a test that hangs fails
// on it rather than on the test runner's timeout.
constexpr absl::Duration kCallTimeout = absl::Seconds(10);

CallOptions WithTimeout(absl::Duration timeout) {
  CallOptions options;
  options.deadline = absl::Now() + timeout;
  return options;
}

ChannelOptions Options(std::string target) {
  ChannelOptions options;
  options.target = std::move(target);
  options.user_agent = kUserAgent;
  return options;
}

// A Channel, or nullptr (with a test failure) when Create refuses `options`.
std::unique_ptr<Channel> NewChannel(ChannelOptions options) {
  absl::StatusOr<std::unique_ptr<Channel>> channel = Channel::Create(std::move(options));
  EXPECT_TRUE(channel.ok()) << channel.status();
  return channel.ok() ? *std::move(channel) : nullptr;
}

// Whether `status`'s message names a refused connection, as strerror does.
bool MentionsRefusal(const absl::Status& status) {
  return absl::StrContains(absl::AsciiStrToLower(status.message()), "connection refused");
}

std::string Loopback(int port) { return absl::StrCat("127.0.0.1:", port); }

// A socket listening on a free 127.0.0.1 port (backlog 16), and the port
// in *port; -1 on failure.
int ListenOnLoopback(int* port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || listen(fd, 16) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    close(fd);
    return -1;
  }
  *port = ntohs(address.sin_port);
  return fd;
}

// A loopback port nothing listens on (free when this returns).
int UnusedPort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

// Every byte value, twice: details that are not text, of a length (512)
// whose base64 needs padding.
std::string AllBytes() {
  std::string bytes;
  for (int i = 0; i < 512; ++i) bytes.push_back(static_cast<char>(i % 256));
  return bytes;
}

// A status message that must be percent-encoded on the wire: '%' (also
// before two hex digits, which a decoder must not decode twice), UTF-8, a
// control character.
const std::string kFailMessage = "denied: 100% sure, %41 stays, caf\xc3\xa9 \xe2\x9c\x93\tend";

// ===========================================================================
// rpc::Server side: the methods the test's server offers
// ===========================================================================

constexpr char kEchoMethod[] = "/minik8s.test.Client/Echo";
constexpr char kFailMethod[] = "/minik8s.test.Client/Fail";
constexpr char kInfoMethod[] = "/minik8s.test.Client/Info";
constexpr char kHoldMethod[] = "/minik8s.test.Client/Hold";
constexpr char kStreamMethod[] = "/minik8s.test.Client/Stream";
constexpr char kHoldStreamMethod[] = "/minik8s.test.Client/HoldStream";
const std::string kStreamDetails("stream\0details", 14);

// The request of kStreamMethod: `count` messages of `size` bytes, then
// `code` with `message`.
std::string StreamRequest(int count, int size, absl::StatusCode code = absl::StatusCode::kOk,
                          const std::string& message = "") {
  return absl::StrCat(count, " ", size, " ", static_cast<int>(code), " ", message);
}

// Message `index` of a kStreamMethod stream: "message-<index>", padded with
// '.' to `size` bytes.
std::string StreamMessage(int index, int size) {
  std::string message = absl::StrCat("message-", index);
  if (static_cast<int>(message.size()) < size) message.resize(size, '.');
  return message;
}

class TestService;

// A call of kStreamMethod (writes what its request asks for, then
// finishes; an error status goes with kStreamDetails) or of
// kHoldStreamMethod (writes "first", then waits for the call to end). A
// cancelled call is finished with CANCELLED.
class ScriptedStream final : public StreamCallbacks {
 public:
  ScriptedStream(CallRef call, bool hold, TestService* service)
      : call_(call), hold_(hold), service_(service) {}

  bool OnMessage(std::string_view message) override;
  void OnReadsDone() override {}
  void OnCancelled() override;
  void OnWritten(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) write_failed_ = true;
    WriteNextLocked();
    MaybeFinishLocked();
  }
  void OnFinished() override { delete this; }

 private:
  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || cancelled_ || write_failed_ || !started_ || next_ >= count_) return;
    writing_ = true;
    const std::string message = hold_ ? "first" : StreamMessage(next_, size_);
    ++next_;
    call_.Write(FrameBytes(message));
  }

  void MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || writing_) return;
    if (cancelled_ || write_failed_) {
      finished_ = true;
      call_.Finish(absl::CancelledError("the call ended"));
      return;
    }
    if (!started_ || hold_ || next_ < count_) return;
    finished_ = true;
    call_.Finish(status_, status_.ok() ? "" : kStreamDetails);
  }

  const CallRef call_;
  const bool hold_;
  TestService* const service_;
  absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  int count_ ABSL_GUARDED_BY(mu_) = 0;
  int size_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
  int next_ ABSL_GUARDED_BY(mu_) = 0;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool write_failed_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

// The handlers of the test's rpc::Server and what they saw:
//   Echo: answers the request's bytes;
//   Fail: PERMISSION_DENIED with kFailMessage and AllBytes() as details;
//   Info: remembers its CallInfo, answers "seen";
//   Hold: keeps the call until ReleaseHeld (which echoes the request);
//   Stream, HoldStream: ScriptedStream.
class TestService {
 public:
  void Register(Server* server) {
    {
      absl::MutexLock lock(&mu_);
      closing_ = false;
    }
    Method echo;
    echo.unary = [](std::string_view message, CallRef call, const CallInfo&) {
      call.Reply(absl::OkStatus(), FrameBytes(message));
    };
    server->AddMethod(kEchoMethod, std::move(echo));
    Method fail;
    fail.unary = [](std::string_view, CallRef call, const CallInfo&) {
      call.Reply(absl::PermissionDeniedError(kFailMessage), "", AllBytes());
    };
    server->AddMethod(kFailMethod, std::move(fail));
    Method info;
    info.unary = [this](std::string_view, CallRef call, const CallInfo& call_info) {
      {
        absl::MutexLock lock(&mu_);
        last_info_ = call_info;
      }
      call.Reply(absl::OkStatus(), FrameBytes("seen"));
    };
    server->AddMethod(kInfoMethod, std::move(info));
    Method hold;
    hold.unary = [this](std::string_view message, CallRef call, const CallInfo&) {
      absl::MutexLock lock(&mu_);
      if (closing_) return call.Reply(absl::UnavailableError("the test server is stopping"), "");
      held_.push_back({call, std::string(message)});
    };
    server->AddMethod(kHoldMethod, std::move(hold));
    Method stream;
    stream.streaming = [this](CallRef call, const CallInfo&) {
      return new ScriptedStream(call, /*hold=*/false, this);
    };
    server->AddMethod(kStreamMethod, std::move(stream));
    Method hold_stream;
    hold_stream.streaming = [this](CallRef call, const CallInfo&) {
      return new ScriptedStream(call, /*hold=*/true, this);
    };
    server->AddMethod(kHoldStreamMethod, std::move(hold_stream));
  }

  std::optional<CallInfo> last_info() {
    absl::MutexLock lock(&mu_);
    return last_info_;
  }

  int held_calls() {
    absl::MutexLock lock(&mu_);
    return static_cast<int>(held_.size());
  }

  // Answers every held call with its own request; with `closing`, later
  // ones are refused at once (the server can then shut down).
  void ReleaseHeld(bool closing = false) {
    std::vector<Held> held;
    {
      absl::MutexLock lock(&mu_);
      held.swap(held_);
      if (closing) closing_ = true;
    }
    for (const Held& h : held) h.call.Reply(absl::OkStatus(), FrameBytes(h.request));
  }

  void StreamCancelled() { stream_cancellations_.fetch_add(1); }
  int stream_cancellations() const { return stream_cancellations_.load(); }

 private:
  struct Held {
    CallRef call;
    std::string request;
  };
  absl::Mutex mu_;
  std::optional<CallInfo> last_info_ ABSL_GUARDED_BY(mu_);
  std::vector<Held> held_ ABSL_GUARDED_BY(mu_);
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<int> stream_cancellations_{0};
};

bool ScriptedStream::OnMessage(std::string_view message) {
  absl::MutexLock lock(&mu_);
  if (started_) return false;  // one request message
  if (hold_) {
    count_ = 1;
  } else {
    std::vector<std::string> parts = absl::StrSplit(std::string(message), absl::MaxSplits(' ', 3));
    int code = 0;
    if (parts.size() != 4 || !absl::SimpleAtoi(parts[0], &count_) ||
        !absl::SimpleAtoi(parts[1], &size_) || !absl::SimpleAtoi(parts[2], &code)) {
      return false;
    }
    status_ = absl::Status(static_cast<absl::StatusCode>(code), parts[3]);
  }
  started_ = true;
  WriteNextLocked();
  MaybeFinishLocked();
  return true;
}

void ScriptedStream::OnCancelled() {
  service_->StreamCancelled();
  absl::MutexLock lock(&mu_);
  cancelled_ = true;
  MaybeFinishLocked();
}

// An rpc::Server with TestService's methods.
class TestServer {
 public:
  TestServer() = default;
  ~TestServer() { Stop(); }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  // Listens on `address` ("127.0.0.1:0": a free port) and starts.
  absl::Status Start(const std::string& address, std::shared_ptr<SSL_CTX> tls = nullptr) {
    server_ = std::make_unique<Server>(ServerConfig{.worker_threads = 2, .keep_metadata = true});
    service_.Register(server_.get());
    absl::StatusOr<int> port = server_->Listen(address, std::move(tls));
    if (!port.ok()) {
      server_.reset();
      return port.status();
    }
    port_ = *port;
    server_->Start();
    return absl::OkStatus();
  }

  // Answers the held calls and shuts the server down (`grace` for the rest).
  void Stop(absl::Duration grace = absl::ZeroDuration()) {
    if (server_ == nullptr) return;
    service_.ReleaseHeld(/*closing=*/true);
    server_->Shutdown(grace);
    server_.reset();
  }

  Server* server() { return server_.get(); }
  TestService& service() { return service_; }
  int port() const { return port_; }
  std::string target() const { return Loopback(port_); }

 private:
  TestService service_;  // outlives the server, whose handlers use it
  std::unique_ptr<Server> server_;
  int port_ = 0;
};

CallStatus Echo(Channel* channel, std::string_view request, std::string* response,
                absl::Duration timeout = kCallTimeout) {
  return channel->Call(kEchoMethod, request, WithTimeout(timeout), response);
}

// Echo until a call succeeds (true) or `timeout` passes; the last failure
// in *last.
bool EchoUntilOk(Channel* channel, absl::Duration timeout, CallStatus* last) {
  const absl::Time give_up = absl::Now() + timeout;
  for (;;) {
    std::string response;
    *last = Echo(channel, "again", &response, absl::Seconds(2));
    if (last->ok()) return response == "again";
    if (absl::Now() > give_up) return false;
    absl::SleepFor(absl::Milliseconds(20));
  }
}

// ===========================================================================
// 1. Calls against rpc::Server
// ===========================================================================

class RpcClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::Status started = server_.Start("127.0.0.1:0");
    ASSERT_TRUE(started.ok()) << started;
    channel_ = NewChannel(Options(server_.target()));
    ASSERT_NE(channel_, nullptr);
  }

  TestServer server_;
  std::unique_ptr<Channel> channel_;  // goes before the server
};

TEST_F(RpcClientTest, UnaryCallGetsTheServersAnswer) {
  std::string response;
  CallStatus status = Echo(channel_.get(), "hello", &response);
  ASSERT_TRUE(status.ok()) << status.status;
  EXPECT_EQ(response, "hello");
  EXPECT_EQ(status.details, "");

  // An empty message, and one far larger than HTTP/2's initial windows.
  response = "stale";
  status = Echo(channel_.get(), "", &response);
  ASSERT_TRUE(status.ok()) << status.status;
  EXPECT_EQ(response, "");
  std::string big(3 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 % 251);
  status = Echo(channel_.get(), big, &response);
  ASSERT_TRUE(status.ok()) << status.status;
  EXPECT_TRUE(response == big) << "an answer of " << response.size() << " bytes differs";
}

TEST_F(RpcClientTest, ErrorStatusArrivesWithItsMessageAndDetails) {
  std::string response;
  CallStatus status = channel_->Call(kFailMethod, "x", WithTimeout(kCallTimeout), &response);
  EXPECT_EQ(status.status.code(), absl::StatusCode::kPermissionDenied) << status.status;
  EXPECT_EQ(status.status.message(), kFailMessage);
  EXPECT_EQ(status.details, AllBytes());
  EXPECT_FALSE(status.ok());

  // The server's own error: an unknown method.
  status = channel_->Call("/minik8s.test.Client/NoSuchMethod", "x", WithTimeout(kCallTimeout),
                          &response);
  EXPECT_EQ(status.status.code(), absl::StatusCode::kUnimplemented) << status.status;
  EXPECT_TRUE(absl::StrContains(status.status.message(), "NoSuchMethod")) << status.status;
  EXPECT_EQ(status.details, "");

  // The channel goes on after errors.
  status = Echo(channel_.get(), "after", &response);
  ASSERT_TRUE(status.ok()) << status.status;
  EXPECT_EQ(response, "after");
}

TEST_F(RpcClientTest, ServerSeesTheMetadataAndUserAgent) {
  const std::string binary("\x00\x01\xff\xfe bin\n", 9);
  CallOptions options = WithTimeout(kCallTimeout);
  options.metadata = {{"x-request-id", "req-42"}, {"x-trace-bin", binary}, {"x-multi", "one"}};
  std::string response;
  CallStatus status = channel_->Call(kInfoMethod, "", options, &response);
  ASSERT_TRUE(status.ok()) << status.status;
  EXPECT_EQ(response, "seen");
  std::optional<CallInfo> info = server_.service().last_info();
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->Find("x-request-id"), "req-42");
  EXPECT_EQ(info->Find("x-trace-bin"), binary);
  EXPECT_EQ(info->Find("x-multi"), "one");
  const std::string user_agent(info->Find("user-agent"));
  EXPECT_TRUE(absl::StartsWith(user_agent, kUserAgent)) << "user-agent: " << user_agent;
  ASSERT_NE(info->peer, nullptr);
  EXPECT_TRUE(absl::StartsWith(info->peer->address, "ipv4:127.0.0.1:")) << info->peer->address;

  // A call without metadata carries none of the last one's.
  status = channel_->Call(kInfoMethod, "", WithTimeout(kCallTimeout), &response);
  ASSERT_TRUE(status.ok()) << status.status;
  info = server_.service().last_info();
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->Find("x-request-id"), "");
  EXPECT_EQ(info->Find("x-trace-bin"), "");
}

TEST_F(RpcClientTest, UnansweredCallFailsWithDeadlineExceededAtItsDeadline) {
  const absl::Duration timeout = absl::Milliseconds(500);
  const absl::Time start = absl::Now();
  CallOptions options;
  options.deadline = start + timeout;
  std::string response;
  CallStatus status = channel_->Call(kHoldMethod, "late", options, &response);
  const absl::Duration elapsed = absl::Now() - start;
  EXPECT_EQ(status.status.code(), absl::StatusCode::kDeadlineExceeded) << status.status;
  EXPECT_GE(elapsed, timeout - absl::Milliseconds(20));
  EXPECT_LT(elapsed, timeout + absl::Milliseconds(1500));
  EXPECT_EQ(server_.service().held_calls(), 1);  // it reached the server

  // An answer after the deadline changes nothing; the channel goes on.
  server_.service().ReleaseHeld();
  CallStatus next = Echo(channel_.get(), "next", &response);
  ASSERT_TRUE(next.ok()) << next.status;
  EXPECT_EQ(response, "next");

  // A deadline already past fails at once.
  options.deadline = absl::Now() - absl::Seconds(1);
  const absl::Time again = absl::Now();
  status = channel_->Call(kEchoMethod, "x", options, &response);
  EXPECT_EQ(status.status.code(), absl::StatusCode::kDeadlineExceeded) << status.status;
  EXPECT_LT(absl::Now() - again, absl::Seconds(1));
}

TEST_F(RpcClientTest, ConcurrentCallsFromManyThreadsGetTheirOwnAnswers) {
  constexpr int kThreads = 8;
  constexpr int kCallsEach = 100;
  std::atomic<int> answered{0};
  absl::Mutex mu;
  std::vector<std::string> failures;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCallsEach; ++i) {
        // Sizes vary, so that answers of different lengths interleave.
        std::string request = absl::StrCat("thread-", t, "-call-", i, "-");
        request.resize(request.size() + (t * 977 + i * 131) % 20000, static_cast<char>('a' + t));
        std::string response;
        CallStatus status = Echo(channel_.get(), request, &response);
        if (status.ok() && response == request) {
          answered.fetch_add(1);
          continue;
        }
        absl::MutexLock lock(&mu);
        failures.push_back(absl::StrCat("thread ", t, " call ", i, ": ", status.status.ToString(),
                                        status.ok() ? " with another call's answer" : ""));
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(answered.load(), kThreads * kCallsEach);
  absl::MutexLock lock(&mu);
  EXPECT_TRUE(failures.empty()) << failures.size() << " failed, the first: " << failures.front();
}

TEST(RpcClientLimitTest, AnswerLargerThanTheReceiveLimitIsResourceExhausted) {
  TestServer server;
  absl::Status started = server.Start("127.0.0.1:0");
  ASSERT_TRUE(started.ok()) << started;
  ChannelOptions options = Options(server.target());
  options.max_receive_message_bytes = 1024;
  std::unique_ptr<Channel> channel = NewChannel(options);
  ASSERT_NE(channel, nullptr);

  std::string response;
  CallStatus status = Echo(channel.get(), std::string(1024, 'a'), &response);
  ASSERT_TRUE(status.ok()) << "at the limit: " << status.status;
  EXPECT_EQ(response.size(), 1024u);

  status = Echo(channel.get(), std::string(1025, 'b'), &response);
  EXPECT_EQ(status.status.code(), absl::StatusCode::kResourceExhausted) << status.status;
  status = Echo(channel.get(), std::string(256 * 1024, 'c'), &response);
  EXPECT_EQ(status.status.code(), absl::StatusCode::kResourceExhausted) << status.status;

  // A stream's message over the limit ends the stream the same way.
  std::unique_ptr<ClientStream> stream =
      channel->StartStream(kStreamMethod, StreamRequest(2, 4096), WithTimeout(kCallTimeout));
  std::string message;
  EXPECT_FALSE(stream->Read(&message));
  EXPECT_EQ(stream->Finish().status.code(), absl::StatusCode::kResourceExhausted);

  // The channel goes on.
  status = Echo(channel.get(), "small", &response);
  ASSERT_TRUE(status.ok()) << status.status;
  EXPECT_EQ(response, "small");
}

TEST_F(RpcClientTest, StreamDeliversItsMessagesInOrderThenTheStatus) {
  std::unique_ptr<ClientStream> stream =
      channel_->StartStream(kStreamMethod, StreamRequest(5, 0), WithTimeout(kCallTimeout));
  ASSERT_NE(stream, nullptr);
  std::vector<std::string> messages;
  std::string message;
  while (stream->Read(&message)) messages.push_back(message);
  EXPECT_EQ(messages, (std::vector<std::string>{"message-0", "message-1", "message-2", "message-3",
                                                "message-4"}));
  CallStatus status = stream->Finish();
  EXPECT_TRUE(status.ok()) << status.status;
  EXPECT_FALSE(stream->Read(&message));  // still over

  // An error status after the messages, with its message and details.
  stream = channel_->StartStream(kStreamMethod,
                                 StreamRequest(3, 0, absl::StatusCode::kAborted, kFailMessage),
                                 WithTimeout(kCallTimeout));
  messages.clear();
  while (stream->Read(&message)) messages.push_back(message);
  EXPECT_EQ(messages, (std::vector<std::string>{"message-0", "message-1", "message-2"}));
  status = stream->Finish();
  EXPECT_EQ(status.status.code(), absl::StatusCode::kAborted) << status.status;
  EXPECT_EQ(status.status.message(), kFailMessage);
  EXPECT_EQ(status.details, kStreamDetails);

  // No messages at all: the status alone (trailers-only).
  stream =
      channel_->StartStream(kStreamMethod, StreamRequest(0, 0, absl::StatusCode::kNotFound, "none"),
                            WithTimeout(kCallTimeout));
  EXPECT_FALSE(stream->Read(&message));
  status = stream->Finish();
  EXPECT_EQ(status.status.code(), absl::StatusCode::kNotFound) << status.status;
  EXPECT_EQ(status.status.message(), "none");
}

TEST_F(RpcClientTest, LargeStreamIsDeliveredWhole) {
  // 8 MiB in 128 messages: many times HTTP/2's initial windows.
  constexpr int kCount = 128;
  constexpr int kSize = 64 * 1024;
  std::unique_ptr<ClientStream> stream = channel_->StartStream(
      kStreamMethod, StreamRequest(kCount, kSize), WithTimeout(absl::Seconds(60)));
  int read = 0;
  int wrong = 0;
  std::string message;
  while (stream->Read(&message)) {
    if (message != StreamMessage(read, kSize)) ++wrong;
    ++read;
    // A slow reader now and then: what arrives meanwhile is buffered.
    if (read % 32 == 0) absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(read, kCount);
  EXPECT_EQ(wrong, 0);
  CallStatus status = stream->Finish();
  EXPECT_TRUE(status.ok()) << status.status;
}

TEST_F(RpcClientTest, CancelFromAnotherThreadUnblocksReadAndTheServerSeesIt) {
  std::unique_ptr<ClientStream> stream =
      channel_->StartStream(kHoldStreamMethod, "", WithTimeout(absl::Seconds(30)));
  std::string message;
  ASSERT_TRUE(stream->Read(&message));
  EXPECT_EQ(message, "first");

  const absl::Time start = absl::Now();
  std::thread canceller([&] {
    absl::SleepFor(absl::Milliseconds(200));  // lets Read block first
    stream->Cancel();
  });
  const bool more = stream->Read(&message);
  const absl::Duration blocked = absl::Now() - start;
  canceller.join();
  EXPECT_FALSE(more);
  EXPECT_LT(blocked, absl::Seconds(5));
  CallStatus status = stream->Finish();
  EXPECT_EQ(status.status.code(), absl::StatusCode::kCancelled) << status.status;
  stream->Cancel();  // again: harmless
  EXPECT_EQ(stream->Finish().status.code(), absl::StatusCode::kCancelled);
  EXPECT_TRUE(
      WaitFor([&] { return server_.service().stream_cancellations() == 1; }, absl::Seconds(5)))
      << "the server saw " << server_.service().stream_cancellations() << " cancellations";

  std::string response;
  CallStatus next = Echo(channel_.get(), "next", &response);
  ASSERT_TRUE(next.ok()) << next.status;
  EXPECT_EQ(response, "next");
}

TEST_F(RpcClientTest, StreamDroppedByItsReaderIsCancelled) {
  std::unique_ptr<ClientStream> stream =
      channel_->StartStream(kHoldStreamMethod, "", WithTimeout(absl::Seconds(30)));
  std::string message;
  ASSERT_TRUE(stream->Read(&message));
  stream.reset();
  EXPECT_TRUE(
      WaitFor([&] { return server_.service().stream_cancellations() == 1; }, absl::Seconds(5)));
}

TEST_F(RpcClientTest, StreamDeadlineEndsItWithDeadlineExceeded) {
  const absl::Duration timeout = absl::Milliseconds(500);
  const absl::Time start = absl::Now();
  CallOptions options;
  options.deadline = start + timeout;
  std::unique_ptr<ClientStream> stream = channel_->StartStream(kHoldStreamMethod, "", options);
  std::string message;
  ASSERT_TRUE(stream->Read(&message));
  EXPECT_EQ(message, "first");
  EXPECT_FALSE(stream->Read(&message));
  const absl::Duration elapsed = absl::Now() - start;
  EXPECT_GE(elapsed, timeout - absl::Milliseconds(20));
  EXPECT_LT(elapsed, timeout + absl::Milliseconds(1500));
  CallStatus status = stream->Finish();
  EXPECT_EQ(status.status.code(), absl::StatusCode::kDeadlineExceeded) << status.status;
  // The call was reset at the deadline: the server's handler learns it.
  EXPECT_TRUE(
      WaitFor([&] { return server_.service().stream_cancellations() == 1; }, absl::Seconds(5)));
}

TEST_F(RpcClientTest, DestroyingTheChannelEndsAnOpenStream) {
  std::unique_ptr<ClientStream> stream =
      channel_->StartStream(kHoldStreamMethod, "", WithTimeout(absl::Seconds(30)));
  std::string message;
  ASSERT_TRUE(stream->Read(&message));

  std::atomic<bool> more{true};
  absl::Notification read_returned;
  std::thread reader([&] {
    std::string next;
    more = stream->Read(&next);
    read_returned.Notify();
  });
  absl::SleepFor(absl::Milliseconds(100));  // lets Read block first
  const absl::Time start = absl::Now();
  channel_.reset();
  const absl::Duration destroying = absl::Now() - start;
  const bool returned = read_returned.WaitForNotificationWithTimeout(absl::Seconds(10));
  EXPECT_TRUE(returned) << "Read still blocked 10s after the Channel went";
  if (!returned) stream->Cancel();  // so that the reader can be joined
  reader.join();
  EXPECT_LT(destroying, absl::Seconds(5));
  EXPECT_FALSE(more.load());
  CallStatus status = stream->Finish();
  EXPECT_EQ(status.status.code(), absl::StatusCode::kCancelled) << status.status;
  EXPECT_FALSE(stream->Read(&message));
  stream.reset();  // after its Channel
  EXPECT_TRUE(
      WaitFor([&] { return server_.service().stream_cancellations() == 1; }, absl::Seconds(5)));
}

TEST(RpcClientAddressTest, CallsOverAUnixSocket) {
  TempDir dir;
  const std::string path = dir.Join("rpc.sock");
  TestServer server;
  absl::Status started = server.Start("unix:" + path);
  ASSERT_TRUE(started.ok()) << started;
  for (const std::string& target : {"unix:" + path, "unix://" + path}) {
    SCOPED_TRACE(target);
    std::unique_ptr<Channel> channel = NewChannel(Options(target));
    ASSERT_NE(channel, nullptr);
    std::string response;
    CallStatus status = Echo(channel.get(), "over unix", &response);
    ASSERT_TRUE(status.ok()) << status.status;
    EXPECT_EQ(response, "over unix");
    std::unique_ptr<ClientStream> stream =
        channel->StartStream(kStreamMethod, StreamRequest(2, 0), WithTimeout(kCallTimeout));
    std::string message;
    int read = 0;
    while (stream->Read(&message)) ++read;
    EXPECT_EQ(read, 2);
    EXPECT_TRUE(stream->Finish().ok());
  }
}

TEST(RpcClientAddressTest, CallsOverIpv6Loopback) {
  TestServer server;
  absl::Status started = server.Start("[::1]:0");
  if (!started.ok()) GTEST_SKIP() << "no IPv6 loopback: " << started;
  std::unique_ptr<Channel> channel = NewChannel(Options(absl::StrCat("[::1]:", server.port())));
  ASSERT_NE(channel, nullptr);
  std::string response;
  CallStatus status = Echo(channel.get(), "over v6", &response);
  ASSERT_TRUE(status.ok()) << status.status;
  EXPECT_EQ(response, "over v6");
}

TEST(RpcClientAddressTest, CreateRefusesWhatItCannotUse) {
  EXPECT_FALSE(Channel::Create(Options("")).ok());
  ChannelOptions options = Options("127.0.0.1:1");
  options.tls = TlsClientFiles{.ca_file = "/nonexistent/minik8s-test/ca.crt"};
  absl::StatusOr<std::unique_ptr<Channel>> channel = Channel::Create(options);
  ASSERT_FALSE(channel.ok());
  EXPECT_TRUE(absl::StrContains(channel.status().message(), "/nonexistent/minik8s-test/ca.crt"))
      << channel.status();
}

// ===========================================================================
// 2. Connection management
// ===========================================================================

// A TCP proxy from a loopback port to another, on one thread of its own:
// it forwards until told to go silent (Freeze: it stops reading either
// side) or to drop the connections it has (Cut).
class Proxy {
 public:
  explicit Proxy(int upstream_port) : upstream_port_(upstream_port) {
    listen_fd_ = ListenOnLoopback(&port_);
    thread_ = std::thread([this] { Run(); });
  }
  ~Proxy() {
    stop_ = true;
    thread_.join();
    if (listen_fd_ >= 0) close(listen_fd_);
  }
  Proxy(const Proxy&) = delete;
  Proxy& operator=(const Proxy&) = delete;

  int port() const { return port_; }  // 0: it could not listen
  int connections() const { return connections_.load(); }
  void Freeze() { frozen_ = true; }
  // Closes both ends of every connection open now; returns once done.
  void Cut() {
    cut_ = true;
    while (cut_.load()) absl::SleepFor(absl::Milliseconds(1));
  }

 private:
  struct Pair {
    int client = -1;
    int upstream = -1;
  };

  void Run() {
    std::vector<Pair> pairs;
    std::vector<char> buffer(64 * 1024);
    while (!stop_) {
      if (cut_) {
        for (Pair& p : pairs) ClosePair(&p);
        pairs.clear();
        cut_ = false;
      }
      std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}};
      const bool frozen = frozen_;
      if (!frozen) {
        for (const Pair& p : pairs) {
          fds.push_back({p.client, POLLIN, 0});
          fds.push_back({p.upstream, POLLIN, 0});
        }
      }
      if (poll(fds.data(), fds.size(), 10) <= 0) continue;
      if ((fds[0].revents & POLLIN) != 0) Accept(&pairs);
      if (frozen) continue;
      const size_t polled = (fds.size() - 1) / 2;
      for (size_t i = 0; i < polled; ++i) {
        Pair& p = pairs[i];
        bool open = true;
        if (fds[1 + 2 * i].revents != 0) open = Forward(p.client, p.upstream, &buffer);
        if (open && fds[2 + 2 * i].revents != 0) open = Forward(p.upstream, p.client, &buffer);
        if (!open) ClosePair(&p);
      }
      std::erase_if(pairs, [](const Pair& p) { return p.client < 0; });
    }
    for (Pair& p : pairs) ClosePair(&p);
  }

  void Accept(std::vector<Pair>* pairs) {
    const int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) return;
    const int upstream = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<uint16_t>(upstream_port_));
    if (upstream < 0 ||
        connect(upstream, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      close(client);
      if (upstream >= 0) close(upstream);
      return;
    }
    connections_.fetch_add(1);
    pairs->push_back({client, upstream});
  }

  // Copies what `from` has to `to`; false when `from` is done or either fails.
  static bool Forward(int from, int to, std::vector<char>* buffer) {
    const ssize_t n = read(from, buffer->data(), buffer->size());
    if (n <= 0) return false;
    for (ssize_t sent = 0; sent < n;) {
      const ssize_t w = write(to, buffer->data() + sent, static_cast<size_t>(n - sent));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return false;
      sent += w;
    }
    return true;
  }

  static void ClosePair(Pair* p) {
    if (p->client >= 0) close(p->client);
    if (p->upstream >= 0) close(p->upstream);
    p->client = p->upstream = -1;
  }

  const int upstream_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> frozen_{false};
  std::atomic<bool> cut_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

TEST(RpcClientConnectionTest, RefusedConnectionFailsFastThenAServerThatCameUpIsReached) {
  const int port = UnusedPort();
  ASSERT_GT(port, 0);
  std::unique_ptr<Channel> channel = NewChannel(Options(Loopback(port)));
  ASSERT_NE(channel, nullptr);

  const absl::Time start = absl::Now();
  std::string response;
  CallStatus status = Echo(channel.get(), "x", &response);
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(900));
  EXPECT_EQ(status.status.code(), absl::StatusCode::kUnavailable) << status.status;
  EXPECT_TRUE(MentionsRefusal(status.status)) << status.status;
  EXPECT_TRUE(absl::StrContains(status.status.message(), absl::StrCat(port))) << status.status;

  TestServer server;
  absl::Status started = server.Start(Loopback(port));
  ASSERT_TRUE(started.ok()) << started;
  CallStatus last;
  EXPECT_TRUE(EchoUntilOk(channel.get(), absl::Seconds(10), &last)) << last.status;
}

TEST(RpcClientConnectionTest, CallsWithinTheReconnectBackoffFailAtOnce) {
  const int port = UnusedPort();
  ASSERT_GT(port, 0);
  ChannelOptions options = Options(Loopback(port));
  options.initial_reconnect_backoff = absl::Seconds(3);
  options.max_reconnect_backoff = absl::Seconds(3);
  std::unique_ptr<Channel> channel = NewChannel(options);
  ASSERT_NE(channel, nullptr);

  std::string response;
  CallStatus status = Echo(channel.get(), "x", &response);
  const absl::Time failed = absl::Now();
  ASSERT_EQ(status.status.code(), absl::StatusCode::kUnavailable) << status.status;

  TestServer server;
  absl::Status started = server.Start(Loopback(port));
  ASSERT_TRUE(started.ok()) << started;
  // Within the backoff, the server is not tried: the call fails at once with
  // the last attempt's status.
  const absl::Time second = absl::Now();
  status = Echo(channel.get(), "x", &response);
  const absl::Time second_done = absl::Now();
  if (second - failed < absl::Seconds(1)) {
    EXPECT_EQ(status.status.code(), absl::StatusCode::kUnavailable) << status.status;
    EXPECT_TRUE(MentionsRefusal(status.status)) << status.status;
    EXPECT_LT(second_done - second, absl::Milliseconds(500));
  }
  // After it, the next call connects.
  CallStatus last;
  EXPECT_TRUE(EchoUntilOk(channel.get(), absl::Seconds(15), &last)) << last.status;
  EXPECT_GE(absl::Now() - failed, absl::Milliseconds(1500));
}

TEST(RpcClientConnectionTest, ServerRestartedOnTheSamePortIsReconnected) {
  auto first = std::make_unique<TestServer>();
  absl::Status started = first->Start("127.0.0.1:0");
  ASSERT_TRUE(started.ok()) << started;
  const int port = first->port();
  std::unique_ptr<Channel> channel = NewChannel(Options(first->target()));
  ASSERT_NE(channel, nullptr);
  std::string response;
  CallStatus status = Echo(channel.get(), "before", &response);
  ASSERT_TRUE(status.ok()) << status.status;

  first->Stop();
  first.reset();
  status = Echo(channel.get(), "while down", &response);
  EXPECT_EQ(status.status.code(), absl::StatusCode::kUnavailable) << status.status;

  TestServer second;
  started = second.Start(Loopback(port));
  ASSERT_TRUE(started.ok()) << started;
  CallStatus last;
  EXPECT_TRUE(EchoUntilOk(channel.get(), absl::Seconds(10), &last)) << last.status;
}

TEST(RpcClientConnectionTest, GoawayLetsAPendingCallFinishAndNewCallsReachTheNextServer) {
  auto first = std::make_unique<TestServer>();
  absl::Status started = first->Start("127.0.0.1:0");
  ASSERT_TRUE(started.ok()) << started;
  const int port = first->port();
  std::unique_ptr<Channel> channel = NewChannel(Options(first->target()));
  ASSERT_NE(channel, nullptr);

  CallStatus pending;
  std::string pending_response;
  std::thread caller([&] {
    pending =
        channel->Call(kHoldMethod, "pending", WithTimeout(absl::Seconds(20)), &pending_response);
  });
  const bool held = WaitFor([&] { return first->service().held_calls() == 1; }, kCallTimeout);
  EXPECT_TRUE(held) << "the call never reached the server";
  // Shutdown sends GOAWAY at once and waits (up to the grace) for the call.
  std::thread stopper([&] { first->server()->Shutdown(absl::Seconds(10)); });
  absl::SleepFor(absl::Milliseconds(200));  // the GOAWAY reaches the client first
  first->service().ReleaseHeld();
  caller.join();
  stopper.join();
  EXPECT_TRUE(pending.ok()) << pending.status;
  EXPECT_EQ(pending_response, "pending");
  first.reset();

  TestServer second;
  started = second.Start(Loopback(port));
  ASSERT_TRUE(started.ok()) << started;
  CallStatus last;
  EXPECT_TRUE(EchoUntilOk(channel.get(), absl::Seconds(10), &last)) << last.status;
}

TEST(RpcClientConnectionTest, ServerThatNeverSpeaksGivesDeadlineExceeded) {
  // A listening socket never accept()ed: the kernel completes the TCP
  // handshake, and nothing more happens.
  int port = 0;
  const int fd = ListenOnLoopback(&port);
  ASSERT_GE(fd, 0);
  std::unique_ptr<Channel> channel = NewChannel(Options(Loopback(port)));
  ASSERT_NE(channel, nullptr);

  for (int i = 0; i < 2; ++i) {
    SCOPED_TRACE(absl::StrCat("call ", i));
    const absl::Duration timeout = absl::Milliseconds(500);
    const absl::Time start = absl::Now();
    CallOptions options;
    options.deadline = start + timeout;
    std::string response;
    CallStatus status = channel->Call(kEchoMethod, "x", options, &response);
    const absl::Duration elapsed = absl::Now() - start;
    EXPECT_EQ(status.status.code(), absl::StatusCode::kDeadlineExceeded) << status.status;
    EXPECT_GE(elapsed, timeout - absl::Milliseconds(20));
    EXPECT_LT(elapsed, timeout + absl::Milliseconds(1500));
  }
  const absl::Time start = absl::Now();
  channel.reset();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  close(fd);
}

TEST(RpcClientConnectionTest, SilentConnectionIsClosedByKeepalive) {
  TestServer server;
  absl::Status started = server.Start("127.0.0.1:0");
  ASSERT_TRUE(started.ok()) << started;
  Proxy proxy(server.port());
  ASSERT_GT(proxy.port(), 0);
  ChannelOptions options = Options(Loopback(proxy.port()));
  options.keepalive_time = absl::Milliseconds(200);
  options.keepalive_timeout = absl::Milliseconds(300);
  std::unique_ptr<Channel> channel = NewChannel(options);
  ASSERT_NE(channel, nullptr);
  std::string response;
  CallStatus status = Echo(channel.get(), "through the proxy", &response);
  ASSERT_TRUE(status.ok()) << status.status;

  // A call open on a connection that answers nothing, not even PINGs.
  proxy.Freeze();
  const absl::Time start = absl::Now();
  status = channel->Call(kEchoMethod, "x", WithTimeout(absl::Seconds(20)), &response);
  EXPECT_EQ(status.status.code(), absl::StatusCode::kUnavailable) << status.status;
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST(RpcClientConnectionTest, DroppedConnectionFailsItsCallsWithUnavailable) {
  TestServer server;
  absl::Status started = server.Start("127.0.0.1:0");
  ASSERT_TRUE(started.ok()) << started;
  Proxy proxy(server.port());
  ASSERT_GT(proxy.port(), 0);
  std::unique_ptr<Channel> channel = NewChannel(Options(Loopback(proxy.port())));
  ASSERT_NE(channel, nullptr);

  CallStatus pending;
  std::string response;
  std::thread caller([&] {
    pending = channel->Call(kHoldMethod, "x", WithTimeout(absl::Seconds(20)), &response);
  });
  const bool held = WaitFor([&] { return server.service().held_calls() == 1; }, kCallTimeout);
  EXPECT_TRUE(held) << "the call never reached the server";
  const absl::Time cut = absl::Now();
  proxy.Cut();
  caller.join();
  EXPECT_EQ(pending.status.code(), absl::StatusCode::kUnavailable) << pending.status;
  EXPECT_LT(absl::Now() - cut, absl::Seconds(5));

  // A new connection (through the same proxy) serves the next calls.
  CallStatus last;
  EXPECT_TRUE(EchoUntilOk(channel.get(), absl::Seconds(10), &last)) << last.status;
  EXPECT_EQ(proxy.connections(), 2);
}

// A server that speaks raw HTTP/2 frames: its SETTINGS, an ACK of the
// client's, and for each request HEADERS what `answer` returns for its
// stream id (frames, written as they are). It counts the requests and
// notices when the client closes the connection.
class RawFrameServer {
 public:
  explicit RawFrameServer(std::function<std::string(uint32_t stream, int request)> answer)
      : answer_(std::move(answer)) {
    listener_ = ListenOnLoopback(&port_);
    if (listener_ < 0) return;
    thread_ = std::thread([this] { Serve(); });
  }
  ~RawFrameServer() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    close(listener_);
  }

  int port() const { return port_; }
  int requests() const { return requests_.load(); }
  bool client_closed() const { return client_closed_.load(); }

  static std::string Frame(uint8_t type, uint8_t flags, uint32_t stream, std::string payload) {
    std::string out;
    const uint32_t length = static_cast<uint32_t>(payload.size());
    out.push_back(static_cast<char>(length >> 16));
    out.push_back(static_cast<char>(length >> 8));
    out.push_back(static_cast<char>(length));
    out.push_back(static_cast<char>(type));
    out.push_back(static_cast<char>(flags));
    for (int shift : {24, 16, 8, 0}) out.push_back(static_cast<char>(stream >> shift));
    return out + payload;
  }
  static std::string RstStream(uint32_t stream, uint32_t code) {
    std::string payload;
    for (int shift : {24, 16, 8, 0}) payload.push_back(static_cast<char>(code >> shift));
    return Frame(3, 0, stream, payload);
  }
  // A trailers-only answer: :status 200, content-type application/grpc,
  // grpc-status `code` and grpc-message `message` (HPACK literals).
  static std::string TrailersOnly(uint32_t stream, int code, const std::string& message) {
    auto literal = [](const std::string& name, const std::string& value) {
      std::string out(1, '\0');
      out.push_back(static_cast<char>(name.size()));
      out += name;
      out.push_back(static_cast<char>(value.size()));
      return out + value;
    };
    std::string block = "\x88";  // :status 200, indexed
    block += literal("content-type", "application/grpc");
    block += literal("grpc-status", absl::StrCat(code));
    block += literal("grpc-message", message);
    return Frame(1, 0x5, stream, block);  // END_STREAM | END_HEADERS
  }

 private:
  void Serve() {
    int fd = -1;
    while (!stop_.load() && fd < 0) {
      pollfd p{listener_, POLLIN, 0};
      if (poll(&p, 1, 50) == 1) fd = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    }
    if (fd < 0) return;
    Send(fd, Frame(4, 0, 0, ""));  // the server's SETTINGS
    std::string in;
    bool preface = false;
    while (!stop_.load()) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 50) != 1) continue;
      char buffer[4096];
      const ssize_t n = read(fd, buffer, sizeof buffer);
      if (n <= 0) {
        client_closed_.store(true);
        break;
      }
      in.append(buffer, static_cast<size_t>(n));
      if (!preface) {
        if (in.size() < 24) continue;
        in.erase(0, 24);
        preface = true;
      }
      while (in.size() >= 9) {
        const auto* h = reinterpret_cast<const unsigned char*>(in.data());
        const size_t length = (size_t{h[0]} << 16) | (size_t{h[1]} << 8) | h[2];
        if (in.size() < 9 + length) break;
        const uint8_t type = h[3];
        const uint8_t flags = h[4];
        const uint32_t stream =
            ((uint32_t{h[5]} & 0x7f) << 24) | (uint32_t{h[6]} << 16) | (uint32_t{h[7]} << 8) | h[8];
        in.erase(0, 9 + length);
        if (type == 4 && (flags & 1) == 0) Send(fd, Frame(4, 1, 0, ""));  // SETTINGS ACK
        if (type == 1) Send(fd, answer_(stream, requests_.fetch_add(1)));
      }
    }
    close(fd);
  }
  static void Send(int fd, const std::string& bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return;
      done += static_cast<size_t>(n);
    }
  }

  std::function<std::string(uint32_t, int)> answer_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::atomic<bool> client_closed_{false};
  std::thread thread_;
};

TEST(RpcClientConnectionTest, RefusedStreamIsRetriedOnTheSameConnection) {
  // The first two requests are refused (RST_STREAM REFUSED_STREAM, before
  // any answer): the server did not take them, so the client sends the call
  // again; the third gets an answer.
  RawFrameServer server([](uint32_t stream, int request) {
    if (request < 2) return RawFrameServer::RstStream(stream, 7);
    return RawFrameServer::TrailersOnly(stream, 5, "answered after two refusals");
  });
  ASSERT_GT(server.port(), 0);
  std::unique_ptr<Channel> channel = NewChannel(Options(Loopback(server.port())));
  ASSERT_NE(channel, nullptr);
  const absl::Time start = absl::Now();
  std::string response;
  CallStatus status = channel->Call(kEchoMethod, "x", WithTimeout(absl::Seconds(10)), &response);
  EXPECT_EQ(status.status.code(), absl::StatusCode::kNotFound) << status.status;
  EXPECT_EQ(status.status.message(), "answered after two refusals");
  EXPECT_EQ(server.requests(), 3);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST(RpcClientConnectionTest, CallRefusedOverAndOverFailsUnavailableBeforeItsDeadline) {
  RawFrameServer server([](uint32_t stream, int) { return RawFrameServer::RstStream(stream, 7); });
  ASSERT_GT(server.port(), 0);
  std::unique_ptr<Channel> channel = NewChannel(Options(Loopback(server.port())));
  ASSERT_NE(channel, nullptr);
  const absl::Time start = absl::Now();
  std::string response;
  CallStatus status = channel->Call(kEchoMethod, "x", WithTimeout(absl::Seconds(10)), &response);
  EXPECT_EQ(status.status.code(), absl::StatusCode::kUnavailable) << status.status;
  EXPECT_GT(server.requests(), 1);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST(RpcClientConnectionTest, ProtocolErrorEndsTheCallsAndClosesTheConnection) {
  // A SETTINGS ACK where the server's first SETTINGS belongs breaks HTTP/2:
  // the client's session ends with a GOAWAY, and the connection must close
  // with it, failing the call at once rather than at its deadline.
  int port = 0;
  const int fd = ListenOnLoopback(&port);
  ASSERT_GE(fd, 0);
  std::atomic<bool> closed_by_client{false};
  std::thread bad_server([&] {
    const int conn = accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) return;
    const std::string ack = RawFrameServer::Frame(4, 1, 0, "");
    if (send(conn, ack.data(), ack.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(ack.size())) {
      close(conn);
      return;
    }
    // Read until the client closes (or 10 s pass).
    const absl::Time until = absl::Now() + absl::Seconds(10);
    char buffer[4096];
    while (absl::Now() < until) {
      pollfd p{conn, POLLIN, 0};
      if (poll(&p, 1, 50) != 1) continue;
      if (read(conn, buffer, sizeof buffer) <= 0) {
        closed_by_client.store(true);
        break;
      }
    }
    close(conn);
  });
  std::unique_ptr<Channel> channel = NewChannel(Options(Loopback(port)));
  ASSERT_NE(channel, nullptr);
  const absl::Time start = absl::Now();
  std::string response;
  CallStatus status = channel->Call(kEchoMethod, "x", WithTimeout(absl::Seconds(10)), &response);
  EXPECT_EQ(status.status.code(), absl::StatusCode::kUnavailable) << status.status;
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  bad_server.join();
  EXPECT_TRUE(closed_by_client.load());
  close(fd);
}

// ===========================================================================
// 3. TLS
// ===========================================================================

// A CA and what it issued, as files and PEM text, with a second CA:
//   server:   for localhost, 127.0.0.1 and ::1; clients must present a
//             certificate of the CA;
//   v4_only:  the same, for 127.0.0.1 alone;
//   misnamed: the same, for the name other.example alone;
//   client:   our CA and alice's certificate (O system:masters, devs), files.
struct TestPki {
  TempDir dir;
  std::string ca_pem;
  std::string other_ca_pem;
  std::string client_cert_pem;
  std::string client_key_pem;
  TlsServerFiles server;
  TlsServerFiles v4_only;
  TlsServerFiles misnamed;
  TlsClientFiles client;
};

void IssueServing(const pki::CertificateAuthority& ca, const std::string& name,
                  std::vector<std::string> dns, std::vector<std::string> ips, TestPki* out,
                  TlsServerFiles* files) {
  absl::StatusOr<pki::IssuedCert> serving =
      pki::IssueWithNewKey(ca, pki::ServingSpec("rpc-server", std::move(dns), std::move(ips)));
  ASSERT_TRUE(serving.ok()) << serving.status();
  files->cert_file = out->dir.Join(name + ".crt");
  files->key_file = out->dir.Join(name + ".key");
  files->trusted_ca_file = out->dir.Join("ca.crt");
  files->client_cert_auth = true;
  ASSERT_TRUE(pki::WriteCertificateFile(files->cert_file, serving->cert).ok());
  ASSERT_TRUE(pki::WritePrivateKeyFile(files->key_file, serving->key).ok());
}

void MakeTestPki(TestPki* out) {
  absl::StatusOr<pki::CertificateAuthority> ca = pki::CreateSelfSignedCa();
  ASSERT_TRUE(ca.ok()) << ca.status();
  absl::StatusOr<pki::CertificateAuthority> other =
      pki::CreateSelfSignedCa(pki::CaOptions{.common_name = "other-ca"});
  ASSERT_TRUE(other.ok()) << other.status();
  ASSERT_TRUE(pki::WriteCertificateFile(out->dir.Join("ca.crt"), ca->cert).ok());
  absl::StatusOr<std::string> pem = ca->cert.ToPem();
  ASSERT_TRUE(pem.ok()) << pem.status();
  out->ca_pem = *pem;
  pem = other->cert.ToPem();
  ASSERT_TRUE(pem.ok()) << pem.status();
  out->other_ca_pem = *pem;

  ASSERT_NO_FATAL_FAILURE(
      IssueServing(*ca, "server", {"localhost"}, {"127.0.0.1", "::1"}, out, &out->server));
  ASSERT_NO_FATAL_FAILURE(IssueServing(*ca, "v4-only", {}, {"127.0.0.1"}, out, &out->v4_only));
  ASSERT_NO_FATAL_FAILURE(
      IssueServing(*ca, "misnamed", {"other.example"}, {}, out, &out->misnamed));

  absl::StatusOr<pki::IssuedCert> client =
      pki::IssueWithNewKey(*ca, pki::ClientSpec("alice", {"system:masters", "devs"}));
  ASSERT_TRUE(client.ok()) << client.status();
  out->client.ca_file = out->dir.Join("ca.crt");
  out->client.cert_file = out->dir.Join("client.crt");
  out->client.key_file = out->dir.Join("client.key");
  ASSERT_TRUE(pki::WriteCertificateFile(out->client.cert_file, client->cert).ok());
  ASSERT_TRUE(pki::WritePrivateKeyFile(out->client.key_file, client->key).ok());
  pem = client->cert.ToPem();
  ASSERT_TRUE(pem.ok()) << pem.status();
  out->client_cert_pem = *pem;
  pem = client->key.ToPem();
  ASSERT_TRUE(pem.ok()) << pem.status();
  out->client_key_pem = *pem;
}

// A TLS TestServer on `address` presenting `files`.
absl::Status StartTlsServer(const TlsServerFiles& files, const std::string& address,
                            TestServer* server) {
  absl::StatusOr<SslCtxPtr> context = MakeServerSslContext(files);
  if (!context.ok()) return context.status();
  return server->Start(address, std::shared_ptr<SSL_CTX>(std::move(*context)));
}

class RpcClientTlsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(MakeTestPki(&pki_)); }

  // A call on a new channel to `target` with `tls`.
  CallStatus CallWith(const std::string& target, const TlsClientFiles& tls, std::string* response) {
    ChannelOptions options = Options(target);
    options.tls = tls;
    std::unique_ptr<Channel> channel = NewChannel(options);
    if (channel == nullptr) return {absl::InternalError("no channel"), ""};
    return channel->Call(kInfoMethod, "", WithTimeout(kCallTimeout), response);
  }

  TestPki pki_;
};

TEST_F(RpcClientTlsTest, ServerSeesTheClientCertificate) {
  TestServer server;
  absl::Status started = StartTlsServer(pki_.server, "127.0.0.1:0", &server);
  ASSERT_TRUE(started.ok()) << started;

  std::string response;
  CallStatus status = CallWith(server.target(), pki_.client, &response);
  ASSERT_TRUE(status.ok()) << status.status;
  EXPECT_EQ(response, "seen");
  std::optional<CallInfo> info = server.service().last_info();
  ASSERT_TRUE(info.has_value());
  ASSERT_TRUE(info->peer->certificate.has_value());
  EXPECT_EQ(info->peer->certificate->common_name, "alice");
  EXPECT_EQ(info->peer->certificate->organizations,
            (std::vector<std::string>{"system:masters", "devs"}));

  // The same credentials as PEM text; a stream too.
  TlsClientFiles pem{
      .ca_pem = pki_.ca_pem, .cert_pem = pki_.client_cert_pem, .key_pem = pki_.client_key_pem};
  ChannelOptions options = Options(server.target());
  options.tls = pem;
  std::unique_ptr<Channel> channel = NewChannel(options);
  ASSERT_NE(channel, nullptr);
  status = Echo(channel.get(), "over tls", &response);
  ASSERT_TRUE(status.ok()) << status.status;
  EXPECT_EQ(response, "over tls");
  std::unique_ptr<ClientStream> stream =
      channel->StartStream(kStreamMethod, StreamRequest(20, 32 * 1024), WithTimeout(kCallTimeout));
  int read = 0;
  std::string message;
  while (stream->Read(&message)) {
    EXPECT_EQ(message, StreamMessage(read, 32 * 1024));
    ++read;
  }
  EXPECT_EQ(read, 20);
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(RpcClientTlsTest, ServerCertificateOfAnotherCaIsRefused) {
  TestServer server;
  absl::Status started = StartTlsServer(pki_.server, "127.0.0.1:0", &server);
  ASSERT_TRUE(started.ok()) << started;
  TlsClientFiles tls{.ca_pem = pki_.other_ca_pem,
                     .cert_pem = pki_.client_cert_pem,
                     .key_pem = pki_.client_key_pem};
  std::string response;
  CallStatus status = CallWith(server.target(), tls, &response);
  EXPECT_EQ(status.status.code(), absl::StatusCode::kUnavailable) << status.status;
  EXPECT_FALSE(server.service().last_info().has_value());
}

TEST_F(RpcClientTlsTest, HostTheCertificateDoesNotNameIsRefused) {
  std::string response;
  {
    // A certificate for other.example, dialled as 127.0.0.1.
    TestServer server;
    absl::Status started = StartTlsServer(pki_.misnamed, "127.0.0.1:0", &server);
    ASSERT_TRUE(started.ok()) << started;
    CallStatus status = CallWith(server.target(), pki_.client, &response);
    EXPECT_EQ(status.status.code(), absl::StatusCode::kUnavailable) << status.status;
    EXPECT_FALSE(server.service().last_info().has_value());
  }
  {
    // A certificate for 127.0.0.1, dialled as ::1; and one naming ::1.
    TestServer server;
    absl::Status started = StartTlsServer(pki_.v4_only, "[::1]:0", &server);
    if (!started.ok()) GTEST_SKIP() << "no IPv6 loopback: " << started;
    const std::string target = absl::StrCat("[::1]:", server.port());
    CallStatus status = CallWith(target, pki_.client, &response);
    EXPECT_EQ(status.status.code(), absl::StatusCode::kUnavailable) << status.status;
    EXPECT_FALSE(server.service().last_info().has_value());

    TestServer named;
    started = StartTlsServer(pki_.server, "[::1]:0", &named);
    ASSERT_TRUE(started.ok()) << started;
    status = CallWith(absl::StrCat("[::1]:", named.port()), pki_.client, &response);
    EXPECT_TRUE(status.ok()) << status.status;
  }
}

TEST_F(RpcClientTlsTest, ClientWithoutACertificateIsRefusedWhereOneIsRequired) {
  TestServer server;
  absl::Status started = StartTlsServer(pki_.server, "127.0.0.1:0", &server);
  ASSERT_TRUE(started.ok()) << started;
  std::string response;
  CallStatus status = CallWith(server.target(), TlsClientFiles{.ca_pem = pki_.ca_pem}, &response);
  EXPECT_EQ(status.status.code(), absl::StatusCode::kUnavailable) << status.status;
  EXPECT_FALSE(server.service().last_info().has_value());
}

// ===========================================================================
// 4. Interop with gRPC's own server
// ===========================================================================

constexpr char kGet[] = "/minik8s.apiserver.v1.ApiServer/Get";
constexpr char kWatch[] = "/minik8s.apiserver.v1.ApiServer/Watch";
const std::string kNotFoundMessage = "pods \"missing\" not found (100% \xc3\xa9)";

// Get answers "<resource>/<namespace>/<name>" (the name "missing": NOT_FOUND
// with AllBytes() as details; "big": 3 MiB). Watch sends five ADDED events
// (resource versions 1-5), then OK, or OUT_OF_RANGE from resource version
// "old"; from "hold" it sends one event and waits for the client to go.
class FakeApiServer final : public apiv1::ApiServer::Service {
 public:
  grpc::Status Get(grpc::ServerContext* context, const apiv1::GetRequest* request,
                   apiv1::ObjectResponse* response) override {
    Record(context);
    if (request->name() == "missing") {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, kNotFoundMessage, AllBytes());
    }
    if (request->name() == "big") {
      response->set_object(std::string(3 << 20, 'b'));
      return grpc::Status::OK;
    }
    response->set_object(
        absl::StrCat(request->resource(), "/", request->namespace_(), "/", request->name()));
    return grpc::Status::OK;
  }

  grpc::Status Watch(grpc::ServerContext* context, const apiv1::WatchRequest* request,
                     grpc::ServerWriter<apiv1::WatchEvent>* writer) override {
    Record(context);
    const bool hold = request->resource_version() == "hold";
    for (int i = 1; i <= (hold ? 1 : 5); ++i) {
      apiv1::WatchEvent event;
      event.set_type("ADDED");
      event.set_resource_version(absl::StrCat(i));
      event.set_object(absl::StrCat(request->resource(), "-", i));
      if (!writer->Write(event)) return grpc::Status(grpc::StatusCode::CANCELLED, "gone");
    }
    if (hold) {
      const absl::Time give_up = absl::Now() + absl::Seconds(30);
      while (!context->IsCancelled() && absl::Now() < give_up) {
        absl::SleepFor(absl::Milliseconds(5));
      }
      if (context->IsCancelled()) cancelled_watches_.fetch_add(1);
      return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
    }
    if (request->resource_version() == "old") {
      return grpc::Status(grpc::StatusCode::OUT_OF_RANGE, "too old resource version", "old!");
    }
    return grpc::Status::OK;
  }

  // The custom metadata (and user-agent) and deadline of the last call.
  std::vector<std::pair<std::string, std::string>> last_metadata() {
    absl::MutexLock lock(&mu_);
    return last_metadata_;
  }
  absl::Time last_deadline() {
    absl::MutexLock lock(&mu_);
    return last_deadline_;
  }
  int cancelled_watches() const { return cancelled_watches_.load(); }

 private:
  void Record(grpc::ServerContext* context) {
    std::vector<std::pair<std::string, std::string>> metadata;
    for (const auto& [name, value] : context->client_metadata()) {
      metadata.emplace_back(std::string(name.data(), name.size()),
                            std::string(value.data(), value.size()));
    }
    absl::MutexLock lock(&mu_);
    last_metadata_ = std::move(metadata);
    last_deadline_ = absl::FromChrono(context->deadline());
  }

  absl::Mutex mu_;
  std::vector<std::pair<std::string, std::string>> last_metadata_ ABSL_GUARDED_BY(mu_);
  absl::Time last_deadline_ ABSL_GUARDED_BY(mu_);
  std::atomic<int> cancelled_watches_{0};
};

std::string Value(const std::vector<std::pair<std::string, std::string>>& metadata,
                  std::string_view name) {
  for (const auto& [n, v] : metadata) {
    if (n == name) return v;
  }
  return "<absent>";
}

class GrpcInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    socket_ = dir_.Join("api.sock");
    grpc::ServerBuilder builder;
    builder.AddListeningPort("unix:" + socket_, grpc::InsecureServerCredentials());
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    channel_ = NewChannel(Options("unix:" + socket_));
    ASSERT_NE(channel_, nullptr);
  }

  void TearDown() override {
    channel_.reset();
    if (server_ != nullptr) {
      server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    }
  }

  static std::string GetRequest(const std::string& name) {
    apiv1::GetRequest request;
    request.set_resource("pods");
    request.set_namespace_("default");
    request.set_name(name);
    return request.SerializeAsString();
  }

  static std::string WatchRequest(const std::string& resource_version) {
    apiv1::WatchRequest request;
    request.set_resource("pods");
    request.set_resource_version(resource_version);
    return request.SerializeAsString();
  }

  TempDir dir_;
  std::string socket_;
  FakeApiServer service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<Channel> channel_;
};

TEST_F(GrpcInteropTest, UnaryCallGetsTheAnswer) {
  std::string response;
  CallStatus status =
      channel_->Call(kGet, GetRequest("web-1"), WithTimeout(kCallTimeout), &response);
  ASSERT_TRUE(status.ok()) << status.status;
  apiv1::ObjectResponse object;
  ASSERT_TRUE(object.ParseFromString(response));
  EXPECT_EQ(object.object(), "pods/default/web-1");

  // unix:///path names the same socket.
  std::unique_ptr<Channel> other = NewChannel(Options("unix://" + socket_));
  ASSERT_NE(other, nullptr);
  status = other->Call(kGet, GetRequest("web-2"), WithTimeout(kCallTimeout), &response);
  ASSERT_TRUE(status.ok()) << status.status;
  ASSERT_TRUE(object.ParseFromString(response));
  EXPECT_EQ(object.object(), "pods/default/web-2");
}

TEST_F(GrpcInteropTest, ErrorArrivesWithItsMessageAndDetails) {
  std::string response;
  CallStatus status =
      channel_->Call(kGet, GetRequest("missing"), WithTimeout(kCallTimeout), &response);
  EXPECT_EQ(status.status.code(), absl::StatusCode::kNotFound) << status.status;
  EXPECT_EQ(status.status.message(), kNotFoundMessage);
  EXPECT_EQ(status.details, AllBytes());

  status = channel_->Call("/minik8s.apiserver.v1.ApiServer/NoSuchMethod", "",
                          WithTimeout(kCallTimeout), &response);
  EXPECT_EQ(status.status.code(), absl::StatusCode::kUnimplemented) << status.status;
}

TEST_F(GrpcInteropTest, AnswerOverTheReceiveLimitIsResourceExhausted) {
  std::string response;
  CallStatus status = channel_->Call(kGet, GetRequest("big"), WithTimeout(kCallTimeout), &response);
  ASSERT_TRUE(status.ok()) << status.status;
  apiv1::ObjectResponse object;
  ASSERT_TRUE(object.ParseFromString(response));
  EXPECT_EQ(object.object().size(), 3u << 20);

  ChannelOptions options = Options("unix:" + socket_);
  options.max_receive_message_bytes = 1 << 20;
  std::unique_ptr<Channel> limited = NewChannel(options);
  ASSERT_NE(limited, nullptr);
  status = limited->Call(kGet, GetRequest("big"), WithTimeout(kCallTimeout), &response);
  EXPECT_EQ(status.status.code(), absl::StatusCode::kResourceExhausted) << status.status;
}

TEST_F(GrpcInteropTest, WatchDeliversItsEventsThenTheStatus) {
  std::unique_ptr<ClientStream> stream =
      channel_->StartStream(kWatch, WatchRequest(""), WithTimeout(kCallTimeout));
  std::vector<std::string> versions;
  std::string message;
  while (stream->Read(&message)) {
    apiv1::WatchEvent event;
    ASSERT_TRUE(event.ParseFromString(message));
    EXPECT_EQ(event.type(), "ADDED");
    EXPECT_EQ(event.object(), absl::StrCat("pods-", event.resource_version()));
    versions.push_back(event.resource_version());
  }
  EXPECT_EQ(versions, (std::vector<std::string>{"1", "2", "3", "4", "5"}));
  CallStatus status = stream->Finish();
  EXPECT_TRUE(status.ok()) << status.status;

  stream = channel_->StartStream(kWatch, WatchRequest("old"), WithTimeout(kCallTimeout));
  int read = 0;
  while (stream->Read(&message)) ++read;
  EXPECT_EQ(read, 5);
  status = stream->Finish();
  EXPECT_EQ(status.status.code(), absl::StatusCode::kOutOfRange) << status.status;
  EXPECT_EQ(status.status.message(), "too old resource version");
  EXPECT_EQ(status.details, "old!");
}

TEST_F(GrpcInteropTest, CancelledWatchEndsOnTheServerToo) {
  std::unique_ptr<ClientStream> stream =
      channel_->StartStream(kWatch, WatchRequest("hold"), WithTimeout(absl::Seconds(30)));
  std::string message;
  ASSERT_TRUE(stream->Read(&message));
  std::thread canceller([&] {
    absl::SleepFor(absl::Milliseconds(100));  // lets Read block first
    stream->Cancel();
  });
  EXPECT_FALSE(stream->Read(&message));
  canceller.join();
  EXPECT_EQ(stream->Finish().status.code(), absl::StatusCode::kCancelled);
  EXPECT_TRUE(WaitFor([&] { return service_.cancelled_watches() == 1; }, absl::Seconds(10)));
}

TEST_F(GrpcInteropTest, WatchPastItsDeadlineIsDeadlineExceeded) {
  const absl::Duration timeout = absl::Milliseconds(500);
  const absl::Time start = absl::Now();
  CallOptions options;
  options.deadline = start + timeout;
  std::unique_ptr<ClientStream> stream =
      channel_->StartStream(kWatch, WatchRequest("hold"), options);
  std::string message;
  ASSERT_TRUE(stream->Read(&message));
  EXPECT_FALSE(stream->Read(&message));
  const absl::Duration elapsed = absl::Now() - start;
  EXPECT_EQ(stream->Finish().status.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_GE(elapsed, timeout - absl::Milliseconds(20));
  EXPECT_LT(elapsed, timeout + absl::Milliseconds(1500));
}

TEST_F(GrpcInteropTest, ServerSeesTheMetadataUserAgentAndDeadline) {
  const std::string binary("\x00\xff\x10 trace", 8);
  const absl::Time start = absl::Now();
  CallOptions options;
  options.deadline = start + absl::Seconds(10);
  options.metadata = {{"x-request-id", "req-7"}, {"x-trace-bin", binary}};
  std::string response;
  CallStatus status = channel_->Call(kGet, GetRequest("web-1"), options, &response);
  ASSERT_TRUE(status.ok()) << status.status;
  const std::vector<std::pair<std::string, std::string>> metadata = service_.last_metadata();
  EXPECT_EQ(Value(metadata, "x-request-id"), "req-7");
  EXPECT_EQ(Value(metadata, "x-trace-bin"), binary);
  EXPECT_TRUE(absl::StartsWith(Value(metadata, "user-agent"), kUserAgent))
      << "user-agent: " << Value(metadata, "user-agent");
  // grpc-timeout: the server's deadline is the client's (to the precision
  // of the header's units and the time on the way).
  const absl::Time deadline = service_.last_deadline();
  EXPECT_GE(deadline, start + absl::Seconds(9)) << deadline;
  EXPECT_LE(deadline, start + absl::Seconds(11)) << deadline;

  // Without a deadline: none on the server either.
  status = channel_->Call(kGet, GetRequest("web-1"), CallOptions{}, &response);
  ASSERT_TRUE(status.ok()) << status.status;
  EXPECT_GT(service_.last_deadline(), absl::Now() + absl::Hours(24 * 365));
  EXPECT_EQ(Value(service_.last_metadata(), "x-request-id"), "<absent>");
}

}  // namespace
}  // namespace minik8s::rpc
