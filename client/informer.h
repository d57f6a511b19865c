// Informers: a local, always-current mirror of one resource (client-go's
// reflector + indexer + shared informer in one).
//
// The reflector thread Lists, then Watches from the list's resourceVersion,
// applying every event to the Indexer and queueing a notification for the
// handlers:
//   - a dropped stream (server restart, network) resumes the watch from the
//     last resourceVersion seen (BOOKMARK events advance it), so nothing is
//     missed and nothing is delivered twice;
//   - "too old resource version" (IsGone: OUT_OF_RANGE or an ERROR event)
//     relists and emits the difference to the cache: adds for new objects,
//     updates for changed ones (resourceVersion differs), and deletes with
//     final_state_unknown = true for objects that vanished meanwhile;
//   - while the apiserver is unreachable it retries with exponential backoff
//     (initial_backoff doubling to max_backoff, each wait jittered up to 2x).
// Every resync_period (when non-zero) every cached object is re-delivered as
// an update with old == new, so level-triggered controllers re-check.
//
// Handlers run on one dispatch thread per informer, in event order, never
// while a lock of the informer or its Indexer is held; they may read the
// Lister and call the apiserver, but should be quick (enqueue a key). A
// handler added after the informer has synced first receives an add for
// every object already cached, then live events — none twice.
//
// Thread safety: all methods are safe from any thread. Start() once; Stop()
// (also run by the destructor) cancels the watch, joins both threads and
// guarantees no handler runs after it returns. Do not call Stop() from a
// handler. The ListerWatcher and the Clock (options.clock) must outlive the
// informer; Listers obtained from it must not be used after it is destroyed.
//
// Lock order: SharedInformer::mu_ before Indexer::mu_.
#ifndef MINIK8S_CLIENT_INFORMER_H_
#define MINIK8S_CLIENT_INFORMER_H_

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/api_client.h"
#include "client/indexer.h"
#include "client/lister.h"
#include "client/resource.h"
#include "client/watch.h"
#include "common/clock.h"
#include "google/protobuf/message.h"

namespace minik8s::client {

// The two calls an informer needs; ApiListerWatcher talks to the apiserver,
// tests use a fake. Called only from the informer's reflector thread (and
// WatchStream::Cancel from Stop()).
class ListerWatcher {
 public:
  virtual ~ListerWatcher() = default;
  virtual absl::StatusOr<ObjectList> List(const ListOptions& options) = 0;
  virtual absl::StatusOr<std::unique_ptr<WatchStream>> Watch(const WatchOptions& options) = 0;
};

// Lists and watches `resource` in `ns` ("" = all namespaces) through `api`
// (borrowed), filtered by the selectors; items decoded as `prototype`'s type.
std::unique_ptr<ListerWatcher> NewApiListerWatcher(ApiClient* api, std::string resource,
                                                   std::string ns, std::string label_selector,
                                                   std::string field_selector,
                                                   const google::protobuf::Message& prototype);

struct ResourceEventHandler {
  std::function<void(const ObjectPtr& object)> on_add;
  std::function<void(const ObjectPtr& old_object, const ObjectPtr& new_object)> on_update;
  // final_state_unknown: the object vanished while the watch was broken (seen
  // on a relist); `object` is its last known state ("tombstone").
  std::function<void(const ObjectPtr& object, bool final_state_unknown)> on_delete;
};

struct InformerOptions {
  std::string name;  // for logs, e.g. "pods"
  // Used by the Informer<T>(ApiClient*, ...) constructor only.
  std::string namespace_;  // "" = all namespaces
  std::string label_selector;
  std::string field_selector;
  absl::Duration resync_period = absl::ZeroDuration();  // 0 = never
  absl::Duration initial_backoff = absl::Milliseconds(800);
  absl::Duration max_backoff = absl::Seconds(30);
  common::Clock* clock = nullptr;  // borrowed; null = real clock
  // Null/empty = DefaultIndexersFor(the object type).
  Indexers indexers;
};

// The type-erased informer; Informer<T> below is the typed face.
class SharedInformer {
 public:
  SharedInformer(std::unique_ptr<ListerWatcher> lister_watcher,
                 const google::protobuf::Descriptor* descriptor, InformerOptions options);
  ~SharedInformer();
  SharedInformer(const SharedInformer&) = delete;
  SharedInformer& operator=(const SharedInformer&) = delete;

  void AddEventHandler(ResourceEventHandler handler);
  void Start();
  void Stop();
  // True once the first List has been applied to the cache.
  bool HasSynced() const;
  // Waits (real time) until HasSynced or the timeout; returns HasSynced().
  bool WaitForCacheSync(absl::Duration timeout) const;
  const Indexer& indexer() const { return indexer_; }
  // The resourceVersion the cache reflects.
  std::string LastSyncResourceVersion() const;
  // Lists performed so far (1 + relists); for tests and metrics.
  int NumLists() const;

 private:
  struct Notification {
    enum Kind { kAdd, kUpdate, kDelete } kind;
    ObjectPtr old_object;
    ObjectPtr object;
    bool final_state_unknown = false;
    // Delivered to handlers [0, handler_limit), or only to `only_handler`
    // when it is >= 0 (the catch-up adds of a late handler).
    size_t handler_limit = 0;
    int only_handler = -1;
  };

  void ReflectorLoop();
  void DispatchLoop();
  // Waits up to a jittered `backoff` unless stopped; true if stopped.
  bool Backoff(absl::Duration* backoff);
  void ApplyList(ObjectList list) ABSL_LOCKS_EXCLUDED(mu_);
  void ApplyEvent(const WatchEvent& event) ABSL_LOCKS_EXCLUDED(mu_);
  void EnqueueLocked(Notification n) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::unique_ptr<ListerWatcher> lister_watcher_;
  const InformerOptions options_;
  common::Clock* const clock_;
  Indexer indexer_;

  mutable absl::Mutex mu_;
  std::vector<std::shared_ptr<const ResourceEventHandler>> handlers_ ABSL_GUARDED_BY(mu_);
  std::deque<Notification> notifications_ ABSL_GUARDED_BY(mu_);
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  bool synced_ ABSL_GUARDED_BY(mu_) = false;
  std::string last_resource_version_ ABSL_GUARDED_BY(mu_);
  int num_lists_ ABSL_GUARDED_BY(mu_) = 0;
  WatchStream* current_watch_ ABSL_GUARDED_BY(mu_) = nullptr;
  absl::Time next_resync_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();

  std::thread reflector_;
  std::thread dispatcher_;
};

template <typename T>
struct EventHandlers {
  std::function<void(const std::shared_ptr<const T>& object)> on_add;
  std::function<void(const std::shared_ptr<const T>& old_object,
                     const std::shared_ptr<const T>& new_object)>
      on_update;
  std::function<void(const std::shared_ptr<const T>& object, bool final_state_unknown)> on_delete;
};

// The typed informer for T (Pod, Node, Deployment, ...).
//
//   Informer<Pod> pods(cs->api(), {.name = "pods", .resync_period = absl::Minutes(10)});
//   pods.AddEventHandler({.on_add = [&](const auto& p) { queue.Add(KeyOf(*p)); }});
//   pods.Start();
//   if (!pods.WaitForCacheSync(absl::Seconds(30))) ...
//   Lister<Pod> lister = pods.GetLister();
template <typename T>
class Informer {
 public:
  using Ptr = std::shared_ptr<const T>;

  // Over the apiserver: options.namespace_/label_selector/field_selector
  // choose what to mirror. `api` must outlive the informer.
  Informer(ApiClient* api, InformerOptions options = {})
      : shared_(NewApiListerWatcher(api, ResourceOf<T>().resource, options.namespace_,
                                    options.label_selector, options.field_selector,
                                    T::default_instance()),
                T::descriptor(), options) {}
  Informer(std::unique_ptr<ListerWatcher> lister_watcher, InformerOptions options = {})
      : shared_(std::move(lister_watcher), T::descriptor(), std::move(options)) {}

  void AddEventHandler(EventHandlers<T> h) {
    ResourceEventHandler erased;
    if (h.on_add) {
      erased.on_add = [f = std::move(h.on_add)](const ObjectPtr& o) { f(Cast(o)); };
    }
    if (h.on_update) {
      erased.on_update = [f = std::move(h.on_update)](const ObjectPtr& a, const ObjectPtr& b) {
        f(Cast(a), Cast(b));
      };
    }
    if (h.on_delete) {
      erased.on_delete = [f = std::move(h.on_delete)](const ObjectPtr& o, bool unknown) {
        f(Cast(o), unknown);
      };
    }
    shared_.AddEventHandler(std::move(erased));
  }

  void Start() { shared_.Start(); }
  void Stop() { shared_.Stop(); }
  bool HasSynced() const { return shared_.HasSynced(); }
  bool WaitForCacheSync(absl::Duration timeout) const { return shared_.WaitForCacheSync(timeout); }
  Lister<T> GetLister() const { return Lister<T>(&shared_.indexer()); }
  const Indexer& GetIndexer() const { return shared_.indexer(); }
  SharedInformer& shared() { return shared_; }
  std::string LastSyncResourceVersion() const { return shared_.LastSyncResourceVersion(); }

 private:
  static Ptr Cast(const ObjectPtr& o) { return std::static_pointer_cast<const T>(o); }

  SharedInformer shared_;
};

// Waits (in total up to `timeout`) for every informer to sync.
template <typename... Informers>
bool WaitForCacheSync(absl::Duration timeout, const Informers&... informers) {
  absl::Time deadline = absl::Now() + timeout;
  return (informers.WaitForCacheSync(deadline - absl::Now()) && ...);
}

}  // namespace minik8s::client

#endif  // MINIK8S_CLIENT_INFORMER_H_
