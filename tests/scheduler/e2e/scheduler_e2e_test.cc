// End to end: real minik8s-store + minik8s-apiserver + minik8s-scheduler,
// with Node objects created by the test (no kubelet).
#include <signal.h>
#include <sys/wait.h>

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/errors.h"
#include "api/quantity.h"
#include "gtest/gtest.h"
#include "testing/control_plane.h"
#include "tests/scheduler/test_util.h"

namespace minik8s::scheduler::e2e {
namespace {

using minik8s::core::v1::Event;
using minik8s::core::v1::Node;
using minik8s::core::v1::Pod;
using testing::ControlPlane;
using testutil::AddTaint;
using testutil::MakeNode;
using testutil::MakePod;

class SchedulerE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::string> missing = ControlPlane::MissingBinaries();
    if (!missing.empty()) {
      GTEST_SKIP() << "missing binaries in the build tree: " << absl::StrJoin(missing, ", ")
                   << " (build the minik8s-store, minik8s-apiserver and minik8s-scheduler "
                      "targets)";
    }
    ASSERT_TRUE(cp_.Start().ok());
  }

  client::Clientset& cs() { return *cp_.clientset(); }

  void CreateNode(const Node& node) {
    auto created = cs().Nodes().Create(node);
    ASSERT_TRUE(created.ok()) << created.status();
    if (created->status().allocatable().empty()) {
      Node with_status = *created;
      *with_status.mutable_status() = node.status();
      auto updated = cs().Nodes().UpdateStatus(with_status);
      ASSERT_TRUE(updated.ok()) << updated.status();
    }
  }
  void CreatePod(const Pod& pod) {
    auto created = cs().Pods().Create(pod);
    ASSERT_TRUE(created.ok()) << created.status();
  }
  std::string NodeOf(const std::string& name) {
    auto pod = cs().Pods().Get("default", name);
    return pod.ok() ? pod->spec().node_name() : "";
  }
  bool WaitBound(const std::string& name, absl::Duration timeout = absl::Seconds(30)) {
    return testing::WaitFor([&] { return !NodeOf(name).empty(); }, timeout);
  }
  // The message of an Event with `reason` about pod `name`, or "".
  std::string EventMessage(const std::string& name, const std::string& reason) {
    auto events = cs().Events().List("default");
    if (!events.ok()) return "";
    for (const Event& e : events->items) {
      if (e.involved_object().name() == name && e.reason() == reason) return e.message();
    }
    return "";
  }

  ControlPlane cp_;
};

TEST_F(SchedulerE2eTest, PendingPodsGetBoundAndScheduledEventsRecorded) {
  for (int i = 1; i <= 3; ++i) CreateNode(MakeNode(absl::StrCat("node-", i)));
  // Pods created before the scheduler starts, and after.
  for (int i = 0; i < 4; ++i) CreatePod(MakePod(absl::StrCat("nginx-", i), "100m", "64Mi"));
  ASSERT_TRUE(cp_.StartScheduler().ok());
  for (int i = 4; i < 8; ++i) CreatePod(MakePod(absl::StrCat("nginx-", i), "100m", "64Mi"));
  std::map<std::string, int> per_node;
  for (int i = 0; i < 8; ++i) {
    std::string name = absl::StrCat("nginx-", i);
    ASSERT_TRUE(WaitBound(name)) << name << " not bound\n" << cp_.LogTail("scheduler-0.log");
    ++per_node[NodeOf(name)];
  }
  EXPECT_EQ(per_node.size(), 3u) << "pods should spread over the least allocated nodes";
  std::string msg;
  ASSERT_TRUE(testing::WaitFor(
      [&] { return !(msg = EventMessage("nginx-0", "Scheduled")).empty(); }, absl::Seconds(20)));
  EXPECT_EQ(msg, absl::StrCat("Successfully assigned default/nginx-0 to ", NodeOf("nginx-0")));
  // Leader election (on by default) holds the Lease kube-system/kube-scheduler.
  auto lease = cs().Leases().Get("kube-system", "kube-scheduler");
  ASSERT_TRUE(lease.ok()) << lease.status();
  EXPECT_FALSE(lease->spec().holder_identity().empty());
  // Clean shutdown on SIGTERM.
  std::optional<int> status = cp_.StopScheduler();
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << *status;
}

TEST_F(SchedulerE2eTest, TooBigPodWaitsWithExplanationUntilABigNodeArrives) {
  CreateNode(MakeNode("node-1", "1"));
  CreateNode(MakeNode("node-2", "1"));
  Node unreachable = MakeNode("node-3", "8");
  AddTaint(&unreachable, "node.kubernetes.io/unreachable", "", "NoSchedule");
  CreateNode(unreachable);
  ASSERT_TRUE(cp_.StartScheduler().ok());
  CreatePod(MakePod("big", "2"));
  const std::string want =
      "0/3 nodes are available: 1 node(s) had untolerated taint "
      "{node.kubernetes.io/unreachable: }, 2 Insufficient cpu.";
  std::string msg;
  ASSERT_TRUE(testing::WaitFor(
      [&] { return !(msg = EventMessage("big", "FailedScheduling")).empty(); }, absl::Seconds(30)))
      << cp_.LogTail("scheduler-0.log");
  EXPECT_EQ(msg, want);
  // The PodScheduled condition carries the same explanation.
  minik8s::core::v1::PodCondition cond;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        auto pod = cs().Pods().Get("default", "big");
        if (!pod.ok()) return false;
        for (const auto& c : pod->status().conditions()) {
          if (c.type() == "PodScheduled") {
            cond = c;
            return true;
          }
        }
        return false;
      },
      absl::Seconds(30)));
  EXPECT_EQ(cond.status(), "False");
  EXPECT_EQ(cond.reason(), "Unschedulable");
  EXPECT_EQ(cond.message(), want);
  EXPECT_EQ(NodeOf("big"), "");

  CreateNode(MakeNode("node-big", "4"));
  ASSERT_TRUE(WaitBound("big")) << cp_.LogTail("scheduler-0.log");
  EXPECT_EQ(NodeOf("big"), "node-big");
}

TEST_F(SchedulerE2eTest, NodeSelectorTaintsAndSchedulerNameRespected) {
  Node ssd = MakeNode("ssd");
  (*ssd.mutable_metadata()->mutable_labels())["disk"] = "ssd";
  CreateNode(ssd);
  CreateNode(MakeNode("plain"));
  Node tainted = MakeNode("tainted");
  (*tainted.mutable_metadata()->mutable_labels())["disk"] = "ssd";
  AddTaint(&tainted, "dedicated", "db", "NoSchedule");
  CreateNode(tainted);
  Node cordoned = MakeNode("cordoned");
  (*cordoned.mutable_metadata()->mutable_labels())["disk"] = "ssd";
  cordoned.mutable_spec()->set_unschedulable(true);
  CreateNode(cordoned);
  ASSERT_TRUE(cp_.StartScheduler({"--leader-elect=false"}).ok());

  for (int i = 0; i < 4; ++i) {
    Pod p = MakePod(absl::StrCat("ssd-", i), "10m");
    (*p.mutable_spec()->mutable_node_selector())["disk"] = "ssd";
    CreatePod(p);
  }
  Pod db = MakePod("db", "10m");
  (*db.mutable_spec()->mutable_node_selector())["disk"] = "ssd";
  testutil::AddToleration(&db, "dedicated", "Equal", "db", "NoSchedule");
  auto* na = db.mutable_spec()->mutable_affinity()->mutable_node_affinity();
  auto* term =
      na->mutable_required_during_scheduling_ignored_during_execution()->add_node_selector_terms();
  auto* field = term->add_match_fields();
  field->set_key("metadata.name");
  field->set_operator_("In");
  field->add_values("tainted");
  CreatePod(db);
  Pod other = MakePod("other", "10m");
  other.mutable_spec()->set_scheduler_name("my-scheduler");
  CreatePod(other);

  for (int i = 0; i < 4; ++i) {
    std::string name = absl::StrCat("ssd-", i);
    ASSERT_TRUE(WaitBound(name)) << name << "\n" << cp_.LogTail("scheduler-0.log");
    EXPECT_EQ(NodeOf(name), "ssd") << name;
  }
  ASSERT_TRUE(WaitBound("db"));
  EXPECT_EQ(NodeOf("db"), "tainted");
  // Another scheduler's pod is left alone: no binding, no event.
  EXPECT_EQ(NodeOf("other"), "");
  EXPECT_EQ(EventMessage("other", "FailedScheduling"), "");
  EXPECT_EQ(EventMessage("other", "Scheduled"), "");
}

TEST_F(SchedulerE2eTest, TopologySpreadConstraintsSpreadOverZonesOrWait) {
  constexpr char kZone[] = "topology.kubernetes.io/zone";
  for (const auto& [name, zone] : std::vector<std::pair<std::string, std::string>>{
           {"a1", "a"}, {"a2", "a"}, {"b1", "b"}, {"bare", ""}}) {
    Node n = MakeNode(name);
    if (!zone.empty()) (*n.mutable_metadata()->mutable_labels())[kZone] = zone;
    CreateNode(n);
  }
  ASSERT_TRUE(cp_.StartScheduler({"--leader-elect=false"}).ok());
  auto spread_pod = [&](const std::string& name) {
    Pod p = MakePod(name, "10m");
    (*p.mutable_metadata()->mutable_labels())["app"] = "web";
    auto* c = p.mutable_spec()->add_topology_spread_constraints();
    c->set_max_skew(1);
    c->set_topology_key(kZone);
    c->set_when_unsatisfiable("DoNotSchedule");
    (*c->mutable_label_selector()->mutable_match_labels())["app"] = "web";
    return p;
  };
  // Six pods at once: the scheduler counts the ones it has just assumed, so
  // the two zones end up even and the node without a zone gets none.
  for (int i = 0; i < 6; ++i) CreatePod(spread_pod(absl::StrCat("web-", i)));
  std::map<std::string, int> per_zone;
  for (int i = 0; i < 6; ++i) {
    std::string name = absl::StrCat("web-", i);
    ASSERT_TRUE(WaitBound(name)) << name << "\n" << cp_.LogTail("scheduler-0.log");
    std::string node = NodeOf(name);
    ASSERT_NE(node, "bare") << name;
    ++per_zone[node.substr(0, 1)];
  }
  EXPECT_EQ(per_zone, (std::map<std::string, int>{{"a", 3}, {"b", 3}}));

  // Pinned to zone a, with every node counted (nodeAffinityPolicy Ignore):
  // the first fits (3 + 1 - 3), the second would make a skew of 2 and waits.
  for (const char* name : {"pinned-1", "pinned-2"}) {
    Pod p = spread_pod(name);
    (*p.mutable_spec()->mutable_node_selector())[kZone] = "a";
    p.mutable_spec()->mutable_topology_spread_constraints(0)->set_node_affinity_policy("Ignore");
    CreatePod(p);
    if (std::string(name) == "pinned-1") {
      ASSERT_TRUE(WaitBound(name)) << cp_.LogTail("scheduler-0.log");
    }
  }
  std::string msg;
  ASSERT_TRUE(testing::WaitFor(
      [&] { return !(msg = EventMessage("pinned-2", "FailedScheduling")).empty(); },
      absl::Seconds(30)))
      << cp_.LogTail("scheduler-0.log");
  EXPECT_EQ(msg,
            "0/4 nodes are available: 2 node(s) didn't match Pod's node affinity/selector, "
            "2 node(s) didn't match pod topology spread constraints.");
  EXPECT_EQ(NodeOf("pinned-2"), "");
}

TEST_F(SchedulerE2eTest, PodAntiAffinityOnePerNodeAndAffinityFollows) {
  for (const char* name : {"n1", "n2", "n3"}) {
    Node n = MakeNode(name);
    (*n.mutable_metadata()->mutable_labels())["kubernetes.io/hostname"] = name;
    CreateNode(n);
  }
  ASSERT_TRUE(cp_.StartScheduler({"--leader-elect=false"}).ok());
  auto one_per_node = [&](const std::string& name) {
    Pod p = MakePod(name, "10m");
    (*p.mutable_metadata()->mutable_labels())["app"] = "web";
    auto* t = p.mutable_spec()
                  ->mutable_affinity()
                  ->mutable_pod_anti_affinity()
                  ->add_required_during_scheduling_ignored_during_execution();
    t->set_topology_key("kubernetes.io/hostname");
    (*t->mutable_label_selector()->mutable_match_labels())["app"] = "web";
    return p;
  };
  // Three at once: each assumed pod keeps the next off its node.
  for (int i = 0; i < 3; ++i) {
    Pod p = one_per_node(absl::StrCat("web-", i));
    if (i == 0) (*p.mutable_metadata()->mutable_labels())["role"] = "leader";
    CreatePod(p);
  }
  std::set<std::string> nodes;
  for (int i = 0; i < 3; ++i) {
    std::string name = absl::StrCat("web-", i);
    ASSERT_TRUE(WaitBound(name)) << name << "\n" << cp_.LogTail("scheduler-0.log");
    nodes.insert(NodeOf(name));
  }
  EXPECT_EQ(nodes.size(), 3u);
  // A fourth has nowhere to go.
  CreatePod(one_per_node("web-3"));
  std::string msg;
  ASSERT_TRUE(
      testing::WaitFor([&] { return !(msg = EventMessage("web-3", "FailedScheduling")).empty(); },
                       absl::Seconds(30)))
      << cp_.LogTail("scheduler-0.log");
  EXPECT_EQ(msg, "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules.");
  // A pod with affinity to the leader lands on the leader's node.
  Pod cache = MakePod("cache", "10m");
  (*cache.mutable_metadata()->mutable_labels())["app"] = "cache";
  auto* t = cache.mutable_spec()
                ->mutable_affinity()
                ->mutable_pod_affinity()
                ->add_required_during_scheduling_ignored_during_execution();
  t->set_topology_key("kubernetes.io/hostname");
  auto* req = t->mutable_label_selector()->add_match_expressions();
  req->set_key("role");
  req->set_operator_("In");
  req->add_values("leader");
  CreatePod(cache);
  ASSERT_TRUE(WaitBound("cache")) << cp_.LogTail("scheduler-0.log");
  EXPECT_EQ(NodeOf("cache"), NodeOf("web-0"));
  EXPECT_EQ(NodeOf("web-3"), "");

  // A pod whose affinity target does not exist yet waits, and is scheduled
  // as soon as the target is placed (not after the 60 s unschedulable
  // timeout).
  Pod follower = MakePod("follower", "10m");
  auto* ft = follower.mutable_spec()
                 ->mutable_affinity()
                 ->mutable_pod_affinity()
                 ->add_required_during_scheduling_ignored_during_execution();
  ft->set_topology_key("kubernetes.io/hostname");
  (*ft->mutable_label_selector()->mutable_match_labels())["app"] = "late";
  CreatePod(follower);
  ASSERT_TRUE(testing::WaitFor(
      [&] { return !EventMessage("follower", "FailedScheduling").empty(); }, absl::Seconds(30)));
  EXPECT_EQ(EventMessage("follower", "FailedScheduling"),
            "0/3 nodes are available: 3 node(s) didn't match pod affinity rules.");
  Pod late = MakePod("late", "10m");
  (*late.mutable_metadata()->mutable_labels())["app"] = "late";
  CreatePod(late);
  ASSERT_TRUE(WaitBound("late"));
  ASSERT_TRUE(WaitBound("follower", absl::Seconds(20))) << cp_.LogTail("scheduler-0.log");
  EXPECT_EQ(NodeOf("follower"), NodeOf("late"));
}

}  // namespace
}  // namespace minik8s::scheduler::e2e
