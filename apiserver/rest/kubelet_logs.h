// The kubelet side of pods/log: one container log read from a kubelet's
// `minik8s.kubelet.v1.Kubelet/ContainerLogs` stream and handed to the HTTP
// server as a StreamSource (text/plain, one line a `\n`-terminated line),
// each batch of lines passed on as soon as it arrives.
//
// Reading uses gRPC's callback client API (a ClientReadReactor per stream),
// so a `follow` stream holds no thread while it waits for the container to
// write: the kubelet's messages arrive on gRPC's callback threads, the HTTP
// server pulls on its event loop. Flow control: at most
// Options::max_buffered_bytes wait for the HTTP client; beyond that the next
// gRPC read is issued only once the client has taken what is buffered, so a
// slow client slows the kubelet down instead of filling memory.
//
// What the kubelet API lacks is applied here: `sinceSeconds`/`sinceTime`
// drop lines stamped before the cut-off (after the kubelet's tail, as
// Kubernetes' kubelet applies them), `limitBytes` ends the body after that
// many bytes (possibly inside a line) and cancels the kubelet's stream.
//
// Thread safety: KubeletLogReader and the streams it opens are thread-safe.
// Destroying the reader cancels the streams still running and waits until
// gRPC has finished with each of them; HTTP connections still holding one
// then see its end.
#ifndef MINIK8S_APISERVER_REST_KUBELET_LOGS_H_
#define MINIK8S_APISERVER_REST_KUBELET_LOGS_H_

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/support/client_callback.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "apiserver/rest/http_types.h"
#include "common/tls.h"
#include "kubelet/v1/kubelet.grpc.pb.h"

namespace minik8s::apiserver::rest {

// One log to read: what the kubelet is asked for and what the apiserver
// applies itself.
struct KubeletLogRequest {
  // namespace, pod, container, follow, previous, timestamps, tail_lines.
  kubelet::v1::ContainerLogsRequest kubelet;
  // The pod's node, named in errors.
  std::string node;
  // Lines stamped before this are dropped.
  std::optional<absl::Time> since;
  // The body ends after this many bytes (> 0).
  std::optional<int64_t> limit_bytes;
};

class KubeletLogStream;
class KubeletLogStreamSet;

class KubeletLogReader {
 public:
  struct Options {
    // How long connecting to a kubelet may take.
    absl::Duration dial_timeout = absl::Seconds(5);
    // How long Open() waits for the kubelet's first answer (a line, its
    // refusal, the end of the log) before it starts the stream anyway (a
    // followed log may stay quiet; a kubelet that refuses does so at once).
    absl::Duration first_answer_wait = absl::Seconds(1);
    // Text read ahead of the HTTP client at most (one kubelet message may
    // go beyond it).
    size_t max_buffered_bytes = 1 << 20;
    // Cached kubelet channels at most; beyond that the cache starts over.
    size_t max_channels = 256;
    // The kubelets serve TLS: their certificates are checked against this
    // CA, and this client certificate is presented; nullopt: plaintext.
    std::optional<TlsClientFiles> kubelet_tls;
  };

  explicit KubeletLogReader(Options options);
  ~KubeletLogReader();
  KubeletLogReader(const KubeletLogReader&) = delete;
  KubeletLogReader& operator=(const KubeletLogReader&) = delete;

  // Starts reading `request` from the kubelet at `address` (`host:port`)
  // and waits (at most dial_timeout) until the kubelet answered or the
  // connection is up. Errors, built with client/pod_logs.h's
  // KubeletLogsError: the kubelet's refusal before any line (BadRequest
  // with its message), an unreachable kubelet (InternalError naming pod,
  // node and address). The stream is ready for Responder::Stream; it runs
  // until the log ends, it is cancelled, or the reader is destroyed.
  absl::StatusOr<std::shared_ptr<KubeletLogStream>> Open(const std::string& address,
                                                         KubeletLogRequest request);

  // Streams whose gRPC call has not finished yet.
  size_t running() const;

 private:
  // The cached channel to `address`; an error when the TLS files cannot be
  // read.
  absl::StatusOr<std::shared_ptr<grpc::Channel>> Channel(const std::string& address);

  const Options options_;
  const std::shared_ptr<KubeletLogStreamSet> streams_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<grpc::Channel>> channels_ ABSL_GUARDED_BY(mu_);
};

// A running ContainerLogs call as a StreamSource. Made by
// KubeletLogReader::Open; owned by whoever holds it, and kept alive by the
// call itself until gRPC has finished with it.
//
// A stream is never destroyed on a gRPC callback thread: it owns the stub,
// and so possibly the last reference to a grpc::Channel, whose destruction
// there would shut down (and join) the very completion queue threads the
// callback runs on. When the call finishes, its own reference goes to the
// reader, which drops it on an apiserver thread (the next Open(), or its
// destructor).
class KubeletLogStream final : public StreamSource,
                               public std::enable_shared_from_this<KubeletLogStream>,
                               private grpc::ClientReadReactor<kubelet::v1::ContainerLogsResponse> {
 public:
  // Use KubeletLogReader::Open.
  KubeletLogStream(KubeletLogRequest request, size_t max_buffered_bytes);
  ~KubeletLogStream() override;

  // StreamSource. Cancel() cancels the kubelet's stream and drops what was
  // not pulled.
  void Start(std::function<void()> wake) override;
  Next Pull(std::string* out) override;
  void Cancel() override;

  // Cancels the call from the apiserver's side (shutdown, a dial that timed
  // out): unlike Cancel(), the HTTP client is woken and pulls the end.
  void Abort();

  // Blocks until gRPC has finished the call (its status is then final and
  // the reader no longer counts it as running).
  void AwaitDone();
  // The call's status once it finished; OK before.
  grpc::Status status() const;

 private:
  friend class KubeletLogReader;
  friend class KubeletLogStreamSet;

  // Starts the call on `stub`; `set` learns when gRPC has finished it.
  void Begin(std::unique_ptr<kubelet::v1::Kubelet::Stub> stub,
             std::shared_ptr<KubeletLogStreamSet> set);
  // Waits until the kubelet answered (a message, or the end of the call)
  // or `deadline`; whether it did.
  bool AwaitAnswer(absl::Time deadline);
  // The kubelet's error when the call failed before any text came.
  std::optional<grpc::Status> FailedBeforeText();
  // Reactions.
  void OnReadDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

  // Appends `response`'s lines to pending_ (since and limit applied).
  void TakeLines(const kubelet::v1::ContainerLogsResponse& response)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Whether the read side's hold is to be given up now (no read in flight
  // and none will be started), marking it given up.
  bool ReleaseHoldLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool Stopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return cancelled_ || aborted_ || limit_reached_;
  }

  const KubeletLogRequest request_;
  const size_t max_buffered_bytes_;
  const int64_t since_nanos_;  // 0: no cut-off
  grpc::ClientContext context_;
  std::unique_ptr<kubelet::v1::Kubelet::Stub> stub_;
  // Written only by the reaction that owns the read in flight.
  kubelet::v1::ContainerLogsResponse response_;

  mutable absl::Mutex mu_;
  std::function<void()> wake_ ABSL_GUARDED_BY(mu_);
  std::string pending_ ABSL_GUARDED_BY(mu_);  // text not pulled yet
  int64_t taken_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool answered_ ABSL_GUARDED_BY(mu_) = false;  // a message came, or the end
  bool any_text_ ABSL_GUARDED_BY(mu_) = false;
  bool reading_ ABSL_GUARDED_BY(mu_) = false;      // a StartRead in flight
  bool read_closed_ ABSL_GUARDED_BY(mu_) = false;  // a read came back not ok
  bool hold_ ABSL_GUARDED_BY(mu_) = false;         // the read side's hold
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool aborted_ ABSL_GUARDED_BY(mu_) = false;
  bool limit_reached_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;  // status_ is final
  bool done_ ABSL_GUARDED_BY(mu_) = false;      // ... and the reader forgot the stream
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<KubeletLogStreamSet> set_ ABSL_GUARDED_BY(mu_);
  // The call's own reference: set by Begin, dropped by OnDone.
  std::shared_ptr<KubeletLogStream> self_ ABSL_GUARDED_BY(mu_);
};

}  // namespace minik8s::apiserver::rest

#endif  // MINIK8S_APISERVER_REST_KUBELET_LOGS_H_
