#include "client/token_request.h"

#include <openssl/x509v3.h>

#include <chrono>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "api/codec.h"
#include "api/errors.h"
#include "boost/asio.hpp"
#include "boost/asio/ssl.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "boost/beast/ssl.hpp"
#include "k8s/meta/v1/meta.pb.h"

namespace minik8s::client {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using minik8s::authentication::v1::TokenRequest;

namespace {

// Idle connections kept: as many as a kubelet has pod workers asking at
// once (a scale kubelet runs up to 64), so a burst of pods does not make a
// TLS handshake each.
constexpr size_t kMaxIdleConnections = 64;
constexpr size_t kMaxResponseBytes = 1 << 20;

std::chrono::steady_clock::duration ToChrono(absl::Duration d) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      absl::ToChronoNanoseconds(d));
}

// One open connection: plaintext or TLS, each with its own io_context (the
// calls are blocking).
struct Connection {
  net::io_context ioc;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;

  beast::tcp_stream& lowest() { return plain ? *plain : beast::get_lowest_layer(*tls); }
};

}  // namespace

struct ServiceAccountTokenClient::Impl {
  ApiClientOptions options;
  std::string host;
  std::string port;
  std::unique_ptr<ssl::context> ssl_ctx;  // null: plaintext

  absl::Mutex mu;
  std::vector<std::unique_ptr<Connection>> idle ABSL_GUARDED_BY(mu);

  std::unique_ptr<Connection> Connect() {
    auto c = std::make_unique<Connection>();
    tcp::resolver resolver(c->ioc);
    auto endpoints = resolver.resolve(host, port);
    if (ssl_ctx == nullptr) {
      c->plain.emplace(c->ioc);
      c->plain->expires_after(ToChrono(options.timeout));
      c->plain->connect(endpoints);
      return c;
    }
    c->tls.emplace(c->ioc, *ssl_ctx);
    SSL* s = c->tls->native_handle();
    boost::system::error_code ec;
    net::ip::make_address(host, ec);
    if (!ec) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s), host.c_str());
    } else {
      SSL_set1_host(s, host.c_str());
      SSL_set_tlsext_host_name(s, host.c_str());
    }
    beast::get_lowest_layer(*c->tls).expires_after(ToChrono(options.timeout));
    beast::get_lowest_layer(*c->tls).connect(endpoints);
    c->tls->handshake(ssl::stream_base::client);
    return c;
  }

  std::unique_ptr<Connection> Take() {
    {
      absl::MutexLock lock(&mu);
      if (!idle.empty()) {
        std::unique_ptr<Connection> c = std::move(idle.back());
        idle.pop_back();
        return c;
      }
    }
    return nullptr;
  }

  void Give(std::unique_ptr<Connection> c) {
    absl::MutexLock lock(&mu);
    if (idle.size() < kMaxIdleConnections) idle.push_back(std::move(c));
  }

  // One exchange on `c`; throws on a transport error.
  http::response<http::string_body> Exchange(Connection& c,
                                             const http::request<http::string_body>& req) {
    c.lowest().expires_after(ToChrono(options.timeout));
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxResponseBytes);
    if (c.plain) {
      http::write(*c.plain, req);
      http::read(*c.plain, buffer, parser);
    } else {
      http::write(*c.tls, req);
      http::read(*c.tls, buffer, parser);
    }
    return parser.release();
  }
};

ServiceAccountTokenClient::ServiceAccountTokenClient(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}
ServiceAccountTokenClient::~ServiceAccountTokenClient() = default;

absl::StatusOr<std::unique_ptr<ServiceAccountTokenClient>> ServiceAccountTokenClient::Create(
    const ApiClientOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  std::string address = options.server;
  bool tls = options.tls.has_value();
  if (absl::StartsWith(address, "https://")) {
    address = address.substr(8);
    tls = true;
  } else if (absl::StartsWith(address, "http://")) {
    address = address.substr(7);
  } else if (absl::StartsWith(address, "unix:")) {
    return absl::UnimplementedError(absl::StrCat(
        "ServiceAccount tokens are asked for over the apiserver's HTTP API, not at ", address));
  }
  if (size_t slash = address.find('/'); slash != std::string::npos) address.resize(slash);
  size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon + 1 == address.size() ||
      (address[0] == '[' && address[colon - 1] != ']')) {
    return absl::InvalidArgumentError(
        absl::StrCat("apiserver address \"", options.server, "\": want host:port"));
  }
  impl->host = address.substr(0, colon);
  impl->port = address.substr(colon + 1);
  if (impl->host.size() > 2 && impl->host.front() == '[') {
    impl->host = impl->host.substr(1, impl->host.size() - 2);
  }
  if (tls) {
    try {
      auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
      ctx->set_verify_mode(ssl::verify_peer);
      const TlsClientFiles files = options.tls.value_or(TlsClientFiles{});
      if (!files.ca_pem.empty()) {
        ctx->add_certificate_authority(net::buffer(files.ca_pem));
      } else if (!files.ca_file.empty()) {
        ctx->load_verify_file(files.ca_file);
      } else {
        ctx->set_default_verify_paths();
      }
      if (!files.cert_pem.empty()) {
        ctx->use_certificate_chain(net::buffer(files.cert_pem));
      } else if (!files.cert_file.empty()) {
        ctx->use_certificate_chain_file(files.cert_file);
      }
      if (!files.key_pem.empty()) {
        ctx->use_private_key(net::buffer(files.key_pem), ssl::context::pem);
      } else if (!files.key_file.empty()) {
        ctx->use_private_key_file(files.key_file, ssl::context::pem);
      }
      impl->ssl_ctx = std::move(ctx);
    } catch (const std::exception& e) {
      return absl::InvalidArgumentError(
          absl::StrCat("TLS credentials for the apiserver: ", e.what()));
    }
  }
  return std::unique_ptr<ServiceAccountTokenClient>(new ServiceAccountTokenClient(std::move(impl)));
}

absl::StatusOr<TokenRequest> ServiceAccountTokenClient::Request(const std::string& ns,
                                                                const std::string& service_account,
                                                                const TokenRequest& request) {
  for (const std::string* name : {&ns, &service_account}) {
    if (name->empty() || name->find_first_of("/?#% ") != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("invalid name \"", *name, "\""));
    }
  }
  TokenRequest body = request;
  body.set_api_version("authentication.k8s.io/v1");
  body.set_kind("TokenRequest");
  const std::string target =
      absl::StrCat("/api/v1/namespaces/", ns, "/serviceaccounts/", service_account, "/token");
  http::request<http::string_body> req(http::verb::post, target, 11);
  req.set(http::field::host, impl_->host);
  req.set(http::field::user_agent, impl_->options.user_agent);
  req.set(http::field::content_type, "application/json");
  req.set(http::field::accept, "application/json");
  req.keep_alive(true);
  if (!impl_->options.bearer_token.empty()) {
    req.set(http::field::authorization, "Bearer " + impl_->options.bearer_token);
  }
  for (const auto& [name, value] : ImpersonationHeaders(impl_->options.impersonate)) {
    req.insert(name, value);
  }
  req.body() = api::EncodeJson(body);
  req.prepare_payload();

  http::response<http::string_body> res;
  // A kept-alive connection the server has closed fails at once: then
  // once more on a new one.
  std::string error;
  bool answered = false;
  for (int attempt = 0; attempt < 2 && !answered; ++attempt) {
    std::unique_ptr<Connection> c = attempt == 0 ? impl_->Take() : nullptr;
    const bool reused = c != nullptr;
    try {
      if (c == nullptr) c = impl_->Connect();
      res = impl_->Exchange(*c, req);
      answered = true;
      if (res.keep_alive()) impl_->Give(std::move(c));
    } catch (const std::exception& e) {
      error = e.what();
      if (!reused) break;
    }
  }
  if (!answered) {
    return absl::UnavailableError(
        absl::StrCat("POST https://", impl_->host, ":", impl_->port, target, ": ", error));
  }
  const int code = res.result_int();
  if (code == 200 || code == 201) {
    TokenRequest out;
    if (absl::Status s = api::DecodeInto(res.body(), &out); !s.ok()) {
      return absl::InternalError(absl::StrCat("the TokenRequest answer: ", s.message()));
    }
    return out;
  }
  meta::v1::Status status;
  if (api::DecodeInto(res.body(), &status).ok() && !status.message().empty()) {
    return api::FromStatusObject(status);
  }
  return api::FromStatusObject([&] {
    meta::v1::Status s;
    s.set_code(code);
    s.set_message(absl::StrCat("the server answered ", code, " ", std::string(res.reason()), ": ",
                               res.body().substr(0, 200)));
    return s;
  }());
}

}  // namespace minik8s::client
