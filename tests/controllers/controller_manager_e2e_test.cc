// ControllerManager (controllers/controller_manager.h) in process against a
// real store and apiserver: it starts, takes the Lease, runs the enabled
// controllers, and stops in order, releasing the Lease; a bad controller
// list is refused before any connection.
#include <atomic>
#include <string>

#include "api/errors.h"
#include "controllers/controller_manager.h"
#include "gtest/gtest.h"
#include "testing/control_plane.h"
#include "testing/wait.h"

namespace minik8s::controllers {
namespace {

TEST(ControllerManager, RefusesUnknownControllersAndBadWorkerCounts) {
  auto cm = ControllerManager::Create({.controllers = "replicaset,bogus"});
  ASSERT_FALSE(cm.ok());
  EXPECT_EQ(cm.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(cm.status().message().find("\"bogus\""), std::string::npos) << cm.status();
  cm = ControllerManager::Create({.concurrent_gc_syncs = 0});
  ASSERT_FALSE(cm.ok());
  EXPECT_EQ(cm.status().code(), absl::StatusCode::kInvalidArgument);
}

apps::v1::ReplicaSet MakeReplicaSet(int replicas) {
  apps::v1::ReplicaSet rs;
  rs.mutable_metadata()->set_name("web");
  rs.mutable_metadata()->set_namespace_("default");
  rs.mutable_spec()->set_replicas(replicas);
  (*rs.mutable_spec()->mutable_selector()->mutable_match_labels())["app"] = "web";
  auto* tmpl = rs.mutable_spec()->mutable_template_();
  (*tmpl->mutable_metadata()->mutable_labels())["app"] = "web";
  auto* c = tmpl->mutable_spec()->add_containers();
  c->set_name("nginx");
  c->set_image("nginx:1.25");
  return rs;
}

TEST(ControllerManager, StartsLeadsRunsControllersAndStopsInOrder) {
  const std::string missing = testing::ControlPlane::MissingPrerequisite(
      testing::BackendKind::kMinik8sStore, {"minik8s-store", "minik8s-apiserver"});
  if (!missing.empty()) GTEST_SKIP() << missing;
  testing::ControlPlane cp;
  ASSERT_TRUE(cp.Start().ok());
  client::Clientset* cs = cp.clientset();

  std::atomic<int> lost{0};
  ControllerManagerOptions options;
  options.server = cp.apiserver_address();
  options.controllers = "replicaset,garbagecollector";
  options.leader_election.lease_duration = absl::Seconds(4);
  options.leader_election.renew_deadline = absl::Seconds(3);
  options.leader_election.retry_period = absl::Milliseconds(200);
  options.on_lost_leadership = [&lost] { ++lost; };
  auto cm = ControllerManager::Create(options);
  ASSERT_TRUE(cm.ok()) << cm.status();
  EXPECT_TRUE((*cm)->IsEnabled("replicaset"));
  EXPECT_FALSE((*cm)->IsEnabled("deployment"));
  ASSERT_TRUE((*cm)->Start().ok());
  ASSERT_TRUE(testing::WaitFor([&] { return (*cm)->running(); }, absl::Seconds(20)))
      << "never became the leader";
  auto lease = cs->Leases().Get("kube-system", "kube-controller-manager");
  ASSERT_TRUE(lease.ok()) << lease.status();
  EXPECT_FALSE(lease->spec().holder_identity().empty());

  // The replicaset controller works: three pods appear.
  ASSERT_TRUE(cs->ReplicaSets().Create(MakeReplicaSet(3)).ok());
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        auto pods = cs->Pods().List("default", {.label_selector = "app=web"});
        return pods.ok() && pods->items.size() == 3;
      },
      absl::Seconds(30)))
      << "the replicaset controller made no pods";

  (*cm)->Stop();
  EXPECT_FALSE((*cm)->running());
  EXPECT_EQ(lost.load(), 0) << "a clean stop is not a lost Lease";
  EXPECT_FALSE((*cm)->lost_leadership());
  lease = cs->Leases().Get("kube-system", "kube-controller-manager");
  ASSERT_TRUE(lease.ok()) << lease.status();
  EXPECT_TRUE(lease->spec().holder_identity().empty()) << "the Lease was not released";
  (*cm)->Stop();  // idempotent
}

TEST(ControllerManager, StopBeforeTheCachesSyncCancelsStart) {
  // Nothing listens here: the caches never sync.
  auto cm = ControllerManager::Create({.server = "127.0.0.1:1"});
  ASSERT_TRUE(cm.ok()) << cm.status();
  (*cm)->RequestStop();
  absl::Status s = (*cm)->Start();
  EXPECT_TRUE(absl::IsCancelled(s)) << s;
  (*cm)->Stop();
}

}  // namespace
}  // namespace minik8s::controllers
