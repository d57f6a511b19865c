// A small etcd v3 client over the generated etcdserverpb stubs, for the
// apiserver's storage layer. It works against a real etcd and against
// minik8s-store alike.
//
// Endpoints: one channel per endpoint of --etcd-servers. A call goes to the
// current endpoint; when it fails with UNAVAILABLE the client moves on to the
// next endpoint and tries once more per endpoint. Channels reconnect by
// themselves (short reconnect backoff), so a store that comes back is used
// again without any action by the caller.
//
// Deadlines: every unary call has a deadline (`call_timeout`); a store that
// is down or unreachable fails fast with absl::StatusCode::kUnavailable and a
// message starting with "storage is unavailable: ". A deadline hit is also
// reported as unavailable (the store did not answer in time).
//
// Watch: RunWatch() runs one watch stream until it ends or Cancel() is
// called; responses are delivered on the calling thread. Another thread may
// ask for a progress response meanwhile (Watch::RequestProgress()).
//
// Thread safety: all methods are safe to call concurrently.
#ifndef MINIK8S_APISERVER_STORAGE_ETCD_CLIENT_H_
#define MINIK8S_APISERVER_STORAGE_ETCD_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "etcd/etcdserverpb/rpc.grpc.pb.h"

namespace minik8s::apiserver {

// The smallest key greater than every key with `prefix` (etcd's "range end"
// for a prefix scan).
std::string PrefixRangeEnd(const std::string& prefix);

class EtcdClient {
 public:
  struct Options {
    // gRPC addresses ("127.0.0.1:2379"), at least one.
    std::vector<std::string> endpoints;
    absl::Duration call_timeout = absl::Seconds(5);
    // One per endpoint when set: how it is dialled (TLS for an https://
    // endpoint); empty or nullptr = plaintext.
    std::vector<std::shared_ptr<grpc::ChannelCredentials>> credentials;
  };

  // Creates the channels; does not connect yet.
  static absl::StatusOr<std::unique_ptr<EtcdClient>> Create(Options options);

  absl::StatusOr<etcdserverpb::RangeResponse> Range(const etcdserverpb::RangeRequest& request);
  absl::StatusOr<etcdserverpb::TxnResponse> Txn(const etcdserverpb::TxnRequest& request);
  // Txn without blocking the caller: `done` runs once with the answer, on a
  // gRPC thread (it must not block for long). Same deadline and fail-over as
  // Txn(). The client must outlive the call.
  using TxnDone = std::function<void(absl::StatusOr<etcdserverpb::TxnResponse>)>;
  void TxnAsync(etcdserverpb::TxnRequest request, TxnDone done);
  absl::StatusOr<etcdserverpb::DeleteRangeResponse> DeleteRange(
      const etcdserverpb::DeleteRangeRequest& request);
  absl::StatusOr<etcdserverpb::CompactionResponse> Compact(int64_t revision);
  // Grants a lease of `ttl_seconds`; returns its id.
  absl::StatusOr<int64_t> LeaseGrant(int64_t ttl_seconds);
  // The store's current revision (a cheap count-only range).
  absl::StatusOr<int64_t> CurrentRevision();

  // A running watch stream; Cancel() ends it and RequestProgress() asks the
  // store for a progress response, from any thread.
  class Watch {
   public:
    void Cancel() { context_.TryCancel(); }

    // Sends a WatchProgressRequest on the stream. The store answers with a
    // response of watch_id -1, no events and header.revision = its current
    // revision (etcd: once the stream's watchers have caught up). Returns
    // false when the stream is not running (not started yet, or ended).
    bool RequestProgress();

   private:
    friend class EtcdClient;
    using Stream =
        grpc::ClientReaderWriter<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>;

    grpc::ClientContext context_;
    absl::Mutex mu_;
    // Set while RunWatch() may be written to; writes are serialized by mu_.
    Stream* stream_ ABSL_GUARDED_BY(mu_) = nullptr;
  };

  // Watches [key, range_end) from `start_revision` with prev_kv, calling
  // `on_response` for every response (on this thread) until the stream ends,
  // `on_response` returns false, or `watch->Cancel()` is called. Returns the
  // reason the stream ended: OK when cancelled by either side, kOutOfRange
  // with the compact revision in the message when `start_revision` is
  // compacted, kUnavailable when the store went away. `watch` must outlive
  // the call.
  absl::Status RunWatch(const std::string& key, const std::string& range_end,
                        int64_t start_revision,
                        const std::function<bool(const etcdserverpb::WatchResponse&)>& on_response,
                        Watch* watch);

  const std::vector<std::string>& endpoints() const { return options_.endpoints; }

 private:
  struct Endpoint {
    std::string address;
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<etcdserverpb::KV::Stub> kv;
    std::unique_ptr<etcdserverpb::Watch::Stub> watch;
    std::unique_ptr<etcdserverpb::Lease::Stub> lease;
  };

  explicit EtcdClient(Options options);

  struct AsyncTxn;
  // One attempt of a TxnAsync on endpoint (start + attempt) % n.
  void StartTxnAttempt(std::shared_ptr<AsyncTxn> txn);

  // Runs `call` against the current endpoint, failing over on UNAVAILABLE.
  absl::Status Call(const char* what,
                    const std::function<grpc::Status(Endpoint&, grpc::ClientContext*)>& call);

  Options options_;
  std::vector<std::unique_ptr<Endpoint>> endpoints_;
  std::atomic<size_t> current_{0};
};

// Converts a gRPC status from the store into the apiserver's absl::Status:
// UNAVAILABLE / DEADLINE_EXCEEDED / CANCELLED → kUnavailable "storage is
// unavailable: ...", others keep their code.
absl::Status StorageError(const char* what, const grpc::Status& status);

}  // namespace minik8s::apiserver

#endif  // MINIK8S_APISERVER_STORAGE_ETCD_CLIENT_H_
