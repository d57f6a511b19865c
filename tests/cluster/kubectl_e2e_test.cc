// The real kubectl (v1.32, /usr/bin/kubectl) against a whole minik8s cluster
// started by `minik8s up`, through the kubeconfig `up` writes: each test is a
// user flow, asserting on kubectl's own output and exit codes. One cluster
// (2 nodes) per backend is shared by every test of that backend: the suite
// is instantiated once over minik8s-store and once over a real etcd, and
// gtest runs each instantiation's tests together, so the cluster starts in
// the first test of an instantiation and stops in TearDownTestSuite. Tests
// use their own object names, so their order does not matter.
// Skips when /usr/bin/kubectl is absent, a binary is not built, or etcd is
// not on PATH.
#include <sys/stat.h>

#include <regex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/cluster_harness.h"
#include "testing/file_util.h"

namespace minik8s::clustertest {
namespace {

using ::minik8s::testing::BackendKind;
using ::minik8s::testing::BackendName;
using ::minik8s::testing::ClusterHarness;
using ::minik8s::testing::Example;
using ::minik8s::testing::TableRows;

using ::minik8s::testing::WaitFor;
using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kKubectl[] = "/usr/bin/kubectl";
constexpr absl::Duration kConverge = absl::Seconds(120);

// A Deployment whose pods carry app=NAME, with one container per image
// (named web, side-1, side-2, ...).
std::string DeploymentYaml(const std::string& name, int replicas,
                           const std::vector<std::string>& images, const std::string& extra = "") {
  std::string containers;
  for (size_t i = 0; i < images.size(); ++i) {
    absl::StrAppend(&containers, "      - name: ", i == 0 ? "web" : absl::StrCat("side-", i),
                    "\n        image: ", images[i], "\n");
  }
  return absl::StrCat("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ", name,
                      "\n  labels:\n    app: ", name, "\nspec:\n  replicas: ", replicas, "\n",
                      extra, "  selector:\n    matchLabels:\n      app: ", name,
                      "\n  template:\n    metadata:\n      labels:\n        app: ", name,
                      "\n    spec:\n      containers:\n", containers);
}

// The lines of `text`, without the empty ones.
std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

// The first line of a table, split on runs of spaces.
std::vector<std::string> Header(const std::string& table) {
  const std::vector<std::string> lines = Lines(table);
  if (lines.empty()) return {};
  return absl::StrSplit(lines[0], ' ', absl::SkipEmpty());
}

std::string ReadWholeFile(const std::string& path) {
  std::string out;
  if (FILE* f = fopen(path.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
    fclose(f);
  }
  return out;
}

class KubectlE2E : public ::testing::TestWithParam<BackendKind> {
 protected:
  static void TearDownTestSuite() {
    cluster_.reset();
    start_error_.clear();
  }

  void SetUp() override {
    struct stat st;
    if (stat(kKubectl, &st) != 0) {
      GTEST_SKIP() << kKubectl << " is not installed: these tests drive the real kubectl v1.32";
    }
    const std::string missing = ClusterHarness::MissingPrerequisite(GetParam());
    if (!missing.empty()) GTEST_SKIP() << missing;
    // Started once per instantiation (one backend); a failed start is not
    // retried by every test.
    ASSERT_TRUE(start_error_.empty()) << "the cluster did not start: " << start_error_;
    if (cluster_ == nullptr) {
      cluster_ = std::make_unique<ClusterHarness>(
          ClusterHarness::Options{.backend = GetParam(), .nodes = 2});
      absl::Status s = cluster_->Start();
      if (!s.ok()) {
        start_error_ = s.ToString();
        std::cerr << cluster_->Diagnostics();
        cluster_.reset();
        FAIL() << "the cluster did not start: " << start_error_;
      }
    }
  }

  void TearDown() override {
    if (HasFailure() && cluster_ != nullptr) std::cerr << cluster_->Diagnostics();
  }

  int Kubectl(std::vector<std::string> args, std::string* out, const std::string& stdin_data = "") {
    return cluster_->Kubectl(std::move(args), out, stdin_data);
  }
  // kubectl's output; a test failure (with the output) unless it exits 0.
  std::string KubectlOk(std::vector<std::string> args, const std::string& stdin_data = "") {
    std::string out;
    EXPECT_EQ(Kubectl(args, &out, stdin_data), 0) << "kubectl " << absl::StrJoin(args, " ") << "\n"
                                                  << out;
    return out;
  }
  // `kubectl get KIND NAME -o jsonpath=PATH`.
  std::string JsonPath(const std::string& object, const std::string& path) {
    std::vector<std::string> args = absl::StrSplit(object, ' ');
    args.insert(args.begin(), "get");
    args.push_back("-o");
    args.push_back(absl::StrCat("jsonpath=", path));
    return KubectlOk(args);
  }

  // Synchronisation (not the assertion): through the gRPC API, so polling
  // costs no kubectl processes. The Deployment has observed its latest
  // spec, has exactly `n` updated, ready and available replicas, and its
  // controller has written the last status of the rollout (Progressing:
  // NewReplicaSetAvailable), so nothing changes it any more.
  bool DeploymentSettled(const std::string& name, int n) {
    auto d = cluster_->clientset().Deployments().Get("default", name);
    if (!d.ok()) return false;
    const auto& s = d->status();
    bool complete = false;
    for (const auto& c : s.conditions()) {
      if (c.type() == "Progressing" && c.reason() == "NewReplicaSetAvailable") complete = true;
    }
    return complete && s.observed_generation() >= d->metadata().generation() && s.replicas() == n &&
           s.updated_replicas() == n && s.ready_replicas() == n && s.available_replicas() == n;
  }
  void WaitSettled(const std::string& name, int n) {
    EXPECT_TRUE(WaitFor([&] { return DeploymentSettled(name, n); }, kConverge))
        << name << " did not settle at " << n << " replicas\n"
        << KubectlOk({"get", "deploy,rs,pods", "-o", "wide"});
  }
  // Live (not terminating) pods with app=APP.
  int LivePods(const std::string& app) {
    auto pods = cluster_->clientset().Pods().List("default", {.label_selector = "app=" + app});
    if (!pods.ok()) return -1;
    int n = 0;
    for (const auto& p : pods->items) n += p.metadata().has_deletion_timestamp() ? 0 : 1;
    return n;
  }
  bool PodRunning(const std::string& name) {
    auto pod = cluster_->clientset().Pods().Get("default", name);
    return pod.ok() && pod->status().phase() == "Running";
  }

  static std::unique_ptr<ClusterHarness> cluster_;
  static std::string start_error_;
};

std::unique_ptr<ClusterHarness> KubectlE2E::cluster_;
std::string KubectlE2E::start_error_;

TEST_P(KubectlE2E, VersionApiResourcesAndExplain) {
  std::string out = KubectlOk({"version"});
  EXPECT_THAT(out, ::testing::ContainsRegex("Server Version: v1\\.32\\.0-minik8s")) << out;
  out = KubectlOk({"version", "-o", "json"});
  EXPECT_THAT(out, ::testing::ContainsRegex(
                       "\"serverVersion\": \\{[^}]*\"gitVersion\": \"v1\\.32\\.0-minik8s"))
      << out;

  out = KubectlOk({"api-resources"});
  EXPECT_THAT(Header(out),
              ::testing::ElementsAre("NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"))
      << out;
  std::map<std::string, std::vector<std::string>> by_name;
  for (const auto& row : TableRows(out)) by_name[row[0]] = row;
  EXPECT_THAT(by_name["pods"], ::testing::ElementsAre("pods", "po", "v1", "true", "Pod")) << out;
  EXPECT_THAT(by_name["deployments"],
              ::testing::ElementsAre("deployments", "deploy", "apps/v1", "true", "Deployment"))
      << out;
  EXPECT_THAT(by_name["replicasets"],
              ::testing::ElementsAre("replicasets", "rs", "apps/v1", "true", "ReplicaSet"))
      << out;
  // Just the apps group, names only.
  out = KubectlOk({"api-resources", "--api-group=apps", "-o", "name"});
  EXPECT_THAT(Lines(out), ::testing::IsSupersetOf({"deployments.apps", "replicasets.apps"})) << out;

  out = KubectlOk({"explain", "deployment.spec.strategy"});
  EXPECT_THAT(out, ::testing::ContainsRegex("KIND: +Deployment")) << out;
  EXPECT_THAT(out, ::testing::ContainsRegex("FIELD: +strategy <")) << out;
  EXPECT_THAT(out, HasSubstr("rollingUpdate")) << out;
  // A field that does not exist.
  EXPECT_EQ(Kubectl({"explain", "deployment.spec.nosuchfield"}, &out), 1);
  EXPECT_THAT(out, HasSubstr("nosuchfield")) << out;
}

TEST_P(KubectlE2E, ApplyGetAndDescribeTheExample) {
  const std::string example = std::string(MINIK8S_SOURCE_DIR) + "/examples/nginx-deployment.yaml";
  EXPECT_EQ(KubectlOk({"apply", "-f", example}), "deployment.apps/nginx-deployment created\n");
  EXPECT_EQ(KubectlOk({"apply", "-f", example}), "deployment.apps/nginx-deployment unchanged\n");
  const std::string four = cluster_->WriteFile(
      "nginx-4.yaml", absl::StrReplaceAll(Example("nginx-deployment.yaml"),
                                          {{"  replicas: 3\n", "  replicas: 4\n"}}));
  EXPECT_EQ(KubectlOk({"apply", "-f", four}), "deployment.apps/nginx-deployment configured\n");
  ASSERT_NO_FATAL_FAILURE(WaitSettled("nginx-deployment", 4));
  // The last applied configuration is what kubectl compares with next time.
  EXPECT_THAT(KubectlOk({"apply", "view-last-applied", "deployment/nginx-deployment"}),
              HasSubstr("replicas: 4"));

  std::string out = KubectlOk({"get", "pods", "-l", "app=nginx"});
  EXPECT_THAT(Header(out), ::testing::ElementsAre("NAME", "READY", "STATUS", "RESTARTS", "AGE"))
      << out;
  auto rows = TableRows(out);
  EXPECT_EQ(rows.size(), 4u) << out;
  for (const auto& row : rows) {
    ASSERT_EQ(row.size(), 5u) << out;
    EXPECT_THAT(row[0], StartsWith("nginx-deployment-"));
    EXPECT_EQ(row[1], "1/1");
    EXPECT_EQ(row[2], "Running");
    EXPECT_EQ(row[3], "0");
  }
  out = KubectlOk({"get", "pods", "-l", "app=nginx", "-o", "wide"});
  EXPECT_THAT(Header(out),
              ::testing::ElementsAre("NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE",
                                     "NOMINATED", "NODE", "READINESS", "GATES"))
      << out;
  for (const auto& row : TableRows(out)) {
    ASSERT_GE(row.size(), 7u) << out;
    EXPECT_THAT(row[5], ::testing::MatchesRegex("[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+")) << out;
    EXPECT_THAT(row[6], StartsWith("node-")) << out;
  }
  out = KubectlOk({"get", "deploy", "nginx-deployment"});
  EXPECT_THAT(Header(out),
              ::testing::ElementsAre("NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"));
  ASSERT_EQ(TableRows(out).size(), 1u) << out;
  EXPECT_THAT(TableRows(out)[0],
              ::testing::ElementsAre("nginx-deployment", "4/4", "4", "4", ::testing::_));
  // -A adds the namespace column; the short name works.
  out = KubectlOk({"get", "deploy", "-A"});
  EXPECT_THAT(Header(out), ::testing::ElementsAre("NAMESPACE", "NAME", "READY", "UP-TO-DATE",
                                                  "AVAILABLE", "AGE"))
      << out;
  EXPECT_THAT(out, ::testing::ContainsRegex("\ndefault +nginx-deployment +4/4 ")) << out;

  out = KubectlOk({"get", "deployment", "nginx-deployment", "-o", "yaml"});
  EXPECT_THAT(out, StartsWith("apiVersion: apps/v1\nkind: Deployment\n")) << out;
  EXPECT_THAT(out, HasSubstr("\n  replicas: 4\n")) << out;
  EXPECT_THAT(out, HasSubstr("kubectl.kubernetes.io/last-applied-configuration")) << out;
  out = KubectlOk({"get", "deployment", "nginx-deployment", "-o", "json"});
  EXPECT_THAT(out, HasSubstr("\"kind\": \"Deployment\"")) << out;
  EXPECT_THAT(out, HasSubstr("\"replicas\": 4,")) << out;
  EXPECT_EQ(JsonPath("deployment nginx-deployment", "{.spec.replicas}"), "4");
  EXPECT_EQ(JsonPath("deployment nginx-deployment", "{.spec.template.spec.containers[0].image}"),
            "nginx:1.14.2");
  EXPECT_EQ(JsonPath("deploy nginx-deployment", "{.status.readyReplicas}"), "4");
  out = KubectlOk({"get", "pods", "-l", "app=nginx", "-o", "name"});
  EXPECT_EQ(Lines(out).size(), 4u) << out;
  for (const std::string& line : Lines(out)) EXPECT_THAT(line, StartsWith("pod/nginx-deployment-"));

  out = KubectlOk({"describe", "deployment", "nginx-deployment"});
  EXPECT_THAT(out, ::testing::ContainsRegex("Name: +nginx-deployment\n")) << out;
  EXPECT_THAT(out, ::testing::ContainsRegex(
                       "Replicas: +4 desired \\| 4 updated \\| 4 total \\| 4 available \\| 0 "
                       "unavailable"))
      << out;
  EXPECT_THAT(out, ::testing::ContainsRegex("StrategyType: +RollingUpdate")) << out;
  EXPECT_THAT(out, ::testing::ContainsRegex("Image: +nginx:1.14.2")) << out;
  EXPECT_THAT(out, HasSubstr("\nEvents:\n")) << out;
  EXPECT_THAT(out, ::testing::ContainsRegex("Normal +ScalingReplicaSet .*Scaled up replica set "
                                            "nginx-deployment-"))
      << out;
}

TEST_P(KubectlE2E, GetWatchSeesAScale) {
  EXPECT_EQ(KubectlOk({"apply", "-f", "-"}, DeploymentYaml("watched", 1, {"nginx:1.25"})),
            "deployment.apps/watched created\n");
  ASSERT_NO_FATAL_FAILURE(WaitSettled("watched", 1));
  const std::string log = cluster_->WriteFile("watch.log", "");
  testing::Subprocess watch;
  ASSERT_TRUE(watch.Start(cluster_->KubectlCommand({"get", "deploy", "watched", "-w"}), log).ok());
  // The first row comes from the list, then one row per change.
  ASSERT_TRUE(WaitFor([&] { return absl::StrContains(ReadWholeFile(log), "\nwatched "); },
                      absl::Seconds(30)))
      << ReadWholeFile(log);
  EXPECT_EQ(KubectlOk({"scale", "deployment/watched", "--replicas=3"}),
            "deployment.apps/watched scaled\n");
  static const std::regex kThreeReady("\nwatched +3/3 +3 +3 ");
  EXPECT_TRUE(
      WaitFor([&] { return std::regex_search(ReadWholeFile(log), kThreeReady); }, kConverge))
      << ReadWholeFile(log);
  // Still watching: the stream did not end after the changes.
  EXPECT_FALSE(watch.Exited()) << ReadWholeFile(log);
  watch.Stop(SIGTERM);
  const std::string seen = ReadWholeFile(log);
  EXPECT_THAT(seen, StartsWith("NAME      READY   UP-TO-DATE   AVAILABLE   AGE\nwatched   1/1"))
      << seen;
  // The rows in between show the scale-up as it went (desired 3 before 3 ready).
  EXPECT_THAT(seen, ::testing::ContainsRegex("\nwatched +[12]/3 ")) << seen;
}

TEST_P(KubectlE2E, ScaleSetImageAndRollout) {
  EXPECT_EQ(KubectlOk({"apply", "-f", "-"}, DeploymentYaml("roll", 2, {"nginx:1.24"})),
            "deployment.apps/roll created\n");
  std::string out = KubectlOk({"rollout", "status", "deployment/roll", "--timeout=120s"});
  EXPECT_THAT(out, ::testing::EndsWith("deployment \"roll\" successfully rolled out\n")) << out;

  EXPECT_EQ(KubectlOk({"scale", "deployment/roll", "--replicas=5"}),
            "deployment.apps/roll scaled\n");
  out = KubectlOk({"rollout", "status", "deployment/roll", "--timeout=120s"});
  EXPECT_THAT(out, ::testing::EndsWith("deployment \"roll\" successfully rolled out\n")) << out;
  ASSERT_NO_FATAL_FAILURE(WaitSettled("roll", 5));
  EXPECT_EQ(JsonPath("deploy roll", "{.status.readyReplicas}"), "5");
  // scale with a precondition that does not hold is refused.
  EXPECT_EQ(Kubectl({"scale", "deployment/roll", "--current-replicas=3", "--replicas=1"}, &out), 1);
  EXPECT_THAT(out, HasSubstr("Expected replicas to be 3, was 5")) << out;

  EXPECT_EQ(KubectlOk({"set", "image", "deployment/roll", "web=nginx:1.25"}),
            "deployment.apps/roll image updated\n");
  out = KubectlOk({"rollout", "status", "deployment/roll", "--timeout=120s"});
  EXPECT_THAT(out, ::testing::EndsWith("deployment \"roll\" successfully rolled out\n")) << out;
  ASSERT_NO_FATAL_FAILURE(WaitSettled("roll", 5));
  EXPECT_EQ(JsonPath("deploy roll", "{.spec.template.spec.containers[0].image}"), "nginx:1.25");
  out = KubectlOk({"rollout", "history", "deployment/roll"});
  EXPECT_THAT(out, HasSubstr("REVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n"))
      << out;
  out = KubectlOk({"rollout", "history", "deployment/roll", "--revision=1"});
  EXPECT_THAT(out, HasSubstr("deployment.apps/roll with revision #1\nPod Template:\n")) << out;
  EXPECT_THAT(out, ::testing::ContainsRegex("Image:[[:space:]]+nginx:1.24\n")) << out;

  EXPECT_EQ(KubectlOk({"rollout", "undo", "deployment/roll"}),
            "deployment.apps/roll rolled back\n");
  out = KubectlOk({"rollout", "status", "deployment/roll", "--timeout=120s"});
  EXPECT_THAT(out, ::testing::EndsWith("deployment \"roll\" successfully rolled out\n")) << out;
  EXPECT_EQ(JsonPath("deploy roll", "{.spec.template.spec.containers[0].image}"), "nginx:1.24");
  out = KubectlOk({"rollout", "history", "deployment/roll"});
  EXPECT_THAT(out, HasSubstr("REVISION  CHANGE-CAUSE\n2         <none>\n3         <none>\n"))
      << out;
  // Two ReplicaSets: the current one with 5, the other scaled to 0.
  out = KubectlOk({"get", "rs", "-l", "app=roll", "--no-headers"});
  std::vector<std::string> desired;
  for (const auto& row : TableRows("HEADER\n" + out)) desired.push_back(row[1]);
  EXPECT_THAT(desired, ::testing::UnorderedElementsAre("5", "0")) << out;

  EXPECT_EQ(KubectlOk({"rollout", "pause", "deployment/roll"}), "deployment.apps/roll paused\n");
  EXPECT_EQ(JsonPath("deploy roll", "{.spec.paused}"), "true");
  // Paused twice is an error, as in Kubernetes.
  EXPECT_EQ(Kubectl({"rollout", "pause", "deployment/roll"}, &out), 1);
  EXPECT_THAT(out, HasSubstr("is already paused")) << out;
  EXPECT_EQ(KubectlOk({"rollout", "resume", "deployment/roll"}), "deployment.apps/roll resumed\n");
  EXPECT_EQ(JsonPath("deploy roll", "{.spec.paused}"), "");

  EXPECT_EQ(KubectlOk({"rollout", "restart", "deployment/roll"}),
            "deployment.apps/roll restarted\n");
  EXPECT_THAT(
      JsonPath("deploy roll",
               "{.spec.template.metadata.annotations.kubectl\\.kubernetes\\.io/restartedAt}"),
      ::testing::MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T.*"));
  out = KubectlOk({"rollout", "status", "deployment/roll", "--timeout=120s"});
  EXPECT_THAT(out, ::testing::EndsWith("deployment \"roll\" successfully rolled out\n")) << out;
  out = KubectlOk({"rollout", "history", "deployment/roll"});
  EXPECT_THAT(out, HasSubstr("\n4         <none>\n")) << out;
}

TEST_P(KubectlE2E, LogsOfADeploymentAndFollow) {
  EXPECT_EQ(KubectlOk({"apply", "-f", "-"}, DeploymentYaml("logger", 1, {"nginx:1.25.3"})),
            "deployment.apps/logger created\n");
  ASSERT_NO_FATAL_FAILURE(WaitSettled("logger", 1));
  // The fake runtime's nginx image prints its startup lines.
  std::string out = KubectlOk({"logs", "deployment/logger"});
  EXPECT_THAT(out, HasSubstr("/docker-entrypoint.sh: Configuration complete; ready for start up\n"))
      << out;
  EXPECT_THAT(out, HasSubstr("[notice] 1#1: nginx/1.25.3\n")) << out;
  EXPECT_THAT(out, ::testing::EndsWith("[notice] 1#1: start worker processes\n")) << out;
  out = KubectlOk({"logs", "deployment/logger", "--tail=2"});
  EXPECT_EQ(Lines(out).size(), 2u) << out;
  EXPECT_EQ(Kubectl({"logs", "deployment/logger", "-c", "nosuch"}, &out), 1);
  EXPECT_THAT(out, HasSubstr("nosuch")) << out;

  // -f keeps the stream open after the last line.
  const std::string log = cluster_->WriteFile("follow.log", "");
  testing::Subprocess follow;
  ASSERT_TRUE(
      follow.Start(cluster_->KubectlCommand({"logs", "-f", "--tail=1", "deployment/logger"}), log)
          .ok());
  ASSERT_TRUE(
      WaitFor([&] { return absl::StrContains(ReadWholeFile(log), "\n"); }, absl::Seconds(30)));
  EXPECT_FALSE(follow.Exited()) << ReadWholeFile(log);
  follow.Stop(SIGTERM);
  EXPECT_THAT(ReadWholeFile(log),
              ::testing::MatchesRegex(".*\\[notice\\] 1#1: start worker processes\n"));
}

TEST_P(KubectlE2E, RunCreateLabelAnnotateAndWait) {
  EXPECT_EQ(KubectlOk({"run", "web", "--image=nginx"}), "pod/web created\n");
  EXPECT_TRUE(WaitFor([&] { return PodRunning("web"); }, kConverge));
  std::string out = KubectlOk({"get", "pod", "web", "--show-labels"});
  EXPECT_THAT(out, ::testing::ContainsRegex("\nweb +1/1 +Running +0 +[0-9a-z]+ +run=web\n")) << out;
  EXPECT_EQ(JsonPath("pod web", "{.spec.containers[0].image}"), "nginx");
  EXPECT_THAT(JsonPath("pod web", "{.spec.nodeName}"), StartsWith("node-"));

  // client-go's typed client sends this one as protobuf.
  EXPECT_EQ(KubectlOk({"create", "deployment", "made", "--image=nginx:1.25", "--replicas=2"}),
            "deployment.apps/made created\n");
  EXPECT_EQ(KubectlOk({"wait", "--for=condition=Available", "deployment/made", "--timeout=120s"}),
            "deployment.apps/made condition met\n");
  EXPECT_EQ(JsonPath("deploy made", "{.spec.selector.matchLabels.app}"), "made");
  EXPECT_EQ(Kubectl({"create", "deployment", "made", "--image=nginx"}, &out), 1);
  EXPECT_THAT(out, StartsWith("error: ")) << out;
  EXPECT_THAT(out, HasSubstr("deployments.apps \"made\" already exists")) << out;

  EXPECT_EQ(KubectlOk({"label", "deployment", "made", "tier=front"}),
            "deployment.apps/made labeled\n");
  EXPECT_EQ(KubectlOk({"get", "deploy", "-l", "tier=front", "-o", "name"}),
            "deployment.apps/made\n");
  // Changing a label needs --overwrite.
  EXPECT_EQ(Kubectl({"label", "deployment", "made", "tier=back"}, &out), 1);
  EXPECT_THAT(out, HasSubstr("'tier' already has a value (front), and --overwrite is false"))
      << out;
  EXPECT_EQ(KubectlOk({"label", "deployment", "made", "tier=back", "--overwrite"}),
            "deployment.apps/made labeled\n");
  EXPECT_EQ(JsonPath("deploy made", "{.metadata.labels.tier}"), "back");
  EXPECT_EQ(KubectlOk({"label", "pod", "web", "run-"}), "pod/web unlabeled\n");
  EXPECT_EQ(JsonPath("pod web", "{.metadata.labels}"), "");

  EXPECT_EQ(KubectlOk({"annotate", "deployment", "made", "note=hello world"}),
            "deployment.apps/made annotated\n");
  EXPECT_EQ(JsonPath("deploy made", "{.metadata.annotations.note}"), "hello world");
  EXPECT_EQ(KubectlOk({"annotate", "deployment", "made", "note-"}),
            "deployment.apps/made annotated\n");
  EXPECT_EQ(JsonPath("deploy made", "{.metadata.annotations.note}"), "");

  EXPECT_EQ(KubectlOk({"wait", "--for=condition=Ready", "pod/web", "--timeout=60s"}),
            "pod/web condition met\n");
  EXPECT_EQ(KubectlOk({"delete", "pod", "web"}), "pod \"web\" deleted\n");
  EXPECT_EQ(Kubectl({"get", "pod", "web"}, &out), 1);
  EXPECT_EQ(out, "Error from server (NotFound): pods \"web\" not found\n");
  // A condition that never comes: wait times out with exit 1.
  EXPECT_EQ(Kubectl({"wait", "--for=condition=Nope", "deployment/made", "--timeout=2s"}, &out), 1);
  EXPECT_THAT(out, HasSubstr("timed out waiting for the condition on deployments/made")) << out;
}

TEST_P(KubectlE2E, PatchEveryTypeAndEdit) {
  EXPECT_EQ(
      KubectlOk({"apply", "-f", "-"}, DeploymentYaml("patched", 1, {"nginx:1.24", "nginx:1.24"})),
      "deployment.apps/patched created\n");
  // Strategic merge: containers merge by name, the other one stays.
  EXPECT_EQ(
      KubectlOk(
          {"patch", "deployment", "patched", "--type", "strategic", "-p",
           R"({"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.26"}]}}}})"}),
      "deployment.apps/patched patched\n");
  EXPECT_EQ(JsonPath("deploy patched", "{.spec.template.spec.containers[*].name}"), "web side-1");
  EXPECT_EQ(JsonPath("deploy patched", "{.spec.template.spec.containers[*].image}"),
            "nginx:1.26 nginx:1.24");
  // Strategic is the default type; $patch: delete removes a list element.
  EXPECT_EQ(
      KubectlOk(
          {"patch", "deployment", "patched", "-p",
           R"({"spec":{"template":{"spec":{"containers":[{"name":"side-1","$patch":"delete"}]}}}})"}),
      "deployment.apps/patched patched\n");
  EXPECT_EQ(JsonPath("deploy patched", "{.spec.template.spec.containers[*].name}"), "web");
  // Merge patch: maps merge, null removes.
  EXPECT_EQ(KubectlOk({"patch", "deployment", "patched", "--type", "merge", "-p",
                       R"({"metadata":{"labels":{"team":"a"}}})"}),
            "deployment.apps/patched patched\n");
  EXPECT_EQ(JsonPath("deploy patched", "{.metadata.labels.team}/{.metadata.labels.app}"),
            "a/patched");
  EXPECT_EQ(KubectlOk({"patch", "deployment", "patched", "--type=merge", "-p",
                       R"({"metadata":{"labels":{"team":null}}})"}),
            "deployment.apps/patched patched\n");
  EXPECT_EQ(JsonPath("deploy patched", "{.metadata.labels.team}"), "");
  // JSON patch; the same patch again changes nothing (once the controllers
  // are done with the object, so that nothing else changes it in between).
  const std::string json_patch = R"([{"op":"replace","path":"/spec/replicas","value":2}])";
  EXPECT_EQ(KubectlOk({"patch", "deployment", "patched", "--type", "json", "-p", json_patch}),
            "deployment.apps/patched patched\n");
  ASSERT_NO_FATAL_FAILURE(WaitSettled("patched", 2));
  EXPECT_EQ(KubectlOk({"patch", "deployment", "patched", "--type", "json", "-p", json_patch}),
            "deployment.apps/patched patched (no change)\n");
  EXPECT_EQ(JsonPath("deploy patched", "{.spec.replicas}"), "2");
  // A JSON patch whose test fails is refused, nothing changes.
  std::string out;
  EXPECT_EQ(
      Kubectl(
          {"patch", "deployment", "patched", "--type", "json", "-p",
           R"([{"op":"test","path":"/spec/replicas","value":7},{"op":"replace","path":"/spec/replicas","value":9}])"},
          &out),
      1);
  EXPECT_THAT(out, HasSubstr("test failed")) << out;
  EXPECT_EQ(JsonPath("deploy patched", "{.spec.replicas}"), "2");
  // A patch that makes the object invalid is refused with the field path.
  EXPECT_EQ(Kubectl({"patch", "deployment", "patched", "--type", "merge", "-p",
                     R"({"spec":{"replicas":-3}})"},
                    &out),
            1);
  EXPECT_THAT(out, HasSubstr("spec.replicas: Invalid value: -3")) << out;

  // edit: kubectl runs $EDITOR on the object's YAML and sends the change.
  const std::string editor = cluster_->WriteFile(
      "editor.sh", "#!/bin/sh\nsed -i '0,/^  replicas: 2$/s//  replicas: 3/' \"$1\"\n");
  ASSERT_EQ(chmod(editor.c_str(), 0755), 0);
  std::vector<std::string> argv = {"/usr/bin/env", "EDITOR=" + editor};
  for (const std::string& a : cluster_->KubectlCommand({"edit", "deployment/patched"})) {
    argv.push_back(a);
  }
  EXPECT_EQ(testing::RunCommand(argv, &out, absl::Seconds(120)), 0) << out;
  EXPECT_EQ(out, "deployment.apps/patched edited\n");
  EXPECT_EQ(JsonPath("deploy patched", "{.spec.replicas}"), "3");
  ASSERT_NO_FATAL_FAILURE(WaitSettled("patched", 3));
  // An editor that changes nothing: kubectl cancels the edit.
  const std::string noop = cluster_->WriteFile("noop-editor.sh", "#!/bin/sh\ntrue\n");
  ASSERT_EQ(chmod(noop.c_str(), 0755), 0);
  argv[1] = "EDITOR=" + noop;
  EXPECT_EQ(testing::RunCommand(argv, &out, absl::Seconds(120)), 0) << out;
  EXPECT_EQ(out, "Edit cancelled, no changes made.\n");
}

TEST_P(KubectlE2E, DeleteWithEachCascadeMode) {
  for (const char* name : {"bg", "fg", "orph"}) {
    EXPECT_EQ(KubectlOk({"apply", "-f", "-"}, DeploymentYaml(name, 2, {"nginx:1.25"})),
              absl::StrCat("deployment.apps/", name, " created\n"));
  }
  for (const char* name : {"bg", "fg", "orph"}) ASSERT_NO_FATAL_FAILURE(WaitSettled(name, 2));
  std::string out;

  // Foreground: kubectl waits until the Deployment is gone, which the
  // garbage collector allows only after its dependents are gone.
  EXPECT_EQ(KubectlOk({"delete", "deployment", "fg", "--cascade=foreground"}),
            "deployment.apps \"fg\" deleted\n");
  EXPECT_EQ(Kubectl({"get", "deploy", "fg"}, &out), 1);
  EXPECT_EQ(out, "Error from server (NotFound): deployments.apps \"fg\" not found\n");
  EXPECT_EQ(KubectlOk({"get", "rs", "-l", "app=fg"}), "No resources found in default namespace.\n");
  EXPECT_EQ(LivePods("fg"), 0);

  // Background: the Deployment goes at once, its dependents after.
  EXPECT_EQ(KubectlOk({"delete", "deployment", "bg", "--cascade=background"}),
            "deployment.apps \"bg\" deleted\n");
  EXPECT_EQ(Kubectl({"get", "deploy", "bg"}, &out), 1);
  EXPECT_TRUE(WaitFor(
      [&] {
        return Kubectl({"get", "rs,pods", "-l", "app=bg"}, &out) == 0 &&
               out == "No resources found in default namespace.\n";
      },
      kConverge))
      << out;

  // Orphan: the ReplicaSet and its pods stay, without an owner.
  const std::string rs = KubectlOk({"get", "rs", "-l", "app=orph", "-o", "name"});
  ASSERT_EQ(Lines(rs).size(), 1u) << rs;
  EXPECT_EQ(KubectlOk({"delete", "deployment", "orph", "--cascade=orphan"}),
            "deployment.apps \"orph\" deleted\n");
  EXPECT_EQ(Kubectl({"get", "deploy", "orph"}, &out), 1);
  EXPECT_EQ(KubectlOk({"get", "rs", "-l", "app=orph", "-o", "name"}), rs);
  EXPECT_EQ(JsonPath(Lines(rs)[0], "{.metadata.ownerReferences}"), "");
  EXPECT_EQ(JsonPath(Lines(rs)[0], "{.status.readyReplicas}"), "2");
  out = KubectlOk({"get", "pods", "-l", "app=orph", "--no-headers"});
  EXPECT_EQ(Lines(out).size(), 2u) << out;
  EXPECT_EQ(LivePods("orph"), 2);
  // Then the orphaned ReplicaSet by name, its pods with it.
  EXPECT_EQ(KubectlOk({"delete", Lines(rs)[0]}),
            absl::StrCat("replicaset.apps \"", Lines(rs)[0].substr(sizeof("replicaset.apps/") - 1),
                         "\" deleted\n"));
  EXPECT_TRUE(WaitFor([&] { return LivePods("orph") == 0; }, kConverge));
  // Deleting what is not there.
  EXPECT_EQ(Kubectl({"delete", "deployment", "orph"}, &out), 1);
  EXPECT_EQ(out, "Error from server (NotFound): deployments.apps \"orph\" not found\n");
  EXPECT_EQ(KubectlOk({"delete", "deployment", "orph", "--ignore-not-found"}), "");
}

TEST_P(KubectlE2E, InvalidManifestsAreRefusedWithTheField) {
  std::string out;
  // An unknown field: the server's strict decoding names it.
  EXPECT_EQ(Kubectl({"apply", "-f", "-"}, &out,
                    DeploymentYaml("unknown", 1, {"nginx:1.25"}, "  foo: bar\n")),
            1);
  EXPECT_THAT(out, HasSubstr("strict decoding error: unknown field \"spec.foo\"")) << out;
  EXPECT_EQ(Kubectl({"get", "deploy", "unknown"}, &out), 1);
  EXPECT_EQ(out, "Error from server (NotFound): deployments.apps \"unknown\" not found\n");
  // The same through create (POST, not apply's GET first).
  EXPECT_EQ(Kubectl({"create", "-f", "-"}, &out,
                    DeploymentYaml("unknown", 1, {"nginx:1.25"}, "  foo: bar\n")),
            1);
  EXPECT_THAT(out, HasSubstr("strict decoding error: unknown field \"spec.foo\"")) << out;
  // --validate=false: the unknown field is dropped, the object created.
  EXPECT_EQ(KubectlOk({"create", "--validate=false", "-f", "-"},
                      DeploymentYaml("lenient", 1, {"nginx:1.25"}, "  foo: bar\n")),
            "deployment.apps/lenient created\n");
  EXPECT_EQ(JsonPath("deploy lenient", "{.spec.replicas}"), "1");
  EXPECT_EQ(KubectlOk({"delete", "deploy", "lenient"}), "deployment.apps \"lenient\" deleted\n");

  // Validation: the field path and the rule.
  EXPECT_EQ(Kubectl({"apply", "-f", "-"}, &out, DeploymentYaml("neg", -1, {"nginx:1.25"})), 1);
  EXPECT_THAT(out, HasSubstr("The Deployment \"neg\" is invalid: spec.replicas: Invalid value: -1: "
                             "must be greater than or equal to 0"))
      << out;
  EXPECT_EQ(Kubectl({"apply", "-f", "-"}, &out, DeploymentYaml("noimage", 1, {"\"\""})), 1);
  EXPECT_THAT(out, HasSubstr("The Deployment \"noimage\" is invalid: "
                             "spec.template.spec.containers[0].image: Required value"))
      << out;
  // Not YAML at all: kubectl's own error, nothing sent.
  EXPECT_EQ(Kubectl({"apply", "-f", "-"}, &out, "kind: [unclosed\n"), 1);
  EXPECT_THAT(out, StartsWith("error: ")) << out;
  // A kind the server does not serve: refused, nothing created. (With
  // --validate=strict kubectl looks for the kind in /openapi/v2 once it is
  // not in v3; minik8s serves no v2 document, so kubectl stops at validation
  // with "the server could not find the requested resource" where
  // kube-apiserver's v2 document lets it go on to "no matches for kind".)
  EXPECT_EQ(Kubectl({"apply", "-f", "-"}, &out,
                    "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n"),
            1);
  EXPECT_THAT(out, AnyOf(HasSubstr("no matches for kind \"Widget\" in version \"example.com/v1\""),
                         HasSubstr("the server could not find the requested resource")))
      << out;
  EXPECT_EQ(Kubectl({"apply", "--validate=false", "-f", "-"}, &out,
                    "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n"),
            1);
  EXPECT_THAT(out, HasSubstr("no matches for kind \"Widget\" in version \"example.com/v1\""))
      << out;
  EXPECT_EQ(Kubectl({"get", "deploy", "neg", "noimage"}, &out), 1);
  EXPECT_THAT(out, HasSubstr("deployments.apps \"neg\" not found")) << out;
  EXPECT_EQ(Kubectl({"get", "widgets"}, &out), 1);
  EXPECT_THAT(out, HasSubstr("the server doesn't have a resource type \"widgets\"")) << out;
}

// One instantiation per backend: separate gtest suites, run one after the
// other, so only one cluster runs at a time.
INSTANTIATE_TEST_SUITE_P(Store, KubectlE2E, ::testing::Values(BackendKind::kMinik8sStore),
                         [](const ::testing::TestParamInfo<BackendKind>& info) {
                           return BackendName(info.param);
                         });
INSTANTIATE_TEST_SUITE_P(Etcd, KubectlE2E, ::testing::Values(BackendKind::kEtcd),
                         [](const ::testing::TestParamInfo<BackendKind>& info) {
                           return BackendName(info.param);
                         });

}  // namespace
}  // namespace minik8s::clustertest
