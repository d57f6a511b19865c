#include "common/rpc/h2_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <deque>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/rpc/h2_server.h"
#include "common/rpc/socket_io.h"

namespace minik8s::rpc {
namespace {

constexpr size_t kReadBuffer = 64 * 1024;
// Frames gathered from nghttp2 before they are written.
constexpr size_t kOutputHighWater = 256 * 1024;
// Calls a GOAWAY or a refused stream moves to a new connection, at most.
constexpr int kMaxTransparentRetries = 5;
constexpr int32_t kMaxWindow = (1u << 31) - 1;

nghttp2_nv Header(std::string_view name, std::string_view value) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                    value.size(), NGHTTP2_NV_FLAG_NONE};
}

// grpc-timeout: at most eight digits and a unit.
std::string TimeoutHeader(absl::Duration left) {
  const int64_t ms = std::max<int64_t>(1, absl::ToInt64Milliseconds(left));
  if (ms < 100'000'000) return absl::StrCat(ms, "m");
  const int64_t s = ms / 1000;
  if (s < 100'000'000) return absl::StrCat(s, "S");
  return absl::StrCat(std::min<int64_t>(s / 3600, 99'999'999), "H");
}

// grpc-message's percent-encoding undone; a '%' not followed by two hex
// digits stands for itself.
std::string PercentDecode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size() && absl::ascii_isxdigit(in[i + 1]) &&
        absl::ascii_isxdigit(in[i + 2])) {
      int value = 0;
      if (!absl::SimpleHexAtoi(absl::string_view(in.data() + i + 1, 2), &value)) value = '?';
      out.push_back(static_cast<char>(value));
      i += 2;
      continue;
    }
    out.push_back(in[i]);
  }
  return out;
}

// The gRPC code an HTTP status stands for when no grpc-status came (gRPC's
// http-grpc-status-mapping.md).
absl::StatusCode CodeOfHttpStatus(int http) {
  switch (http) {
    case 400:
      return absl::StatusCode::kInternal;
    case 401:
      return absl::StatusCode::kUnauthenticated;
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
      return absl::StatusCode::kUnimplemented;
    case 429:
    case 502:
    case 503:
    case 504:
      return absl::StatusCode::kUnavailable;
    default:
      return absl::StatusCode::kUnknown;
  }
}

// Where the target is.
struct Target {
  std::string host;  // as dialled and verified: "127.0.0.1", "::1", "localhost"
  std::string port;
  std::string unix_path;  // set for a unix socket
  std::string authority;  // :authority
};

absl::StatusOr<Target> ParseTarget(const std::string& target) {
  Target t;
  if (absl::StartsWith(target, "unix:")) {
    std::string path = target.substr(5);
    if (absl::StartsWith(path, "//")) path = path.substr(2);
    if (path.empty() || path.size() >= sizeof(sockaddr_un::sun_path)) {
      return absl::InvalidArgumentError(absl::StrCat("bad unix socket address \"", target, "\""));
    }
    t.unix_path = path;
    t.host = "localhost";
    t.authority = "localhost";
    return t;
  }
  if (absl::StartsWith(target, "[")) {
    const size_t close = target.find(']');
    if (close == std::string::npos || close + 1 >= target.size() || target[close + 1] != ':') {
      return absl::InvalidArgumentError(absl::StrCat("bad address \"", target, "\""));
    }
    t.host = target.substr(1, close - 1);
    t.port = target.substr(close + 2);
  } else {
    const size_t colon = target.rfind(':');
    if (colon == std::string::npos || target.find(':') != colon) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad address \"", target, "\" (want host:port)"));
    }
    t.host = target.substr(0, colon);
    t.port = target.substr(colon + 1);
  }
  int port = 0;
  if (t.host.empty() || !absl::SimpleAtoi(t.port, &port) || port <= 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("bad address \"", target, "\""));
  }
  t.authority = target;
  return t;
}

// A resolved address and gRPC's name for it.
struct Address {
  sockaddr_storage addr{};
  socklen_t len = 0;
  std::string name;  // "ipv4:127.0.0.1:6443"
};

absl::StatusOr<std::vector<Address>> Resolve(const Target& t) {
  std::vector<Address> out;
  if (!t.unix_path.empty()) {
    Address a;
    auto* un = reinterpret_cast<sockaddr_un*>(&a.addr);
    un->sun_family = AF_UNIX;
    std::memcpy(un->sun_path, t.unix_path.c_str(), t.unix_path.size() + 1);
    a.len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + t.unix_path.size() + 1);
    a.name = "unix:" + t.unix_path;
    out.push_back(a);
    return out;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* result = nullptr;
  const int rc = getaddrinfo(t.host.c_str(), t.port.c_str(), &hints, &result);
  if (rc != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot resolve \"", t.host, "\": ", gai_strerror(rc)));
  }
  for (addrinfo* ai = result; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_addrlen > sizeof(sockaddr_storage)) continue;
    Address a;
    std::memcpy(&a.addr, ai->ai_addr, ai->ai_addrlen);
    a.len = ai->ai_addrlen;
    char text[INET6_ADDRSTRLEN] = {};
    if (ai->ai_family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(ai->ai_addr)->sin_addr, text, sizeof text);
      a.name = absl::StrCat("ipv4:", text, ":", t.port);
    } else if (ai->ai_family == AF_INET6) {
      inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(ai->ai_addr)->sin6_addr, text,
                sizeof text);
      a.name = absl::StrCat("ipv6:[", text, "]:", t.port);
    } else {
      continue;
    }
    out.push_back(a);
  }
  freeaddrinfo(result);
  if (out.empty()) {
    return absl::UnavailableError(absl::StrCat("\"", t.host, "\" has no address"));
  }
  return out;
}

bool IsIpLiteral(const std::string& host) {
  in6_addr v6;
  in_addr v4;
  return inet_pton(AF_INET, host.c_str(), &v4) == 1 || inet_pton(AF_INET6, host.c_str(), &v6) == 1;
}

}  // namespace

// ---------------------------------------------------------------------------
// One call, shared by its caller and the channel's loop.

struct ClientCall {
  // Set before the call is handed over; read-only afterwards.
  std::string path;
  std::string request;  // framed
  std::vector<std::pair<std::string, std::string>> metadata;
  absl::Time deadline = absl::InfiniteFuture();
  bool streaming = false;

  // The loop's.
  struct ClientConnection* connection = nullptr;
  int32_t stream_id = 0;
  size_t request_offset = 0;
  std::string in;  // bytes of an incomplete answer message
  bool headers_received = false;
  int http_status = 0;
  std::string content_type;
  std::string encoding;
  bool have_grpc_status = false;
  int grpc_status = 0;
  std::string grpc_message;
  std::string grpc_details;
  bool failed = false;  // ended locally; the rest of the stream is ignored
  int retries = 0;

  // Shared with the caller.
  absl::Mutex mu;
  std::deque<std::string> messages ABSL_GUARDED_BY(mu);
  bool done ABSL_GUARDED_BY(mu) = false;
  CallStatus final ABSL_GUARDED_BY(mu);
  bool cancelled ABSL_GUARDED_BY(mu) = false;

  bool Done() const ABSL_SHARED_LOCKS_REQUIRED(mu) { return done; }
  bool Readable() const ABSL_SHARED_LOCKS_REQUIRED(mu) { return done || !messages.empty(); }
};

namespace {

// A connection's states.
enum class Phase { kConnecting, kHandshaking, kReady };

}  // namespace

struct ClientConnection {
  int fd = -1;
  SSL* ssl = nullptr;
  Phase phase = Phase::kConnecting;
  nghttp2_session* session = nullptr;
  std::string out;
  bool want_out = false;
  bool draining = false;  // GOAWAY received (or sent): no new calls
  bool closing = false;
  std::string close_reason;
  std::string address_name;
  size_t address_index = 0;
  absl::Time connect_deadline = absl::InfiniteFuture();
  absl::Time last_read = absl::Now();
  absl::Time ping_deadline = absl::InfiniteFuture();  // an unanswered keepalive
  absl::flat_hash_map<int32_t, std::shared_ptr<ClientCall>> calls;
  // Calls ended here whose streams nghttp2 has yet to close: kept alive
  // while their request body may still be read (ReadRequest).
  absl::flat_hash_map<int32_t, std::shared_ptr<ClientCall>> ended;
};

// ---------------------------------------------------------------------------

class ClientCore {
 public:
  ClientCore(ChannelOptions options, Target target, SslCtxPtr tls)
      : options_(std::move(options)), target_(std::move(target)), tls_(std::move(tls)) {
    wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    nghttp2_session_callbacks_new(&callbacks_);
    nghttp2_session_callbacks_set_on_header_callback(callbacks_, &OnHeader);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks_, &OnFrameRecv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks_, &OnDataChunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks_, &OnStreamClose);
    nghttp2_session_callbacks_set_on_frame_not_send_callback(callbacks_, &OnFrameNotSend);
    nghttp2_option_new(&session_options_);
    // gRPC's rules are checked here (OnHeader); HTTP's own (an :authority
    // made of a unix socket's name, say) are not needed.
    nghttp2_option_set_no_http_messaging(session_options_, 1);
    user_agent_ = options_.user_agent.empty()
                      ? "minik8s-grpc-c++"
                      : absl::StrCat(options_.user_agent, " minik8s-grpc-c++");
    thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "rpc-client");
      sigset_t pipe;
      sigemptyset(&pipe);
      sigaddset(&pipe, SIGPIPE);
      pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
      Run();
    });
  }

  ~ClientCore() {
    Shutdown();
    nghttp2_session_callbacks_del(callbacks_);
    nghttp2_option_del(session_options_);
    close(wake_fd_);
  }

  // Ends every open call (CANCELLED) and stops the loop. Called by the
  // Channel's destructor (streams may keep the core alive after it).
  void Shutdown() {
    {
      absl::MutexLock lock(&mu_);
      exit_ = true;
    }
    Wake();
    if (thread_.joinable()) thread_.join();
  }

  // Hands a call to the loop, or fails it at once while the channel waits
  // out a failed connection's backoff.
  void Submit(std::shared_ptr<ClientCall> call) {
    {
      absl::MutexLock lock(&mu_);
      if (exit_) {
        Complete(call.get(), CallStatus{absl::CancelledError("the channel is closed"), ""});
        return;
      }
      if (!failure_.ok() && absl::Now() < retry_at_) {
        Complete(call.get(), CallStatus{failure_, ""});
        return;
      }
      submitted_.push_back(std::move(call));
      if (wake_pending_) return;  // the loop will find it
      wake_pending_ = true;
    }
    Wake();
  }

  void Cancel(std::shared_ptr<ClientCall> call) {
    {
      absl::MutexLock lock(&mu_);
      if (exit_) return;
      cancels_.push_back(std::move(call));
      if (wake_pending_) return;
      wake_pending_ = true;
    }
    Wake();
  }

  // Ends `call` with `status` (once; later calls change nothing).
  static void Complete(ClientCall* call, CallStatus status) {
    absl::MutexLock lock(&call->mu);
    if (call->done) return;
    call->done = true;
    if (call->cancelled) {
      call->final = CallStatus{absl::CancelledError("Cancelled"), ""};
      call->messages.clear();
    } else {
      call->final = std::move(status);
    }
  }

 private:
  void Wake() {
    const uint64_t one = 1;
    while (write(wake_fd_, &one, sizeof one) < 0 && errno == EINTR) {
    }
  }

  // --- the loop --------------------------------------------------------------

  void Run() {
    std::vector<pollfd> fds;
    std::vector<ClientConnection*> polled;
    for (;;) {
      if (TakeSubmitted()) break;
      FireTimers();
      ReapConnections();
      FlushAll();

      fds.clear();
      polled.clear();
      fds.push_back(pollfd{wake_fd_, POLLIN, 0});
      auto add = [&](ClientConnection* c) {
        if (c == nullptr || c->fd < 0) return;
        short events = POLLIN;
        if (c->phase == Phase::kConnecting || c->want_out) events |= POLLOUT;
        fds.push_back(pollfd{c->fd, events, 0});
        polled.push_back(c);
      };
      add(current_.get());
      for (auto& c : draining_) add(c.get());
      const int n = poll(fds.data(), fds.size(), PollTimeoutMillis());
      if (n < 0 && errno != EINTR) break;
      if (n <= 0) continue;
      if ((fds[0].revents & POLLIN) != 0) {
        uint64_t count;
        while (read(wake_fd_, &count, sizeof count) < 0 && errno == EINTR) {
        }
      }
      for (size_t i = 1; i < fds.size(); ++i) {
        if (fds[i].revents == 0) continue;
        OnEvents(polled[i - 1], fds[i].revents);
      }
    }
    // Exit: every open call ends.
    const CallStatus closed{absl::CancelledError("the channel is closed"), ""};
    for (auto& call : waiting_) Complete(call.get(), closed);
    waiting_.clear();
    if (current_ != nullptr) DropConnection(current_.get(), closed);
    for (auto& c : draining_) DropConnection(c.get(), closed);
    current_.reset();
    draining_.clear();
    std::vector<std::shared_ptr<ClientCall>> left;
    {
      absl::MutexLock lock(&mu_);
      left.swap(submitted_);
    }
    for (auto& call : left) Complete(call.get(), closed);
  }

  // Takes what callers handed over; true when the channel is closing.
  bool TakeSubmitted() {
    std::vector<std::shared_ptr<ClientCall>> calls;
    std::vector<std::shared_ptr<ClientCall>> cancels;
    {
      absl::MutexLock lock(&mu_);
      if (exit_) return true;
      calls.swap(submitted_);
      cancels.swap(cancels_);
      wake_pending_ = false;
    }
    for (auto& call : calls) Start(std::move(call));
    for (auto& call : cancels) DoCancel(call);
    return false;
  }

  void Start(std::shared_ptr<ClientCall> call) {
    if (absl::Now() >= call->deadline) {
      Complete(call.get(), CallStatus{absl::DeadlineExceededError("Deadline Exceeded"), ""});
      return;
    }
    if (current_ != nullptr && current_->phase == Phase::kReady && !current_->draining &&
        !current_->closing) {
      if (SubmitOn(current_.get(), call)) return;
      // Out of stream ids: the call waits for the next connection.
      current_->draining = true;
    }
    waiting_.push_back(std::move(call));
    if (current_ == nullptr || current_->draining || current_->closing) {
      if (current_ != nullptr) draining_.push_back(std::move(current_));
      Connect(0);
    }
  }

  void DoCancel(const std::shared_ptr<ClientCall>& call) {
    auto it = std::find(waiting_.begin(), waiting_.end(), call);
    if (it != waiting_.end()) waiting_.erase(it);
    EndCall(call.get(), CallStatus{absl::CancelledError("Cancelled"), ""}, NGHTTP2_CANCEL);
  }

  // Ends a call from this side: resets its stream if it has one.
  void EndCall(ClientCall* call, CallStatus status, uint32_t rst_code) {
    if (call->connection != nullptr && call->stream_id > 0) {
      ClientConnection* c = call->connection;
      nghttp2_submit_rst_stream(c->session, NGHTTP2_FLAG_NONE, call->stream_id, rst_code);
      nghttp2_session_set_stream_user_data(c->session, call->stream_id, nullptr);
      if (auto it = c->calls.find(call->stream_id); it != c->calls.end()) {
        c->ended.insert(c->calls.extract(it));
      }
      call->connection = nullptr;
    }
    call->failed = true;
    Complete(call, std::move(status));
  }

  void FireTimers() {
    const absl::Time now = absl::Now();
    const CallStatus deadline{absl::DeadlineExceededError("Deadline Exceeded"), ""};
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      if ((*it)->deadline <= now) {
        Complete(it->get(), deadline);
        it = waiting_.erase(it);
      } else {
        ++it;
      }
    }
    auto check = [&](ClientConnection* c) {
      if (c == nullptr || c->closing) return;
      std::vector<std::shared_ptr<ClientCall>> expired;
      for (auto& [id, call] : c->calls) {
        if (call->deadline <= now) expired.push_back(call);
      }
      for (auto& call : expired) EndCall(call.get(), deadline, NGHTTP2_CANCEL);
      if (c->phase != Phase::kReady && now >= c->connect_deadline) {
        ConnectFailed(c, "connection attempt timed out");
        return;
      }
      if (c->phase == Phase::kReady) {
        if (now >= c->ping_deadline) {
          CloseConnection(c, "keepalive watchdog timeout");
        } else if (c->ping_deadline == absl::InfiniteFuture() && !c->calls.empty() &&
                   now - c->last_read >= options_.keepalive_time) {
          nghttp2_submit_ping(c->session, NGHTTP2_FLAG_NONE, nullptr);
          c->ping_deadline = now + options_.keepalive_timeout;
        }
      }
    };
    check(current_.get());
    for (auto& c : draining_) check(c.get());
  }

  int PollTimeoutMillis() const {
    absl::Time next = absl::InfiniteFuture();
    for (const auto& call : waiting_) next = std::min(next, call->deadline);
    auto consider = [&](const ClientConnection* c) {
      if (c == nullptr) return;
      for (const auto& [id, call] : c->calls) next = std::min(next, call->deadline);
      if (c->phase != Phase::kReady) next = std::min(next, c->connect_deadline);
      next = std::min(next, c->ping_deadline);
      if (!c->calls.empty() && c->ping_deadline == absl::InfiniteFuture()) {
        next = std::min(next, c->last_read + options_.keepalive_time);
      }
    };
    consider(current_.get());
    for (const auto& c : draining_) consider(c.get());
    if (next == absl::InfiniteFuture()) return -1;
    const int64_t ms =
        absl::ToInt64Milliseconds(absl::Ceil(next - absl::Now(), absl::Milliseconds(1)));
    return static_cast<int>(std::clamp<int64_t>(ms, 0, INT_MAX));
  }

  // --- connections -----------------------------------------------------------

  // Starts an attempt on address `index` (resolving first).
  void Connect(size_t index) {
    if (index == 0) {
      absl::StatusOr<std::vector<Address>> resolved = Resolve(target_);
      if (!resolved.ok()) {
        AttemptFailed(std::string(resolved.status().message()));
        return;
      }
      addresses_ = *std::move(resolved);
    }
    auto c = std::make_unique<ClientConnection>();
    c->address_index = index;
    const Address& a = addresses_[index];
    c->address_name = a.name;
    c->connect_deadline = absl::Now() + options_.connect_timeout;
    c->fd = socket(a.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
      NextAddressOrFail(index, absl::StrCat(a.name, ": socket: ", std::strerror(errno)));
      return;
    }
    if (a.addr.ss_family != AF_UNIX) {
      const int one = 1;
      setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    if (connect(c->fd, reinterpret_cast<const sockaddr*>(&a.addr), a.len) != 0 &&
        errno != EINPROGRESS) {
      const int err = errno;
      close(c->fd);
      NextAddressOrFail(index, absl::StrCat(a.name, ": ", std::strerror(err)));
      return;
    }
    current_ = std::move(c);
  }

  void NextAddressOrFail(size_t index, std::string error) {
    if (index + 1 < addresses_.size()) {
      Connect(index + 1);
      return;
    }
    AttemptFailed(std::move(error));
  }

  // The attempt failed on every address: its calls fail, and new ones fail
  // at once until the backoff has passed.
  void AttemptFailed(std::string error) {
    const absl::Status status = absl::UnavailableError(
        absl::StrCat("failed to connect to all addresses; last error: ", error));
    {
      absl::MutexLock lock(&mu_);
      failure_ = status;
      retry_at_ = absl::Now() + backoff_;
    }
    backoff_ = std::min(options_.max_reconnect_backoff, backoff_ * 1.6);
    for (auto& call : waiting_) Complete(call.get(), CallStatus{status, ""});
    waiting_.clear();
  }

  void ConnectFailed(ClientConnection* c, std::string error) {
    const size_t index = c->address_index;
    CloseSocket(c);
    c->closing = true;
    if (c == current_.get()) {
      draining_.push_back(std::move(current_));
      NextAddressOrFail(index, absl::StrCat(c->address_name, ": ", error));
    }
  }

  // TCP (and TLS) are up: HTTP/2 starts, and the calls waiting go out.
  void Ready(ClientConnection* c) {
    c->phase = Phase::kReady;
    c->last_read = absl::Now();
    {
      absl::MutexLock lock(&mu_);
      failure_ = absl::OkStatus();
    }
    backoff_ = options_.initial_reconnect_backoff;
    nghttp2_session_client_new2(&c->session, callbacks_, this, session_options_);
    const uint32_t window = static_cast<uint32_t>(
        std::min<int64_t>(options_.max_receive_message_bytes + 512 * 1024, kMaxWindow));
    const nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, window},
    };
    nghttp2_submit_settings(c->session, NGHTTP2_FLAG_NONE, settings, 2);
    nghttp2_session_set_local_window_size(
        c->session, NGHTTP2_FLAG_NONE, 0,
        static_cast<int32_t>(std::min<int64_t>(int64_t{window} * 4, kMaxWindow)));
    std::deque<std::shared_ptr<ClientCall>> waiting;
    waiting.swap(waiting_);
    for (auto& call : waiting) {
      if (!SubmitOn(c, call)) {
        c->draining = true;
        waiting_.push_back(std::move(call));
      }
    }
  }

  // Opens the call's stream on `c`; false when `c` has no stream ids left
  // (the call waits for another connection). A request nghttp2 refuses
  // otherwise ends the call.
  bool SubmitOn(ClientConnection* c, const std::shared_ptr<ClientCall>& call) {
    std::vector<nghttp2_nv> headers;
    headers.reserve(10 + call->metadata.size());
    headers.push_back(Header(":method", "POST"));
    headers.push_back(Header(":scheme", tls_ != nullptr ? "https" : "http"));
    headers.push_back(Header(":path", call->path));
    headers.push_back(Header(":authority", target_.authority));
    headers.push_back(Header("te", "trailers"));
    headers.push_back(Header("content-type", "application/grpc"));
    headers.push_back(Header("user-agent", user_agent_));
    headers.push_back(Header("grpc-accept-encoding", "identity"));
    std::string timeout;
    if (call->deadline != absl::InfiniteFuture()) {
      timeout = TimeoutHeader(call->deadline - absl::Now());
      headers.push_back(Header("grpc-timeout", timeout));
    }
    std::vector<std::string> encoded;
    encoded.reserve(call->metadata.size());
    for (const auto& [name, value] : call->metadata) {
      if (absl::EndsWith(name, "-bin")) {
        encoded.push_back(absl::Base64Escape(value));
        while (!encoded.back().empty() && encoded.back().back() == '=') encoded.back().pop_back();
        headers.push_back(Header(name, encoded.back()));
      } else {
        headers.push_back(Header(name, value));
      }
    }
    nghttp2_data_provider body;
    body.source.ptr = call.get();
    body.read_callback = &ReadRequest;
    call->request_offset = 0;
    const int32_t id = nghttp2_submit_request(c->session, nullptr, headers.data(), headers.size(),
                                              &body, call.get());
    if (id == NGHTTP2_ERR_STREAM_ID_NOT_AVAILABLE) return false;
    if (id < 0) {
      Complete(call.get(), CallStatus{absl::InternalError(absl::StrCat("cannot start the call: ",
                                                                       nghttp2_strerror(id))),
                                      ""});
      return true;
    }
    call->connection = c;
    call->stream_id = id;
    c->calls.emplace(id, call);
    return true;
  }

  static ssize_t ReadRequest(nghttp2_session*, int32_t, uint8_t* buf, size_t length,
                             uint32_t* flags, nghttp2_data_source* source, void*) {
    auto* call = static_cast<ClientCall*>(source->ptr);
    const size_t n = std::min(length, call->request.size() - call->request_offset);
    std::memcpy(buf, call->request.data() + call->request_offset, n);
    call->request_offset += n;
    if (call->request_offset == call->request.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }

  void OnEvents(ClientConnection* c, short revents) {
    if (c->closing) return;
    if (c->phase == Phase::kConnecting) {
      int err = 0;
      socklen_t len = sizeof err;
      if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
      if (err == 0 && (revents & (POLLERR | POLLHUP)) != 0) err = ECONNREFUSED;
      if (err != 0) {
        ConnectFailed(c, std::strerror(err));
        return;
      }
      if ((revents & POLLOUT) == 0) return;
      if (tls_ == nullptr) {
        Ready(c);
        return;
      }
      if (!StartTls(c)) return;
    }
    if (c->phase == Phase::kHandshaking) {
      Handshake(c);
      return;
    }
    if ((revents & (POLLIN | POLLERR | POLLHUP)) != 0) OnReadable(c);
    if (!c->closing && (revents & POLLOUT) != 0) c->want_out = false;  // FlushAll writes
  }

  bool StartTls(ClientConnection* c) {
    c->ssl = SSL_new(tls_.get());
    if (c->ssl == nullptr || SSL_set_fd(c->ssl, c->fd) != 1) {
      ConnectFailed(c, absl::StrCat("TLS: ", OpenSslErrors()));
      return false;
    }
    SSL_set_mode(c->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_set_read_ahead(c->ssl, 1);
    if (IsIpLiteral(target_.host)) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), target_.host.c_str());
    } else {
      SSL_set_tlsext_host_name(c->ssl, target_.host.c_str());
      SSL_set1_host(c->ssl, target_.host.c_str());
    }
    SSL_set_connect_state(c->ssl);
    c->phase = Phase::kHandshaking;
    return true;
  }

  void Handshake(ClientConnection* c) {
    const int r = SSL_do_handshake(c->ssl);
    if (r == 1) {
      const unsigned char* alpn = nullptr;
      unsigned int alpn_len = 0;
      SSL_get0_alpn_selected(c->ssl, &alpn, &alpn_len);
      if (std::string_view(reinterpret_cast<const char*>(alpn), alpn_len) != "h2") {
        ConnectFailed(c, "TLS: the server did not agree to HTTP/2 (ALPN h2)");
        return;
      }
      c->want_out = false;
      Ready(c);
      OnReadable(c);  // what the handshake's last read brought along
      return;
    }
    const int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ) {
      c->want_out = false;
      return;
    }
    if (e == SSL_ERROR_WANT_WRITE) {
      c->want_out = true;
      return;
    }
    std::string why;
    const long verify = SSL_get_verify_result(c->ssl);  // NOLINT(runtime/int): OpenSSL's type
    if (verify != X509_V_OK) {
      why = absl::StrCat("TLS: the server's certificate: ", X509_verify_cert_error_string(verify));
      ERR_clear_error();
    } else if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
      why = "TLS handshake: the server closed the connection";
    } else {
      why = absl::StrCat("TLS handshake: ", OpenSslErrors());
    }
    ConnectFailed(c, why);
  }

  void OnReadable(ClientConnection* c) {
    for (;;) {
      const IoResult read = ReadSome(c->fd, c->ssl, read_buffer_, sizeof read_buffer_);
      switch (read.outcome) {
        case IoResult::Outcome::kOk:
          break;
        case IoResult::Outcome::kWantRead:
          return;
        case IoResult::Outcome::kWantWrite:
          c->want_out = true;
          return;
        case IoResult::Outcome::kClosed:
          CloseConnection(c, "Socket closed");
          return;
        case IoResult::Outcome::kError:
          CloseConnection(c, read.error);
          return;
      }
      const size_t n = read.bytes;
      c->last_read = absl::Now();
      const ssize_t used =
          nghttp2_session_mem_recv(c->session, reinterpret_cast<const uint8_t*>(read_buffer_), n);
      if (used < 0) {
        Flush(c);  // the GOAWAY nghttp2 queued
        CloseConnection(c, absl::StrCat("HTTP/2: ", nghttp2_strerror(static_cast<int>(used))));
        return;
      }
      if (c->closing) return;
      if (c->ssl == nullptr ? n < sizeof read_buffer_ : SSL_has_pending(c->ssl) == 0) {
        return;
      }
    }
  }

  void FlushAll() {
    if (current_ != nullptr) Flush(current_.get());
    for (auto& c : draining_) Flush(c.get());
  }

  void Flush(ClientConnection* c) {
    if (c->closing || c->phase != Phase::kReady) return;
    while (c->out.size() < kOutputHighWater) {
      const uint8_t* data = nullptr;
      const ssize_t n = nghttp2_session_mem_send(c->session, &data);
      if (n < 0) {
        CloseConnection(c, absl::StrCat("HTTP/2: ", nghttp2_strerror(static_cast<int>(n))));
        return;
      }
      if (n == 0) break;
      c->out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
    }
    const IoResult written = WriteSome(c->fd, c->ssl, c->out);
    if (written.outcome == IoResult::Outcome::kClosed ||
        written.outcome == IoResult::Outcome::kError) {
      CloseConnection(
          c, written.outcome == IoResult::Outcome::kClosed ? "Socket closed" : written.error);
      return;
    }
    c->out.erase(0, written.bytes);
    c->want_out = !c->out.empty() || nghttp2_session_want_write(c->session) != 0;
    if (!c->want_out && nghttp2_session_want_read(c->session) == 0) {
      // The session is over: a protocol error ended it (nghttp2 sent its
      // GOAWAY), or both sides said goodbye and no call is left. HTTP/2
      // closes the connection then; calls still on it fail.
      CloseConnection(c, "HTTP/2: the session ended (a protocol error, or GOAWAY)");
    }
  }

  // The connection is lost: its calls fail with UNAVAILABLE ("Socket
  // closed", the reason); the next call makes a new one.
  void CloseConnection(ClientConnection* c, const std::string& reason) {
    if (c->closing) return;
    DropConnection(c, CallStatus{absl::UnavailableError(reason), ""});
  }

  void DropConnection(ClientConnection* c, const CallStatus& status) {
    std::vector<std::shared_ptr<ClientCall>> calls;
    calls.reserve(c->calls.size());
    for (auto& [id, call] : c->calls) calls.push_back(call);
    c->calls.clear();
    for (auto& call : calls) {
      call->connection = nullptr;
      Complete(call.get(), status);
    }
    if (c->session != nullptr) nghttp2_session_del(c->session);
    c->session = nullptr;
    c->ended.clear();
    CloseSocket(c);
    c->closing = true;
  }

  void CloseSocket(ClientConnection* c) {
    if (c->ssl != nullptr) SSL_free(c->ssl);
    c->ssl = nullptr;
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
  }

  // Frees closed connections, and draining ones with no calls left.
  void ReapConnections() {
    if (current_ != nullptr && current_->closing) current_.reset();
    if (current_ != nullptr && current_->draining) draining_.push_back(std::move(current_));
    if (current_ != nullptr && current_->phase == Phase::kReady && !waiting_.empty()) {
      // Calls a refused stream sent back: again on the same connection.
      std::deque<std::shared_ptr<ClientCall>> waiting;
      waiting.swap(waiting_);
      for (auto& call : waiting) {
        if (!SubmitOn(current_.get(), call)) {
          current_->draining = true;
          waiting_.push_back(std::move(call));
        }
      }
      if (current_->draining) draining_.push_back(std::move(current_));
    }
    std::erase_if(draining_, [this](const std::unique_ptr<ClientConnection>& c) {
      if (!c->closing && c->calls.empty() && c->out.empty()) {
        DropConnection(c.get(), CallStatus{absl::UnavailableError("Socket closed"), ""});
      }
      return c->closing;
    });
    if (current_ == nullptr && !waiting_.empty()) Connect(0);
  }

  // A call the server did not take (refused, or above a GOAWAY's last
  // stream id) goes to a new connection.
  void Retry(const std::shared_ptr<ClientCall>& call) {
    call->connection = nullptr;
    call->stream_id = 0;
    if (++call->retries > kMaxTransparentRetries) {
      Complete(call.get(),
               CallStatus{absl::UnavailableError("the server refused the call repeatedly"), ""});
      return;
    }
    call->in.clear();
    waiting_.push_back(call);
  }

  // --- nghttp2's callbacks ---------------------------------------------------

  static ClientCall* CallOf(nghttp2_session* session, int32_t stream_id) {
    return static_cast<ClientCall*>(nghttp2_session_get_stream_user_data(session, stream_id));
  }

  ClientConnection* ConnectionOf(nghttp2_session* session) {
    if (current_ != nullptr && current_->session == session) return current_.get();
    for (auto& c : draining_) {
      if (c->session == session) return c.get();
    }
    return nullptr;
  }

  static int OnHeader(nghttp2_session* session, const nghttp2_frame* frame, const uint8_t* name,
                      size_t namelen, const uint8_t* value, size_t valuelen, uint8_t, void*) {
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    ClientCall* call = CallOf(session, frame->hd.stream_id);
    if (call == nullptr || call->failed) return 0;
    const std::string_view n(reinterpret_cast<const char*>(name), namelen);
    const std::string_view v(reinterpret_cast<const char*>(value), valuelen);
    call->headers_received = true;
    if (n == ":status") {
      if (!absl::SimpleAtoi(absl::string_view(v.data(), v.size()), &call->http_status)) {
        call->http_status = 0;
      }
    } else if (n == "content-type") {
      call->content_type = std::string(v);
    } else if (n == "grpc-encoding") {
      call->encoding = std::string(v);
    } else if (n == "grpc-status") {
      if (!absl::SimpleAtoi(absl::string_view(v.data(), v.size()), &call->grpc_status)) {
        call->grpc_status = static_cast<int>(absl::StatusCode::kUnknown);
      }
      call->have_grpc_status = true;
    } else if (n == "grpc-message") {
      call->grpc_message = PercentDecode(v);
    } else if (n == "grpc-status-details-bin") {
      std::string bytes;
      if (absl::Base64Unescape(absl::string_view(v.data(), v.size()), &bytes)) {
        call->grpc_details = std::move(bytes);
      }
    }
    return 0;
  }

  static int OnFrameRecv(nghttp2_session* session, const nghttp2_frame* frame, void* user) {
    auto* self = static_cast<ClientCore*>(user);
    ClientConnection* c = self->ConnectionOf(session);
    if (c == nullptr) return 0;
    switch (frame->hd.type) {
      case NGHTTP2_PING:
        if ((frame->hd.flags & NGHTTP2_FLAG_ACK) != 0) c->ping_deadline = absl::InfiniteFuture();
        break;
      case NGHTTP2_GOAWAY:
        // No new calls here; nghttp2 closes the streams above last_stream_id
        // (REFUSED_STREAM), which OnStreamClose moves to a new connection.
        c->draining = true;
        break;
      case NGHTTP2_HEADERS: {
        ClientCall* call = CallOf(session, frame->hd.stream_id);
        if (call == nullptr || call->failed) break;
        if (frame->headers.cat == NGHTTP2_HCAT_RESPONSE && call->http_status == 200 &&
            !call->content_type.empty() &&
            !absl::StartsWith(call->content_type, "application/grpc")) {
          self->FailStream(
              c, call,
              absl::UnknownError(absl::StrCat("the server answered with content-type \"",
                                              call->content_type, "\", not gRPC")));
        }
        break;
      }
      default:
        break;
    }
    return 0;
  }

  // Ends a call whose answer is wrong, and resets its stream.
  void FailStream(ClientConnection* c, ClientCall* call, absl::Status status) {
    auto it = c->calls.find(call->stream_id);
    if (it == c->calls.end()) return;
    std::shared_ptr<ClientCall> keep = it->second;
    EndCall(call, CallStatus{std::move(status), ""}, NGHTTP2_CANCEL);
  }

  static int OnDataChunk(nghttp2_session* session, uint8_t, int32_t stream_id, const uint8_t* data,
                         size_t len, void* user) {
    auto* self = static_cast<ClientCore*>(user);
    ClientCall* call = CallOf(session, stream_id);
    if (call == nullptr || call->failed) return 0;
    ClientConnection* c = self->ConnectionOf(session);
    if (c == nullptr) return 0;
    call->in.append(reinterpret_cast<const char*>(data), len);
    size_t offset = 0;
    while (call->in.size() - offset >= 5) {
      const auto* p = reinterpret_cast<const unsigned char*>(call->in.data() + offset);
      const uint32_t length =
          (uint32_t{p[1]} << 24) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 8) | uint32_t{p[4]};
      if (p[0] != 0) {
        self->FailStream(
            c, call,
            absl::InternalError("the server sent a compressed message, which was not asked for"));
        return 0;
      }
      if (length > self->options_.max_receive_message_bytes) {
        self->FailStream(c, call,
                         absl::ResourceExhaustedError(
                             absl::StrCat("Received message larger than max (", length, " vs. ",
                                          self->options_.max_receive_message_bytes, ")")));
        return 0;
      }
      if (call->in.size() - offset - 5 < length) break;
      std::string message = call->in.substr(offset + 5, length);
      offset += 5 + length;
      absl::MutexLock lock(&call->mu);
      if (!call->streaming && !call->messages.empty()) {
        continue;  // a unary answer is one message; the status below decides
      }
      call->messages.push_back(std::move(message));
    }
    call->in.erase(0, offset);
    return 0;
  }

  static int OnFrameNotSend(nghttp2_session* session, const nghttp2_frame* frame, int, void* user) {
    // A request that never went out (the connection is going away): it
    // moves to a new connection.
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    auto* self = static_cast<ClientCore*>(user);
    ClientConnection* c = self->ConnectionOf(session);
    if (c == nullptr) return 0;
    auto it = c->calls.find(frame->hd.stream_id);
    if (it == c->calls.end()) return 0;
    std::shared_ptr<ClientCall> call = it->second;
    c->calls.erase(it);
    c->draining = true;
    self->Retry(call);
    return 0;
  }

  static int OnStreamClose(nghttp2_session* session, int32_t stream_id, uint32_t error_code,
                           void* user) {
    auto* self = static_cast<ClientCore*>(user);
    ClientConnection* c = self->ConnectionOf(session);
    if (c == nullptr) return 0;
    auto it = c->calls.find(stream_id);
    if (it == c->calls.end()) {
      c->ended.erase(stream_id);
      return 0;
    }
    std::shared_ptr<ClientCall> call = it->second;
    c->calls.erase(it);
    call->connection = nullptr;
    if (call->failed) return 0;
    if (error_code == NGHTTP2_REFUSED_STREAM && !call->headers_received) {
      self->Retry(call);
      return 0;
    }
    Complete(call.get(), self->StatusOf(*call, error_code));
    return 0;
  }

  CallStatus StatusOf(ClientCall& call, uint32_t error_code) {
    if (call.have_grpc_status) {
      if (call.grpc_status == 0) {
        if (!call.streaming) {
          absl::MutexLock lock(&call.mu);
          if (call.messages.empty()) {
            return CallStatus{absl::InternalError("the server sent no answer message"), ""};
          }
        }
        if (!call.in.empty()) {
          return CallStatus{absl::InternalError("the server's last message was cut short"), ""};
        }
        return CallStatus{absl::OkStatus(), ""};
      }
      const int code =
          call.grpc_status > 16 ? static_cast<int>(absl::StatusCode::kUnknown) : call.grpc_status;
      return CallStatus{absl::Status(static_cast<absl::StatusCode>(code), call.grpc_message),
                        std::move(call.grpc_details)};
    }
    if (error_code != NGHTTP2_NO_ERROR) {
      switch (error_code) {
        case NGHTTP2_CANCEL:
          return CallStatus{absl::CancelledError("the server cancelled the call"), ""};
        case NGHTTP2_REFUSED_STREAM:
          return CallStatus{absl::UnavailableError("the server refused the call"), ""};
        case NGHTTP2_ENHANCE_YOUR_CALM:
          return CallStatus{absl::ResourceExhaustedError("the server asked to slow down"), ""};
        default:
          return CallStatus{absl::InternalError(absl::StrCat("the server reset the call: ",
                                                             nghttp2_http2_strerror(error_code))),
                            ""};
      }
    }
    if (call.http_status != 200 && call.http_status != 0) {
      return CallStatus{
          absl::Status(CodeOfHttpStatus(call.http_status),
                       absl::StrCat("the server answered with HTTP status ", call.http_status)),
          ""};
    }
    return CallStatus{absl::InternalError("the server ended the call without a grpc-status"), ""};
  }

  const ChannelOptions options_;
  const Target target_;
  const SslCtxPtr tls_;
  std::string user_agent_;
  int wake_fd_ = -1;
  nghttp2_session_callbacks* callbacks_ = nullptr;
  nghttp2_option* session_options_ = nullptr;

  absl::Mutex mu_;
  std::vector<std::shared_ptr<ClientCall>> submitted_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<ClientCall>> cancels_ ABSL_GUARDED_BY(mu_);
  bool exit_ ABSL_GUARDED_BY(mu_) = false;
  // A wake-up is on its way (or the loop has yet to look at its queues).
  bool wake_pending_ ABSL_GUARDED_BY(mu_) = false;
  // The last attempt's failure (OK after a success) and when the next may
  // start.
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  absl::Time retry_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();

  // The loop's.
  std::vector<Address> addresses_;
  std::unique_ptr<ClientConnection> current_;
  std::vector<std::unique_ptr<ClientConnection>> draining_;
  std::deque<std::shared_ptr<ClientCall>> waiting_;  // for a connection
  absl::Duration backoff_ = options_.initial_reconnect_backoff;
  char read_buffer_[kReadBuffer];
  std::thread thread_;
};

// ---------------------------------------------------------------------------

ClientStream::ClientStream(std::shared_ptr<ClientCore> core, std::shared_ptr<ClientCall> call)
    : core_(std::move(core)), call_(std::move(call)) {}

ClientStream::~ClientStream() { Cancel(); }

bool ClientStream::Read(std::string* message) {
  absl::MutexLock lock(&call_->mu);
  call_->mu.Await(absl::Condition(call_.get(), &ClientCall::Readable));
  if (call_->messages.empty()) return false;
  *message = std::move(call_->messages.front());
  call_->messages.pop_front();
  return true;
}

void ClientStream::Cancel() {
  {
    absl::MutexLock lock(&call_->mu);
    if (call_->done || call_->cancelled) return;
    call_->cancelled = true;
  }
  core_->Cancel(call_);
}

CallStatus ClientStream::Finish() {
  absl::MutexLock lock(&call_->mu);
  call_->mu.Await(absl::Condition(call_.get(), &ClientCall::Done));
  return call_->final;
}

absl::StatusOr<std::unique_ptr<Channel>> Channel::Create(ChannelOptions options) {
  absl::StatusOr<Target> target = ParseTarget(options.target);
  if (!target.ok()) return target.status();
  SslCtxPtr tls;
  if (options.tls.has_value()) {
    absl::StatusOr<SslCtxPtr> ctx = MakeClientSslContext(*options.tls);
    if (!ctx.ok()) return ctx.status();
    tls = *std::move(ctx);
  }
  auto core = std::make_shared<ClientCore>(std::move(options), *std::move(target), std::move(tls));
  return std::unique_ptr<Channel>(new Channel(std::move(core)));
}

Channel::Channel(std::shared_ptr<ClientCore> core) : core_(std::move(core)) {}

Channel::~Channel() { core_->Shutdown(); }

namespace {

std::shared_ptr<ClientCall> NewCall(std::string_view method, std::string_view request,
                                    const CallOptions& options, bool streaming) {
  auto call = std::make_shared<ClientCall>();
  call->path = std::string(method);
  call->request = FrameBytes(request);
  call->metadata = options.metadata;
  call->deadline = options.deadline;
  call->streaming = streaming;
  return call;
}

}  // namespace

CallStatus Channel::Call(std::string_view method, std::string_view request,
                         const CallOptions& options, std::string* response) {
  std::shared_ptr<ClientCall> call = NewCall(method, request, options, false);
  core_->Submit(call);
  absl::MutexLock lock(&call->mu);
  call->mu.Await(absl::Condition(call.get(), &ClientCall::Done));
  if (call->final.ok() && response != nullptr && !call->messages.empty()) {
    *response = std::move(call->messages.front());
  }
  return call->final;
}

std::unique_ptr<ClientStream> Channel::StartStream(std::string_view method,
                                                   std::string_view request,
                                                   const CallOptions& options) {
  std::shared_ptr<ClientCall> call = NewCall(method, request, options, true);
  core_->Submit(call);
  return std::unique_ptr<ClientStream>(new ClientStream(core_, std::move(call)));
}

}  // namespace minik8s::rpc
