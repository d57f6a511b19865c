// ConfigMaps on a whole `minik8s up` cluster (one node, minik8s-store): the
// real kubectl creates, lists, shows and deletes them, mkctl lists them,
// discovery names them (short name cm), and the controller-manager's
// root-ca-cert-publisher keeps kube-root-ca.crt (the cluster CA, from the
// controller-manager's own kubeconfig) in every namespace: a new namespace
// gets it, a deleted one comes back, changed data is put back. Skips when a
// binary is not built.
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "k8s/core/v1/core.pb.h"
#include "testing/cluster_harness.h"
#include "testing/cluster_test.h"
#include "testing/file_util.h"
#include "testing/wait.h"

namespace minik8s::clustertest {
namespace {

using ::minik8s::core::v1::ConfigMap;
using ::minik8s::testing::BackendKind;
using ::minik8s::testing::ClusterHarness;
using ::minik8s::testing::SharedClusterSuite;
using ::minik8s::testing::TableRows;
using ::minik8s::testing::WaitFor;

constexpr char kRootCa[] = "kube-root-ca.crt";

class ConfigMapE2E : public SharedClusterSuite<ConfigMapE2E> {
 protected:
  // kube-root-ca.crt's ca.crt in `ns` once it holds `want` ("" on timeout).
  bool WaitForRootCa(const std::string& ns, const std::string& want, std::string* last) {
    return WaitFor(
        [&] {
          absl::StatusOr<ConfigMap> cm = cluster_->clientset().For<ConfigMap>().Get(ns, kRootCa);
          if (!cm.ok()) {
            *last = cm.status().ToString();
            return false;
          }
          auto it = cm->data().find("ca.crt");
          *last = it == cm->data().end() ? "(no ca.crt)" : it->second;
          return it != cm->data().end() && it->second == want;
        },
        absl::Seconds(30), absl::Milliseconds(100));
  }

  static std::string ClusterCa() { return testing::ReadFile(cluster_->data_dir() + "/pki/ca.crt"); }
};

TEST_F(ConfigMapE2E, KubectlCreatesListsShowsAndDeletes) {
  EXPECT_EQ(KubectlOk({"create", "configmap", "app-config", "--from-literal=a=b",
                       "--from-literal=greeting=hello world"}),
            "configmap/app-config created\n");
  const std::string table = KubectlOk({"get", "cm"});
  EXPECT_TRUE(absl::StartsWith(table, "NAME")) << table;
  EXPECT_NE(table.find("DATA"), std::string::npos) << table;
  bool found = false;
  for (const auto& row : TableRows(table)) {
    if (!row.empty() && row[0] == "app-config") {
      found = true;
      ASSERT_GE(row.size(), 3u) << table;
      EXPECT_EQ(row[1], "2") << table;
    }
  }
  EXPECT_TRUE(found) << table;

  const std::string yaml = KubectlOk({"get", "cm", "app-config", "-o", "yaml"});
  EXPECT_NE(yaml.find("kind: ConfigMap"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("  a: b\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("  greeting: hello world\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("name: app-config"), std::string::npos) << yaml;

  EXPECT_NE(MkctlOk({"get", "configmaps"}).find("app-config"), std::string::npos);
  const std::string resources = KubectlOk({"api-resources", "--api-group="});
  bool listed = false;
  for (const auto& row : TableRows(resources)) {
    if (!row.empty() && row[0] == "configmaps") {
      listed = true;
      EXPECT_EQ(row[1], "cm") << resources;
      EXPECT_EQ(row.back(), "ConfigMap") << resources;
    }
  }
  EXPECT_TRUE(listed) << resources;

  // Kubernetes' validation answers (kubectl create configmap checks keys
  // itself, so a manifest reaches the server).
  std::string out;
  const std::string bad = cluster_->WriteFile(
      "bad.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad}\ndata: {a/b: c}\n");
  EXPECT_NE(cluster_->Kubectl({"apply", "-f", bad}, &out), 0);
  EXPECT_NE(out.find("The ConfigMap \"bad\" is invalid: data[a/b]: Invalid value: \"a/b\": a "
                     "valid config key must consist of alphanumeric characters"),
            std::string::npos)
      << out;

  EXPECT_EQ(KubectlOk({"delete", "cm", "app-config"}), "configmap \"app-config\" deleted\n");
  EXPECT_NE(cluster_->Kubectl({"get", "cm", "app-config"}, &out), 0);
  EXPECT_NE(out.find("configmaps \"app-config\" not found"), std::string::npos) << out;
}

TEST_F(ConfigMapE2E, ImmutableConfigMapsRefuseChanges) {
  const std::string manifest = cluster_->WriteFile("frozen.yaml", R"(apiVersion: v1
kind: ConfigMap
metadata: {name: frozen}
immutable: true
data: {a: "1"}
)");
  KubectlOk({"apply", "-f", manifest});
  std::string out;
  EXPECT_NE(cluster_->Kubectl(
                {"patch", "cm", "frozen", "--type=merge", "-p", R"({"data":{"a":"2"}})"}, &out),
            0);
  EXPECT_NE(out.find("data: Forbidden: field is immutable when `immutable` is set"),
            std::string::npos)
      << out;
  KubectlOk({"delete", "cm", "frozen"});
}

// mkctl's `create configmap` makes what kubectl's does: literals and files.
TEST_F(ConfigMapE2E, MkctlCreatesFromLiteralsAndFiles) {
  const std::string file = cluster_->WriteFile("game.properties", "lives=3\n");
  MkctlOk({"create", "configmap", "game", "--from-literal=mode=easy", "--from-file=" + file});
  EXPECT_EQ(KubectlOk({"get", "cm", "game", "-o", "jsonpath={.data.mode}"}), "easy");
  EXPECT_EQ(KubectlOk({"get", "cm", "game", "-o", "jsonpath={.data.game\\.properties}"}),
            "lives=3\n");
  std::string out;
  EXPECT_NE(Mkctl({"create", "cm", "bad", "--from-literal=novalue"}, &out), 0);
  EXPECT_NE(out.find("invalid literal source novalue, expected key=value"), std::string::npos)
      << out;
  EXPECT_NE(Mkctl({"create", "cm", "game", "--from-literal=a=b"}, &out), 0) << "already exists";
  MkctlOk({"delete", "cm", "game"});
}

TEST_F(ConfigMapE2E, EveryNamespaceGetsTheClusterCa) {
  const std::string ca = ClusterCa();
  ASSERT_NE(ca.find("BEGIN CERTIFICATE"), std::string::npos) << ca;
  std::string last;
  // The namespaces `up` made, and a new one.
  EXPECT_TRUE(WaitForRootCa("default", ca, &last)) << last;
  EXPECT_TRUE(WaitForRootCa("kube-system", ca, &last)) << last;
  KubectlOk({"create", "namespace", "team-a"});
  EXPECT_TRUE(WaitForRootCa("team-a", ca, &last)) << last;
  EXPECT_EQ(KubectlOk({"get", "cm", kRootCa, "-n", "team-a", "-o",
                       "jsonpath={.metadata.annotations.kubernetes\\.io/description}"}),
            "Contains a CA bundle that can be used to verify the kube-apiserver when using "
            "internal endpoints such as the internal service IP or kubernetes.default.svc. No "
            "other usage is guaranteed across distributions of Kubernetes clusters.");

  // Deleted: made again.
  KubectlOk({"delete", "cm", kRootCa, "-n", "team-a"});
  EXPECT_TRUE(WaitForRootCa("team-a", ca, &last)) << last;

  // Changed: put back.
  KubectlOk({"patch", "cm", kRootCa, "-n", "team-a", "--type=merge", "-p",
             R"({"data":{"ca.crt":"not a CA"}})"});
  EXPECT_TRUE(WaitForRootCa("team-a", ca, &last)) << last;

  // A terminating namespace gets nothing: its deletion completes.
  KubectlOk({"delete", "namespace", "team-a", "--wait=false"});
  std::string out;
  EXPECT_TRUE(WaitFor(
      [&] {
        return cluster_->Kubectl({"get", "namespace", "team-a"}, &out) != 0;
      },
      absl::Seconds(60), absl::Milliseconds(200)))
      << out;
  EXPECT_NE(out.find("namespaces \"team-a\" not found"), std::string::npos) << out;
}

}  // namespace
}  // namespace minik8s::clustertest
