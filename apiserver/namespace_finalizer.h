// Finishes namespace deletion inside the apiserver: for every namespace in
// phase Terminating it deletes each namespaced object in it (default
// options: pods on a node still get their grace period), and once nothing is
// left it removes the namespace itself.
//
// Driven by the watch caches (change listeners): a namespace that becomes
// Terminating is finalized at once, and again whenever an object in it
// changes (typically: is deleted once its grace period or finalizers are
// done), so it goes as soon as its last object has. A full pass over all
// terminating namespaces runs at Start() and every `resync_interval` (a
// safety net; also after a cache relist), and a pass that failed (store
// unavailable) is retried after `retry_interval`. Reads and deletes go to
// the store, which is authoritative.
//
// Thread safety: Start()/Stop() from one owner thread; runs on its own
// thread. Lock order: WatchCache::mu_ before NamespaceFinalizer::mu_ (the
// listeners run under the cache's lock).
#ifndef MINIK8S_APISERVER_NAMESPACE_FINALIZER_H_
#define MINIK8S_APISERVER_NAMESPACE_FINALIZER_H_

#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "apiserver/handler.h"

namespace minik8s::apiserver {

class NamespaceFinalizer {
 public:
  struct Options {
    absl::Duration resync_interval = absl::Seconds(30);
    absl::Duration retry_interval = absl::Seconds(1);
  };
  // `handler` (and its caches) must outlive the finalizer.
  NamespaceFinalizer(Handler* handler, Options options);
  ~NamespaceFinalizer();

  // Registers the change listeners and starts the thread.
  void Start();
  void Stop();
  // One pass over all terminating namespaces (tests call it directly).
  // False when a namespace could not be finalized for an error.
  bool RunOnce();

 private:
  // True when the namespace is empty and was removed.
  absl::StatusOr<bool> Finalize(const std::string& ns);
  void Run();
  void OnNamespace(EventType type, const CachedObject* object);
  void OnObject(EventType type, const CachedObject* object);

  Handler* const handler_;
  const Options options_;
  std::thread thread_;
  std::vector<std::pair<WatchCache*, int>> listeners_;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool resync_ ABSL_GUARDED_BY(mu_) = false;
  // Terminating namespaces not yet removed, and those with news since the
  // last look.
  absl::flat_hash_set<std::string> terminating_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::string> dirty_ ABSL_GUARDED_BY(mu_);
};

}  // namespace minik8s::apiserver

#endif  // MINIK8S_APISERVER_NAMESPACE_FINALIZER_H_
