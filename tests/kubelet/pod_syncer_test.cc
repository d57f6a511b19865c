// PodSyncer on a FakeClock against a scripted runtime: CrashLoopBackOff
// growth and reset, the graceful termination deadline, probe periods and
// thresholds, and the kubelet's pod metrics — minutes of kubelet time with
// no real sleeping.
#include "kubelet/pod_syncer.h"

#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/errors.h"
#include "common/fake_clock.h"
#include "common/metrics.h"
#include "gtest/gtest.h"
#include "runtime/container_ports.h"
#include "testing/temp_dir.h"

namespace minik8s::kubelet {
namespace {

namespace core = ::minik8s::core::v1;
namespace cri = ::minik8s::cri::v1;

int64_t Nanos(absl::Time t) { return absl::ToUnixNanos(t); }

// A runtime that does exactly what the test says, on the test's clock.
// Every image is present; containers run until the test exits them.
class ScriptedRuntime : public runtime::RuntimeClient {
 public:
  explicit ScriptedRuntime(common::FakeClock* clock) : clock_(clock) {}

  // The test's hands.
  void Exit(const std::string& id, int code) {
    cri::ContainerStatus& s = containers_.at(id);
    s.set_state(cri::CONTAINER_EXITED);
    s.set_exit_code(code);
    s.set_finished_at(Nanos(clock_->Now()));
  }
  std::string LastContainer() const { return last_container_; }
  cri::ContainerConfig last_config;  // of the last CreateContainer
  bool probe_ok = true;
  int probes = 0;
  // Time a StopContainer takes (the fake clock moves by it).
  absl::Duration stop_takes;
  std::vector<int64_t> stop_timeouts;
  // Commands run outside probes (lifecycle hooks): "cmd args (timeout)".
  std::vector<std::string> hook_execs;
  absl::Duration hook_takes;
  int hook_exit_code = 0;

  absl::StatusOr<cri::VersionResponse> Version(const cri::VersionRequest&) override {
    return cri::VersionResponse();
  }
  absl::StatusOr<cri::StatusResponse> Status(const cri::StatusRequest&) override {
    return cri::StatusResponse();
  }
  absl::StatusOr<cri::RunPodSandboxResponse> RunPodSandbox(
      const cri::RunPodSandboxRequest&) override {
    cri::RunPodSandboxResponse r;
    r.set_pod_sandbox_id(absl::StrCat("sb", ++next_));
    sandboxes_[r.pod_sandbox_id()] = cri::SANDBOX_READY;
    return r;
  }
  absl::StatusOr<cri::StopPodSandboxResponse> StopPodSandbox(
      const cri::StopPodSandboxRequest& req) override {
    sandboxes_[req.pod_sandbox_id()] = cri::SANDBOX_NOTREADY;
    return cri::StopPodSandboxResponse();
  }
  absl::StatusOr<cri::RemovePodSandboxResponse> RemovePodSandbox(
      const cri::RemovePodSandboxRequest& req) override {
    sandboxes_.erase(req.pod_sandbox_id());
    return cri::RemovePodSandboxResponse();
  }
  absl::StatusOr<cri::PodSandboxStatusResponse> PodSandboxStatus(
      const cri::PodSandboxStatusRequest& req) override {
    auto it = sandboxes_.find(req.pod_sandbox_id());
    if (it == sandboxes_.end()) return absl::NotFoundError("no such sandbox");
    cri::PodSandboxStatusResponse r;
    r.mutable_status()->set_id(it->first);
    r.mutable_status()->set_state(it->second);
    return r;
  }
  absl::StatusOr<cri::ListPodSandboxResponse> ListPodSandbox(
      const cri::ListPodSandboxRequest&) override {
    return cri::ListPodSandboxResponse();
  }
  absl::StatusOr<cri::CreateContainerResponse> CreateContainer(
      const cri::CreateContainerRequest& req) override {
    cri::ContainerStatus s;
    s.set_id(absl::StrCat("c", ++next_));
    *s.mutable_metadata() = req.config().metadata();
    s.set_state(cri::CONTAINER_CREATED);
    s.set_created_at(Nanos(clock_->Now()));
    s.set_image_ref("sha256:img");
    last_container_ = s.id();
    last_config = req.config();
    containers_[s.id()] = s;
    cri::CreateContainerResponse r;
    r.set_container_id(s.id());
    return r;
  }
  absl::StatusOr<cri::StartContainerResponse> StartContainer(
      const cri::StartContainerRequest& req) override {
    cri::ContainerStatus& s = containers_.at(req.container_id());
    s.set_state(cri::CONTAINER_RUNNING);
    s.set_started_at(Nanos(clock_->Now()));
    return cri::StartContainerResponse();
  }
  absl::StatusOr<cri::StopContainerResponse> StopContainer(
      const cri::StopContainerRequest& req) override {
    stop_timeouts.push_back(req.timeout());
    clock_->Advance(stop_takes);
    auto it = containers_.find(req.container_id());
    if (it == containers_.end()) return absl::NotFoundError("no such container");
    if (it->second.state() != cri::CONTAINER_EXITED) Exit(it->first, 137);
    return cri::StopContainerResponse();
  }
  absl::StatusOr<cri::RemoveContainerResponse> RemoveContainer(
      const cri::RemoveContainerRequest& req) override {
    containers_.erase(req.container_id());
    return cri::RemoveContainerResponse();
  }
  absl::StatusOr<cri::ListContainersResponse> ListContainers(
      const cri::ListContainersRequest&) override {
    return cri::ListContainersResponse();
  }
  absl::StatusOr<cri::ContainerStatusResponse> ContainerStatus(
      const cri::ContainerStatusRequest& req) override {
    auto it = containers_.find(req.container_id());
    if (it == containers_.end()) return absl::NotFoundError("no such container");
    cri::ContainerStatusResponse r;
    *r.mutable_status() = it->second;
    return r;
  }
  absl::StatusOr<cri::ExecSyncResponse> ExecSync(const cri::ExecSyncRequest& req) override {
    cri::ExecSyncResponse r;
    if (req.probe_kind() == cri::PROBE_KIND_UNSPECIFIED) {
      hook_execs.push_back(absl::StrCat(absl::StrJoin(req.cmd(), " "), " (", req.timeout(), ")"));
      clock_->Advance(hook_takes);
      r.set_exit_code(hook_exit_code);
      if (hook_exit_code != 0) r.set_stderr("boom");
      return r;
    }
    ++probes;
    r.set_exit_code(probe_ok ? 0 : 1);
    return r;
  }
  absl::StatusOr<cri::ProbeResponse> Probe(const cri::ProbeRequest&) override {
    ++probes;
    cri::ProbeResponse r;
    r.set_success(probe_ok);
    if (!probe_ok) r.set_message("HTTP probe failed with statuscode: 503");
    return r;
  }
  absl::Status ReadLogs(const cri::ReadLogsRequest&,
                        const std::function<bool(const cri::LogEntry&)>&) override {
    return absl::OkStatus();
  }
  absl::StatusOr<cri::ListImagesResponse> ListImages(const cri::ListImagesRequest&) override {
    return cri::ListImagesResponse();
  }
  absl::StatusOr<cri::ImageStatusResponse> ImageStatus(const cri::ImageStatusRequest&) override {
    cri::ImageStatusResponse r;
    r.mutable_image()->set_id("sha256:img");
    return r;
  }
  absl::StatusOr<cri::PullImageResponse> PullImage(const cri::PullImageRequest&) override {
    cri::PullImageResponse r;
    r.set_image_ref("sha256:img");
    return r;
  }
  absl::StatusOr<cri::RemoveImageResponse> RemoveImage(const cri::RemoveImageRequest&) override {
    return cri::RemoveImageResponse();
  }

 private:
  common::FakeClock* const clock_;
  int next_ = 0;
  std::string last_container_;
  std::map<std::string, cri::PodSandboxState> sandboxes_;
  std::map<std::string, cri::ContainerStatus> containers_;
};

// Records what the syncer writes and says.
class RecordingHost : public PodSyncHost {
 public:
  void Event(const core::Pod&, const std::string& container, const std::string&,
             const std::string& reason, const std::string&) override {
    events.push_back(container.empty() ? reason : absl::StrCat(reason, ":", container));
  }
  absl::StatusOr<std::string> AllocatePodIp(const std::string&) override { return "10.0.0.2"; }
  void ReleasePodIp(const std::string&, const std::string&) override {}
  std::string HostIp(const std::string&) override { return "192.168.0.10"; }
  absl::Status UpdatePodStatus(const core::Pod& pod) override {
    status = pod.status();
    written = pod;
    ++status_writes;
    return absl::OkStatus();
  }
  // The apiserver holds what was last written.
  absl::StatusOr<core::Pod> GetPod(const std::string&, const std::string& name) override {
    if (status_writes == 0)
      return absl::NotFoundError(absl::StrCat("pods \"", name, "\" not found"));
    return written;
  }
  absl::Status DeletePod(const core::Pod&) override {
    ++deletes;
    return absl::OkStatus();
  }
  bool RuntimeReady() const override { return true; }
  uint64_t RuntimeEpoch() override { return 0; }
  bool RuntimeUnreachable(const absl::Status& s) override {
    return s.code() == absl::StatusCode::kUnavailable;
  }

  int Count(const std::string& event) const {
    int n = 0;
    for (const auto& e : events) n += e == event;
    return n;
  }

  std::vector<std::string> events;
  core::PodStatus status;
  core::Pod written;
  int status_writes = 0;
  int deletes = 0;
};

core::Pod MakePod(const std::vector<std::string>& containers) {
  core::Pod pod;
  pod.mutable_metadata()->set_namespace_("default");
  pod.mutable_metadata()->set_name("web");
  pod.mutable_metadata()->set_uid("uid-1");
  pod.mutable_spec()->set_node_name("node-1");
  for (const auto& name : containers) {
    core::Container* c = pod.mutable_spec()->add_containers();
    c->set_name(name);
    c->set_image("busybox:1.36");
  }
  return pod;
}

class PodSyncerTest : public ::testing::Test {
 protected:
  PodSyncerTest()
      : runtime_(&clock_),
        syncer_(&runtime_, &clock_, &host_,
                PodSyncerOptions{.crash_loop_backoff_reset = absl::Minutes(10),
                                 .image_pull_backoff_initial = absl::Seconds(10)}),
        worker_(absl::Seconds(10), absl::Seconds(40), absl::Seconds(10), absl::Seconds(40)) {
    worker_.key = "default/web";
    worker_.uid = "uid-1";
    worker_.node = "node-1";
    worker_.first_seen = clock_.Now();
  }

  // One sync; returns when it asks to be looked at again (Infinite: never).
  absl::Duration Sync(const core::Pod& pod) {
    absl::Duration requeue = absl::InfiniteDuration();
    EXPECT_TRUE(syncer_.SyncRunningPod(worker_, pod, &requeue).ok());
    return requeue;
  }

  const core::ContainerStatus& Status0() const { return host_.status.container_statuses(0); }

  common::FakeClock clock_;
  ScriptedRuntime runtime_;
  RecordingHost host_;
  PodSyncer syncer_;
  PodWorker worker_;
};

TEST_F(PodSyncerTest, CrashLoopBackOffDoublesUpToTheMaxAndResetsAfterALongRun) {
  const core::Pod pod = MakePod({"app"});
  EXPECT_EQ(Sync(pod), absl::InfiniteDuration());
  EXPECT_EQ(host_.status.phase(), "Running");
  EXPECT_EQ(host_.Count("Started:app"), 1);

  // The first crash restarts at once (the back-off starts at 10 s).
  clock_.Advance(absl::Seconds(5));
  runtime_.Exit(runtime_.LastContainer(), 1);
  Sync(pod);
  EXPECT_EQ(host_.Count("Started:app"), 2);
  EXPECT_EQ(Status0().restart_count(), 1);

  // Each later crash waits: 10 s, 20 s, 40 s, then 40 s (the max).
  for (absl::Duration want :
       {absl::Seconds(10), absl::Seconds(20), absl::Seconds(40), absl::Seconds(40)}) {
    SCOPED_TRACE(absl::FormatDuration(want));
    clock_.Advance(absl::Seconds(1));
    runtime_.Exit(runtime_.LastContainer(), 1);
    const int started = host_.Count("Started:app");
    EXPECT_EQ(Sync(pod), want);
    EXPECT_EQ(Status0().state().waiting().reason(), "CrashLoopBackOff");
    EXPECT_TRUE(absl::StrContains(Status0().state().waiting().message(),
                                  absl::StrCat("back-off ", absl::ToInt64Seconds(want), "s")))
        << Status0().state().waiting().message();
    // Still waiting one second before the end...
    clock_.Advance(want - absl::Seconds(1));
    EXPECT_EQ(Sync(pod), absl::Seconds(1));
    EXPECT_EQ(host_.Count("Started:app"), started);
    // ...and restarted when it ends.
    clock_.Advance(absl::Seconds(1));
    Sync(pod);
    EXPECT_EQ(host_.Count("Started:app"), started + 1);
    EXPECT_TRUE(Status0().state().has_running());
  }
  const int restarts = Status0().restart_count();

  // A container that ran longer than the reset period restarts at once,
  // and its next crash waits the initial 10 s again.
  clock_.Advance(absl::Minutes(10));
  runtime_.Exit(runtime_.LastContainer(), 1);
  Sync(pod);
  EXPECT_TRUE(Status0().state().has_running());
  EXPECT_EQ(Status0().restart_count(), restarts + 1);
  clock_.Advance(absl::Seconds(1));
  runtime_.Exit(runtime_.LastContainer(), 1);
  EXPECT_EQ(Sync(pod), absl::Seconds(10));
  EXPECT_EQ(Status0().state().waiting().reason(), "CrashLoopBackOff");
}

TEST_F(PodSyncerTest, ContainerPortsReachTheRuntimeAsTheKubeletAnnotation) {
  core::Pod pod = MakePod({"app"});
  core::Container* c = pod.mutable_spec()->mutable_containers(0);
  core::ContainerPort* http = c->add_ports();
  http->set_name("http");
  http->set_container_port(80);
  http->set_protocol("TCP");
  core::ContainerPort* dns = c->add_ports();
  dns->set_container_port(53);
  dns->set_protocol("UDP");
  Sync(pod);
  const auto& annotations = runtime_.last_config.annotations();
  ASSERT_TRUE(annotations.contains(runtime::kContainerPortsAnnotation));
  EXPECT_EQ(annotations.at(runtime::kContainerPortsAnnotation),
            R"([{"name":"http","containerPort":80,"protocol":"TCP"},)"
            R"({"containerPort":53,"protocol":"UDP"}])");
  EXPECT_EQ(*runtime::TcpPortsOf(runtime_.last_config), std::vector<int>{80});

  // No ports, no annotation (as the Kubernetes kubelet).
  clock_.Advance(absl::Seconds(1));
  runtime_.Exit(runtime_.LastContainer(), 0);
  pod.mutable_spec()->mutable_containers(0)->clear_ports();
  Sync(pod);
  EXPECT_FALSE(runtime_.last_config.annotations().contains(runtime::kContainerPortsAnnotation));
}

TEST_F(PodSyncerTest, TeardownGivesEachContainerWhatIsLeftOfTheGracePeriod) {
  core::Pod pod = MakePod({"a", "b", "c"});
  Sync(pod);
  ASSERT_EQ(host_.status.phase(), "Running");
  EXPECT_EQ(syncer_.running_pods(), 1);
  // Each container takes 12 s to stop: the deadline is 30 s after the
  // teardown began, whatever the containers did meanwhile.
  runtime_.stop_takes = absl::Seconds(12);
  pod.mutable_metadata()->set_deletion_grace_period_seconds(30);
  ASSERT_TRUE(syncer_.TerminatePod(worker_, pod).ok());
  EXPECT_EQ(runtime_.stop_timeouts, (std::vector<int64_t>{30, 18, 6}));
  EXPECT_EQ(host_.Count("Killing:a") + host_.Count("Killing:b") + host_.Count("Killing:c"), 3);
  EXPECT_EQ(host_.deletes, 1);
  EXPECT_TRUE(worker_.sandbox_id.empty());
  EXPECT_EQ(syncer_.running_pods(), 0);
}

TEST_F(PodSyncerTest, TeardownPastTheDeadlineStopsAtOnce) {
  core::Pod pod = MakePod({"a", "b"});
  Sync(pod);
  runtime_.stop_takes = absl::Seconds(45);
  syncer_.TeardownPod(worker_, 30, /*record_events=*/false);
  EXPECT_EQ(runtime_.stop_timeouts, (std::vector<int64_t>{30, 0}));
  EXPECT_TRUE(host_.events.empty() || host_.Count("Killing:a") == 0);
}

core::LifecycleHandler ExecHook(std::vector<std::string> command) {
  core::LifecycleHandler h;
  for (auto& arg : command) h.mutable_exec()->add_command(arg);
  return h;
}

TEST_F(PodSyncerTest, PreStopHookRunsBeforeTheStopAndItsTimeComesOffTheGracePeriod) {
  core::Pod pod = MakePod({"app"});
  *pod.mutable_spec()->mutable_containers(0)->mutable_lifecycle()->mutable_pre_stop() =
      ExecHook({"sh", "-c", "sleep 5"});
  Sync(pod);
  ASSERT_EQ(host_.status.phase(), "Running");
  EXPECT_TRUE(runtime_.hook_execs.empty());
  runtime_.hook_takes = absl::Seconds(5);
  pod.mutable_metadata()->set_deletion_grace_period_seconds(30);
  ASSERT_TRUE(syncer_.TerminatePod(worker_, pod).ok());
  // The hook may use the whole grace period; the stop gets what is left.
  EXPECT_EQ(runtime_.hook_execs, (std::vector<std::string>{"sh -c sleep 5 (30)"}));
  EXPECT_EQ(runtime_.stop_timeouts, (std::vector<int64_t>{25}));
  EXPECT_EQ(host_.events.back(), "Killing:app");
  EXPECT_EQ(host_.Count("FailedPreStopHook:app"), 0);
  EXPECT_EQ(host_.deletes, 1);
}

TEST_F(PodSyncerTest, AFailedOrOverlongPreStopHookIsAnEventAndTheStopStillComes) {
  core::Pod pod = MakePod({"app"});
  *pod.mutable_spec()->mutable_containers(0)->mutable_lifecycle()->mutable_pre_stop() =
      ExecHook({"/bin/drain"});
  Sync(pod);
  runtime_.hook_takes = absl::Seconds(40);  // longer than the grace period
  runtime_.hook_exit_code = 3;
  worker_.last_pod = pod;  // as the kubelet's pod sync keeps it
  syncer_.TeardownPod(worker_, 30, /*record_events=*/true);
  EXPECT_EQ(host_.Count("FailedPreStopHook:app"), 1);
  // At least Kubernetes' 2 s after the hook, even past the deadline.
  EXPECT_EQ(runtime_.stop_timeouts, (std::vector<int64_t>{2}));
}

TEST_F(PodSyncerTest, WithNoGracePeriodThePreStopHookIsSkipped) {
  core::Pod pod = MakePod({"app"});
  *pod.mutable_spec()->mutable_containers(0)->mutable_lifecycle()->mutable_pre_stop() =
      ExecHook({"/bin/drain"});
  Sync(pod);
  worker_.last_pod = pod;
  syncer_.TeardownPod(worker_, 0, /*record_events=*/false);
  EXPECT_TRUE(runtime_.hook_execs.empty());
  EXPECT_EQ(runtime_.stop_timeouts, (std::vector<int64_t>{0}));
}

TEST_F(PodSyncerTest, APreStopSleepWaitsOnTheClock) {
  core::Pod pod = MakePod({"app"});
  pod.mutable_spec()
      ->mutable_containers(0)
      ->mutable_lifecycle()
      ->mutable_pre_stop()
      ->mutable_sleep()
      ->set_seconds(7);
  Sync(pod);
  worker_.last_pod = pod;
  std::thread teardown([&] { syncer_.TeardownPod(worker_, 30, /*record_events=*/false); });
  while (clock_.NumTimedWaiters() == 0) absl::SleepFor(absl::Milliseconds(1));
  EXPECT_TRUE(runtime_.stop_timeouts.empty());  // still sleeping
  clock_.Advance(absl::Seconds(7));
  teardown.join();
  EXPECT_EQ(runtime_.stop_timeouts, (std::vector<int64_t>{23}));
}

TEST_F(PodSyncerTest, AFailedPostStartHookKillsTheContainerWhichWaitsToRestart) {
  core::Pod pod = MakePod({"app"});
  *pod.mutable_spec()->mutable_containers(0)->mutable_lifecycle()->mutable_post_start() =
      ExecHook({"sh", "-c", "exit 3"});
  runtime_.hook_exit_code = 3;
  Sync(pod);
  EXPECT_EQ(runtime_.hook_execs, (std::vector<std::string>{"sh -c exit 3 (0)"}));
  EXPECT_EQ(host_.Count("Started:app"), 1);
  EXPECT_EQ(host_.Count("FailedPostStartHook:app"), 1);
  EXPECT_EQ(host_.Count("Killing:app"), 1);
  ASSERT_EQ(runtime_.stop_timeouts.size(), 1u);
  EXPECT_EQ(Status0().state().waiting().reason(), "PostStartHookError");
  EXPECT_TRUE(absl::StrContains(
      Status0().state().waiting().message(),
      "Exec lifecycle hook ([sh -c exit 3]) for Container \"app\" in Pod \"web_default(uid-1)\" "
      "failed - error: command 'sh -c exit 3' exited with 3: boom, message: \"boom\""))
      << Status0().state().waiting().message();
  // A hook that passes leaves the next instance running.
  runtime_.hook_exit_code = 0;
  Sync(pod);
  EXPECT_EQ(host_.Count("Started:app"), 2);
  EXPECT_TRUE(Status0().state().has_running());
  EXPECT_EQ(Status0().restart_count(), 1);
}

TEST_F(PodSyncerTest, ReadinessProbeRunsAfterItsDelayEveryPeriodAndFlipsOnThresholds) {
  core::Pod pod = MakePod({"app"});
  core::Probe* probe = pod.mutable_spec()->mutable_containers(0)->mutable_readiness_probe();
  probe->mutable_http_get()->set_path("/healthz");
  probe->mutable_http_get()->mutable_port()->set_int_val(80);
  probe->set_initial_delay_seconds(3);
  probe->set_period_seconds(5);
  probe->set_success_threshold(2);
  probe->set_failure_threshold(2);

  // The sync that starts the container leaves probing to the next one
  // (the relister's, once the runtime reports it running).
  EXPECT_EQ(Sync(pod), absl::InfiniteDuration());
  // Not probed before its initial delay; not ready until proven.
  EXPECT_EQ(Sync(pod), absl::Seconds(3));
  EXPECT_EQ(runtime_.probes, 0);
  EXPECT_FALSE(Status0().ready());
  clock_.Advance(absl::Seconds(3));
  EXPECT_EQ(Sync(pod), absl::Seconds(5));
  EXPECT_EQ(runtime_.probes, 1);
  EXPECT_FALSE(Status0().ready());  // one success of two
  // A sync between periods does not probe.
  clock_.Advance(absl::Seconds(2));
  EXPECT_EQ(Sync(pod), absl::Seconds(3));
  EXPECT_EQ(runtime_.probes, 1);
  clock_.Advance(absl::Seconds(3));
  Sync(pod);
  EXPECT_EQ(runtime_.probes, 2);
  EXPECT_TRUE(Status0().ready());

  // Two failures in a row make it unready; the container keeps running.
  runtime_.probe_ok = false;
  clock_.Advance(absl::Seconds(5));
  Sync(pod);
  EXPECT_TRUE(Status0().ready());
  clock_.Advance(absl::Seconds(5));
  Sync(pod);
  EXPECT_FALSE(Status0().ready());
  EXPECT_TRUE(Status0().state().has_running());
  EXPECT_EQ(host_.Count("Unhealthy:app"), 2);
}

TEST_F(PodSyncerTest, FailingLivenessProbeKillsAfterItsThresholdAndTheContainerRestarts) {
  core::Pod pod = MakePod({"app"});
  core::Probe* probe = pod.mutable_spec()->mutable_containers(0)->mutable_liveness_probe();
  probe->mutable_exec()->add_command("true");
  probe->set_period_seconds(10);
  probe->set_failure_threshold(3);
  pod.mutable_spec()->set_termination_grace_period_seconds(7);
  Sync(pod);  // started
  Sync(pod);  // probed once (no initial delay), fine
  EXPECT_EQ(runtime_.probes, 1);
  runtime_.probe_ok = false;
  for (int i = 0; i < 2; ++i) {
    clock_.Advance(absl::Seconds(10));
    Sync(pod);
    EXPECT_TRUE(Status0().state().has_running()) << i;
  }
  EXPECT_TRUE(runtime_.stop_timeouts.empty());
  clock_.Advance(absl::Seconds(10));
  Sync(pod);  // third failure: killed with the pod's grace period, restarted
  EXPECT_EQ(runtime_.stop_timeouts, (std::vector<int64_t>{7}));
  EXPECT_EQ(host_.Count("Killing:app"), 1);
  EXPECT_EQ(host_.Count("Started:app"), 2);
  EXPECT_EQ(Status0().restart_count(), 1);
}

TEST_F(PodSyncerTest, PodStartDurationIsObservedOnceFromFirstSeen) {
  auto count = [] {
    std::string text = metrics::Registry::Default().Expose();
    size_t at = text.find("kubelet_pod_start_duration_seconds_count ");
    if (at == std::string::npos) return -1.0;
    return std::stod(text.substr(at + sizeof("kubelet_pod_start_duration_seconds_count ") - 1));
  };
  const double before = count();
  ASSERT_GE(before, 0);
  EXPECT_TRUE(absl::StrContains(metrics::Registry::Default().Expose(), "kubelet_running_pods"));
  clock_.Advance(absl::Seconds(2));
  const core::Pod pod = MakePod({"app"});
  Sync(pod);
  EXPECT_EQ(count(), before + 1);
  EXPECT_TRUE(worker_.start_observed);
  clock_.Advance(absl::Seconds(1));
  Sync(pod);
  EXPECT_EQ(count(), before + 1);
}

// Volumes: a missing ConfigMap keeps the pod without a sandbox, waiting in
// ContainerCreating, with FailedMount Events retried at 1 s, 2 s, 4 s; once
// the ConfigMap exists the container is created with its read-only mount.
class ConfigMapsOnly : public VolumeObjectApi {
 public:
  absl::StatusOr<core::ConfigMap> GetConfigMap(const std::string&,
                                               const std::string& name) override {
    if (!exists) return api::NewNotFound("configmaps", name);
    core::ConfigMap cm;
    (*cm.mutable_data())["k"] = "v";
    return cm;
  }
  absl::StatusOr<core::Secret> GetSecret(const std::string&, const std::string& name) override {
    return api::NewNotFound("secrets", name);
  }
  bool exists = false;
};

TEST(PodSyncerVolumes, AMissingConfigMapHoldsThePodInContainerCreatingUntilItExists) {
  common::FakeClock clock;
  ScriptedRuntime runtime(&clock);
  RecordingHost host;
  ConfigMapsOnly objects;
  testing::TempDir root;
  VolumeManager volumes(&objects, nullptr, &clock,
                        {.root_dir = root.path(), .object_ttl = absl::ZeroDuration()});
  PodSyncer syncer(&runtime, &clock, &host, PodSyncerOptions{.volumes = &volumes});
  PodWorker w(absl::Seconds(10), absl::Seconds(40), absl::Seconds(10), absl::Seconds(40));
  w.key = "default/web";
  w.uid = "uid-1";
  w.node = "node-1";
  core::Pod pod = MakePod({"main"});
  core::Volume* v = pod.mutable_spec()->add_volumes();
  v->set_name("cfg");
  v->mutable_config_map()->set_name("app");
  core::VolumeMount* m = pod.mutable_spec()->mutable_containers(0)->add_volume_mounts();
  m->set_name("cfg");
  m->set_mount_path("/etc/app");

  auto sync = [&] {
    absl::Duration requeue = absl::InfiniteDuration();
    EXPECT_TRUE(syncer.SyncRunningPod(w, pod, &requeue).ok());
    return requeue;
  };
  EXPECT_EQ(sync(), absl::Seconds(1));
  EXPECT_TRUE(w.sandbox_id.empty()) << "no sandbox before the volumes";
  EXPECT_EQ(host.Count("FailedMount"), 1);
  ASSERT_EQ(host.status.container_statuses_size(), 1);
  EXPECT_EQ(host.status.container_statuses(0).state().waiting().reason(), "ContainerCreating");
  EXPECT_EQ(host.status.phase(), "Pending");
  // Back-off: a sync before the retry time does not try again.
  clock.Advance(absl::Milliseconds(500));
  EXPECT_EQ(sync(), absl::Milliseconds(500));
  EXPECT_EQ(host.Count("FailedMount"), 1);
  clock.Advance(absl::Milliseconds(500));
  EXPECT_EQ(sync(), absl::Seconds(2));
  clock.Advance(absl::Seconds(2));
  EXPECT_EQ(sync(), absl::Seconds(4));
  EXPECT_EQ(host.Count("FailedMount"), 3);

  objects.exists = true;
  clock.Advance(absl::Seconds(4));
  sync();
  EXPECT_FALSE(w.sandbox_id.empty());
  EXPECT_EQ(host.Count("Started:main"), 1);
  ASSERT_EQ(runtime.last_config.mounts_size(), 1);
  EXPECT_EQ(runtime.last_config.mounts(0).container_path(), "/etc/app");
  EXPECT_EQ(runtime.last_config.mounts(0).host_path(),
            root.path() + "/pods/uid-1/volumes/kubernetes.io~configmap/cfg");
  EXPECT_TRUE(runtime.last_config.mounts(0).readonly());
  EXPECT_TRUE(
      std::filesystem::exists(root.path() + "/pods/uid-1/volumes/kubernetes.io~configmap/cfg/k"));
  // The pod's worker goes: so does its folder.
  syncer.TeardownPod(w, 0, false);
  syncer.ForgetPod(w);
  EXPECT_FALSE(std::filesystem::exists(root.path() + "/pods/uid-1"));
}

}  // namespace
}  // namespace minik8s::kubelet
