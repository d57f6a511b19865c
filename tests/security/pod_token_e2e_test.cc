// Pod-bound ServiceAccount tokens end to end, on a `minik8s up` cluster
// (TLS, RBAC, the Node authorizer, a signing key) with the real kubectl:
// a pod created right after its namespace gets the kube-api-access- volume
// (kubectl get pod -o yaml); `kubectl create token default
// --bound-object-kind Pod ...` gives a token that `kubectl auth whoami`
// shows as the account, with the pod and its node in the user's extra; a
// wrong uid is a Conflict; once the pod is deleted the token is refused
// (401). Skips when the binaries or kubectl are missing.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "testing/cluster_harness.h"
#include "testing/file_util.h"
#include "testing/store_backend.h"
#include "testing/wait.h"
#include "yaml-cpp/yaml.h"

namespace minik8s::security {
namespace {

using ::minik8s::testing::BackendKind;
using ::minik8s::testing::ClusterHarness;

// `text` without any whitespace, so YAML and JSON compare by content.
std::string Squeezed(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (!absl::ascii_isspace(static_cast<unsigned char>(c))) out.push_back(c);
  }
  return out;
}

constexpr char kPod[] = R"(apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  initContainers:
  - name: setup
    image: busybox
    command: ["true"]
  containers:
  - name: app
    image: nginx
)";

TEST(PodTokenE2E, PodsGetTokenVolumesAndPodBoundTokensEndWithTheirPod) {
  if (std::string why = ClusterHarness::MissingPrerequisite(BackendKind::kMinik8sStore);
      !why.empty()) {
    GTEST_SKIP() << why;
  }
  if (testing::FindOnPath("kubectl").empty()) GTEST_SKIP() << "kubectl is not installed";
  ClusterHarness cluster({.nodes = 1, .apiserver_tls = true});
  absl::Status started = cluster.Start();
  ASSERT_TRUE(started.ok()) << started << "\n" << cluster.Diagnostics();

  // A namespace and at once a pod in it: admission waits for the
  // controller-manager's "default" ServiceAccount.
  std::string out;
  ASSERT_EQ(cluster.Kubectl({"create", "namespace", "tokens"}, &out), 0) << out;
  const std::string manifest = cluster.WriteFile("pod.yaml", kPod);
  ASSERT_EQ(cluster.Kubectl({"apply", "-n", "tokens", "-f", manifest}, &out), 0)
      << out << "\n"
      << cluster.Diagnostics();
  EXPECT_EQ(out, "pod/web created\n");

  ASSERT_EQ(cluster.Kubectl({"get", "pod", "web", "-n", "tokens", "-o", "yaml"}, &out), 0) << out;
  YAML::Node pod = YAML::Load(out);
  EXPECT_EQ(pod["spec"]["serviceAccountName"].as<std::string>(""), "default");
  ASSERT_EQ(pod["spec"]["volumes"].size(), 1u) << out;
  YAML::Node volume = pod["spec"]["volumes"][0];
  const std::string volume_name = volume["name"].as<std::string>("");
  EXPECT_TRUE(absl::StartsWith(volume_name, "kube-api-access-")) << out;
  EXPECT_EQ(volume_name.size(), 21u) << volume_name;
  EXPECT_EQ(volume["projected"]["defaultMode"].as<int>(0), 420) << out;
  YAML::Node sources = volume["projected"]["sources"];
  ASSERT_EQ(sources.size(), 3u) << out;
  EXPECT_EQ(sources[0]["serviceAccountToken"]["expirationSeconds"].as<int>(0), 3607);
  EXPECT_EQ(sources[0]["serviceAccountToken"]["path"].as<std::string>(""), "token");
  EXPECT_EQ(sources[1]["configMap"]["name"].as<std::string>(""), "kube-root-ca.crt");
  EXPECT_EQ(sources[1]["configMap"]["items"][0]["key"].as<std::string>(""), "ca.crt");
  EXPECT_EQ(sources[2]["downwardAPI"]["items"][0]["fieldRef"]["fieldPath"].as<std::string>(""),
            "metadata.namespace");
  for (const char* list : {"initContainers", "containers"}) {
    YAML::Node mounts = pod["spec"][list][0]["volumeMounts"];
    ASSERT_EQ(mounts.size(), 1u) << list << "\n" << out;
    EXPECT_EQ(mounts[0]["name"].as<std::string>(""), volume_name);
    EXPECT_EQ(mounts[0]["mountPath"].as<std::string>(""),
              "/var/run/secrets/kubernetes.io/serviceaccount");
    EXPECT_TRUE(mounts[0]["readOnly"].as<bool>(false));
  }
  const std::string uid = pod["metadata"]["uid"].as<std::string>("");
  ASSERT_FALSE(uid.empty()) << out;

  // Scheduled, so that the token names the node.
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        return cluster.Kubectl(
                   {"get", "pod", "web", "-n", "tokens", "-o", "jsonpath={.spec.nodeName}"},
                   &out) == 0 &&
               out == "node-1";
      },
      absl::Seconds(30)))
      << out;

  // A wrong uid is Kubernetes' Conflict.
  EXPECT_NE(cluster.Kubectl({"create", "token", "default", "-n", "tokens", "--bound-object-kind",
                             "Pod", "--bound-object-name", "web", "--bound-object-uid", "not-it"},
                            &out),
            0);
  EXPECT_TRUE(absl::StrContains(
      out,
      "Operation cannot be fulfilled on Pod \"web\": the UID in the bound object reference "
      "(not-it) does not match the UID in record. The object might have been deleted and "
      "then recreated"))
      << out;

  ASSERT_EQ(cluster.Kubectl({"create", "token", "default", "-n", "tokens", "--bound-object-kind",
                             "Pod", "--bound-object-name", "web", "--bound-object-uid", uid},
                            &out),
            0)
      << out;
  const std::string token(absl::StripTrailingAsciiWhitespace(out));

  // A kubeconfig whose only credential is the token.
  YAML::Node admin = YAML::LoadFile(cluster.kubeconfig());
  YAML::Node config;
  config["apiVersion"] = "v1";
  config["kind"] = "Config";
  YAML::Node named_cluster;
  named_cluster["name"] = "minik8s";
  named_cluster["cluster"] = admin["clusters"][0]["cluster"];
  config["clusters"].push_back(named_cluster);
  YAML::Node user;
  user["name"] = "pod";
  user["user"]["token"] = token;
  config["users"].push_back(user);
  YAML::Node context;
  context["name"] = "pod";
  context["context"]["cluster"] = "minik8s";
  context["context"]["user"] = "pod";
  config["contexts"].push_back(context);
  config["current-context"] = "pod";
  const std::string as_pod = cluster.WriteFile("pod-token.conf", YAML::Dump(config));
  auto whoami = [&](std::string* result) {
    return cluster.Kubectl({"--kubeconfig", as_pod, "auth", "whoami", "-o", "yaml"}, result);
  };

  ASSERT_EQ(whoami(&out), 0) << out;
  const std::string squeezed = Squeezed(out);
  EXPECT_TRUE(absl::StrContains(squeezed, "username:system:serviceaccount:tokens:default")) << out;
  EXPECT_TRUE(absl::StrContains(squeezed, "authentication.kubernetes.io/pod-name:-web")) << out;
  EXPECT_TRUE(
      absl::StrContains(squeezed, absl::StrCat("authentication.kubernetes.io/pod-uid:-", uid)))
      << out;
  EXPECT_TRUE(absl::StrContains(squeezed, "authentication.kubernetes.io/node-name:-node-1")) << out;
  EXPECT_TRUE(absl::StrContains(squeezed, "authentication.kubernetes.io/node-uid:-")) << out;
  EXPECT_TRUE(absl::StrContains(squeezed, "authentication.kubernetes.io/credential-id:-JTI="))
      << out;

  // The pod goes: its token stops working.
  ASSERT_EQ(cluster.Kubectl({"delete", "pod", "web", "-n", "tokens", "--grace-period=0", "--force"},
                            &out),
            0)
      << out;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        return cluster.Kubectl({"get", "pod", "web", "-n", "tokens"}, &out) != 0 &&
               absl::StrContains(out, "NotFound");
      },
      absl::Seconds(30)))
      << out;
  ASSERT_TRUE(testing::WaitFor([&] { return whoami(&out) != 0; }, absl::Seconds(10))) << out;
  EXPECT_TRUE(absl::StrContains(out, "Unauthorized")) << out;
}

}  // namespace
}  // namespace minik8s::security
