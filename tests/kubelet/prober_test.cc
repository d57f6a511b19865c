#include "kubelet/prober.h"

#include "gtest/gtest.h"

namespace minik8s::kubelet {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1700000000);

TEST(ProbeState, InitialResults) {
  ProbeTiming t;
  EXPECT_EQ(ProbeState(ProbeKind::kReadiness, t, kStart).result(), ProbeResult::kFailure);
  EXPECT_EQ(ProbeState(ProbeKind::kLiveness, t, kStart).result(), ProbeResult::kSuccess);
  EXPECT_EQ(ProbeState(ProbeKind::kStartup, t, kStart).result(), ProbeResult::kUnknown);
}

TEST(ProbeState, InitialDelayAndPeriod) {
  ProbeTiming t;
  t.initial_delay = absl::Seconds(5);
  t.period = absl::Seconds(3);
  ProbeState p(ProbeKind::kReadiness, t, kStart);
  EXPECT_FALSE(p.Due(kStart + absl::Seconds(4)));
  EXPECT_TRUE(p.Due(kStart + absl::Seconds(5)));
  p.Record(true, kStart + absl::Seconds(5));
  EXPECT_EQ(p.next_probe(), kStart + absl::Seconds(8));
  // A late check does not schedule the next one in the past.
  p.Record(true, kStart + absl::Seconds(20));
  EXPECT_GT(p.next_probe(), kStart + absl::Seconds(20));
}

TEST(ProbeState, FailureThreshold) {
  ProbeTiming t;
  t.failure_threshold = 3;
  ProbeState p(ProbeKind::kLiveness, t, kStart);
  absl::Time now = kStart;
  EXPECT_FALSE(p.Record(false, now));
  EXPECT_FALSE(p.Record(false, now));
  EXPECT_EQ(p.result(), ProbeResult::kSuccess);
  EXPECT_TRUE(p.Record(false, now));
  EXPECT_EQ(p.result(), ProbeResult::kFailure);
}

TEST(ProbeState, SuccessBreaksAFailureRun) {
  ProbeTiming t;
  t.failure_threshold = 2;
  ProbeState p(ProbeKind::kLiveness, t, kStart);
  p.Record(false, kStart);
  p.Record(true, kStart);
  p.Record(false, kStart);
  EXPECT_EQ(p.result(), ProbeResult::kSuccess);
  p.Record(false, kStart);
  EXPECT_EQ(p.result(), ProbeResult::kFailure);
}

TEST(ProbeState, SuccessThreshold) {
  ProbeTiming t;
  t.success_threshold = 2;
  ProbeState p(ProbeKind::kReadiness, t, kStart);
  EXPECT_FALSE(p.Record(true, kStart));
  EXPECT_EQ(p.result(), ProbeResult::kFailure);
  EXPECT_TRUE(p.Record(true, kStart));
  EXPECT_EQ(p.result(), ProbeResult::kSuccess);
  // Ready again needs failure_threshold (default 3) failures to flip.
  p.Record(false, kStart);
  EXPECT_EQ(p.result(), ProbeResult::kSuccess);
}

TEST(ProbeState, TimingDefaultsFromSpec) {
  minik8s::core::v1::Probe spec;
  ProbeTiming t = TimingOf(spec);
  EXPECT_EQ(t.initial_delay, absl::ZeroDuration());
  EXPECT_EQ(t.period, absl::Seconds(10));
  EXPECT_EQ(t.timeout, absl::Seconds(1));
  EXPECT_EQ(t.success_threshold, 1);
  EXPECT_EQ(t.failure_threshold, 3);
  spec.set_initial_delay_seconds(2);
  spec.set_period_seconds(1);
  spec.set_failure_threshold(1);
  t = TimingOf(spec);
  EXPECT_EQ(t.initial_delay, absl::Seconds(2));
  EXPECT_EQ(t.period, absl::Seconds(1));
  EXPECT_EQ(t.failure_threshold, 1);
}

}  // namespace
}  // namespace minik8s::kubelet
