// ApiWriter: everything the scheduler writes to the cluster — bindings, the
// PodScheduled condition, and Events — behind one interface so the
// scheduling loop can be tested without an apiserver.
//
// Thread safety: implementations must be safe to call from any thread (the
// binder pool calls them concurrently).
#ifndef MINIK8S_SCHEDULER_API_WRITER_H_
#define MINIK8S_SCHEDULER_API_WRITER_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "client/clientset.h"
#include "client/event_recorder.h"
#include "scheduler/framework/types.h"

namespace minik8s::scheduler {

class ApiWriter {
 public:
  virtual ~ApiWriter() = default;
  // pods/binding.
  virtual absl::Status Bind(const Pod& pod, const std::string& node_name) = 0;
  // Writes `pod` (already carrying the new condition) to the status
  // subresource.
  virtual absl::Status UpdatePodStatus(const Pod& pod) = 0;
  // type: "Normal" or "Warning".
  virtual void Event(const Pod& pod, std::string_view type, std::string_view reason,
                     std::string_view message) = 0;
};

// Through the apiserver. `clientset` and `recorder` (may be null: no
// events) are borrowed and must outlive the writer.
std::unique_ptr<ApiWriter> NewClientApiWriter(client::Clientset* clientset,
                                              client::EventRecorder* recorder);

}  // namespace minik8s::scheduler

#endif  // MINIK8S_SCHEDULER_API_WRITER_H_
