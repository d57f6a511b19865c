// Replica arithmetic at the top of int32's range: spec.replicas 2147483647 is
// valid, so every sum with maxSurge, every proportional share and every
// status count must neither wrap negative nor truncate (replica_math.h).
#include <cstdint>
#include <memory>
#include <numeric>
#include <string>

#include "api/intstr.h"
#include "controllers/deployment/deployment_util.h"
#include "controllers/util/replica_math.h"
#include "controllers/util/slow_start.h"
#include "gtest/gtest.h"

namespace minik8s::controllers::deployment {
namespace {

using minik8s::meta::v1::IntOrString;

constexpr int32_t kMax = INT32_MAX;

IntOrString I(int v) { return api::IntOrStringFromInt(v); }
IntOrString S(const char* v) { return api::IntOrStringFromString(v); }

Deployment MakeDeployment(int32_t replicas, IntOrString surge, IntOrString unavailable) {
  Deployment d;
  d.mutable_metadata()->set_name("web");
  d.mutable_spec()->set_replicas(replicas);
  d.mutable_spec()->mutable_strategy()->set_type("RollingUpdate");
  auto* ru = d.mutable_spec()->mutable_strategy()->mutable_rolling_update();
  *ru->mutable_max_surge() = surge;
  *ru->mutable_max_unavailable() = unavailable;
  return d;
}

RsPtr MakeRs(const std::string& name, int32_t replicas, int32_t available, int64_t created_s) {
  auto rs = std::make_shared<ReplicaSet>();
  rs->mutable_metadata()->set_name(name);
  rs->mutable_metadata()->set_uid("uid-" + name);
  rs->mutable_metadata()->mutable_creation_timestamp()->set_seconds(created_s);
  rs->mutable_spec()->set_replicas(replicas);
  rs->mutable_status()->set_replicas(replicas);
  rs->mutable_status()->set_ready_replicas(available);
  rs->mutable_status()->set_available_replicas(available);
  return rs;
}

TEST(ReplicaMath, Clamps) {
  EXPECT_EQ(ClampReplicas(int64_t{kMax} + 1), kMax);
  EXPECT_EQ(ClampReplicas(-5), 0);
  EXPECT_EQ(ClampReplicas(7), 7);
  EXPECT_EQ(ClampInt32(-int64_t{kMax} - 10), INT32_MIN);
  EXPECT_EQ(ClampInt32(int64_t{kMax} * 2), kMax);
}

TEST(ReplicaOverflow, PercentSurgeOfTheMaximum) {
  // 25% of INT32_MAX rounds up to 536870912; 200% exceeds an int and clamps.
  EXPECT_EQ(MaxSurge(MakeDeployment(kMax, S("25%"), S("25%"))), 536870912);
  EXPECT_EQ(MaxSurge(MakeDeployment(kMax, S("200%"), S("25%"))), kMax);
  EXPECT_EQ(MaxUnavailable(MakeDeployment(kMax, S("25%"), S("25%"))), 536870911);
  const IntOrString double_surge = S("200%");
  auto big = api::GetScaledValueFromIntOrPercent(&double_surge, kMax, /*round_up=*/true);
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(*big, kMax);
}

TEST(ReplicaOverflow, MaxReplicasClamps) {
  EXPECT_EQ(MaxReplicas(MakeDeployment(kMax, S("25%"), S("25%"))), kMax);
  EXPECT_EQ(MaxReplicas(MakeDeployment(kMax, I(kMax), I(0))), kMax);
  EXPECT_EQ(MaxReplicas(MakeDeployment(10, S("25%"), S("25%"))), 13);
}

TEST(ReplicaOverflow, NewReplicaSetGetsEveryReplica) {
  for (const IntOrString& surge : {S("25%"), S("100%"), S("200%"), I(1), I(kMax)}) {
    Deployment d = MakeDeployment(kMax, surge, S("25%"));
    RsPtr new_rs = MakeRs("new", 0, 0, 1);
    auto n = NewRSNewReplicas(d, {new_rs}, *new_rs);
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(*n, kMax) << api::IntOrStringToString(surge);
  }
}

TEST(ReplicaOverflow, NewReplicaSetSurgesAboveAFullOldOne) {
  // All INT32_MAX replicas in the old ReplicaSet: the new one may take
  // maxSurge (25% → 536870912) more, which only fits in int64.
  Deployment d = MakeDeployment(kMax, S("25%"), S("25%"));
  RsPtr old_rs = MakeRs("old", kMax, kMax, 1);
  RsPtr new_rs = MakeRs("new", 0, 0, 2);
  auto n = NewRSNewReplicas(d, {old_rs, new_rs}, *new_rs);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 536870912);
  // Old one full and the new one at its surge: nothing more.
  new_rs->mutable_spec()->set_replicas(536870912);
  n = NewRSNewReplicas(d, {old_rs, new_rs}, *new_rs);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 536870912);
}

TEST(ReplicaOverflow, SumsDoNotWrap) {
  RsList two = {MakeRs("a", kMax, kMax, 1), MakeRs("b", kMax, kMax, 2)};
  EXPECT_EQ(GetReplicaCountForReplicaSets(two), 2 * int64_t{kMax});
  EXPECT_EQ(GetActualReplicaCountForReplicaSets(two), 2 * int64_t{kMax});
  EXPECT_EQ(GetAvailableReplicaCountForReplicaSets(two), 2 * int64_t{kMax});
  Deployment d = MakeDeployment(kMax, S("25%"), S("25%"));
  // all pods − (replicas − maxUnavailable) − new unavailable (0).
  EXPECT_EQ(MaxScaledDown(d, two, two[1].get()), 2 * int64_t{kMax} - (kMax - 536870911));
  DeploymentStatus s = CalculateStatus(two, two[1].get(), d, absl::UnixEpoch());
  EXPECT_EQ(s.replicas(), kMax);
  EXPECT_EQ(s.available_replicas(), kMax);
  EXPECT_EQ(s.unavailable_replicas(), 0);
}

TEST(ReplicaOverflow, ProportionalScalingToTheMaximum) {
  // Mid-rollout (annotated for 10 + 3 surge) the Deployment is scaled to
  // INT32_MAX: each ReplicaSet's share is clamped, none goes negative, and
  // the total stays within replicas + maxSurge.
  Deployment d = MakeDeployment(kMax, S("25%"), S("25%"));
  RsPtr old_rs = MakeRs("old", 8, 8, 1);
  RsPtr new_rs = MakeRs("new", 5, 0, 2);
  for (const RsPtr& rs : {old_rs, new_rs}) {
    ASSERT_TRUE(SetReplicasAnnotations(rs.get(), 10, 13));
  }
  RsList active = {old_rs, new_rs};
  auto sizes = ProportionalSizes(d, &active);
  ASSERT_EQ(sizes.size(), 2u);
  int64_t total = 0;
  for (const auto& [name, size] : sizes) {
    EXPECT_GT(size, 0) << name;
    total += size;
  }
  EXPECT_LE(total, int64_t{kMax} + MaxSurge(d));
  EXPECT_GT(sizes["old"], sizes["new"]);  // shares kept: 8 : 5

  // A share whose exact value exceeds INT32_MAX is clamped, not wrapped.
  RsPtr huge = MakeRs("huge", kMax, kMax, 1);
  ASSERT_TRUE(SetReplicasAnnotations(huge.get(), 1, 1));
  EXPECT_EQ(GetReplicaSetFraction(*huge, d), 0);
  RsPtr small = MakeRs("small", 1, 1, 1);
  ASSERT_TRUE(SetReplicasAnnotations(small.get(), 1, 1));
  EXPECT_EQ(GetReplicaSetFraction(*small, d), kMax - 1);
}

TEST(ReplicaOverflow, SlowStartBatchesCoverTheMaximum) {
  std::vector<int> sizes = SlowStartBatchSizes(kMax, 1);
  ASSERT_EQ(sizes.size(), 31u);  // 1, 2, 4, ..., 2^30: exactly 2^31 − 1
  for (int s : sizes) EXPECT_GT(s, 0);
  EXPECT_EQ(std::accumulate(sizes.begin(), sizes.end(), int64_t{0}), int64_t{kMax});
}

}  // namespace
}  // namespace minik8s::controllers::deployment
