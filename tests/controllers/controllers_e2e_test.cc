// End to end: minik8s-store + minik8s-apiserver + minik8s-controller-manager
// on free loopback ports. No scheduler or kubelet: the test plays the
// kubelet by marking pods Running and Ready through the status subresource.
//
// Binaries come from the build tree, or from the folder in
// MINIK8S_E2E_BIN_DIR (testing::BinPath); a missing binary skips the test
// with a message.
#include <algorithm>
#include <atomic>
#include <map>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "api/errors.h"
#include "api/intstr.h"
#include "api/time.h"
#include "client/clientset.h"
#include "gtest/gtest.h"
#include "testing/control_plane.h"
#include "testing/fake_kubelet.h"

namespace minik8s {
namespace {

using apps::v1::Deployment;
using apps::v1::ReplicaSet;
using core::v1::Pod;

class ControllersE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why = testing::ControlPlane::MissingPrerequisite(
        testing::BackendKind::kMinik8sStore, {"minik8s-apiserver", "minik8s-controller-manager"});
    if (!why.empty()) GTEST_SKIP() << why << "; build them to run this test";
    absl::Status started = cp_.Start();
    ASSERT_TRUE(started.ok()) << started;
    cs_ = cp_.clientset();
    absl::Status cm = cp_.StartControllerManager(ManagerFlags());
    ASSERT_TRUE(cm.ok()) << cm;
    kubelet_ = std::make_unique<testing::FakeKubelet>(cs_, testing::FakeKubelet::Options{});
    kubelet_->Start();
  }

  void TearDown() override {
    if (kubelet_ != nullptr) kubelet_->Stop();
    if (cp_.controller_manager_pid(0) > 0) {
      auto rc = cp_.StopControllerManager(0, SIGTERM);
      EXPECT_TRUE(rc.has_value() && *rc == 0) << "controller-manager did not exit cleanly";
    }
  }

  Deployment MakeDeployment(int replicas) {
    Deployment d;
    d.mutable_metadata()->set_name("web");
    d.mutable_metadata()->set_namespace_("default");
    d.mutable_spec()->set_replicas(replicas);
    (*d.mutable_spec()->mutable_selector()->mutable_match_labels())["app"] = "web";
    auto* ru = d.mutable_spec()->mutable_strategy()->mutable_rolling_update();
    d.mutable_spec()->mutable_strategy()->set_type("RollingUpdate");
    *ru->mutable_max_surge() = api::IntOrStringFromInt(1);
    *ru->mutable_max_unavailable() = api::IntOrStringFromInt(1);
    auto* tmpl = d.mutable_spec()->mutable_template_();
    (*tmpl->mutable_metadata()->mutable_labels())["app"] = "web";
    auto* c = tmpl->mutable_spec()->add_containers();
    c->set_name("nginx");
    c->set_image("nginx:1.25");
    return d;
  }

  bool WaitForAvailable(int n, const std::string& image) {
    return testing::WaitFor(
        [&] {
          auto d = cs_->Deployments().Get("default", "web");
          if (!d.ok()) return false;
          const auto& s = d->status();
          if (s.observed_generation() < d->metadata().generation()) return false;
          if (s.available_replicas() != n || s.updated_replicas() != n || s.replicas() != n) {
            return false;
          }
          auto pods = cs_->Pods().List("default", {.label_selector = "app=web"});
          if (!pods.ok()) return false;
          int ready = 0;
          for (const Pod& p : pods->items) {
            if (p.metadata().has_deletion_timestamp()) continue;
            if (p.spec().containers(0).image() != image) return false;
            for (const auto& c : p.status().conditions()) {
              if (c.type() == "Ready" && c.status() == "True") ++ready;
            }
          }
          return ready == n && static_cast<int>(pods->items.size()) == n;
        },
        absl::Seconds(60));
  }

  bool WaitForGone(const std::string& deployment) {
    return testing::WaitFor(
        [&] {
          auto d = cs_->Deployments().Get("default", deployment);
          auto r = cs_->ReplicaSets().List("default");
          auto p = cs_->Pods().List("default");
          return api::IsNotFound(d.status()) && r.ok() && p.ok() && r->items.empty() &&
                 p->items.empty();
        },
        absl::Seconds(60));
  }

  // Flags of a controller-manager (after --server).
  std::vector<std::string> ManagerFlags() const {
    std::vector<std::string> args = {"--log-level", "debug"};
    if (extra_args_.empty() || extra_args_[0] != "--leader-elect=true") {
      args.push_back("--leader-elect=false");
    }
    args.insert(args.end(), extra_args_.begin(), extra_args_.end());
    return args;
  }

  std::vector<std::string> extra_args_;
  testing::ControlPlane cp_;
  client::Clientset* cs_ = nullptr;
  std::unique_ptr<testing::FakeKubelet> kubelet_;
};

TEST_F(ControllersE2E, DeploymentScaleRollingUpdateAndCascadingDelete) {
  ASSERT_TRUE(cs_->Deployments().Create(MakeDeployment(5)).ok());
  ASSERT_TRUE(WaitForAvailable(5, "nginx:1.25")) << "5 replicas never became available";

  // One ReplicaSet named <deployment>-<hash> with the hash label.
  auto rss = cs_->ReplicaSets().List("default");
  ASSERT_TRUE(rss.ok());
  ASSERT_EQ(rss->items.size(), 1u);
  const ReplicaSet first_rs = rss->items[0];  // a copy: rss is reassigned below
  const std::string hash = first_rs.metadata().labels().at("pod-template-hash");
  EXPECT_EQ(first_rs.metadata().name(), "web-" + hash);
  EXPECT_EQ(first_rs.metadata().annotations().at("deployment.kubernetes.io/revision"), "1");

  // Scale up and down.
  for (int n : {7, 3}) {
    auto d = cs_->Deployments().Get("default", "web");
    ASSERT_TRUE(d.ok());
    d->mutable_spec()->set_replicas(n);
    ASSERT_TRUE(cs_->Deployments().Update(*d).ok());
    ASSERT_TRUE(WaitForAvailable(n, "nginx:1.25")) << "scale to " << n;
  }

  // Rolling update to a new image, checked from a watch stream.
  auto list = cs_->Pods().List("default", {.label_selector = "app=web"});
  ASSERT_TRUE(list.ok());
  auto watch = cs_->Pods().Watch(
      "default", {.label_selector = "app=web", .resource_version = list->resource_version});
  ASSERT_TRUE(watch.ok());
  std::map<std::string, Pod> live;
  for (const Pod& p : list->items) live[p.metadata().name()] = p;
  absl::Mutex mu;
  int max_total = 0, min_ready = 1000;
  std::thread watcher([&] {
    client::WatchEvent ev;
    while ((*watch)->Next(&ev)) {
      if (ev.type == client::WatchEventType::kBookmark) continue;
      auto pod = client::ObjectAs<Pod>(ev);
      if (pod == nullptr) continue;
      if (ev.type == client::WatchEventType::kDeleted || pod->metadata().has_deletion_timestamp()) {
        live.erase(pod->metadata().name());
      } else {
        live[pod->metadata().name()] = *pod;
      }
      int ready = 0;
      for (const auto& [name, p] : live) {
        for (const auto& c : p.status().conditions()) {
          if (c.type() == "Ready" && c.status() == "True") ++ready;
        }
      }
      absl::MutexLock l(&mu);
      max_total = std::max<int>(max_total, live.size());
      min_ready = std::min(min_ready, ready);
    }
  });
  {
    auto d = cs_->Deployments().Get("default", "web");
    ASSERT_TRUE(d.ok());
    d->mutable_spec()->mutable_template_()->mutable_spec()->mutable_containers(0)->set_image(
        "nginx:1.26");
    ASSERT_TRUE(cs_->Deployments().Update(*d).ok());
  }
  const bool rolled = WaitForAvailable(3, "nginx:1.26");
  (*watch)->Cancel();
  watcher.join();
  ASSERT_TRUE(rolled) << "rolling update did not complete";
  {
    absl::MutexLock l(&mu);
    EXPECT_LE(max_total, 3 + 1) << "more pods than replicas + maxSurge";
    EXPECT_GE(min_ready, 3 - 1) << "fewer ready pods than replicas - maxUnavailable";
  }
  auto d = cs_->Deployments().Get("default", "web");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->metadata().annotations().at("deployment.kubernetes.io/revision"), "2");
  bool available = false, progressed = false;
  for (const auto& c : d->status().conditions()) {
    if (c.type() == "Available" && c.status() == "True" && c.reason() == "MinimumReplicasAvailable")
      available = true;
    if (c.type() == "Progressing" && c.reason() == "NewReplicaSetAvailable") progressed = true;
  }
  EXPECT_TRUE(available);
  EXPECT_TRUE(progressed);
  rss = cs_->ReplicaSets().List("default");
  ASSERT_TRUE(rss.ok());
  EXPECT_EQ(rss->items.size(), 2u);  // the old one kept at 0 for rollback

  // Events of the pipeline.
  auto events = cs_->Events().List("default");
  ASSERT_TRUE(events.ok());
  bool scaled_event = false, created_event = false;
  for (const auto& e : events->items) {
    if (e.reason() == "ScalingReplicaSet" &&
        e.message() == absl::StrCat("Scaled up replica set web-", hash, " to 5")) {
      scaled_event = true;
    }
    if (e.reason() == "SuccessfulCreate") created_event = true;
  }
  EXPECT_TRUE(scaled_event);
  EXPECT_TRUE(created_event);

  // Rollback: the old template again reuses the first ReplicaSet, which
  // gets the next revision (3).
  {
    auto cur = cs_->Deployments().Get("default", "web");
    ASSERT_TRUE(cur.ok());
    cur->mutable_spec()->mutable_template_()->mutable_spec()->mutable_containers(0)->set_image(
        "nginx:1.25");
    ASSERT_TRUE(cs_->Deployments().Update(*cur).ok());
  }
  ASSERT_TRUE(WaitForAvailable(3, "nginx:1.25")) << "rollback did not complete";
  auto first_again = cs_->ReplicaSets().Get("default", first_rs.metadata().name());
  ASSERT_TRUE(first_again.ok());
  EXPECT_EQ(first_again->metadata().annotations().at("deployment.kubernetes.io/revision"), "3");
  EXPECT_EQ(first_again->spec().replicas(), 3);
  rss = cs_->ReplicaSets().List("default");
  ASSERT_TRUE(rss.ok());
  EXPECT_EQ(rss->items.size(), 2u);

  // Background cascading delete: the GC removes ReplicaSets, then pods.
  client::DeleteOptions opts;
  opts.propagation_policy = "Background";
  ASSERT_TRUE(cs_->Deployments().Delete("default", "web", opts).ok());
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        auto r = cs_->ReplicaSets().List("default");
        auto p = cs_->Pods().List("default");
        return r.ok() && p.ok() && r->items.empty() && p->items.empty();
      },
      absl::Seconds(60)))
      << "dependents were not garbage collected";
}

TEST_F(ControllersE2E, ForegroundDeletionWaitsForDependents) {
  ASSERT_TRUE(cs_->Deployments().Create(MakeDeployment(2)).ok());
  ASSERT_TRUE(WaitForAvailable(2, "nginx:1.25"));
  client::DeleteOptions opts;
  opts.propagation_policy = "Foreground";
  auto result = cs_->Deployments().Delete("default", "web", opts);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_FALSE(result->deleted);  // held by the foregroundDeletion finalizer
  EXPECT_TRUE(WaitForGone("web")) << "foreground deletion did not finish";
}

TEST_F(ControllersE2E, OrphanDeletionKeepsDependents) {
  ASSERT_TRUE(cs_->Deployments().Create(MakeDeployment(2)).ok());
  ASSERT_TRUE(WaitForAvailable(2, "nginx:1.25"));
  client::DeleteOptions opts;
  opts.propagation_policy = "Orphan";
  ASSERT_TRUE(cs_->Deployments().Delete("default", "web", opts).ok());
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        auto d = cs_->Deployments().Get("default", "web");
        auto r = cs_->ReplicaSets().List("default");
        return api::IsNotFound(d.status()) && r.ok() && r->items.size() == 1 &&
               r->items[0].metadata().owner_references_size() == 0;
      },
      absl::Seconds(60)))
      << "the ReplicaSet was not orphaned";
  // The orphaned ReplicaSet keeps its pods.
  auto pods = cs_->Pods().List("default");
  ASSERT_TRUE(pods.ok());
  int live = 0;
  for (const Pod& p : pods->items) live += p.metadata().has_deletion_timestamp() ? 0 : 1;
  EXPECT_EQ(live, 2);
}

class NodeLifecycleE2E : public ControllersE2E {
 protected:
  NodeLifecycleE2E() {
    extra_args_ = {"--node-monitor-period", "200ms", "--node-monitor-grace-period", "2s"};
  }
};

TEST_F(NodeLifecycleE2E, SilentNodeIsTaintedAndItsPodsReplaced) {
  core::v1::Node node;
  node.mutable_metadata()->set_name("node-1");
  auto created = cs_->Nodes().Create(node);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  auto* ready = created->mutable_status()->add_conditions();
  ready->set_type("Ready");
  ready->set_status("True");
  *ready->mutable_last_heartbeat_time() = api::NowTime();
  ASSERT_TRUE(cs_->Nodes().UpdateStatus(*created).ok());
  coordination::v1::Lease lease;
  lease.mutable_metadata()->set_name("node-1");
  lease.mutable_metadata()->set_namespace_("kube-node-lease");
  lease.mutable_spec()->set_holder_identity("node-1");
  *lease.mutable_spec()->mutable_renew_time() = api::NowMicroTime();
  ASSERT_TRUE(cs_->Leases().Create(lease).ok());

  // Two pods bound to node-1 that tolerate the unreachable taint for 1 s.
  Deployment d = MakeDeployment(2);
  auto* tol = d.mutable_spec()->mutable_template_()->mutable_spec()->add_tolerations();
  tol->set_key("node.kubernetes.io/unreachable");
  tol->set_operator_("Exists");
  tol->set_effect("NoExecute");
  tol->set_toleration_seconds(1);
  ASSERT_TRUE(cs_->Deployments().Create(d).ok());
  std::vector<std::string> bound;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        auto pods = cs_->Pods().List("default");
        if (!pods.ok() || pods->items.size() != 2) return false;
        for (const Pod& p : pods->items) {
          if (p.spec().node_name().empty()) {
            if (!cs_->Pods().Bind("default", p.metadata().name(), "node-1").ok()) return false;
            bound.push_back(p.metadata().name());
          }
        }
        return bound.size() == 2;
      },
      absl::Seconds(30)));

  // The lease is never renewed: Ready=Unknown and the NoExecute taint.
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        auto n = cs_->Nodes().Get("", "node-1");
        if (!n.ok()) return false;
        bool unknown = false, tainted = false, no_schedule = false;
        for (const auto& c : n->status().conditions()) {
          unknown |= c.type() == "Ready" && c.status() == "Unknown";
        }
        for (const auto& t : n->spec().taints()) {
          tainted |= t.key() == "node.kubernetes.io/unreachable" && t.effect() == "NoExecute";
          no_schedule |= t.key() == "node.kubernetes.io/unreachable" && t.effect() == "NoSchedule";
        }
        return unknown && tainted && no_schedule;
      },
      absl::Seconds(30)))
      << "node never became Ready=Unknown with the unreachable NoExecute and NoSchedule taints";

  // Evicted after 1 s; the ReplicaSet replaces them with new pods.
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        auto pods = cs_->Pods().List("default");
        if (!pods.ok()) return false;
        int evicted = 0, replacements = 0;
        for (const Pod& p : pods->items) {
          const bool old =
              std::find(bound.begin(), bound.end(), p.metadata().name()) != bound.end();
          if (old && p.metadata().has_deletion_timestamp()) ++evicted;
          if (!old && !p.metadata().has_deletion_timestamp()) ++replacements;
        }
        return evicted == 2 && replacements == 2;
      },
      absl::Seconds(30)))
      << "pods on the silent node were not evicted and replaced";
  auto events = cs_->Events().List("default");
  ASSERT_TRUE(events.ok());
  bool node_not_ready = false, eviction = false;
  for (const auto& e : events->items) {
    node_not_ready |= e.reason() == "NodeNotReady";
    eviction |= e.reason() == "TaintManagerEviction";
  }
  EXPECT_TRUE(node_not_ready);
  EXPECT_TRUE(eviction);
}

class PodGCE2E : public ControllersE2E {
 protected:
  PodGCE2E() { extra_args_ = {"--pod-gc-period", "200ms", "--pod-gc-node-quarantine", "500ms"}; }
};

TEST_F(PodGCE2E, PodBoundToADeletedNodeIsForceDeleted) {
  core::v1::Node node;
  node.mutable_metadata()->set_name("node-gone");
  ASSERT_TRUE(cs_->Nodes().Create(node).ok());
  Pod pod;
  pod.mutable_metadata()->set_name("orphan");
  pod.mutable_metadata()->set_namespace_("default");
  auto* c = pod.mutable_spec()->add_containers();
  c->set_name("nginx");
  c->set_image("nginx:1.25");
  ASSERT_TRUE(cs_->Pods().Create(pod).ok());
  ASSERT_TRUE(cs_->Pods().Bind("default", "orphan", "node-gone").ok());
  Pod unbound = pod;
  unbound.mutable_metadata()->set_name("pending");
  ASSERT_TRUE(cs_->Pods().Create(unbound).ok());

  // While the node exists the pod stays (the GC runs every 200 ms).
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        auto p = cs_->Pods().Get("default", "orphan");
        return p.ok() && p->status().phase() == "Running";
      },
      absl::Seconds(30)));
  ASSERT_TRUE(cs_->Pods().Get("default", "orphan").ok());

  // No kubelet will ever confirm it: the GC removes it outright.
  ASSERT_TRUE(cs_->Nodes().Delete("", "node-gone").ok());
  EXPECT_TRUE(testing::WaitFor(
      [&] { return api::IsNotFound(cs_->Pods().Get("default", "orphan").status()); },
      absl::Seconds(30)))
      << "the pod bound to the deleted node was not garbage-collected";
  auto pending = cs_->Pods().Get("default", "pending");
  ASSERT_TRUE(pending.ok()) << pending.status().ToString();
  EXPECT_FALSE(pending->metadata().has_deletion_timestamp());
}

class LeaderElectionE2E : public ControllersE2E {
 protected:
  LeaderElectionE2E() {
    extra_args_ = {"--leader-elect=true",
                   "--leader-elect-lease-duration",
                   "2s",
                   "--leader-elect-renew-deadline",
                   "1500ms",
                   "--leader-elect-retry-period",
                   "200ms"};
  }
  std::string Holder() {
    auto lease = cs_->Leases().Get("kube-system", "kube-controller-manager");
    if (!lease.ok()) return "";
    return lease->spec().holder_identity();
  }
};

TEST_F(LeaderElectionE2E, StandbyTakesOverWhenTheLeaderStops) {
  ASSERT_TRUE(testing::WaitFor([&] { return !Holder().empty(); }, absl::Seconds(30)))
      << "no controller-manager took the Lease kube-system/kube-controller-manager";
  const std::string first = Holder();
  // Controller-manager number 1.
  ASSERT_TRUE(cp_.StartControllerManager(ManagerFlags()).ok());
  ASSERT_TRUE(cs_->Deployments().Create(MakeDeployment(2)).ok());
  ASSERT_TRUE(WaitForAvailable(2, "nginx:1.25"));
  EXPECT_EQ(Holder(), first);  // the standby waits

  // The leader stops cleanly (releasing the Lease); the standby takes over.
  auto rc = cp_.StopControllerManager(0, SIGTERM);
  EXPECT_TRUE(rc.has_value() && *rc == 0);
  ASSERT_TRUE(
      testing::WaitFor([&] { return !Holder().empty() && Holder() != first; }, absl::Seconds(30)))
      << "the standby never became leader";
  auto d = cs_->Deployments().Get("default", "web");
  ASSERT_TRUE(d.ok());
  d->mutable_spec()->set_replicas(4);
  ASSERT_TRUE(cs_->Deployments().Update(*d).ok());
  EXPECT_TRUE(WaitForAvailable(4, "nginx:1.25")) << "the new leader does not reconcile";
  auto rc2 = cp_.StopControllerManager(1, SIGTERM);
  EXPECT_TRUE(rc2.has_value() && *rc2 == 0);
}

}  // namespace
}  // namespace minik8s
