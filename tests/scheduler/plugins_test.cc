// Table tests of every filter and score plugin through their pure helpers
// and their Filter/Score entry points.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "scheduler/framework/types.h"
#include "scheduler/plugins/node_affinity/node_affinity.h"
#include "scheduler/plugins/node_name/node_name.h"
#include "scheduler/plugins/node_resources_balanced_allocation/node_resources_balanced_allocation.h"
#include "scheduler/plugins/node_resources_fit/node_resources_fit.h"
#include "scheduler/plugins/node_resources_least_allocated/node_resources_least_allocated.h"
#include "scheduler/plugins/node_unschedulable/node_unschedulable.h"
#include "scheduler/plugins/registry.h"
#include "scheduler/plugins/selector_spread/selector_spread.h"
#include "scheduler/plugins/taint_toleration/taint_toleration.h"
#include "tests/scheduler/test_util.h"

namespace minik8s::scheduler::plugins {
namespace {

using testutil::AddTaint;
using testutil::AddToleration;
using testutil::MakeNode;
using testutil::MakePod;
using testutil::Share;

PodInfo Info(const Pod& p) { return MakePodInfo(Share(p)); }

// The stateless plugins read nothing from the cycle's state.
const CycleState kNoState;

TEST(NodeUnschedulable, Table) {
  struct Case {
    const char* name;
    bool unschedulable;
    bool tolerate;
    bool fits;
  } cases[] = {
      {"schedulable node", false, false, true},
      {"cordoned node", true, false, false},
      {"cordoned node, pod tolerates", true, true, true},
  };
  NodeUnschedulable plugin;
  for (const auto& c : cases) {
    Node n = MakeNode("n1");
    n.mutable_spec()->set_unschedulable(c.unschedulable);
    Pod p = MakePod("p");
    if (c.tolerate) AddToleration(&p, kTaintNodeUnschedulable, "Exists", "", "NoSchedule");
    FilterStatus s = plugin.Filter(kNoState, Info(p), NodeInfo(Share(n)));
    EXPECT_EQ(s.ok(), c.fits) << c.name;
    if (!c.fits) {
      EXPECT_EQ(s.code(), Code::kUnschedulableAndUnresolvable);
      EXPECT_EQ(s.reasons(), std::vector<std::string>{"node(s) were unschedulable"});
    }
  }
}

TEST(NodeName, Table) {
  NodeName plugin;
  Node n = MakeNode("node-1");
  Pod any = MakePod("p");
  Pod same = MakePod("p");
  same.mutable_spec()->set_node_name("node-1");
  Pod other = MakePod("p");
  other.mutable_spec()->set_node_name("node-2");
  EXPECT_TRUE(plugin.Filter(kNoState, Info(any), NodeInfo(Share(n))).ok());
  EXPECT_TRUE(plugin.Filter(kNoState, Info(same), NodeInfo(Share(n))).ok());
  FilterStatus s = plugin.Filter(kNoState, Info(other), NodeInfo(Share(n)));
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.reasons()[0], "node(s) didn't match the requested node name");
}

TEST(TaintToleration, ToleratesTaintTable) {
  struct Case {
    const char* name;
    std::string tkey, top, tvalue, teffect;  // toleration
    std::string key, value, effect;          // taint
    bool tolerated;
  } cases[] = {
      {"equal match", "k", "Equal", "v", "NoSchedule", "k", "v", "NoSchedule", true},
      {"empty operator is Equal", "k", "", "v", "NoSchedule", "k", "v", "NoSchedule", true},
      {"value differs", "k", "Equal", "x", "NoSchedule", "k", "v", "NoSchedule", false},
      {"exists any value", "k", "Exists", "", "NoSchedule", "k", "v", "NoSchedule", true},
      {"empty effect matches all", "k", "Exists", "", "", "k", "v", "NoExecute", true},
      {"effect differs", "k", "Exists", "", "NoSchedule", "k", "v", "NoExecute", false},
      {"empty key Exists matches all", "", "Exists", "", "", "any", "v", "NoSchedule", true},
      {"key differs", "a", "Exists", "", "", "b", "", "NoSchedule", false},
      {"unknown operator", "k", "Bogus", "v", "", "k", "v", "NoSchedule", false},
  };
  for (const auto& c : cases) {
    minik8s::core::v1::Toleration t;
    t.set_key(c.tkey);
    t.set_operator_(c.top);
    t.set_value(c.tvalue);
    t.set_effect(c.teffect);
    minik8s::core::v1::Taint taint;
    taint.set_key(c.key);
    taint.set_value(c.value);
    taint.set_effect(c.effect);
    EXPECT_EQ(ToleratesTaint(t, taint), c.tolerated) << c.name;
  }
}

TEST(TaintToleration, FilterNotReadyUnreachableAndPreferNoSchedule) {
  TaintToleration plugin;
  Node unreachable = MakeNode("n1");
  AddTaint(&unreachable, "node.kubernetes.io/unreachable", "", "NoSchedule");
  Node not_ready = MakeNode("n2");
  AddTaint(&not_ready, "node.kubernetes.io/not-ready", "", "NoExecute");
  Node prefer = MakeNode("n3");
  AddTaint(&prefer, "dedicated", "gpu", "PreferNoSchedule");

  // The default tolerations the apiserver adds (NoExecute for 300 s)
  // tolerate the NoExecute not-ready taint but not the NoSchedule one.
  Pod p = MakePod("p");
  AddToleration(&p, "node.kubernetes.io/not-ready", "Exists", "", "NoExecute");
  AddToleration(&p, "node.kubernetes.io/unreachable", "Exists", "", "NoExecute");

  FilterStatus s = plugin.Filter(kNoState, Info(p), NodeInfo(Share(unreachable)));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Code::kUnschedulableAndUnresolvable);
  EXPECT_EQ(s.reasons()[0], "node(s) had untolerated taint {node.kubernetes.io/unreachable: }");
  EXPECT_TRUE(plugin.Filter(kNoState, Info(p), NodeInfo(Share(not_ready))).ok());
  EXPECT_TRUE(plugin.Filter(kNoState, Info(p), NodeInfo(Share(prefer))).ok());  // only a preference

  Pod bare = MakePod("bare");
  s = plugin.Filter(kNoState, Info(bare), NodeInfo(Share(not_ready)));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.reasons()[0], "node(s) had untolerated taint {node.kubernetes.io/not-ready: }");

  Node valued = MakeNode("n4");
  AddTaint(&valued, "dedicated", "db", "NoSchedule");
  s = plugin.Filter(kNoState, Info(bare), NodeInfo(Share(valued)));
  EXPECT_EQ(s.reasons()[0], "node(s) had untolerated taint {dedicated: db}");
}

TEST(TaintToleration, ScorePrefersFewerIntolerablePreferNoScheduleTaints) {
  TaintToleration plugin;
  Node clean = MakeNode("clean");
  Node one = MakeNode("one");
  AddTaint(&one, "a", "", "PreferNoSchedule");
  Node two = MakeNode("two");
  AddTaint(&two, "a", "", "PreferNoSchedule");
  AddTaint(&two, "b", "", "PreferNoSchedule");
  AddTaint(&two, "c", "", "NoSchedule");  // not counted by the score
  Pod p = MakePod("p");
  PodInfo pi = Info(p);
  std::vector<int64_t> scores = {plugin.Score(kNoState, pi, NodeInfo(Share(clean))),
                                 plugin.Score(kNoState, pi, NodeInfo(Share(one))),
                                 plugin.Score(kNoState, pi, NodeInfo(Share(two)))};
  EXPECT_EQ(scores, (std::vector<int64_t>{0, 1, 2}));
  plugin.NormalizeScore(pi, scores);
  EXPECT_EQ(scores, (std::vector<int64_t>{100, 50, 0}));

  // A NoSchedule-only toleration does not count for PreferNoSchedule.
  Pod t = MakePod("t");
  AddToleration(&t, "a", "Exists", "", "NoSchedule");
  EXPECT_EQ(plugin.Score(kNoState, Info(t), NodeInfo(Share(one))), 1);
  Pod t2 = MakePod("t2");
  AddToleration(&t2, "a", "Exists", "", "PreferNoSchedule");
  EXPECT_EQ(plugin.Score(kNoState, Info(t2), NodeInfo(Share(one))), 0);
}

minik8s::core::v1::NodeSelectorRequirement Req(const std::string& key, const std::string& op,
                                               std::vector<std::string> values) {
  minik8s::core::v1::NodeSelectorRequirement r;
  r.set_key(key);
  r.set_operator_(op);
  for (auto& v : values) r.add_values(v);
  return r;
}

TEST(NodeAffinity, LabelRequirementTable) {
  Node n = MakeNode("n1");
  (*n.mutable_metadata()->mutable_labels())["zone"] = "a";
  (*n.mutable_metadata()->mutable_labels())["cores"] = "8";
  struct Case {
    const char* name;
    minik8s::core::v1::NodeSelectorRequirement req;
    bool match;
  } cases[] = {
      {"In match", Req("zone", "In", {"a", "b"}), true},
      {"In miss", Req("zone", "In", {"b"}), false},
      {"In absent key", Req("disk", "In", {"ssd"}), false},
      {"NotIn match", Req("zone", "NotIn", {"b"}), true},
      {"NotIn miss", Req("zone", "NotIn", {"a"}), false},
      {"NotIn absent key", Req("disk", "NotIn", {"ssd"}), true},
      {"Exists", Req("zone", "Exists", {}), true},
      {"Exists absent", Req("disk", "Exists", {}), false},
      {"DoesNotExist", Req("disk", "DoesNotExist", {}), true},
      {"DoesNotExist present", Req("zone", "DoesNotExist", {}), false},
      {"Gt true", Req("cores", "Gt", {"4"}), true},
      {"Gt false", Req("cores", "Gt", {"8"}), false},
      {"Lt true", Req("cores", "Lt", {"16"}), true},
      {"Lt false", Req("cores", "Lt", {"8"}), false},
      {"Gt non-integer label", Req("zone", "Gt", {"1"}), false},
      {"Gt two values", Req("cores", "Gt", {"1", "2"}), false},
      {"unknown operator", Req("zone", "Like", {"a"}), false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(MatchLabelRequirement(c.req, n.metadata().labels()), c.match) << c.name;
  }
}

TEST(NodeAffinity, FilterNodeSelectorTermsAndFields) {
  NodeAffinity plugin;
  Node n1 = MakeNode("n1");
  (*n1.mutable_metadata()->mutable_labels())["disk"] = "ssd";
  Node n2 = MakeNode("n2");

  Pod sel = MakePod("sel");
  (*sel.mutable_spec()->mutable_node_selector())["disk"] = "ssd";
  EXPECT_TRUE(plugin.Filter(kNoState, Info(sel), NodeInfo(Share(n1))).ok());
  FilterStatus s = plugin.Filter(kNoState, Info(sel), NodeInfo(Share(n2)));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.reasons()[0], "node(s) didn't match Pod's node affinity/selector");

  // Two terms ORed: disk=ssd, or metadata.name In [n2].
  Pod aff = MakePod("aff");
  auto* required = aff.mutable_spec()
                       ->mutable_affinity()
                       ->mutable_node_affinity()
                       ->mutable_required_during_scheduling_ignored_during_execution();
  *required->add_node_selector_terms()->add_match_expressions() = Req("disk", "In", {"ssd"});
  *required->add_node_selector_terms()->add_match_fields() = Req("metadata.name", "In", {"n2"});
  Node n3 = MakeNode("n3");
  EXPECT_TRUE(plugin.Filter(kNoState, Info(aff), NodeInfo(Share(n1))).ok());
  EXPECT_TRUE(plugin.Filter(kNoState, Info(aff), NodeInfo(Share(n2))).ok());
  EXPECT_FALSE(plugin.Filter(kNoState, Info(aff), NodeInfo(Share(n3))).ok());

  // Expressions and fields in one term are ANDed; an empty term matches nothing.
  minik8s::core::v1::NodeSelectorTerm term;
  *term.add_match_expressions() = Req("disk", "Exists", {});
  *term.add_match_fields() = Req("metadata.name", "NotIn", {"n1"});
  EXPECT_FALSE(MatchNodeSelectorTerm(term, n1));
  EXPECT_FALSE(MatchNodeSelectorTerm(minik8s::core::v1::NodeSelectorTerm(), n1));
  minik8s::core::v1::NodeSelector empty;
  EXPECT_FALSE(MatchNodeSelector(empty, n1));
  // Unsupported field key.
  EXPECT_FALSE(MatchFieldRequirement(Req("metadata.uid", "In", {"n1"}), n1));
}

TEST(NodeAffinity, ScorePreferredTerms) {
  NodeAffinity plugin;
  Pod p = MakePod("p");
  auto* na = p.mutable_spec()->mutable_affinity()->mutable_node_affinity();
  auto* t1 = na->add_preferred_during_scheduling_ignored_during_execution();
  t1->set_weight(80);
  *t1->mutable_preference()->add_match_expressions() = Req("zone", "In", {"a"});
  auto* t2 = na->add_preferred_during_scheduling_ignored_during_execution();
  t2->set_weight(20);
  *t2->mutable_preference()->add_match_expressions() = Req("disk", "Exists", {});
  Node both = MakeNode("both");
  (*both.mutable_metadata()->mutable_labels())["zone"] = "a";
  (*both.mutable_metadata()->mutable_labels())["disk"] = "ssd";
  Node zone = MakeNode("zone");
  (*zone.mutable_metadata()->mutable_labels())["zone"] = "a";
  Node none = MakeNode("none");
  PodInfo pi = Info(p);
  std::vector<int64_t> scores = {plugin.Score(kNoState, pi, NodeInfo(Share(both))),
                                 plugin.Score(kNoState, pi, NodeInfo(Share(zone))),
                                 plugin.Score(kNoState, pi, NodeInfo(Share(none)))};
  EXPECT_EQ(scores, (std::vector<int64_t>{100, 80, 0}));
  plugin.NormalizeScore(pi, scores);
  EXPECT_EQ(scores, (std::vector<int64_t>{100, 80, 0}));
  scores = {40, 20, 0};
  plugin.NormalizeScore(pi, scores);
  EXPECT_EQ(scores, (std::vector<int64_t>{100, 50, 0}));
}

TEST(NodeResourcesFit, Table) {
  struct Case {
    const char* name;
    std::string cpu, memory;  // pod requests
    int existing_pods;
    std::vector<std::string> reasons;
  } cases[] = {
      {"fits", "1", "1Gi", 0, {}},
      {"exactly fits", "3", "12Gi", 0, {}},
      {"cpu", "3500m", "1Gi", 0, {"Insufficient cpu"}},
      {"memory", "1", "13Gi", 0, {"Insufficient memory"}},
      {"both", "5", "20Gi", 0, {"Insufficient cpu", "Insufficient memory"}},
      {"too many pods", "", "", 10, {"Too many pods"}},
      {"too many pods and cpu", "4", "", 10, {"Too many pods", "Insufficient cpu"}},
      {"no requests fit anywhere", "", "", 9, {}},
  };
  for (const auto& c : cases) {
    NodeInfo ni(Share(MakeNode("n", "4", "16Gi", "11")));
    // One pod already uses 1 cpu / 4Gi; then `existing_pods` empty pods.
    ni.AddPod(Info(MakePod("used", "1", "4Gi")));
    for (int i = 0; i < c.existing_pods; ++i) ni.AddPod(Info(MakePod("e")));
    EXPECT_EQ(InsufficientResources(PodRequests(MakePod("p", c.cpu, c.memory)), ni), c.reasons)
        << c.name;
  }
  NodeResourcesFit plugin;
  NodeInfo ni(Share(MakeNode("n", "1", "1Gi")));
  FilterStatus s = plugin.Filter(kNoState, Info(MakePod("p", "2")), ni);
  EXPECT_EQ(s.code(), Code::kUnschedulable);
}

TEST(NodeResourcesFit, EffectiveRequestsWithInitContainers) {
  Pod p = MakePod("p", "500m", "1Gi");
  auto* c2 = p.mutable_spec()->add_containers();
  (*c2->mutable_resources()->mutable_requests())["cpu"] =
      minik8s::api::Quantity::MustParse("250m").ToProto();
  auto* init = p.mutable_spec()->add_init_containers();
  (*init->mutable_resources()->mutable_requests())["cpu"] =
      minik8s::api::Quantity::MustParse("2").ToProto();
  Resources r = PodRequests(p);
  EXPECT_EQ(r.milli_cpu, 2000);  // max(750m, 2)
  EXPECT_EQ(r.memory, int64_t{1} << 30);
  Resources nz = PodNonZeroRequests(p);
  EXPECT_EQ(nz.milli_cpu, 2000);
  // Container 2 requests no memory: it counts as 200Mi for scoring.
  EXPECT_EQ(nz.memory, (int64_t{1} << 30) + kDefaultMemoryRequest);
}

TEST(NodeResourcesLeastAllocated, Table) {
  EXPECT_EQ(LeastRequestedScore(0, 4000), 100);
  EXPECT_EQ(LeastRequestedScore(1000, 4000), 75);
  EXPECT_EQ(LeastRequestedScore(4000, 4000), 0);
  EXPECT_EQ(LeastRequestedScore(5000, 4000), 0);
  EXPECT_EQ(LeastRequestedScore(1, 0), 0);

  NodeInfo empty(Share(MakeNode("n", "4", "16Gi")));
  NodeInfo busy(Share(MakeNode("n", "4", "16Gi")));
  busy.AddPod(Info(MakePod("x", "2", "8Gi")));
  PodInfo p = Info(MakePod("p", "1", "4Gi"));
  EXPECT_EQ(LeastAllocatedScore(p.non_zero_requests, empty), 75);  // (75 + 75) / 2
  EXPECT_EQ(LeastAllocatedScore(p.non_zero_requests, busy), 25);   // (25 + 25) / 2
  NodeResourcesLeastAllocated plugin;
  EXPECT_GT(plugin.Score(kNoState, p, empty), plugin.Score(kNoState, p, busy));
  // A pod without requests counts as 100m / 200Mi.
  PodInfo bare = Info(MakePod("bare"));
  EXPECT_EQ(bare.non_zero_requests.milli_cpu, 100);
  EXPECT_EQ(
      LeastAllocatedScore(bare.non_zero_requests, NodeInfo(Share(MakeNode("n", "1", "2000Mi")))),
      (90 + 90) / 2);
}

TEST(NodeResourcesBalancedAllocation, Table) {
  NodeInfo n(Share(MakeNode("n", "4", "16Gi")));
  // 50% cpu, 50% memory: perfectly balanced.
  EXPECT_EQ(BalancedAllocationScore(PodRequests(MakePod("p", "2", "8Gi")), n), 100);
  // 100% cpu, 0% memory: std = 0.5 → 50.
  EXPECT_EQ(BalancedAllocationScore(PodRequests(MakePod("p", "4", "")), n), 50);
  // 50% cpu, 25% memory: std = 0.125 → 87.
  EXPECT_EQ(BalancedAllocationScore(PodRequests(MakePod("p", "2", "4Gi")), n), 87);
  // Over-commit is capped at 1.
  EXPECT_EQ(BalancedAllocationScore(PodRequests(MakePod("p", "8", "16Gi")), n), 100);
  NodeResourcesBalancedAllocation plugin;
  EXPECT_EQ(plugin.Score(kNoState, Info(MakePod("p", "2", "8Gi")), n), 100);
}

TEST(SelectorSpread, SpreadsPodsOfOneOwner) {
  SelectorSpread plugin;
  Pod a = MakePod("a");
  testutil::SetOwner(&a, "rs-1");
  Pod b = MakePod("b");
  testutil::SetOwner(&b, "rs-2");
  NodeInfo n1(Share(MakeNode("n1")));
  NodeInfo n2(Share(MakeNode("n2")));
  NodeInfo n3(Share(MakeNode("n3")));
  n1.AddPod(Info(a));
  n1.AddPod(Info(a));
  n2.AddPod(Info(a));
  n3.AddPod(Info(b));
  PodInfo incoming = Info(a);
  std::vector<int64_t> scores = {plugin.Score(kNoState, incoming, n1),
                                 plugin.Score(kNoState, incoming, n2),
                                 plugin.Score(kNoState, incoming, n3)};
  EXPECT_EQ(scores, (std::vector<int64_t>{2, 1, 0}));
  plugin.NormalizeScore(incoming, scores);
  EXPECT_EQ(scores, (std::vector<int64_t>{0, 50, 100}));
  // No owner: all equal.
  PodInfo lone = Info(MakePod("lone"));
  scores = {plugin.Score(kNoState, lone, n1), plugin.Score(kNoState, lone, n2)};
  plugin.NormalizeScore(lone, scores);
  EXPECT_EQ(scores, (std::vector<int64_t>{100, 100}));
  // Removing pods updates the counts.
  n1.RemovePod(incoming.requests, incoming.non_zero_requests, incoming.owner_uid);
  EXPECT_EQ(plugin.Score(kNoState, incoming, n1), 1);
}

TEST(Registry, DefaultsAreRegistered) {
  const auto& reg = Registry();
  for (const auto& name : DefaultFilterPlugins()) EXPECT_TRUE(reg.contains(name)) << name;
  for (const auto& wp : DefaultScorePlugins()) EXPECT_TRUE(reg.contains(wp.name)) << wp.name;
  for (const auto& [name, factory] : reg) EXPECT_EQ(factory()->Name(), name);
}

}  // namespace
}  // namespace minik8s::scheduler::plugins
