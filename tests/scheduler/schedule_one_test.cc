#include "scheduler/schedule_one.h"

#include <set>

#include "gtest/gtest.h"
#include "scheduler/cache/cache.h"
#include "tests/scheduler/test_util.h"

namespace minik8s::scheduler {
namespace {

using testutil::AddTaint;
using testutil::MakeNode;
using testutil::MakePod;
using testutil::Share;

TEST(NumFeasibleNodesToFind, Table) {
  struct Case {
    int percentage, nodes, want;
  } cases[] = {
      {0, 0, 0},       {0, 10, 10},    {0, 99, 99},       {0, 100, 100},
      {0, 1000, 420},  // 50 - 1000/125 = 42%
      {0, 5000, 500},  // 50 - 40 = 10%
      {0, 6000, 300},  // 50 - 48 = 2% → 5%
      {0, 250, 120},   // 48% of 250
      {0, 150, 100},   // 49% = 73 → at least 100
      {30, 1000, 300}, {5, 1000, 100}, {100, 1000, 1000}, {50, 50, 50},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(NumFeasibleNodesToFind(c.percentage, c.nodes), c.want)
        << c.percentage << "% of " << c.nodes;
  }
}

class ScheduleOneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto fw = Framework::Create(Profile{});
    ASSERT_TRUE(fw.ok()) << fw.status();
    framework_ = *std::move(fw);
  }
  ScheduleResult Schedule(Algorithm& algo, const Pod& pod) {
    cache_.UpdateSnapshot(&snapshot_);
    return algo.Schedule(MakePodInfo(Share(pod)), snapshot_);
  }

  std::unique_ptr<Framework> framework_;
  Cache cache_;
  Snapshot snapshot_;
};

TEST_F(ScheduleOneTest, ExplainsWhyNothingFits) {
  cache_.AddNode(Share(MakeNode("node-1", "1")));
  cache_.AddNode(Share(MakeNode("node-2", "1")));
  Node n3 = MakeNode("node-3", "8");
  AddTaint(&n3, "node.kubernetes.io/unreachable", "", "NoSchedule");
  cache_.AddNode(Share(n3));
  Algorithm algo(framework_.get(), nullptr, 0, 1);
  ScheduleResult r = Schedule(algo, MakePod("big", "2"));
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.FailureMessage(),
            "0/3 nodes are available: 1 node(s) had untolerated taint "
            "{node.kubernetes.io/unreachable: }, 2 Insufficient cpu.");
  Algorithm empty_algo(framework_.get(), nullptr, 0, 1);
  Cache empty;
  Snapshot s;
  empty.UpdateSnapshot(&s);
  EXPECT_EQ(empty_algo.Schedule(MakePodInfo(Share(MakePod("p"))), s).FailureMessage(),
            "no nodes available to schedule pods");
}

TEST_F(ScheduleOneTest, AssumedPodsPreventOvercommit) {
  cache_.AddNode(Share(MakeNode("small", "2")));
  cache_.AddNode(Share(MakeNode("large", "4")));
  Algorithm algo(framework_.get(), nullptr, 0, 7);
  // Each 1.5-cpu pod is assumed (not yet bound) before the next decision.
  std::map<std::string, int> placed;
  for (int i = 0; i < 3; ++i) {
    Pod p = MakePod("p" + std::to_string(i), "1500m");
    ScheduleResult r = Schedule(algo, p);
    ASSERT_TRUE(r.ok()) << r.FailureMessage();
    ASSERT_TRUE(cache_.AssumePod(MakePodInfo(Share(p)), r.suggested_host).ok());
    ++placed[r.suggested_host];
  }
  EXPECT_EQ(placed["large"], 2);
  EXPECT_EQ(placed["small"], 1);
  ScheduleResult r = Schedule(algo, MakePod("p3", "1500m"));
  EXPECT_EQ(r.FailureMessage(), "0/2 nodes are available: 2 Insufficient cpu.");
  // The binding of p0 fails: forgetting it frees room again.
  ASSERT_TRUE(cache_.ForgetPod("default/p0").ok());
  EXPECT_TRUE(Schedule(algo, MakePod("p3", "1500m")).ok());
}

TEST_F(ScheduleOneTest, PrefersLeastAllocatedAndSpreads) {
  cache_.AddNode(Share(MakeNode("a")));
  cache_.AddNode(Share(MakeNode("b")));
  cache_.AddNode(Share(MakeNode("c")));
  Algorithm algo(framework_.get(), nullptr, 0, 3);
  std::map<std::string, int> per_node;
  for (int i = 0; i < 30; ++i) {
    Pod p = MakePod("p" + std::to_string(i), "100m", "100Mi");
    testutil::SetOwner(&p, "rs-1");
    ScheduleResult r = Schedule(algo, p);
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(cache_.AssumePod(MakePodInfo(Share(p)), r.suggested_host).ok());
    ++per_node[r.suggested_host];
  }
  EXPECT_EQ(per_node["a"], 10);
  EXPECT_EQ(per_node["b"], 10);
  EXPECT_EQ(per_node["c"], 10);
}

TEST_F(ScheduleOneTest, TiesAreBrokenAtRandom) {
  for (int i = 0; i < 4; ++i) cache_.AddNode(Share(MakeNode("n" + std::to_string(i))));
  Algorithm algo(framework_.get(), nullptr, 0, 11);
  std::set<std::string> chosen;
  for (int i = 0; i < 100; ++i) chosen.insert(Schedule(algo, MakePod("p")).suggested_host);
  EXPECT_EQ(chosen.size(), 4u);
}

TEST_F(ScheduleOneTest, SearchStartRotatesOverLargeClusters) {
  for (int i = 0; i < 1000; ++i) {
    char name[16];
    snprintf(name, sizeof(name), "node-%04d", i);
    cache_.AddNode(Share(MakeNode(name)));
  }
  Parallelizer par(4);
  Algorithm algo(framework_.get(), &par, 0, 5);
  ScheduleResult r = Schedule(algo, MakePod("p"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.feasible_nodes, 420);
  EXPECT_EQ(r.evaluated_nodes, 420);
  EXPECT_EQ(algo.next_start_node_index(), 420);
  Schedule(algo, MakePod("q"));
  EXPECT_EQ(algo.next_start_node_index(), 840);
  Schedule(algo, MakePod("r"));
  EXPECT_EQ(algo.next_start_node_index(), 260);  // wrapped around
}

TEST_F(ScheduleOneTest, NodeSelectorAndTaintsNarrowTheChoice) {
  Node ssd = MakeNode("ssd");
  (*ssd.mutable_metadata()->mutable_labels())["disk"] = "ssd";
  cache_.AddNode(Share(ssd));
  cache_.AddNode(Share(MakeNode("plain")));
  Node tainted = MakeNode("tainted");
  (*tainted.mutable_metadata()->mutable_labels())["disk"] = "ssd";
  AddTaint(&tainted, "dedicated", "db", "NoSchedule");
  cache_.AddNode(Share(tainted));
  Algorithm algo(framework_.get(), nullptr, 0, 9);
  Pod p = MakePod("p");
  (*p.mutable_spec()->mutable_node_selector())["disk"] = "ssd";
  for (int i = 0; i < 20; ++i) EXPECT_EQ(Schedule(algo, p).suggested_host, "ssd");
  testutil::AddToleration(&p, "dedicated", "Equal", "db", "NoSchedule");
  std::set<std::string> chosen;
  for (int i = 0; i < 50; ++i) chosen.insert(Schedule(algo, p).suggested_host);
  EXPECT_EQ(chosen, (std::set<std::string>{"ssd", "tainted"}));
}

}  // namespace
}  // namespace minik8s::scheduler
