#include "testing/http_client.h"

#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "boost/asio.hpp"
#include "boost/asio/ssl.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "boost/beast/ssl.hpp"

namespace minik8s::testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

std::chrono::steady_clock::duration ToChrono(absl::Duration d) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      absl::ToChronoNanoseconds(d));
}

http::request<http::string_body> BuildRequest(const HttpCall& call) {
  http::request<http::string_body> req(http::string_to_verb(call.method), call.target, 11);
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::user_agent, "minik8s-test");
  for (const auto& [name, value] : call.headers) req.set(name, value);
  if (!call.body.empty() || call.method == "POST" || call.method == "PUT" ||
      call.method == "PATCH") {
    req.body() = call.body;
    req.prepare_payload();
  }
  return req;
}

template <typename Fields>
std::map<std::string, std::string> Headers(const Fields& fields) {
  std::map<std::string, std::string> out;
  for (const auto& field : fields) {
    out[absl::AsciiStrToLower(std::string(field.name_string()))] = std::string(field.value());
  }
  return out;
}

// Writes `call` on `stream` and reads the whole response.
template <typename Stream>
HttpResult Exchange(Stream& stream, const HttpCall& call) {
  http::write(stream, BuildRequest(call));
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(256 * 1024 * 1024);
  http::read(stream, buffer, parser);
  HttpResult result;
  result.status = parser.get().result_int();
  result.headers = Headers(parser.get());
  result.body = std::move(parser.get().body());
  return result;
}

absl::StatusOr<HttpResult> HttpsRequest(int port, const HttpCall& call) {
  const TlsClientFiles& tls = *call.tls;
  namespace ssl = boost::asio::ssl;
  ssl::context ctx(ssl::context::tls_client);
  ctx.set_verify_mode(ssl::verify_peer);
  ctx.load_verify_file(tls.ca_file);
  if (!tls.cert_file.empty()) {
    ctx.use_certificate_chain_file(tls.cert_file);
    ctx.use_private_key_file(tls.key_file, ssl::context::pem);
  }
  net::io_context ioc;
  beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
  SSL_set1_host(stream.native_handle(), "127.0.0.1");
  beast::get_lowest_layer(stream).expires_after(ToChrono(call.timeout));
  beast::get_lowest_layer(stream).connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  stream.handshake(ssl::stream_base::client);
  HttpResult result = Exchange(stream, call);
  beast::error_code ignored;
  stream.shutdown(ignored);
  return result;
}

}  // namespace

absl::StatusOr<HttpResult> HttpRequest(int port, const HttpCall& call) {
  try {
    if (call.tls.has_value()) return HttpsRequest(port, call);
    net::io_context ioc;
    beast::tcp_stream stream(ioc);
    stream.expires_after(ToChrono(call.timeout));
    stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    HttpResult result = Exchange(stream, call);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    return result;
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat(call.method, " ", call.target, ": ", e.what()));
  }
}

struct HttpStream::Impl {
  net::io_context ioc;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  std::string pending;  // body bytes read but not yet returned
  bool done = false;
  char chunk[16 * 1024];

  // Reads more of the body into `pending`; false at its end.
  absl::Status ReadMore(absl::Duration timeout) {
    if (done) return absl::NotFoundError("end of body");
    parser.get().body().data = chunk;
    parser.get().body().size = sizeof(chunk);
    stream->expires_after(ToChrono(timeout));
    beast::error_code ec;
    http::read_some(*stream, buffer, parser, ec);
    if (ec == http::error::need_buffer) ec = {};
    if (ec == beast::error::timeout) return absl::DeadlineExceededError("no data in time");
    if (ec && ec != http::error::end_of_stream) {
      return absl::UnavailableError(absl::StrCat("read: ", ec.message()));
    }
    pending.append(chunk, sizeof(chunk) - parser.get().body().size);
    if (parser.is_done() || ec == http::error::end_of_stream) done = true;
    return absl::OkStatus();
  }
};

HttpStream::HttpStream(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpStream::~HttpStream() = default;

absl::StatusOr<std::unique_ptr<HttpStream>> HttpStream::Open(int port, const HttpCall& call) {
  auto impl = std::make_unique<Impl>();
  try {
    impl->stream.emplace(impl->ioc);
    impl->stream->expires_after(ToChrono(call.timeout));
    impl->stream->connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    http::write(*impl->stream, BuildRequest(call));
    impl->parser.body_limit(boost::none);
    http::read_header(*impl->stream, impl->buffer, impl->parser);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat(call.method, " ", call.target, ": ", e.what()));
  }
  return std::unique_ptr<HttpStream>(new HttpStream(std::move(impl)));
}

int HttpStream::status() const { return impl_->parser.get().result_int(); }

const std::map<std::string, std::string>& HttpStream::headers() const {
  static thread_local std::map<std::string, std::string> headers;
  headers = Headers(impl_->parser.get());
  return headers;
}

absl::StatusOr<std::string> HttpStream::ReadLine(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    const size_t newline = impl_->pending.find('\n');
    if (newline != std::string::npos) {
      std::string line = impl_->pending.substr(0, newline);
      impl_->pending.erase(0, newline + 1);
      return line;
    }
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return absl::DeadlineExceededError("no line in time");
    absl::Status status = impl_->ReadMore(left);
    if (absl::IsNotFound(status) && !impl_->pending.empty()) {
      std::string rest = std::move(impl_->pending);
      impl_->pending.clear();
      return rest;
    }
    if (!status.ok()) return status;
  }
}

absl::StatusOr<std::string> HttpStream::ReadToEnd(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!impl_->done) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return absl::DeadlineExceededError("body did not end");
    absl::Status status = impl_->ReadMore(left);
    if (absl::IsNotFound(status)) break;
    if (!status.ok()) return status;
  }
  std::string out = std::move(impl_->pending);
  impl_->pending.clear();
  return out;
}

}  // namespace minik8s::testing
