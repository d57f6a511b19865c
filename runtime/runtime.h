// Runtime: the fake container runtime's core — pod sandboxes, containers and
// images, simulated in memory (no processes, no images on disk). It speaks
// the CRI v1 messages of proto/cri/v1/api.proto directly, so the gRPC service
// (runtime_service.h) and the in-process client (in_process_runtime_client.h)
// are thin adapters. The simulation rules are in runtime/README.md.
//
// The Runtime is the one service over four stores, each a plain table with
// its own tests: SandboxStore (sandboxes, reserved names, the pod IPs the
// kubelet gave), ContainerStore (containers and their run state), ImageStore
// (images and the simulated registry) and LogStore (log lines, files and
// followers); workload_logs.h has the lines simulated images print. The
// Runtime holds the lock, the timers and the container state machine.
//
// Calls that take time in a real runtime (PullImage with a pull delay,
// StartContainer with a start delay, StopContainer with a grace period) come
// in two forms: asynchronous, completing `done` later on the clock's thread
// (or inside common::FakeClock::Advance), and blocking, which waits for that. With a
// common::FakeClock use the asynchronous form, or nobody advances the time.
//
// State lives in memory for the Runtime's lifetime (a restarted kubelet finds
// its sandboxes again; a restarted runtime has none, like a rebooted node,
// and a new boot_id so a kubelet can tell).
//
// Thread-safe. One mutex guards all state (every store). Timers run on the
// common::Clock's thread.
// `done` callbacks run with no Runtime lock held. Log-follow sinks
// (FollowLogs) run with the Runtime lock held, to keep lines in order: they
// must only buffer and must not call back into the Runtime.
// Lock order: Lifeline::mu (timer callbacks) -> Runtime::mu_ -> the common::Clock's lock;
// access_log_life_->mu (the port listeners' thread) -> Runtime::mu_.
//
// Ports: a container whose pod IP is a loopback address answers TCP on its
// declared ports (port_listeners.h). The listeners are opened and closed
// under mu_ (in order) and waited for once it is released (Deferred), so
// StartContainer returns once they listen and StopContainer once they are
// closed. The listeners' thread takes mu_ to append nginx's access log
// lines, never Lifeline::mu, so a timer callback may wait for it.
#ifndef MINIK8S_RUNTIME_RUNTIME_H_
#define MINIK8S_RUNTIME_RUNTIME_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/fake_clock.h"
#include "cri/v1/api.pb.h"
#include "runtime/container_store.h"
#include "runtime/image_store.h"
#include "runtime/log_store.h"
#include "runtime/port_listeners.h"
#include "runtime/sandbox_store.h"

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
  // Borrowed; must outlive the Runtime. Null: the Runtime owns a common::RealClock.
  common::Clock* clock = nullptr;
};

// Done (container_store.h), LogSink and FollowId (log_store.h) are the
// callback types of the asynchronous calls below.

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
  absl::StatusOr<cri::StopPodSandboxResponse> StopPodSandbox(const cri::StopPodSandboxRequest& req);
  absl::StatusOr<cri::RemovePodSandboxResponse> RemovePodSandbox(
      const cri::RemovePodSandboxRequest& req);
  absl::StatusOr<cri::PodSandboxStatusResponse> PodSandboxStatus(
      const cri::PodSandboxStatusRequest& req);
  absl::StatusOr<cri::ListPodSandboxResponse> ListPodSandbox(const cri::ListPodSandboxRequest& req);

  absl::StatusOr<cri::CreateContainerResponse> CreateContainer(
      const cri::CreateContainerRequest& req);
  void StartContainer(const cri::StartContainerRequest& req,
                      Done<cri::StartContainerResponse> done);
  absl::StatusOr<cri::StartContainerResponse> StartContainer(const cri::StartContainerRequest& req);
  void StopContainer(const cri::StopContainerRequest& req, Done<cri::StopContainerResponse> done);
  absl::StatusOr<cri::StopContainerResponse> StopContainer(const cri::StopContainerRequest& req);
  absl::StatusOr<cri::RemoveContainerResponse> RemoveContainer(
      const cri::RemoveContainerRequest& req);
  absl::StatusOr<cri::ListContainersResponse> ListContainers(const cri::ListContainersRequest& req);
  absl::StatusOr<cri::ContainerStatusResponse> ContainerStatus(
      const cri::ContainerStatusRequest& req);
  // Runs a command in a running container. An exec probe's command
  // (probe_kind set) takes no simulated time. Any other, such as a
  // lifecycle hook's, sleeps as it says on the clock; it ends with an error
  // when the container exits first or when req.timeout (if > 0) passes.
  void ExecSync(const cri::ExecSyncRequest& req, Done<cri::ExecSyncResponse> done);
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

  common::Clock* clock() const { return clock_; }
  // A random id of this Runtime instance, like a node's boot id: a restarted
  // runtime (which has lost every sandbox and container) has a new one.
  // Status() reports it as info["bootID"].
  const std::string& boot_id() const { return boot_id_; }

 private:
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
  std::string NewIdLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Runs `fn` under mu_ at `when`, unless the runtime is gone.
  common::TimerId ScheduleLocked(absl::Time when, std::function<void(Deferred&)> fn)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Same, for a running container: skipped if it has since exited/restarted
  // or been removed. The timer is cancelled when the container exits.
  void ScheduleForContainerLocked(Container& c, absl::Time when,
                                  std::function<void(Container&, Deferred&)> fn)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  void BeginRunningLocked(Container& c, Deferred& deferred) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Runs `run` until it sleeps (a timer continues it) or ends (answered).
  void ContinueExecLocked(Container& c, const std::shared_ptr<ExecRun>& run, Deferred& deferred)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Answers `run` once and forgets it.
  void FinishExecLocked(Container& c, const std::shared_ptr<ExecRun>& run,
                        absl::StatusOr<cri::ExecSyncResponse> result, Deferred& deferred)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
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
  // A line of the container's output, stamped now.
  void AppendLogLocked(Container& c, const std::string& stream, const std::string& text)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Opens / closes the container's ports (see the top); the wait is added
  // to `deferred`.
  void OpenPortsLocked(Container& c, Deferred& deferred) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ClosePortsLocked(Container& c, Deferred& deferred) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // An access log line of a running container (the listeners' thread).
  void AppendAccessLog(const std::string& container_id, const std::string& line)
      ABSL_LOCKS_EXCLUDED(mu_);

  const RuntimeOptions options_;
  std::unique_ptr<common::Clock> owned_clock_;  // set when options_.clock is null
  common::Clock* const clock_;
  std::shared_ptr<Lifeline> lifeline_;
  // The same, for the port listeners' access log callback.
  std::shared_ptr<Lifeline> access_log_life_;
  const std::string boot_id_;
  // Thread-safe on its own; destroyed first (the destructor resets it).
  std::unique_ptr<PortListeners> listeners_;

  absl::Mutex mu_;
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 1;
  SandboxStore sandboxes_ ABSL_GUARDED_BY(mu_);
  ContainerStore containers_ ABSL_GUARDED_BY(mu_);
  ImageStore images_ ABSL_GUARDED_BY(mu_);
  LogStore logs_ ABSL_GUARDED_BY(mu_);
  // Pulls in progress: normalized name -> waiters (concurrent pulls of one
  // image share one download).
  std::map<std::string, std::vector<Done<cri::PullImageResponse>>> pulls_ ABSL_GUARDED_BY(mu_);
  std::set<common::TimerId> pull_timers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace minik8s::runtime

#endif  // MINIK8S_RUNTIME_RUNTIME_H_
