// PodTopologySpread through its PreFilter/Filter and PreScore/Score entry
// points, on hand-built nodes and pods, with Kubernetes' arithmetic.
#include "scheduler/plugins/pod_topology_spread/pod_topology_spread.h"

#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "scheduler/framework/types.h"
#include "scheduler/plugins/selector_spread/selector_spread.h"
#include "tests/scheduler/test_util.h"

namespace minik8s::scheduler::plugins {
namespace {

using minik8s::core::v1::TopologySpreadConstraint;
using testutil::AddTaint;
using testutil::Labeled;
using testutil::MakeNode;
using testutil::MakePod;
using testutil::Share;
using testutil::ZonedNode;

constexpr const char* kZone = testutil::kZoneLabel;
constexpr const char* kHost = testutil::kHostnameLabel;

TopologySpreadConstraint* AddConstraint(Pod* p, const std::string& key, const std::string& action,
                                        int max_skew = 1) {
  auto* c = p->mutable_spec()->add_topology_spread_constraints();
  c->set_max_skew(max_skew);
  c->set_topology_key(key);
  c->set_when_unsatisfiable(action);
  (*c->mutable_label_selector()->mutable_match_labels())["app"] = "web";
  return c;
}

// Nodes with the given existing pods on each.
using Cluster = testutil::PluginHarness<PodTopologySpread>;

const Pod kWeb1 = Labeled("w1", {{"app", "web"}});
const Pod kWeb2 = Labeled("w2", {{"app", "web"}});
const Pod kWeb3 = Labeled("w3", {{"app", "web"}});

TEST(PodTopologySpread, HardZoneConstraintKeepsTheSkew) {
  Cluster c;
  c.Add(ZonedNode("a1", "a"), {kWeb1});
  c.Add(ZonedNode("a2", "a"));
  c.Add(ZonedNode("b1", "b"));
  Pod pod = Labeled("new", {{"app", "web"}});
  AddConstraint(&pod, kZone, "DoNotSchedule");
  // a: 1 + 1 - 0 = 2 > 1; b: 0 + 1 - 0 = 1.
  EXPECT_EQ(c.Filter(pod), (std::map<std::string, std::string>{
                               {"a1", kReasonTopologySpread},
                               {"a2", kReasonTopologySpread},
                               {"b1", ""},
                           }));
  // A pod the selector does not match adds nothing to its domain's count.
  Pod other = Labeled("other", {{"app", "db"}});
  AddConstraint(&other, kZone, "DoNotSchedule");
  EXPECT_EQ(c.Filter(other)["a1"], "");
}

TEST(PodTopologySpread, NodeWithoutTheKeyIsUnresolvable) {
  Cluster c;
  c.Add(ZonedNode("a1", "a"));
  c.Add(ZonedNode("bare", ""));
  Pod pod = Labeled("new", {{"app", "web"}});
  AddConstraint(&pod, kZone, "DoNotSchedule");
  auto got = c.Filter(pod);
  EXPECT_EQ(got["a1"], "");
  EXPECT_EQ(got["bare"], kReasonTopologySpreadLabel);
}

TEST(PodTopologySpread, OtherNamespacesAndTerminatingPodsDoNotCount) {
  Pod elsewhere = Labeled("w-other", {{"app", "web"}}, "other");
  Pod leaving = Labeled("w-leaving", {{"app", "web"}});
  leaving.mutable_metadata()->mutable_deletion_timestamp()->set_seconds(1);
  Cluster c;
  c.Add(ZonedNode("a1", "a"), {elsewhere, leaving});
  c.Add(ZonedNode("b1", "b"));
  Pod pod = Labeled("new", {{"app", "web"}});
  AddConstraint(&pod, kZone, "DoNotSchedule");
  EXPECT_EQ(c.Filter(pod)["a1"], "");
}

TEST(PodTopologySpread, MinDomainsTakesTheMinimumAsZero) {
  Cluster c;
  c.Add(ZonedNode("a1", "a"), {kWeb1});
  c.Add(ZonedNode("b1", "b"), {kWeb2});
  Pod pod = Labeled("new", {{"app", "web"}});
  auto* k = AddConstraint(&pod, kZone, "DoNotSchedule");
  EXPECT_EQ(c.Filter(pod)["a1"], "");  // 1 + 1 - 1
  k->set_min_domains(3);               // two domains < 3: 1 + 1 - 0 > 1
  EXPECT_EQ(c.Filter(pod), (std::map<std::string, std::string>{
                               {"a1", kReasonTopologySpread},
                               {"b1", kReasonTopologySpread},
                           }));
}

TEST(PodTopologySpread, NodeInclusionPolicies) {
  Node a1 = ZonedNode("a1", "a");
  (*a1.mutable_metadata()->mutable_labels())["disk"] = "ssd";
  Node b1 = ZonedNode("b1", "b");
  AddTaint(&b1, "dedicated", "x", "NoSchedule");
  Cluster c;
  c.Add(a1, {kWeb1});
  c.Add(b1);

  // nodeAffinityPolicy Honor (default): b does not match the pod's
  // nodeSelector, so the only eligible domain is a (min 1): 1 + 1 - 1.
  Pod pod = Labeled("new", {{"app", "web"}});
  (*pod.mutable_spec()->mutable_node_selector())["disk"] = "ssd";
  auto* k = AddConstraint(&pod, kZone, "DoNotSchedule");
  EXPECT_EQ(c.Filter(pod)["a1"], "");
  k->set_node_affinity_policy("Ignore");  // b counts with 0: 1 + 1 - 0
  EXPECT_EQ(c.Filter(pod)["a1"], kReasonTopologySpread);

  // nodeTaintsPolicy Honor: b's untolerated taint takes it out.
  Pod tainted = Labeled("new2", {{"app", "web"}});
  auto* t = AddConstraint(&tainted, kZone, "DoNotSchedule");
  EXPECT_EQ(c.Filter(tainted)["a1"], kReasonTopologySpread);  // default Ignore
  t->set_node_taints_policy("Honor");
  EXPECT_EQ(c.Filter(tainted)["a1"], "");
}

TEST(PodTopologySpread, MatchLabelKeysNarrowTheSelector) {
  Pod old_revision = Labeled("old", {{"app", "web"}, {"pod-template-hash", "v1"}});
  Cluster c;
  c.Add(ZonedNode("a1", "a"), {old_revision});
  c.Add(ZonedNode("b1", "b"));
  Pod pod = Labeled("new", {{"app", "web"}, {"pod-template-hash", "v2"}});
  auto* k = AddConstraint(&pod, kZone, "DoNotSchedule");
  EXPECT_EQ(c.Filter(pod)["a1"], kReasonTopologySpread);
  k->add_match_label_keys("pod-template-hash");  // the v1 pod no longer counts
  EXPECT_EQ(c.Filter(pod)["a1"], "");
}

TEST(PodTopologySpread, PodsWithoutConstraintsAreLeftAlone) {
  Cluster c;
  c.Add(ZonedNode("a1", "a"), {kWeb1, kWeb2});
  c.Add(ZonedNode("b1", ""));
  Pod pod = Labeled("new", {{"app", "web"}});
  EXPECT_EQ(c.Filter(pod), (std::map<std::string, std::string>{{"a1", ""}, {"b1", ""}}));
  EXPECT_TRUE(c.Score(pod).empty());
  // Only soft constraints: nothing to filter.
  AddConstraint(&pod, kZone, "ScheduleAnyway");
  EXPECT_EQ(c.Filter(pod)["a1"], "");
}

TEST(PodTopologySpread, SoftConstraintsPreferEmptierDomains) {
  Cluster c;
  c.Add(ZonedNode("a1", "a"), {kWeb1, kWeb2});
  c.Add(ZonedNode("a2", "a"));
  c.Add(ZonedNode("b1", "b"), {kWeb3});
  c.Add(ZonedNode("c1", "c"));
  c.Add(ZonedNode("bare", ""));
  Pod pod = Labeled("new", {{"app", "web"}});
  AddConstraint(&pod, kZone, "ScheduleAnyway");
  // Three domains: weight log(5); raw a = 2 log 5 = 3.2 → 3, b = 1.6 → 2,
  // c = 0; normalized 100 * (3 + 0 - s) / 3. The node without the key is
  // ignored (0).
  EXPECT_EQ(c.Score(pod), (std::map<std::string, int64_t>{
                              {"a1", 0},
                              {"a2", 0},
                              {"b1", 33},
                              {"c1", 100},
                              {"bare", 0},
                          }));
}

TEST(PodTopologySpread, SoftHostnameConstraintCountsPerNode) {
  Cluster c;
  c.Add(ZonedNode("n1", "a"), {kWeb1, kWeb2});
  c.Add(ZonedNode("n2", "a"), {kWeb3});
  c.Add(ZonedNode("n3", "a"));
  Pod pod = Labeled("new", {{"app", "web"}});
  AddConstraint(&pod, kHost, "ScheduleAnyway", /*max_skew=*/2);
  // Weight log(3 + 2) = 1.61; raw n1 = 2 * 1.61 + 1 = 4.2 → 4, n2 = 2.6 → 3,
  // n3 = 1; normalized 100 * (4 + 1 - s) / 4.
  EXPECT_EQ(c.Score(pod), (std::map<std::string, int64_t>{
                              {"n1", 25},
                              {"n2", 50},
                              {"n3", 100},
                          }));
}

TEST(SelectorSpread, StandsAsideForPodsWithConstraints) {
  SelectorSpread plugin;
  CycleState state;
  Pod plain = Labeled("p", {{"app", "web"}});
  EXPECT_TRUE(plugin.PreScore(MakePodInfo(Share(plain)), {}, {}, &state));
  Pod spread = plain;
  AddConstraint(&spread, kZone, "ScheduleAnyway");
  EXPECT_FALSE(plugin.PreScore(MakePodInfo(Share(spread)), {}, {}, &state));
}

}  // namespace
}  // namespace minik8s::scheduler::plugins
