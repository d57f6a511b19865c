#include "kubelet/backoff.h"

#include <algorithm>
#include <vector>

namespace minik8s::kubelet {

absl::Duration Backoff::Next(const std::string& key, absl::Time now) {
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    entries_[key] = Entry{initial_, now};
    return initial_;
  }
  Entry& e = it->second;
  // An entry untouched for twice the maximum is stale: start over, as
  // client-go's Backoff does.
  if (now - e.last_update > 2 * max_) {
    e.delay = initial_;
  } else {
    e.delay = std::min(e.delay * 2, max_);
  }
  e.last_update = now;
  return e.delay;
}

bool Backoff::IsInBackOffSince(const std::string& key, absl::Time event_time,
                               absl::Time now) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  if (now - it->second.last_update > 2 * max_) return false;
  return now - event_time < it->second.delay;
}

absl::Duration Backoff::Get(const std::string& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? absl::ZeroDuration() : it->second.delay;
}

void Backoff::Reset(const std::string& key) { entries_.erase(key); }

void Backoff::ResetPrefix(const std::string& prefix) {
  std::vector<std::string> doomed;
  for (const auto& [k, v] : entries_) {
    if (k.compare(0, prefix.size(), prefix) == 0) doomed.push_back(k);
  }
  for (const auto& k : doomed) entries_.erase(k);
}

}  // namespace minik8s::kubelet
