// A small blocking HTTP/1.1 client for tests and benchmarks of the
// apiserver's HTTP API (Boost.Beast): one request per call on its own
// connection, or a streamed response (watch, follow logs) read chunk by
// chunk with a deadline.
//
// Not thread-safe: one thread drives an HttpStream; Request() may be called
// from several threads.
#ifndef MINIK8S_TESTING_HTTP_CLIENT_H_
#define MINIK8S_TESTING_HTTP_CLIENT_H_

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/tls.h"

namespace minik8s::testing {

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower case
  std::string body;
};

struct HttpCall {
  std::string method = "GET";
  std::string target = "/";  // path and query
  std::map<std::string, std::string> headers;
  std::string body;
  absl::Duration timeout = absl::Seconds(30);
  // HTTPS: the server's certificate must chain to tls->ca_file and carry
  // 127.0.0.1; cert_file/key_file, when set, are presented. HttpRequest only.
  std::optional<TlsClientFiles> tls;
};

// Sends `call` to 127.0.0.1:port and reads the whole response.
absl::StatusOr<HttpResult> HttpRequest(int port, const HttpCall& call);

// A response read as it arrives.
class HttpStream {
 public:
  // Sends `call` and reads the response head.
  static absl::StatusOr<std::unique_ptr<HttpStream>> Open(int port, const HttpCall& call);
  ~HttpStream();

  int status() const;
  const std::map<std::string, std::string>& headers() const;
  // The next line of the body (without its '\n'), waiting up to `timeout`.
  // NotFound at the end of the body; DeadlineExceeded when nothing came.
  absl::StatusOr<std::string> ReadLine(absl::Duration timeout);
  // Everything up to the end of the body, waiting up to `timeout` in all.
  absl::StatusOr<std::string> ReadToEnd(absl::Duration timeout);

  struct Impl;

 private:
  explicit HttpStream(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace minik8s::testing

#endif  // MINIK8S_TESTING_HTTP_CLIENT_H_
