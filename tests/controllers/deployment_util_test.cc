// Deployment arithmetic as upstream's deployment_util_test.go tables it.
#include "controllers/deployment/deployment_util.h"

#include <memory>

#include "api/intstr.h"
#include "api/time.h"
#include "gtest/gtest.h"

namespace minik8s::controllers::deployment {
namespace {

using minik8s::meta::v1::IntOrString;

IntOrString I(int v) { return api::IntOrStringFromInt(v); }
IntOrString S(const char* v) { return api::IntOrStringFromString(v); }

Deployment MakeDeployment(int replicas, IntOrString surge, IntOrString unavailable) {
  Deployment d;
  d.mutable_metadata()->set_name("web");
  d.mutable_spec()->set_replicas(replicas);
  d.mutable_spec()->mutable_strategy()->set_type("RollingUpdate");
  *d.mutable_spec()->mutable_strategy()->mutable_rolling_update()->mutable_max_surge() = surge;
  *d.mutable_spec()->mutable_strategy()->mutable_rolling_update()->mutable_max_unavailable() =
      unavailable;
  (*d.mutable_spec()->mutable_template_()->mutable_metadata()->mutable_labels())["app"] = "web";
  d.mutable_spec()->mutable_template_()->mutable_spec()->add_containers()->set_image("nginx:1");
  return d;
}

RsPtr MakeRs(const std::string& name, int replicas, int available, int64_t created_s) {
  auto rs = std::make_shared<ReplicaSet>();
  rs->mutable_metadata()->set_name(name);
  rs->mutable_metadata()->set_uid("uid-" + name);
  rs->mutable_metadata()->mutable_creation_timestamp()->set_seconds(created_s);
  rs->mutable_spec()->set_replicas(replicas);
  rs->mutable_status()->set_replicas(replicas);
  rs->mutable_status()->set_available_replicas(available);
  return rs;
}

TEST(ResolveFenceposts, RoundingTable) {
  struct Case {
    IntOrString surge, unavailable;
    int desired, want_surge, want_unavailable;
  } cases[] = {
      {S("25%"), S("25%"), 10, 3, 2},  // surge rounds up, unavailable down
      {S("25%"), S("25%"), 4, 1, 1},  {S("25%"), S("25%"), 1, 1, 0},
      {I(0), I(0), 5, 0, 1},  // both zero → unavailable 1
      {S("0%"), S("0%"), 5, 0, 1},    {I(2), I(1), 5, 2, 1},
      {S("50%"), S("10%"), 5, 3, 0},  {S("100%"), S("100%"), 3, 3, 3},
  };
  for (const Case& c : cases) {
    auto f = ResolveFenceposts(&c.surge, &c.unavailable, c.desired);
    ASSERT_TRUE(f.ok());
    EXPECT_EQ(f->max_surge, c.want_surge)
        << api::IntOrStringToString(c.surge) << " of " << c.desired;
    EXPECT_EQ(f->max_unavailable, c.want_unavailable)
        << api::IntOrStringToString(c.unavailable) << " of " << c.desired;
  }
  IntOrString bad = S("abc");
  EXPECT_FALSE(ResolveFenceposts(&bad, nullptr, 3).ok());
}

TEST(MaxUnavailable, BoundedByReplicas) {
  EXPECT_EQ(MaxUnavailable(MakeDeployment(3, I(0), I(5))), 3);
  EXPECT_EQ(MaxUnavailable(MakeDeployment(0, I(1), I(1))), 0);
  Deployment recreate = MakeDeployment(3, I(1), I(1));
  recreate.mutable_spec()->mutable_strategy()->set_type("Recreate");
  EXPECT_EQ(MaxUnavailable(recreate), 0);
  EXPECT_EQ(MaxSurge(recreate), 0);
}

TEST(NewRSNewReplicas, Table) {
  struct Case {
    const char* what;
    int replicas;
    IntOrString surge;
    int old_size, new_size, want;
  } cases[] = {
      {"room for surge", 10, I(2), 10, 0, 2}, {"bounded by replicas - new", 10, I(5), 2, 8, 10},
      {"at surge limit", 10, I(2), 10, 2, 2}, {"percent surge", 10, S("25%"), 10, 0, 3},
      {"old shrank", 10, I(1), 5, 4, 6},
  };
  for (const Case& c : cases) {
    Deployment d = MakeDeployment(c.replicas, c.surge, I(1));
    RsPtr old_rs = MakeRs("old", c.old_size, c.old_size, 1);
    RsPtr new_rs = MakeRs("new", c.new_size, 0, 2);
    auto got = NewRSNewReplicas(d, {old_rs, new_rs}, *new_rs);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(*got, c.want) << c.what;
  }
  Deployment recreate = MakeDeployment(7, I(1), I(1));
  recreate.mutable_spec()->mutable_strategy()->set_type("Recreate");
  RsPtr n = MakeRs("new", 0, 0, 2);
  EXPECT_EQ(*NewRSNewReplicas(recreate, {n}, *n), 7);
}

TEST(MaxScaledDown, Table) {
  // replicas 10, maxUnavailable 2 → minAvailable 8.
  Deployment d = MakeDeployment(10, I(2), I(2));
  RsPtr old_rs = MakeRs("old", 10, 10, 1);
  RsPtr new_rs = MakeRs("new", 2, 0, 2);
  // all 12 − min 8 − new unavailable 2 = 2
  EXPECT_EQ(MaxScaledDown(d, {old_rs, new_rs}, new_rs.get()), 2);
  new_rs->mutable_status()->set_available_replicas(2);
  EXPECT_EQ(MaxScaledDown(d, {old_rs, new_rs}, new_rs.get()), 4);
  Deployment strict = MakeDeployment(10, I(1), I(0));
  EXPECT_EQ(MaxScaledDown(strict, {MakeRs("old", 10, 10, 1), MakeRs("new", 1, 0, 2)},
                          MakeRs("new", 1, 0, 2).get()),
            0);
}

TEST(PodTemplateHash, StableAndSensitive) {
  Deployment d = MakeDeployment(3, I(1), I(1));
  const std::string h1 = ComputeHash(d.spec().template_(), std::nullopt);
  EXPECT_EQ(h1, ComputeHash(d.spec().template_(), std::nullopt));
  for (char c : h1)
    EXPECT_NE(std::string("bcdfghjklmnpqrstvwxz2456789").find(c), std::string::npos);
  EXPECT_GE(h1.size(), 1u);
  EXPECT_LE(h1.size(), 10u);
  Deployment changed = d;
  changed.mutable_spec()->mutable_template_()->mutable_spec()->mutable_containers(0)->set_image(
      "nginx:2");
  EXPECT_NE(h1, ComputeHash(changed.spec().template_(), std::nullopt));
  EXPECT_NE(h1, ComputeHash(d.spec().template_(), 1));
  EXPECT_NE(ComputeHash(d.spec().template_(), 1), ComputeHash(d.spec().template_(), 2));
  // The hash label itself does not make a template different.
  auto with_label = d.spec().template_();
  (*with_label.mutable_metadata()->mutable_labels())[kPodTemplateHashLabel] = h1;
  EXPECT_TRUE(EqualIgnoreHash(with_label, d.spec().template_()));
  EXPECT_FALSE(EqualIgnoreHash(changed.spec().template_(), d.spec().template_()));
}

TEST(SafeEncodeString, Alphabet) {
  // '0' is byte 48: 48 % 27 = 21 → '4'; '9' (57): 57 % 27 = 3 → 'f'.
  EXPECT_EQ(SafeEncodeString("09"), "4f");
  EXPECT_EQ(SafeEncodeString("1234567890"), "56789bcdf4");
}

TEST(ProportionalScaling, ScaleUpMidRollout) {
  // Upstream's example: 10 → 15 with maxSurge 3 during a rollout where the
  // old RS has 8 and the new 5 (13 = 10 + 3): sizes grow to 18 in total.
  Deployment d = MakeDeployment(15, I(3), I(1));
  RsPtr old_rs = MakeRs("old", 8, 8, 1);
  RsPtr new_rs = MakeRs("new", 5, 5, 2);
  SetReplicasAnnotations(old_rs.get(), 10, 13);
  SetReplicasAnnotations(new_rs.get(), 10, 13);
  RsList active = {old_rs, new_rs};
  auto sizes = ProportionalSizes(d, &active);
  // old: 8*18/13 = 11.08 → 11; new: 5*18/13 = 6.9 → 7; sum 18.
  EXPECT_EQ(sizes["old"], 11);
  EXPECT_EQ(sizes["new"], 7);
}

TEST(ProportionalScaling, ScaleDownGivesLeftoverToLargestOldest) {
  Deployment d = MakeDeployment(5, I(1), I(1));  // allowed 6
  RsPtr old_rs = MakeRs("old", 6, 6, 1);
  RsPtr new_rs = MakeRs("new", 5, 0, 2);
  SetReplicasAnnotations(old_rs.get(), 10, 11);
  SetReplicasAnnotations(new_rs.get(), 10, 11);
  RsList active = {new_rs, old_rs};
  auto sizes = ProportionalSizes(d, &active);
  EXPECT_EQ(sizes["old"] + sizes["new"], 6);
  EXPECT_EQ(active.front()->metadata().name(), "old");  // largest first
  EXPECT_EQ(sizes["old"], 3);                           // 6*6/11 = 3.27 → 3
  EXPECT_EQ(sizes["new"], 3);                           // 5*6/11 = 2.7 → 3
  // Scaling to zero empties everything.
  Deployment zero = MakeDeployment(0, I(1), I(1));
  RsList again = {old_rs, new_rs};
  auto z = ProportionalSizes(zero, &again);
  EXPECT_EQ(z["old"], 0);
  EXPECT_EQ(z["new"], 0);
}

TEST(Revisions, AnnotationsAndOrder) {
  Deployment d = MakeDeployment(3, I(1), I(1));
  (*d.mutable_metadata()->mutable_annotations())["team"] = "a";
  (*d.mutable_metadata()->mutable_annotations())[kLastAppliedAnnotation] = "{}";
  ReplicaSet rs;
  EXPECT_TRUE(SetNewReplicaSetAnnotations(d, &rs, "1", false));
  EXPECT_EQ(rs.metadata().annotations().at(kRevisionAnnotation), "1");
  EXPECT_EQ(rs.metadata().annotations().at("team"), "a");
  EXPECT_EQ(rs.metadata().annotations().count(kLastAppliedAnnotation), 0u);
  EXPECT_EQ(rs.metadata().annotations().at(kDesiredReplicasAnnotation), "3");
  EXPECT_EQ(rs.metadata().annotations().at(kMaxReplicasAnnotation), "4");
  EXPECT_FALSE(SetNewReplicaSetAnnotations(d, &rs, "1", true));
  // A rollback to this ReplicaSet bumps its revision and records history.
  EXPECT_TRUE(SetNewReplicaSetAnnotations(d, &rs, "3", true));
  EXPECT_EQ(Revision(rs), 3);
  EXPECT_EQ(rs.metadata().annotations().at(kRevisionHistoryAnnotation), "1");
  RsPtr a = MakeRs("a", 0, 0, 5), b = MakeRs("b", 0, 0, 1);
  (*a->mutable_metadata()->mutable_annotations())[kRevisionAnnotation] = "1";
  (*b->mutable_metadata()->mutable_annotations())[kRevisionAnnotation] = "2";
  RsList list = {b, a};
  SortByRevision(&list);
  EXPECT_EQ(list[0]->metadata().name(), "a");
  EXPECT_EQ(MaxRevision(list), 2);
}

TEST(FindActiveOrLatest, Table) {
  RsPtr new_rs = MakeRs("new", 0, 0, 3);
  RsPtr old1 = MakeRs("old1", 0, 0, 1), old2 = MakeRs("old2", 0, 0, 2);
  EXPECT_EQ(FindActiveOrLatest(new_rs, {old1, old2}), new_rs);  // none active
  EXPECT_EQ(FindActiveOrLatest(nullptr, {old1, old2}), old2);   // newest old
  old1->mutable_spec()->set_replicas(2);
  EXPECT_EQ(FindActiveOrLatest(new_rs, {old1, old2}), old1);  // the one active
  new_rs->mutable_spec()->set_replicas(1);
  EXPECT_EQ(FindActiveOrLatest(new_rs, {old1, old2}), nullptr);  // several active
}

TEST(Status, CountsAndAvailableCondition) {
  const absl::Time now = absl::FromUnixSeconds(1700000000);
  Deployment d = MakeDeployment(4, I(1), I(1));
  d.mutable_metadata()->set_generation(3);
  RsPtr old_rs = MakeRs("old", 1, 1, 1);
  RsPtr new_rs = MakeRs("new", 4, 2, 2);
  new_rs->mutable_status()->set_ready_replicas(3);
  DeploymentStatus s = CalculateStatus({old_rs, new_rs}, new_rs.get(), d, now);
  EXPECT_EQ(s.observed_generation(), 3);
  EXPECT_EQ(s.replicas(), 5);
  EXPECT_EQ(s.updated_replicas(), 4);
  EXPECT_EQ(s.ready_replicas(), 3);
  EXPECT_EQ(s.available_replicas(), 3);
  EXPECT_EQ(s.unavailable_replicas(), 2);
  const DeploymentCondition* c = GetCondition(s, kConditionAvailable);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->status(), "True");  // 3 >= 4 - 1
  EXPECT_EQ(c->reason(), kReasonMinimumReplicasAvailable);
  EXPECT_EQ(c->message(), "Deployment has minimum availability.");
  new_rs->mutable_status()->set_available_replicas(1);
  d.mutable_status()->CopyFrom(s);
  DeploymentStatus s2 = CalculateStatus({old_rs, new_rs}, new_rs.get(), d, now + absl::Seconds(9));
  c = GetCondition(s2, kConditionAvailable);
  EXPECT_EQ(c->status(), "False");
  EXPECT_EQ(c->reason(), kReasonMinimumReplicasUnavailable);
  EXPECT_EQ(c->message(), "Deployment does not have minimum availability.");
  EXPECT_FALSE(DeploymentComplete(d, s2));
}

TEST(Progress, TimedOutAndProgressing) {
  const absl::Time now = absl::FromUnixSeconds(1700000000);
  Deployment d = MakeDeployment(2, I(1), I(1));
  d.mutable_spec()->set_progress_deadline_seconds(10);
  DeploymentStatus s;
  SetCondition(&s, NewCondition(kConditionProgressing, "True", kReasonReplicaSetUpdated, "x",
                                now - absl::Seconds(11)));
  EXPECT_TRUE(DeploymentTimedOut(d, s, now));
  EXPECT_FALSE(DeploymentTimedOut(d, s, now - absl::Seconds(2)));
  DeploymentStatus more = d.status();
  more.set_updated_replicas(1);
  EXPECT_TRUE(DeploymentProgressing(d, more));
  EXPECT_FALSE(DeploymentProgressing(d, d.status()));
  // Same status and reason: lastTransitionTime is kept.
  DeploymentStatus t;
  SetCondition(&t, NewCondition("Available", "True", "A", "m", now));
  SetCondition(&t, NewCondition("Available", "True", "B", "m", now + absl::Seconds(5)));
  EXPECT_EQ(t.conditions(0).reason(), "B");
  EXPECT_EQ(t.conditions(0).last_transition_time().seconds(), absl::ToUnixSeconds(now));
}

}  // namespace
}  // namespace minik8s::controllers::deployment
