// A gRPC client channel: gRPC's wire protocol (HTTP/2, length-prefixed
// messages, grpc-status trailers) spoken directly on nghttp2, over TCP or a
// unix socket, with or without TLS (OpenSSL) — the client side of
// h2_server.h. minik8s' components reach the apiserver through it
// (client/api_client.cc); it talks to any gRPC server.
//
// Why not gRPC's own channel: with TLS, gRPC 1.51's client secure endpoint
// copies every read through its frame protector and calls OpenSSL once per
// small record; over a 10,000-pod run each component paid 0.02-0.04 ms a
// pod for it (bench/cluster/README.md). Here a connection reads and writes
// whole buffers with one SSL_read/SSL_write each.
//
// Model. One thread per Channel runs a poll loop over its one connection;
// every nghttp2 call happens on it. Callers hand their calls over through a
// queue (and an eventfd that wakes the loop) and wait: a unary call for its
// answer, a stream reader for its next message.
//
// Connection management, as gRPC's pick-first channel behaves to a caller:
// - The connection is made on the first call, and again after it is lost.
// - A call waits for the connection while it is being made (at most its
//   deadline, and the attempt at most connect_timeout).
// - A failed attempt fails the calls that waited for it with UNAVAILABLE
//   (the message names the address and the error: "Connection refused").
//   Until the backoff after it has passed (initial_reconnect_backoff, x1.6
//   each failure up to max_reconnect_backoff; reset by a success), new calls
//   fail at once with the same status; the first call after it starts the
//   next attempt.
// - GOAWAY: calls the server did not take (stream ids above its
//   last-stream-id) move to a new connection transparently; the others run
//   to their end on the old one, which is then closed.
// - A connection that drops fails its calls with UNAVAILABLE.
// - Keepalive: while calls are open, a PING after keepalive_time with
//   nothing received; no answer within keepalive_timeout closes the
//   connection (its calls fail with UNAVAILABLE).
//
// Deadlines go to the server as grpc-timeout and are timed here too: at the
// deadline the call is reset (RST_STREAM CANCEL) and fails with
// DEADLINE_EXCEEDED, whether or not the server answered in time.
//
// TLS: the server's certificate must chain to the CA given (or the system's
// roots) and name the host dialled, as an IP or DNS subject alternative
// name; the client certificate, when given, is presented. ALPN offers h2.
//
// Limits: an answer larger than max_receive_message_bytes fails the call
// with RESOURCE_EXHAUSTED; compressed answers fail it with INTERNAL (none
// is asked for). A stream's messages are buffered here as they arrive (the
// window is opened as data is received, not as the reader reads).
//
// Thread safety: all methods are thread-safe. A ClientStream may outlive
// its Channel (it then ends with CANCELLED).
#ifndef MINIK8S_COMMON_RPC_H2_CLIENT_H_
#define MINIK8S_COMMON_RPC_H2_CLIENT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/tls.h"

namespace minik8s::rpc {

class ClientCore;
struct ClientCall;

struct ChannelOptions {
  // "host:port", "[v6addr]:port", "unix:/path" or "unix:///path".
  std::string target;
  // TLS with these files; nullopt: plaintext.
  std::optional<TlsClientFiles> tls;
  // Sent first in user-agent (gRPC's GRPC_ARG_PRIMARY_USER_AGENT_STRING).
  std::string user_agent;
  absl::Duration connect_timeout = absl::Seconds(20);
  absl::Duration initial_reconnect_backoff = absl::Milliseconds(100);
  absl::Duration max_reconnect_backoff = absl::Seconds(2);
  absl::Duration keepalive_time = absl::Minutes(5);
  absl::Duration keepalive_timeout = absl::Seconds(20);
  int64_t max_receive_message_bytes = 4 << 20;
};

// How a call ended: the gRPC status (code and grpc-message) and the
// grpc-status-details-bin bytes the server sent with it ("" when none).
struct CallStatus {
  absl::Status status;
  std::string details;
  bool ok() const { return status.ok(); }
};

struct CallOptions {
  // absl::InfiniteFuture(): none.
  absl::Time deadline = absl::InfiniteFuture();
  // Custom metadata: names lowercase; a name ending in -bin has a binary
  // value, sent base64-encoded.
  std::vector<std::pair<std::string, std::string>> metadata;
};

// A server-streaming call as its reader holds it.
class ClientStream {
 public:
  ~ClientStream();  // cancels the call if it has not ended
  ClientStream(const ClientStream&) = delete;
  ClientStream& operator=(const ClientStream&) = delete;

  // The next message (unprefixed) into *message; false once the call has
  // ended (Finish tells how). Blocks until a message or the end arrives.
  bool Read(std::string* message);
  // Ends the call from the client's side (RST_STREAM CANCEL); a Read
  // blocked meanwhile returns false. Safe from any thread, repeatedly.
  void Cancel();
  // After Read returned false: how the call ended (CANCELLED after Cancel).
  CallStatus Finish();

 private:
  friend class Channel;
  ClientStream(std::shared_ptr<ClientCore> core, std::shared_ptr<ClientCall> call);
  std::shared_ptr<ClientCore> core_;
  std::shared_ptr<ClientCall> call_;
};

class Channel {
 public:
  // Checks the target and reads the TLS files; no I/O happens until the
  // first call.
  static absl::StatusOr<std::unique_ptr<Channel>> Create(ChannelOptions options);
  ~Channel();  // fails calls still open with CANCELLED, joins the thread
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // A unary call: `method` as on the wire ("/pkg.Service/Method"),
  // `request` serialized. On OK, *response holds the serialized answer.
  CallStatus Call(std::string_view method, std::string_view request, const CallOptions& options,
                  std::string* response);

  // A server-streaming call (one request message, any number of answers).
  std::unique_ptr<ClientStream> StartStream(std::string_view method, std::string_view request,
                                            const CallOptions& options);

 private:
  explicit Channel(std::shared_ptr<ClientCore> core);
  std::shared_ptr<ClientCore> core_;
};

}  // namespace minik8s::rpc

#endif  // MINIK8S_COMMON_RPC_H2_CLIENT_H_
