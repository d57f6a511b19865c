// Backend: the durable half of the store, on RocksDB. Three column families:
//   "history" encoded revision (revision.h) → serialized mvccpb::KeyValue;
//             a delete is stored under the tombstone-marked revision with a
//             KeyValue holding only key and mod_revision.
//   "meta"    current revision, compaction points, member and cluster ids.
//   "lease"   8-byte big-endian lease id → granted TTL (8 bytes).
// Every write is one WriteBatch written with sync=true, so an acknowledged
// write survives a crash of the process or the machine.
//
// Thread-safe (RocksDB is): any thread may read; the store's single apply
// thread and the compactor write.
#ifndef MINIK8S_STORE_BACKEND_H_
#define MINIK8S_STORE_BACKEND_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "etcd/mvccpb/kv.pb.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "store/revision.h"

namespace minik8s::store {

// Meta keys.
inline constexpr char kMetaCurrentRev[] = "current_rev";
inline constexpr char kMetaScheduledCompact[] = "scheduled_compact_rev";
inline constexpr char kMetaFinishedCompact[] = "finished_compact_rev";
inline constexpr char kMetaMemberId[] = "member_id";
inline constexpr char kMetaClusterId[] = "cluster_id";
// 1 while the NOSPACE alarm is raised (absent otherwise).
inline constexpr char kMetaAlarmNoSpace[] = "alarm_nospace";

std::string EncodeInt64(int64_t v);
int64_t DecodeInt64(const std::string& s);

struct BackendOptions {
  // Open a data dir whose newest write-ahead log is torn (ends inside a
  // record): drop the torn tail and recover to the last complete record
  // (`--unsafe-repair`). Without it such a dir is refused.
  bool unsafe_repair = false;
};

class Backend {
 public:
  // Opens or creates the database in `dir`. A directory locked by another
  // process gives FailedPrecondition with a sentence saying so.
  //
  // A new `dir` is created 0700 and every file RocksDB creates in it is made
  // 0600 (as etcd's data dir); an existing dir that others may read or enter
  // is used with a warning.
  //
  // Before opening, the write-ahead logs are replayed read-only in RocksDB's
  // kAbsoluteConsistency mode, which, unlike the kPointInTimeRecovery the
  // store runs with, fails on a log that ends inside a record. Such a torn log
  // gives DataLoss naming the file and --unsafe-repair, unless
  // `options.unsafe_repair`: then the torn tail is dropped (point-in-time
  // recovery) and the revision recovered to, and the revisions lost when
  // readable records beyond the tear tell them, are logged.
  static absl::StatusOr<std::unique_ptr<Backend>> Open(const std::string& dir,
                                                       const BackendOptions& options = {});
  ~Backend();
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  rocksdb::ColumnFamilyHandle* history() const { return history_; }
  rocksdb::ColumnFamilyHandle* meta() const { return meta_; }
  rocksdb::ColumnFamilyHandle* lease() const { return lease_; }

  // Writes the batch durably (sync).
  absl::Status Write(rocksdb::WriteBatch* batch);
  // Writes the batch without waiting for the disk: it becomes durable with
  // the next synced write (RocksDB syncs every earlier log record with it) or
  // memtable flush, and is lost in a crash before either. For work that is
  // redone after a crash anyway (compaction's history deletion).
  absl::Status WriteUnsynced(rocksdb::WriteBatch* batch);

  // The live KeyValue stored at `rev` (not a tombstone). NotFound if absent.
  absl::Status GetKeyValue(const Revision& rev, mvccpb::KeyValue* kv) const;
  // Several at once, same order; missing ones give NotFound in `statuses`.
  void MultiGetKeyValues(const std::vector<Revision>& revs, std::vector<mvccpb::KeyValue>* kvs,
                         std::vector<absl::Status>* statuses) const;

  // Meta integer, or nullopt if never written.
  absl::StatusOr<std::optional<int64_t>> GetMeta(const std::string& key) const;

  // Visits history records with from <= revision.main <= to, in order; stops
  // when fn returns false.
  absl::Status ScanHistory(int64_t from, int64_t to,
                           const std::function<bool(const Revision&, bool tombstone,
                                                    const std::string& value)>& fn) const;

  // Visits the keys of history records from the encoded key `start` on
  // (inclusive; "" = the first) while their revision.main <= to, in order,
  // without reading values out; stops when fn returns false. `key` is only
  // valid during the call. Records deleted before the call are not visited,
  // nor are the deletion markers RocksDB keeps for records before `start`.
  absl::Status ScanHistoryKeys(
      const std::string& start, int64_t to,
      const std::function<bool(std::string_view key, const Revision&, bool tombstone)>& fn) const;

  // Visits every stored lease (id, ttl).
  absl::Status ScanLeases(const std::function<void(int64_t id, int64_t ttl)>& fn) const;

  // Approximate bytes on disk and in memtables.
  int64_t ApproximateSize() const;

  // etcd's defragment: flushes the memtables and rewrites every column
  // family's files down to the last level, so that deleted and overwritten
  // records (compacted history) leave the disk and ApproximateSize() drops.
  // Blocking; Aborted once AbortDefragment() was called.
  absl::Status Defragment();
  // Makes a running or later Defragment() return promptly (shutdown).
  void AbortDefragment();

  rocksdb::DB* db() const { return db_; }

 private:
  Backend() = default;

  std::unique_ptr<rocksdb::Env> env_;  // outlives db_
  rocksdb::DB* db_ = nullptr;
  rocksdb::ColumnFamilyHandle* default_ = nullptr;
  rocksdb::ColumnFamilyHandle* history_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;
  rocksdb::ColumnFamilyHandle* lease_ = nullptr;
};

}  // namespace minik8s::store

#endif  // MINIK8S_STORE_BACKEND_H_
