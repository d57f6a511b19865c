// The HTTP/1.1 server a simulated nginx container is: the request head
// parser, the response (200 with a small page naming the pod and the
// container, for any GET or HEAD; 405 for other methods; 400 for a request
// that does not parse) and nginx's access log line. The sockets are
// port_listeners.h's; these are the pure pieces it calls.
//
// Connection handling follows HTTP/1.1: a 1.1 request keeps the connection
// unless it says `Connection: close`, a 1.0 one closes it unless it says
// `Connection: keep-alive`; every error response closes it.
//
// Thread safety: pure functions.
#ifndef MINIK8S_RUNTIME_SIM_HTTP_H_
#define MINIK8S_RUNTIME_SIM_HTTP_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace minik8s::runtime {

// Longest request head (request line and headers) read; a longer one is
// answered 400 and the connection closed, as nginx does with its default
// large_client_header_buffers.
inline constexpr size_t kMaxHttpHeadBytes = 16 * 1024;
// Longest request body read (and discarded); a longer one is answered 413.
inline constexpr int64_t kMaxHttpBodyBytes = 1024 * 1024;

struct HttpRequestHead {
  std::string method;   // "GET"
  std::string target;   // "/index.html"
  std::string version;  // "HTTP/1.1"
  std::string user_agent;
  std::string referer;
  int64_t content_length = 0;
  bool chunked = false;     // Transfer-Encoding: chunked (not read: the connection closes)
  bool keep_alive = false;  // by the version and the Connection header
};

// The request line and headers, `head` ending with the empty line (or
// without it). nullopt when the request line is malformed, a header has no
// colon, or Content-Length is not a number.
std::optional<HttpRequestHead> ParseHttpRequestHead(absl::string_view head);

// Who answers: the page names them.
struct HttpServerIdentity {
  std::string pod_namespace;
  std::string pod_name;
  std::string container_name;
  std::string nginx_version;  // "1.25.3" (workload_logs.h NginxVersion)
};

struct HttpResponse {
  int status = 200;
  std::string bytes;       // status line, headers and body
  bool close = false;      // close the connection after sending it
  int64_t body_bytes = 0;  // for the access log
};

// The answer to `request` (nullopt: it did not parse, 400), sent at `now`.
// `close_anyway` forces `Connection: close` (the container is stopping, or
// the body cannot be skipped).
HttpResponse NginxResponse(const std::optional<HttpRequestHead>& request,
                           const HttpServerIdentity& who, absl::Time now, bool close_anyway);

// The answer to a head longer than kMaxHttpHeadBytes or a body longer than
// kMaxHttpBodyBytes (`status` 400 or 413).
HttpResponse NginxErrorResponse(int status, const HttpServerIdentity& who, absl::Time now);

// nginx's access log line ("combined" format) for a request from
// `remote_ip`:
//   127.0.0.1 - - [05/Dec/2026:09:06:01 +0000] "GET / HTTP/1.1" 200 178 "-" "curl/8.5.0" "-"
// `request_line` is the request's first line ("" when none was read).
std::string NginxAccessLogLine(absl::string_view remote_ip, absl::Time now,
                               absl::string_view request_line, const HttpResponse& response,
                               const std::optional<HttpRequestHead>& request);

}  // namespace minik8s::runtime

#endif  // MINIK8S_RUNTIME_SIM_HTTP_H_
