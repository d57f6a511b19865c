#include "runtime/in_process_runtime_client.h"

#include <deque>

#include "absl/synchronization/mutex.h"

namespace minik8s::runtime {
namespace {

class InProcessRuntimeClient : public RuntimeClient {
 public:
  explicit InProcessRuntimeClient(Runtime* rt) : rt_(rt) {}

  absl::StatusOr<cri::VersionResponse> Version(const cri::VersionRequest& req) override {
    return rt_->Version(req);
  }
  absl::StatusOr<cri::StatusResponse> Status(const cri::StatusRequest& req) override {
    return rt_->Status(req);
  }
  absl::StatusOr<cri::RunPodSandboxResponse> RunPodSandbox(
      const cri::RunPodSandboxRequest& req) override {
    return rt_->RunPodSandbox(req);
  }
  absl::StatusOr<cri::StopPodSandboxResponse> StopPodSandbox(
      const cri::StopPodSandboxRequest& req) override {
    return rt_->StopPodSandbox(req);
  }
  absl::StatusOr<cri::RemovePodSandboxResponse> RemovePodSandbox(
      const cri::RemovePodSandboxRequest& req) override {
    return rt_->RemovePodSandbox(req);
  }
  absl::StatusOr<cri::PodSandboxStatusResponse> PodSandboxStatus(
      const cri::PodSandboxStatusRequest& req) override {
    return rt_->PodSandboxStatus(req);
  }
  absl::StatusOr<cri::ListPodSandboxResponse> ListPodSandbox(
      const cri::ListPodSandboxRequest& req) override {
    return rt_->ListPodSandbox(req);
  }
  absl::StatusOr<cri::CreateContainerResponse> CreateContainer(
      const cri::CreateContainerRequest& req) override {
    return rt_->CreateContainer(req);
  }
  absl::StatusOr<cri::StartContainerResponse> StartContainer(
      const cri::StartContainerRequest& req) override {
    return rt_->StartContainer(req);
  }
  absl::StatusOr<cri::StopContainerResponse> StopContainer(
      const cri::StopContainerRequest& req) override {
    return rt_->StopContainer(req);
  }
  absl::StatusOr<cri::RemoveContainerResponse> RemoveContainer(
      const cri::RemoveContainerRequest& req) override {
    return rt_->RemoveContainer(req);
  }
  absl::StatusOr<cri::ListContainersResponse> ListContainers(
      const cri::ListContainersRequest& req) override {
    return rt_->ListContainers(req);
  }
  absl::StatusOr<cri::ContainerStatusResponse> ContainerStatus(
      const cri::ContainerStatusRequest& req) override {
    return rt_->ContainerStatus(req);
  }
  absl::StatusOr<cri::ExecSyncResponse> ExecSync(const cri::ExecSyncRequest& req) override {
    return rt_->ExecSync(req);
  }
  absl::StatusOr<cri::ProbeResponse> Probe(const cri::ProbeRequest& req) override {
    return rt_->Probe(req);
  }

  absl::Status ReadLogs(const cri::ReadLogsRequest& req,
                        const std::function<bool(const cri::LogEntry&)>& on_entry) override {
    if (!req.follow()) {
      absl::StatusOr<cri::ReadLogsResponse> r = rt_->ReadLogs(req);
      if (!r.ok()) return r.status();
      for (const auto& e : r->entries()) {
        if (!on_entry(e)) break;
      }
      return absl::OkStatus();
    }
    // The sink runs under the Runtime's lock: it only queues; this thread
    // delivers.
    struct Queue {
      absl::Mutex mu;
      std::deque<cri::LogEntry> entries ABSL_GUARDED_BY(mu);
      bool ended ABSL_GUARDED_BY(mu) = false;
    };
    auto q = std::make_shared<Queue>();
    absl::StatusOr<FollowId> id =
        rt_->FollowLogs(req, [q](std::vector<cri::LogEntry> entries, bool end) {
          absl::MutexLock lock(&q->mu);
          for (auto& e : entries) q->entries.push_back(std::move(e));
          if (end) q->ended = true;
        });
    if (!id.ok()) return id.status();
    while (true) {
      std::deque<cri::LogEntry> batch;
      bool ended = false;
      {
        absl::MutexLock lock(&q->mu);
        q->mu.Await(absl::Condition(
            +[](Queue* q)
                 ABSL_NO_THREAD_SAFETY_ANALYSIS { return q->ended || !q->entries.empty(); },
            q.get()));
        batch.swap(q->entries);
        ended = q->ended;
      }
      for (const auto& e : batch) {
        if (!on_entry(e)) {
          rt_->StopFollowing(*id);
          return absl::OkStatus();
        }
      }
      if (ended) return absl::OkStatus();
    }
  }

  absl::StatusOr<cri::ListImagesResponse> ListImages(const cri::ListImagesRequest& req) override {
    return rt_->ListImages(req);
  }
  absl::StatusOr<cri::ImageStatusResponse> ImageStatus(
      const cri::ImageStatusRequest& req) override {
    return rt_->ImageStatus(req);
  }
  absl::StatusOr<cri::PullImageResponse> PullImage(const cri::PullImageRequest& req) override {
    return rt_->PullImage(req);
  }
  absl::StatusOr<cri::RemoveImageResponse> RemoveImage(
      const cri::RemoveImageRequest& req) override {
    return rt_->RemoveImage(req);
  }

 private:
  Runtime* const rt_;
};

}  // namespace

std::unique_ptr<RuntimeClient> NewInProcessRuntimeClient(Runtime* runtime) {
  return std::make_unique<InProcessRuntimeClient>(runtime);
}

}  // namespace minik8s::runtime
