// Load generators for the apiserver's Kubernetes HTTP API, for
// apiserver_bench: asynchronous (Boost.Beast on Asio), so that a few threads
// drive many connections, over plain TCP or TLS (HttpEndpoint).
//
//   - HttpConnectionPool: a fixed set of keep-alive HTTP/1.1 connections to
//     127.0.0.1:<port>. Requests queue until a connection is free, and each
//     connection carries one request at a time (no pipelining, as client-go
//     and the Python client do). A request's latency runs from Send() to the
//     end of its response, so time spent queued for a connection counts (the
//     open-loop measurement). A connection the server closes is reopened for
//     the next request; a request that fails on an idle connection before
//     any answer came is sent once more on a new one (the server may close
//     idle connections); reconnects() counts both.
//   - HttpWatchers: watch streams, each on its own connection, counting the
//     events of JSON watch bodies (one event per line; BOOKMARK lines are
//     not counted, ERROR lines are counted apart).
//
// Every socket has a deadline (a request's `timeout`; a watch's connect,
// TLS handshake and response head), so every call ends.
//
// Thread safety: Send() and the counters from any thread; callbacks run on
// the object's own threads, one at a time per connection. Destroying the
// object stops its threads and closes every connection; callbacks of
// requests still queued or in flight are dropped without being called.
#ifndef MINIK8S_BENCH_APISERVER_HTTP_LOAD_H_
#define MINIK8S_BENCH_APISERVER_HTTP_LOAD_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/tls.h"

namespace minik8s::bench {

// A client TLS context for the load generators (OpenSSL through Asio), shared
// by every connection made with it: TLS 1.2 or later, the server's
// certificate must chain to the CA and carry the IP address 127.0.0.1, the
// client certificate (when given) is presented, and ALPN offers only
// http/1.1 (as client-go does over HTTP/1.1; the apiserver then serves the
// HTTP API, not gRPC).
class HttpTlsContext;

// Reads `files` (a CA is required; cert and key both or neither; PEM text
// fields are used instead of their files when set). The error names the
// file that could not be used.
absl::StatusOr<std::shared_ptr<HttpTlsContext>> MakeHttpTlsContext(const TlsClientFiles& files);

// Where the load generators connect: 127.0.0.1:`port`, over TLS when `tls`
// is set.
struct HttpEndpoint {
  int port = 0;
  std::shared_ptr<HttpTlsContext> tls;  // null: plain TCP
};

struct HttpLoadRequest {
  std::string method = "GET";
  std::string target = "/";  // path and query
  std::string content_type;  // of `body`; empty: none
  std::string accept;        // empty: none
  std::string body;
  absl::Duration timeout = absl::Seconds(30);
};

struct HttpLoadResponse {
  absl::Status error;  // transport failure (then `status` is 0)
  int status = 0;
  std::string content_type;
  std::string body;
  absl::Duration latency;  // from Send() to the end of the response
};

class HttpConnectionPool {
 public:
  using Done = std::function<void(HttpLoadResponse)>;

  // Opens `connections` connections to `endpoint` (each connected, and with
  // TLS its handshake done), driven by `threads` event-loop threads. Error
  // if any cannot be opened within `connect_timeout`.
  static absl::StatusOr<std::unique_ptr<HttpConnectionPool>> Open(
      const HttpEndpoint& endpoint, int connections, int threads,
      absl::Duration connect_timeout = absl::Seconds(10));
  ~HttpConnectionPool();
  HttpConnectionPool(const HttpConnectionPool&) = delete;
  HttpConnectionPool& operator=(const HttpConnectionPool&) = delete;

  // Queues `request`; `done` is called once on a pool thread.
  void Send(HttpLoadRequest request, Done done);
  // Connections reopened after the server closed one (0 when keep-alive
  // held for the whole run), including those of resent requests.
  int64_t reconnects() const;

  struct Impl;

 private:
  explicit HttpConnectionPool(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class HttpWatchers {
 public:
  // Watches of `endpoint` run on `threads` event-loop threads.
  HttpWatchers(const HttpEndpoint& endpoint, int threads);
  ~HttpWatchers();
  HttpWatchers(const HttpWatchers&) = delete;
  HttpWatchers& operator=(const HttpWatchers&) = delete;

  // Starts `count` watches of GET `target` (e.g.
  // /api/v1/namespaces/x/pods?watch=true&resourceVersion=5), each on its own
  // connection. A watch is established once its 200 response head arrived
  // (the apiserver sends it after registering the watcher); one that fails
  // to connect, gets another status or loses its connection counts in
  // ended(). `head_timeout` bounds connect, TLS handshake and response head.
  void Start(int count, const std::string& target, absl::Duration head_timeout);

  int established() const;
  // Watches that failed or whose stream ended (either side).
  int ended() const;
  // ADDED / MODIFIED / DELETED events over every watch.
  int64_t events() const;
  // ERROR events over every watch.
  int64_t error_events() const;
  // Body bytes received over every watch (chunk framing excluded).
  int64_t body_bytes() const;
  // The first failure seen ("" when none).
  std::string first_error() const;

  // Closes every watch connection and stops the threads. Idempotent.
  void Stop();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace minik8s::bench

#endif  // MINIK8S_BENCH_APISERVER_HTTP_LOAD_H_
