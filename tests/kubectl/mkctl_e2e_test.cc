// End to end: the real minik8s-store and minik8s-apiserver on free loopback
// ports, driven by the mkctl binary. Skips when the daemons are not built.
#include <signal.h>
#include <unistd.h>

#include <memory>
#include <regex>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/net.h"
#include "gtest/gtest.h"
#include "testing/control_plane.h"
#include "testing/file_util.h"
#include "testing/http_client.h"

namespace minik8s {
namespace {

using testing::Example;
using testing::ReadFile;

bool Exists(const std::string& path) { return access(path.c_str(), X_OK) == 0; }

class MkctlE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string why = testing::ControlPlane::MissingPrerequisite(
        testing::BackendKind::kMinik8sStore, {"minik8s-apiserver", "mkctl"});
    if (!why.empty()) {
      skip_reason_ = new std::string(why);
      return;
    }
    cp_ = new testing::ControlPlane();
    absl::Status started = cp_->Start();
    ASSERT_TRUE(started.ok()) << started;
    api_port_ = cp_->apiserver_port();
    // The apiserver answers once it has synced its caches.
    ASSERT_TRUE(testing::WaitFor(
        [&] {
          std::string out;
          return testing::RunCommand({testing::BinPath("mkctl"), "--server",
                                      absl::StrCat("127.0.0.1:", api_port_), "get", "ns"},
                                     &out, absl::Seconds(10)) == 0;
        },
        absl::Seconds(30)));
    // The namespaces the tests use (a multi-document manifest on stdin).
    std::string manifest;
    for (const char* ns : {"sel", "ro", "forms", "tr", "logs", "byname"}) {
      absl::StrAppend(&manifest, "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ", ns,
                      "\n");
    }
    std::string out;
    ASSERT_EQ(testing::RunCommand({testing::BinPath("mkctl"), "--server",
                                   absl::StrCat("127.0.0.1:", api_port_), "apply", "-f", "-"},
                                  &out, absl::Seconds(30), manifest),
              0)
        << out;
    ASSERT_EQ(out,
              "namespace/sel created\nnamespace/ro created\nnamespace/forms created\n"
              "namespace/tr created\nnamespace/logs created\nnamespace/byname created\n");
  }

  static void TearDownTestSuite() {
    delete cp_;
    delete skip_reason_;
    cp_ = nullptr;
    skip_reason_ = nullptr;
  }

  void SetUp() override {
    if (skip_reason_ != nullptr) GTEST_SKIP() << *skip_reason_;
  }

  // Runs mkctl against the test apiserver; returns the exit code and puts
  // stdout+stderr in *out.
  int Mkctl(std::vector<std::string> args, std::string* out, const std::string& stdin_data = "") {
    args.insert(args.begin(),
                {testing::BinPath("mkctl"), "--server", absl::StrCat("127.0.0.1:", api_port_)});
    return testing::RunCommand(args, out, absl::Seconds(60), stdin_data);
  }
  std::string MkctlOk(std::vector<std::string> args) {
    std::string out;
    const int code = Mkctl(args, &out);
    EXPECT_EQ(code, 0) << absl::StrJoin(args, " ") << "\n" << out;
    return out;
  }

  // Path of a file in the suite's temp dir, written with `text`.
  std::string WriteFile(const std::string& name, const std::string& text) {
    const std::string path = cp_->dir().Join(name);
    EXPECT_TRUE(testing::WriteFile(path, text).ok()) << path;
    return path;
  }

  // The apiserver's apiserver_registered_watchers gauge for `kind`
  // (-1 when /metrics cannot be read).
  static int RegisteredWatchers(const std::string& kind) {
    absl::StatusOr<testing::HttpResult> r = testing::HttpRequest(api_port_, {.target = "/metrics"});
    if (!r.ok() || r->status != 200) return -1;
    int total = 0;
    for (absl::string_view line : absl::StrSplit(r->body, '\n')) {
      if (!absl::StartsWith(line, "apiserver_registered_watchers{") ||
          !absl::StrContains(line, absl::StrCat("kind=\"", kind, "\""))) {
        continue;
      }
      double value = 0;
      if (absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &value)) {
        total += static_cast<int>(value);
      }
    }
    return total;
  }

  static std::string* skip_reason_;
  static testing::ControlPlane* cp_;
  static int api_port_;
};

std::string* MkctlE2E::skip_reason_ = nullptr;
testing::ControlPlane* MkctlE2E::cp_ = nullptr;
int MkctlE2E::api_port_ = 0;

TEST_F(MkctlE2E, NotFoundErrorAndExitCode) {
  std::string out;
  EXPECT_EQ(Mkctl({"get", "deploy", "nope"}, &out), 1);
  EXPECT_EQ(out, "Error from server (NotFound): deployments.apps \"nope\" not found\n");
  EXPECT_EQ(Mkctl({"delete", "pod", "nope"}, &out), 1);
  EXPECT_EQ(out, "Error from server (NotFound): pods \"nope\" not found\n");
  EXPECT_EQ(Mkctl({"get", "pods", "-n", "empty-ns"}, &out), 0);
  EXPECT_EQ(out, "No resources found in empty-ns namespace.\n");
}

TEST_F(MkctlE2E, ApplyCreatedUnchangedConfigured) {
  const std::string manifest = Example("nginx-deployment.yaml");
  const std::string path = WriteFile("nginx.yaml", manifest);
  EXPECT_EQ(MkctlOk({"apply", "-f", path}), "deployment.apps/nginx-deployment created\n");
  EXPECT_EQ(MkctlOk({"apply", "-f", path}), "deployment.apps/nginx-deployment unchanged\n");

  // Changed replicas and a label removed from the manifest.
  std::string modified = absl::StrReplaceAll(manifest, {{"replicas: 3", "replicas: 2"}});
  modified = absl::StrReplaceAll(modified, {{"  labels:\n    app: nginx\nspec:", "spec:"}});
  ASSERT_NE(modified, manifest);
  const std::string path2 = WriteFile("nginx2.yaml", modified);
  EXPECT_EQ(MkctlOk({"apply", "-f", path2}), "deployment.apps/nginx-deployment configured\n");
  EXPECT_EQ(MkctlOk({"apply", "-f", path2}), "deployment.apps/nginx-deployment unchanged\n");
  const std::string json = MkctlOk({"get", "deploy", "nginx-deployment", "-o", "json"});
  EXPECT_NE(json.find("\"replicas\": 2"), std::string::npos) << json;
  EXPECT_NE(json.find("kubectl.kubernetes.io/last-applied-configuration"), std::string::npos);
  // The label removed from the manifest is gone from metadata (the selector
  // and template keep theirs).
  const std::string yaml = MkctlOk({"get", "deploy", "nginx-deployment", "-o", "yaml"});
  EXPECT_TRUE(absl::StartsWith(yaml, "apiVersion: apps/v1\nkind: Deployment\n")) << yaml;
  const size_t meta = yaml.find("\nmetadata:\n");
  const size_t spec = yaml.find("\nspec:\n");
  ASSERT_NE(meta, std::string::npos);
  EXPECT_EQ(yaml.substr(meta, spec - meta).find("  labels:"), std::string::npos) << yaml;

  // From stdin.
  std::string out;
  EXPECT_EQ(Mkctl({"apply", "-f", "-"}, &out, modified), 0);
  EXPECT_EQ(out, "deployment.apps/nginx-deployment unchanged\n");

  const std::string table = MkctlOk({"get", "deploy"});
  EXPECT_TRUE(absl::StartsWith(table, "NAME               READY   UP-TO-DATE   AVAILABLE   AGE\n"))
      << table;
  EXPECT_TRUE(std::regex_search(
      table, std::regex("\nnginx-deployment   0/2     0            0           [0-9]+s\n")))
      << table;

  EXPECT_EQ(MkctlOk({"scale", "--replicas=5", "deployment/nginx-deployment"}),
            "deployment.apps/nginx-deployment scaled\n");
  EXPECT_NE(MkctlOk({"get", "deploy", "nginx-deployment", "-o", "json"}).find("\"replicas\": 5"),
            std::string::npos);
  EXPECT_EQ(MkctlOk({"get", "deploy", "-o", "name"}), "deployment.apps/nginx-deployment\n");

  EXPECT_EQ(MkctlOk({"delete", "-f", path}), "deployment.apps \"nginx-deployment\" deleted\n");
  EXPECT_EQ(Mkctl({"get", "deploy", "nginx-deployment"}, &out), 1);
}

TEST_F(MkctlE2E, InvalidManifestsCreateNothing) {
  // A client-side decoding error: file, document and field path.
  const std::string bad = absl::StrCat(
      "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: should-not-exist\n---\n",
      absl::StrReplaceAll(Example("nginx-deployment.yaml"),
                          {{"name: nginx-deployment", "name: bad-deploy"},
                           {"        image: nginx:1.14.2\n",
                            "        image: nginx:1.14.2\n        imagePolicy: x\n"}}));
  const std::string path = WriteFile("bad.yaml", bad);
  std::string out;
  EXPECT_EQ(Mkctl({"apply", "-f", path}, &out), 1);
  EXPECT_TRUE(
      absl::StartsWith(out, absl::StrCat("error: error parsing ", path, ": document 2: line ")))
      << out;
  EXPECT_NE(out.find("spec.template.spec.containers[0].imagePolicy"), std::string::npos) << out;
  EXPECT_EQ(Mkctl({"get", "ns", "should-not-exist"}, &out), 1) << out;
  EXPECT_EQ(Mkctl({"get", "deploy", "bad-deploy"}, &out), 1) << out;

  // A server-side validation error.
  const std::string negative =
      WriteFile("negative.yaml", absl::StrReplaceAll(Example("nginx-deployment.yaml"),
                                                     {{"name: nginx-deployment", "name: negative"},
                                                      {"replicas: 3", "replicas: -1"}}));
  EXPECT_EQ(Mkctl({"apply", "-f", negative}, &out), 1);
  EXPECT_EQ(out,
            "The Deployment \"negative\" is invalid: spec.replicas: Invalid value: -1: must be "
            "greater than or equal to 0\n");
  EXPECT_EQ(Mkctl({"get", "deploy", "negative"}, &out), 1);
}

TEST_F(MkctlE2E, DeleteCascadeModes) {
  for (const char* name : {"bg", "fg", "orph"}) {
    EXPECT_EQ(MkctlOk({"create", "deployment", name, "--image=nginx"}),
              absl::StrCat("deployment.apps/", name, " created\n"));
  }
  // Background (the default): gone at once.
  EXPECT_EQ(MkctlOk({"delete", "deployment", "bg", "--cascade=background"}),
            "deployment.apps \"bg\" deleted\n");
  std::string out;
  EXPECT_EQ(Mkctl({"get", "deploy", "bg"}, &out), 1);
  // Foreground and orphan leave the owner with a finalizer until the
  // garbage collector has handled the dependents.
  EXPECT_EQ(MkctlOk({"delete", "deployment/fg", "--cascade=foreground", "--wait=false"}),
            "deployment.apps \"fg\" deleted\n");
  std::string yaml = MkctlOk({"get", "deploy", "fg", "-o", "yaml"});
  EXPECT_NE(yaml.find("foregroundDeletion"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("deletionTimestamp"), std::string::npos) << yaml;
  EXPECT_EQ(MkctlOk({"delete", "deployment/orph", "--cascade=orphan", "--wait=false"}),
            "deployment.apps \"orph\" deleted\n");
  yaml = MkctlOk({"get", "deploy", "orph", "-o", "yaml"});
  EXPECT_NE(yaml.find("- orphan"), std::string::npos) << yaml;
}

TEST_F(MkctlE2E, DeleteBySelectorAndAll) {
  for (const char* name : {"sel-a", "sel-b", "sel-c"}) {
    MkctlOk({"create", "deployment", name, "--image=nginx", "-n", "sel"});
  }
  EXPECT_EQ(MkctlOk({"delete", "deploy", "-l", "app=sel-a", "-n", "sel"}),
            "deployment.apps \"sel-a\" deleted\n");
  const std::string remaining = MkctlOk({"get", "deploy", "-n", "sel", "-o", "name"});
  EXPECT_EQ(remaining, "deployment.apps/sel-b\ndeployment.apps/sel-c\n");
  EXPECT_EQ(MkctlOk({"delete", "deploy", "--all", "-n", "sel"}),
            "deployment.apps \"sel-b\" deleted\ndeployment.apps \"sel-c\" deleted\n");
  std::string out;
  EXPECT_EQ(Mkctl({"delete", "deploy", "--all", "-n", "sel"}, &out), 0);
  EXPECT_EQ(out, "No resources found\n");
}

TEST_F(MkctlE2E, RolloutPauseResumeRestartAndSetImage) {
  MkctlOk({"create", "deployment", "web", "--image=nginx:1.24", "--replicas=2", "-n", "ro"});
  EXPECT_EQ(MkctlOk({"rollout", "pause", "deployment/web", "-n", "ro"}),
            "deployment.apps/web paused\n");
  std::string out;
  EXPECT_EQ(Mkctl({"rollout", "pause", "deployment/web", "-n", "ro"}, &out), 1);
  EXPECT_EQ(out, "error: deployments.apps \"web\" is already paused\n");
  EXPECT_EQ(MkctlOk({"rollout", "resume", "deployment/web", "-n", "ro"}),
            "deployment.apps/web resumed\n");
  EXPECT_EQ(MkctlOk({"rollout", "restart", "deployment/web", "-n", "ro"}),
            "deployment.apps/web restarted\n");
  std::string yaml = MkctlOk({"get", "deploy", "web", "-n", "ro", "-o", "yaml"});
  EXPECT_NE(yaml.find("kubectl.kubernetes.io/restartedAt"), std::string::npos) << yaml;
  EXPECT_EQ(MkctlOk({"set", "image", "deployment/web", "nginx=nginx:1.25", "-n", "ro"}),
            "deployment.apps/web image updated\n");
  yaml = MkctlOk({"get", "deploy", "web", "-n", "ro", "-o", "yaml"});
  EXPECT_NE(yaml.find("image: nginx:1.25"), std::string::npos) << yaml;
  EXPECT_EQ(Mkctl({"set", "image", "deployment/web", "nope=x", "-n", "ro"}, &out), 1);
  EXPECT_EQ(out, "error: unable to find container named \"nope\"\n");
  // Without a deployment controller the rollout never progresses; status
  // without --watch reports the first message and returns.
  EXPECT_EQ(MkctlOk({"rollout", "status", "deployment/web", "-n", "ro", "--watch=false"}),
            "Waiting for deployment spec update to be observed...\n");

  const std::string describe = MkctlOk({"describe", "deployment", "web", "-n", "ro"});
  EXPECT_TRUE(
      absl::StartsWith(describe, "Name:                   web\nNamespace:              ro\n"))
      << describe;
  EXPECT_NE(describe.find("Replicas:               2 desired | 0 updated | 0 total | 0 available | "
                          "0 unavailable\n"),
            std::string::npos)
      << describe;
  EXPECT_NE(describe.find("    Image:         nginx:1.25\n"), std::string::npos) << describe;
}

TEST_F(MkctlE2E, GetFormsAndDiscovery) {
  MkctlOk({"create", "deployment", "multi", "--image=nginx", "-n", "forms"});
  const std::string both = MkctlOk({"get", "deploy,rs", "-n", "forms"});
  EXPECT_NE(both.find("deployment.apps/multi"), std::string::npos) << both;
  const std::string all = MkctlOk({"get", "deploy", "-A"});
  EXPECT_TRUE(absl::StartsWith(all, "NAMESPACE   NAME")) << all;
  const std::string ns = MkctlOk({"get", "ns", "--show-labels"});
  EXPECT_NE(ns.find("LABELS"), std::string::npos) << ns;
  const std::string resources = MkctlOk({"api-resources"});
  EXPECT_TRUE(absl::StartsWith(resources, "NAME")) << resources;
  EXPECT_TRUE(std::regex_search(resources,
                                std::regex("\ndeployments +deploy +apps/v1 +true +Deployment\n")))
      << resources;
  const std::string version = MkctlOk({"version"});
  EXPECT_NE(version.find("Server Version: "), std::string::npos) << version;
  EXPECT_NE(MkctlOk({"cluster-info"}).find("is running at 127.0.0.1:"), std::string::npos);

  // MINIK8S_CONFIG names the config file the launcher writes.
  const std::string config =
      WriteFile("config", absl::StrCat("server: 127.0.0.1:", api_port_, "\n"));
  std::string out;
  EXPECT_EQ(testing::RunCommand(
                {"/usr/bin/env", "-u", "MINIK8S_SERVER", absl::StrCat("MINIK8S_CONFIG=", config),
                 testing::BinPath("mkctl"), "get", "deploy", "multi", "-n", "forms", "-o", "name"},
                &out),
            0)
      << out;
  EXPECT_EQ(out, "deployment.apps/multi\n");
  // MINIK8S_SERVER works too.
  EXPECT_EQ(testing::RunCommand(
                {"/usr/bin/env", absl::StrCat("MINIK8S_SERVER=127.0.0.1:", api_port_),
                 testing::BinPath("mkctl"), "get", "deploy", "multi", "-n", "forms", "-o", "name"},
                &out),
            0)
      << out;
}

TEST_F(MkctlE2E, GetWatchPrintsNewRows) {
  const std::string log = cp_->dir().Join("watch.log");
  testing::Subprocess watch;
  ASSERT_TRUE(
      watch
          .Start({testing::BinPath("mkctl"), "--server", absl::StrCat("127.0.0.1:", api_port_),
                  "get", "deploy", "-w", "-n", "forms", "-l", "app=watched"},
                 log)
          .ok());
  // The empty list prints nothing (no "No resources found"): the header
  // comes with the row of the new deployment. mkctl lists before it
  // watches, so once its watch is registered the list was empty.
  ASSERT_TRUE(
      testing::WaitFor([&] { return RegisteredWatchers("Deployment") >= 1; }, absl::Seconds(20)))
      << "mkctl's watch never reached the apiserver\n"
      << ReadFile(log);
  EXPECT_EQ(ReadFile(log), "");
  MkctlOk({"create", "deployment", "watched", "--image=nginx", "-n", "forms"});
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        return std::regex_search(
            ReadFile(log),
            std::regex("^NAME +READY +UP-TO-DATE +AVAILABLE +AGE\nwatched +0/1 +0 +0 +[0-9]+s\n"));
      },
      absl::Seconds(20)))
      << ReadFile(log);
  watch.Stop(SIGTERM);
  MkctlOk({"delete", "deployment", "watched", "-n", "forms"});
}

// `get TYPE NAME -w` prints the object, then only that object's changes.
TEST_F(MkctlE2E, GetNameWatchFollowsOnlyThatObject) {
  MkctlOk({"create", "deployment", "followed", "--image=nginx", "-n", "byname"});
  MkctlOk({"create", "deployment", "other", "--image=nginx", "-n", "byname"});
  std::string out;
  EXPECT_EQ(Mkctl({"get", "deploy", "followed", "other", "-w", "-n", "byname"}, &out), 1);
  EXPECT_EQ(out,
            "error: watch is only supported on individual resources and resource collections, "
            "but 2 resources were found\n");
  const std::string log = cp_->dir().Join("watch-name.log");
  testing::Subprocess watch;
  ASSERT_TRUE(
      watch
          .Start({testing::BinPath("mkctl"), "--server", absl::StrCat("127.0.0.1:", api_port_),
                  "get", "deploy", "followed", "-w", "-n", "byname"},
                 log)
          .ok());
  ASSERT_TRUE(testing::WaitFor([&] { return ReadFile(log).find("followed") != std::string::npos; },
                               absl::Seconds(20)))
      << ReadFile(log);
  MkctlOk({"scale", "deployment", "other", "--replicas=3", "-n", "byname"});
  MkctlOk({"scale", "deployment", "followed", "--replicas=2", "-n", "byname"});
  EXPECT_TRUE(testing::WaitFor(
      [&] { return std::regex_search(ReadFile(log), std::regex("\nfollowed +0/2 ")); },
      absl::Seconds(20)))
      << ReadFile(log);
  watch.Stop(SIGTERM);
  const std::string printed = ReadFile(log);
  EXPECT_EQ(printed.find("other"), std::string::npos) << printed;
  EXPECT_TRUE(
      absl::StartsWith(printed, "NAME       READY   UP-TO-DATE   AVAILABLE   AGE\nfollowed "))
      << printed;
}

TEST_F(MkctlE2E, TraceShowsTheObject) {
  MkctlOk({"create", "deployment", "traced", "--image=nginx", "-n", "tr"});
  const std::string trace = MkctlOk({"trace", "deployment/traced", "-n", "tr"});
  EXPECT_TRUE(absl::StartsWith(trace, "Deployment traced (namespace tr): 0/1 ready")) << trace;
  EXPECT_NE(trace.find("deployment/traced"), std::string::npos) << trace;
  EXPECT_NE(trace.find("Created"), std::string::npos) << trace;
}

// Without a scheduler the pod stays unbound. Logs of running containers
// (read from a kubelet) are tested on a whole cluster in
// tests/cluster/logs_e2e_test.cc.
TEST_F(MkctlE2E, PodWithoutANodeHasNoLogs) {
  std::string out;
  EXPECT_EQ(Mkctl({"logs", "nope"}, &out), 1);
  EXPECT_EQ(out, "Error from server (NotFound): pods \"nope\" not found\n");
  const std::string pod = WriteFile(
      "pod.yaml",
      absl::StrReplaceAll(Example("pod.yaml"), {{"namespace: default", "namespace: logs"}}));
  EXPECT_EQ(MkctlOk({"apply", "-f", pod}), "pod/nginx created\n");
  const std::string table = MkctlOk({"get", "pods", "-n", "logs"});
  EXPECT_TRUE(
      std::regex_search(table, std::regex("^NAME    READY   STATUS    RESTARTS   AGE\nnginx   0/1  "
                                          "   Pending   0          [0-9]+s\n$")))
      << table;
  EXPECT_EQ(Mkctl({"logs", "nginx", "-n", "logs", "-c", "other"}, &out), 1);
  EXPECT_EQ(out, "error: container other is not valid for pod nginx\n");
  EXPECT_EQ(Mkctl({"logs", "nginx", "-n", "logs"}, &out), 1);
  EXPECT_EQ(out, "Error from server (BadRequest): pod nginx does not have a host assigned\n");
  const std::string describe = MkctlOk({"describe", "pod", "nginx", "-n", "logs"});
  EXPECT_TRUE(absl::StartsWith(describe, "Name:             nginx\nNamespace:        logs\n"))
      << describe;
  EXPECT_NE(describe.find("Node:             <none>\n"), std::string::npos) << describe;
  // What the apiserver's admission gave the pod.
  EXPECT_TRUE(
      std::regex_search(describe, std::regex("\nPriority: +0\nService Account: +default\n")))
      << describe;
  EXPECT_TRUE(std::regex_search(
      describe,
      std::regex("\nTolerations: +node\\.kubernetes\\.io/not-ready:NoExecute op=Exists for "
                 "300s\n +node\\.kubernetes\\.io/unreachable:NoExecute op=Exists for 300s\n")))
      << describe;
  EXPECT_EQ(MkctlOk({"delete", "pod", "nginx", "-n", "logs", "--grace-period=0", "--force"})
                    .find("pod \"nginx\" deleted\n") != std::string::npos,
            true);
}

TEST(MkctlNoServer, ConnectionRefused) {
  const std::string mkctl = testing::BinPath("mkctl");
  if (!Exists(mkctl)) GTEST_SKIP() << mkctl << " is not built";
  absl::StatusOr<int> port = PickFreeLoopbackPort();
  ASSERT_TRUE(port.ok());
  std::string out;
  EXPECT_EQ(testing::RunCommand(
                {mkctl, "--server", absl::StrCat("127.0.0.1:", *port), "get", "pods"}, &out),
            1);
  EXPECT_EQ(out, absl::StrCat("The connection to the server 127.0.0.1:", *port,
                              " was refused - did you specify the right host or port?\n"));
}

}  // namespace
}  // namespace minik8s
