// End to end, the whole control plane: minik8s-store + minik8s-apiserver +
// minik8s-controller-manager (+ minik8s-scheduler with plain Node objects)
// on free loopback ports. No kubelet: the test plays it by marking pods
// Running and Ready through the status subresource.
//
//   - RollingUpdateE2E: maxSurge holds at every event of a ReplicaSet watch
//     and maxUnavailable at every event of a pod watch
//     (testing/rollout_observer.h), through a rollout, a pause and a
//     rollback;
//   - LeaderFailoverE2E: two controller-managers or two schedulers, the
//     leader killed (SIGKILL) or stopped (SIGTERM): the standby takes over
//     and work continues;
//   - RestartMidRolloutE2E: each daemon killed and restarted in the middle
//     of a rollout; the cluster converges to exactly the desired pods, each
//     owned by the new ReplicaSet, none orphaned or duplicated.
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/errors.h"
#include "api/intstr.h"
#include "api/quantity.h"
#include "api/time.h"
#include "gtest/gtest.h"
#include "testing/control_plane.h"
#include "testing/fake_kubelet.h"
#include "testing/rollout_observer.h"

namespace minik8s {
namespace {

using apps::v1::Deployment;
using apps::v1::ReplicaSet;
using core::v1::Node;
using core::v1::Pod;
using testing::ControlPlane;
using testing::IsPodReady;

constexpr char kImage1[] = "nginx:1.25";
constexpr char kImage2[] = "nginx:1.26";

// The node lifecycle controller is left out: the test's Node objects have
// no kubelet renewing their Leases, so they would be marked unreachable.
const std::vector<std::string> kManagerFlags = {
    "--leader-elect=false", "--controllers=deployment,replicaset,garbagecollector"};

// Short leader election, so a standby takes over in seconds.
const std::vector<std::string> kFastLeaderElection = {"--leader-elect=true",
                                                      "--leader-elect-lease-duration",
                                                      "2s",
                                                      "--leader-elect-renew-deadline",
                                                      "1500ms",
                                                      "--leader-elect-retry-period",
                                                      "200ms"};

Node MakeNode(const std::string& name) {
  Node n;
  n.mutable_metadata()->set_name(name);
  auto* alloc = n.mutable_status()->mutable_allocatable();
  (*alloc)["cpu"] = api::Quantity::MustParse("8").ToProto();
  (*alloc)["memory"] = api::Quantity::MustParse("32Gi").ToProto();
  (*alloc)["pods"] = api::Quantity::MustParse("110").ToProto();
  *n.mutable_status()->mutable_capacity() = *alloc;
  auto* ready = n.mutable_status()->add_conditions();
  ready->set_type("Ready");
  ready->set_status("True");
  return n;
}

class ControlPlaneE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    auto missing = ControlPlane::MissingBinaries(
        {"minik8s-store", "minik8s-apiserver", "minik8s-controller-manager", "minik8s-scheduler"});
    if (!missing.empty()) {
      GTEST_SKIP() << "missing binaries in the build tree: " << absl::StrJoin(missing, ", ");
    }
    ASSERT_TRUE(cp_.Start().ok());
    cs_ = cp_.clientset();
  }

  void TearDown() override {
    if (kubelet_ != nullptr) kubelet_->Stop();
  }

  // Marks live pods Running and Ready — every pod, or (bound_only) those a
  // scheduler bound to a node — as a kubelet would report them, and
  // removes terminating bound pods at once.
  void StartKubelet(bool bound_only) {
    kubelet_ = std::make_unique<testing::FakeKubelet>(
        cs_, testing::FakeKubelet::Options{.bound_only = bound_only, .remove_terminating = true});
    kubelet_->Start();
  }

  static Deployment MakeDeployment(int replicas, int max_surge, int max_unavailable) {
    Deployment d;
    d.mutable_metadata()->set_name("web");
    d.mutable_metadata()->set_namespace_("default");
    d.mutable_spec()->set_replicas(replicas);
    (*d.mutable_spec()->mutable_selector()->mutable_match_labels())["app"] = "web";
    d.mutable_spec()->mutable_strategy()->set_type("RollingUpdate");
    auto* ru = d.mutable_spec()->mutable_strategy()->mutable_rolling_update();
    *ru->mutable_max_surge() = api::IntOrStringFromInt(max_surge);
    *ru->mutable_max_unavailable() = api::IntOrStringFromInt(max_unavailable);
    auto* tmpl = d.mutable_spec()->mutable_template_();
    (*tmpl->mutable_metadata()->mutable_labels())["app"] = "web";
    auto* c = tmpl->mutable_spec()->add_containers();
    c->set_name("nginx");
    c->set_image(kImage1);
    auto* req = c->mutable_resources()->mutable_requests();
    (*req)["cpu"] = api::Quantity::MustParse("100m").ToProto();
    return d;
  }

  // Applies `change` to the current Deployment (retrying conflicts).
  absl::Status UpdateDeployment(const std::function<void(Deployment*)>& change) {
    absl::Status last;
    for (int attempt = 0; attempt < 20; ++attempt) {
      auto d = cs_->Deployments().Get("default", "web");
      if (!d.ok()) {
        last = d.status();
        absl::SleepFor(absl::Milliseconds(100));
        continue;
      }
      change(&*d);
      auto updated = cs_->Deployments().Update(*d);
      if (updated.ok()) return absl::OkStatus();
      last = updated.status();
      if (!api::IsConflict(last)) absl::SleepFor(absl::Milliseconds(100));
    }
    return last;
  }

  void SetImage(const std::string& image) {
    ASSERT_TRUE(
        UpdateDeployment([&](Deployment* d) {
          d->mutable_spec()->mutable_template_()->mutable_spec()->mutable_containers(0)->set_image(
              image);
        }).ok());
  }

  // True when the Deployment reports `n` updated (unless !updated: a
  // paused Deployment with a changed template has no new ReplicaSet),
  // available replicas of `image` and exactly `n` live pods exist, all
  // Ready with that image.
  bool Converged(int n, const std::string& image, bool updated = true) {
    auto d = cs_->Deployments().Get("default", "web");
    if (!d.ok()) return false;
    const auto& s = d->status();
    if (s.observed_generation() < d->metadata().generation() || s.replicas() != n ||
        (updated && s.updated_replicas() != n) || s.available_replicas() != n) {
      return false;
    }
    auto pods = cs_->Pods().List("default", {.label_selector = "app=web"});
    if (!pods.ok() || static_cast<int>(pods->items.size()) != n) return false;
    for (const Pod& p : pods->items) {
      if (p.metadata().has_deletion_timestamp() || !IsPodReady(p) ||
          p.spec().containers(0).image() != image) {
        return false;
      }
    }
    return true;
  }

  bool WaitConverged(int n, const std::string& image, absl::Duration timeout = absl::Seconds(90)) {
    return testing::WaitFor([&] { return Converged(n, image); }, timeout);
  }

  // Checks the end state in detail: every pod controlled by a live
  // ReplicaSet of the Deployment, every ReplicaSet controlled by the
  // Deployment, pods per ReplicaSet equal to its spec.replicas, the
  // ReplicaSet with `image` holding all `n`.
  void ExpectExactOwnership(int n, const std::string& image) {
    auto d = cs_->Deployments().Get("default", "web");
    ASSERT_TRUE(d.ok());
    auto rss = cs_->ReplicaSets().List("default");
    ASSERT_TRUE(rss.ok());
    std::map<std::string, const ReplicaSet*> rs_by_uid;
    for (const ReplicaSet& rs : rss->items) {
      ASSERT_EQ(rs.metadata().owner_references_size(), 1) << rs.metadata().name();
      const auto& ref = rs.metadata().owner_references(0);
      EXPECT_EQ(ref.uid(), d->metadata().uid()) << rs.metadata().name();
      EXPECT_EQ(ref.kind(), "Deployment");
      EXPECT_TRUE(ref.controller());
      rs_by_uid[rs.metadata().uid()] = &rs;
    }
    auto pods = cs_->Pods().List("default");
    ASSERT_TRUE(pods.ok());
    std::map<std::string, int> pods_per_rs;
    std::set<std::string> names;
    for (const Pod& p : pods->items) {
      EXPECT_TRUE(names.insert(p.metadata().name()).second);
      EXPECT_FALSE(p.metadata().has_deletion_timestamp()) << p.metadata().name();
      ASSERT_EQ(p.metadata().owner_references_size(), 1) << p.metadata().name();
      const auto& ref = p.metadata().owner_references(0);
      EXPECT_EQ(ref.kind(), "ReplicaSet");
      EXPECT_TRUE(ref.controller());
      auto it = rs_by_uid.find(ref.uid());
      ASSERT_NE(it, rs_by_uid.end())
          << "pod " << p.metadata().name() << " is an orphan of " << ref.name();
      EXPECT_EQ(ref.name(), it->second->metadata().name());
      ++pods_per_rs[ref.uid()];
    }
    EXPECT_EQ(static_cast<int>(pods->items.size()), n);
    int with_image = 0;
    for (const auto& [uid, rs] : rs_by_uid) {
      EXPECT_EQ(pods_per_rs[uid], rs->spec().replicas()) << rs->metadata().name();
      EXPECT_EQ(rs->status().replicas(), rs->spec().replicas()) << rs->metadata().name();
      if (rs->spec().template_().spec().containers(0).image() == image) {
        ++with_image;
        EXPECT_EQ(rs->spec().replicas(), n);
      } else {
        EXPECT_EQ(rs->spec().replicas(), 0) << rs->metadata().name();
      }
    }
    EXPECT_EQ(with_image, 1) << "one ReplicaSet per template";
  }

  // The Deployment, ReplicaSets and pods in a few lines, for failures.
  std::string State() {
    std::string out;
    if (auto d = cs_->Deployments().Get("default", "web"); d.ok()) {
      absl::StrAppend(&out, "deployment gen ", d->metadata().generation(), " observed ",
                      d->status().observed_generation(), " replicas ", d->status().replicas(),
                      " updated ", d->status().updated_replicas(), " available ",
                      d->status().available_replicas(), "\n");
    }
    if (auto rss = cs_->ReplicaSets().List("default"); rss.ok()) {
      for (const ReplicaSet& rs : rss->items) {
        absl::StrAppend(&out, "rs ", rs.metadata().name(), " spec ", rs.spec().replicas(),
                        " status ", rs.status().replicas(), " ready ", rs.status().ready_replicas(),
                        " available ", rs.status().available_replicas(), "\n");
      }
    }
    if (auto pods = cs_->Pods().List("default"); pods.ok()) {
      for (const Pod& p : pods->items) {
        absl::StrAppend(&out, "pod ", p.metadata().name(), " node ", p.spec().node_name(),
                        " ready ", IsPodReady(p),
                        p.metadata().has_deletion_timestamp() ? " deleting" : "", "\n");
      }
    }
    return out;
  }

  ControlPlane cp_;
  client::Clientset* cs_ = nullptr;
  std::unique_ptr<testing::FakeKubelet> kubelet_;
};

// ---------------------------------------------------------------------------
// Rolling update bounds, pause and rollback.

class RollingUpdateE2E : public ControlPlaneE2E {};

TEST_F(RollingUpdateE2E, SurgeAndUnavailabilityBoundsHoldThroughRolloutPauseAndRollback) {
  constexpr int kReplicas = 6, kSurge = 2, kUnavailable = 1;
  ASSERT_TRUE(cp_.StartControllerManager(kManagerFlags).ok());
  StartKubelet(/*bound_only=*/false);
  ASSERT_TRUE(cs_->Deployments().Create(MakeDeployment(kReplicas, kSurge, kUnavailable)).ok());
  ASSERT_TRUE(WaitConverged(kReplicas, kImage1)) << cp_.LogTail("controller-manager-0.log");
  auto first_rss = cs_->ReplicaSets().List("default");
  ASSERT_TRUE(first_rss.ok());
  ASSERT_EQ(first_rss->items.size(), 1u);
  const ReplicaSet first_rs = first_rss->items[0];

  testing::RolloutObserver watcher(cs_, "default", "app=web");
  ASSERT_TRUE(watcher.Start().ok());
  watcher.SetBounds(kReplicas + kSurge, kReplicas - kUnavailable);

  // 1. Rollout to a new image.
  SetImage(kImage2);
  ASSERT_TRUE(WaitConverged(kReplicas, kImage2)) << cp_.LogTail("controller-manager-0.log");
  EXPECT_LE(watcher.max_replicas_seen(), kReplicas + kSurge)
      << "live pods at most " << watcher.max_live_pods_seen();
  EXPECT_GE(watcher.min_ready_seen(), kReplicas - kUnavailable);
  EXPECT_TRUE(watcher.violations().empty()) << absl::StrJoin(watcher.violations(), "\n");
  ExpectExactOwnership(kReplicas, kImage2);

  // 2. Pause, then change the template: nothing rolls out while paused.
  ASSERT_TRUE(UpdateDeployment([](Deployment* d) { d->mutable_spec()->set_paused(true); }).ok());
  SetImage("nginx:1.27");
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        auto d = cs_->Deployments().Get("default", "web");
        if (!d.ok() || d->status().observed_generation() < d->metadata().generation()) {
          return false;
        }
        for (const auto& c : d->status().conditions()) {
          if (c.type() == "Progressing" && c.reason() == "DeploymentPaused") return true;
        }
        return false;
      },
      absl::Seconds(60)))
      << "the Deployment never reported DeploymentPaused";
  const int events_when_paused = watcher.pod_events();
  auto rss = cs_->ReplicaSets().List("default");
  ASSERT_TRUE(rss.ok());
  EXPECT_EQ(rss->items.size(), 2u) << "a paused Deployment created a ReplicaSet";
  EXPECT_TRUE(Converged(kReplicas, kImage2, /*updated=*/false));
  // A paused Deployment still scales, within the ReplicaSet it runs.
  ASSERT_TRUE(
      UpdateDeployment([](Deployment* d) { d->mutable_spec()->set_replicas(kReplicas + 1); }).ok());
  ASSERT_TRUE(
      testing::WaitFor([&] { return Converged(kReplicas + 1, kImage2, false); }, absl::Seconds(60)))
      << "scaling a paused Deployment";
  EXPECT_GT(watcher.pod_events(), events_when_paused);
  rss = cs_->ReplicaSets().List("default");
  ASSERT_TRUE(rss.ok());
  EXPECT_EQ(rss->items.size(), 2u) << "a paused Deployment created a ReplicaSet";
  ASSERT_TRUE(
      UpdateDeployment([](Deployment* d) { d->mutable_spec()->set_replicas(kReplicas); }).ok());
  ASSERT_TRUE(
      testing::WaitFor([&] { return Converged(kReplicas, kImage2, false); }, absl::Seconds(60)));

  // 3. Resume: the paused template change rolls out within the bounds.
  watcher.Reset();
  ASSERT_TRUE(UpdateDeployment([](Deployment* d) { d->mutable_spec()->set_paused(false); }).ok());
  ASSERT_TRUE(WaitConverged(kReplicas, "nginx:1.27")) << cp_.LogTail("controller-manager-0.log");
  EXPECT_LE(watcher.max_replicas_seen(), kReplicas + kSurge)
      << "live pods at most " << watcher.max_live_pods_seen();
  EXPECT_GE(watcher.min_ready_seen(), kReplicas - kUnavailable);
  EXPECT_TRUE(watcher.violations().empty()) << absl::StrJoin(watcher.violations(), "\n");

  // 4. Rollback as `kubectl rollout undo --to-revision=1` does: the first
  // ReplicaSet's template (without its pod-template-hash label) written
  // back into the Deployment. The first ReplicaSet is reused and gets the
  // next revision (4).
  watcher.Reset();
  ASSERT_TRUE(UpdateDeployment([&](Deployment* d) {
                auto tmpl = first_rs.spec().template_();
                tmpl.mutable_metadata()->mutable_labels()->erase("pod-template-hash");
                *d->mutable_spec()->mutable_template_() = tmpl;
              }).ok());
  ASSERT_TRUE(WaitConverged(kReplicas, kImage1)) << cp_.LogTail("controller-manager-0.log");
  EXPECT_LE(watcher.max_replicas_seen(), kReplicas + kSurge)
      << "live pods at most " << watcher.max_live_pods_seen();
  EXPECT_GE(watcher.min_ready_seen(), kReplicas - kUnavailable);
  EXPECT_TRUE(watcher.violations().empty()) << absl::StrJoin(watcher.violations(), "\n");
  watcher.Stop();
  auto reused = cs_->ReplicaSets().Get("default", first_rs.metadata().name());
  ASSERT_TRUE(reused.ok());
  EXPECT_EQ(reused->metadata().uid(), first_rs.metadata().uid());
  EXPECT_EQ(reused->metadata().annotations().at("deployment.kubernetes.io/revision"), "4");
  EXPECT_EQ(reused->spec().replicas(), kReplicas);
  auto d = cs_->Deployments().Get("default", "web");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->metadata().annotations().at("deployment.kubernetes.io/revision"), "4");
  ExpectExactOwnership(kReplicas, kImage1);
}

// ---------------------------------------------------------------------------
// Leader failover.

struct FailoverCase {
  std::string daemon;  // "controller-manager" or "scheduler"
  int signal;
};

std::string CaseName(const ::testing::TestParamInfo<FailoverCase>& info) {
  std::string name = info.param.daemon == "scheduler" ? "Scheduler" : "ControllerManager";
  return absl::StrCat(name, info.param.signal == SIGKILL ? "Killed" : "Stopped");
}

class LeaderFailoverE2E : public ControlPlaneE2E,
                          public ::testing::WithParamInterface<FailoverCase> {
 protected:
  bool IsScheduler() const { return GetParam().daemon == "scheduler"; }
  std::string LeaseName() const {
    return IsScheduler() ? "kube-scheduler" : "kube-controller-manager";
  }
  std::string Holder() {
    auto lease = cs_->Leases().Get("kube-system", LeaseName());
    return lease.ok() ? lease->spec().holder_identity() : "";
  }
  std::string Log(size_t n) {
    return cp_.LogTail(absl::StrCat(GetParam().daemon, "-", n, ".log"), 1 << 20);
  }
  // Which of the two instances logged that it leads (-1: none yet).
  int Leader() {
    const char* marker = "became the leader";  // both daemons log it (DaemonLeaderElection)
    for (size_t n = 0; n < 2; ++n) {
      if (absl::StrContains(Log(n), marker)) {
        if (IsScheduler() ? cp_.scheduler_pid(n) > 0 : cp_.controller_manager_pid(n) > 0) {
          return static_cast<int>(n);
        }
      }
    }
    return -1;
  }
  absl::Status StartInstance() {
    if (IsScheduler()) return cp_.StartScheduler(kFastLeaderElection);
    std::vector<std::string> flags = kFastLeaderElection;
    flags.push_back(kManagerFlags[1]);
    return cp_.StartControllerManager(flags);
  }
  std::optional<int> StopInstance(int n, int sig) {
    return IsScheduler() ? cp_.StopScheduler(n, sig) : cp_.StopControllerManager(n, sig);
  }
  int BoundPods() {
    auto pods = cs_->Pods().List("default");
    if (!pods.ok()) return -1;
    int bound = 0;
    for (const Pod& p : pods->items) bound += p.spec().node_name().empty() ? 0 : 1;
    return bound;
  }
};

TEST_P(LeaderFailoverE2E, StandbyTakesOverAndWorkContinues) {
  // The other daemon runs without leader election.
  if (IsScheduler()) {
    ASSERT_TRUE(cp_.StartControllerManager(kManagerFlags).ok());
  } else {
    ASSERT_TRUE(cp_.StartScheduler({"--leader-elect=false"}).ok());
  }
  for (int i = 0; i < 3; ++i) {
    auto n = cs_->Nodes().Create(MakeNode(absl::StrCat("node-", i)));
    ASSERT_TRUE(n.ok()) << n.status();
    if (n->status().allocatable().empty()) {
      Node with_status = *n;
      *with_status.mutable_status() = MakeNode(n->metadata().name()).status();
      ASSERT_TRUE(cs_->Nodes().UpdateStatus(with_status).ok());
    }
  }
  StartKubelet(/*bound_only=*/true);
  ASSERT_TRUE(StartInstance().ok());
  ASSERT_TRUE(testing::WaitFor([&] { return Leader() >= 0; }, absl::Seconds(30)))
      << "no instance became leader\n"
      << Log(0);
  ASSERT_TRUE(StartInstance().ok());
  const int leader = Leader();
  const int standby = 1 - leader;
  const std::string first_holder = Holder();
  ASSERT_FALSE(first_holder.empty());

  ASSERT_TRUE(cs_->Deployments().Create(MakeDeployment(3, 1, 0)).ok());
  ASSERT_TRUE(WaitConverged(3, kImage1)) << Log(leader);
  EXPECT_EQ(BoundPods(), 3);
  EXPECT_EQ(Holder(), first_holder) << "the standby must wait while the leader renews";

  // The leader goes away; the standby takes the Lease and does the work.
  const absl::Time gone = absl::Now();
  auto rc = StopInstance(leader, GetParam().signal);
  ASSERT_TRUE(rc.has_value());
  if (GetParam().signal == SIGTERM) {
    EXPECT_TRUE(WIFEXITED(*rc) && WEXITSTATUS(*rc) == 0) << "unclean stop: " << *rc;
  }
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        const std::string h = Holder();
        return !h.empty() && h != first_holder;
      },
      absl::Seconds(60)))
      << "the standby never took the Lease\n"
      << Log(standby);
  // Informational (the machine is shared, so not asserted): with a 2 s
  // lease, a killed leader is replaced after about 2 s, a stopped one (which
  // releases the Lease) at the standby's next retry.
  RecordProperty("takeover_ms", absl::StrCat(absl::ToInt64Milliseconds(absl::Now() - gone)));
  ASSERT_TRUE(UpdateDeployment([](Deployment* d) { d->mutable_spec()->set_replicas(6); }).ok());
  ASSERT_TRUE(WaitConverged(6, kImage1)) << Log(standby);
  EXPECT_EQ(BoundPods(), 6);
  ExpectExactOwnership(6, kImage1);
}

INSTANTIATE_TEST_SUITE_P(Daemons, LeaderFailoverE2E,
                         ::testing::Values(FailoverCase{"controller-manager", SIGKILL},
                                           FailoverCase{"controller-manager", SIGTERM},
                                           FailoverCase{"scheduler", SIGKILL},
                                           FailoverCase{"scheduler", SIGTERM}),
                         CaseName);

// ---------------------------------------------------------------------------
// A daemon crashes and restarts in the middle of a rollout.

class RestartMidRolloutE2E : public ControlPlaneE2E,
                             public ::testing::WithParamInterface<std::string> {};

TEST_P(RestartMidRolloutE2E, ConvergesToExactlyTheDesiredPods) {
  constexpr int kReplicas = 12;
  ASSERT_TRUE(cp_.StartControllerManager(kManagerFlags).ok());
  ASSERT_TRUE(cp_.StartScheduler({"--leader-elect=false"}).ok());
  for (int i = 0; i < 3; ++i) {
    auto n = cs_->Nodes().Create(MakeNode(absl::StrCat("node-", i)));
    ASSERT_TRUE(n.ok()) << n.status();
    if (n->status().allocatable().empty()) {
      Node with_status = *n;
      *with_status.mutable_status() = MakeNode(n->metadata().name()).status();
      ASSERT_TRUE(cs_->Nodes().UpdateStatus(with_status).ok());
    }
  }
  StartKubelet(/*bound_only=*/true);
  ASSERT_TRUE(cs_->Deployments().Create(MakeDeployment(kReplicas, 2, 1)).ok());
  ASSERT_TRUE(WaitConverged(kReplicas, kImage1)) << cp_.LogTail("controller-manager-0.log");

  // Roll out, and crash the daemon once the new ReplicaSet has pods but the
  // old one still has some: the middle of the rollout.
  SetImage(kImage2);
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        auto pods = cs_->Pods().List("default");
        if (!pods.ok()) return false;
        int updated = 0, old = 0;
        for (const Pod& p : pods->items) {
          if (p.spec().containers(0).image() == kImage2) {
            ++updated;
          } else {
            ++old;
          }
        }
        return updated >= 2 && old >= 2;
      },
      absl::Seconds(60)))
      << "the rollout never got going";
  const std::string& daemon = GetParam();
  if (daemon == "controller-manager") {
    ASSERT_TRUE(cp_.StopControllerManager(0, SIGKILL).has_value());
    ASSERT_TRUE(cp_.StartControllerManager(kManagerFlags).ok());
  } else if (daemon == "scheduler") {
    ASSERT_TRUE(cp_.StopScheduler(0, SIGKILL).has_value());
    ASSERT_TRUE(cp_.StartScheduler({"--leader-elect=false"}).ok());
  } else if (daemon == "apiserver") {
    ASSERT_TRUE(cp_.RestartApiserver(SIGKILL).ok());
  } else {
    ASSERT_TRUE(cp_.RestartStore(SIGKILL).ok());
  }

  ASSERT_TRUE(WaitConverged(kReplicas, kImage2, absl::Seconds(120)))
      << State() << "controller-manager:\n"
      << cp_.LogTail(daemon == "controller-manager" ? "controller-manager-1.log"
                                                    : "controller-manager-0.log");
  ExpectExactOwnership(kReplicas, kImage2);
  // Every pod is bound, and each node's pods are the pods that exist.
  auto pods = cs_->Pods().List("default");
  ASSERT_TRUE(pods.ok());
  for (const Pod& p : pods->items) EXPECT_FALSE(p.spec().node_name().empty());
}

INSTANTIATE_TEST_SUITE_P(Daemons, RestartMidRolloutE2E,
                         ::testing::Values("controller-manager", "scheduler", "apiserver", "store"),
                         [](const auto& info) {
                           std::string name = info.param;
                           name.erase(std::remove(name.begin(), name.end(), '-'), name.end());
                           return name;
                         });

}  // namespace
}  // namespace minik8s
