// KvStore: the MVCC key-value store behind the etcd v3 API (etcd's mvcc store
// plus the parts of its applier that minik8s needs). It ties together the
// in-memory Index (key → revisions), the RocksDB Backend (revision → value),
// the Lessor and the WatchableStore.
//
// Writes (Put, DeleteRange, Txn with writes, Compact, Alarm, LeaseGrant,
// LeaseRevoke) are queued to one apply thread that implements group commit:
// it takes every queued request, applies them in order in memory (each gets
// the next revision), writes one WriteBatch with sync and publishes the new
// revision. The batch then goes to the completion stage, which queues the
// watch responses, completes every request of the batch and then starts the
// watch streams' writes, while the apply thread already applies and syncs
// the next batch. The completion stage is one thread that takes batches in
// order, all that piled up at once, so that a slow fan-out sends fewer and
// larger responses (a small batch of at most 1,000 events reaching an idle
// stage with few watchers is completed on the apply thread instead, to save
// the thread hop). An
// acknowledged write is durable.
//
// Reads (Range, read-only Txn) run on the caller's thread at the published
// revision and never wait for a sync: the index may already hold revisions
// of the batch being synced, but a read at the published revision ignores
// them (MVCC).
//
// Thread-safe. Completion callbacks run on the apply thread (or inline on
// validation errors and read-only txns) and must not block.
#ifndef MINIK8S_STORE_KVSTORE_H_
#define MINIK8S_STORE_KVSTORE_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "etcd/etcdserverpb/rpc.pb.h"
#include "rocksdb/write_batch.h"
#include "store/backend.h"
#include "store/index.h"
#include "store/lease.h"
#include "store/metrics.h"
#include "store/watchable_store.h"

namespace minik8s::store {

struct StoreOptions {
  std::string data_dir;
  int64_t max_txn_ops = 128;
  int64_t max_request_bytes = 1572864;
  // 0 = the default (2 GiB).
  int64_t quota_backend_bytes = 0;
  // Open a data dir with a torn write-ahead log by dropping the torn tail
  // (--unsafe-repair; see Backend::Open).
  bool unsafe_repair = false;
  const common::Clock* clock = common::RealClock::Get();
  // Run the lease expiry loop (tests drive RevokeExpiredLeases() instead).
  bool lease_expiry_loop = true;
  absl::Duration lease_check_interval = absl::Milliseconds(500);
  int64_t min_lease_ttl = kMinLeaseTTL;
  // Requests applied per group commit at most.
  size_t max_batch = 8192;
  // Deletions (of one record, or of a run of records by range) per
  // compaction step; a step walks at most 16 times as many records.
  size_t compaction_batch = 1000;
  absl::Duration compaction_pause = absl::Milliseconds(1);
  WatchOptions watch;
};

inline constexpr int64_t kDefaultQuotaBytes = int64_t{2} * 1024 * 1024 * 1024;

class KvStore : public HistorySource {
 public:
  using Done = std::function<void(absl::Status)>;

  static absl::StatusOr<std::unique_ptr<KvStore>> Open(const StoreOptions& options);
  ~KvStore() override;
  KvStore(const KvStore&) = delete;
  KvStore& operator=(const KvStore&) = delete;

  // Stops accepting writes, finishes queued ones, stops background loops. A
  // compaction's history deletion still running is left for the next Open()
  // to finish, and a running defragment is aborted, so Stop() returns
  // promptly; every acknowledged write is already durable.
  void Stop();

  // ---- KV. Asynchronous writes: req and resp must stay alive until done runs.
  // A write arriving alone while the store is idle is applied, synced and
  // answered on the calling thread (saving the hand-off to the apply thread)
  // unless `on_caller` is kNever: a caller that is the only thread serving
  // other requests must not wait for a sync, nor make every write wait for
  // the previous one's.
  enum class ApplyOnCaller { kWhenIdle, kNever };
  absl::Status Range(const etcdserverpb::RangeRequest& req,
                     etcdserverpb::RangeResponse* resp) const;
  void Put(const etcdserverpb::PutRequest* req, etcdserverpb::PutResponse* resp, Done done,
           ApplyOnCaller on_caller = ApplyOnCaller::kWhenIdle);
  void DeleteRange(const etcdserverpb::DeleteRangeRequest* req,
                   etcdserverpb::DeleteRangeResponse* resp, Done done,
                   ApplyOnCaller on_caller = ApplyOnCaller::kWhenIdle);
  void Txn(const etcdserverpb::TxnRequest* req, etcdserverpb::TxnResponse* resp, Done done,
           ApplyOnCaller on_caller = ApplyOnCaller::kWhenIdle);
  void Compact(const etcdserverpb::CompactionRequest* req, etcdserverpb::CompactionResponse* resp,
               Done done, ApplyOnCaller on_caller = ApplyOnCaller::kWhenIdle);

  // etcd's Maintenance.Defragment: rewrites RocksDB's files without the
  // deleted and compacted records and refreshes DbSize(), so that after
  // deletes and a compaction the space counts as free for the quota (and the
  // NOSPACE alarm can be disarmed for good). Runs on the compactor thread,
  // after the compactions scheduled before it; `done` runs there.
  void Defragment(Done done);
  absl::Status DefragmentSync();

  // ---- Leases.
  void LeaseGrant(const etcdserverpb::LeaseGrantRequest* req,
                  etcdserverpb::LeaseGrantResponse* resp, Done done,
                  ApplyOnCaller on_caller = ApplyOnCaller::kWhenIdle);
  void LeaseRevoke(const etcdserverpb::LeaseRevokeRequest* req,
                   etcdserverpb::LeaseRevokeResponse* resp, Done done,
                   ApplyOnCaller on_caller = ApplyOnCaller::kWhenIdle);
  // Renews; an unknown lease answers TTL 0 (as etcd), not an error.
  void LeaseKeepAlive(const etcdserverpb::LeaseKeepAliveRequest& req,
                      etcdserverpb::LeaseKeepAliveResponse* resp);
  void LeaseTimeToLive(const etcdserverpb::LeaseTimeToLiveRequest& req,
                       etcdserverpb::LeaseTimeToLiveResponse* resp) const;
  void LeaseLeases(etcdserverpb::LeaseLeasesResponse* resp) const;
  // One round of the expiry loop: revokes every expired lease and waits for
  // the revocations to be durable.
  void RevokeExpiredLeases();

  // ---- Alarms (Maintenance.Alarm). Only NOSPACE exists here: as etcd, it is
  // raised when a write would take the database past --quota-backend-bytes,
  // survives restarts, and until it is deactivated (`etcdctl alarm disarm`)
  // every write that adds data (put, txn with a put, lease grant) fails with
  // "database space exceeded"; reads, deletes and compaction still work.
  void Alarm(const etcdserverpb::AlarmRequest* req, etcdserverpb::AlarmResponse* resp, Done done,
             ApplyOnCaller on_caller = ApplyOnCaller::kWhenIdle);
  absl::Status AlarmSync(const etcdserverpb::AlarmRequest& req, etcdserverpb::AlarmResponse* resp);
  bool NoSpaceAlarm() const { return nospace_alarm_.load(std::memory_order_acquire); }

  // ---- Synchronous conveniences (block until durable).
  absl::Status PutSync(const etcdserverpb::PutRequest& req, etcdserverpb::PutResponse* resp);
  absl::Status DeleteRangeSync(const etcdserverpb::DeleteRangeRequest& req,
                               etcdserverpb::DeleteRangeResponse* resp);
  absl::Status TxnSync(const etcdserverpb::TxnRequest& req, etcdserverpb::TxnResponse* resp);
  absl::Status CompactSync(const etcdserverpb::CompactionRequest& req,
                           etcdserverpb::CompactionResponse* resp);
  absl::Status LeaseGrantSync(const etcdserverpb::LeaseGrantRequest& req,
                              etcdserverpb::LeaseGrantResponse* resp);
  absl::Status LeaseRevokeSync(const etcdserverpb::LeaseRevokeRequest& req,
                               etcdserverpb::LeaseRevokeResponse* resp);

  // ---- State.
  int64_t CurrentRevision() const { return committed_rev_.load(std::memory_order_acquire); }
  int64_t CompactedRevision() const override {
    return compacted_rev_.load(std::memory_order_acquire);
  }
  // Compaction whose history deletion has finished (<= CompactedRevision()).
  int64_t FinishedCompactRevision() const { return finished_compact_rev_.load(); }
  // History records compactions have deleted since Open() (each step adds
  // its batch once written).
  int64_t CompactionDeletedRecords() const { return compaction_deleted_.load(); }
  uint64_t member_id() const { return member_id_; }
  uint64_t cluster_id() const { return cluster_id_; }
  int64_t DbSize() const { return db_size_.load(); }
  const StoreOptions& options() const { return options_; }
  WatchableStore* watchable() { return watchable_.get(); }
  Lessor* lessor() { return lessor_.get(); }

  // HistorySource.
  absl::Status ReadHistory(int64_t from, int64_t to, int64_t max_revs, bool with_prev_kv,
                           std::vector<RevisionEvents>* out) const override;
  void FillHeader(etcdserverpb::ResponseHeader* header, int64_t rev) const override;
  bool ReadPrevKv(const std::string& key, int64_t rev, mvccpb::KeyValue* prev) const override;

  // Validates a txn without state: op counts, empty keys, duplicate keys.
  static absl::Status CheckTxn(const etcdserverpb::TxnRequest& req, int64_t max_txn_ops);

 private:
  enum class Kind { kPut, kDeleteRange, kTxn, kCompact, kLeaseGrant, kLeaseRevoke, kAlarm };
  struct PendingWrite {
    Kind kind;
    const google::protobuf::Message* req = nullptr;
    google::protobuf::Message* resp = nullptr;
    Done done;
    etcdserverpb::ResponseHeader* header = nullptr;
    absl::Status status;
    int64_t header_rev = 0;
    int64_t compact_rev = 0;  // kCompact: the scheduled revision
  };
  // The revision a write request is building.
  struct WriteCtx {
    int64_t rev = 0;  // main revision of the changes
    int64_t sub = 0;  // next sub revision; > 0 once something changed
    RevisionEvents events;
  };

  explicit KvStore(const StoreOptions& options);
  absl::Status Recover();
  // Moves up to max_batch queued writes into `batch`.
  void TakeBatch(std::deque<PendingWrite>* batch) ABSL_EXCLUSIVE_LOCKS_REQUIRED(queue_mu_);
  void Submit(Kind kind, const google::protobuf::Message* req, google::protobuf::Message* resp,
              etcdserverpb::ResponseHeader* header, Done done,
              ApplyOnCaller on_caller = ApplyOnCaller::kWhenIdle);
  void ApplyLoop();
  void ApplyBatch(std::deque<PendingWrite>* batch);
  void ApplyOne(PendingWrite* w);
  // A durable batch on its way to the completion stage.
  struct Committed {
    std::deque<PendingWrite> writes;
    std::vector<RevisionEvents> events;
    int64_t rev = 0;
  };
  // Notifies watchers of the batch, then completes its requests.
  void Complete(Committed* c);
  void CompletionLoop();
  void LeaseExpiryLoop();

  // Reading. `overlay` = read values written by the current batch too (apply
  // thread only).
  absl::Status ReadValue(const Revision& rev, bool overlay, mvccpb::KeyValue* kv) const;
  bool GetKey(const std::string& key, int64_t at_rev, bool overlay, mvccpb::KeyValue* kv) const;
  absl::Status RangeAt(const etcdserverpb::RangeRequest& req, int64_t current, int64_t read_rev,
                       bool overlay, etcdserverpb::RangeResponse* resp) const;
  absl::Status CheckRangeRevision(int64_t rev, int64_t current) const;

  // Txn (kvstore_txn.cc).
  static bool IsReadOnly(const etcdserverpb::TxnRequest& req);
  bool EvalCompares(const etcdserverpb::TxnRequest& req, int64_t read_rev, bool overlay) const;
  absl::Status CheckOps(const google::protobuf::RepeatedPtrField<etcdserverpb::RequestOp>& ops,
                        int64_t read_rev, bool overlay) const;
  absl::Status ReadOnlyTxn(const etcdserverpb::TxnRequest& req, int64_t rev,
                           etcdserverpb::TxnResponse* resp) const;
  absl::Status ApplyTxn(const etcdserverpb::TxnRequest& req, WriteCtx* ctx,
                        etcdserverpb::TxnResponse* resp);
  absl::Status CheckPut(const etcdserverpb::PutRequest& req, int64_t read_rev, bool overlay) const;
  absl::Status ApplyPut(const etcdserverpb::PutRequest& req, WriteCtx* ctx,
                        etcdserverpb::PutResponse* resp);
  void ApplyDelete(const etcdserverpb::DeleteRangeRequest& req, WriteCtx* ctx,
                   etcdserverpb::DeleteRangeResponse* resp);
  // Deletes `key` (live) in ctx; fills prev if given.
  void DeleteKey(const std::string& key, WriteCtx* ctx, mvccpb::KeyValue* prev);
  bool QuotaExceeded(size_t request_bytes) const;
  // The error of a write that adds `request_bytes`, or OK: NoSpace while the
  // alarm is raised, and raising it (durably, in this batch) when the write
  // would exceed the quota. Apply thread only.
  absl::Status CheckSpace(size_t request_bytes);
  absl::Status ApplyAlarm(const etcdserverpb::AlarmRequest& req, etcdserverpb::AlarmResponse* resp);

  // Compaction (kvstore_compaction.cc).
  absl::Status CheckCompact(int64_t rev) const;
  // Trims the index and deletes obsolete history up to `rev`, then records
  // the compaction as finished. Runs on the compactor thread (or in Recover).
  absl::Status RunCompaction(int64_t rev);
  void CompactorLoop();
  // Backend::Defragment, then DbSize() refreshed. Compactor thread.
  absl::Status RunDefragment();

  const StoreOptions options_;
  std::unique_ptr<Backend> backend_;
  Index index_;
  // etcd_debugging_mvcc_keys_total reads index_ (store/metrics.h).
  std::unique_ptr<metrics::GaugeFuncFamily::Registration> keys_gauge_;
  std::unique_ptr<Lessor> lessor_;
  std::unique_ptr<WatchableStore> watchable_;
  uint64_t member_id_ = 0;
  uint64_t cluster_id_ = 0;
  int64_t quota_ = kDefaultQuotaBytes;
  std::atomic<bool> nospace_alarm_{false};

  std::atomic<int64_t> committed_rev_{0};
  std::atomic<int64_t> compacted_rev_{0};
  std::atomic<int64_t> finished_compact_rev_{0};
  std::atomic<int64_t> compaction_deleted_{0};
  std::atomic<int64_t> db_size_{0};

  // The write queue.
  absl::Mutex queue_mu_;
  std::deque<PendingWrite> queue_ ABSL_GUARDED_BY(queue_mu_);
  bool stopping_ ABSL_GUARDED_BY(queue_mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(queue_mu_) = false;
  // A batch is being applied, by the apply thread or by a submitting thread
  // that found the store idle (see Submit).
  bool applying_ ABSL_GUARDED_BY(queue_mu_) = false;
  // The last batch taken had one write: writes are coming one at a time.
  bool last_batch_single_ ABSL_GUARDED_BY(queue_mu_) = true;

  // Apply-thread state.
  int64_t applied_rev_ = 0;
  absl::flat_hash_map<Revision, mvccpb::KeyValue> overlay_;
  rocksdb::WriteBatch batch_;
  // A history record being serialized into batch_ (which copies it): reused,
  // so that a put costs no allocation for it.
  std::string record_;
  std::vector<RevisionEvents> batch_events_;
  absl::Time last_size_refresh_;
  std::thread apply_thread_;

  // The completion stage.
  absl::Mutex completion_mu_;
  std::deque<Committed> completion_queue_ ABSL_GUARDED_BY(completion_mu_);
  bool completion_busy_ ABSL_GUARDED_BY(completion_mu_) = false;
  bool completion_stopping_ ABSL_GUARDED_BY(completion_mu_) = false;
  std::thread completion_thread_;

  // Compactor: scheduled compactions waiting to run, with their waiters;
  // revision 0 is a defragment (a compaction's revision is always > 0).
  mutable absl::Mutex compact_mu_;
  std::deque<std::pair<int64_t, Done>> compact_queue_ ABSL_GUARDED_BY(compact_mu_);
  bool compact_stopping_ ABSL_GUARDED_BY(compact_mu_) = false;
  std::thread compactor_thread_;
  // Set when Stop() begins: a running compaction stops between steps.
  std::atomic<bool> compactor_abort_{false};

  absl::Mutex lease_loop_mu_;
  bool lease_loop_stopping_ ABSL_GUARDED_BY(lease_loop_mu_) = false;
  std::thread lease_thread_;
};

}  // namespace minik8s::store

#endif  // MINIK8S_STORE_KVSTORE_H_
