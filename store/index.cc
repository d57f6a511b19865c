#include "store/index.h"

#include <thread>

#include "absl/time/clock.h"

namespace minik8s::store {

namespace {

// Writer and reader locks on the index that count themselves in `waiting`
// while they block on a busy lock.
class ABSL_SCOPED_LOCKABLE WaitingLock {
 public:
  WaitingLock(absl::Mutex* mu, std::atomic<int>* waiting) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu)
      : mu_(mu) {
    if (mu_->TryLock()) return;
    waiting->fetch_add(1, std::memory_order_relaxed);
    mu_->Lock();
    waiting->fetch_sub(1, std::memory_order_relaxed);
  }
  ~WaitingLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }

 private:
  absl::Mutex* const mu_;
};

class ABSL_SCOPED_LOCKABLE WaitingReaderLock {
 public:
  WaitingReaderLock(absl::Mutex* mu, std::atomic<int>* waiting) ABSL_SHARED_LOCK_FUNCTION(mu)
      : mu_(mu) {
    if (mu_->ReaderTryLock()) return;
    waiting->fetch_add(1, std::memory_order_relaxed);
    mu_->ReaderLock();
    waiting->fetch_sub(1, std::memory_order_relaxed);
  }
  ~WaitingReaderLock() ABSL_UNLOCK_FUNCTION() { mu_->ReaderUnlock(); }

 private:
  absl::Mutex* const mu_;
};

}  // namespace

bool InRange(const std::string& key, const std::string& begin, const std::string& end) {
  if (end.empty()) return key == begin;
  if (end == std::string(1, '\0')) return key >= begin;
  return key >= begin && key < end;
}

KeyIndex* Index::Find(std::string_view key) const {
  auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : it->second;
}

KeyIndex* Index::FindOrAdd(const std::string& key) {
  if (KeyIndex* found = Find(key)) return found;
  auto it = tree_.emplace(key, KeyIndex(key)).first;
  by_key_.emplace(std::string_view(it->first), &it->second);
  return &it->second;
}

absl::Status Index::Put(const std::string& key, const Revision& rev) {
  WaitingLock lock(&mu_, &waiting_);
  return FindOrAdd(key)->Put(rev);
}

absl::Status Index::Tombstone(const std::string& key, const Revision& rev) {
  WaitingLock lock(&mu_, &waiting_);
  KeyIndex* ki = Find(key);
  if (ki == nullptr) return absl::NotFoundError("index: key not found");
  return ki->Tombstone(rev);
}

void Index::Restore(const std::string& key, const Revision& rev, const Revision& created,
                    int64_t version, bool tombstone) {
  WaitingLock lock(&mu_, &waiting_);
  FindOrAdd(key)->Restore(rev, created, version, tombstone);
}

bool Index::Get(const std::string& key, int64_t at_rev, KeyAt* out) const {
  WaitingReaderLock lock(&mu_, &waiting_);
  const KeyIndex* ki = Find(key);
  return ki != nullptr && ki->Get(at_rev, out);
}

void Index::Visit(const std::string& key, const std::string& end,
                  const std::function<bool(const KeyIndex&)>& fn) const {
  if (end.empty()) {
    if (const KeyIndex* ki = Find(key)) fn(*ki);
    return;
  }
  const bool to_end = end == std::string(1, '\0');
  if (!to_end && end <= key) return;
  for (auto it = tree_.lower_bound(key); it != tree_.end(); ++it) {
    if (!to_end && it->first >= end) break;
    if (!fn(it->second)) break;
  }
}

std::vector<IndexEntry> Index::Range(const std::string& key, const std::string& end, int64_t at_rev,
                                     int64_t limit, int64_t* total) const {
  WaitingReaderLock lock(&mu_, &waiting_);
  std::vector<IndexEntry> out;
  int64_t count = 0;
  Visit(key, end, [&](const KeyIndex& ki) {
    KeyAt at;
    if (!ki.Get(at_rev, &at)) return true;
    ++count;
    if (limit <= 0 || static_cast<int64_t>(out.size()) < limit) {
      out.push_back(IndexEntry{ki.key(), at});
    } else if (total == nullptr) {
      return false;
    }
    return true;
  });
  if (total != nullptr) *total = count;
  return out;
}

absl::flat_hash_set<Revision> Index::Compact(int64_t at_rev, size_t keys_per_lock) {
  absl::flat_hash_set<Revision> keep;
  // A few keys per lock hold, so that compacting a large index does not stall
  // the reads and writes that need the lock meanwhile (etcd's treeIndex takes
  // its lock per key). Keys written in between have revisions above at_rev,
  // so they need nothing from this compaction.
  std::string last;
  bool started = false;
  while (true) {
    if (started) {
      // Let the threads blocked on the lock during the last step take it
      // first (not forever: a steady stream of them would stall compaction).
      const absl::Time until = absl::Now() + absl::Milliseconds(5);
      while (waiting_.load(std::memory_order_relaxed) > 0 && absl::Now() < until) {
        std::this_thread::yield();
      }
    }
    // Keys left with nothing are unlinked under the lock and freed after it,
    // so that a step holds the lock only to trim and unlink.
    std::vector<decltype(tree_)::node_type> dropped;
    dropped.reserve(keys_per_lock);
    bool done = false;
    {
      absl::MutexLock lock(&mu_);
      auto it = started ? tree_.upper_bound(last) : tree_.begin();
      started = true;
      for (size_t n = 0; it != tree_.end() && n < keys_per_lock; ++n) {
        last = it->first;
        it->second.Compact(at_rev, &keep);
        if (it->second.Empty()) {
          auto next = std::next(it);
          by_key_.erase(std::string_view(it->first));
          dropped.push_back(tree_.extract(it));
          it = next;
        } else {
          ++it;
        }
      }
      done = it == tree_.end();
    }
    dropped.clear();
    if (done) return keep;
  }
}

size_t Index::KeyCount() const {
  WaitingReaderLock lock(&mu_, &waiting_);
  return tree_.size();
}

}  // namespace minik8s::store
