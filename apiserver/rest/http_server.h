// The apiserver's HTTP/1.1 server (Boost.Beast on Asio): asynchronous, a
// few event-loop threads for every connection and stream — no thread per
// connection or per watch.
//
// One port, two protocols: a connection whose first bytes are the HTTP/2
// connection preface ("PRI * HTTP/2.0...", what every gRPC client sends
// first) is handed to `http2_handoff` (the apiserver passes it to its gRPC
// server); any other connection is HTTP/1.1 and served here. So the
// daemons' gRPC and the Kubernetes HTTP API share the apiserver's port, as
// kube-apiserver serves HTTP/2 and HTTP/1.1 on one.
//
// HTTP: keep-alive; request bodies up to `max_body_bytes` (larger: 413 and
// the connection closes); headers up to `max_header_bytes` (431); a
// malformed request gets 400 and a close. A client idle for `idle_timeout`
// between requests, or that does not take a response within
// `write_timeout`, is disconnected. Streamed responses (watch, follow logs)
// are chunked, each chunk written as soon as its source has it; a stream
// ends the connection when it ends, and a client that goes away cancels its
// stream's source.
//
// TLS (options.tls set): the port speaks only TLS, as kube-apiserver's
// secure port. ALPN decides the protocol: a client that offers http/1.1
// (kubectl offers h2 and http/1.1; client-go, curl and Python's client do
// too) is served HTTP/1.1 here; one that offers only h2 (every gRPC client)
// is gRPC. The gRPC server cannot take a TLS connection by its descriptor,
// so the server keeps the TLS session and relays the decrypted bytes
// through a socket pair whose other end `http2_handoff` receives, with the
// client certificate the handshake verified. A client certificate is asked
// for when client_ca_file is set and then must chain to it (a wrong one
// fails the handshake); a client may also send none. A plain-HTTP request
// to the TLS port gets Go's 400 "Client sent an HTTP request to an HTTPS
// server."; other plaintext is closed.
//
// Thread safety: Start() and Shutdown() from one owner thread; the handler
// is called concurrently from the event-loop threads.
#ifndef MINIK8S_APISERVER_REST_HTTP_SERVER_H_
#define MINIK8S_APISERVER_REST_HTTP_SERVER_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "apiserver/rest/http_types.h"

namespace minik8s::apiserver::rest {

struct HttpTlsOptions {
  std::string cert_file;       // PEM serving certificate (chain)
  std::string key_file;        // its PEM private key
  std::string client_ca_file;  // PEM CA for client certificates; empty: none asked for
};

struct HttpServerOptions {
  std::string bind_address = "127.0.0.1";
  int port = 6443;  // 0: pick a free port
  int threads = 2;
  // kube-apiserver refuses request bodies over 3 MiB.
  size_t max_body_bytes = 3 * 1024 * 1024;
  // Go's http.DefaultMaxHeaderBytes.
  size_t max_header_bytes = 1 << 20;
  absl::Duration idle_timeout = absl::Seconds(90);
  absl::Duration write_timeout = absl::Seconds(60);
  // Serve TLS instead of plaintext; the files are read by Start().
  std::optional<HttpTlsOptions> tls;
  // Takes ownership of the socket of a connection that opened with the
  // HTTP/2 preface (over TLS: of the relay's end, with the client's verified
  // certificate). Unset: such connections are closed.
  std::function<void(int fd, std::optional<authn::CertificateIdentity> client)> http2_handoff;
};

class HttpServer {
 public:
  // `handler` must outlive the server.
  HttpServer(HttpServerOptions options, HttpHandler* handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts the event loops.
  absl::Status Start();
  // The port bound (after Start).
  int port() const;
  // Stops accepting, cancels every stream, closes every connection and
  // joins the event loops. Idempotent.
  void Shutdown();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Percent-decodes `s` ('+' stays '+'; for query values pass
// plus_is_space). Malformed escapes are kept as they are.
std::string PercentDecode(absl::string_view s, bool plus_is_space = false);

// Splits a request target into its decoded path and query parameters.
void ParseTarget(absl::string_view target, HttpRequest* request);

// Parses one HTTP/1.1 request from `bytes` with the limits and the
// conversion a connection applies (bytes after the request are ignored):
// the server's request path without a socket, for tests and fuzzing.
// InvalidArgument for a malformed, incomplete or too large request.
absl::StatusOr<HttpRequest> ParseHttpRequest(absl::string_view bytes,
                                             size_t max_body_bytes = 3 * 1024 * 1024,
                                             size_t max_header_bytes = 1 << 20);

}  // namespace minik8s::apiserver::rest

#endif  // MINIK8S_APISERVER_REST_HTTP_SERVER_H_
