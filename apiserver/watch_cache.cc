#include "apiserver/watch_cache.h"

#include <algorithm>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "api/selector/fields.h"
#include "apiserver/object_meta.h"

namespace minik8s::apiserver {

CachedObjectPtr MakeCachedObject(const api::KindInfo& kind,
                                 std::unique_ptr<google::protobuf::Message> object) {
  auto cached = std::make_shared<CachedObject>();
  const meta::v1::ObjectMeta& meta = Meta(*object);
  cached->ns = meta.namespace_();
  int64_t revision = 0;
  if (absl::SimpleAtoi(meta.resource_version(), &revision)) cached->revision = revision;
  const std::string index_field = IndexFieldFor(kind);
  if (!index_field.empty()) {
    absl::StatusOr<std::string> value = api::ObjectFieldValue(*object, index_field);
    if (value.ok()) cached->index_value = *value;
  }
  cached->serialized = object->SerializeAsString();
  cached->object = std::shared_ptr<const google::protobuf::Message>(std::move(object));
  return cached;
}

const char* EventTypeName(EventType type) {
  switch (type) {
    case EventType::kAdded:
      return "ADDED";
    case EventType::kModified:
      return "MODIFIED";
    case EventType::kDeleted:
      return "DELETED";
    case EventType::kBookmark:
      return "BOOKMARK";
  }
  return "ERROR";
}

// ------------------------------------------------------------------ Watcher

Watcher::Next Watcher::Pop(Delivery* out, absl::Status* error, bool* more) {
  absl::MutexLock lock(&mu_);
  if (!queue_.empty()) {
    *out = std::move(queue_.front());
    queue_.pop_front();
    if (allowance_ > 0) --allowance_;
    if (more != nullptr) *more = !queue_.empty();
    return Next::kEvent;
  }
  if (closed_) {
    *error = error_;
    return Next::kClosed;
  }
  armed_ = true;
  return Next::kEmpty;
}

Watcher::Next Watcher::PopBatch(size_t max_events, size_t max_bytes, std::vector<Delivery>* out,
                                absl::Status* error, bool* more) {
  absl::MutexLock lock(&mu_);
  if (!queue_.empty()) {
    size_t n = 0;
    size_t bytes = 0;
    while (!queue_.empty() && n < max_events) {
      const Delivery& next = queue_.front();
      const size_t size = next.object != nullptr ? next.object->serialized.size() : 0;
      if (n > 0 && bytes + size > max_bytes) break;
      bytes += size;
      out->push_back(std::move(queue_.front()));
      queue_.pop_front();
      ++n;
    }
    allowance_ -= std::min(allowance_, n);
    if (more != nullptr) *more = !queue_.empty();
    return Next::kEvent;
  }
  if (closed_) {
    *error = error_;
    return Next::kClosed;
  }
  armed_ = true;
  return Next::kEmpty;
}

void Watcher::PushUnbounded(Delivery delivery) {
  bool notify = false;
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return;
    last_revision_ = std::max(last_revision_, delivery.revision);
    queue_.push_back(std::move(delivery));
    ++allowance_;
    notify = std::exchange(armed_, false);
  }
  if (notify) notify_();
}

void Watcher::PushLive(Delivery delivery) {
  bool notify = false;
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return;
    if (delivery.type != EventType::kBookmark && delivery.revision <= start_revision_) return;
    if (queue_.size() >= buffer_ + allowance_) {
      closed_ = true;
      queue_.clear();
      error_ = api::NewGone(absl::StrCat("the watcher could not keep up: ", buffer_,
                                         " events were buffered; relist and watch again"));
    } else {
      last_revision_ = std::max(last_revision_, delivery.revision);
      queue_.push_back(std::move(delivery));
    }
    notify = std::exchange(armed_, false);
  }
  if (notify) notify_();
}

void Watcher::Close(absl::Status error) {
  bool notify = false;
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return;
    closed_ = true;
    error_ = std::move(error);
    notify = std::exchange(armed_, false);
  }
  if (notify) notify_();
}

// --------------------------------------------------------------- WatchCache

WatchCache::WatchCache(const api::KindInfo* kind, Options options)
    : kind_(kind), options_(options) {}

bool WatchCache::ready() const {
  absl::MutexLock lock(&mu_);
  return ready_;
}

bool WatchCache::WaitReady(absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(&ready_), timeout);
}

int64_t WatchCache::revision() const {
  absl::MutexLock lock(&mu_);
  return revision_;
}

int64_t WatchCache::window_start() const {
  absl::MutexLock lock(&mu_);
  return window_start_;
}

size_t WatchCache::object_count() const {
  absl::MutexLock lock(&mu_);
  return objects_.size();
}

size_t WatchCache::watcher_count() const {
  absl::MutexLock lock(&mu_);
  return watcher_count_;
}

void WatchCache::SetProgressRequester(std::function<void()> request) {
  absl::MutexLock lock(&mu_);
  progress_requester_ = std::move(request);
}

absl::Status WatchCache::WaitUntilFresh(int64_t revision) const {
  const absl::Time deadline = absl::Now() + options_.freshness_timeout;
  freshness_waiters_.fetch_add(1, std::memory_order_relaxed);
  absl::Cleanup done = [this] { freshness_waiters_.fetch_sub(1, std::memory_order_relaxed); };
  absl::MutexLock lock(&mu_);
  auto fresh = [this, revision]()
                   ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return ready_ && revision_ >= revision; };
  while (!fresh()) {
    const absl::Time now = absl::Now();
    if (now >= deadline) break;
    if (ready_ && progress_requester_) {
      // The requester may take locks of its own: call it without mu_.
      std::function<void()> request = progress_requester_;
      mu_.Unlock();
      request();
      mu_.Lock();
      if (fresh()) break;
    }
    mu_.AwaitWithDeadline(absl::Condition(&fresh),
                          std::min(deadline, now + options_.progress_retry));
  }
  if (fresh()) return absl::OkStatus();
  if (!ready_) {
    return api::NewServiceUnavailable(
        absl::StrCat("the watch cache of ", kind_->GroupResource(), " is not ready yet"));
  }
  return api::NewTimeout(
      absl::StrCat("Too large resource version: ", revision, ", current: ", revision_));
}

void WatchCache::Replace(std::vector<CachedObjectPtr> objects, int64_t revision) {
  absl::MutexLock lock(&mu_);
  const bool relist = ready_;
  objects_.clear();
  for (CachedObjectPtr& object : objects) {
    const meta::v1::ObjectMeta& meta = Meta(*object->object);
    std::string key = object->ns.empty() ? meta.name() : absl::StrCat(object->ns, "/", meta.name());
    objects_[key] = std::move(object);
  }
  window_.clear();
  revision_ = revision;
  event_revision_ = revision;
  window_start_ = revision;
  ready_ = true;
  if (relist) {
    absl::Status gone = api::NewGone(absl::StrCat("the watch cache of ", kind_->GroupResource(),
                                                  " was relisted at resource version ", revision,
                                                  "; relist and watch again"));
    for (const auto& w : unindexed_) w->Close(gone);
    for (const auto& [value, set] : by_index_) {
      for (const auto& w : set) w->Close(gone);
    }
    unindexed_.clear();
    by_index_.clear();
    watcher_count_ = 0;
    for (const auto& [id, listener] : listeners_) listener(EventType::kModified, nullptr);
  }
}

int WatchCache::AddChangeListener(ChangeListener listener) {
  absl::MutexLock lock(&mu_);
  const int id = next_listener_id_++;
  listeners_.emplace(id, std::move(listener));
  return id;
}

void WatchCache::RemoveChangeListener(int id) {
  absl::MutexLock lock(&mu_);
  listeners_.erase(id);
}

bool WatchCache::ForWatcher(const Watcher& watcher, const Event& event, Delivery* out) const {
  const Filter& filter = watcher.filter_;
  out->revision = event.revision;
  out->object = event.object;
  if (event.type == EventType::kDeleted) {
    if (!filter.Matches(*event.object->object, event.object->ns)) return false;
    out->type = EventType::kDeleted;
    return true;
  }
  const bool cur = filter.Matches(*event.object->object, event.object->ns);
  const bool prev = event.prev != nullptr && filter.Matches(*event.prev->object, event.prev->ns);
  if (cur && prev) {
    out->type = EventType::kModified;
  } else if (cur) {
    out->type = EventType::kAdded;
  } else if (prev) {
    // The object stopped matching: to this watcher it is gone. As in
    // Kubernetes, the DELETED event carries the last state that matched,
    // with the resourceVersion of the change (built once per event).
    out->type = EventType::kDeleted;
    if (event.prev_at_revision == nullptr) {
      std::unique_ptr<google::protobuf::Message> last = CloneMessage(*event.prev->object);
      if (meta::v1::ObjectMeta* meta = MutableMeta(last.get()); meta != nullptr) {
        meta->set_resource_version(absl::StrCat(event.revision));
      }
      event.prev_at_revision = MakeCachedObject(*kind_, std::move(last));
    }
    out->object = event.prev_at_revision;
  } else {
    return false;
  }
  return true;
}

void WatchCache::Dispatch(const Event& event) {
  Delivery delivery;
  auto deliver = [&](const std::shared_ptr<Watcher>& w) {
    mu_.AssertHeld();  // tells the lock analysis what Dispatch's caller holds
    if (ForWatcher(*w, event, &delivery)) w->PushLive(delivery);
  };
  for (const auto& w : unindexed_) deliver(w);
  if (by_index_.empty()) return;
  const std::string* values[2] = {&event.object->index_value,
                                  event.prev ? &event.prev->index_value : nullptr};
  for (int i = 0; i < 2; ++i) {
    if (values[i] == nullptr || (i == 1 && *values[1] == *values[0])) continue;
    auto it = by_index_.find(*values[i]);
    if (it == by_index_.end()) continue;
    for (const auto& w : it->second) deliver(w);
  }
}

void WatchCache::Apply(EventType type, const std::string& key, CachedObjectPtr object,
                       int64_t revision) {
  absl::MutexLock lock(&mu_);
  // Already seen (e.g. a resumed store watch). Not compared with revision_:
  // an event that arrives after a progress response past it is still new.
  if (revision <= event_revision_) return;
  Event event{type, revision, std::move(object), nullptr};
  auto it = objects_.find(key);
  if (it != objects_.end()) event.prev = it->second;
  if (type == EventType::kDeleted) {
    if (it != objects_.end()) objects_.erase(it);
  } else {
    if (type == EventType::kModified && event.prev == nullptr) event.type = EventType::kAdded;
    if (type == EventType::kAdded && event.prev != nullptr) event.type = EventType::kModified;
    objects_[key] = event.object;
  }
  event_revision_ = revision;
  revision_ = std::max(revision_, revision);
  Dispatch(event);
  for (const auto& [id, listener] : listeners_) listener(event.type, event.object.get());
  window_.push_back(std::move(event));
  while (window_.size() > options_.window_size) {
    window_start_ = window_.front().revision;
    window_.pop_front();
  }
}

void WatchCache::Progress(int64_t revision) {
  absl::MutexLock lock(&mu_);
  if (revision > revision_) revision_ = revision;
}

void WatchCache::CloseAll(const absl::Status& error) {
  absl::MutexLock lock(&mu_);
  for (const auto& w : unindexed_) w->Close(error);
  for (const auto& [value, set] : by_index_) {
    for (const auto& w : set) w->Close(error);
  }
  unindexed_.clear();
  by_index_.clear();
  watcher_count_ = 0;
}

void WatchCache::AddIndexed(const std::shared_ptr<Watcher>& w) {
  if (w->filter_.index_value().has_value()) {
    by_index_[*w->filter_.index_value()].insert(w);
  } else {
    unindexed_.insert(w);
  }
  ++watcher_count_;
}

absl::StatusOr<std::shared_ptr<Watcher>> WatchCache::Watch(WatchOptions options,
                                                           std::function<void()> notify) {
  if (!options.initial_events && options.resource_version > 0) {
    absl::Status fresh = WaitUntilFresh(options.resource_version);
    if (!fresh.ok()) return fresh;
  } else if (!WaitReady(options_.freshness_timeout)) {
    return api::NewServiceUnavailable(
        absl::StrCat("the watch cache of ", kind_->GroupResource(), " is not ready yet"));
  }
  std::shared_ptr<Watcher> watcher(new Watcher(std::move(options.filter), options.allow_bookmarks,
                                               options_.watcher_buffer, std::move(notify)));
  absl::MutexLock lock(&mu_);
  if (options.initial_events) {
    for (const auto& [key, object] : objects_) {
      if (watcher->filter_.Matches(*object->object, object->ns)) {
        watcher->PushUnbounded(Delivery{EventType::kAdded, object, object->revision});
      }
    }
    absl::MutexLock wlock(&watcher->mu_);
    watcher->last_revision_ = revision_;
    watcher->start_revision_ = event_revision_;
  } else {
    const int64_t rv = options.resource_version;
    if (rv < window_start_) {
      return api::NewGone(absl::StrCat("too old resource version: ", rv, " (", window_start_, ")"));
    }
    Delivery delivery;
    for (const Event& event : window_) {
      if (event.revision <= rv) continue;
      if (ForWatcher(*watcher, event, &delivery)) watcher->PushUnbounded(delivery);
    }
    absl::MutexLock wlock(&watcher->mu_);
    watcher->last_revision_ = std::max(watcher->last_revision_, rv);
    watcher->start_revision_ = std::max(rv, watcher->last_revision_);
  }
  AddIndexed(watcher);
  return watcher;
}

void WatchCache::Unregister(const std::shared_ptr<Watcher>& watcher) {
  absl::MutexLock lock(&mu_);
  size_t erased = 0;
  if (watcher->filter_.index_value().has_value()) {
    auto it = by_index_.find(*watcher->filter_.index_value());
    if (it != by_index_.end()) {
      erased = it->second.erase(watcher);
      if (it->second.empty()) by_index_.erase(it);
    }
  } else {
    erased = unindexed_.erase(watcher);
  }
  watcher_count_ -= erased;
  watcher->Close(absl::OkStatus());
}

WatchCache::ListResult WatchCache::List(const Filter& filter, const std::string& start_key,
                                        int64_t limit) const {
  ListResult result;
  absl::MutexLock lock(&mu_);
  result.revision = revision_;
  auto it = objects_.lower_bound(start_key);
  // A namespace filter narrows the scan to that namespace's keys.
  std::string ns_end;
  if (!filter.ns().empty() && kind_->namespaced) {
    std::string first = filter.ns() + "/";
    if (start_key < first) it = objects_.lower_bound(first);
    ns_end = filter.ns() + "0";  // '0' is the byte after '/'
  }
  for (; it != objects_.end(); ++it) {
    if (!ns_end.empty() && it->first >= ns_end) break;
    const CachedObjectPtr& object = it->second;
    if (!filter.Matches(*object->object, object->ns)) continue;
    if (limit > 0 && static_cast<int64_t>(result.items.size()) >= limit) {
      result.more = true;
      break;
    }
    result.items.push_back(object);
    result.last_key = it->first;
  }
  if (!result.more) result.last_key.clear();
  return result;
}

CachedObjectPtr WatchCache::Get(const std::string& key) const {
  absl::MutexLock lock(&mu_);
  auto it = objects_.find(key);
  return it == objects_.end() ? nullptr : it->second;
}

void WatchCache::SendBookmarks() {
  absl::MutexLock lock(&mu_);
  if (!ready_) return;
  const int64_t rv = revision_;
  auto bookmark = [rv](const std::shared_ptr<Watcher>& w) {
    if (!w->allow_bookmarks()) return;
    {
      absl::MutexLock wlock(&w->mu_);
      if (w->closed_ || !w->queue_.empty() || w->last_revision_ >= rv) return;
    }
    w->PushLive(Delivery{EventType::kBookmark, nullptr, rv});
  };
  for (const auto& w : unindexed_) bookmark(w);
  for (const auto& [value, set] : by_index_) {
    for (const auto& w : set) bookmark(w);
  }
}

}  // namespace minik8s::apiserver
