// NodeEventSink: lets one client::EventRecorder serve a kubelet that runs
// many (simulated) nodes. The recorder's source.host is fixed per recorder,
// and a recorder per node would cost a thread per node; so the scale-mode
// kubelet records with an empty host and this sink, in front of the real
// one, fills in source.host and reportingInstance of each new Event with
// the node of the pod it is about (what Kubernetes' kubelet on that node
// would write).
//
// The kubelet calls Remember(pod uid, node) before recording an Event about
// the pod. The sink keeps the `capacity` most recently remembered pods;
// with a capacity of at least the recorder's queue size every queued Event
// still finds its pod. An Event about an unknown pod is passed on unchanged.
//
// Thread-safe. `inner` is borrowed and must outlive the sink.
#ifndef MINIK8S_KUBELET_NODE_EVENT_SINK_H_
#define MINIK8S_KUBELET_NODE_EVENT_SINK_H_

#include <list>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "client/event_recorder.h"

namespace minik8s::kubelet {

class NodeEventSink : public client::EventSink {
 public:
  NodeEventSink(client::EventSink* inner, size_t capacity);

  void Remember(const std::string& pod_uid, const std::string& node);
  // The node remembered for `pod_uid`, or "".
  std::string NodeOf(const std::string& pod_uid) const;

  absl::StatusOr<minik8s::core::v1::Event> Create(const minik8s::core::v1::Event& event) override;
  absl::StatusOr<minik8s::core::v1::Event> Patch(absl::string_view ns, absl::string_view name,
                                                 absl::string_view merge_patch_json) override;

 private:
  struct Entry {
    std::string node;
    std::list<std::string>::iterator lru;
  };

  client::EventSink* const inner_;
  const size_t capacity_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> nodes_ ABSL_GUARDED_BY(mu_);  // by pod uid
  std::list<std::string> lru_ ABSL_GUARDED_BY(mu_);                     // most recent first
};

}  // namespace minik8s::kubelet

#endif  // MINIK8S_KUBELET_NODE_EVENT_SINK_H_
