#include "apiserver/cache_reflector.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "apiserver/object_meta.h"
#include "spdlog/spdlog.h"

namespace minik8s::apiserver {

CacheReflector::CacheReflector(ObjectStore* store, WatchCache* cache,
                               absl::Duration bookmark_interval)
    : store_(store), cache_(cache), bookmark_interval_(bookmark_interval) {}

CacheReflector::~CacheReflector() { Stop(); }

void CacheReflector::Start() {
  cache_->SetProgressRequester([this] { RequestProgress(); });
  thread_ = std::thread([this] { Run(); });
  ticker_thread_ = std::thread([this] { RunTicker(); });
}

void CacheReflector::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    if (watch_ != nullptr) watch_->Cancel();
  }
  if (thread_.joinable()) thread_.join();
  if (ticker_thread_.joinable()) ticker_thread_.join();
  cache_->SetProgressRequester(nullptr);
  cache_->CloseAll(api::NewServiceUnavailable("the apiserver is shutting down"));
}

bool CacheReflector::WaitStopped(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(&stopping_), timeout);
}

void CacheReflector::RequestProgress() {
  absl::MutexLock lock(&mu_);
  progress_wanted_ = true;
}

void CacheReflector::SendProgressRequest() {
  std::shared_ptr<EtcdClient::Watch> watch;
  {
    absl::MutexLock lock(&mu_);
    watch = watch_;
  }
  // Outside mu_: a write may wait for the stream's flow control, and Stop()
  // must still be able to cancel the stream.
  if (watch != nullptr && !watch->RequestProgress()) {
    spdlog::debug("watch cache {}: progress request not sent (store watch ended)",
                  cache_->kind().resource);
  }
}

void CacheReflector::RunTicker() {
  const bool bookmarks = bookmark_interval_ > absl::ZeroDuration();
  absl::Time next_tick = bookmarks ? absl::Now() + bookmark_interval_ : absl::InfiniteFuture();
  absl::Time last_request = absl::InfinitePast();
  while (true) {
    bool request = false;
    {
      absl::MutexLock lock(&mu_);
      // Rate limit: asks during the interval after a request share the next.
      const absl::Time earliest = last_request + kMinProgressInterval;
      if (absl::Now() < earliest) {
        mu_.AwaitWithDeadline(absl::Condition(&stopping_), std::min(earliest, next_tick));
      }
      auto woken = [this]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || progress_wanted_; };
      mu_.AwaitWithDeadline(absl::Condition(&woken), next_tick);
      if (stopping_) return;
      request = std::exchange(progress_wanted_, false);
    }
    const absl::Time now = absl::Now();
    const bool tick = now >= next_tick;
    if (tick) next_tick = now + bookmark_interval_;
    if (request || tick) {
      SendProgressRequest();
      last_request = now;
    }
    if (tick) cache_->SendBookmarks();
  }
}

absl::StatusOr<int64_t> CacheReflector::Relist() {
  const api::KindInfo& kind = cache_->kind();
  absl::StatusOr<ListResult> list =
      store_->List(kind, store_->ResourcePrefix(kind, ""), "", 0, 0, nullptr);
  if (!list.ok()) return list.status();
  std::vector<CachedObjectPtr> objects;
  objects.reserve(list->items.size());
  for (MessagePtr& item : list->items) objects.push_back(MakeCachedObject(kind, std::move(item)));
  cache_->Replace(std::move(objects), list->revision);
  return list->revision;
}

void CacheReflector::Run() {
  const api::KindInfo& kind = cache_->kind();
  const std::string prefix = store_->ResourcePrefix(kind, "");
  const std::string range_end = PrefixRangeEnd(prefix);
  bool need_list = true;
  absl::Duration backoff = absl::Milliseconds(100);
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    if (need_list) {
      absl::StatusOr<int64_t> revision = Relist();
      if (!revision.ok()) {
        spdlog::warn("watch cache {}: list failed: {}", kind.resource,
                     std::string(revision.status().message()));
        if (WaitStopped(backoff)) return;
        backoff = std::min(backoff * 2, absl::Seconds(2));
        continue;
      }
      spdlog::debug("watch cache {}: listed at revision {}", kind.resource, *revision);
      need_list = false;
    }
    auto watch = std::make_shared<EtcdClient::Watch>();
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      watch_ = watch;
    }
    bool got_response = false;
    int64_t unconfirmed_progress = 0;  // per store watch stream
    absl::Time unconfirmed_since;
    absl::Status status = store_->client()->RunWatch(
        prefix, range_end, cache_->revision() + 1,
        [&](const etcdserverpb::WatchResponse& response) {
          got_response = true;
          for (const mvccpb::Event& event : response.events()) {
            const mvccpb::KeyValue& kv = event.kv();
            std::string key = kv.key().substr(prefix.size());
            if (event.type() == mvccpb::Event::DELETE) {
              if (!event.has_prev_kv()) continue;
              mvccpb::KeyValue last = event.prev_kv();
              last.set_mod_revision(kv.mod_revision());
              absl::StatusOr<MessagePtr> object = store_->Decode(kind, last);
              if (!object.ok()) continue;
              cache_->Apply(EventType::kDeleted, key, MakeCachedObject(kind, std::move(*object)),
                            kv.mod_revision());
            } else {
              absl::StatusOr<MessagePtr> object = store_->Decode(kind, kv);
              if (!object.ok()) {
                spdlog::warn("watch cache {}: {}", kind.resource,
                             std::string(object.status().message()));
                continue;
              }
              EventType type = kv.create_revision() == kv.mod_revision() ? EventType::kAdded
                                                                         : EventType::kModified;
              cache_->Apply(type, key, MakeCachedObject(kind, std::move(*object)),
                            kv.mod_revision());
            }
          }
          // A progress response (watch_id -1, to a WatchProgressRequest) or
          // a periodic progress notification: no change of this resource up
          // to header.revision. A `created` response's revision is not one:
          // the watch may still be catching up from its start revision.
          //
          // A real etcd answers a progress request on a control path that
          // does not wait for the events the stream still owes: events
          // queued on it (etcd before 3.4.25, etcd issue 15220) or not yet
          // read from history by a watcher that is catching up (etcd moves
          // those every 100 ms). So a progress revision counts only once a
          // later progress response arrives at least kProgressSettle after
          // it; by then the stream has delivered what it owed. Someone
          // waiting for freshness keeps asking until then.
          if (response.events_size() == 0 && response.header().revision() > 0 &&
              !response.created()) {
            const absl::Time now = absl::Now();
            if (unconfirmed_progress > 0 && now - unconfirmed_since >= kProgressSettle) {
              cache_->Progress(unconfirmed_progress);
              unconfirmed_progress = 0;
            }
            if (unconfirmed_progress == 0 && response.header().revision() > cache_->revision()) {
              unconfirmed_progress = response.header().revision();
              unconfirmed_since = now;
            }
            if (unconfirmed_progress > 0 && cache_->freshness_waiters() > 0) RequestProgress();
          }
          return true;
        },
        watch.get());
    {
      absl::MutexLock lock(&mu_);
      watch_ = nullptr;
      if (stopping_) return;
    }
    if (got_response) backoff = absl::Milliseconds(100);
    if (status.code() == absl::StatusCode::kOutOfRange) {
      spdlog::info("watch cache {}: {}; relisting", kind.resource, std::string(status.message()));
      need_list = true;
      continue;
    }
    spdlog::warn("watch cache {}: store watch ended: {}; resuming from revision {}", kind.resource,
                 status.ok() ? "closed" : std::string(status.message()), cache_->revision() + 1);
    if (WaitStopped(backoff)) return;
    backoff = std::min(backoff * 2, absl::Seconds(2));
  }
}

}  // namespace minik8s::apiserver
