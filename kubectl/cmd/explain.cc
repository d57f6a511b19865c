// mkctl explain TYPE[.FIELD...] [--recursive]: a kind's fields from the
// OpenAPI v3 document the apiserver serves for its group-version, printed
// as kubectl explain prints them (kubectl/printers/explain.h). The
// apiserver serves OpenAPI over HTTP only, on the port of its gRPC API, so
// mkctl fetches /openapi/v3/api/v1 or /openapi/v3/apis/GROUP/VERSION with a
// plain HTTP/1.1 GET (no TLS; a unix:// server is refused).
#include "kubectl/printers/explain.h"

#include <netdb.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "api/yaml_limits.h"
#include "kubectl/cmd/commands.h"
#include "kubectl/cmd/resource_args.h"

namespace minik8s::kubectl {
namespace {

struct ExplainOptions {
  std::vector<std::string> args;
  bool recursive = false;
  std::string api_version;
};

// A TLS session over a connected socket, with the CA and client
// certificate of `tls` (files or PEM text).
class TlsConnection {
 public:
  ~TlsConnection() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  }

  absl::Status Connect(int fd, const std::string& host, const TlsClientFiles& tls) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (ctx_ == nullptr) return absl::InternalError("cannot create a TLS context");
    SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
    std::string ca = tls.ca_pem, cert = tls.cert_pem, key = tls.key_pem;
    for (auto [text, file] : {std::pair{&ca, &tls.ca_file}, std::pair{&cert, &tls.cert_file},
                              std::pair{&key, &tls.key_file}}) {
      if (!text->empty() || file->empty()) continue;
      absl::StatusOr<std::string> pem = ReadPemFile(*file);
      if (!pem.ok()) return pem.status();
      *text = *pem;
    }
    if (ca.empty()) {
      SSL_CTX_set_default_verify_paths(ctx_);
    } else {
      BIO* bio = BIO_new_mem_buf(ca.data(), static_cast<int>(ca.size()));
      X509_STORE* store = SSL_CTX_get_cert_store(ctx_);
      while (X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
        X509_STORE_add_cert(store, x);
        X509_free(x);
      }
      BIO_free(bio);
    }
    if (!cert.empty()) {
      BIO* cert_bio = BIO_new_mem_buf(cert.data(), static_cast<int>(cert.size()));
      X509* x = PEM_read_bio_X509(cert_bio, nullptr, nullptr, nullptr);
      BIO_free(cert_bio);
      BIO* key_bio = BIO_new_mem_buf(key.data(), static_cast<int>(key.size()));
      EVP_PKEY* k = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
      BIO_free(key_bio);
      const bool ok = x != nullptr && k != nullptr && SSL_CTX_use_certificate(ctx_, x) == 1 &&
                      SSL_CTX_use_PrivateKey(ctx_, k) == 1;
      X509_free(x);
      EVP_PKEY_free(k);
      if (!ok) return absl::InvalidArgumentError("cannot use the client certificate and key");
    }
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd);
    SSL_set_tlsext_host_name(ssl_, host.c_str());
    // The name to check: an IP address or a DNS name, as the URL gives it.
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl_);
    if (X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) != 1) {
      X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
    }
    static const unsigned char kAlpn[] = "\x08http/1.1";
    SSL_set_alpn_protos(ssl_, kAlpn, sizeof(kAlpn) - 1);
    if (SSL_connect(ssl_) != 1) {
      return absl::UnavailableError(
          absl::StrCat("TLS handshake with ", host,
                       " failed: ", X509_verify_cert_error_string(SSL_get_verify_result(ssl_))));
    }
    return absl::OkStatus();
  }

  ssize_t Send(const char* data, size_t n) { return SSL_write(ssl_, data, static_cast<int>(n)); }
  ssize_t Recv(char* data, size_t n) { return SSL_read(ssl_, data, static_cast<int>(n)); }

 private:
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
};

// The body of `GET http(s)://host:port<path>` (https when `tls` is set);
// Unavailable when nothing answers, Internal on a non-200 answer.
absl::StatusOr<std::string> HttpGet(const std::string& host_port, const std::string& path,
                                    const std::string& bearer_token,
                                    const client::Impersonation& impersonate,
                                    const std::optional<TlsClientFiles>& tls) {
  const size_t colon = host_port.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read OpenAPI from ", host_port));
  }
  std::string host = host_port.substr(0, colon);
  const std::string port = host_port.substr(colon + 1);
  if (absl::StartsWith(host, "[") && absl::EndsWith(host, "]")) {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0 || found == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot resolve ", host_port));
  }
  int fd = -1;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) continue;
    timeval timeout{30, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
    if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(found);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("connection refused: ", host_port));
  TlsConnection secure;
  if (tls.has_value()) {
    if (absl::Status s = secure.Connect(fd, host, *tls); !s.ok()) {
      close(fd);
      return s;
    }
  }
  auto send_some = [&](const char* data, size_t n) -> ssize_t {
    return tls.has_value() ? secure.Send(data, n) : send(fd, data, n, MSG_NOSIGNAL);
  };
  auto recv_some = [&](char* data, size_t n) -> ssize_t {
    return tls.has_value() ? secure.Recv(data, n) : recv(fd, data, n, 0);
  };
  std::string request = absl::StrCat(
      "GET ", path, " HTTP/1.1\r\nHost: ", host_port,
      "\r\nAccept: application/json\r\nUser-Agent: mkctl\r\nConnection: close\r\n",
      bearer_token.empty() ? "" : absl::StrCat("Authorization: Bearer ", bearer_token, "\r\n"));
  for (const auto& [name, value] : client::ImpersonationHeaders(impersonate)) {
    absl::StrAppend(&request, name, ": ", value, "\r\n");
  }
  request += "\r\n";
  for (size_t sent = 0; sent < request.size();) {
    const ssize_t n = send_some(request.data() + sent, request.size() - sent);
    if (n <= 0) {
      close(fd);
      return absl::UnavailableError(absl::StrCat("cannot send to ", host_port));
    }
    sent += n;
  }
  std::string response;
  char buf[16384];
  for (;;) {
    const ssize_t n = recv_some(buf, sizeof(buf));
    if (n <= 0) break;
    response.append(buf, n);
  }
  close(fd);
  const size_t end = response.find("\r\n\r\n");
  if (end == std::string::npos) {
    return absl::UnavailableError(absl::StrCat("no HTTP answer from ", host_port));
  }
  const std::vector<std::string> head = absl::StrSplit(response.substr(0, end), "\r\n");
  std::string body = response.substr(end + 4);
  const std::vector<std::string> status = absl::StrSplit(head[0], absl::MaxSplits(' ', 2));
  if (status.size() < 2 || status[1] != "200") {
    return absl::InternalError(absl::StrCat("GET ", path, ": ", head[0]));
  }
  bool chunked = false;
  for (size_t i = 1; i < head.size(); ++i) {
    const std::string line = absl::AsciiStrToLower(head[i]);
    if (absl::StartsWith(line, "transfer-encoding:") && absl::StrContains(line, "chunked")) {
      chunked = true;
    }
  }
  if (!chunked) return body;
  std::string decoded;
  size_t at = 0;
  for (;;) {
    const size_t line_end = body.find("\r\n", at);
    if (line_end == std::string::npos) break;
    uint64_t size = 0;
    if (!absl::SimpleHexAtoi(body.substr(at, line_end - at), &size) || size == 0) break;
    decoded.append(body, line_end + 2, size);
    at = line_end + 2 + size + 2;
  }
  return decoded;
}

int RunExplain(Context& ctx, const ExplainOptions& o) {
  if (o.args.empty()) {
    return ctx.Fail(absl::InvalidArgumentError(
        "You must specify the type of resource to explain. Use \"mkctl api-resources\" for a "
        "complete list of supported resources."));
  }
  if (o.args.size() > 1) {
    return ctx.Fail(
        absl::InvalidArgumentError(absl::StrCat("We accept only this format: explain RESOURCE")));
  }
  // The longest dotted prefix that names a type (`deployments.apps.spec`),
  // the rest the field path.
  const std::vector<std::string> parts = absl::StrSplit(o.args[0], '.');
  const api::KindInfo* kind = nullptr;
  std::vector<std::string> fields;
  for (size_t n = parts.size(); n >= 1 && kind == nullptr; --n) {
    std::vector<std::string> prefix(parts.begin(), parts.begin() + n);
    absl::StatusOr<const api::KindInfo*> resolved = ResolveType(absl::StrJoin(prefix, "."));
    if (resolved.ok()) {
      kind = *resolved;
      fields.assign(parts.begin() + n, parts.end());
    }
  }
  if (kind == nullptr) {
    // kubectl prints this one without `error: `.
    ctx.err() << "the server doesn't have a resource type \"" << parts[0] << "\"\n";
    return 1;
  }
  if (!o.api_version.empty() && o.api_version != kind->api_version) {
    return ctx.Fail(absl::NotFoundError(
        absl::StrCat("couldn't find resource for \"", o.api_version, ", Kind=", kind->kind, "\"")));
  }
  absl::StatusOr<ClusterConfig> config = ctx.Config();
  if (!config.ok()) return ctx.Fail(config.status());
  if (absl::StartsWith(config->server, "unix:")) {
    return ctx.Fail(absl::UnimplementedError(
        "explain reads the apiserver's OpenAPI over HTTP, which a unix:// server does not serve"));
  }
  const std::string path = kind->group.empty()
                               ? absl::StrCat("/openapi/v3/api/", kind->version)
                               : absl::StrCat("/openapi/v3/apis/", kind->group, "/", kind->version);
  // The client is not dialed; it carries the credentials the gRPC calls send.
  absl::StatusOr<client::ApiClient*> client = ctx.Client();
  if (!client.ok()) return ctx.Fail(client.status());
  absl::StatusOr<std::string> body =
      HttpGet(ctx.ServerHostPort(), path, (*client)->options().bearer_token,
              (*client)->options().impersonate, (*client)->options().tls);
  if (!body.ok()) return ctx.Fail(body.status());
  absl::StatusOr<YAML::Node> document = api::LoadLimited(*body);
  if (!document.ok()) {
    return ctx.Fail(absl::InternalError(absl::StrCat("cannot read the OpenAPI document ", path,
                                                     ": ", document.status().message())));
  }
  ExplainRequest request{kind->group, kind->version, kind->kind, fields, o.recursive};
  ExplainOutput output = Explain(*document, request);
  ctx.out() << output.text;
  ctx.out().flush();
  if (!output.status.ok()) return ctx.Fail(absl::InvalidArgumentError(output.status.message()));
  return 0;
}

}  // namespace

void AddExplainCommand(CLI::App& app, Context& ctx, int& exit_code) {
  auto o = std::make_shared<ExplainOptions>();
  CLI::App* cmd = app.add_subcommand("explain", "Get documentation for a resource");
  cmd->add_option("resource", o->args, "TYPE or TYPE.FIELD.PATH (e.g. deployment.spec.strategy)");
  cmd->add_flag("--recursive", o->recursive,
                "Print the fields of fields, all the way down (without descriptions)");
  cmd->add_option("--api-version", o->api_version,
                  "Use the given api-version (GROUP/VERSION) for the resource");
  cmd->callback([&ctx, &exit_code, o] { exit_code = RunExplain(ctx, *o); });
}

}  // namespace minik8s::kubectl
