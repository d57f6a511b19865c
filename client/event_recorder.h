// EventRecorder: records Kubernetes Events (v1 Event) about objects, so a
// user can follow what controllers did (`mkctl get events`, describe).
//
// Event()/Eventf() build the Event (involvedObject from the object's
// metadata and kind, source component/host, first/lastTimestamp with second
// precision, eventTime with microsecond precision as events.k8s.io records
// it, count 1)
// and queue it; they never block and never fail: when the queue is full the
// event is dropped with a log line. One worker thread writes queued events
// through an EventSink. Repeats of the same (object, type, reason, message,
// source) are aggregated like client-go's event correlator: an LRU of recent
// keys remembers the Event's name, and a repeat patches count+1 and
// lastTimestamp instead of creating a new Event (if that Event is gone, a new
// one is created).
//
// Event names are `<object name>.<hex unix nanoseconds>`; Events about
// cluster-scoped objects (nodes) go to namespace "default".
//
// Thread safety: Event/Eventf are safe from any thread. Shutdown() (also
// run by the destructor) writes what is queued for at most
// `shutdown_timeout`, drops the rest (one log line counting them, as
// Kubernetes' broadcaster drops on shutdown), then waits for the write in
// flight and stops the worker. The EventSink and the Clock must outlive the
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
#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/api_client.h"
#include "client/clock.h"
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
  size_t cache_size = 4096;  // aggregation LRU entries
  Clock* clock = nullptr;    // borrowed; null = real clock
  // How long Shutdown() keeps writing queued events (real time) before it
  // drops what is left.
  absl::Duration shutdown_timeout = absl::Seconds(2);
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

 private:
  struct Pending {
    minik8s::core::v1::ObjectReference ref;
    std::string type, reason, message;
    absl::Time time;
  };
  struct CacheEntry {
    std::string ns, name;
    int32_t count = 0;
    std::list<std::string>::iterator lru;
  };

  void WorkerLoop();
  void Write(const Pending& p);
  std::string KeyOf(const Pending& p) const;

  EventSink* const sink_;
  const EventRecorderOptions options_;
  Clock* const clock_;

  mutable absl::Mutex mu_;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool busy_ ABSL_GUARDED_BY(mu_) = false;
  int64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;

  // Worker-thread only: aggregation cache (key → Event), most recent first.
  absl::flat_hash_map<std::string, CacheEntry> cache_;
  std::list<std::string> lru_;

  std::thread worker_;
};

}  // namespace minik8s::client

#endif  // MINIK8S_CLIENT_EVENT_RECORDER_H_
