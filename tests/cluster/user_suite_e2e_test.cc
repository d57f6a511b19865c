// The end-to-end suite of issue #6, as a user runs it: `minik8s up`, then
// mkctl. Every test starts its own cluster (2 nodes) and runs once over
// minik8s-store and once over a real etcd (`minik8s up --etcd-servers`):
//   - the example Deployment converges, scales 3 → 10 → 2;
//   - a rolling update (`mkctl set image`) never exceeds maxSurge nor drops
//     below maxUnavailable (checked on every ReplicaSet and pod change seen
//     through API watches), then `mkctl rollout undo` brings the old template back;
//   - delete with --cascade background, foreground and orphan;
//   - an invalid manifest is refused with its field path, nothing created;
//   - a killed kubelet's pods are recreated on the other node;
//   - the whole cluster stopped and started on the same data dir (and the
//     same etcd data) still has everything and converges again.
// Skips when a binary is not built (or etcd is not on PATH).
#include <signal.h>

#include <atomic>
#include <map>
#include <regex>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/cluster_harness.h"
#include "testing/file_util.h"
#include "testing/rollout_observer.h"

namespace minik8s::clustertest {
namespace {

using ::minik8s::testing::BackendKind;
using ::minik8s::testing::BackendName;
using ::minik8s::testing::ClusterHarness;
using ::minik8s::testing::Example;
using ::minik8s::testing::TableRows;

using ::minik8s::testing::WaitFor;
using ::testing::HasSubstr;

constexpr absl::Duration kConverge = absl::Seconds(120);

// A Deployment whose pods carry app=NAME.
std::string DeploymentYaml(const std::string& name, int replicas, const std::string& image,
                           const std::string& strategy = "") {
  return absl::StrCat("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ", name,
                      "\n  labels:\n    app: ", name, "\nspec:\n  replicas: ", replicas,
                      "\n  selector:\n    matchLabels:\n      app: ", name, "\n", strategy,
                      "  template:\n    metadata:\n      labels:\n        app: ", name,
                      "\n    spec:\n      containers:\n      - name: web\n        image: ", image,
                      "\n");
}

class UserSuite : public ::testing::TestWithParam<BackendKind> {
 protected:
  void SetUp() override {
    const std::string missing = ClusterHarness::MissingPrerequisite(GetParam());
    if (!missing.empty()) GTEST_SKIP() << missing;
  }

  void TearDown() override {
    if (HasFailure() && cluster_ != nullptr) std::cerr << cluster_->Diagnostics();
    cluster_.reset();
  }

  void StartCluster(std::vector<std::string> up_flags = {}) {
    cluster_ = std::make_unique<ClusterHarness>(ClusterHarness::Options{
        .backend = GetParam(), .nodes = 2, .up_flags = std::move(up_flags)});
    absl::Status s = cluster_->Start();
    ASSERT_TRUE(s.ok()) << s;
  }

  int Mkctl(std::vector<std::string> args, std::string* out, const std::string& stdin_data = "") {
    return cluster_->Mkctl(std::move(args), out, stdin_data);
  }
  std::string MkctlOk(std::vector<std::string> args, const std::string& stdin_data = "") {
    std::string out;
    EXPECT_EQ(Mkctl(args, &out, stdin_data), 0) << "mkctl " << absl::StrJoin(args, " ") << "\n"
                                                << out;
    return out;
  }

  // `mkctl get pods -l app=APP -o wide` rows as a user reads them.
  struct PodRow {
    std::string name, ready, status, node;
  };
  std::vector<PodRow> Pods(const std::string& app) {
    std::string out;
    if (Mkctl({"get", "pods", "-l", "app=" + app, "-o", "wide"}, &out) != 0) return {};
    std::vector<PodRow> rows;
    for (const auto& cells : TableRows(out)) {
      // NAME READY STATUS RESTARTS AGE IP NODE NOMINATED READINESS
      if (cells.size() < 7) continue;
      rows.push_back({cells[0], cells[1], cells[2], cells[6]});
    }
    return rows;
  }
  // Exactly `n` pods of APP, each Running and 1/1 ready (`get pods`), and
  // the Deployment's READY column says n/n.
  bool Converged(const std::string& app, int n) {
    const std::vector<PodRow> pods = Pods(app);
    if (static_cast<int>(pods.size()) != n) return false;
    for (const PodRow& p : pods) {
      if (p.status != "Running" || p.ready != "1/1") return false;
    }
    std::string out;
    if (Mkctl({"get", "deploy", app, "--no-headers"}, &out) != 0) return false;
    return absl::StartsWith(out, absl::StrCat(app, " ")) &&
           absl::StrContains(out, absl::StrCat(" ", n, "/", n, " "));
  }
  void ExpectConverges(const std::string& app, int n) {
    EXPECT_TRUE(WaitFor([&] { return Converged(app, n); }, kConverge))
        << "pods of " << app << ":\n"
        << MkctlOk({"get", "pods", "-l", "app=" + app, "-o", "wide"})
        << MkctlOk({"get", "deploy,rs"});
  }

  std::unique_ptr<ClusterHarness> cluster_;
};

TEST_P(UserSuite, ApplyTheExampleThenScaleUpAndDown) {
  ASSERT_NO_FATAL_FAILURE(StartCluster());
  const std::string nodes = MkctlOk({"get", "nodes"});
  EXPECT_EQ(TableRows(nodes).size(), 2u) << nodes;
  EXPECT_EQ(
      MkctlOk({"apply", "-f", std::string(MINIK8S_SOURCE_DIR) + "/examples/nginx-deployment.yaml"}),
      "deployment.apps/nginx-deployment created\n");
  // The example's pods carry app=nginx; the Deployment is nginx-deployment.
  auto converged = [&](int n) {
    const std::vector<PodRow> pods = Pods("nginx");
    if (static_cast<int>(pods.size()) != n) return false;
    for (const PodRow& p : pods) {
      if (p.status != "Running" || p.ready != "1/1") return false;
    }
    std::string out;
    return Mkctl({"get", "deploy", "nginx-deployment", "--no-headers"}, &out) == 0 &&
           absl::StartsWith(out, absl::StrCat("nginx-deployment   ", n, "/", n, " "));
  };
  ASSERT_TRUE(WaitFor([&] { return converged(3); }, kConverge))
      << MkctlOk({"get", "pods", "-o", "wide"});
  // Pods run on the cluster's nodes.
  for (const PodRow& p : Pods("nginx")) EXPECT_THAT(p.node, ::testing::StartsWith("node-"));

  EXPECT_EQ(MkctlOk({"scale", "deployment/nginx-deployment", "--replicas=10"}),
            "deployment.apps/nginx-deployment scaled\n");
  EXPECT_TRUE(WaitFor([&] { return converged(10); }, kConverge))
      << MkctlOk({"get", "pods", "-o", "wide"});
  // Both nodes took some.
  std::set<std::string> used;
  for (const PodRow& p : Pods("nginx")) used.insert(p.node);
  EXPECT_EQ(used.size(), 2u);

  EXPECT_EQ(MkctlOk({"scale", "deployment/nginx-deployment", "--replicas=2"}),
            "deployment.apps/nginx-deployment scaled\n");
  EXPECT_TRUE(WaitFor([&] { return converged(2); }, kConverge))
      << MkctlOk({"get", "pods", "-o", "wide"});
  // One ReplicaSet, scaled like its Deployment.
  const auto rs = TableRows(MkctlOk({"get", "rs", "-l", "app=nginx"}));
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(absl::StrJoin(rs[0].begin() + 1, rs[0].begin() + 4, " "), "2 2 2");
}

std::vector<std::string> PodImages(ClusterHarness& cluster, const std::string& app) {
  std::vector<std::string> images;
  auto pods = cluster.clientset().Pods().List("default", {.label_selector = "app=" + app});
  if (!pods.ok()) return images;
  for (const auto& p : pods->items) {
    if (!p.metadata().has_deletion_timestamp()) images.push_back(p.spec().containers(0).image());
  }
  return images;
}

TEST_P(UserSuite, RollingUpdateRespectsSurgeAndUnavailabilityThenUndo) {
  ASSERT_NO_FATAL_FAILURE(StartCluster());
  // 4 replicas, maxSurge 1, maxUnavailable 1: at most 5 pods, at least 3 ready.
  const std::string strategy =
      "  strategy:\n    type: RollingUpdate\n    rollingUpdate:\n      maxSurge: 1\n"
      "      maxUnavailable: 1\n";
  EXPECT_EQ(MkctlOk({"apply", "-f", "-"}, DeploymentYaml("web", 4, "nginx:1.24", strategy)),
            "deployment.apps/web created\n");
  ASSERT_NO_FATAL_FAILURE(ExpectConverges("web", 4));
  EXPECT_THAT(MkctlOk({"rollout", "status", "deployment/web"}),
              HasSubstr("deployment \"web\" successfully rolled out"));
  const auto first_rs = TableRows(MkctlOk({"get", "rs", "-l", "app=web"}));
  ASSERT_EQ(first_rs.size(), 1u);
  const std::string old_rs = first_rs[0][0];

  testing::RolloutObserver observer(&cluster_->clientset(), "default", "app=web", 5, 3);
  ASSERT_TRUE(observer.Start().ok());
  EXPECT_EQ(MkctlOk({"set", "image", "deployment/web", "web=nginx:1.25"}),
            "deployment.apps/web image updated\n");
  const std::string status = MkctlOk({"rollout", "status", "deployment/web", "--timeout=120s"});
  EXPECT_THAT(status, HasSubstr("deployment \"web\" successfully rolled out")) << status;
  ASSERT_NO_FATAL_FAILURE(ExpectConverges("web", 4));
  EXPECT_THAT(PodImages(*cluster_, "web"), ::testing::Each(std::string("nginx:1.25")));
  observer.Stop();
  EXPECT_THAT(observer.violations(), ::testing::IsEmpty())
      << "most live pods seen: " << observer.max_live_pods_seen();
  EXPECT_EQ(observer.max_replicas_seen(), 5) << "the rollout surged by one pod";
  EXPECT_GE(observer.min_ready_seen(), 3);
  EXPECT_GT(observer.pod_events(), 8);  // 4 pods replaced: the watch saw them

  // Two revisions; the old ReplicaSet is kept at 0.
  const std::string history = MkctlOk({"rollout", "history", "deployment/web"});
  EXPECT_THAT(history, HasSubstr("\n1         <none>\n2         <none>\n")) << history;
  auto sets = TableRows(MkctlOk({"get", "rs", "-l", "app=web"}));
  ASSERT_EQ(sets.size(), 2u);
  for (const auto& row : sets) {
    if (row[0] == old_rs) {
      EXPECT_EQ(absl::StrJoin(row.begin() + 1, row.begin() + 4, " "), "0 0 0");
    }
  }

  // Undo: back to nginx:1.24 through the old ReplicaSet, with the same limits.
  testing::RolloutObserver undo_observer(&cluster_->clientset(), "default", "app=web", 5, 3);
  ASSERT_TRUE(undo_observer.Start().ok());
  EXPECT_EQ(MkctlOk({"rollout", "undo", "deployment/web"}), "deployment.apps/web rolled back\n");
  EXPECT_THAT(MkctlOk({"rollout", "status", "deployment/web", "--timeout=120s"}),
              HasSubstr("successfully rolled out"));
  ASSERT_NO_FATAL_FAILURE(ExpectConverges("web", 4));
  EXPECT_THAT(PodImages(*cluster_, "web"), ::testing::Each(std::string("nginx:1.24")));
  undo_observer.Stop();
  EXPECT_THAT(undo_observer.violations(), ::testing::IsEmpty());
  sets = TableRows(MkctlOk({"get", "rs", "-l", "app=web"}));
  ASSERT_EQ(sets.size(), 2u);
  for (const auto& row : sets) {
    EXPECT_EQ(row[1], row[0] == old_rs ? "4" : "0") << row[0];
  }
  EXPECT_THAT(MkctlOk({"rollout", "history", "deployment/web"}),
              HasSubstr("\n2         <none>\n3         <none>\n"));
  // Revision 3 is the current template (labels and limits are maps, equal
  // whatever their order): undo to it changes nothing.
  EXPECT_EQ(MkctlOk({"rollout", "undo", "deployment/web", "--to-revision=3"}),
            "deployment.apps/web skipped rollback (current template already matches revision 3)\n");
  const std::string revision = MkctlOk({"rollout", "history", "deployment/web", "--revision=3"});
  EXPECT_THAT(revision, HasSubstr("deployment.apps/web with revision #3\nPod Template:\n  Labels:"))
      << revision;
  EXPECT_THAT(revision, HasSubstr("pod-template-hash=")) << revision;
  EXPECT_THAT(revision, HasSubstr("nginx:1.24")) << revision;
}

TEST_P(UserSuite, DeleteWithEachCascadeMode) {
  ASSERT_NO_FATAL_FAILURE(StartCluster());
  for (const char* name : {"bg", "fg", "orph"}) {
    MkctlOk({"apply", "-f", "-"}, DeploymentYaml(name, 2, "nginx:1.25"));
  }
  for (const char* name : {"bg", "fg", "orph"}) ASSERT_NO_FATAL_FAILURE(ExpectConverges(name, 2));
  std::string out;

  // Foreground: mkctl waits until the Deployment is gone, which the garbage
  // collector allows only after its ReplicaSet and pods are gone.
  EXPECT_EQ(MkctlOk({"delete", "deployment", "fg", "--cascade=foreground"}),
            "deployment.apps \"fg\" deleted\n");
  EXPECT_EQ(Mkctl({"get", "deploy", "fg"}, &out), 1);
  EXPECT_EQ(MkctlOk({"get", "rs,pods", "-l", "app=fg"}),
            "No resources found in default namespace.\n");

  // Background: the Deployment goes at once, its dependents after.
  EXPECT_EQ(MkctlOk({"delete", "deployment", "bg", "--cascade=background"}),
            "deployment.apps \"bg\" deleted\n");
  EXPECT_EQ(Mkctl({"get", "deploy", "bg"}, &out), 1);
  EXPECT_TRUE(WaitFor(
      [&] {
        return Mkctl({"get", "rs,pods", "-l", "app=bg"}, &out) == 0 &&
               out == "No resources found in default namespace.\n";
      },
      kConverge))
      << out;

  // Orphan: the ReplicaSet and its pods stay, without an owner.
  const auto rs = TableRows(MkctlOk({"get", "rs", "-l", "app=orph"}));
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(MkctlOk({"delete", "deployment", "orph", "--cascade=orphan"}),
            "deployment.apps \"orph\" deleted\n");
  EXPECT_EQ(Mkctl({"get", "deploy", "orph"}, &out), 1);
  const std::string json = MkctlOk({"get", "rs", rs[0][0], "-o", "json"});
  EXPECT_THAT(json, ::testing::Not(HasSubstr("ownerReferences"))) << json;
  const std::vector<PodRow> pods = Pods("orph");
  EXPECT_EQ(pods.size(), 2u);
  for (const PodRow& p : pods) EXPECT_EQ(p.status, "Running") << p.name;
}

TEST_P(UserSuite, InvalidManifestIsRefusedAndNothingIsCreated) {
  ASSERT_NO_FATAL_FAILURE(StartCluster());
  std::string out;
  // Decoded before anything is sent: the namespace of document 1 is not
  // created because document 2 has an unknown field.
  const std::string bad = cluster_->WriteFile(
      "bad.yaml", absl::StrCat("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: never\n---\n",
                               absl::StrReplaceAll(
                                   Example("nginx-deployment.yaml"),
                                   {{"        image: nginx:1.14.2\n",
                                     "        image: nginx:1.14.2\n        imagePolicy: x\n"}})));
  EXPECT_EQ(Mkctl({"apply", "-f", bad}, &out), 1);
  EXPECT_THAT(out,
              ::testing::StartsWith(absl::StrCat("error: error parsing ", bad, ": document 2:")));
  EXPECT_THAT(out, HasSubstr("spec.template.spec.containers[0].imagePolicy"));
  // Refused by the apiserver's validation, with the field path.
  EXPECT_EQ(Mkctl({"apply", "-f", "-"}, &out, DeploymentYaml("neg", -1, "nginx")), 1);
  EXPECT_EQ(out,
            "The Deployment \"neg\" is invalid: spec.replicas: Invalid value: -1: must be greater "
            "than or equal to 0\n");
  EXPECT_EQ(Mkctl({"apply", "-f", "-"}, &out, DeploymentYaml("noimage", 1, "\"\"")), 1);
  EXPECT_EQ(out,
            "The Deployment \"noimage\" is invalid: spec.template.spec.containers[0].image: "
            "Required value\n");
  EXPECT_EQ(Mkctl({"get", "ns", "never"}, &out), 1);
  EXPECT_EQ(out, "Error from server (NotFound): namespaces \"never\" not found\n");
  EXPECT_EQ(MkctlOk({"get", "deploy,rs,pods"}), "No resources found in default namespace.\n");
}

TEST_P(UserSuite, KilledKubeletsPodsAreRecreatedOnTheOtherNode) {
  // Short node-lifecycle periods: unreachable after 4 s without a Lease
  // renewal, pods evicted 2 s after the taint (the tolerations the
  // apiserver's admission gives every new pod).
  ASSERT_NO_FATAL_FAILURE(
      StartCluster({"--kubelet-arg=--node-lease-renew-interval=1s",
                    "--controller-manager-arg=--node-monitor-period=1s",
                    "--controller-manager-arg=--node-monitor-grace-period=4s",
                    "--apiserver-arg=--default-not-ready-toleration-seconds=2",
                    "--apiserver-arg=--default-unreachable-toleration-seconds=2"}));
  MkctlOk({"apply", "-f", "-"}, DeploymentYaml("web", 4, "nginx:1.25"));
  ASSERT_NO_FATAL_FAILURE(ExpectConverges("web", 4));
  int on_node1 = 0;
  for (const PodRow& p : Pods("web")) on_node1 += p.node == "node-1" ? 1 : 0;
  ASSERT_GT(on_node1, 0) << "the scheduler put no pod on node-1";

  const pid_t kubelet = cluster_->DaemonPid("kubelet-node-1");
  ASSERT_GT(kubelet, 0);
  ASSERT_EQ(kill(kubelet, SIGKILL), 0);

  // node-1 turns NotReady; four Running pods again, all on node-2.
  std::string out;
  EXPECT_TRUE(WaitFor(
      [&] {
        return Mkctl({"get", "node", "node-1", "--no-headers"}, &out) == 0 &&
               absl::StrContains(out, " NotReady ");
      },
      kConverge))
      << out;
  EXPECT_TRUE(WaitFor(
      [&] {
        int running_on_2 = 0;
        for (const PodRow& p : Pods("web")) {
          if (p.node == "node-2" && p.status == "Running" && p.ready == "1/1") ++running_on_2;
        }
        return running_on_2 == 4;
      },
      kConverge))
      << MkctlOk({"get", "pods", "-o", "wide"});
  // The evicted pods stay Terminating on the dead node (nobody confirms
  // their end), as in Kubernetes.
  const std::string described = MkctlOk({"describe", "node", "node-1"});
  EXPECT_THAT(described, HasSubstr("node.kubernetes.io/unreachable:NoExecute")) << described;
  const std::string deploy = MkctlOk({"get", "deploy", "web", "--no-headers"});
  EXPECT_THAT(deploy, ::testing::StartsWith("web   4/4 ")) << deploy;
}

// The READY column of each Deployment of `mkctl get deploy -A`, by name.
std::map<std::string, std::string> ReadyByDeployment(const std::string& table) {
  std::map<std::string, std::string> ready;
  for (const auto& row : TableRows(table)) {
    if (row.size() >= 3) ready[row[1]] = row[2];
  }
  return ready;
}

std::string UidOf(const std::string& json) {
  std::smatch m;
  static const std::regex kUid("\"uid\": \"([^\"]+)\"");
  return std::regex_search(json, m, kUid) ? m[1].str() : "";
}

TEST_P(UserSuite, StoppedAndStartedAgainEverythingIsStillThere) {
  ASSERT_NO_FATAL_FAILURE(StartCluster());
  MkctlOk({"apply", "-f", std::string(MINIK8S_SOURCE_DIR) + "/examples/nginx-deployment.yaml"});
  MkctlOk({"apply", "-f", "-"}, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n");
  MkctlOk({"apply", "-n", "team", "-f", "-"}, DeploymentYaml("api", 2, "nginx:1.25"));
  const std::map<std::string, std::string> want = {{"api", "2/2"}, {"nginx-deployment", "3/3"}};
  std::string out;
  ASSERT_TRUE(WaitFor(
      [&] {
        return Mkctl({"get", "deploy", "-A"}, &out) == 0 && ReadyByDeployment(out) == want;
      },
      kConverge))
      << out << MkctlOk({"get", "pods", "-A"});
  const std::string rs_before = MkctlOk({"get", "rs", "-A", "-o", "name"});
  const std::string uid_before =
      UidOf(MkctlOk({"get", "deploy", "nginx-deployment", "-o", "json"}));
  ASSERT_FALSE(uid_before.empty());

  // Everything stops (etcd too); the same data dir (and etcd data) again.
  absl::Status s = cluster_->Stop(/*stop_etcd=*/true);
  ASSERT_TRUE(s.ok()) << s;
  s = cluster_->Start();
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(MkctlOk({"get", "rs", "-A", "-o", "name"}), rs_before);
  EXPECT_EQ(UidOf(MkctlOk({"get", "deploy", "nginx-deployment", "-o", "json"})), uid_before);
  EXPECT_THAT(MkctlOk({"get", "ns", "team", "--no-headers"}), ::testing::StartsWith("team "));
  // The runtimes started empty (like rebooted nodes): the kubelets run the
  // pods again and everything converges.
  EXPECT_TRUE(WaitFor(
      [&] {
        if (Mkctl({"get", "pods", "-A"}, &out) != 0) return false;
        const auto rows = TableRows(out);
        if (rows.size() != 5u) return false;
        for (const auto& r : rows) {
          if (r.size() < 4 || r[2] != "1/1" || r[3] != "Running") return false;
        }
        return true;
      },
      kConverge))
      << out;
  EXPECT_EQ(Mkctl({"get", "deploy", "-A"}, &out), 0);
  EXPECT_EQ(ReadyByDeployment(out), want) << out;
}

INSTANTIATE_TEST_SUITE_P(Backends, UserSuite,
                         ::testing::Values(BackendKind::kMinik8sStore, BackendKind::kEtcd),
                         [](const ::testing::TestParamInfo<BackendKind>& info) {
                           return BackendName(info.param);
                         });

}  // namespace
}  // namespace minik8s::clustertest
