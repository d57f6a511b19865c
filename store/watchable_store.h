// WatchableStore: delivers committed changes to watchers, as etcd's
// mvcc watchable_store.
//
// Watchers live in one of two groups:
//   synced   — caught up; the apply path hands every committed revision to
//              Notify(), which appends one response per matching watcher to
//              that watcher's stream buffer.
//   unsynced — behind: created with an old start revision, or a "victim"
//              whose stream buffer was full when Notify ran. A background
//              loop reads history from the backend, feeds it to these
//              watchers as their streams drain, and moves them to synced once
//              they reach the current revision.
// Writers never wait for a slow watcher (it just becomes unsynced), and no
// event is lost or reordered: a watcher's next revision (`next_rev`) only
// moves forward, and it is in exactly one group at a time.
//
// Sending is decoupled from queueing: Notify() (and every other producer)
// only appends to a stream's queue under the locks; a stream that was idle is
// then "claimed" and put on a pending-send list, and whoever produced it calls
// StartPendingSends() after releasing the locks, which hands each pending
// stream's first response to its transport. While a stream is claimed or its
// write is in flight, newer event responses of the same watcher merge into
// the queued one, so a busy transport gets fewer, larger responses.
//
// Lock order: WatchableStore::mu_ → WatchableStore::send_mu_ →
// WatchStream::mu_. The history source is called with mu_ held (bounded
// reads); it must not call back into this class.
//
// Thread-safe.
#ifndef MINIK8S_STORE_WATCHABLE_STORE_H_
#define MINIK8S_STORE_WATCHABLE_STORE_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "etcd/etcdserverpb/rpc.pb.h"
#include "etcd/mvccpb/kv.pb.h"

namespace minik8s::store {

// All events of one revision, in the order of the changes. prev_kv is set on
// every event whose key existed before, except that the apply path skips
// reading the previous value of a put or delete while no watcher asks for prev_kv
// (WatchableStore::WantsPrevKv); it then sets prev_kv_missing, and a prev_kv
// watcher that appeared meanwhile gets the value read back from history.
struct RevisionEvents {
  int64_t rev = 0;
  std::vector<mvccpb::Event> events;
  bool prev_kv_missing = false;
};

// Where the watchable store reads what it did not see live.
class HistorySource {
 public:
  virtual ~HistorySource() = default;
  virtual int64_t CompactedRevision() const = 0;
  // Events of revisions from..to (inclusive) in order, at most `max_revs`
  // revisions; prev_kv filled when `with_prev_kv`.
  virtual absl::Status ReadHistory(int64_t from, int64_t to, int64_t max_revs, bool with_prev_kv,
                                   std::vector<RevisionEvents>* out) const = 0;
  virtual void FillHeader(etcdserverpb::ResponseHeader* header, int64_t rev) const = 0;
  // The value `key` had just before revision `rev`; false if it had none.
  virtual bool ReadPrevKv(const std::string& key, int64_t rev, mvccpb::KeyValue* prev) const = 0;
};

struct WatchOptions {
  // Responses a stream may buffer before its watchers become unsynced.
  size_t stream_buffer = 1024;
  // How often the unsynced group is served.
  absl::Duration sync_interval = absl::Milliseconds(100);
  // Period of progress notifications for watchers that asked for them.
  absl::Duration progress_notify_interval = absl::Minutes(10);
  // Revisions read from history per sync round.
  int64_t max_revs_per_sync = 1000;
  // Events per response when sending history (a revision is never split).
  size_t max_events_per_response = 1000;
};

class WatchableStore;

// One client watch stream (a gRPC Watch call): creates and cancels watchers,
// buffers responses and hands them to the transport one at a time.
class WatchStream {
 public:
  // Starts sending a response; called with no lock of this class held, at
  // most one response outstanding. The transport calls NextToSend() when it
  // is done. The stream counts as Writing() from before this call until
  // NextToSend() returns nullopt, so a transport that finishes only when
  // !Writing() stays alive for the call.
  using SendFn = std::function<void(etcdserverpb::WatchResponse&&)>;

  ~WatchStream();

  void Create(const etcdserverpb::WatchCreateRequest& req);
  void Cancel(int64_t watch_id);
  // A progress notification (watch id -1) at the current revision, as etcd
  // 3.5 answers it: only once every watcher of the stream is synced, so that
  // it never claims a revision whose events a catching-up watcher of the
  // stream has not been sent yet. Until then it is deferred (one at a time).
  void RequestProgress();
  // Called by the transport when a write SendFn started is done: the next
  // buffered response, or nullopt (the stream becomes idle; the next buffered
  // response will go through SendFn).
  std::optional<etcdserverpb::WatchResponse> NextToSend();
  // Unregisters every watcher and drops what is queued; no SendFn call starts
  // after it returns.
  void Close();
  // True while a response is about to be handed to, or is in, the transport.
  bool Writing() const;

 private:
  friend class WatchableStore;
  WatchStream(WatchableStore* store, SendFn send) : store_(store), send_(std::move(send)) {}

  // Queues `resp`; returns false if the buffer is full (unless force). An
  // idle stream is claimed and put on the store's pending-send list: the
  // caller must call store_->StartPendingSends() once it released its locks.
  // Called with store_->mu_ held.
  bool Enqueue(etcdserverpb::WatchResponse resp, bool force);
  bool HasRoom(size_t limit) const;
  // Appends the events of `resp` to the newest queued response of the same
  // watcher, if nothing that must stay ordered after it was queued since.
  bool MergeIntoQueued(etcdserverpb::WatchResponse* resp) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AddWatcher(const etcdserverpb::WatchCreateRequest& req);

  WatchableStore* store_;
  SendFn send_;
  mutable absl::Mutex mu_;
  // Responses not yet handed to the transport.
  std::deque<etcdserverpb::WatchResponse> queue_ ABSL_GUARDED_BY(mu_);
  // Claimed: on the pending-send list, or a write in flight.
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  // On store_->pending_sends_; guarded by store_->send_mu_.
  bool send_pending_ = false;
  // True if no watcher of the stream is unsynced. Needs store_->mu_.
  bool AllSynced() const;

  // Guarded by store_->mu_.
  int64_t next_id_ = 0;
  bool progress_deferred_ = false;
  absl::flat_hash_map<int64_t, std::unique_ptr<struct Watcher>> watchers_;
};

struct Watcher {
  int64_t id = 0;
  std::string key;
  std::string end;
  int64_t next_rev = 0;  // first revision not yet handed to the stream
  bool prev_kv = false;
  bool progress_notify = false;
  bool no_put = false;
  bool no_delete = false;
  bool synced = false;
  WatchStream* stream = nullptr;  // the owner
};

class WatchableStore {
 public:
  // `source` must outlive this object.
  WatchableStore(const HistorySource* source, int64_t current_rev, WatchOptions options);
  ~WatchableStore();

  // Starts/stops the background sync and progress loops.
  void Start();
  void Stop();

  std::unique_ptr<WatchStream> NewStream(WatchStream::SendFn send);

  // Called by the apply path, in revision order, once the revisions are
  // durable. Queues the responses; the caller then calls StartPendingSends().
  void Notify(const std::vector<RevisionEvents>& batch, int64_t current_rev);

  // Hands the first queued response of every claimed stream to its
  // transport. Call with no lock of this class held; any thread may, and
  // several may at once.
  void StartPendingSends();

  // One round of serving unsynced watchers (the background loop calls it).
  void SyncOnce();
  // Sends a progress notification to every synced watcher that asked.
  void SendProgressNotifications();

  size_t SyncedCount() const;
  // SyncedCount() without taking the lock; may be momentarily stale.
  size_t SyncedCountHint() const { return synced_hint_.load(std::memory_order_relaxed); }
  size_t UnsyncedCount() const;
  // True while some watcher (synced or not) asked for prev_kv.
  bool WantsPrevKv() const { return prev_kv_watchers_.load(std::memory_order_acquire) > 0; }

 private:
  friend class WatchStream;

  // One round of SyncOnce() without the sends; false if there was nothing
  // to do (no unsynced watcher).
  bool SyncRound();
  void AddSynced(Watcher* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RemoveWatcher(Watcher* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  etcdserverpb::WatchResponse MakeResponse(const Watcher& w, int64_t rev) const;
  // Appends the matching, filtered events of `re` to `resp`; returns count.
  size_t AppendEvents(const Watcher& w, const RevisionEvents& re,
                      etcdserverpb::WatchResponse* resp) const;
  // Called when a watcher is destroyed.
  void Forget(const Watcher& w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CancelCompacted(Watcher* w, int64_t compacted) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Queues the progress notification `stream` deferred, if it is now due.
  void MaybeSendDeferredProgress(WatchStream* stream) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const HistorySource* source_;
  const WatchOptions options_;

  mutable absl::Mutex mu_;
  int64_t current_rev_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, absl::flat_hash_set<Watcher*>> synced_keys_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<Watcher*> synced_ranges_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<Watcher*> unsynced_ ABSL_GUARDED_BY(mu_);

  // Claimed streams whose first response is not yet with the transport.
  absl::Mutex send_mu_ ABSL_ACQUIRED_AFTER(mu_);
  std::deque<WatchStream*> pending_sends_ ABSL_GUARDED_BY(send_mu_);
  size_t synced_count_ ABSL_GUARDED_BY(mu_) = 0;
  std::atomic<size_t> synced_hint_{0};
  std::atomic<int64_t> prev_kv_watchers_{0};

  absl::Mutex loop_mu_;
  bool stopping_ ABSL_GUARDED_BY(loop_mu_) = false;
  bool kicked_ ABSL_GUARDED_BY(loop_mu_) = false;
  std::thread sync_thread_;
  std::thread progress_thread_;

 public:
  // Wakes the sync loop early (a watcher became unsynced).
  void Kick();
};

}  // namespace minik8s::store

#endif  // MINIK8S_STORE_WATCHABLE_STORE_H_
