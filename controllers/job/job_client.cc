#include "controllers/job/job_client.h"

#include <algorithm>
#include <string>

#include "api/errors.h"

namespace minik8s::controllers {
namespace {

using minik8s::batch::v1::Job;
using minik8s::core::v1::Pod;

class ApiJobClient : public JobClient {
 public:
  explicit ApiJobClient(const client::Clientset* cs) : cs_(cs) {}

  absl::StatusOr<Pod> CreatePod(const Pod& pod) override { return cs_->Pods().Create(pod); }
  absl::Status DeletePod(absl::string_view ns, absl::string_view name) override {
    return cs_->Pods().Delete(ns, name).status();
  }
  absl::StatusOr<Pod> UpdatePod(const Pod& pod) override { return cs_->Pods().Update(pod); }
  absl::Status RemovePodFinalizer(absl::string_view ns, absl::string_view name,
                                  absl::string_view uid, absl::string_view finalizer) override {
    constexpr int kAttempts = 5;
    absl::Status last;
    for (int attempt = 0; attempt < kAttempts; ++attempt) {
      absl::StatusOr<Pod> pod = cs_->Pods().Get(ns, name);
      if (api::IsNotFound(pod.status())) return absl::OkStatus();
      if (!pod.ok()) return pod.status();
      if (pod->metadata().uid() != uid) return absl::OkStatus();
      auto* finalizers = pod->mutable_metadata()->mutable_finalizers();
      const auto it = std::find(finalizers->begin(), finalizers->end(), finalizer);
      if (it == finalizers->end()) return absl::OkStatus();
      finalizers->erase(it);
      absl::StatusOr<Pod> updated = cs_->Pods().Update(*pod);
      if (updated.ok() || api::IsNotFound(updated.status())) return absl::OkStatus();
      last = updated.status();
      if (!api::IsConflict(last)) return last;
    }
    return last;
  }
  absl::StatusOr<Job> GetJob(absl::string_view ns, absl::string_view name) override {
    return cs_->For<Job>().Get(ns, name);
  }
  absl::StatusOr<Job> UpdateJobStatus(const Job& job) override {
    return cs_->For<Job>().UpdateStatus(job);
  }
  absl::Status DeleteJob(absl::string_view ns, absl::string_view name,
                         absl::string_view uid) override {
    client::DeleteOptions options;
    options.propagation_policy = "Foreground";
    options.precondition_uid = std::string(uid);
    return cs_->For<Job>().Delete(ns, name, options).status();
  }

 private:
  const client::Clientset* cs_;
};

}  // namespace

std::unique_ptr<JobClient> NewApiJobClient(const client::Clientset* clientset) {
  return std::make_unique<ApiJobClient>(clientset);
}

}  // namespace minik8s::controllers
