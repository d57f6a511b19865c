// The watch cache of one resource: the current objects plus a bounded window
// of recent events, fed by ONE store watch (see cache_reflector.h), serving
// every client List ("0" or a resourceVersion the cache has reached) and
// every client Watch of that resource.
//
// Events: Replace() installs a full list at a revision (initial list, or a
// relist after compaction); Apply() adds one change; Progress() moves the
// revision on without a change (a store progress response: no change of
// this resource up to that revision). A Replace() after the first
// terminates all watchers with a Gone error so that clients relist.
//
// Revisions: revision() is the newest of the last list, the last applied
// event and the last progress; it is what Lists and bookmarks report and
// what WaitUntilFresh() waits for. Apply() skips only events at or below the
// last list/event revision, not below a progress revision: should a store
// report progress before it delivered an older event (etcd < 3.4.25 may, and
// so may a store whose watcher is still catching up), the event is applied
// and dispatched late rather than lost.
//
// Freshness: a List or Watch at a resourceVersion newer than the cache (the
// client read it from the store, where writes to other resources moved the
// revision on) waits in WaitUntilFresh(). It asks the cache's progress
// requester (the reflector, which sends a WatchProgressRequest on the store
// watch) at once and again every `progress_retry` while it waits, so it
// returns as soon as the store's progress is confirmed (see
// cache_reflector.cc: two progress responses at least 150 ms apart).
//
// Window: events with revision > window_start() are kept (at most
// `window_size`). A watch from resourceVersion R replays events after R when
// R >= window_start(); an older R fails with Gone
// `too old resource version: R (window_start)`. A watch from "" / "0" first
// gets ADDED events for the matching current objects.
//
// Watchers: each has a bounded buffer of live events (`watcher_buffer`
// beyond its initial events). Delivery never blocks the cache: a watcher
// whose buffer is full is closed with a Gone error ("the watcher could not
// keep up") and must relist. Watchers with `spec.nodeName=<node>` field
// selectors on pods are indexed by node, so an event reaches only the
// watchers of its node(s) plus the unindexed ones.
//
// Bookmarks: SendBookmarks() (called periodically by the owner) gives every
// watcher that allows bookmarks a BOOKMARK at the cache revision, when it has
// nothing queued and the revision moved on since its last delivery.
//
// Thread safety: all methods are safe to call concurrently. Lock order:
// WatchCache::mu_ before Watcher::mu_; a watcher's notify callback runs with
// WatchCache::mu_ held but no Watcher lock, and must not call back into the
// cache.
#ifndef MINIK8S_APISERVER_WATCH_CACHE_H_
#define MINIK8S_APISERVER_WATCH_CACHE_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/base/call_once.h"
#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "api/scheme.h"
#include "apiserver/filter.h"
#include "google/protobuf/message.h"

namespace minik8s::apiserver {

enum class EventType { kAdded, kModified, kDeleted, kBookmark };
const char* EventTypeName(EventType type);

// One object as the cache keeps it: parsed (for filtering) and serialized
// once (for every watcher and list that sends it). Immutable once built,
// except for the lazily built wire forms.
struct CachedObject {
  std::shared_ptr<const google::protobuf::Message> object;
  std::string serialized;
  std::string ns;
  std::string index_value;  // the kind's index field (spec.nodeName for pods)
  int64_t revision = 0;     // its resourceVersion

  // The transport's encoding of the ADDED, MODIFIED or DELETED event that
  // carries this object (at its resourceVersion, which is the event's):
  // `encode()` runs once per type, on first use, and every watch stream
  // shares the result, which lives as long as this object. Thread-safe.
  template <typename Encode>
  const std::string& WireForm(EventType type, const Encode& encode) const {
    const int i = static_cast<int>(type);
    absl::call_once(wire_once_[i], [&] { wire_[i] = encode(); });
    return wire_[i];
  }

  // The object's JSON (api::EncodeJson), built once on first use and
  // shared by every HTTP watch stream and list that sends it. Thread-safe.
  template <typename Encode>
  const std::string& JsonForm(const Encode& encode) const {
    absl::call_once(json_once_, [&] { json_ = encode(); });
    return json_;
  }

 private:
  mutable absl::once_flag wire_once_[3];
  mutable std::string wire_[3];
  mutable absl::once_flag json_once_;
  mutable std::string json_;
};
using CachedObjectPtr = std::shared_ptr<const CachedObject>;

// Builds a CachedObject for `kind` (index field taken from the object).
CachedObjectPtr MakeCachedObject(const api::KindInfo& kind,
                                 std::unique_ptr<google::protobuf::Message> object);

// What a watcher receives.
struct Delivery {
  EventType type = EventType::kAdded;
  CachedObjectPtr object;  // nullptr for a bookmark
  int64_t revision = 0;
};

class Watcher {
 public:
  enum class Next { kEvent, kEmpty, kClosed };

  // Takes the next delivery. kEmpty arms the notify callback: it is called
  // once when a delivery or close arrives. kClosed: `*error` says why (OK
  // when closed by the client side). With kEvent, `*more` (when given) says
  // whether another delivery is already queued.
  Next Pop(Delivery* out, absl::Status* error, bool* more = nullptr);
  // Takes queued deliveries at once (appended to `*out`): at most
  // `max_events`, and no more once their objects' serialized sizes add up
  // to `max_bytes` (the first is always taken). Otherwise as Pop(); kEvent
  // when at least one was taken, and then `*more` says whether deliveries
  // are left queued.
  Next PopBatch(size_t max_events, size_t max_bytes, std::vector<Delivery>* out,
                absl::Status* error, bool* more = nullptr);

  bool allow_bookmarks() const { return allow_bookmarks_; }

 private:
  friend class WatchCache;
  Watcher(Filter filter, bool allow_bookmarks, size_t buffer, std::function<void()> notify)
      : filter_(std::move(filter)),
        allow_bookmarks_(allow_bookmarks),
        buffer_(buffer),
        notify_(std::move(notify)) {}

  // Queues without bound (initial events and replay).
  void PushUnbounded(Delivery delivery);
  // Queues a live event; closes the watcher when its buffer is full.
  void PushLive(Delivery delivery);
  void Close(absl::Status error);
  // Calls notify_ if armed; call with no lock of this watcher held.
  void MaybeNotify();

  const Filter filter_;
  const bool allow_bookmarks_;
  const size_t buffer_;
  const std::function<void()> notify_;

  absl::Mutex mu_;
  std::deque<Delivery> queue_ ABSL_GUARDED_BY(mu_);
  size_t allowance_ ABSL_GUARDED_BY(mu_) = 0;  // initial events over the buffer
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  bool armed_ ABSL_GUARDED_BY(mu_) = false;
  bool notify_pending_ ABSL_GUARDED_BY(mu_) = false;
  int64_t last_revision_ ABSL_GUARDED_BY(mu_) = 0;
  // Live events at or below this revision are not delivered: the watcher
  // started after them (a watch from resourceVersion R, or initial events
  // that already show the cache's state at this revision).
  int64_t start_revision_ ABSL_GUARDED_BY(mu_) = 0;
};

class WatchCache {
 public:
  struct Options {
    size_t window_size = 10000;
    size_t watcher_buffer = 1000;
    // How long a List/Watch at a future resourceVersion waits for the cache.
    absl::Duration freshness_timeout = absl::Seconds(3);
    // While waiting, how often progress is requested again (a request may
    // be lost when the store watch is being re-established).
    absl::Duration progress_retry = absl::Milliseconds(250);
  };

  // `kind` must outlive the cache.
  WatchCache(const api::KindInfo* kind, Options options);

  const api::KindInfo& kind() const { return *kind_; }

  // ---- event source side
  void Replace(std::vector<CachedObjectPtr> objects, int64_t revision);
  // `object` is the new state (for kDeleted: the last state, as stored
  // before the deletion); `revision` the change's revision.
  void Apply(EventType type, const std::string& key, CachedObjectPtr object, int64_t revision);
  void Progress(int64_t revision);
  // Set by the event source: asks for a Progress() soon. Called without any
  // lock of the cache held; must not block. nullptr to clear.
  void SetProgressRequester(std::function<void()> request);
  // Closes every watcher with `error` (the cache is shutting down).
  void CloseAll(const absl::Status& error);

  // Change listeners: in-process observers of every applied change (the
  // object as in a watch: for kDeleted its last state) and of every relist
  // after the first (object nullptr: anything may have changed). Called
  // with the cache's lock held: a listener must be quick, must not block
  // and must not call back into the cache. Returns an id for removal.
  using ChangeListener = std::function<void(EventType type, const CachedObject* object)>;
  int AddChangeListener(ChangeListener listener);
  // After this returns the listener is not running and is not called again.
  void RemoveChangeListener(int id);

  // ---- serving side
  bool ready() const;
  // Waits until the cache has had its first list.
  bool WaitReady(absl::Duration timeout) const;
  int64_t revision() const;
  int64_t window_start() const;
  // Waits until revision() >= `revision`, requesting progress while it
  // waits; Timeout error `Too large resource version: R, current: C` after
  // freshness_timeout.
  absl::Status WaitUntilFresh(int64_t revision) const;
  // How many WaitUntilFresh() calls are waiting right now.
  int freshness_waiters() const { return freshness_waiters_.load(std::memory_order_relaxed); }

  struct WatchOptions {
    Filter filter;
    // 0 with from_now: initial ADDED events then changes; otherwise changes
    // after `resource_version`.
    int64_t resource_version = 0;
    bool initial_events = true;
    bool allow_bookmarks = false;
  };
  // Registers a watcher; `notify` is called (see Watcher::Pop) when it has
  // something to deliver. Errors: Gone (too old), Timeout (too new),
  // ServiceUnavailable (cache not ready).
  absl::StatusOr<std::shared_ptr<Watcher>> Watch(WatchOptions options,
                                                 std::function<void()> notify);
  void Unregister(const std::shared_ptr<Watcher>& watcher);
  size_t watcher_count() const;
  // How many objects the cache holds.
  size_t object_count() const;

  struct ListResult {
    std::vector<CachedObjectPtr> items;
    int64_t revision = 0;
    std::string last_key;  // set when more matching keys may follow
    bool more = false;
  };
  // Objects whose key is >= `start_key` (all when empty) in key order,
  // filtered, at most `limit` (0 = all).
  ListResult List(const Filter& filter, const std::string& start_key, int64_t limit) const;
  CachedObjectPtr Get(const std::string& key) const;

  void SendBookmarks();

 private:
  struct Event {
    EventType type;
    int64_t revision;
    CachedObjectPtr object;
    CachedObjectPtr prev;  // previous state (null for ADDED)
    // `prev` with the event's resourceVersion: what a watcher whose
    // selection the object left gets in its DELETED event. Built on first
    // use (under mu_).
    mutable CachedObjectPtr prev_at_revision;
  };

  // The delivery `watcher` gets for `event`, if any (filter transitions).
  bool ForWatcher(const Watcher& watcher, const Event& event, Delivery* out) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Dispatch(const Event& event) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AddIndexed(const std::shared_ptr<Watcher>& w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const api::KindInfo* kind_;
  const Options options_;

  mutable absl::Mutex mu_;
  mutable std::atomic<int> freshness_waiters_{0};
  bool ready_ ABSL_GUARDED_BY(mu_) = false;
  int64_t revision_ ABSL_GUARDED_BY(mu_) = 0;
  // The revision of the last list or applied event (<= revision_).
  int64_t event_revision_ ABSL_GUARDED_BY(mu_) = 0;
  std::function<void()> progress_requester_ ABSL_GUARDED_BY(mu_);
  int64_t window_start_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, CachedObjectPtr> objects_ ABSL_GUARDED_BY(mu_);
  std::deque<Event> window_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::shared_ptr<Watcher>> unindexed_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, absl::flat_hash_set<std::shared_ptr<Watcher>>> by_index_
      ABSL_GUARDED_BY(mu_);
  size_t watcher_count_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<int, ChangeListener> listeners_ ABSL_GUARDED_BY(mu_);
  int next_listener_id_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace minik8s::apiserver

#endif  // MINIK8S_APISERVER_WATCH_CACHE_H_
