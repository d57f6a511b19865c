#include "scheduler/api_writer.h"

namespace minik8s::scheduler {
namespace {

class ClientApiWriter : public ApiWriter {
 public:
  ClientApiWriter(client::Clientset* cs, client::EventRecorder* recorder)
      : cs_(cs), recorder_(recorder) {}

  absl::Status Bind(const Pod& pod, const std::string& node_name) override {
    return cs_->Pods().Bind(pod.metadata().namespace_(), pod.metadata().name(), node_name);
  }
  absl::Status UpdatePodStatus(const Pod& pod) override {
    return cs_->Pods().UpdateStatus(pod).status();
  }
  void Event(const Pod& pod, std::string_view type, std::string_view reason,
             std::string_view message) override {
    if (recorder_ == nullptr) return;
    recorder_->Event(pod, absl::string_view(type.data(), type.size()),
                     absl::string_view(reason.data(), reason.size()),
                     absl::string_view(message.data(), message.size()));
  }

 private:
  client::Clientset* const cs_;
  client::EventRecorder* const recorder_;
};

}  // namespace

std::unique_ptr<ApiWriter> NewClientApiWriter(client::Clientset* clientset,
                                              client::EventRecorder* recorder) {
  return std::make_unique<ClientApiWriter>(clientset, recorder);
}

}  // namespace minik8s::scheduler
