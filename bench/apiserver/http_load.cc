#include "bench/apiserver/http_load.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <deque>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "boost/asio.hpp"
#include "boost/asio/ssl.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "boost/beast/ssl.hpp"
#include "openssl/ssl.h"
#include "openssl/x509v3.h"

namespace minik8s::bench {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

class HttpTlsContext {
 public:
  HttpTlsContext() : ctx_(ssl::context::tls_client) {}
  ssl::context& ctx() { return ctx_; }

 private:
  ssl::context ctx_;
};

namespace {

// The two transports a connection can use; the code below is written once
// for both (templates), with `if constexpr` where TLS needs a step more.
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
template <typename Stream>
constexpr bool kIsTls = std::is_same_v<Stream, TlsStream>;

absl::Status TlsFileError(const std::string& what, const std::string& file,
                          const beast::error_code& ec) {
  return absl::InvalidArgumentError(absl::StrCat("TLS ", what, " ", file, ": ", ec.message()));
}

}  // namespace

absl::StatusOr<std::shared_ptr<HttpTlsContext>> MakeHttpTlsContext(const TlsClientFiles& files) {
  if (files.ca_file.empty() && files.ca_pem.empty()) {
    return absl::InvalidArgumentError("TLS needs the CA file that signed the server's certificate");
  }
  const bool has_cert = !files.cert_file.empty() || !files.cert_pem.empty();
  const bool has_key = !files.key_file.empty() || !files.key_pem.empty();
  if (has_cert != has_key) {
    return absl::InvalidArgumentError(
        "a client certificate needs its key, and a key its certificate");
  }
  auto tls = std::make_shared<HttpTlsContext>();
  ssl::context& ctx = tls->ctx();
  beast::error_code ec;
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                      ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1,
                  ec);
  ctx.set_verify_mode(ssl::verify_peer, ec);
  if (!files.ca_pem.empty()) {
    ctx.add_certificate_authority(net::buffer(files.ca_pem), ec);
  } else {
    ctx.load_verify_file(files.ca_file, ec);
  }
  if (ec) return TlsFileError("CA", files.ca_pem.empty() ? files.ca_file : "(PEM)", ec);
  if (has_cert) {
    if (!files.cert_pem.empty()) {
      ctx.use_certificate_chain(net::buffer(files.cert_pem), ec);
    } else {
      ctx.use_certificate_chain_file(files.cert_file, ec);
    }
    if (ec)
      return TlsFileError("certificate", files.cert_pem.empty() ? files.cert_file : "(PEM)", ec);
    if (!files.key_pem.empty()) {
      ctx.use_private_key(net::buffer(files.key_pem), ssl::context::pem, ec);
    } else {
      ctx.use_private_key_file(files.key_file, ssl::context::pem, ec);
    }
    if (ec) return TlsFileError("key", files.key_pem.empty() ? files.key_file : "(PEM)", ec);
  }
  // ALPN: http/1.1 only (length-prefixed protocol names).
  static constexpr unsigned char kAlpn[] = "\x08http/1.1";
  if (SSL_CTX_set_alpn_protos(ctx.native_handle(), kAlpn, sizeof(kAlpn) - 1) != 0) {
    return absl::InternalError("TLS: cannot set ALPN");
  }
  return tls;
}

namespace {

std::chrono::steady_clock::duration ToChrono(absl::Duration d) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      absl::ToChronoNanoseconds(d));
}

tcp::endpoint Loopback(int port) {
  return tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
}

// An io_context with its threads; Stop() joins them and then runs what is
// left (handlers of operations cancelled by closing the sockets) on the
// calling thread, so that no handler outlives the loop.
class EventLoop {
 public:
  explicit EventLoop(int threads) : work_(net::make_work_guard(ioc_)) {
    for (int i = 0; i < std::max(1, threads); ++i) threads_.emplace_back([this] { ioc_.run(); });
  }
  // Without Stop(): joins the threads and drops what is left.
  ~EventLoop() {
    if (stopped_) return;
    work_.reset();
    ioc_.stop();
    for (std::thread& t : threads_) t.join();
  }

  net::io_context& ioc() { return ioc_; }

  // Stops the threads, calls `close_all` (no handler runs meanwhile), then
  // drains the remaining handlers.
  template <typename CloseAll>
  void Stop(CloseAll close_all) {
    if (stopped_) return;
    stopped_ = true;
    work_.reset();
    ioc_.stop();
    for (std::thread& t : threads_) t.join();
    threads_.clear();
    close_all();
    ioc_.restart();
    ioc_.run();
  }

 private:
  net::io_context ioc_;
  net::executor_work_guard<net::io_context::executor_type> work_;
  std::vector<std::thread> threads_;
  bool stopped_ = false;
};

// A new stream for a new connection (a TLS session cannot be reused for
// another connection): with TLS, the server's certificate must carry the IP
// address 127.0.0.1.
template <typename Stream>
void NewStream(std::optional<Stream>* stream, net::io_context& ioc, HttpTlsContext* tls) {
  if constexpr (kIsTls<Stream>) {
    stream->emplace(ioc, tls->ctx());
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param((*stream)->native_handle()), "127.0.0.1");
  } else {
    stream->emplace(ioc);
  }
}

// Connects `stream` to `endpoint` and, with TLS, does the client handshake,
// all within `timeout`; then calls done(error, the step that failed). The
// caller keeps `stream` alive until `done` runs.
template <typename Stream, typename Done>
void AsyncOpen(Stream& stream, const tcp::endpoint& endpoint, absl::Duration timeout, Done done) {
  beast::get_lowest_layer(stream).expires_after(ToChrono(timeout));
  beast::get_lowest_layer(stream).async_connect(
      endpoint, [&stream, done = std::move(done)](beast::error_code ec) mutable {
        if (ec) return done(ec, "connect");
        beast::error_code ignored;
        beast::get_lowest_layer(stream).socket().set_option(tcp::no_delay(true), ignored);
        if constexpr (kIsTls<Stream>) {
          stream.async_handshake(ssl::stream_base::client,
                                 [done = std::move(done)](beast::error_code ec) mutable {
                                   done(ec, "TLS handshake");
                                 });
        } else {
          done(ec, "connect");
        }
      });
}

template <typename Stream>
void CloseSocket(Stream* stream) {
  beast::error_code ignored;
  beast::get_lowest_layer(*stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
  beast::get_lowest_layer(*stream).socket().close(ignored);
}

}  // namespace

// ---------------------------------------------------------------------------
// HttpConnectionPool

namespace {

struct Pending {
  HttpLoadRequest request;
  HttpConnectionPool::Done done;
  absl::Time start;
};

}  // namespace

struct HttpConnectionPool::Impl {
  // One keep-alive connection (below, for either transport).
  class Connection {
   public:
    virtual ~Connection() = default;
    // From any thread, before the loop runs requests: connects (and
    // handshakes) within `timeout`, blocking.
    virtual beast::error_code OpenNow(absl::Duration timeout) = 0;
    // From any thread: runs `pending` on this (idle) connection.
    virtual void Run(Pending pending) = 0;
    // With the loop stopped: closes the socket.
    virtual void Close() = 0;
  };
  template <typename Stream>
  class ConnectionOver;

  Impl(const HttpEndpoint& to, int threads)
      : endpoint(Loopback(to.port)), tls(to.tls), loop(threads) {}

  // Hands `pending` to an idle connection, or queues it.
  void Submit(Pending pending);
  // A connection finished its request: the next queued one, or idle.
  // Returns the next request to run, if any.
  std::optional<Pending> NextFor(Connection* connection);

  const tcp::endpoint endpoint;
  const std::shared_ptr<HttpTlsContext> tls;  // null: plain TCP
  std::atomic<int64_t> reconnects{0};
  std::atomic<bool> stopping{false};
  std::vector<std::shared_ptr<Connection>> connections;  // set before threads use them

  absl::Mutex mu;
  std::deque<Pending> queue ABSL_GUARDED_BY(mu);
  std::vector<Connection*> idle ABSL_GUARDED_BY(mu);

  EventLoop loop;  // last: stopped (joined) before the rest goes
};

// One request at a time, every step on the event loop.
template <typename Stream>
class HttpConnectionPool::Impl::ConnectionOver
    : public HttpConnectionPool::Impl::Connection,
      public std::enable_shared_from_this<HttpConnectionPool::Impl::ConnectionOver<Stream>> {
 public:
  explicit ConnectionOver(Impl* pool) : pool_(pool) {}

  beast::error_code OpenNow(absl::Duration timeout) override {
    absl::Notification opened;
    beast::error_code result;
    net::post(pool_->loop.ioc(), [&, self = this->shared_from_this()] {
      NewStream(&stream_, pool_->loop.ioc(), pool_->tls.get());
      AsyncOpen(*stream_, pool_->endpoint, timeout, [&, self](beast::error_code ec, const char*) {
        if (ec) {
          CloseSocket(&*stream_);
        } else {
          Tcp().expires_never();
          connected_ = true;
        }
        result = ec;
        opened.Notify();
      });
    });
    opened.WaitForNotification();  // the stream's timer ends the attempt
    return result;
  }

  void Run(Pending pending) override {
    current_ = std::move(pending);
    parser_.reset();
    net::post(pool_->loop.ioc(), [self = this->shared_from_this()] { self->Begin(); });
  }

  void Close() override {
    if (stream_.has_value()) CloseSocket(&*stream_);
  }

 private:
  beast::tcp_stream& Tcp() { return beast::get_lowest_layer(*stream_); }

  void Begin() {
    if (connected_) {
      opened_for_request_ = false;
      Write();
      return;
    }
    // The server closed the previous connection: open another.
    pool_->reconnects.fetch_add(1);
    opened_for_request_ = true;
    buffer_.clear();
    if (stream_.has_value()) CloseSocket(&*stream_);
    NewStream(&stream_, pool_->loop.ioc(), pool_->tls.get());
    const absl::Duration left = current_.start + current_.request.timeout - absl::Now();
    AsyncOpen(*stream_, pool_->endpoint, std::max(left, absl::Milliseconds(1)),
              [self = this->shared_from_this()](beast::error_code ec, const char* step) {
                if (ec) return self->Fail(ec, step);
                self->connected_ = true;
                self->Write();
              });
  }

  void Write() {
    const HttpLoadRequest& r = current_.request;
    request_ = {};
    request_.method(http::string_to_verb(r.method));
    request_.target(r.target);
    request_.version(11);
    request_.set(http::field::host, "127.0.0.1");
    request_.set(http::field::user_agent, "apiserver_bench");
    if (!r.accept.empty()) request_.set(http::field::accept, r.accept);
    if (!r.content_type.empty()) request_.set(http::field::content_type, r.content_type);
    request_.keep_alive(true);
    if (!r.body.empty() || r.method == "POST" || r.method == "PUT" || r.method == "PATCH") {
      request_.body() = r.body;
      request_.prepare_payload();
    }
    const absl::Duration left = current_.start + r.timeout - absl::Now();
    Tcp().expires_after(ToChrono(std::max(left, absl::Milliseconds(1))));
    http::async_write(*stream_, request_,
                      [self = this->shared_from_this()](beast::error_code ec, size_t) {
                        if (ec) return self->Fail(ec, "write");
                        self->Read();
                      });
  }

  void Read() {
    parser_.emplace();
    parser_->body_limit(64 * 1024 * 1024);
    http::async_read(*stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->Fail(ec, "read");
                       self->Complete();
                     });
  }

  void Complete() {
    auto& res = parser_->get();
    HttpLoadResponse response;
    response.status = res.result_int();
    response.content_type = std::string(res[http::field::content_type]);
    response.body = std::move(res.body());
    if (!res.keep_alive()) {
      Close();
      connected_ = false;
    }
    Deliver(std::move(response));
  }

  void Fail(beast::error_code ec, const char* step) {
    Close();
    connected_ = false;
    // A connection that sat idle may have been closed by the server just
    // before the request went out (the apiserver closes one that sends
    // nothing for a while): when nothing of an answer came back, send the
    // request once more on a new connection, as Go's HTTP client does.
    const bool answered_some = parser_.has_value() && parser_->got_some();
    if (!opened_for_request_ && !answered_some && !retried_) {
      retried_ = true;
      Begin();
      return;
    }
    HttpLoadResponse response;
    response.error = absl::UnavailableError(absl::StrCat(
        current_.request.method, " ", current_.request.target, ": ", step, ": ", ec.message()));
    Deliver(std::move(response));
  }

  void Deliver(HttpLoadResponse response) {
    if (pool_->stopping.load()) return;
    if (stream_.has_value()) Tcp().expires_never();
    response.latency = absl::Now() - current_.start;
    Done done = std::move(current_.done);
    current_ = {};
    retried_ = false;
    done(std::move(response));
    if (std::optional<Pending> next = pool_->NextFor(this)) {
      current_ = std::move(*next);
      parser_.reset();
      Begin();
    }
  }

  Impl* const pool_;
  std::optional<Stream> stream_;  // a new one for each connection
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  std::optional<http::response_parser<http::string_body>> parser_;
  Pending current_;
  bool connected_ = false;
  bool opened_for_request_ = false;  // connected by the current request
  bool retried_ = false;             // the current request was resent once
};

void HttpConnectionPool::Impl::Submit(Pending pending) {
  Connection* connection = nullptr;
  {
    absl::MutexLock lock(&mu);
    if (idle.empty()) {
      queue.push_back(std::move(pending));
      return;
    }
    connection = idle.back();
    idle.pop_back();
  }
  connection->Run(std::move(pending));
}

std::optional<Pending> HttpConnectionPool::Impl::NextFor(Connection* connection) {
  absl::MutexLock lock(&mu);
  if (queue.empty()) {
    idle.push_back(connection);
    return std::nullopt;
  }
  Pending next = std::move(queue.front());
  queue.pop_front();
  return next;
}

absl::StatusOr<std::unique_ptr<HttpConnectionPool>> HttpConnectionPool::Open(
    const HttpEndpoint& endpoint, int connections, int threads, absl::Duration connect_timeout) {
  auto impl = std::make_unique<Impl>(endpoint, threads);
  const absl::Time deadline = absl::Now() + connect_timeout;
  for (int i = 0; i < std::max(1, connections); ++i) {
    std::shared_ptr<Impl::Connection> connection;
    if (endpoint.tls != nullptr) {
      connection = std::make_shared<Impl::ConnectionOver<TlsStream>>(impl.get());
    } else {
      connection = std::make_shared<Impl::ConnectionOver<PlainStream>>(impl.get());
    }
    beast::error_code ec;
    // Loopback: a refused connect answers at once; retry until the deadline.
    while ((ec = connection->OpenNow(std::max(deadline - absl::Now(), absl::Milliseconds(1)))) &&
           absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(20));
    }
    if (ec) {
      return absl::UnavailableError(absl::StrCat("connect to 127.0.0.1:", endpoint.port,
                                                 endpoint.tls != nullptr ? " (TLS)" : "", ": ",
                                                 ec.message()));
    }
    impl->connections.push_back(std::move(connection));
  }
  {
    absl::MutexLock lock(&impl->mu);
    for (auto& c : impl->connections) impl->idle.push_back(c.get());
  }
  return std::unique_ptr<HttpConnectionPool>(new HttpConnectionPool(std::move(impl)));
}

HttpConnectionPool::HttpConnectionPool(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpConnectionPool::~HttpConnectionPool() {
  impl_->stopping.store(true);
  impl_->loop.Stop([this] {
    for (auto& c : impl_->connections) c->Close();
  });
  impl_->connections.clear();
}

void HttpConnectionPool::Send(HttpLoadRequest request, Done done) {
  impl_->Submit(Pending{std::move(request), std::move(done), absl::Now()});
}

int64_t HttpConnectionPool::reconnects() const { return impl_->reconnects.load(); }

// ---------------------------------------------------------------------------
// HttpWatchers

struct HttpWatchers::Impl {
  // One watch stream (below, for either transport).
  class Watch {
   public:
    virtual ~Watch() = default;
    virtual void Start() = 0;
    // With the loop stopped: closes the socket.
    virtual void Close() = 0;
  };
  template <typename Stream>
  class WatchOver;

  Impl(const HttpEndpoint& to, int threads)
      : endpoint(Loopback(to.port)), tls(to.tls), loop(threads) {}

  void Ended(const std::string& why) {
    ended.fetch_add(1);
    absl::MutexLock lock(&mu);
    if (first_error.empty()) first_error = why;
  }

  const tcp::endpoint endpoint;
  const std::shared_ptr<HttpTlsContext> tls;  // null: plain TCP
  std::atomic<int> established{0};
  std::atomic<int> ended{0};
  std::atomic<int64_t> events{0};
  std::atomic<int64_t> error_events{0};
  std::atomic<int64_t> bytes{0};
  std::atomic<bool> stopping{false};
  absl::Mutex mu;
  std::string first_error ABSL_GUARDED_BY(mu);
  std::vector<std::shared_ptr<Watch>> watches;  // touched by the owner thread only

  EventLoop loop;  // last: stopped (joined) before the rest goes
};

// Connect (and handshake), request, response head, then the body read chunk
// by chunk and counted line by line.
template <typename Stream>
class HttpWatchers::Impl::WatchOver
    : public HttpWatchers::Impl::Watch,
      public std::enable_shared_from_this<HttpWatchers::Impl::WatchOver<Stream>> {
 public:
  WatchOver(Impl* owner, std::string target, absl::Duration head_timeout)
      : owner_(owner), head_timeout_(head_timeout) {
    NewStream(&stream_, owner->loop.ioc(), owner->tls.get());
    request_.method(http::verb::get);
    request_.target(target);
    request_.version(11);
    request_.set(http::field::host, "127.0.0.1");
    request_.set(http::field::user_agent, "apiserver_bench");
    request_.set(http::field::accept, "application/json");
    parser_.body_limit(boost::none);
  }

  void Start() override {
    net::post(owner_->loop.ioc(), [self = this->shared_from_this()] {
      // The timer set here bounds the connect, the handshake, the request
      // and the response head.
      AsyncOpen(*self->stream_, self->owner_->endpoint, self->head_timeout_,
                [self](beast::error_code ec, const char* step) {
                  if (ec) return self->End(absl::StrCat(step, ": ", ec.message()));
                  self->Write();
                });
    });
  }

  void Close() override { CloseSocket(&*stream_); }

 private:
  void Write() {
    http::async_write(
        *stream_, request_, [self = this->shared_from_this()](beast::error_code ec, size_t) {
          if (ec) return self->End("write: " + ec.message());
          http::async_read_header(*self->stream_, self->buffer_, self->parser_,
                                  [self](beast::error_code ec, size_t) {
                                    if (ec) {
                                      return self->End("response head: " + ec.message());
                                    }
                                    self->Head();
                                  });
        });
  }

  void Head() {
    const int status = parser_.get().result_int();
    if (status != 200) {
      return End(absl::StrCat("watch answered ", status, " (want 200)"));
    }
    beast::get_lowest_layer(*stream_).expires_never();
    owner_->established.fetch_add(1);
    // Beast reads from the socket as much as the buffer has room for (512
    // bytes at least): without room, a busy watch costs a system call per
    // half kilobyte.
    buffer_.reserve(kReadBytes);
    ReadBody();
  }

  void ReadBody() {
    parser_.get().body().data = chunk_;
    parser_.get().body().size = sizeof(chunk_);
    http::async_read_some(*stream_, buffer_, parser_,
                          [self = this->shared_from_this()](beast::error_code ec, size_t) {
                            if (ec == http::error::need_buffer) ec = {};
                            const size_t n = sizeof(self->chunk_) - self->parser_.get().body().size;
                            self->owner_->bytes.fetch_add(n, std::memory_order_relaxed);
                            self->Consume(self->chunk_, n);
                            if (ec) return self->End("read: " + ec.message());
                            if (self->parser_.is_done())
                              return self->End("the server ended the watch");
                            self->ReadBody();
                          });
  }

  // Counts the complete lines in `data`, remembering the start of a line
  // cut by the chunk boundary.
  void Consume(const char* data, size_t n) {
    size_t i = 0;
    while (i < n) {
      const void* nl = std::memchr(data + i, '\n', n - i);
      const size_t end = nl ? static_cast<size_t>(static_cast<const char*>(nl) - data) : n;
      if (line_head_.size() < kLineHead) {
        line_head_.append(data + i, std::min(end - i, kLineHead - line_head_.size()));
      }
      if (nl == nullptr) break;
      Classify();
      line_head_.clear();
      i = end + 1;
    }
  }

  // One whole event line, by its first bytes: {"type":"ADDED","object":...}.
  void Classify() {
    if (line_head_.empty()) return;
    if (absl::StrContains(line_head_, "\"BOOKMARK\"")) return;
    if (absl::StrContains(line_head_, "\"ERROR\"")) {
      owner_->error_events.fetch_add(1);
      return;
    }
    owner_->events.fetch_add(1, std::memory_order_relaxed);
  }

  void End(const std::string& why) {
    if (owner_->stopping.load()) return;
    Close();
    owner_->Ended(why);
  }

  static constexpr size_t kLineHead = 32;
  static constexpr size_t kReadBytes = 32 * 1024;

  Impl* const owner_;
  std::optional<Stream> stream_;  // set by the constructor
  const absl::Duration head_timeout_;
  beast::flat_buffer buffer_;
  http::request<http::empty_body> request_;
  http::response_parser<http::buffer_body> parser_;
  std::string line_head_;
  char chunk_[kReadBytes];
};

HttpWatchers::HttpWatchers(const HttpEndpoint& endpoint, int threads)
    : impl_(std::make_unique<Impl>(endpoint, threads)) {}

HttpWatchers::~HttpWatchers() { Stop(); }

void HttpWatchers::Start(int count, const std::string& target, absl::Duration head_timeout) {
  for (int i = 0; i < count; ++i) {
    std::shared_ptr<Impl::Watch> watch;
    if (impl_->tls != nullptr) {
      watch = std::make_shared<Impl::WatchOver<TlsStream>>(impl_.get(), target, head_timeout);
    } else {
      watch = std::make_shared<Impl::WatchOver<PlainStream>>(impl_.get(), target, head_timeout);
    }
    impl_->watches.push_back(watch);
    watch->Start();
  }
}

int HttpWatchers::established() const { return impl_->established.load(); }
int HttpWatchers::ended() const { return impl_->ended.load(); }
int64_t HttpWatchers::events() const { return impl_->events.load(); }
int64_t HttpWatchers::error_events() const { return impl_->error_events.load(); }
int64_t HttpWatchers::body_bytes() const { return impl_->bytes.load(); }

std::string HttpWatchers::first_error() const {
  absl::MutexLock lock(&impl_->mu);
  return impl_->first_error;
}

void HttpWatchers::Stop() {
  impl_->stopping.store(true);
  impl_->loop.Stop([this] {
    for (auto& w : impl_->watches) w->Close();
  });
  impl_->watches.clear();
}

}  // namespace minik8s::bench
