// Runtime: the fake container runtime's core — pod sandboxes, containers and
// images, simulated in memory (no processes, no images on disk). It speaks
// the CRI v1 messages of proto/cri/v1/api.proto directly, so the gRPC service
// (runtime_service.h) and the in-process client (in_process_runtime_client.h)
// are thin adapters. The simulation rules are in runtime/README.md.
//
// Calls that take time in a real runtime (PullImage with a pull delay,
// StartContainer with a start delay, StopContainer with a grace period) come
// in two forms: asynchronous, completing `done` later on the clock's thread
// (or inside FakeClock::Advance), and blocking, which waits for that. With a
// FakeClock use the asynchronous form, or nobody advances the time.
//
// State lives in memory for the Runtime's lifetime (a restarted kubelet finds
// its sandboxes again; a restarted runtime has none, like a rebooted node,
// and a new boot_id so a kubelet can tell).
//
// Thread-safe. One mutex guards all state. Timers run on the Clock's thread.
// `done` callbacks run with no Runtime lock held. Log-follow sinks
// (FollowLogs) run with the Runtime lock held, to keep lines in order: they
// must only buffer and must not call back into the Runtime.
// Lock order: Lifeline::mu (timer callbacks) -> Runtime::mu_ -> the Clock's lock.
#ifndef MINIK8S_RUNTIME_RUNTIME_H_
#define MINIK8S_RUNTIME_RUNTIME_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cri/v1/api.pb.h"
#include "runtime/clock.h"
#include "runtime/script.h"
#include "runtime/sim_options.h"

namespace minik8s::runtime {

namespace cri = ::minik8s::cri::v1;

struct RuntimeOptions {
  // Time a pull of an absent image takes.
  absl::Duration image_pull_delay = absl::ZeroDuration();
  // Per-image pull time, keyed by image name as a user writes it
  // ("nginx:1.14.2"); names are normalized before matching.
  std::map<std::string, absl::Duration> image_pull_delay_for;
  // Images whose pull fails with "not found", besides any whose name contains
  // "doesnotexist" or "notfound".
  std::vector<std::string> missing_images;
  // Time between StartContainer and RUNNING.
  absl::Duration container_start_delay = absl::ZeroDuration();
  // Log lines kept in memory per container (the oldest are dropped).
  size_t max_log_lines = 10000;
  // Borrowed; must outlive the Runtime. Null: the Runtime owns a RealClock.
  Clock* clock = nullptr;
};

template <typename T>
using Done = std::function<void(absl::StatusOr<T>)>;

// Receives log entries of a followed container. `end` is true exactly once,
// on the last call: the container exited or was removed, or the runtime is
// shutting down.
using LogSink = std::function<void(std::vector<cri::LogEntry> entries, bool end)>;
using FollowId = uint64_t;

class Runtime {
 public:
  // Validates the options (e.g. the delays).
  static absl::StatusOr<std::unique_ptr<Runtime>> Create(RuntimeOptions options);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // ---- RuntimeService
  absl::StatusOr<cri::VersionResponse> Version(const cri::VersionRequest& req);
  absl::StatusOr<cri::StatusResponse> Status(const cri::StatusRequest& req);

  absl::StatusOr<cri::RunPodSandboxResponse> RunPodSandbox(const cri::RunPodSandboxRequest& req);
  absl::StatusOr<cri::StopPodSandboxResponse> StopPodSandbox(
      const cri::StopPodSandboxRequest& req);
  absl::StatusOr<cri::RemovePodSandboxResponse> RemovePodSandbox(
      const cri::RemovePodSandboxRequest& req);
  absl::StatusOr<cri::PodSandboxStatusResponse> PodSandboxStatus(
      const cri::PodSandboxStatusRequest& req);
  absl::StatusOr<cri::ListPodSandboxResponse> ListPodSandbox(
      const cri::ListPodSandboxRequest& req);

  absl::StatusOr<cri::CreateContainerResponse> CreateContainer(
      const cri::CreateContainerRequest& req);
  void StartContainer(const cri::StartContainerRequest& req,
                      Done<cri::StartContainerResponse> done);
  absl::StatusOr<cri::StartContainerResponse> StartContainer(
      const cri::StartContainerRequest& req);
  void StopContainer(const cri::StopContainerRequest& req, Done<cri::StopContainerResponse> done);
  absl::StatusOr<cri::StopContainerResponse> StopContainer(const cri::StopContainerRequest& req);
  absl::StatusOr<cri::RemoveContainerResponse> RemoveContainer(
      const cri::RemoveContainerRequest& req);
  absl::StatusOr<cri::ListContainersResponse> ListContainers(
      const cri::ListContainersRequest& req);
  absl::StatusOr<cri::ContainerStatusResponse> ContainerStatus(
      const cri::ContainerStatusRequest& req);
  absl::StatusOr<cri::ExecSyncResponse> ExecSync(const cri::ExecSyncRequest& req);
  absl::StatusOr<cri::ProbeResponse> Probe(const cri::ProbeRequest& req);

  // The container's log now (`follow` is ignored).
  absl::StatusOr<cri::ReadLogsResponse> ReadLogs(const cri::ReadLogsRequest& req);
  // Delivers the current log (honouring tail_lines) to `sink` at once, then
  // every new line until the end (see LogSink). Returns an id for
  // StopFollowing; when the container has already exited, the first call has
  // end = true and the id is 0.
  absl::StatusOr<FollowId> FollowLogs(const cri::ReadLogsRequest& req, LogSink sink);
  // After this returns, `sink` is not running and will not be called again.
  void StopFollowing(FollowId id);

  // ---- ImageService
  absl::StatusOr<cri::ListImagesResponse> ListImages(const cri::ListImagesRequest& req);
  absl::StatusOr<cri::ImageStatusResponse> ImageStatus(const cri::ImageStatusRequest& req);
  void PullImage(const cri::PullImageRequest& req, Done<cri::PullImageResponse> done);
  absl::StatusOr<cri::PullImageResponse> PullImage(const cri::PullImageRequest& req);
  absl::StatusOr<cri::RemoveImageResponse> RemoveImage(const cri::RemoveImageRequest& req);

  Clock* clock() const { return clock_; }
  // A random id of this Runtime instance, like a node's boot id: a restarted
  // runtime (which has lost every sandbox and container) has a new one.
  // Status() reports it as info["bootID"].
  const std::string& boot_id() const { return boot_id_; }

 private:
  struct Sandbox;
  struct Container;
  struct ImageRecord;
  struct Follower {
    std::string container_id;
    LogSink sink;
  };
  // Collects callbacks to run once the lock is released; declare it before
  // the MutexLock so it is destroyed (and runs them) after the unlock.
  class Deferred {
   public:
    ~Deferred() {
      for (auto& f : calls_) f();
    }
    void Add(std::function<void()> f) { calls_.push_back(std::move(f)); }

   private:
    std::vector<std::function<void()>> calls_;
  };
  // Shared with every scheduled timer; the destructor clears `runtime` so
  // late timers do nothing. Timers hold `mu` (shared) while they run.
  struct Lifeline {
    absl::Mutex mu;
    Runtime* runtime ABSL_GUARDED_BY(mu) = nullptr;
  };

  explicit Runtime(RuntimeOptions options);

  absl::Time Now() { return clock_->Now(); }
  static std::string SandboxNameOf(const cri::PodSandboxMetadata& md);
  std::string NewIdLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Runs `fn` under mu_ at `when`, unless the runtime is gone.
  TimerId ScheduleLocked(absl::Time when, std::function<void(Deferred&)> fn)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Same, for a running container: skipped if it has since exited/restarted
  // or been removed. The timer is cancelled when the container exits.
  void ScheduleForContainerLocked(Container& c, absl::Time when,
                                  std::function<void(Container&, Deferred&)> fn)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Container* FindContainerLocked(const std::string& id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Sandbox* FindSandboxLocked(const std::string& id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  ImageRecord* FindImageLocked(const std::string& image) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  void BeginRunningLocked(Container& c, Deferred& deferred) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ContinueScriptLocked(Container& c, Deferred& deferred) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // RUNNING -> EXITED with the code and reason; wakes stop waiters and ends
  // log followers.
  void ExitLocked(Container& c, int exit_code, const std::string& reason,
                  const std::string& message, Deferred& deferred)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // SIGKILL: exit 137 if running.
  void KillLocked(Container& c, Deferred& deferred) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RemoveContainerLocked(const std::string& id, Deferred& deferred)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AppendLogLocked(Container& c, const std::string& stream, const std::string& text)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EndFollowersLocked(Container& c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Probe outcome by the MINIK8S_SIM_* rules; nullopt = passes.
  std::optional<std::string> ProbeFailureLocked(const Container& c, cri::ProbeKind kind)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FillStatusLocked(const Container& c, cri::ContainerStatus* out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ReleaseIpLocked(Sandbox& sb) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool IsMissingImage(const std::string& normalized) const;
  absl::Duration PullDelayFor(const std::string& normalized) const;

  const RuntimeOptions options_;
  std::unique_ptr<Clock> owned_clock_;  // set when options_.clock is null
  Clock* const clock_;
  std::shared_ptr<Lifeline> lifeline_;
  const std::string boot_id_;

  absl::Mutex mu_;
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<std::string, std::unique_ptr<Sandbox>> sandboxes_ ABSL_GUARDED_BY(mu_);
  // Reserved sandbox name (SandboxNameOf) → sandbox id: what makes a second
  // RunPodSandbox of one (name, namespace, uid, attempt) AlreadyExists.
  absl::flat_hash_map<std::string, std::string> sandbox_names_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::unique_ptr<Container>> containers_ ABSL_GUARDED_BY(mu_);
  // Keyed by normalized name ("docker.io/library/nginx:latest").
  std::map<std::string, std::unique_ptr<ImageRecord>> images_ ABSL_GUARDED_BY(mu_);
  // Pulls in progress: normalized name -> waiters (concurrent pulls of one
  // image share one download).
  std::map<std::string, std::vector<Done<cri::PullImageResponse>>> pulls_ ABSL_GUARDED_BY(mu_);
  std::set<TimerId> pull_timers_ ABSL_GUARDED_BY(mu_);
  FollowId next_follow_id_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<FollowId, Follower> followers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace minik8s::runtime

#endif  // MINIK8S_RUNTIME_RUNTIME_H_
