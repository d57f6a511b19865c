// Feeds one WatchCache from the store: lists the resource's keys, then
// watches from the list revision + 1 (with prev_kv) and applies every event.
// When the store watch breaks it resumes from the cache's revision; when the
// revision was compacted it relists (the cache then terminates its watchers
// with Gone so that clients relist too). Also sends the cache's periodic
// bookmarks.
//
// Progress: the store watch asks for progress notifications, and every
// response without events (a WatchProgressRequest's answer, watch_id -1, or
// a periodic notification) moves the cache's revision on to its
// header.revision. The reflector sends a WatchProgressRequest on the store
// watch (1) when the cache asks for one (a client wants a resourceVersion
// newer than the cache, see WatchCache::WaitUntilFresh), right away but at
// most once per `kMinProgressInterval`, concurrent asks sharing one request,
// and (2) every bookmark interval, before the bookmarks, so that the caches
// of idle resources keep up with the store's revision.
//
// Thread safety: Start() and Stop() from one owner thread; RequestProgress()
// from any thread. The reflector runs on two threads of its own (watch loop,
// and the ticker that sends progress requests and bookmarks).
#ifndef MINIK8S_APISERVER_CACHE_REFLECTOR_H_
#define MINIK8S_APISERVER_CACHE_REFLECTOR_H_

#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "apiserver/storage/object_store.h"
#include "apiserver/watch_cache.h"

namespace minik8s::apiserver {

class CacheReflector {
 public:
  // `store` and `cache` must outlive the reflector.
  CacheReflector(ObjectStore* store, WatchCache* cache, absl::Duration bookmark_interval);
  ~CacheReflector();

  void Start();
  // Stops both threads and closes the cache's watchers.
  void Stop();

  // Asks for a progress request on the store watch soon; never blocks.
  void RequestProgress();

  // The shortest time between two progress requests on demand.
  static constexpr absl::Duration kMinProgressInterval = absl::Milliseconds(20);
  // How long a store's progress revision waits for a second progress
  // response before the cache takes it (see Run()).
  static constexpr absl::Duration kProgressSettle = absl::Milliseconds(150);

 private:
  void Run();
  void RunTicker();
  // Sends a WatchProgressRequest on the current store watch, if any.
  void SendProgressRequest();
  // Lists into the cache; returns the list revision.
  absl::StatusOr<int64_t> Relist();
  bool WaitStopped(absl::Duration timeout);

  ObjectStore* const store_;
  WatchCache* const cache_;
  const absl::Duration bookmark_interval_;
  std::thread thread_;
  std::thread ticker_thread_;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool progress_wanted_ ABSL_GUARDED_BY(mu_) = false;
  std::shared_ptr<EtcdClient::Watch> watch_ ABSL_GUARDED_BY(mu_);
};

}  // namespace minik8s::apiserver

#endif  // MINIK8S_APISERVER_CACHE_REFLECTOR_H_
