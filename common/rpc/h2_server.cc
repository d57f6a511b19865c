#include "common/rpc/h2_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <deque>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/rpc/socket_io.h"

namespace minik8s::rpc {

namespace {

constexpr uint64_t kWakeTag = 0;
constexpr uint64_t kListenerTag = 1ull << 63;  // | index into listeners_
constexpr size_t kReadChunk = 64 * 1024;
// Frames gathered for one connection before they are written.
constexpr size_t kOutputHighWater = 256 * 1024;
constexpr int32_t kMaxWindow = INT32_MAX;

nghttp2_nv Header(std::string_view name, std::string_view value) {
  return {reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
          NGHTTP2_NV_FLAG_NONE};
}

std::string_view StatusMessage(const absl::Status& status) {
  return {status.message().data(), status.message().size()};
}

std::string_view View(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// ALPN for the store's TLS ports: h2 when the client offers it (every gRPC
// client does), no ALPN otherwise.
int SelectH2(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
             unsigned int inlen, void*) {
  unsigned char* selected = nullptr;
  if (nghttp2_select_next_protocol(&selected, outlen, in, inlen) != 1) return SSL_TLSEXT_ERR_NOACK;
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

thread_local Worker* current_worker = nullptr;

// grpc-status-details-bin: base64 without padding, as gRPC sends binary
// headers.
std::string BinaryHeader(std::string_view bytes) {
  std::string out = absl::Base64Escape(absl::string_view(bytes.data(), bytes.size()));
  while (!out.empty() && out.back() == '=') out.pop_back();
  return out;
}

// Headers a handler is not given: HTTP/2's pseudo-headers and what gRPC
// reserves for itself.
bool ReservedHeader(std::string_view name) {
  return name.empty() || name.front() == ':' || name == "content-type" || name == "te" ||
         absl::StartsWith(absl::string_view(name.data(), name.size()), "grpc-");
}

}  // namespace

std::string FrameBytes(std::string_view serialized) {
  std::string out(5 + serialized.size(), '\0');
  const uint32_t length = htonl(static_cast<uint32_t>(serialized.size()));
  std::memcpy(&out[1], &length, 4);
  if (!serialized.empty()) std::memcpy(&out[5], serialized.data(), serialized.size());
  return out;
}

std::string Frame(const google::protobuf::MessageLite& message) {
  const size_t size = message.ByteSizeLong();
  std::string out(5 + size, '\0');
  const uint32_t length = htonl(static_cast<uint32_t>(size));
  std::memcpy(&out[1], &length, 4);
  message.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(&out[5]));
  return out;
}

std::string PeerAddress(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return "unknown";
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&address);
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    return absl::StrCat("ipv4:", text, ":", ntohs(in->sin_port));
  }
  if (address.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address);
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
      // An IPv4 client of a dual-stack listener: named as gRPC names it.
      inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], text, sizeof text);
      return absl::StrCat("ipv4:", text, ":", ntohs(in6->sin6_port));
    }
    inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    return absl::StrCat("ipv6:[", text, "]:", ntohs(in6->sin6_port));
  }
  if (address.ss_family == AF_UNIX) {
    const auto* un = reinterpret_cast<const sockaddr_un*>(&address);
    const size_t path = length > offsetof(sockaddr_un, sun_path)
                            ? strnlen(un->sun_path, length - offsetof(sockaddr_un, sun_path))
                            : 0;
    return absl::StrCat("unix:", absl::string_view(un->sun_path, path));
  }
  return "unknown";
}

std::string_view CallInfo::Find(std::string_view name) const {
  for (const auto& [key, value] : metadata) {
    if (key == name) return value;
  }
  return {};
}

std::string PercentEncode(std::string_view message) {
  std::string out;
  out.reserve(message.size());
  for (const char ch : message) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c > 0x7e || c == '%') {
      absl::StrAppendFormat(&out, "%%%02X", c);
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// What a worker is asked to do, from any thread.

struct Task {
  enum class Kind { kAdopt, kReply, kHeaders, kWrite, kFinish, kStop, kCancelAll, kExit };
  Kind kind = Kind::kReply;
  uint64_t connection = 0;
  int32_t stream = 0;
  absl::Status status;
  std::string data;
  std::string details;               // kReply, kFinish: grpc-status-details-bin
  int fd = -1;                       // kAdopt
  std::shared_ptr<SSL_CTX> tls;      // kAdopt
  std::shared_ptr<const Peer> peer;  // kAdopt
};

// One HTTP/2 stream: a call, from its request headers until the stream is
// closed.
struct Stream {
  int32_t id = 0;
  // Request headers.
  std::string path;
  std::string method;
  std::string content_type;
  std::string encoding;
  std::vector<std::pair<std::string, std::string>> metadata;  // keep_metadata
  const Method* handler = nullptr;
  // Request messages: bytes of an incomplete message; the unary request.
  std::string in;
  std::string unary_request;
  int messages = 0;
  bool request_done = false;  // the client half-closed
  bool failed = false;        // answered with an error: further data is ignored
  // Streaming: the handler's object, and what it was told.
  StreamCallbacks* callbacks = nullptr;
  bool reads_done_told = false;
  bool write_outstanding = false;
  bool finish_requested = false;
  // The response: headers submitted with a data source; messages queued;
  // whether the trailers follow once they are out.
  bool response_started = false;
  bool deferred = false;
  std::deque<std::string> out;
  size_t out_offset = 0;
  bool finishing = false;
  absl::Status final_status;
  std::string final_details;
  std::string grpc_status;   // kept alive for nghttp2 until sent
  std::string grpc_message;  // idem
  std::string grpc_details;  // idem
};

struct Connection {
  uint64_t id = 0;
  int fd = -1;
  SSL* ssl = nullptr;
  bool handshaking = false;
  std::shared_ptr<const Peer> peer;
  nghttp2_session* session = nullptr;
  std::string out;  // frames not yet written
  bool want_out = false;
  bool dirty = false;
  bool closing = false;
  absl::flat_hash_map<int32_t, std::unique_ptr<Stream>> streams;
};

// ---------------------------------------------------------------------------

class Worker {
 public:
  Worker(Server* server, int index) : server_(server), index_(index) {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kWakeTag;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
    nghttp2_session_callbacks_new(&callbacks_);
    nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks_, &OnBeginHeaders);
    nghttp2_session_callbacks_set_on_header_callback(callbacks_, &OnHeader);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks_, &OnFrameRecv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks_, &OnDataChunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks_, &OnStreamClose);
    nghttp2_session_callbacks_set_on_frame_send_callback(callbacks_, &OnFrameSend);
    nghttp2_option_new(&session_options_);
    // Settings are acknowledged by nghttp2 itself; a client's flood of
    // frames that need answers (PING, SETTINGS) is cut off by its limit.
    nghttp2_option_set_max_outbound_ack(session_options_, 10000);
    // No HTTP semantics checks beyond HTTP/2's framing: gRPC clients on a
    // unix socket send the socket's path (or a made-up target name with
    // slashes) as :authority, which HTTP's rules refuse. What gRPC needs of
    // the headers is checked here (OnRequestHeaders).
    nghttp2_option_set_no_http_messaging(session_options_, 1);
  }

  ~Worker() {
    if (thread_.joinable()) thread_.join();
    for (auto& [id, c] : connections_) DropConnection(c.get());
    connections_.clear();
    nghttp2_session_callbacks_del(callbacks_);
    nghttp2_option_del(session_options_);
    close(wake_fd_);
    close(epoll_fd_);
  }

  void Start() {
    thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), index_ == 0 ? "rpc-io" : "rpc-io-n");
      // OpenSSL writes with plain write(): to a client that has gone, that
      // raises SIGPIPE. Blocked here, the write fails with EPIPE instead (a
      // process that does not ignore SIGPIPE, a test's, is not killed).
      sigset_t pipe;
      sigemptyset(&pipe);
      sigaddset(&pipe, SIGPIPE);
      pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
      current_worker = this;
      Run();
      current_worker = nullptr;
    });
  }

  void Join() {
    if (thread_.joinable()) thread_.join();
  }

  void WatchListener(size_t index, int fd) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kListenerTag | index;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
    listener_fds_.push_back(fd);
  }

  void Post(Task task) {
    bool wake = false;
    {
      absl::MutexLock lock(&mu_);
      tasks_.push_back(std::move(task));
      if (!wake_pending_) {
        wake_pending_ = true;
        wake = current_worker != this;  // the loop looks at its tasks before it waits
      }
    }
    if (wake) {
      const uint64_t one = 1;
      while (write(wake_fd_, &one, sizeof one) < 0 && errno == EINTR) {
      }
    }
  }

 private:
  // --- the loop --------------------------------------------------------------

  void Run() {
    epoll_event events[256];
    while (!exit_) {
      bool pending;
      {
        absl::MutexLock lock(&mu_);
        pending = !tasks_.empty();
      }
      int timeout = pending ? 0 : -1;
      if (accept_paused_until_ != absl::InfiniteFuture()) {
        const absl::Duration left = accept_paused_until_ - absl::Now();
        if (left <= absl::ZeroDuration()) {
          ResumeAccepting();
        } else if (timeout != 0) {
          timeout = static_cast<int>(absl::ToInt64Milliseconds(left)) + 1;
        }
      }
      const int n = epoll_wait(epoll_fd_, events, 256, timeout);
      for (int i = 0; i < n; ++i) {
        const uint64_t tag = events[i].data.u64;
        if (tag == kWakeTag) {
          uint64_t count;
          while (read(wake_fd_, &count, sizeof count) < 0 && errno == EINTR) {
          }
        } else if ((tag & kListenerTag) != 0) {
          Accept(tag & ~kListenerTag);
        } else {
          auto it = connections_.find(tag);
          if (it == connections_.end()) continue;
          Connection* c = it->second.get();
          if ((events[i].events & (EPOLLERR | EPOLLHUP)) != 0 &&
              (events[i].events & EPOLLIN) == 0) {
            c->closing = true;
          } else {
            if ((events[i].events & EPOLLIN) != 0) OnReadable(c);
            if ((events[i].events & EPOLLOUT) != 0) OnWritable(c);
          }
          MarkDirty(c);
        }
      }
      RunTasks();
      FlushDirty();
      DeliverWritten();
    }
    for (auto& [id, c] : connections_) DropConnection(c.get());
    connections_.clear();
  }

  void RunTasks() {
    std::vector<Task> tasks;
    {
      absl::MutexLock lock(&mu_);
      tasks.swap(tasks_);
      wake_pending_ = false;
    }
    for (Task& t : tasks) {
      switch (t.kind) {
        case Task::Kind::kAdopt:
          Adopt(t.fd, std::move(t.tls), std::move(t.peer));
          break;
        case Task::Kind::kHeaders:
          DoSendHeaders(t);
          break;
        case Task::Kind::kReply:
          DoReply(t);
          break;
        case Task::Kind::kWrite:
          DoWrite(t);
          break;
        case Task::Kind::kFinish:
          DoFinish(t);
          break;
        case Task::Kind::kStop:
          DoStop();
          break;
        case Task::Kind::kCancelAll:
          DoCancelAll();
          break;
        case Task::Kind::kExit:
          exit_ = true;
          break;
      }
    }
  }

  void MarkDirty(Connection* c) {
    if (c->dirty) return;
    c->dirty = true;
    dirty_.push_back(c->id);
  }

  void FlushDirty() {
    // Flushing can mark more connections dirty (a stream closed by a write
    // error runs callbacks that post tasks, not flushes), so iterate a copy.
    std::vector<uint64_t> dirty;
    dirty.swap(dirty_);
    for (uint64_t id : dirty) {
      auto it = connections_.find(id);
      if (it == connections_.end()) continue;
      Connection* c = it->second.get();
      c->dirty = false;
      if (!c->closing) Flush(c);
      if (c->closing) {
        DropConnection(c);
        connections_.erase(it);
      }
    }
  }

  void DeliverWritten() {
    std::vector<StreamCallbacks*> written;
    written.swap(written_);
    for (StreamCallbacks* cb : written) cb->OnWritten(true);
  }

  // --- connections -----------------------------------------------------------

  void Accept(uint64_t index) {
    const Server::Listener& listener = server_->listeners_[index];
    for (;;) {
      const int fd = accept4(listener.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
          // Out of file descriptors: stop accepting for a while rather than
          // spin on a listener that stays readable.
          spdlog::warn("cannot accept a connection: {}; accepting again in 100ms",
                       std::strerror(errno));
          PauseAccepting();
        }
        return;
      }
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // fails harmlessly on unix
      auto peer = std::make_shared<Peer>();
      peer->address = PeerAddress(fd);
      Worker* target = server_->workers_[next_worker_++ % server_->workers_.size()].get();
      if (target == this) {
        Adopt(fd, listener.tls, std::move(peer));
      } else {
        Task t;
        t.kind = Task::Kind::kAdopt;
        t.fd = fd;
        t.tls = listener.tls;
        t.peer = std::move(peer);
        target->Post(std::move(t));
      }
    }
  }

  void PauseAccepting() {
    for (int fd : listener_fds_) epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    accept_paused_until_ = absl::Now() + absl::Milliseconds(100);
  }

  void ResumeAccepting() {
    accept_paused_until_ = absl::InfiniteFuture();
    if (stopping_) return;
    for (size_t i = 0; i < server_->listeners_.size(); ++i) {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = kListenerTag | i;
      epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, server_->listeners_[i].fd, &ev);
    }
  }

  void Adopt(int fd, std::shared_ptr<SSL_CTX> tls, std::shared_ptr<const Peer> peer) {
    if (stopping_) {
      close(fd);
      return;
    }
    auto c = std::make_unique<Connection>();
    c->id = next_connection_id_++ * 64 + static_cast<uint64_t>(index_) + 1;
    c->fd = fd;
    c->peer = std::move(peer);
    if (tls != nullptr) {
      c->ssl = SSL_new(tls.get());
      if (c->ssl == nullptr || SSL_set_fd(c->ssl, fd) != 1) {
        spdlog::warn("TLS: cannot set up a connection: {}", OpenSslErrors());
        if (c->ssl != nullptr) SSL_free(c->ssl);
        close(fd);
        return;
      }
      SSL_set_mode(c->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
      // Whole reads from the socket rather than a header and then a body
      // per record; OnReadable stops once nothing is buffered.
      SSL_set_read_ahead(c->ssl, 1);
      SSL_set_accept_state(c->ssl);
      c->handshaking = true;
    }
    if (nghttp2_session_server_new2(&c->session, callbacks_, this, session_options_) != 0) {
      if (c->ssl != nullptr) SSL_free(c->ssl);
      close(fd);
      return;
    }
    const uint32_t window = static_cast<uint32_t>(
        std::min<int64_t>(server_->options_.max_receive_message_bytes + 512 * 1024, kMaxWindow));
    const nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 1u << 20},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, window},
    };
    nghttp2_submit_settings(c->session, NGHTTP2_FLAG_NONE, settings, 2);
    nghttp2_session_set_local_window_size(c->session, NGHTTP2_FLAG_NONE, 0,
                                          static_cast<int32_t>(window));
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = c->id;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      nghttp2_session_del(c->session);
      if (c->ssl != nullptr) SSL_free(c->ssl);
      close(fd);
      return;
    }
    Connection* raw = c.get();
    connections_.emplace(raw->id, std::move(c));
    MarkDirty(raw);  // the server's SETTINGS go out at once
  }

  // Closes every stream (telling handlers), then the socket.
  void DropConnection(Connection* c) {
    std::vector<int32_t> ids;
    ids.reserve(c->streams.size());
    for (const auto& [id, s] : c->streams) ids.push_back(id);
    for (int32_t id : ids) CloseStream(c, id);
    c->streams.clear();
    nghttp2_session_del(c->session);
    c->session = nullptr;
    if (c->ssl != nullptr) SSL_free(c->ssl);
    c->ssl = nullptr;
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c->fd, nullptr);
    close(c->fd);
    c->fd = -1;
  }

  bool Handshake(Connection* c) {
    const int r = SSL_do_handshake(c->ssl);
    if (r == 1) {
      c->handshaking = false;
      if (std::optional<CertificateSubject> subject = VerifiedPeerSubject(c->ssl)) {
        auto peer = std::make_shared<Peer>(*c->peer);
        peer->certificate = std::move(subject);
        c->peer = std::move(peer);
      }
      return true;
    }
    const int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ) return true;
    if (e == SSL_ERROR_WANT_WRITE) {
      SetWantOut(c, true);
      return true;
    }
    spdlog::debug("TLS handshake failed: {}", OpenSslErrors());
    ERR_clear_error();
    c->closing = true;
    return false;
  }

  // nghttp2's callbacks get the worker; they act on the connection being
  // read or flushed.
  class Current {
   public:
    Current(Worker* w, Connection* c) : w_(w), saved_(w->current_) { w->current_ = c; }
    ~Current() { w_->current_ = saved_; }

   private:
    Worker* w_;
    Connection* saved_;
  };

  void OnReadable(Connection* c) {
    Current current(this, c);
    if (c->handshaking) {
      if (!Handshake(c) || c->handshaking) return;
    }
    for (;;) {
      const IoResult read = ReadSome(c->fd, c->ssl, read_buffer_, sizeof read_buffer_);
      switch (read.outcome) {
        case IoResult::Outcome::kOk:
          break;
        case IoResult::Outcome::kWantRead:
          return;
        case IoResult::Outcome::kWantWrite:
          SetWantOut(c, true);
          return;
        case IoResult::Outcome::kClosed:
        case IoResult::Outcome::kError:
          c->closing = true;
          return;
      }
      const size_t n = read.bytes;
      const ssize_t used =
          nghttp2_session_mem_recv(c->session, reinterpret_cast<const uint8_t*>(read_buffer_), n);
      if (used < 0) {
        spdlog::debug("closing a client connection: {}", nghttp2_strerror(static_cast<int>(used)));
        // nghttp2 queued a GOAWAY where the protocol asks for one: send it.
        Flush(c);
        c->closing = true;
        return;
      }
      // Everything the socket had is read: epoll (level-triggered) says when
      // more comes. Over TLS, a last SSL_read would only fail (WANT_READ).
      if (c->ssl == nullptr ? n < sizeof read_buffer_ : SSL_has_pending(c->ssl) == 0) {
        return;
      }
    }
  }

  void OnWritable(Connection* c) {
    SetWantOut(c, false);
    if (c->handshaking && Handshake(c) && !c->handshaking) OnReadable(c);
  }

  void SetWantOut(Connection* c, bool want) {
    if (c->want_out == want || c->fd < 0) return;
    c->want_out = want;
    epoll_event ev{};
    ev.events = want ? EPOLLIN | EPOLLOUT : EPOLLIN;
    ev.data.u64 = c->id;
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c->fd, &ev);
  }

  // Gathers the session's frames and writes them; marks the connection
  // closing when it is over.
  void Flush(Connection* c) {
    if (c->handshaking) return;
    Current current(this, c);
    while (c->out.size() < kOutputHighWater) {
      const uint8_t* data = nullptr;
      const ssize_t n = nghttp2_session_mem_send(c->session, &data);
      if (n < 0) {
        c->closing = true;
        return;
      }
      if (n == 0) break;
      c->out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
    }
    const IoResult written = WriteSome(c->fd, c->ssl, c->out);
    if (written.outcome == IoResult::Outcome::kClosed ||
        written.outcome == IoResult::Outcome::kError) {
      c->closing = true;
      return;
    }
    c->out.erase(0, written.bytes);
    const bool more = !c->out.empty() || nghttp2_session_want_write(c->session) != 0;
    SetWantOut(c, more);
    if (c->out.empty() && nghttp2_session_want_read(c->session) == 0 &&
        nghttp2_session_want_write(c->session) == 0) {
      c->closing = true;  // both sides said goodbye
    }
  }

  // A connection of this worker, closing or not (a closing one still has
  // its streams until it is dropped).
  Connection* FindConnection(uint64_t id) {
    auto it = connections_.find(id);
    return it == connections_.end() ? nullptr : it->second.get();
  }

  static Stream* FindStream(Connection* c, int32_t id) {
    auto it = c->streams.find(id);
    return it == c->streams.end() ? nullptr : it->second.get();
  }

  // --- streams ---------------------------------------------------------------

  // The stream is over at the HTTP/2 level (done, reset, or its connection
  // gone): tells its handler, then forgets it.
  void CloseStream(Connection* c, int32_t id) {
    auto it = c->streams.find(id);
    if (it == c->streams.end()) return;
    std::unique_ptr<Stream> s = std::move(it->second);
    c->streams.erase(it);
    if (c->session != nullptr) nghttp2_session_set_stream_user_data(c->session, id, nullptr);
    StreamCallbacks* cb = s->callbacks;
    if (cb == nullptr) return;
    if (!s->reads_done_told) cb->OnReadsDone();
    if (s->write_outstanding) cb->OnWritten(false);
    if (s->finish_requested) {
      cb->OnFinished();
      server_->CallEnded();
      return;
    }
    cb->OnCancelled();
    // Finish is still to come; it finds the handler here.
    orphans_[{c->id, id}] = cb;
  }

  void StartResponse(Connection* c, Stream* s) {
    s->response_started = true;
    const nghttp2_nv headers[] = {Header(":status", "200"),
                                  Header("content-type", "application/grpc")};
    nghttp2_data_provider provider;
    provider.source.ptr = s;
    provider.read_callback = &ReadResponse;
    if (nghttp2_submit_response(c->session, s->id, headers, 2, &provider) != 0) {
      nghttp2_submit_rst_stream(c->session, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_INTERNAL_ERROR);
    }
    MarkDirty(c);
  }

  // A response with no message: the status in the response headers.
  void RespondStatusOnly(Connection* c, Stream* s, const absl::Status& status,
                         std::string_view http_status = "200", std::string_view details = {}) {
    s->response_started = true;
    s->grpc_status = absl::StrCat(static_cast<int>(status.code()));
    s->grpc_message = PercentEncode(StatusMessage(status));
    if (!status.ok() && !details.empty()) s->grpc_details = BinaryHeader(details);
    nghttp2_nv headers[5] = {Header(":status", http_status),
                             Header("content-type", "application/grpc"),
                             Header("grpc-status", s->grpc_status)};
    size_t count = 3;
    if (!s->grpc_message.empty()) headers[count++] = Header("grpc-message", s->grpc_message);
    if (!s->grpc_details.empty()) {
      headers[count++] = Header("grpc-status-details-bin", s->grpc_details);
    }
    nghttp2_submit_response(c->session, s->id, headers, count, nullptr);
    MarkDirty(c);
  }

  // Ends a call the server cannot serve (unknown method, bad message).
  void Fail(Connection* c, Stream* s, const absl::Status& status,
            std::string_view http_status = "200") {
    if (s->failed) return;
    s->failed = true;
    s->in.clear();
    if (!s->response_started) {
      RespondStatusOnly(c, s, status, http_status);
    } else {
      nghttp2_submit_rst_stream(c->session, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_INTERNAL_ERROR);
      MarkDirty(c);
    }
  }

  static ssize_t ReadResponse(nghttp2_session* session, int32_t stream_id, uint8_t* buffer,
                              size_t length, uint32_t* flags, nghttp2_data_source* source,
                              void* user_data) {
    auto* worker = static_cast<Worker*>(user_data);
    auto* s = static_cast<Stream*>(source->ptr);
    size_t n = 0;
    while (n < length && !s->out.empty()) {
      const std::string& front = s->out.front();
      const size_t take = std::min(length - n, front.size() - s->out_offset);
      std::memcpy(buffer + n, front.data() + s->out_offset, take);
      n += take;
      s->out_offset += take;
      if (s->out_offset == front.size()) {
        s->out.pop_front();
        s->out_offset = 0;
        if (s->out.empty() && s->write_outstanding) {
          s->write_outstanding = false;
          worker->written_.push_back(s->callbacks);
        }
      }
    }
    if (s->out.empty() && s->finishing) {
      *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
      s->grpc_status = absl::StrCat(static_cast<int>(s->final_status.code()));
      s->grpc_message = PercentEncode(StatusMessage(s->final_status));
      if (!s->final_status.ok() && !s->final_details.empty()) {
        s->grpc_details = BinaryHeader(s->final_details);
      }
      nghttp2_nv trailers[3] = {Header("grpc-status", s->grpc_status)};
      size_t count = 1;
      if (!s->grpc_message.empty()) trailers[count++] = Header("grpc-message", s->grpc_message);
      if (!s->grpc_details.empty()) {
        trailers[count++] = Header("grpc-status-details-bin", s->grpc_details);
      }
      if (nghttp2_submit_trailer(session, stream_id, trailers, count) != 0) {
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
      }
      return static_cast<ssize_t>(n);
    }
    if (n == 0) {
      s->deferred = true;
      return NGHTTP2_ERR_DEFERRED;
    }
    return static_cast<ssize_t>(n);
  }

  void Resume(Connection* c, Stream* s) {
    if (s->deferred) {
      s->deferred = false;
      nghttp2_session_resume_data(c->session, s->id);
    }
    MarkDirty(c);
  }

  // --- what handlers asked for ----------------------------------------------

  void DoReply(Task& t) {
    server_->CallEnded();
    Connection* c = FindConnection(t.connection);
    if (c == nullptr || c->closing) return;
    Stream* s = FindStream(c, t.stream);
    if (s == nullptr || s->response_started) return;  // cancelled meanwhile
    if (!t.status.ok()) return RespondStatusOnly(c, s, t.status, "200", t.details);
    s->out.push_back(std::move(t.data));
    s->finishing = true;
    s->final_status = absl::OkStatus();
    StartResponse(c, s);
  }

  // The stream a streaming call's task is for; or, once the stream is gone,
  // the handler (`*orphan`), still waiting for its Finish.
  Stream* StreamOf(const Task& t, Connection** c, StreamCallbacks** orphan) {
    *c = FindConnection(t.connection);
    *orphan = nullptr;
    if (*c != nullptr) {
      if (Stream* s = FindStream(*c, t.stream)) return s;
    }
    auto it = orphans_.find(std::make_pair(t.connection, t.stream));
    if (it != orphans_.end()) *orphan = it->second;
    return nullptr;
  }

  void DoWrite(Task& t) {
    Connection* c;
    StreamCallbacks* orphan;
    Stream* s = StreamOf(t, &c, &orphan);
    if (s == nullptr) {
      if (orphan != nullptr) orphan->OnWritten(false);  // the call ended meanwhile
      return;
    }
    s->write_outstanding = true;
    // Ending: the stream's close fails the write.
    if (c->closing || s->failed || s->finishing) return;
    s->out.push_back(std::move(t.data));
    if (!s->response_started) {
      StartResponse(c, s);
    } else {
      Resume(c, s);
    }
  }

  void DoFinish(Task& t) {
    Connection* c;
    StreamCallbacks* orphan;
    Stream* s = StreamOf(t, &c, &orphan);
    if (s == nullptr) {
      if (orphan == nullptr) return;
      orphans_.erase(std::make_pair(t.connection, t.stream));
      orphan->OnFinished();
      server_->CallEnded();
      return;
    }
    s->finish_requested = true;
    // Its error is on the way, or the connection is going: the stream's
    // close tells the handler.
    if (c->closing || s->failed) return;
    if (!s->response_started) return RespondStatusOnly(c, s, t.status, "200", t.details);
    s->finishing = true;
    s->final_status = t.status;
    s->final_details = std::move(t.details);
    Resume(c, s);
  }

  void DoSendHeaders(Task& t) {
    Connection* c;
    StreamCallbacks* orphan;
    Stream* s = StreamOf(t, &c, &orphan);
    if (s == nullptr || c->closing || s->failed || s->response_started) return;
    StartResponse(c, s);
  }

  void DoStop() {
    stopping_ = true;
    for (int fd : listener_fds_) epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    for (auto& [id, c] : connections_) {
      if (c->closing) continue;
      nghttp2_submit_goaway(c->session, NGHTTP2_FLAG_NONE,
                            nghttp2_session_get_last_proc_stream_id(c->session), NGHTTP2_NO_ERROR,
                            nullptr, 0);
      MarkDirty(c.get());
    }
  }

  void DoCancelAll() {
    for (auto& [id, c] : connections_) {
      if (c->closing) continue;
      for (auto& [stream_id, s] : c->streams) {
        if (s->finishing || s->failed) continue;  // answered, or on its way out
        nghttp2_submit_rst_stream(c->session, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_CANCEL);
      }
      MarkDirty(c.get());
    }
  }

  // --- nghttp2's callbacks ---------------------------------------------------

  static Stream* UserStream(nghttp2_session* session, int32_t id) {
    return static_cast<Stream*>(nghttp2_session_get_stream_user_data(session, id));
  }

  static int OnBeginHeaders(nghttp2_session* session, const nghttp2_frame* frame, void* user) {
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    auto* worker = static_cast<Worker*>(user);
    Connection* c = worker->current_;
    auto s = std::make_unique<Stream>();
    s->id = frame->hd.stream_id;
    nghttp2_session_set_stream_user_data(session, s->id, s.get());
    c->streams[s->id] = std::move(s);
    return 0;
  }

  static int OnHeader(nghttp2_session* session, const nghttp2_frame* frame, const uint8_t* name,
                      size_t name_length, const uint8_t* value, size_t value_length, uint8_t,
                      void* user) {
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    Stream* s = UserStream(session, frame->hd.stream_id);
    if (s == nullptr) return 0;
    const std::string_view n = View(name, name_length);
    const std::string_view v = View(value, value_length);
    if (static_cast<Worker*>(user)->server_->options_.keep_metadata && !ReservedHeader(n)) {
      if (absl::EndsWith(absl::string_view(n.data(), n.size()), "-bin")) {
        // Binary metadata travels in base64: handlers get the bytes.
        std::string bytes;
        if (absl::Base64Unescape(absl::string_view(v.data(), v.size()), &bytes)) {
          s->metadata.emplace_back(n, std::move(bytes));
        }
      } else {
        s->metadata.emplace_back(n, v);
      }
    }
    if (n == ":path") {
      s->path.assign(v);
    } else if (n == ":method") {
      s->method.assign(v);
    } else if (n == "content-type") {
      s->content_type.assign(v);
    } else if (n == "grpc-encoding") {
      s->encoding.assign(v);
    }
    return 0;
  }

  static int OnFrameRecv(nghttp2_session* session, const nghttp2_frame* frame, void* user) {
    auto* worker = static_cast<Worker*>(user);
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
    Stream* s = UserStream(session, frame->hd.stream_id);
    if (s == nullptr) return 0;
    Connection* c = worker->current_;
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
      worker->OnRequestHeaders(c, s);
    }
    if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) worker->OnRequestDone(c, s);
    return 0;
  }

  static int OnDataChunk(nghttp2_session* session, uint8_t, int32_t stream_id, const uint8_t* data,
                         size_t length, void* user) {
    auto* worker = static_cast<Worker*>(user);
    Stream* s = UserStream(session, stream_id);
    if (s == nullptr || s->failed) return 0;
    worker->Consume(worker->current_, s, View(data, length));
    return 0;
  }

  // Once the response has ended (its trailers sent) while the client is
  // still sending: the client need not send the rest (RST_STREAM with
  // NO_ERROR after the trailers, as gRPC servers do; sent earlier, it would
  // drop the trailers).
  static int OnFrameSend(nghttp2_session* session, const nghttp2_frame* frame, void*) {
    if (frame->hd.type != NGHTTP2_HEADERS || (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) == 0) {
      return 0;
    }
    Stream* s = UserStream(session, frame->hd.stream_id);
    if (s != nullptr && !s->request_done) {
      nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, frame->hd.stream_id, NGHTTP2_NO_ERROR);
    }
    return 0;
  }

  static int OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t, void* user) {
    auto* worker = static_cast<Worker*>(user);
    if (worker->current_ != nullptr) worker->CloseStream(worker->current_, stream_id);
    return 0;
  }

  void OnRequestHeaders(Connection* c, Stream* s) {
    if (!absl::StartsWith(s->content_type, "application/grpc")) {
      return Fail(c, s,
                  absl::InternalError(
                      absl::StrCat("invalid gRPC request content-type \"", s->content_type, "\"")),
                  "415");
    }
    if (s->method != "POST") {
      return Fail(c, s, absl::InternalError("invalid gRPC request method"), "405");
    }
    auto it = server_->methods_.find(s->path);
    if (it == server_->methods_.end()) {
      return Fail(c, s, absl::UnimplementedError(absl::StrCat("unknown method ", s->path)));
    }
    s->handler = &it->second;
    if (s->handler->streaming) {
      server_->CallStarted();
      const CallInfo info{.peer = c->peer, .metadata = std::move(s->metadata)};
      s->callbacks = s->handler->streaming(CallRef(this, c->id, s->id), info);
    }
  }

  void OnRequestDone(Connection* c, Stream* s) {
    s->request_done = true;
    if (s->failed || s->handler == nullptr) return;
    if (!s->in.empty()) {
      return Fail(c, s, absl::InternalError("grpc: the request ended inside a message"));
    }
    if (s->callbacks != nullptr) {
      s->reads_done_told = true;
      s->callbacks->OnReadsDone();
      return;
    }
    if (s->messages != 1) {
      return Fail(c, s,
                  absl::InternalError(s->messages == 0
                                          ? "grpc: a unary request without a message"
                                          : "grpc: a unary request with more than one message"));
    }
    server_->CallStarted();
    std::string request = std::move(s->unary_request);
    const CallInfo info{.peer = c->peer, .metadata = std::move(s->metadata)};
    s->handler->unary(request, CallRef(this, c->id, s->id), info);
  }

  // Request bytes: splits them into messages.
  void Consume(Connection* c, Stream* s, std::string_view chunk) {
    if (s->handler == nullptr) return;
    std::string_view data = chunk;
    if (!s->in.empty()) {
      s->in.append(chunk);
      data = s->in;
    }
    size_t used = 0;
    while (data.size() - used >= 5) {
      const auto* p = reinterpret_cast<const uint8_t*>(data.data() + used);
      const uint32_t length =
          (uint32_t{p[1]} << 24) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 8) | uint32_t{p[4]};
      if (p[0] != 0) {
        return Fail(
            c, s,
            s->encoding.empty() || s->encoding == "identity"
                ? absl::InternalError("grpc: compressed flag set with identity or empty encoding")
                : absl::UnimplementedError(
                      absl::StrCat("grpc: Decompressor is not installed for grpc-encoding \"",
                                   s->encoding, "\"")));
      }
      if (static_cast<int64_t>(length) > server_->options_.max_receive_message_bytes) {
        return Fail(c, s,
                    absl::ResourceExhaustedError(
                        absl::StrCat("grpc: received message larger than max (", length, " vs. ",
                                     server_->options_.max_receive_message_bytes, ")")));
      }
      if (data.size() - used - 5 < length) break;
      const std::string_view message = data.substr(used + 5, length);
      used += 5 + length;
      ++s->messages;
      if (s->callbacks != nullptr) {
        if (!s->callbacks->OnMessage(message)) {
          return Fail(c, s, absl::InternalError("grpc: error unmarshalling request"));
        }
      } else if (s->messages == 1) {
        s->unary_request.assign(message);
      } else {
        return Fail(c, s, absl::InternalError("grpc: a unary request with more than one message"));
      }
    }
    if (s->in.empty()) {
      s->in.assign(data.substr(used));
    } else {
      s->in.erase(0, used);
    }
  }

 public:
  // The connection whose input or output is being processed (nghttp2's
  // callbacks get the worker as user data).
  Connection* current_ = nullptr;

 private:
  friend class Server;
  Server* const server_;
  const int index_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::thread thread_;
  nghttp2_session_callbacks* callbacks_ = nullptr;
  nghttp2_option* session_options_ = nullptr;
  std::vector<int> listener_fds_;
  absl::Time accept_paused_until_ = absl::InfiniteFuture();
  size_t next_worker_ = 0;
  uint64_t next_connection_id_ = 0;
  absl::flat_hash_map<uint64_t, std::unique_ptr<Connection>> connections_;
  std::vector<uint64_t> dirty_;
  std::vector<StreamCallbacks*> written_;
  absl::flat_hash_map<std::pair<uint64_t, int32_t>, StreamCallbacks*> orphans_;
  bool stopping_ = false;
  bool exit_ = false;
  char read_buffer_[kReadChunk];

  absl::Mutex mu_;
  std::vector<Task> tasks_ ABSL_GUARDED_BY(mu_);
  bool wake_pending_ ABSL_GUARDED_BY(mu_) = false;
};

// ---------------------------------------------------------------------------

void CallRef::Reply(const absl::Status& status, std::string framed, std::string details) const {
  Task t;
  t.kind = Task::Kind::kReply;
  t.connection = connection_;
  t.stream = stream_;
  t.status = status;
  if (status.ok()) {
    t.data = std::move(framed);
  } else {
    t.details = std::move(details);
  }
  worker_->Post(std::move(t));
}

void CallRef::SendHeaders() const {
  Task t;
  t.kind = Task::Kind::kHeaders;
  t.connection = connection_;
  t.stream = stream_;
  worker_->Post(std::move(t));
}

void CallRef::Write(std::string framed) const {
  Task t;
  t.kind = Task::Kind::kWrite;
  t.connection = connection_;
  t.stream = stream_;
  t.data = std::move(framed);
  worker_->Post(std::move(t));
}

void CallRef::Finish(const absl::Status& status, std::string details) const {
  Task t;
  t.kind = Task::Kind::kFinish;
  t.connection = connection_;
  t.stream = stream_;
  t.status = status;
  if (!status.ok()) t.details = std::move(details);
  worker_->Post(std::move(t));
}

Server::Server(ServerConfig options) : options_(options) {}

Server::~Server() { Shutdown(absl::ZeroDuration()); }

void Server::AddMethod(std::string path, Method method) {
  methods_[std::move(path)] = std::move(method);
}

absl::StatusOr<int> Server::Listen(const std::string& address, std::shared_ptr<SSL_CTX> tls) {
  if (tls != nullptr) SSL_CTX_set_alpn_select_cb(tls.get(), &SelectH2, nullptr);
  std::string_view path;
  if (absl::StartsWith(address, "unix://")) {
    path = std::string_view(address).substr(7);
  } else if (absl::StartsWith(address, "unix:")) {
    path = std::string_view(address).substr(5);
  }
  if (!path.empty()) {
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    if (path.size() >= sizeof sun.sun_path) {
      return absl::InvalidArgumentError(absl::StrCat("socket path too long: ", std::string(path)));
    }
    std::memcpy(sun.sun_path, path.data(), path.size());
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&sun), sizeof sun) != 0 ||
        listen(fd, 4096) != 0) {
      const std::string error = std::strerror(errno);
      if (fd >= 0) close(fd);
      return absl::UnavailableError(absl::StrCat("cannot listen on ", address, ": ", error));
    }
    listeners_.push_back({fd, std::move(tls), std::string(path)});
    return 0;
  }
  // host:port, [v6]:port
  std::string host;
  std::string port;
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("not host:port: ", address));
  }
  host = address.substr(0, colon);
  port = address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (const int r =
          getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &found);
      r != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", address, ": ", gai_strerror(r)));
  }
  int bound_port = -1;
  std::string error;
  const size_t before = listeners_.size();
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    if (bound_port > 0) {
      // Every address of the name, on the port the first one got.
      if (a->ai_family == AF_INET) {
        reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_port = htons(bound_port);
      } else if (a->ai_family == AF_INET6) {
        reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_port = htons(bound_port);
      }
    }
    const int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    // A name with both families gets a socket each; "[::]" alone is dual
    // stack, as Go's and gRPC's servers bind it.
    if (a->ai_family == AF_INET6 && found->ai_next != nullptr) {
      setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    }
    if (bind(fd, a->ai_addr, a->ai_addrlen) != 0 || listen(fd, 4096) != 0) {
      error = std::strerror(errno);
      close(fd);
      continue;
    }
    if (bound_port <= 0) {
      sockaddr_storage local{};
      socklen_t length = sizeof local;
      getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length);
      bound_port = local.ss_family == AF_INET
                       ? ntohs(reinterpret_cast<sockaddr_in*>(&local)->sin_port)
                       : ntohs(reinterpret_cast<sockaddr_in6*>(&local)->sin6_port);
    }
    listeners_.push_back({fd, tls});
  }
  freeaddrinfo(found);
  if (listeners_.size() == before) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", address, " (",
                                               error.empty() ? "no address" : error, ")"));
  }
  return bound_port;
}

void Server::Start() {
  const int threads = std::max(1, options_.worker_threads);
  for (int i = 0; i < threads; ++i) workers_.push_back(std::make_unique<Worker>(this, i));
  for (size_t i = 0; i < listeners_.size(); ++i) workers_[0]->WatchListener(i, listeners_[i].fd);
  for (auto& w : workers_) w->Start();
  started_ = true;
  absl::MutexLock lock(&mu_);
  adoptable_ = true;
}

void Server::Adopt(int fd, std::shared_ptr<const Peer> peer) {
  const int flags = fcntl(fd, F_GETFL);
  absl::MutexLock lock(&mu_);
  if (!adoptable_ || flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    close(fd);
    return;
  }
  Task t;
  t.kind = Task::Kind::kAdopt;
  t.fd = fd;
  t.peer = std::move(peer);
  if (t.peer == nullptr) t.peer = std::make_shared<Peer>(Peer{.address = "unknown"});
  workers_[next_adopter_++ % workers_.size()]->Post(std::move(t));
}

void Server::CallEnded() {
  if (live_calls_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    absl::MutexLock lock(&mu_);
    drained_.SignalAll();
  }
}

void Server::Shutdown(absl::Duration grace) {
  if (stopped_) return;
  stopped_ = true;
  if (!started_) {
    CloseListeners();
    return;
  }
  auto post_all = [this](Task::Kind kind) {
    for (auto& w : workers_) {
      Task t;
      t.kind = kind;
      w->Post(std::move(t));
    }
  };
  post_all(Task::Kind::kStop);
  const absl::Time deadline = absl::Now() + grace;
  {
    absl::MutexLock lock(&mu_);
    while (live_calls_.load(std::memory_order_acquire) != 0 &&
           !drained_.WaitWithDeadline(&mu_, deadline)) {
    }
  }
  post_all(Task::Kind::kCancelAll);
  {
    // Every call still held is answered by its handler (the store answers
    // the writes it holds once they are done).
    absl::MutexLock lock(&mu_);
    while (live_calls_.load(std::memory_order_acquire) != 0) drained_.Wait(&mu_);
  }
  {
    absl::MutexLock lock(&mu_);
    adoptable_ = false;
  }
  post_all(Task::Kind::kExit);
  for (auto& w : workers_) w->Join();
  workers_.clear();
  CloseListeners();
}

void Server::CloseListeners() {
  for (Listener& l : listeners_) {
    close(l.fd);
    if (!l.unix_path.empty()) unlink(l.unix_path.c_str());
  }
  listeners_.clear();
}

}  // namespace minik8s::rpc
