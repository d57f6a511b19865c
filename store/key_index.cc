#include "store/key_index.h"

#include "absl/strings/str_cat.h"

namespace minik8s::store {

absl::Status KeyIndex::Put(const Revision& rev) {
  if (rev <= modified_) {
    return absl::InternalError(absl::StrCat("key_index: put revision ", rev.main, ".", rev.sub,
                                            " not above ", modified_.main, ".", modified_.sub));
  }
  if (generations_.empty()) generations_.emplace_back();
  Generation& g = generations_.back();
  if (g.empty()) g.created = rev;
  g.revs.push_back(rev);
  ++g.ver;
  modified_ = rev;
  return absl::OkStatus();
}

absl::Status KeyIndex::Tombstone(const Revision& rev) {
  if (!Live()) return absl::NotFoundError("key_index: key not live");
  absl::Status s = Put(rev);
  if (!s.ok()) return s;
  generations_.emplace_back();
  return absl::OkStatus();
}

void KeyIndex::Restore(const Revision& rev, const Revision& created, int64_t version,
                       bool tombstone) {
  if (generations_.empty()) generations_.emplace_back();
  Generation& g = generations_.back();
  if (g.empty()) {
    if (tombstone) {
      // A tombstone whose generation was compacted away: nothing to restore.
      modified_ = rev;
      return;
    }
    g.created = created;
    g.ver = version - 1;
  }
  g.revs.push_back(rev);
  ++g.ver;
  modified_ = rev;
  if (tombstone) generations_.emplace_back();
}

const Generation* KeyIndex::FindGeneration(int64_t rev) const {
  const int last = static_cast<int>(generations_.size()) - 1;
  for (int i = last; i >= 0; --i) {
    const Generation& g = generations_[i];
    if (g.empty()) continue;
    // A finished generation ends with its tombstone: at or after it the key
    // is deleted.
    if (i != last && g.revs.back().main <= rev) return nullptr;
    if (g.revs.front().main <= rev) return &g;
  }
  return nullptr;
}

bool KeyIndex::Get(int64_t at_rev, KeyAt* out) const {
  const Generation* g = FindGeneration(at_rev);
  if (g == nullptr) return false;
  const int n = static_cast<int>(g->revs.size());
  for (int i = n - 1; i >= 0; --i) {
    if (g->revs[i].main <= at_rev) {
      out->modified = g->revs[i];
      out->created = g->created;
      out->version = g->ver - (n - i - 1);
      return true;
    }
  }
  return false;
}

void KeyIndex::Compact(int64_t at_rev, absl::flat_hash_set<Revision>* keep) {
  if (generations_.empty()) return;
  size_t gen_idx = 0;
  // Skip generations that ended (tombstone) at or before at_rev.
  while (gen_idx + 1 < generations_.size()) {
    const Generation& g = generations_[gen_idx];
    if (!g.empty() && g.revs.back().main > at_rev) break;
    ++gen_idx;
  }
  Generation& g = generations_[gen_idx];
  if (!g.empty()) {
    int found = -1;
    for (int i = static_cast<int>(g.revs.size()) - 1; i >= 0; --i) {
      if (g.revs[i].main <= at_rev) {
        found = i;
        break;
      }
    }
    if (found >= 0) {
      keep->insert(g.revs[found]);
      g.revs.erase(g.revs.begin(), g.revs.begin() + found);
    }
    // Only a tombstone left in a finished generation: drop it too.
    if (g.revs.size() == 1 && gen_idx + 1 != generations_.size() && g.revs[0].main <= at_rev) {
      keep->erase(g.revs[0]);
      ++gen_idx;
    }
  }
  generations_.erase(generations_.begin(), generations_.begin() + gen_idx);
}

}  // namespace minik8s::store
