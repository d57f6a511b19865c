// Index: the in-memory map key → KeyIndex (revision history), ordered by key,
// as etcd's mvcc treeIndex. It answers "which revision of which key is visible
// at revision R" for point and range reads; values live in the backend, keyed
// by revision.
//
// Range conventions (etcd): `end` empty → the single key `key`; `end` == "\0"
// → every key >= `key`; otherwise the half-open interval [key, end).
//
// Keys are held in an ordered tree (ranges) and, for point lookups, in a
// hash table of pointers into it: a lookup in a std::map of 100,000 keys
// with long shared prefixes costs about 1 µs of cache misses and memcmp
// (bench/store/index_bench), most of the index's share of a put. The
// table costs about 30 bytes per key.
//
// Thread-safe: readers share a reader lock; Put/Tombstone/Compact take the
// writer lock briefly. Writers add revisions above every published one, so a
// reader asking at a published revision is never disturbed by them.
#ifndef MINIK8S_STORE_INDEX_H_
#define MINIK8S_STORE_INDEX_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "store/key_index.h"

namespace minik8s::store {

// One key visible at some revision.
struct IndexEntry {
  std::string key;
  KeyAt at;
};

// True if `key` lies in the range given by (begin, end) with etcd's conventions.
bool InRange(const std::string& key, const std::string& begin, const std::string& end);

class Index {
 public:
  absl::Status Put(const std::string& key, const Revision& rev);
  absl::Status Tombstone(const std::string& key, const Revision& rev);
  void Restore(const std::string& key, const Revision& rev, const Revision& created,
               int64_t version, bool tombstone);

  bool Get(const std::string& key, int64_t at_rev, KeyAt* out) const;

  // Keys visible at `at_rev` in the range, in key order. At most `limit`
  // entries are returned when limit > 0; `*total` (if given) receives the
  // number of visible keys in the whole range.
  std::vector<IndexEntry> Range(const std::string& key, const std::string& end, int64_t at_rev,
                                int64_t limit, int64_t* total) const;

  // Compaction at `at_rev`: trims every key's history, drops keys left with
  // nothing, and returns the revisions <= at_rev that must be kept.
  // Takes the writer lock for `keys_per_lock` keys at a time.
  absl::flat_hash_set<Revision> Compact(int64_t at_rev, size_t keys_per_lock = 1000);

  size_t KeyCount() const;

 private:
  // The key's history, or null (hash table lookup).
  KeyIndex* Find(std::string_view key) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // The key's history, created empty if missing.
  KeyIndex* FindOrAdd(const std::string& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  void Visit(const std::string& key, const std::string& end,
             const std::function<bool(const KeyIndex&)>& fn) const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  // Lock takers other than Compact() that found the lock busy and are
  // blocked on it (index.cc, WaitingLock). Compact() lets them in between its
  // steps: absl::Mutex lets a thread that unlocks take the lock again at
  // once, ahead of the threads it woke, so a compaction retaking it step
  // after step kept the apply thread out for its whole run.
  mutable std::atomic<int> waiting_{0};
  std::map<std::string, KeyIndex, std::less<>> tree_ ABSL_GUARDED_BY(mu_);
  // Every key of tree_, viewing the tree's own copy of it (std::map's nodes
  // never move), to its KeyIndex.
  absl::flat_hash_map<std::string_view, KeyIndex*> by_key_ ABSL_GUARDED_BY(mu_);
};

}  // namespace minik8s::store

#endif  // MINIK8S_STORE_INDEX_H_
