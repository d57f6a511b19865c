#include "apiserver/rest/http_server.h"

#include <fcntl.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "apiserver/authn/peer_certificate.h"
#include "boost/asio.hpp"
#include "boost/asio/ssl.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "boost/beast/ssl.hpp"
#include "common/status_macros.h"
#include "common/tls.h"
#include "spdlog/spdlog.h"

namespace minik8s::apiserver::rest {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

absl::string_view HttpRequest::Header(absl::string_view name) const {
  auto it = headers.find(name);
  return it == headers.end() ? absl::string_view() : absl::string_view(it->second);
}

absl::string_view HttpRequest::Query(absl::string_view name) const {
  auto it = query.find(name);
  return it == query.end() ? absl::string_view() : absl::string_view(it->second);
}

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::chrono::steady_clock::duration ToChrono(absl::Duration d) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      absl::ToChronoNanoseconds(d));
}

// The status text of an error the server answers itself (before any
// handler), as a meta.k8s.io/v1 Status.
std::string StatusJson(int code, absl::string_view reason, absl::string_view message) {
  std::string escaped;
  for (char c : message) {
    if (c == '"' || c == '\\') escaped.push_back('\\');
    escaped.push_back(c);
  }
  return absl::StrCat(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",)",
                      R"("message":")", escaped, R"(","reason":")", reason, R"(","code":)", code,
                      "}");
}

// The handler's view of a request Beast parsed: method, decoded target,
// lower-case header names, body.
HttpRequest FromBeast(http::request<http::string_body>&& raw) {
  HttpRequest request;
  request.method = std::string(raw.method_string());
  ParseTarget(absl::string_view(raw.target().data(), raw.target().size()), &request);
  for (const auto& field : raw) {
    std::string name = absl::AsciiStrToLower(
        absl::string_view(field.name_string().data(), field.name_string().size()));
    std::string value(field.value().data(), field.value().size());
    request.header_lines.emplace_back(name, value);
    request.headers.emplace(std::move(name), std::move(value));
  }
  request.body = std::move(raw.body());
  return request;
}

}  // namespace

absl::StatusOr<HttpRequest> ParseHttpRequest(absl::string_view bytes, size_t max_body_bytes,
                                             size_t max_header_bytes) {
  http::request_parser<http::string_body> parser;
  // Not eager: one put() per piece (the header, then body pieces). Beast
  // (1.74) spins in an eager put() whose buffer ends inside a body.
  parser.body_limit(max_body_bytes);
  parser.header_limit(static_cast<std::uint32_t>(max_header_bytes));
  net::const_buffer rest(bytes.data(), bytes.size());
  beast::error_code ec;
  while (!parser.is_done()) {
    size_t used = 0;
    if (rest.size() > 0) {
      used = parser.put(rest, ec);
      rest += used;
      if (ec == http::error::need_more) ec = {};
    }
    if (!ec && used == 0) {
      // Everything there is was offered: the message ends here or nowhere.
      if (!parser.got_some()) return absl::InvalidArgumentError("malformed HTTP request: empty");
      parser.put_eof(ec);
      if (!ec && !parser.is_done()) ec = http::error::partial_message;
    }
    if (ec) {
      return absl::InvalidArgumentError(absl::StrCat("malformed HTTP request: ", ec.message()));
    }
  }
  return FromBeast(parser.release());
}

std::string PercentDecode(absl::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%' && i + 2 < s.size()) {
      const int hi = HexValue(s[i + 1]);
      const int lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

void ParseTarget(absl::string_view target, HttpRequest* request) {
  const size_t q = target.find('?');
  request->path = PercentDecode(target.substr(0, q));
  if (q == absl::string_view::npos) return;
  absl::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    absl::string_view pair = query.substr(0, amp);
    query = amp == absl::string_view::npos ? absl::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    std::string name = PercentDecode(pair.substr(0, eq), true);
    std::string value =
        eq == absl::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1), true);
    request->query.emplace(std::move(name), std::move(value));
  }
}

// A connection Shutdown() must close: an HTTP/1.1 session or a gRPC relay.
class Connection {
 public:
  virtual ~Connection() = default;
  // From any thread.
  virtual void PostClose() = 0;
};

// What one write of a stream carries at most (the source is pulled until
// this much is queued).
constexpr size_t kMaxChunkBytes = 64 * 1024;

struct HttpServer::Impl {
  HttpServerOptions options;
  HttpHandler* handler = nullptr;
  net::io_context ioc;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::optional<tcp::acceptor> acceptor;
  std::unique_ptr<ssl::context> tls;  // set: the port speaks TLS
  std::vector<std::thread> threads;
  int port = 0;

  absl::Mutex mu;
  bool stopping ABSL_GUARDED_BY(mu) = false;
  // Live connections, so that Shutdown can close them.
  absl::flat_hash_map<Connection*, std::weak_ptr<Connection>> sessions ABSL_GUARDED_BY(mu);

  void Accept();
  void Sniff(std::shared_ptr<tcp::socket> socket, std::shared_ptr<net::steady_timer> deadline);
  void SniffTls(std::shared_ptr<tcp::socket> socket, std::shared_ptr<net::steady_timer> deadline);
  void Handshake(tcp::socket socket);
  void StartRelay(TlsStream stream, std::optional<authn::CertificateIdentity> client);
  template <typename Transport>
  void StartSession(Transport stream, std::optional<authn::CertificateIdentity> client);
  // Registers a connection; false once the server is stopping.
  bool Track(const std::shared_ptr<Connection>& connection);
  void Untrack(Connection* connection);
};

// One HTTP/1.1 connection over `Transport` (beast::tcp_stream, or TlsStream
// once its handshake is done). Every member is used on the session's strand
// only (the stream's executor), except where noted.
template <typename Transport>
class Session : public Connection, public std::enable_shared_from_this<Session<Transport>> {
 public:
  Session(Transport stream, HttpServer::Impl* server,
          std::optional<authn::CertificateIdentity> client_certificate)
      : stream_(std::move(stream)),
        server_(server),
        client_certificate_(std::move(client_certificate)) {}

  void Run() { ReadRequest(); }

  void PostClose() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] { self->Close(); });
  }
  void PostResponse(HttpResponse response) {
    net::post(stream_.get_executor(),
              [self = this->shared_from_this(), response = std::move(response)]() mutable {
                self->WriteResponse(std::move(response));
              });
  }
  void PostStream(int status, std::string content_type, std::shared_ptr<StreamSource> source,
                  absl::Duration max_duration) {
    net::post(stream_.get_executor(),
              [self = this->shared_from_this(), status, content_type = std::move(content_type),
               source = std::move(source), max_duration]() mutable {
                self->StartStream(status, std::move(content_type), std::move(source), max_duration);
              });
  }

 private:
  void ReadRequest() {
    if (closed_) return;
    parser_.emplace();
    parser_->body_limit(server_->options.max_body_bytes);
    parser_->header_limit(static_cast<std::uint32_t>(server_->options.max_header_bytes));
    Lowest().expires_after(ToChrono(server_->options.idle_timeout));
    http::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (closed_) return;
    if (ec) {
      if (ec == http::error::body_limit) {
        keep_alive_ = false;
        WriteResponse(ErrorResponse(413, "RequestEntityTooLarge",
                                    absl::StrCat("the request body is larger than ",
                                                 server_->options.max_body_bytes, " bytes")));
        return;
      }
      if (ec == http::error::header_limit) {
        keep_alive_ = false;
        WriteResponse(ErrorResponse(431, "RequestHeaderFieldsTooLarge",
                                    "the request header fields are too large"));
        return;
      }
      if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
          ec == net::error::eof || ec == net::error::connection_reset ||
          ec == net::error::operation_aborted || buffer_.size() == 0) {
        Close();
        return;
      }
      keep_alive_ = false;
      WriteResponse(
          ErrorResponse(400, "BadRequest", absl::StrCat("malformed HTTP request: ", ec.message())));
      return;
    }
    http::request<http::string_body> raw = parser_->release();
    std::string target(raw.target().data(), raw.target().size());
    parser_.reset();
    keep_alive_ = raw.keep_alive();
    head_ = raw.method() == http::verb::head;
    HttpRequest request = FromBeast(std::move(raw));
    request.target = std::move(target);
    request.client_certificate = client_certificate_;
    beast::error_code ignored;
    const auto remote = Lowest().socket().remote_endpoint(ignored);
    if (!ignored) request.remote_ip = remote.address().to_string();
    Lowest().expires_never();
    server_->handler->Serve(std::move(request),
                            std::make_shared<SessionResponder>(this->shared_from_this()));
  }

  static HttpResponse ErrorResponse(int code, absl::string_view reason, absl::string_view message) {
    HttpResponse response;
    response.status = code;
    response.body = StatusJson(code, reason, message);
    return response;
  }

  void WriteResponse(HttpResponse response) {
    if (closed_) return;
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(response.status), 11);
    res->set(http::field::content_type, response.content_type);
    res->set(http::field::cache_control, "no-cache, private");
    for (auto& [name, value] : response.headers) res->set(name, value);
    res->keep_alive(keep_alive_);
    res->body() = std::move(response.body);
    res->prepare_payload();
    // HEAD: the GET's headers (its Content-Length included), no body.
    if (head_) res->body().clear();
    Lowest().expires_after(ToChrono(server_->options.write_timeout));
    http::async_write(stream_, *res,
                      [self = this->shared_from_this(), res](beast::error_code ec, size_t) {
                        if (ec) {
                          self->Close();
                          return;
                        }
                        if (!self->keep_alive_) {
                          self->LingerClose();
                          return;
                        }
                        self->ReadRequest();
                      });
  }

  void StartStream(int status, std::string content_type, std::shared_ptr<StreamSource> source,
                   absl::Duration max_duration) {
    if (closed_) {
      source->Cancel();
      return;
    }
    source_ = std::move(source);
    if (max_duration < absl::InfiniteDuration()) {
      stream_deadline_.emplace(stream_.get_executor());
      stream_deadline_->expires_after(ToChrono(max_duration));
      stream_deadline_->async_wait([self = this->shared_from_this()](beast::error_code ec) {
        if (!ec) self->EndStream();
      });
    }
    auto head =
        std::make_shared<http::response<http::empty_body>>(static_cast<http::status>(status), 11);
    head->set(http::field::content_type, content_type);
    head->set(http::field::cache_control, "no-cache, private");
    head->chunked(true);
    auto serializer = std::make_shared<http::response_serializer<http::empty_body>>(*head);
    writing_ = true;
    Lowest().expires_after(ToChrono(server_->options.write_timeout));
    http::async_write_header(
        stream_, *serializer,
        [self = this->shared_from_this(), head, serializer](beast::error_code ec, size_t) {
          self->writing_ = false;
          if (ec) {
            self->Close();
            return;
          }
          self->DetectClose();
          std::weak_ptr<Session> weak = self;
          self->source_->Start([weak] {
            if (auto s = weak.lock()) {
              net::post(s->stream_.get_executor(), [s] { s->Pump(); });
            }
          });
          self->Pump();
        });
  }

  // While a stream runs the client sends nothing: a completed read means it
  // closed the connection (or broke the protocol); either way the stream
  // ends.
  void DetectClose() {
    Lowest().expires_never();
    stream_.async_read_some(net::buffer(probe_), [self = this->shared_from_this()](
                                                     beast::error_code, size_t) { self->Close(); });
  }

  void Pump() {
    if (closed_ || writing_) return;
    if (source_ == nullptr) {
      if (ended_) WriteLastChunk();
      return;
    }
    chunk_.clear();
    StreamSource::Next next = StreamSource::Next::kEmpty;
    while (chunk_.size() < kMaxChunkBytes) {
      next = source_->Pull(&chunk_);
      if (next != StreamSource::Next::kData) break;
    }
    if (!chunk_.empty()) {
      ended_ = next == StreamSource::Next::kEnd;
      writing_ = true;
      Lowest().expires_after(ToChrono(server_->options.write_timeout));
      net::async_write(stream_, http::make_chunk(net::buffer(chunk_)),
                       [self = this->shared_from_this()](beast::error_code ec, size_t) {
                         self->writing_ = false;
                         if (ec) {
                           self->Close();
                           return;
                         }
                         // A burst must not leave every busy stream holding
                         // its largest buffer.
                         if (self->chunk_.capacity() > 2 * kMaxChunkBytes) {
                           std::string().swap(self->chunk_);
                         }
                         if (self->ended_) {
                           self->WriteLastChunk();
                         } else {
                           self->Pump();
                         }
                       });
      return;
    }
    if (next == StreamSource::Next::kEnd) WriteLastChunk();
  }

  // Closes after an answer the client may not have waited for (a 413 sent
  // while it still writes its body): our side stops sending, then what the
  // client still sends is read and dropped for a while, so that it reads
  // the answer instead of a reset connection (as Go's server lingers).
  void LingerClose() {
    if (closed_) return;
    beast::error_code ignored;
    Lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    linger_budget_ = 2 * server_->options.max_body_bytes + (1 << 20);
    Lowest().expires_after(std::chrono::seconds(2));
    Drain();
  }

  void Drain() {
    stream_.async_read_some(net::buffer(drain_),
                            [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec || n >= self->linger_budget_) {
                                self->Close();
                                return;
                              }
                              self->linger_budget_ -= n;
                              self->Drain();
                            });
  }

  // The stream's time is up: the source stops, what it had queued is not
  // sent, and the body ends normally.
  void EndStream() {
    if (closed_ || source_ == nullptr || ended_) return;
    source_->Cancel();
    source_.reset();
    ended_ = true;
    if (!writing_) WriteLastChunk();
  }

  void WriteLastChunk() {
    if (closed_) return;
    writing_ = true;
    Lowest().expires_after(ToChrono(server_->options.write_timeout));
    net::async_write(
        stream_, http::make_chunk_last(),
        [self = this->shared_from_this()](beast::error_code, size_t) { self->Close(); });
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    if (stream_deadline_) stream_deadline_->cancel();
    if (source_ != nullptr) {
      source_->Cancel();
      source_.reset();
    }
    beast::error_code ignored;
    Lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    Lowest().close();
    server_->Untrack(this);
  }

  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  class SessionResponder : public Responder {
   public:
    explicit SessionResponder(std::shared_ptr<Session> session) : session_(std::move(session)) {}
    void Respond(HttpResponse response) override {
      if (answered_.exchange(true)) return;
      session_->PostResponse(std::move(response));
    }
    void Stream(int status, std::string content_type, std::shared_ptr<StreamSource> source,
                absl::Duration max_duration) override {
      if (answered_.exchange(true)) return;
      session_->PostStream(status, std::move(content_type), std::move(source), max_duration);
    }

   private:
    std::shared_ptr<Session> session_;
    std::atomic<bool> answered_{false};
  };

  Transport stream_;
  HttpServer::Impl* server_;
  const std::optional<authn::CertificateIdentity> client_certificate_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool keep_alive_ = true;
  bool head_ = false;
  bool closed_ = false;
  std::shared_ptr<StreamSource> source_;
  std::string chunk_;
  bool writing_ = false;
  bool ended_ = false;
  std::optional<net::steady_timer> stream_deadline_;
  char probe_[64];
  char drain_[16 * 1024];
  size_t linger_budget_ = 0;
};

namespace {

// The client's verified certificate, if it sent one.
std::optional<authn::CertificateIdentity> ClientIdentity(SSL* ssl) {
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return std::nullopt;
  return authn::CertificateIdentityOf(cert);
}

absl::StatusOr<std::unique_ptr<ssl::context>> MakeTlsContext(const HttpTlsOptions& options) {
  ASSIGN_OR_RETURN(std::string cert, ReadPemFile(options.cert_file));
  ASSIGN_OR_RETURN(std::string key, ReadPemFile(options.key_file));
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  beast::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1,
                   ec);
  ctx->use_certificate_chain(net::buffer(cert), ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls-cert-file ", options.cert_file, ": ", ec.message()));
  }
  ctx->use_private_key(net::buffer(key), ssl::context::pem, ec);
  if (ec || SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("--tls-private-key-file ", options.key_file,
                                                   " is not the key of --tls-cert-file ",
                                                   options.cert_file));
  }
  if (!options.client_ca_file.empty()) {
    ASSIGN_OR_RETURN(std::string ca, ReadPemFile(options.client_ca_file));
    ctx->add_certificate_authority(net::buffer(ca), ec);
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat("--client-ca-file ", options.client_ca_file, ": ", ec.message()));
    }
    // Ask for a certificate; one that is sent must verify, and be meant for
    // clients. None at all is allowed (tokens, anonymous).
    ctx->set_verify_mode(ssl::verify_peer);
    SSL_CTX_set_purpose(ctx->native_handle(), X509_PURPOSE_SSL_CLIENT);
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(options.client_ca_file.c_str());
    if (names != nullptr) SSL_CTX_set_client_CA_list(ctx->native_handle(), names);
  }
  SSL_CTX_set_alpn_select_cb(ctx->native_handle(), SelectHttp1OrH2Alpn, nullptr);
  return ctx;
}

}  // namespace

// A gRPC connection over TLS: the decrypted bytes go both ways between the
// TLS stream and a local socket pair whose other end the gRPC server owns.
class Relay : public Connection, public std::enable_shared_from_this<Relay> {
 public:
  Relay(TlsStream stream, HttpServer::Impl* server)
      : tls_(std::move(stream)), local_(tls_.get_executor()), server_(server) {}

  // Connects the pair; the returned descriptor is the gRPC side's.
  absl::StatusOr<int> Open() {
    net::local::stream_protocol::socket peer(tls_.get_executor());
    beast::error_code ec;
    net::local::connect_pair(local_, peer, ec);
    if (ec) return absl::InternalError(absl::StrCat("socketpair: ", ec.message()));
    const int fd = peer.release(ec);
    if (ec) return absl::InternalError(absl::StrCat("socketpair: ", ec.message()));
    // gRPC expects a non-blocking descriptor; a blocking one stalls its
    // reads until more bytes come.
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
      ::close(fd);
      return absl::InternalError("socketpair: cannot make the descriptor non-blocking");
    }
    return fd;
  }

  void Run() {
    beast::get_lowest_layer(tls_).expires_never();
    Up();
    Down();
  }

  void PostClose() override {
    net::post(tls_.get_executor(), [self = shared_from_this()] { self->Close(); });
  }

 private:
  // Client → gRPC.
  void Up() {
    tls_.async_read_some(net::buffer(up_),
                         [self = shared_from_this()](beast::error_code ec, size_t n) {
                           if (ec) return self->Close();
                           net::async_write(self->local_, net::buffer(self->up_, n),
                                            [self](beast::error_code ec, size_t) {
                                              if (ec) return self->Close();
                                              self->Up();
                                            });
                         });
  }

  // gRPC → client.
  void Down() {
    local_.async_read_some(net::buffer(down_),
                           [self = shared_from_this()](beast::error_code ec, size_t n) {
                             if (ec) return self->Close();
                             net::async_write(self->tls_, net::buffer(self->down_, n),
                                              [self](beast::error_code ec, size_t) {
                                                if (ec) return self->Close();
                                                self->Down();
                                              });
                           });
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ignored;
    beast::get_lowest_layer(tls_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(tls_).close();
    local_.close(ignored);
    server_->Untrack(this);
  }

  TlsStream tls_;
  net::local::stream_protocol::socket local_;
  HttpServer::Impl* server_;
  bool closed_ = false;
  char up_[16 * 1024];
  char down_[16 * 1024];
};

bool HttpServer::Impl::Track(const std::shared_ptr<Connection>& connection) {
  absl::MutexLock lock(&mu);
  if (stopping) return false;
  sessions.emplace(connection.get(), connection);
  return true;
}

void HttpServer::Impl::Untrack(Connection* connection) {
  absl::MutexLock lock(&mu);
  sessions.erase(connection);
}

void HttpServer::Impl::Accept() {
  acceptor->async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted) return;
    {
      absl::MutexLock lock(&mu);
      if (stopping) return;
    }
    if (!ec) {
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      auto shared = std::make_shared<tcp::socket>(std::move(socket));
      auto deadline = std::make_shared<net::steady_timer>(shared->get_executor());
      // A client may open a connection ahead of use: as long as an idle
      // keep-alive connection may stay.
      deadline->expires_after(ToChrono(options.idle_timeout));
      deadline->async_wait([shared](beast::error_code ec) {
        if (!ec) {
          beast::error_code ignored;
          shared->close(ignored);
        }
      });
      if (tls != nullptr) {
        SniffTls(std::move(shared), std::move(deadline));
      } else {
        Sniff(std::move(shared), std::move(deadline));
      }
    } else {
      spdlog::warn("http: accept: {}", ec.message());
    }
    Accept();
  });
}

// Waits for the connection's first bytes: the HTTP/2 preface goes to gRPC,
// anything else is HTTP/1.1. Gives up (closes) after the deadline.
void HttpServer::Impl::Sniff(std::shared_ptr<tcp::socket> socket,
                             std::shared_ptr<net::steady_timer> deadline) {
  socket->async_wait(tcp::socket::wait_read, [this, socket, deadline](beast::error_code ec) {
    if (ec || !socket->is_open()) return;
    char head[3];
    const ssize_t n = ::recv(socket->native_handle(), head, sizeof(head), MSG_PEEK | MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      deadline->cancel();
      beast::error_code ignored;
      socket->close(ignored);
      return;
    }
    const size_t got = n < 0 ? 0 : static_cast<size_t>(n);
    constexpr absl::string_view kPreface = "PRI";
    if (got < kPreface.size() && absl::string_view(head, got) == kPreface.substr(0, got)) {
      Sniff(socket, deadline);  // could still be the preface: wait for more
      return;
    }
    deadline->cancel();
    if (absl::string_view(head, got) == kPreface) {
      if (!options.http2_handoff) {
        beast::error_code ignored;
        socket->close(ignored);
        return;
      }
      beast::error_code err;
      const int fd = socket->release(err);
      if (err) return;
      options.http2_handoff(fd, std::nullopt);
      return;
    }
    StartSession(beast::tcp_stream(std::move(*socket)), std::nullopt);
  });
}

// On the TLS port: a TLS handshake record starts the handshake; a plaintext
// HTTP request gets Go's answer; anything else is closed.
void HttpServer::Impl::SniffTls(std::shared_ptr<tcp::socket> socket,
                                std::shared_ptr<net::steady_timer> deadline) {
  socket->async_wait(tcp::socket::wait_read, [this, socket, deadline](beast::error_code ec) {
    if (ec || !socket->is_open()) return;
    char head[1];
    const ssize_t n = ::recv(socket->native_handle(), head, sizeof(head), MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      SniffTls(socket, deadline);
      return;
    }
    deadline->cancel();
    constexpr char kHandshakeRecord = 0x16;
    if (n == 1 && head[0] == kHandshakeRecord) {
      Handshake(std::move(*socket));
      return;
    }
    if (n == 1 && head[0] >= 'A' && head[0] <= 'Z' && head[0] != 'P') {
      // Go answers a plaintext request on a TLS port so.
      static const std::string kAnswer =
          "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";
      net::async_write(*socket, net::buffer(kAnswer), [socket](beast::error_code, size_t) {
        beast::error_code ignored;
        socket->shutdown(tcp::socket::shutdown_both, ignored);
        socket->close(ignored);
      });
      return;
    }
    beast::error_code ignored;
    socket->close(ignored);
  });
}

void HttpServer::Impl::Handshake(tcp::socket socket) {
  auto stream = std::make_shared<TlsStream>(beast::tcp_stream(std::move(socket)), *tls);
  // A client gets as long for its handshake as for a request's headers.
  beast::get_lowest_layer(*stream).expires_after(ToChrono(options.idle_timeout));
  stream->async_handshake(ssl::stream_base::server, [this, stream](beast::error_code ec) {
    if (ec) {
      spdlog::debug("http: TLS handshake: {}", ec.message());
      beast::get_lowest_layer(*stream).close();
      return;
    }
    std::optional<authn::CertificateIdentity> client = ClientIdentity(stream->native_handle());
    const unsigned char* alpn = nullptr;
    unsigned int alpn_len = 0;
    SSL_get0_alpn_selected(stream->native_handle(), &alpn, &alpn_len);
    if (absl::string_view(reinterpret_cast<const char*>(alpn), alpn_len) == "h2") {
      StartRelay(std::move(*stream), std::move(client));
    } else {
      StartSession(std::move(*stream), std::move(client));
    }
  });
}

void HttpServer::Impl::StartRelay(TlsStream stream,
                                  std::optional<authn::CertificateIdentity> client) {
  if (!options.http2_handoff) {
    beast::get_lowest_layer(stream).close();
    return;
  }
  auto relay = std::make_shared<Relay>(std::move(stream), this);
  absl::StatusOr<int> fd = relay->Open();
  if (!fd.ok()) {
    spdlog::warn("http: cannot relay a gRPC connection: {}", fd.status().ToString());
    return;
  }
  if (!Track(relay)) {
    ::close(*fd);
    return;
  }
  options.http2_handoff(*fd, std::move(client));
  relay->Run();
}

template <typename Transport>
void HttpServer::Impl::StartSession(Transport stream,
                                    std::optional<authn::CertificateIdentity> client) {
  auto session = std::make_shared<Session<Transport>>(std::move(stream), this, std::move(client));
  if (!Track(session)) return;
  session->Run();
}

HttpServer::HttpServer(HttpServerOptions options, HttpHandler* handler)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->handler = handler;
}

HttpServer::~HttpServer() { Shutdown(); }

absl::Status HttpServer::Start() {
  Impl& impl = *impl_;
  if (impl.options.tls.has_value()) {
    absl::StatusOr<std::unique_ptr<ssl::context>> ctx = MakeTlsContext(*impl.options.tls);
    if (!ctx.ok()) return ctx.status();
    impl.tls = *std::move(ctx);
  }
  beast::error_code ec;
  const net::ip::address address = net::ip::make_address(impl.options.bind_address, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid bind address \"", impl.options.bind_address, "\": ", ec.message()));
  }
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(impl.options.port));
  impl.acceptor.emplace(impl.ioc);
  impl.acceptor->open(endpoint.protocol(), ec);
  if (!ec) impl.acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl.acceptor->bind(endpoint, ec);
  if (!ec) impl.acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", impl.options.bind_address, ":",
                                               impl.options.port, ": ", ec.message()));
  }
  impl.port = impl.acceptor->local_endpoint().port();
  impl.work.emplace(net::make_work_guard(impl.ioc));
  impl.Accept();
  for (int i = 0; i < std::max(1, impl.options.threads); ++i) {
    impl.threads.emplace_back([&impl] { impl.ioc.run(); });
  }
  return absl::OkStatus();
}

int HttpServer::port() const { return impl_->port; }

void HttpServer::Shutdown() {
  Impl& impl = *impl_;
  std::vector<std::shared_ptr<Connection>> sessions;
  {
    absl::MutexLock lock(&impl.mu);
    if (impl.stopping) return;
    impl.stopping = true;
    for (auto& [ptr, weak] : impl.sessions) {
      if (auto s = weak.lock()) sessions.push_back(std::move(s));
    }
  }
  if (impl.acceptor) {
    net::post(impl.ioc, [&impl] {
      beast::error_code ignored;
      impl.acceptor->close(ignored);
    });
  }
  for (auto& session : sessions) session->PostClose();
  sessions.clear();
  impl.work.reset();
  // Give the closes a moment to run, then stop whatever is left (timers of
  // connections still being sniffed).
  for (int i = 0; i < 100 && !impl.ioc.stopped(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    absl::MutexLock lock(&impl.mu);
    if (impl.sessions.empty()) break;
  }
  impl.ioc.stop();
  for (auto& thread : impl.threads) {
    if (thread.joinable()) thread.join();
  }
  impl.threads.clear();
}

}  // namespace minik8s::apiserver::rest
