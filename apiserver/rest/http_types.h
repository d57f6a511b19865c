// The transport-side types of the Kubernetes HTTP API front end: a parsed
// request, the way a handler answers it (one whole response, or a stream),
// and the pull interface a stream's producer implements.
//
// The HTTP server (http_server.h) owns connections and sockets; the API
// (api_router.h) sees only these types, so it is tested without sockets.
#ifndef MINIK8S_APISERVER_REST_HTTP_TYPES_H_
#define MINIK8S_APISERVER_REST_HTTP_TYPES_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "apiserver/authn/authenticator.h"

namespace minik8s::apiserver::rest {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // percent-decoded, without the query
  // Query parameters, percent-decoded; a repeated name keeps its first value.
  std::map<std::string, std::string, std::less<>> query;
  // Header names lower case; a repeated header keeps its first value.
  std::map<std::string, std::string, std::less<>> headers;
  // Every header line as sent (names lower case), for headers that repeat
  // (Impersonate-Group).
  std::vector<std::pair<std::string, std::string>> header_lines;
  std::string body;
  std::string target;     // the request target as sent (path and query, not decoded)
  std::string remote_ip;  // the client's address, when known
  // The client certificate the TLS handshake verified; nullopt over plain
  // HTTP or when the client sent none.
  std::optional<authn::CertificateIdentity> client_certificate;

  // The header's value, or "" when absent.
  absl::string_view Header(absl::string_view name) const;
  // The query parameter's value, or "" when absent.
  absl::string_view Query(absl::string_view name) const;
  bool HasQuery(absl::string_view name) const { return query.find(name) != query.end(); }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  std::string body;
};

// The producer of a streamed (chunked) response body, pulled by the
// connection: Pull() appends what is ready; kEmpty means "nothing now" and
// the source calls the wake function given to Start() once more is ready
// (or it has ended). The connection calls Start() once, then Pull() from
// one thread at a time; Cancel() when the client went away or the server
// stops, after which Pull() is not called again. Wake may be called from
// any thread and any number of times.
class StreamSource {
 public:
  enum class Next { kData, kEmpty, kEnd };
  virtual ~StreamSource() = default;
  virtual void Start(std::function<void()> wake) = 0;
  virtual Next Pull(std::string* out) = 0;
  virtual void Cancel() = 0;
};

// How a handler answers a request: exactly one call of Respond() or
// Stream(), from any thread.
class Responder {
 public:
  virtual ~Responder() = default;
  virtual void Respond(HttpResponse response) = 0;
  // Sends the head with `status` and `content_type` and a chunked body from
  // `source`; after `max_duration` the stream ends (the source is cancelled
  // and the body closed normally), as a watch's timeoutSeconds.
  virtual void Stream(int status, std::string content_type, std::shared_ptr<StreamSource> source,
                      absl::Duration max_duration = absl::InfiniteDuration()) = 0;
};
using ResponderPtr = std::shared_ptr<Responder>;

// The API behind the HTTP server. Serve() is called on a connection's
// thread and must not block: slow work goes to a worker pool, which answers
// through the responder later.
class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  virtual void Serve(HttpRequest request, ResponderPtr responder) = 0;
};

}  // namespace minik8s::apiserver::rest

#endif  // MINIK8S_APISERVER_REST_HTTP_TYPES_H_
