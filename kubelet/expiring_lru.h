// ExpiringLru: answers kept until a time, at most `capacity` of them, the
// least recently used dropped first — the caches of the kubelet's webhook
// authorizer and token authenticator (webhook_authorizer.h,
// token_webhook.h), as Kubernetes' LRU caches with a TTL per entry.
//
// Worked example (capacity 2): Put(a, t+5), Put(b, t+5), Get(a) (a is now
// the most recent), Put(c, t+5) drops b; at t+5 Get(a) finds it expired,
// drops it and answers nullopt.
//
// Thread safety: none; the owner serialises calls.
#ifndef MINIK8S_KUBELET_EXPIRING_LRU_H_
#define MINIK8S_KUBELET_EXPIRING_LRU_H_

#include <cstddef>
#include <list>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"

namespace minik8s::kubelet {

template <typename V>
class ExpiringLru {
 public:
  explicit ExpiringLru(size_t capacity) : capacity_(capacity) {}

  // The value under `key` while `now` is before its expiry (it becomes the
  // most recently used); an expired one is dropped.
  std::optional<V> Get(const std::string& key, absl::Time now) {
    auto it = entries_.find(key);
    if (it == entries_.end()) return std::nullopt;
    if (now >= it->second.expires) {
      lru_.erase(it->second.lru);
      entries_.erase(it);
      return std::nullopt;
    }
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return it->second.value;
  }

  // Keeps `value` under `key` until `expires` (replacing what was there),
  // dropping the least recently used entries beyond the capacity.
  void Put(const std::string& key, V value, absl::Time expires) {
    if (capacity_ == 0) return;
    auto [it, inserted] = entries_.try_emplace(key);
    if (inserted) {
      lru_.push_front(key);
    } else {
      lru_.splice(lru_.begin(), lru_, it->second.lru);
    }
    it->second.value = std::move(value);
    it->second.expires = expires;
    it->second.lru = lru_.begin();
    while (entries_.size() > capacity_) {
      entries_.erase(lru_.back());
      lru_.pop_back();
    }
  }

  // Entries held (expired ones included until looked up or pushed out).
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    V value{};
    absl::Time expires;
    std::list<std::string>::iterator lru;  // position in lru_
  };

  const size_t capacity_;
  absl::flat_hash_map<std::string, Entry> entries_;
  std::list<std::string> lru_;  // most recently used first
};

}  // namespace minik8s::kubelet

#endif  // MINIK8S_KUBELET_EXPIRING_LRU_H_
