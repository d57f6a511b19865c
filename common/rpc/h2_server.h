// A gRPC server: gRPC's wire protocol (HTTP/2, length-prefixed messages,
// grpc-status trailers) served directly on nghttp2, over TCP or a unix
// socket, with or without TLS (OpenSSL). minik8s-store and minik8s-apiserver
// serve their gRPC APIs on it.
//
// Why not gRPC's own server: on 1,000 connections gRPC 1.51 costs about a
// third more CPU per call than this protocol on nghttp2 with one epoll loop
// (bench/store/rpc_floor_bench), and it ran the store above issue 16's CPU
// target (store/README.md, "The RPC layer"); over TLS, gRPC's secure
// endpoint adds its own copies and OpenSSL calls to every read and write.
// Clients are unchanged: etcdctl, grpcurl and any gRPC client speak to it as
// to any gRPC server.
//
// Model. Worker threads each run an epoll loop over the connections they
// own (the first also accepts, and hands new connections round-robin); a
// connection and its streams are touched only by their worker. A method is
// either unary (the handler gets the request message once the client has
// half-closed, and answers once with CallRef::Reply) or streaming (an object
// of the handler's receives each message, and writes with CallRef::Write,
// one at a time, then ends with CallRef::Finish). CallRef may be used from
// any thread: what it asks for is queued for the connection's worker, which
// wakes once for everything queued meanwhile, and then writes each
// connection's frames with one system call.
//
// What a handler knows of a call besides its messages (CallInfo): the peer
// (its address as gRPC names it, and the Subject of the client certificate
// the TLS handshake verified) and, with ServerConfig::keep_metadata, the
// request's custom metadata. A status may carry binary details
// (grpc-status-details-bin, as gRPC's rich error model sends them).
//
// Limits: a request message larger than `max_receive_message_bytes` is
// refused with RESOURCE_EXHAUSTED, as gRPC's server refuses it; compressed
// messages are refused (no client here compresses); a malformed
// message ends its call with INTERNAL; an unknown method gets UNIMPLEMENTED.
// The client's deadline (grpc-timeout) is not timed here: the client cancels
// the call itself (RST_STREAM) when it expires.
//
// Thread safety: Server's methods are not to be called concurrently with
// each other, except Adopt; CallRef is thread-safe.
#ifndef MINIK8S_COMMON_RPC_H2_SERVER_H_
#define MINIK8S_COMMON_RPC_H2_SERVER_H_

#include <openssl/ssl.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/tls.h"
#include "google/protobuf/message_lite.h"

namespace minik8s::rpc {

class Worker;
class Server;

// `message` serialized with gRPC's 5-byte prefix (not compressed, length).
std::string Frame(const google::protobuf::MessageLite& message);
std::string FrameBytes(std::string_view serialized);

// grpc-message's percent-encoding (gRPC's PROTOCOL-HTTP2.md).
std::string PercentEncode(std::string_view message);

// gRPC's name for the peer of a connected socket: "ipv4:127.0.0.1:5000",
// "ipv6:[::1]:5000", "unix:<path>" (the path often empty); "unknown" when
// the socket has none.
std::string PeerAddress(int fd);

// The client at the other end of a connection.
struct Peer {
  // As gRPC names peers: "ipv4:127.0.0.1:5000", "ipv6:[::1]:5000", "unix:"
  // (what Adopt was given for an adopted connection).
  std::string address;
  // The Subject of the client certificate the connection's TLS handshake
  // verified (for an adopted connection, what Adopt was given); nullopt: no
  // certificate.
  std::optional<CertificateSubject> certificate;
};

// What a handler knows of its call besides the messages.
struct CallInfo {
  std::shared_ptr<const Peer> peer;  // never null
  // The request's custom metadata when ServerConfig::keep_metadata is set:
  // every header but HTTP/2's pseudo-headers and those gRPC reserves
  // (content-type, te, grpc-*), names lowercase, in the order received;
  // the values of binary metadata (names ending in -bin) decoded.
  std::vector<std::pair<std::string, std::string>> metadata;

  // The first value of metadata `name` (lowercase); empty when absent.
  std::string_view Find(std::string_view name) const;
};

// The handler side of one call of a streaming method. Called on the
// connection's worker, one at a time, in this order: OnMessage for each
// request message, OnReadsDone once (the client half-closed, or the call
// ended: cancelled, reset, connection gone, server stopping), OnCancelled
// once if the call ended before Finish went out; OnWritten after each Write;
// OnFinished after Finish, last of all. The object must stay alive until
// OnFinished, and is not used after it.
class StreamCallbacks {
 public:
  virtual ~StreamCallbacks() = default;
  // False: the message is malformed; the call ends with INTERNAL.
  virtual bool OnMessage(std::string_view message) = 0;
  virtual void OnReadsDone() = 0;
  virtual void OnCancelled() {}
  // The last Write went out (true), or the call ended before it could.
  virtual void OnWritten(bool ok) = 0;
  virtual void OnFinished() = 0;
};

// A call as its handler holds it. Cheap to copy.
class CallRef {
 public:
  CallRef() = default;
  // Unary only, once: the answer (`framed`, a Frame()d message, when
  // `status` is OK; ignored otherwise). `details`, when not empty and the
  // status is not OK, goes out as grpc-status-details-bin (a serialized
  // message the client knows how to read).
  void Reply(const absl::Status& status, std::string framed, std::string details = {}) const;
  // Streaming only: sends the response headers now rather than with the
  // first message (a client learns the call is established); at most once,
  // before any Write.
  void SendHeaders() const;
  // Streaming only: sends a Frame()d message; at most one Write outstanding
  // (until OnWritten).
  void Write(std::string framed) const;
  // Streaming only, once, with no Write outstanding: ends the call with
  // `status` (trailers; `details` as for Reply). OnFinished follows.
  void Finish(const absl::Status& status, std::string details = {}) const;

 private:
  friend class Worker;
  CallRef(Worker* worker, uint64_t connection, int32_t stream)
      : worker_(worker), connection_(connection), stream_(stream) {}
  Worker* worker_ = nullptr;
  uint64_t connection_ = 0;
  int32_t stream_ = 0;
};

// A method: exactly one of the two is set.
struct Method {
  // Gets the request message (unprefixed), on the worker; must lead to one
  // Reply. `info` lives only for the call of the function.
  std::function<void(std::string_view message, CallRef call, const CallInfo& info)> unary;
  // Makes the handler object of a new call (on the worker); `call` is how it
  // writes and finishes.
  std::function<StreamCallbacks*(CallRef call, const CallInfo& info)> streaming;
};

struct ServerConfig {
  int64_t max_receive_message_bytes = 4 << 20;
  int worker_threads = 1;
  // Hand handlers the request's custom metadata (CallInfo::metadata).
  bool keep_metadata = false;
};

class Server {
 public:
  explicit Server(ServerConfig options);
  ~Server();  // Shutdown(0) if still running
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Before Start. `path` as on the wire: "/etcdserverpb.KV/Put".
  void AddMethod(std::string path, Method method);

  // Before Start: binds `address` ("host:port", "[v6]:port", or
  // "unix:/path" / "unix:///path"; port 0 picks a free one). `tls`, when
  // set, is the context every connection's handshake runs with (its ALPN
  // callback is replaced by one choosing h2). Returns the bound port (0 for
  // a unix socket). A unix socket's path must be free (the caller prepares
  // it).
  absl::StatusOr<int> Listen(const std::string& address, std::shared_ptr<SSL_CTX> tls);

  void Start();

  // After Start: serves a connection accepted elsewhere, in plaintext, from
  // its first byte (the HTTP/2 preface) on, as `peer` (not null). Takes
  // ownership of `fd`, which it makes non-blocking; after Shutdown it only
  // closes it. Safe to call from any thread.
  void Adopt(int fd, std::shared_ptr<const Peer> peer);

  // Stops accepting and tells every client to go away (GOAWAY); calls still
  // open after `grace` are cancelled. Then waits until every call has been
  // answered or finished by its handler (which must happen: the store
  // answers what it holds), closes the connections and joins the workers.
  void Shutdown(absl::Duration grace);

  // Live calls (unary calls not yet answered, streaming calls not yet
  // finished).
  int64_t live_calls() const { return live_calls_.load(std::memory_order_acquire); }

 private:
  friend class Worker;
  struct Listener {
    int fd = -1;
    std::shared_ptr<SSL_CTX> tls;
    std::string unix_path;  // removed when the server stops
  };
  void CloseListeners();
  void CallStarted() { live_calls_.fetch_add(1, std::memory_order_acq_rel); }
  void CallEnded();

  const ServerConfig options_;
  absl::flat_hash_map<std::string, Method> methods_;
  std::vector<Listener> listeners_;
  std::vector<std::unique_ptr<Worker>> workers_;
  bool started_ = false;
  bool stopped_ = false;
  std::atomic<int64_t> live_calls_{0};
  absl::Mutex mu_;
  absl::CondVar drained_;
  // Adopt may hand connections to the workers (between Start and the
  // workers' exit).
  bool adoptable_ ABSL_GUARDED_BY(mu_) = false;
  size_t next_adopter_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace minik8s::rpc

#endif  // MINIK8S_COMMON_RPC_H2_SERVER_H_
