// End to end, against the real minik8s-store and minik8s-apiserver: create
// -f and create namespace, wait (conditions, jsonpath, delete, create) and
// replace -f, compared with the real kubectl over the apiserver's HTTP API
// when /usr/bin/kubectl exists. Skips when the daemons are not built.
#include <unistd.h>

#include <fstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "testing/control_plane.h"
#include "testing/file_util.h"
#include "testing/temp_dir.h"
#include "tests/kubectl/mkctl_vs_kubectl.h"

namespace minik8s {
namespace {

constexpr char kWebAndNamespace[] = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: c
        image: nginx
---
apiVersion: v1
kind: Namespace
metadata:
  name: created-by-file
)";

class MkctlCreateWaitE2E : public MkctlVsKubectlE2E {};

TEST_F(MkctlCreateWaitE2E, CreateFromFileAsKubectl) {
  testing::TempDir dir;
  const std::string path = dir.Join("web.yaml");
  std::ofstream(path) << kWebAndNamespace;
  // Only mkctl runs the first create (the Namespace is cluster-scoped, so
  // kubectl's would find it already there).
  std::string out;
  EXPECT_EQ(Mkctl({"-n", "m", "create", "-f", path}, &out), 0) << out;
  EXPECT_EQ(out, "deployment.apps/web created\nnamespace/created-by-file created\n");
  int code = 0;
  if (Kubectl({"-n", "k", "create", "-f", path}, &out, &code)) {
    EXPECT_EQ(code, 1) << out;
    EXPECT_EQ(out, absl::StrCat("deployment.apps/web created\nError from server (AlreadyExists): ",
                                "error when creating \"", path,
                                "\": namespaces \"created-by-file\" already exists\n"));
  } else {
    MkctlOk({"-n", "k", "create", "deployment", "web", "--image=nginx"});
  }
  // Both exist now: every document fails, each reported, exit 1.
  EXPECT_EQ(Both({"create", "-f", path}, 1),
            absl::StrCat("Error from server (AlreadyExists): error when creating \"", path,
                         "\": deployments.apps \"web\" already exists\n",
                         "Error from server (AlreadyExists): error when creating \"", path,
                         "\": namespaces \"created-by-file\" already exists\n"));
  EXPECT_EQ(Both({"create", "-f", path, "--dry-run=client", "-o", "name"}, 0),
            "deployment.apps/web\nnamespace/created-by-file\n");
  EXPECT_EQ(Both({"create"}, 1), "error: must specify one of -f and -k\n");
}

TEST_F(MkctlCreateWaitE2E, CreateFromStdin) {
  std::string out;
  EXPECT_EQ(Mkctl({"-n", "m", "create", "-f", "-"}, &out,
                  "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: from-stdin\n"),
            0)
      << out;
  EXPECT_EQ(out, "namespace/from-stdin created\n");
  EXPECT_EQ(Mkctl({"create", "-f", "-"}, &out,
                  "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: from-stdin\n"),
            1);
  EXPECT_EQ(out,
            "Error from server (AlreadyExists): error when creating \"STDIN\": namespaces "
            "\"from-stdin\" already exists\n");
}

TEST_F(MkctlCreateWaitE2E, CreateNamespaceAsKubectl) {
  std::string out;
  EXPECT_EQ(Mkctl({"create", "namespace", "n1"}, &out), 0) << out;
  EXPECT_EQ(out, "namespace/n1 created\n");
  EXPECT_EQ(Mkctl({"create", "ns", "n1"}, &out), 1);
  EXPECT_EQ(out, "Error from server (AlreadyExists): namespaces \"n1\" already exists\n");
  int code = 0;
  if (Kubectl({"create", "ns", "n1"}, &out, &code)) {
    EXPECT_EQ(code, 1);
    EXPECT_EQ(out, "Error from server (AlreadyExists): namespaces \"n1\" already exists\n");
  }
  EXPECT_EQ(Mkctl({"create", "namespace"}, &out), 1);
  EXPECT_EQ(out,
            "error: exactly one NAME is required, got 0\n"
            "See 'mkctl create namespace -h' for help and examples\n");
  EXPECT_EQ(Mkctl({"create", "namespace", "n2", "--dry-run=client"}, &out), 0);
  EXPECT_EQ(out, "namespace/n2 created (dry run)\n");
  EXPECT_EQ(Mkctl({"get", "ns", "n2"}, &out), 1);
}

constexpr char kPod[] = R"(apiVersion: v1
kind: Pod
metadata:
  name: NAME
  labels: {app: NAME}
spec:
  containers:
  - name: c
    image: nginx
)";

std::string PodYaml(const std::string& name) {
  std::string out = kPod;
  for (size_t at; (at = out.find("NAME")) != std::string::npos;) out.replace(at, 4, name);
  return out;
}

TEST_F(MkctlCreateWaitE2E, WaitForConditionAsKubectl) {
  Setup({"create", "-f", "-"}, PodYaml("w1"));
  EXPECT_EQ(Both({"wait", "--for=condition=Ready", "pod/w1", "--timeout=0"}, 1),
            "error: condition not met for pods/w1\n");
  EXPECT_EQ(Both({"wait", "--for=condition=Ready", "pods", "w1", "--timeout=1s"}, 1),
            "error: timed out waiting for the condition on pods/w1\n");
  // Errors in the order of the arguments, one a line, no "error: " in front.
  EXPECT_EQ(
      Both({"wait", "--for=condition=Ready", "pod/w1", "pod/nope", "--timeout=0"}, 1),
      "condition not met for pods/w1\nError from server (NotFound): pods \"nope\" not found\n");
  EXPECT_EQ(Both({"wait", "--for=condition=Ready", "pod", "-l", "app=none"}, 1),
            "error: no matching resources found\n");
  EXPECT_EQ(Both({"wait", "--for=jsonpath={.metadata.labels.app}=w1", "pod/w1"}, 0),
            "pod/w1 condition met\n");
  EXPECT_EQ(Both({"wait", "--for=jsonpath=.spec.nodeName", "pod/w1", "--timeout=0"}, 1),
            "error: condition not met for pods/w1\n");
  EXPECT_EQ(Both({"wait", "--for=bogus", "pod/w1"}, 1),
            "error: unrecognized condition: \"bogus\"\n");
  EXPECT_EQ(Both({"wait", "--for=delete", "pod"}, 1),
            "error: resource(s) were provided, but no name was specified\n");

  // The status turns Ready while mkctl waits.
  std::string waited;
  int code = -1;
  std::thread waiter([&] {
    code = Mkctl({"-n", "m", "wait", "--for=condition=ready", "pod", "--all", "--timeout=30s"},
                 &waited);
  });
  absl::SleepFor(absl::Seconds(1));
  const std::string ready = R"({"status":{"conditions":[{"type":"Ready","status":"True"}]}})";
  for (const char* ns : {"m", "k"}) {
    MkctlOk({"-n", ns, "patch", "pod", "w1", "--subresource=status", "--type=merge", "-p", ready});
  }
  waiter.join();
  EXPECT_EQ(code, 0) << waited;
  EXPECT_EQ(waited, "pod/w1 condition met\n");
  EXPECT_EQ(Both({"wait", "--for=condition=Ready=true", "pod/w1"}, 0), "pod/w1 condition met\n");
  EXPECT_EQ(Both({"wait", "--for=condition=Ready=False", "pod/w1", "--timeout=0"}, 1),
            "error: condition not met for pods/w1\n");
}

TEST_F(MkctlCreateWaitE2E, WaitForDeploymentAvailableHonoursObservedGeneration) {
  Setup({"create", "deployment", "avail", "--image=nginx"});
  const std::string observed1 =
      R"({"status":{"observedGeneration":1,"conditions":[{"type":"Available","status":"True"}]}})";
  const std::string observed2 =
      R"({"status":{"observedGeneration":2,"conditions":[{"type":"Available","status":"True"}]}})";
  Setup({"patch", "deploy", "avail", "--subresource=status", "--type=merge", "-p", observed1});
  EXPECT_EQ(Both({"wait", "--for=condition=Available", "deploy/avail", "--timeout=0"}, 0),
            "deployment.apps/avail condition met\n");
  // A spec change (generation 2) not yet observed: the condition is stale.
  Setup({"scale", "deploy", "avail", "--replicas=2"});
  EXPECT_EQ(Both({"wait", "--for=condition=Available", "deploy/avail", "--timeout=0"}, 1),
            "error: condition not met for deployments/avail\n");
  Setup({"patch", "deploy", "avail", "--subresource=status", "--type=merge", "-p", observed2});
  EXPECT_EQ(Both({"wait", "--for=condition=Available", "deployment/avail"}, 0),
            "deployment.apps/avail condition met\n");
}

TEST_F(MkctlCreateWaitE2E, WaitForDeleteAndCreate) {
  // Gone already: nothing to wait for, as kubectl.
  EXPECT_EQ(Both({"wait", "--for=delete", "pod/never"}, 0), "");
  EXPECT_EQ(Both({"wait", "--for=delete", "pod", "-l", "app=none"}, 0), "");
  EXPECT_EQ(Both({"wait", "--for=create", "pod/never", "--timeout=1s"}, 1),
            "error: timed out waiting for the condition\n");
  Setup({"create", "-f", "-"}, PodYaml("gone"));
  std::string waited;
  int code = -1;
  std::thread waiter([&] {
    code = Mkctl({"-n", "m", "wait", "--for=delete", "pod/gone", "--timeout=30s"}, &waited);
  });
  absl::SleepFor(absl::Seconds(1));
  MkctlOk({"-n", "m", "delete", "pod", "gone", "--wait=false"});
  waiter.join();
  EXPECT_EQ(code, 0) << waited;
  EXPECT_EQ(waited, "pod/gone condition met\n");
  std::thread creator([&] {
    code = Mkctl({"-n", "m", "wait", "--for=create", "pod/late", "--timeout=30s"}, &waited);
  });
  absl::SleepFor(absl::Seconds(1));
  MkctlOk({"-n", "m", "create", "-f", "-"}, PodYaml("late"));
  creator.join();
  EXPECT_EQ(code, 0) << waited;
  EXPECT_EQ(waited, "pod/late condition met\n");
}

TEST_F(MkctlCreateWaitE2E, ReplaceAsKubectl) {
  testing::TempDir dir;
  const std::string path = dir.Join("rep.yaml");
  std::string manifest = kWebAndNamespace;
  manifest = manifest.substr(0, manifest.find("---"));
  for (size_t at; (at = manifest.find("web")) != std::string::npos;) {
    manifest.replace(at, 3, "rep");
  }
  std::ofstream(path) << manifest;
  EXPECT_EQ(Both({"replace", "-f", path}, 1),
            absl::StrCat("Error from server (NotFound): error when replacing \"", path,
                         "\": deployments.apps \"rep\" not found\n"));
  Setup({"create", "deployment", "rep", "--image=busybox", "--replicas=2"});
  EXPECT_EQ(Both({"replace", "-f", path}, 0), "deployment.apps/rep replaced\n");
  EXPECT_EQ(Both({"get", "deploy", "rep", "-o",
                  "jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image}"},
                 0),
            "1 nginx");
  EXPECT_EQ(Both({"replace", "-f", path, "--dry-run=server", "-o", "name"}, 0),
            "deployment.apps/rep\n");
  EXPECT_EQ(Both({"replace"}, 1), "error: must specify one of -f and -k\n");
}

// create, apply and replace refuse a document whose namespace is not the
// explicit --namespace, before sending anything (kubectl's message).
TEST_F(MkctlCreateWaitE2E, ManifestInAnotherNamespaceIsRefusedBeforeSending) {
  testing::TempDir dir;
  const std::string path = dir.Join("cm.yaml");
  std::ofstream(path) << "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: fine\n---\n"
                         "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: elsewhere\n"
                         "  namespace: other\nspec:\n  selector:\n    matchLabels: {app: x}\n"
                         "  template:\n    metadata:\n      labels: {app: x}\n    spec:\n"
                         "      containers:\n      - name: c\n        image: nginx\n";
  for (const char* verb : {"create", "apply", "replace"}) {
    std::string out;
    EXPECT_EQ(Mkctl({"-n", "m", verb, "-f", path}, &out), 1) << verb;
    EXPECT_EQ(out,
              "error: the namespace from the provided object \"other\" does not match the "
              "namespace \"m\". You must pass '--namespace=other' to perform this operation.\n")
        << verb;
  }
  // Nothing was sent: not even the first document.
  std::string out;
  EXPECT_EQ(Mkctl({"get", "namespace", "fine"}, &out), 1) << out;
}

}  // namespace
}  // namespace minik8s
