// EventRecorder: records Kubernetes Events (v1 Event) about objects, so a
// user can follow what controllers did (`mkctl get events`, describe).
//
// Event()/Eventf() build the Event (involvedObject from the object's
// metadata and kind, source component/host, first/lastTimestamp with second
// precision, eventTime with microsecond precision as events.k8s.io records
// it, count 1) and queue it; they never block and never fail. One worker
// thread writes queued events through an EventSink. Like client-go's event
// correlator (tools/record/events_cache.go), an event passes three steps:
//
//  1. Spam filter, in Event() itself: a token bucket per (source component,
//     source host, involvedObject kind/namespace/name/uid/apiVersion) of
//     `spam_burst` tokens refilled at `spam_qps` (Kubernetes: 25, then one
//     every 5 minutes). An event that finds no token is dropped before it is
//     queued and counted in spam_filtered(). So a ReplicaSet creating
//     thousands of pods records its first 25 SuccessfulCreate events and then
//     about one every 5 minutes; events about the pods themselves are about
//     other objects and have buckets of their own. Buckets live in an LRU of
//     `cache_size` entries.
//  2. Aggregation of similar events, in the worker: events with the same
//     source, involvedObject, type and reason but different messages are
//     grouped; a group remembers its distinct messages and the time of its
//     latest event, and starts over after `aggregate_interval` without one.
//     When a group holds `aggregate_max_events` distinct messages (Kubernetes:
//     10 within 10 minutes), the event becomes an aggregate one with message
//     "(combined from similar events): <latest message>" whose key is the
//     group's, so further similar events patch that one Event (count+1,
//     lastTimestamp, message) instead of creating new ones.
//  3. Repeats of the same (object, type, reason, message, source), or of the
//     same aggregate, are counted: an LRU of recent keys remembers the
//     Event's name, and a repeat patches count+1 and lastTimestamp instead of
//     creating a new Event (if that Event is gone, a new one is created).
//
// When the queue is full the event is dropped with a log line and counted in
// dropped(). Spam-filtered events are logged at debug level, plus at most
// one info line a minute with how many were filtered.
//
// Event names are `<object name>.<hex unix nanoseconds>`; Events about
// cluster-scoped objects (nodes) go to namespace "default".
//
// Thread safety: Event/Eventf are safe from any thread. Shutdown() (also
// run by the destructor) writes what is queued for at most
// `shutdown_timeout`, drops the rest (one log line counting them, as
// Kubernetes' broadcaster drops on shutdown), then waits for the write in
// flight and stops the worker. The EventSink and the common::Clock must outlive the
// recorder.
#ifndef MINIK8S_CLIENT_EVENT_RECORDER_H_
#define MINIK8S_CLIENT_EVENT_RECORDER_H_

#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/api_client.h"
#include "common/clock.h"
#include "google/protobuf/message.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::client {

inline constexpr char kEventTypeNormal[] = "Normal";
inline constexpr char kEventTypeWarning[] = "Warning";

// Where events are written. Called from the recorder's worker thread only.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual absl::StatusOr<minik8s::core::v1::Event> Create(
      const minik8s::core::v1::Event& event) = 0;
  // JSON merge patch of the Event ns/name.
  virtual absl::StatusOr<minik8s::core::v1::Event> Patch(absl::string_view ns,
                                                         absl::string_view name,
                                                         absl::string_view merge_patch_json) = 0;
};

// Writes events through the apiserver (`api` borrowed).
std::unique_ptr<EventSink> NewApiEventSink(ApiClient* api);

// An ObjectReference to `object` (kind/apiVersion from its type, or from
// its own apiVersion/kind fields when the type is not a known resource).
minik8s::core::v1::ObjectReference ReferenceTo(const google::protobuf::Message& object);

struct EventRecorderOptions {
  std::string component;  // source.component, e.g. "default-scheduler"
  std::string host;       // source.host, e.g. the node name (kubelet)
  size_t queue_size = 1000;
  // Entries of each LRU: spam filter buckets, similar-event groups, and
  // recent events for counting repeats.
  size_t cache_size = 4096;
  common::Clock* clock = nullptr;  // borrowed; null = real clock
  // How long Shutdown() keeps writing queued events (real time) before it
  // drops what is left. Short: events are best effort, and a daemon asked to
  // stop should stop (a whole cluster stops stage by stage, so this adds up).
  absl::Duration shutdown_timeout = absl::Milliseconds(500);
  // Spam filter: events one source may record about one object at once, and
  // the tokens per second that come back after. spam_burst 0 turns the
  // filter off.
  int spam_burst = 25;
  double spam_qps = 1.0 / 300;
  // Similar events (same source, object, type and reason) with this many
  // distinct messages, each within aggregate_interval of the previous one,
  // are aggregated. 0 turns aggregation off.
  int aggregate_max_events = 10;
  absl::Duration aggregate_interval = absl::Minutes(10);
};

class EventRecorder {
 public:
  EventRecorder(EventSink* sink, EventRecorderOptions options);
  ~EventRecorder();
  EventRecorder(const EventRecorder&) = delete;
  EventRecorder& operator=(const EventRecorder&) = delete;

  // type: kEventTypeNormal or kEventTypeWarning; reason: CamelCase
  // ("Scheduled", "SuccessfulCreate").
  void Event(const google::protobuf::Message& object, absl::string_view type,
             absl::string_view reason, absl::string_view message);
  void Event(const minik8s::core::v1::ObjectReference& ref, absl::string_view type,
             absl::string_view reason, absl::string_view message);
  template <typename... Args>
  void Eventf(const google::protobuf::Message& object, absl::string_view type,
              absl::string_view reason, const absl::FormatSpec<Args...>& format,
              const Args&... args) {
    Event(object, type, reason, absl::StrFormat(format, args...));
  }

  // Waits until every event queued so far has been written (or dropped).
  void Flush();
  // Stops taking events, writes what is queued for at most
  // options.shutdown_timeout, drops the rest, and stops the worker.
  void Shutdown();
  // Events dropped because the queue was full or left at shutdown.
  int64_t dropped() const;
  // Events dropped by the per-object spam filter (not in dropped()).
  int64_t spam_filtered() const;

 private:
  struct Pending {
    minik8s::core::v1::ObjectReference ref;
    std::string type, reason, message;
    absl::Time time;
  };
  struct CacheEntry {
    std::string ns, name;
    std::string message;  // as last written
    int32_t count = 0;
    std::list<std::string>::iterator lru;
  };
  // A token bucket of the spam filter.
  struct SpamBucket {
    double tokens = 0;
    absl::Time last;
    std::list<std::string>::iterator lru;
  };
  // Similar events seen lately: their distinct messages and the latest time.
  struct SimilarGroup {
    absl::flat_hash_set<std::string> messages;
    absl::Time last;
    std::list<std::string>::iterator lru;
  };

  // Takes a token from the spam filter bucket `key` (source and object);
  // false when there is none.
  bool TakeSpamToken(std::string key, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void WorkerLoop();
  void Write(Pending p);
  // Step 2: records `p` in its group of similar events. Returns true when
  // `p` is to be aggregated: then its message is replaced by the aggregate
  // one and `*key` is the group's key; otherwise `*key` is `p`'s own key.
  bool Aggregate(Pending* p, std::string* key);
  std::string KeyOf(const Pending& p) const;

  EventSink* const sink_;
  const EventRecorderOptions options_;
  common::Clock* const clock_;

  mutable absl::Mutex mu_;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool busy_ ABSL_GUARDED_BY(mu_) = false;
  int64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t spam_filtered_ ABSL_GUARDED_BY(mu_) = 0;
  // Spam filter buckets by key, most recently used first.
  absl::flat_hash_map<std::string, SpamBucket> spam_ ABSL_GUARDED_BY(mu_);
  std::list<std::string> spam_lru_ ABSL_GUARDED_BY(mu_);
  // Spam-filtered events not yet reported in the periodic log line.
  int64_t spam_unlogged_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time spam_logged_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();

  // Worker-thread only: groups of similar events, most recent first.
  absl::flat_hash_map<std::string, SimilarGroup> groups_;
  std::list<std::string> groups_lru_;
  // Worker-thread only: recent Events by key (exact or aggregate), most
  // recent first.
  absl::flat_hash_map<std::string, CacheEntry> cache_;
  std::list<std::string> lru_;

  std::thread worker_;
};

}  // namespace minik8s::client

#endif  // MINIK8S_CLIENT_EVENT_RECORDER_H_
