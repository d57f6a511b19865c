// KeyIndex: the revision history of one key, as etcd's mvcc key_index.
//
// A key's life is a list of generations. A generation holds the revisions of
// the key from its creation to its deletion; a delete appends a tombstone
// revision to the current generation and opens a new, empty one.
//
// Worked example: key "foo" is put at revisions 1, 2, deleted at 3, put at 4
// and 5, deleted at 6, and put again at 7 (sub revisions 0):
//
//   generations[0] {created 1, ver 3, revs [1 2 3(t)]}
//   generations[1] {created 4, ver 3, revs [4 5 6(t)]}
//   generations[2] {created 7, ver 1, revs [7]}
//
// Get(at 2) → mod 2, created 1, version 2. Get(at 3) → not found (deleted at
// 3). Get(at 6) → not found. Get(at 7) → mod 7, created 7, version 1.
//
// Compact(4) keeps, for each generation still visible at or after revision 4,
// the latest revision <= 4 and everything after it; a generation that ended in
// a tombstone <= 4 is dropped entirely:
//
//   generations[0] {created 4, ver 3, revs [4 5 6(t)]}
//   generations[1] {created 7, ver 1, revs [7]}
//   keep = {4}                       (revision 4 must stay in the backend)
//
// Compact(6) then drops generation [4 5 6(t)] (its tombstone 6 <= 6) and
// leaves [7]; keep = {} (7 is above the compaction point, kept anyway).
// A key whose only generation is empty after compaction is removed from the
// index by the caller.
//
// Thread-compatible: the owning Index serializes access.
#ifndef MINIK8S_STORE_KEY_INDEX_H_
#define MINIK8S_STORE_KEY_INDEX_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "store/revision.h"

namespace minik8s::store {

struct Generation {
  int64_t ver = 0;   // number of revisions in this generation
  Revision created;  // first revision of the generation
  std::vector<Revision> revs;
  bool empty() const { return revs.empty(); }
};

// What a key looked like at some revision.
struct KeyAt {
  Revision modified;
  Revision created;
  int64_t version = 0;
};

class KeyIndex {
 public:
  explicit KeyIndex(std::string key) : key_(std::move(key)) {}

  const std::string& key() const { return key_; }
  const Revision& modified() const { return modified_; }
  const std::vector<Generation>& generations() const { return generations_; }

  // Records a put at `rev`; rev must be greater than every earlier revision.
  absl::Status Put(const Revision& rev);
  // Records a delete at `rev`; NotFound if the key is not live.
  absl::Status Tombstone(const Revision& rev);
  // Recovery: appends a revision read back from the backend, where earlier
  // revisions of the generation may have been compacted away. `created` and
  // `version` come from the stored KeyValue.
  void Restore(const Revision& rev, const Revision& created, int64_t version, bool tombstone);

  // The key at revision `at_rev`; false if it did not exist then.
  bool Get(int64_t at_rev, KeyAt* out) const;
  // True if the key is live (not deleted) at its latest revision.
  bool Live() const { return !generations_.empty() && !generations_.back().empty(); }

  // Drops revisions made obsolete by a compaction at `at_rev`; adds to `keep`
  // the revisions <= at_rev that must stay in the backend.
  void Compact(int64_t at_rev, absl::flat_hash_set<Revision>* keep);
  // True when no generation holds a revision.
  bool Empty() const { return generations_.size() == 1 && generations_[0].empty(); }

 private:
  const Generation* FindGeneration(int64_t rev) const;

  std::string key_;
  Revision modified_;
  std::vector<Generation> generations_;
};

}  // namespace minik8s::store

#endif  // MINIK8S_STORE_KEY_INDEX_H_
