// Feeds one WatchCache from the store: lists the resource's keys, then
// watches from the list revision + 1 (with prev_kv) and applies every event.
// When the store watch breaks it resumes from the cache's revision; when the
// revision was compacted it relists (the cache then terminates its watchers
// with Gone so that clients relist too). Also sends the cache's periodic
// bookmarks.
//
// Thread safety: Start() and Stop() from one owner thread; the reflector
// runs on two threads of its own (watch loop and bookmark ticker).
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

 private:
  void Run();
  void RunBookmarks();
  // Lists into the cache; returns the list revision.
  absl::StatusOr<int64_t> Relist();
  bool WaitStopped(absl::Duration timeout);

  ObjectStore* const store_;
  WatchCache* const cache_;
  const absl::Duration bookmark_interval_;
  std::thread thread_;
  std::thread bookmark_thread_;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  EtcdClient::Watch* watch_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace minik8s::apiserver

#endif  // MINIK8S_APISERVER_CACHE_REFLECTOR_H_
