// NodeLifecycleController::MonitorOnce on a fake clock: heartbeats through
// the Lease, Ready=Unknown after the grace period, the unreachable and
// not-ready taints (NoSchedule and NoExecute),
// pods marked not ready, evictions after their toleration, recovery.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "api/time.h"
#include "client/event_recorder.h"
#include "client/indexer.h"
#include "common/fake_clock.h"
#include "controllers/nodelifecycle/node_lifecycle_controller.h"
#include "gtest/gtest.h"

namespace minik8s::controllers {
namespace {

using minik8s::coordination::v1::Lease;
using minik8s::core::v1::Event;
using minik8s::core::v1::Node;
using minik8s::core::v1::Pod;
using minik8s::core::v1::Taint;

class NullSink : public client::EventSink {
 public:
  absl::StatusOr<Event> Create(const Event& e) override {
    absl::MutexLock l(&mu);
    reasons.push_back(e.reason());
    return e;
  }
  absl::StatusOr<Event> Patch(absl::string_view, absl::string_view, absl::string_view) override {
    return absl::NotFoundError("no");
  }
  absl::Mutex mu;
  std::vector<std::string> reasons;
};

// Writes go straight back into the caches, as the informers would bring them.
class CacheClient : public NodeLifecycleClient {
 public:
  CacheClient(client::Indexer* nodes, client::Indexer* pods) : nodes_(nodes), pods_(pods) {}
  absl::StatusOr<Node> UpdateNode(const Node& n) override {
    nodes_->Upsert(std::make_shared<Node>(n));
    return n;
  }
  absl::StatusOr<Node> UpdateNodeStatus(const Node& n) override { return UpdateNode(n); }
  absl::StatusOr<Pod> UpdatePodStatus(const Pod& p) override {
    pods_->Upsert(std::make_shared<Pod>(p));
    return p;
  }
  absl::Status DeletePod(absl::string_view ns, absl::string_view name) override {
    deleted.push_back(std::string(name));
    pods_->Delete(std::string(ns) + "/" + std::string(name));
    return absl::OkStatus();
  }
  std::vector<std::string> deleted;

 private:
  client::Indexer* nodes_;
  client::Indexer* pods_;
};

class NodeLifecycleTest : public ::testing::Test {
 protected:
  NodeLifecycleTest()
      : nodes_(client::DefaultIndexersFor(Node::descriptor())),
        leases_(client::DefaultIndexersFor(Lease::descriptor())),
        pods_(client::DefaultIndexersFor(Pod::descriptor())),
        recorder_(&sink_, {.component = "node-controller", .clock = &clock_}) {
    auto c = std::make_unique<CacheClient>(&nodes_, &pods_);
    client_ = c.get();
    controller_ = std::make_unique<NodeLifecycleController>(
        client::Lister<Node>(&nodes_), client::Lister<Lease>(&leases_), client::Lister<Pod>(&pods_),
        std::move(c), &recorder_,
        NodeLifecycleOptions{.grace_period = absl::Seconds(40),
                             .default_toleration_seconds = 300,
                             .clock = &clock_});
    Node n;
    n.mutable_metadata()->set_name("node-1");
    auto* ready = n.mutable_status()->add_conditions();
    ready->set_type("Ready");
    ready->set_status("True");
    nodes_.Upsert(std::make_shared<Node>(n));
    RenewLease();
  }

  void RenewLease() {
    Lease l;
    l.mutable_metadata()->set_name("node-1");
    l.mutable_metadata()->set_namespace_("kube-node-lease");
    l.mutable_metadata()->set_resource_version(std::to_string(++rv_));
    *l.mutable_spec()->mutable_renew_time() = api::ToProtoMicroTime(clock_.Now());
    leases_.Upsert(std::make_shared<Lease>(l));
  }

  void AddPod(const std::string& name, std::optional<int64_t> toleration_seconds) {
    Pod p;
    p.mutable_metadata()->set_name(name);
    p.mutable_metadata()->set_namespace_("default");
    p.mutable_spec()->set_node_name("node-1");
    p.mutable_status()->set_phase("Running");
    auto* c = p.mutable_status()->add_conditions();
    c->set_type("Ready");
    c->set_status("True");
    if (toleration_seconds.has_value()) {
      auto* t = p.mutable_spec()->add_tolerations();
      t->set_key(kTaintUnreachable);
      t->set_operator_("Exists");
      t->set_effect("NoExecute");
      t->set_toleration_seconds(*toleration_seconds);
    }
    pods_.Upsert(std::make_shared<Pod>(p));
  }

  std::string ReadyStatus() {
    auto n = client::Lister<Node>(&nodes_).Get("", "node-1");
    for (const auto& c : n->status().conditions()) {
      if (c.type() == "Ready") return c.status();
    }
    return "";
  }
  bool Tainted() {
    auto n = client::Lister<Node>(&nodes_).Get("", "node-1");
    for (const auto& t : n->spec().taints()) {
      if (t.key() == kTaintUnreachable && t.effect() == "NoExecute") return true;
    }
    return false;
  }

  common::FakeClock clock_;
  client::Indexer nodes_, leases_, pods_;
  NullSink sink_;
  client::EventRecorder recorder_;
  CacheClient* client_;
  std::unique_ptr<NodeLifecycleController> controller_;
  int rv_ = 0;
};

TEST_F(NodeLifecycleTest, LostHeartbeatTaintsMarksAndEvicts) {
  AddPod("default-toleration", std::nullopt);  // gets the 300 s default
  AddPod("short", 10);
  ASSERT_TRUE(controller_->MonitorOnce().ok());
  EXPECT_EQ(ReadyStatus(), "True");

  // Renewals keep it healthy past the grace period.
  clock_.Advance(absl::Seconds(30));
  RenewLease();
  ASSERT_TRUE(controller_->MonitorOnce().ok());
  clock_.Advance(absl::Seconds(30));
  ASSERT_TRUE(controller_->MonitorOnce().ok());
  EXPECT_EQ(ReadyStatus(), "True");
  EXPECT_FALSE(Tainted());

  // 41 s without a renewal: Unknown, tainted, pods not ready.
  clock_.Advance(absl::Seconds(11));
  ASSERT_TRUE(controller_->MonitorOnce().ok());
  EXPECT_EQ(ReadyStatus(), "Unknown");
  EXPECT_TRUE(Tainted());
  auto pod = client::Lister<Pod>(&pods_).Get("default", "short");
  ASSERT_NE(pod, nullptr);
  EXPECT_EQ(pod->status().conditions(0).status(), "False");
  EXPECT_TRUE(client_->deleted.empty());

  // The 10 s toleration runs out first; the default one after 300 s.
  clock_.Advance(absl::Seconds(10));
  ASSERT_TRUE(controller_->MonitorOnce().ok());
  EXPECT_EQ(client_->deleted, (std::vector<std::string>{"short"}));
  clock_.Advance(absl::Seconds(289));
  ASSERT_TRUE(controller_->MonitorOnce().ok());
  EXPECT_EQ(client_->deleted.size(), 1u);
  clock_.Advance(absl::Seconds(2));
  ASSERT_TRUE(controller_->MonitorOnce().ok());
  EXPECT_EQ(client_->deleted, (std::vector<std::string>{"short", "default-toleration"}));

  // The kubelet comes back: Ready=True again removes the taint.
  Node n = *client::Lister<Node>(&nodes_).Get("", "node-1");
  n.mutable_status()->mutable_conditions(0)->set_status("True");
  n.mutable_status()->mutable_conditions(0)->mutable_last_heartbeat_time()->set_seconds(
      absl::ToUnixSeconds(clock_.Now()));
  nodes_.Upsert(std::make_shared<Node>(n));
  RenewLease();
  ASSERT_TRUE(controller_->MonitorOnce().ok());
  EXPECT_FALSE(Tainted());
  recorder_.Flush();
  absl::MutexLock l(&sink_.mu);
  EXPECT_NE(std::find(sink_.reasons.begin(), sink_.reasons.end(), "NodeNotReady"),
            sink_.reasons.end());
  EXPECT_NE(std::find(sink_.reasons.begin(), sink_.reasons.end(), "TaintManagerEviction"),
            sink_.reasons.end());
}

// The node's taints from this controller, as "key:effect", sorted.
std::vector<std::string> ControllerTaints(client::Indexer* nodes) {
  std::vector<std::string> out;
  auto n = client::Lister<Node>(nodes).Get("", "node-1");
  for (const auto& t : n->spec().taints()) {
    if (t.key() == kTaintUnreachable || t.key() == kTaintNotReady) {
      out.push_back(t.key() + ":" + t.effect());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST_F(NodeLifecycleTest, NoScheduleTaintsFollowReady) {
  auto set_ready = [&](const std::string& status) {
    Node n = *client::Lister<Node>(&nodes_).Get("", "node-1");
    n.mutable_status()->mutable_conditions(0)->set_status(status);
    n.mutable_status()->mutable_conditions(0)->mutable_last_heartbeat_time()->set_seconds(
        absl::ToUnixSeconds(clock_.Now()));
    nodes_.Upsert(std::make_shared<Node>(n));
    RenewLease();
  };
  ASSERT_TRUE(controller_->MonitorOnce().ok());
  EXPECT_TRUE(ControllerTaints(&nodes_).empty());

  // The kubelet reports Ready=False: not-ready, both effects.
  clock_.Advance(absl::Seconds(1));
  set_ready("False");
  ASSERT_TRUE(controller_->MonitorOnce().ok());
  EXPECT_EQ(ControllerTaints(&nodes_),
            (std::vector<std::string>{"node.kubernetes.io/not-ready:NoExecute",
                                      "node.kubernetes.io/not-ready:NoSchedule"}));

  // Silent past the grace period: Unknown swaps them for unreachable.
  clock_.Advance(absl::Seconds(41));
  ASSERT_TRUE(controller_->MonitorOnce().ok());
  EXPECT_EQ(ReadyStatus(), "Unknown");
  EXPECT_EQ(ControllerTaints(&nodes_),
            (std::vector<std::string>{"node.kubernetes.io/unreachable:NoExecute",
                                      "node.kubernetes.io/unreachable:NoSchedule"}));
  // A second pass adds no duplicates.
  ASSERT_TRUE(controller_->MonitorOnce().ok());
  EXPECT_EQ(ControllerTaints(&nodes_).size(), 2u);

  // Ready again: all of them go; an unrelated taint stays.
  Node n = *client::Lister<Node>(&nodes_).Get("", "node-1");
  auto* other = n.mutable_spec()->add_taints();
  other->set_key("example.com/dedicated");
  other->set_effect("NoSchedule");
  nodes_.Upsert(std::make_shared<Node>(n));
  clock_.Advance(absl::Seconds(1));
  set_ready("True");
  ASSERT_TRUE(controller_->MonitorOnce().ok());
  EXPECT_TRUE(ControllerTaints(&nodes_).empty());
  auto after = client::Lister<Node>(&nodes_).Get("", "node-1");
  ASSERT_EQ(after->spec().taints_size(), 1);
  EXPECT_EQ(after->spec().taints(0).key(), "example.com/dedicated");
}

TEST(TolerationDelay, Table) {
  Taint taint;
  taint.set_key(kTaintUnreachable);
  taint.set_effect("NoExecute");
  Pod none;
  EXPECT_EQ(TolerationDelay(none, taint, 300), absl::Seconds(300));
  Pod forever;
  auto* t = forever.mutable_spec()->add_tolerations();
  t->set_operator_("Exists");  // tolerates every taint forever
  EXPECT_EQ(TolerationDelay(forever, taint, 300), std::nullopt);
  Pod two;
  for (int s : {60, 20}) {
    auto* x = two.mutable_spec()->add_tolerations();
    x->set_key(kTaintUnreachable);
    x->set_operator_("Exists");
    x->set_effect("NoExecute");
    x->set_toleration_seconds(s);
  }
  EXPECT_EQ(TolerationDelay(two, taint, 300), absl::Seconds(20));
  Pod other;
  auto* o = other.mutable_spec()->add_tolerations();
  o->set_key(kTaintNotReady);
  o->set_operator_("Exists");
  o->set_toleration_seconds(5);
  EXPECT_EQ(TolerationDelay(other, taint, 300), absl::Seconds(300));
}

}  // namespace
}  // namespace minik8s::controllers
