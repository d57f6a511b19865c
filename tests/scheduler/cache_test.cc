#include "scheduler/cache/cache.h"

#include "gtest/gtest.h"
#include "tests/scheduler/test_util.h"

namespace minik8s::scheduler {
namespace {

using testutil::MakeNode;
using testutil::MakePod;
using testutil::Share;

Pod Bound(Pod p, const std::string& node) {
  p.mutable_spec()->set_node_name(node);
  return p;
}

TEST(Cache, AssumeCountsAtOnceForgetUncounts) {
  Cache cache;
  cache.AddNode(Share(MakeNode("n1", "4", "16Gi")));
  PodInfo p = MakePodInfo(Share(MakePod("p", "1", "1Gi")));
  ASSERT_TRUE(cache.AssumePod(p, "n1").ok());
  EXPECT_TRUE(cache.IsAssumed("default/p"));
  EXPECT_EQ(cache.GetNodeInfo("n1")->requested().milli_cpu, 1000);
  EXPECT_EQ(cache.GetNodeInfo("n1")->num_pods(), 1);
  // A second assume of the same pod is refused.
  EXPECT_EQ(cache.AssumePod(p, "n1").code(), absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE(cache.ForgetPod("default/p").ok());
  EXPECT_EQ(cache.GetNodeInfo("n1")->requested().milli_cpu, 0);
  EXPECT_EQ(cache.GetNodeInfo("n1")->num_pods(), 0);
  EXPECT_FALSE(cache.Contains("default/p"));
  EXPECT_EQ(cache.ForgetPod("default/p").code(), absl::StatusCode::kNotFound);
}

TEST(Cache, InformerConfirmsAssumedPodWithoutDoubleCounting) {
  Cache cache;
  cache.AddNode(Share(MakeNode("n1")));
  Pod pod = MakePod("p", "500m", "1Gi");
  ASSERT_TRUE(cache.AssumePod(MakePodInfo(Share(pod)), "n1").ok());
  cache.FinishBinding("default/p");
  cache.AddPod(Bound(pod, "n1"));
  EXPECT_FALSE(cache.IsAssumed("default/p"));
  EXPECT_TRUE(cache.Contains("default/p"));
  EXPECT_EQ(cache.GetNodeInfo("n1")->requested().milli_cpu, 500);
  EXPECT_EQ(cache.GetNodeInfo("n1")->num_pods(), 1);
  // Confirmed pods cannot be forgotten.
  EXPECT_EQ(cache.ForgetPod("default/p").code(), absl::StatusCode::kFailedPrecondition);
  cache.RemovePod("default/p");
  EXPECT_EQ(cache.GetNodeInfo("n1")->num_pods(), 0);
}

TEST(Cache, AssumedPodBoundElsewhereMoves) {
  Cache cache;
  cache.AddNode(Share(MakeNode("n1")));
  cache.AddNode(Share(MakeNode("n2")));
  Pod pod = MakePod("p", "1");
  ASSERT_TRUE(cache.AssumePod(MakePodInfo(Share(pod)), "n1").ok());
  cache.AddPod(Bound(pod, "n2"));
  EXPECT_EQ(cache.GetNodeInfo("n1")->num_pods(), 0);
  EXPECT_EQ(cache.GetNodeInfo("n2")->num_pods(), 1);
  EXPECT_EQ(cache.GetNodeInfo("n2")->requested().milli_cpu, 1000);
}

TEST(Cache, PodsOnUnknownNodeKeptButNotInSnapshot) {
  Cache cache;
  cache.AddPod(Bound(MakePod("p", "1"), "ghost"));
  Snapshot snap;
  cache.UpdateSnapshot(&snap);
  EXPECT_EQ(snap.NumNodes(), 0);
  cache.AddNode(Share(MakeNode("ghost")));
  cache.UpdateSnapshot(&snap);
  ASSERT_EQ(snap.NumNodes(), 1);
  EXPECT_EQ(snap.Get("ghost")->requested().milli_cpu, 1000);
  cache.RemoveNode("ghost");
  cache.UpdateSnapshot(&snap);
  EXPECT_EQ(snap.NumNodes(), 0);
  EXPECT_EQ(cache.NumPods(), 1u);
}

TEST(Cache, SnapshotIsIncrementalAndOrdered) {
  Cache cache;
  cache.AddNode(Share(MakeNode("b")));
  cache.AddNode(Share(MakeNode("a")));
  cache.AddNode(Share(MakeNode("c")));
  Snapshot snap;
  cache.UpdateSnapshot(&snap);
  ASSERT_EQ(snap.NumNodes(), 3);
  EXPECT_EQ(snap.nodes()[0].name(), "a");
  EXPECT_EQ(snap.nodes()[2].name(), "c");
  ASSERT_TRUE(cache.AssumePod(MakePodInfo(Share(MakePod("p", "2"))), "b").ok());
  EXPECT_EQ(snap.Get("b")->num_pods(), 0);  // frozen until updated
  cache.UpdateSnapshot(&snap);
  EXPECT_EQ(snap.Get("b")->num_pods(), 1);
  EXPECT_EQ(snap.Get("b")->requested().milli_cpu, 2000);
  // A node update keeps its pods counted.
  Node b2 = MakeNode("b", "8");
  cache.UpdateNode(Share(b2));
  cache.UpdateSnapshot(&snap);
  EXPECT_EQ(snap.Get("b")->allocatable().milli_cpu, 8000);
  EXPECT_EQ(snap.Get("b")->num_pods(), 1);
}

TEST(Cache, PodsLabelsAndAffinityFollowTheirUpdates) {
  Cache cache;
  cache.AddNode(Share(MakeNode("n1")));
  Pod web = Bound(MakePod("web"), "n1");
  (*web.mutable_metadata()->mutable_labels())["app"] = "web";
  auto* term = web.mutable_spec()
                   ->mutable_affinity()
                   ->mutable_pod_anti_affinity()
                   ->add_required_during_scheduling_ignored_during_execution();
  term->set_topology_key("kubernetes.io/hostname");
  cache.AddPod(web);
  cache.AddPod(Bound(MakePod("plain"), "n1"));
  Snapshot snap;
  cache.UpdateSnapshot(&snap);
  EXPECT_EQ(snap.pods_with_affinity(), 1);
  EXPECT_EQ(snap.pods_with_required_anti_affinity(), 1);
  ASSERT_EQ(snap.nodes()[0].pods().size(), 2u);
  EXPECT_EQ(snap.nodes()[0].pods_with_required_anti_affinity(), 1);

  // A label change replaces the pod's entry; the counts stay.
  (*web.mutable_metadata()->mutable_labels())["app"] = "web-v2";
  cache.UpdatePod(web);
  cache.UpdateSnapshot(&snap);
  std::string app;
  for (const auto& ref : snap.nodes()[0].pods()) {
    if (ref->key == "default/web") app = ref->labels.at("app");
  }
  EXPECT_EQ(app, "web-v2");
  EXPECT_EQ(snap.pods_with_affinity(), 1);

  cache.RemovePod("default/web");
  cache.UpdateSnapshot(&snap);
  EXPECT_EQ(snap.pods_with_affinity(), 0);
  EXPECT_EQ(snap.pods_with_required_anti_affinity(), 0);
  EXPECT_EQ(snap.nodes()[0].pods().size(), 1u);
  EXPECT_EQ(snap.nodes()[0].pods_with_affinity(), 0);
}

TEST(Cache, UpdatePodChangesAccounting) {
  Cache cache;
  cache.AddNode(Share(MakeNode("n1")));
  Pod p = Bound(MakePod("p", "1"), "n1");
  testutil::SetOwner(&p, "rs");
  cache.AddPod(p);
  EXPECT_EQ(cache.GetNodeInfo("n1")->PodsWithOwner("rs"), 1);
  Pod bigger = Bound(MakePod("p", "2"), "n1");
  cache.UpdatePod(bigger);
  EXPECT_EQ(cache.GetNodeInfo("n1")->requested().milli_cpu, 2000);
  EXPECT_EQ(cache.GetNodeInfo("n1")->num_pods(), 1);
  EXPECT_EQ(cache.GetNodeInfo("n1")->PodsWithOwner("rs"), 0);
}

}  // namespace
}  // namespace minik8s::scheduler
