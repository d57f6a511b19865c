// EventRecorder: the kubelet's Events (Pulling, Pulled, Created, Started,
// Killing, BackOff, Failed, Unhealthy, ...) posted to the apiserver as
// core/v1 Events from source component "kubelet" on the node's host.
//
// Record() only queues: one background thread creates the Events, so a pod
// worker never waits on the apiserver for an Event. When the queue is over
// `max_queued` (apiserver slow or down) new Events are dropped, as client-go
// does; an Event that fails to post is dropped too (Events are best effort).
//
// Thread-safe. The Clientset must outlive the recorder.
#ifndef MINIK8S_KUBELET_EVENT_RECORDER_H_
#define MINIK8S_KUBELET_EVENT_RECORDER_H_

#include <deque>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "client/clientset.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::kubelet {

class EventRecorder {
 public:
  virtual ~EventRecorder() = default;
  // `type` is "Normal" or "Warning"; `field_path` e.g. "spec.containers{nginx}"
  // ("" for the pod itself). `host` is the node name.
  virtual void Record(const minik8s::core::v1::Pod& pod, const std::string& field_path,
                      const std::string& type, const std::string& reason,
                      const std::string& message, const std::string& host) = 0;
};

// Builds the Event object (name "<pod>.<unique hex>", timestamps now).
minik8s::core::v1::Event MakePodEvent(const minik8s::core::v1::Pod& pod,
                                      const std::string& field_path, const std::string& type,
                                      const std::string& reason, const std::string& message,
                                      const std::string& host);

class ApiEventRecorder : public EventRecorder {
 public:
  explicit ApiEventRecorder(const client::Clientset* clientset, size_t max_queued = 10000);
  ~ApiEventRecorder() override;  // posts what is queued (briefly), then stops

  void Record(const minik8s::core::v1::Pod& pod, const std::string& field_path,
              const std::string& type, const std::string& reason, const std::string& message,
              const std::string& host) override;

 private:
  void Loop();

  const client::Clientset* const clientset_;
  const size_t max_queued_;
  absl::Mutex mu_;
  std::deque<minik8s::core::v1::Event> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

// Keeps Events in memory (tests).
class FakeEventRecorder : public EventRecorder {
 public:
  struct Entry {
    std::string pod, type, reason, message;
  };
  void Record(const minik8s::core::v1::Pod& pod, const std::string& field_path,
              const std::string& type, const std::string& reason, const std::string& message,
              const std::string& host) override {
    absl::MutexLock lock(&mu_);
    entries_.push_back({pod.metadata().name(), type, reason, message});
  }
  std::vector<Entry> entries() const {
    absl::MutexLock lock(&mu_);
    return entries_;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace minik8s::kubelet

#endif  // MINIK8S_KUBELET_EVENT_RECORDER_H_
