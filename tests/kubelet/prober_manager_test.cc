// ProberManager on a FakeClock: probe periods, initial delays and
// thresholds, startup gating liveness and readiness, per-instance state,
// and a runtime that does not answer — with no sleeping.
#include "kubelet/prober_manager.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/fake_clock.h"
#include "gtest/gtest.h"
#include "tests/kubelet/unimplemented_runtime.h"

namespace minik8s::kubelet {
namespace {

namespace core = ::minik8s::core::v1;
using Verdict = ProberManager::Verdict;

// Answers HTTP/TCP probes and exec checks with what the test sets, per kind.
class ProbeRuntime : public UnimplementedRuntime {
 public:
  absl::StatusOr<cri::ProbeResponse> Probe(const cri::ProbeRequest& req) override {
    calls.push_back(absl::StrCat(cri::ProbeKind_Name(req.kind()), ":", req.container_id()));
    if (!answer) return absl::UnavailableError("runtime down");
    cri::ProbeResponse r;
    const bool ok = req.kind() == cri::LIVENESS    ? liveness_ok
                    : req.kind() == cri::READINESS ? readiness_ok
                                                   : startup_ok;
    r.set_success(ok);
    if (!ok) r.set_message("HTTP probe failed with statuscode: 503");
    return r;
  }
  absl::StatusOr<cri::ExecSyncResponse> ExecSync(const cri::ExecSyncRequest& req) override {
    calls.push_back(absl::StrCat("exec:", req.cmd(0), ":timeout=", req.timeout()));
    cri::ExecSyncResponse r;
    r.set_exit_code(liveness_ok ? 0 : 2);
    return r;
  }
  bool answer = true;
  bool liveness_ok = true, readiness_ok = true, startup_ok = true;
  std::vector<std::string> calls;
};

class Recorder : public PodEventRecorder, public RuntimeHealth {
 public:
  void Event(const core::Pod&, const std::string& container, const std::string& type,
             const std::string& reason, const std::string& message) override {
    events.push_back(absl::StrCat(type, " ", reason, " ", container, ": ", message));
  }
  bool RuntimeReady() const override { return ready; }
  uint64_t RuntimeEpoch() override { return 0; }
  bool RuntimeUnreachable(const absl::Status& s) override {
    if (s.code() != absl::StatusCode::kUnavailable) return false;
    ready = false;
    return true;
  }
  std::vector<std::string> events;
  bool ready = true;
};

core::Probe HttpProbe(int delay, int period, int failure_threshold) {
  core::Probe p;
  p.mutable_http_get()->set_path("/healthz");
  p.mutable_http_get()->mutable_port()->set_int_val(8080);
  p.set_initial_delay_seconds(delay);
  p.set_period_seconds(period);
  p.set_failure_threshold(failure_threshold);
  return p;
}

core::Pod MakePod() {
  core::Pod pod;
  pod.mutable_metadata()->set_namespace_("default");
  pod.mutable_metadata()->set_name("web");
  pod.mutable_metadata()->set_uid("uid-1");
  core::Container* c = pod.mutable_spec()->add_containers();
  c->set_name("app");
  c->set_image("nginx");
  return pod;
}

class ProberManagerTest : public ::testing::Test {
 protected:
  ProberManagerTest() : prober_(&runtime_, &recorder_, &recorder_), pod_(MakePod()) {
    started_ = clock_.Now();
  }
  core::Container& container() { return *pod_.mutable_spec()->mutable_containers(0); }
  // One sync's probing at the fake clock's time; `*wake` gets the next probe.
  Verdict ProbeNow(absl::Time* wake, const std::string& id = "c1") {
    *wake = absl::InfiniteFuture();
    return prober_.Probe(pod_, container(), id, "10.0.0.2", started_, clock_.Now(), wake);
  }

  common::FakeClock clock_;
  ProbeRuntime runtime_;
  Recorder recorder_;
  ProberManager prober_;
  core::Pod pod_;
  absl::Time started_;
};

TEST_F(ProberManagerTest, WithoutProbesAContainerIsStartedAndReady) {
  absl::Time wake;
  EXPECT_EQ(ProbeNow(&wake), Verdict::kOk);
  EXPECT_EQ(wake, absl::InfiniteFuture());
  EXPECT_TRUE(runtime_.calls.empty());
  auto r = prober_.Results("uid-1", container());
  EXPECT_TRUE(r.started);
  EXPECT_TRUE(r.ready);
}

TEST_F(ProberManagerTest, ReadinessWaitsItsInitialDelayThenRunsEveryPeriod) {
  *container().mutable_readiness_probe() = HttpProbe(/*delay=*/5, /*period=*/10, 3);
  // Not ready until a probe succeeded, even before probing started.
  EXPECT_FALSE(prober_.Results("uid-1", container()).ready);
  absl::Time wake;
  EXPECT_EQ(ProbeNow(&wake), Verdict::kOk);
  EXPECT_TRUE(runtime_.calls.empty());
  EXPECT_EQ(wake, started_ + absl::Seconds(5));
  EXPECT_FALSE(prober_.Results("uid-1", container()).ready);

  clock_.Advance(absl::Seconds(4));
  EXPECT_EQ(ProbeNow(&wake), Verdict::kOk);
  EXPECT_TRUE(runtime_.calls.empty());

  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(ProbeNow(&wake), Verdict::kOk);
  ASSERT_EQ(runtime_.calls.size(), 1u);
  EXPECT_EQ(runtime_.calls[0], "READINESS:c1");
  EXPECT_TRUE(prober_.Results("uid-1", container()).ready);
  EXPECT_EQ(wake, started_ + absl::Seconds(15));

  // A sync in between runs nothing.
  clock_.Advance(absl::Seconds(3));
  EXPECT_EQ(ProbeNow(&wake), Verdict::kOk);
  EXPECT_EQ(runtime_.calls.size(), 1u);

  // Failures: not ready only after failureThreshold (3) in a row.
  runtime_.readiness_ok = false;
  for (int i = 0; i < 3; ++i) {
    clock_.AdvanceTo(wake);
    EXPECT_EQ(ProbeNow(&wake), Verdict::kOk);
    EXPECT_EQ(prober_.Results("uid-1", container()).ready, i < 2) << i;
  }
  EXPECT_EQ(runtime_.calls.size(), 4u);
  ASSERT_EQ(recorder_.events.size(), 3u);
  EXPECT_EQ(
      recorder_.events[0],
      "Warning Unhealthy app: Readiness probe failed: HTTP probe failed with statuscode: 503");
}

TEST_F(ProberManagerTest, LivenessFailsAfterItsThreshold) {
  *container().mutable_liveness_probe() = HttpProbe(0, 10, 3);
  runtime_.liveness_ok = false;
  absl::Time wake;
  EXPECT_EQ(ProbeNow(&wake), Verdict::kOk);  // 1st failure
  EXPECT_EQ(wake, started_ + absl::Seconds(10));
  clock_.AdvanceTo(wake);
  EXPECT_EQ(ProbeNow(&wake), Verdict::kOk);  // 2nd
  clock_.AdvanceTo(wake);
  EXPECT_EQ(ProbeNow(&wake), Verdict::kLivenessFailed);  // 3rd: restart it
  EXPECT_EQ(clock_.Now(), started_ + absl::Seconds(20));
  EXPECT_EQ(recorder_.events.size(), 3u);
  // Liveness does not gate readiness.
  EXPECT_TRUE(prober_.Results("uid-1", container()).ready);
}

TEST_F(ProberManagerTest, ExecProbesPassTheirTimeout) {
  core::Probe p;
  p.mutable_exec()->add_command("check");
  p.set_timeout_seconds(7);
  *container().mutable_liveness_probe() = p;
  absl::Time wake;
  EXPECT_EQ(ProbeNow(&wake), Verdict::kOk);
  ASSERT_EQ(runtime_.calls.size(), 1u);
  EXPECT_EQ(runtime_.calls[0], "exec:check:timeout=7");
}

TEST_F(ProberManagerTest, StartupGatesLivenessAndReadiness) {
  *container().mutable_startup_probe() = HttpProbe(0, 1, 30);
  *container().mutable_liveness_probe() = HttpProbe(0, 10, 1);
  *container().mutable_readiness_probe() = HttpProbe(0, 10, 1);
  runtime_.startup_ok = false;
  absl::Time wake;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(ProbeNow(&wake), Verdict::kOk);
    EXPECT_EQ(wake, clock_.Now() + absl::Seconds(1));
    EXPECT_FALSE(prober_.Results("uid-1", container()).started);
    EXPECT_FALSE(prober_.Results("uid-1", container()).ready);
    clock_.AdvanceTo(wake);
  }
  EXPECT_EQ(runtime_.calls, std::vector<std::string>(3, "STARTUP:c1"));

  runtime_.startup_ok = true;
  EXPECT_EQ(ProbeNow(&wake), Verdict::kOk);
  EXPECT_TRUE(prober_.Results("uid-1", container()).started);
  // Liveness and readiness ran right after, in the same sync; startup stops.
  ASSERT_EQ(runtime_.calls.size(), 6u);
  EXPECT_EQ(runtime_.calls[3], "STARTUP:c1");
  EXPECT_EQ(runtime_.calls[4], "LIVENESS:c1");
  EXPECT_EQ(runtime_.calls[5], "READINESS:c1");
  EXPECT_TRUE(prober_.Results("uid-1", container()).ready);
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(ProbeNow(&wake), Verdict::kOk);
  EXPECT_EQ(runtime_.calls.size(), 6u);
}

TEST_F(ProberManagerTest, StartupFailureAfterItsThreshold) {
  *container().mutable_startup_probe() = HttpProbe(0, 1, 2);
  runtime_.startup_ok = false;
  absl::Time wake;
  EXPECT_EQ(ProbeNow(&wake), Verdict::kOk);
  clock_.AdvanceTo(wake);
  EXPECT_EQ(ProbeNow(&wake), Verdict::kStartupFailed);
}

TEST_F(ProberManagerTest, ANewInstanceStartsFreshProbes) {
  *container().mutable_readiness_probe() = HttpProbe(0, 10, 1);
  absl::Time wake;
  EXPECT_EQ(ProbeNow(&wake, "c1"), Verdict::kOk);
  EXPECT_TRUE(prober_.Results("uid-1", container()).ready);

  // The restarted instance is not ready until its own probe says so, and
  // its schedule counts from its own start.
  clock_.Advance(absl::Seconds(3));
  started_ = clock_.Now();
  runtime_.readiness_ok = false;
  container().mutable_readiness_probe()->set_initial_delay_seconds(2);
  EXPECT_EQ(ProbeNow(&wake, "c2"), Verdict::kOk);
  EXPECT_FALSE(prober_.Results("uid-1", container()).ready);
  EXPECT_EQ(wake, started_ + absl::Seconds(2));

  prober_.RemoveContainer("uid-1", "app");
  EXPECT_FALSE(prober_.Results("uid-1", container()).ready);  // has a readiness probe
  EXPECT_EQ(prober_.NumPods(), 1u);
  prober_.RemovePod("uid-1");
  EXPECT_EQ(prober_.NumPods(), 0u);
}

TEST_F(ProberManagerTest, ARuntimeThatDoesNotAnswerRecordsNothing) {
  *container().mutable_liveness_probe() = HttpProbe(0, 10, 1);
  runtime_.answer = false;
  absl::Time wake;
  EXPECT_EQ(ProbeNow(&wake), Verdict::kNoAnswer);
  EXPECT_FALSE(recorder_.ready);
  EXPECT_TRUE(recorder_.events.empty());
  // Still due: the next sync with the runtime back probes at once.
  runtime_.answer = true;
  recorder_.ready = true;
  EXPECT_EQ(ProbeNow(&wake), Verdict::kOk);
  EXPECT_EQ(runtime_.calls.size(), 2u);
  EXPECT_EQ(wake, clock_.Now() + absl::Seconds(10));
}

}  // namespace
}  // namespace minik8s::kubelet
