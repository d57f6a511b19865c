// Pod volumes under `minik8s up` (one node, minik8s-store, TLS): the kubelet
// writes configMap, secret and the ServiceAccount's projected volume under
// its --root-dir and the fake runtime's shell reads them through the CRI
// mounts (kubelet/volume_manager.h, runtime/README.md "Mounts"). A pod whose
// ConfigMap is missing waits in ContainerCreating with a FailedMount Event
// and starts once the ConfigMap exists. Two containers share an emptyDir
// (one of them read-only), a hostPath DirectoryOrCreate is made on the host,
// and a hostPath of the wrong type is a FailedMount. Environment variables
// take ConfigMap and Secret keys (CreateContainerConfigError while a key is
// missing). The token the kubelet wrote
// authenticates as the pod's ServiceAccount (the real kubectl's
// `auth whoami`, with only the token). Skips when a binary is not built.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/cluster_harness.h"
#include "testing/cluster_test.h"
#include "testing/subprocess.h"
#include "testing/wait.h"

namespace minik8s::clustertest {
namespace {

namespace fs = std::filesystem;
using ::minik8s::testing::BackendKind;
using ::minik8s::testing::ClusterHarness;
using ::minik8s::testing::SharedClusterSuite;
using ::minik8s::testing::TableRows;
using ::minik8s::testing::WaitFor;
using ::testing::HasSubstr;

class VolumesE2E : public SharedClusterSuite<VolumesE2E> {
 protected:
  // The STATUS column of `mkctl get pod NAME` ("" when it cannot be read).
  std::string PodStatus(const std::string& name) {
    std::string out;
    if (cluster_->Mkctl({"get", "pod", name}, &out) != 0) return "";
    auto rows = TableRows(out);
    return rows.size() == 1 && rows[0].size() > 2 ? rows[0][2] : "";
  }

  // Waits until `mkctl logs POD` holds every line of `want`.
  bool WaitForLogs(const std::string& pod, const std::vector<std::string>& want, std::string* out) {
    return WaitFor(
        [&] {
          if (cluster_->Mkctl({"logs", pod}, out) != 0) return false;
          for (const std::string& w : want) {
            if (!absl::StrContains(*out, w)) return false;
          }
          return true;
        },
        absl::Seconds(60));
  }
};

TEST_F(VolumesE2E, ConfigMapAndSecretVolumesAreReadByTheContainer) {
  MkctlOk({"apply", "-f", "-"},
          "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-config}\n"
          "data: {a: config-value-a}\n---\n"
          "apiVersion: v1\nkind: Secret\nmetadata: {name: app-secret}\n"
          "stringData: {b: secret-value-b}\n");
  MkctlOk({"apply", "-f", "-"},
          "apiVersion: v1\nkind: Pod\nmetadata: {name: reader}\nspec:\n"
          "  restartPolicy: Never\n  containers:\n  - name: main\n    image: busybox:1.36\n"
          "    command: [sh, -c, 'cat /etc/cfg/a; cat /etc/sec/b; echo x > /etc/cfg/a']\n"
          "    volumeMounts:\n    - {name: cfg, mountPath: /etc/cfg}\n"
          "    - {name: sec, mountPath: /etc/sec}\n"
          "  volumes:\n  - name: cfg\n    configMap: {name: app-config}\n"
          "  - name: sec\n    secret: {secretName: app-secret}\n");
  std::string logs;
  EXPECT_TRUE(WaitForLogs(
      "reader",
      {"config-value-a", "secret-value-b", "sh: can't create /etc/cfg/a: Read-only file system"},
      &logs))
      << logs;
  // The write failed with status 1: the pod ends in Error.
  EXPECT_TRUE(WaitFor([&] { return PodStatus("reader") == "Error"; }, absl::Seconds(30)))
      << MkctlOk({"get", "pod", "reader"});
  // The files are on disk under the node's --root-dir, and go with the pod.
  std::string uid = MkctlOk({"get", "pod", "reader", "-o", "jsonpath={.metadata.uid}"});
  ASSERT_FALSE(uid.empty());
  const fs::path pod_dir = fs::path(cluster_->data_dir()) / "kubelet" / "node-1" / "pods" / uid;
  EXPECT_TRUE(fs::exists(pod_dir / "volumes" / "kubernetes.io~configmap" / "cfg" / "..data"));
  MkctlOk({"delete", "pod", "reader", "--grace-period=0"});
  EXPECT_TRUE(WaitFor([&] { return !fs::exists(pod_dir); }, absl::Seconds(30)))
      << pod_dir << " is still there";
}

TEST_F(VolumesE2E, AMissingConfigMapHoldsThePodUntilItIsCreated) {
  MkctlOk({"apply", "-f", "-"},
          "apiVersion: v1\nkind: Pod\nmetadata: {name: waiter}\nspec:\n"
          "  containers:\n  - name: main\n    image: busybox:1.36\n"
          "    command: [sh, -c, 'cat /etc/late/k; sleep 3600']\n"
          "    volumeMounts:\n    - {name: late, mountPath: /etc/late}\n"
          "  volumes:\n  - name: late\n    configMap: {name: late-config}\n");
  std::string events;
  ASSERT_TRUE(WaitFor(
      [&] {
        events = MkctlOk({"get", "events", "--field-selector", "involvedObject.name=waiter"});
        return absl::StrContains(events, "FailedMount");
      },
      absl::Seconds(60)))
      << events;
  EXPECT_THAT(events, HasSubstr("MountVolume.SetUp failed for volume \"late\" : configmap "
                                "\"late-config\" not found"));
  EXPECT_EQ(PodStatus("waiter"), "ContainerCreating");
  MkctlOk(
      {"apply", "-f", "-"},
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: late-config}\ndata: {k: late-value}\n");
  EXPECT_TRUE(WaitFor([&] { return PodStatus("waiter") == "Running"; }, absl::Seconds(60)))
      << MkctlOk({"get", "pod", "waiter"});
  std::string logs;
  EXPECT_TRUE(WaitForLogs("waiter", {"late-value"}, &logs)) << logs;
  MkctlOk({"delete", "pod", "waiter", "--grace-period=0"});
}

TEST_F(VolumesE2E, ContainersShareAnEmptyDirAndWriteToAHostPath) {
  const fs::path host = fs::path(cluster_->data_dir()) / "host-share";
  MkctlOk({"apply", "-f", "-"},
          absl::StrCat(
              "apiVersion: v1\nkind: Pod\nmetadata: {name: sharer}\nspec:\n"
              "  containers:\n  - name: writer\n    image: busybox:1.36\n"
              "    command: [sh, -c, 'echo shared-hello > /data/msg; echo on-host > /host/out; "
              "sleep 3600']\n"
              "    volumeMounts:\n    - {name: scratch, mountPath: /data}\n"
              "    - {name: out, mountPath: /host}\n"
              "  - name: reader\n    image: busybox:1.36\n"
              "    command: [sh, -c, 'sleep 2; cat /data/msg; echo x > /data/msg; sleep 3600']\n"
              "    volumeMounts:\n    - {name: scratch, mountPath: /data, readOnly: true}\n"
              "  volumes:\n  - name: scratch\n    emptyDir: {}\n"
              "  - name: out\n    hostPath: {path: '",
              host.string(), "', type: DirectoryOrCreate}\n"));
  std::string logs;
  EXPECT_TRUE(WaitFor(
      [&] {
        if (cluster_->Mkctl({"logs", "sharer", "-c", "reader"}, &logs) != 0) return false;
        return absl::StrContains(logs, "shared-hello") &&
               absl::StrContains(logs, "sh: can't create /data/msg: Read-only file system");
      },
      absl::Seconds(60)))
      << logs;
  std::string uid = MkctlOk({"get", "pod", "sharer", "-o", "jsonpath={.metadata.uid}"});
  ASSERT_FALSE(uid.empty());
  const fs::path pod_dir = fs::path(cluster_->data_dir()) / "kubelet" / "node-1" / "pods" / uid;
  EXPECT_TRUE(fs::exists(pod_dir / "volumes" / "kubernetes.io~empty-dir" / "scratch" / "msg"));
  EXPECT_TRUE(fs::exists(host / "out")) << "DirectoryOrCreate made the folder, the writer the file";
  MkctlOk({"delete", "pod", "sharer", "--grace-period=0"});
  EXPECT_TRUE(WaitFor([&] { return !fs::exists(pod_dir); }, absl::Seconds(30)))
      << "the emptyDir goes with the pod";
  EXPECT_TRUE(fs::exists(host / "out")) << "a hostPath stays";
}

TEST_F(VolumesE2E, EnvironmentFromConfigMapAndSecretKeys) {
  MkctlOk({"apply", "-f", "-"},
          "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: env-config}\n"
          "data: {mode: production}\n---\n"
          "apiVersion: v1\nkind: Secret\nmetadata: {name: env-secret}\n"
          "stringData: {password: hunter2}\n");
  MkctlOk({"apply", "-f", "-"},
          "apiVersion: v1\nkind: Pod\nmetadata: {name: env-reader}\nspec:\n"
          "  containers:\n  - name: main\n    image: busybox:1.36\n"
          "    command: [sh, -c, 'echo mode=$MODE password=$PASSWORD extra=$EXTRA "
          "from=$CFG_mode/$password; sleep 3600']\n"
          "    envFrom:\n    - {prefix: CFG_, configMapRef: {name: env-config}}\n"
          "    - secretRef: {name: env-secret}\n"
          "    env:\n"
          "    - name: MODE\n      valueFrom: {configMapKeyRef: {name: env-config, key: mode}}\n"
          "    - name: PASSWORD\n"
          "      valueFrom: {secretKeyRef: {name: env-secret, key: password}}\n"
          "    - name: EXTRA\n"
          "      valueFrom: {configMapKeyRef: {name: absent, key: k, optional: true}}\n");
  std::string logs;
  EXPECT_TRUE(WaitForLogs(
      "env-reader", {"mode=production password=hunter2 extra= from=production/hunter2"}, &logs))
      << logs;

  // A key that is not there: CreateContainerConfigError until it is.
  MkctlOk(
      {"apply", "-f", "-"},
      "apiVersion: v1\nkind: Pod\nmetadata: {name: env-waiter}\nspec:\n"
      "  containers:\n  - name: main\n    image: busybox:1.36\n"
      "    command: [sh, -c, 'echo level=$LEVEL; sleep 3600']\n"
      "    env:\n"
      "    - name: LEVEL\n      valueFrom: {configMapKeyRef: {name: env-config, key: level}}\n");
  EXPECT_TRUE(WaitFor([&] { return PodStatus("env-waiter") == "CreateContainerConfigError"; },
                      absl::Seconds(60)))
      << MkctlOk({"get", "pod", "env-waiter"});
  std::string events =
      MkctlOk({"get", "events", "--field-selector", "involvedObject.name=env-waiter"});
  EXPECT_THAT(events, HasSubstr("Error: couldn't find key level in ConfigMap default/env-config"));
  MkctlOk({"apply", "-f", "-"},
          "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: env-config}\n"
          "data: {mode: production, level: debug}\n");
  EXPECT_TRUE(WaitForLogs("env-waiter", {"level=debug"}, &logs)) << logs;
  MkctlOk({"delete", "pod", "env-reader", "env-waiter", "--grace-period=0"});
}

TEST_F(VolumesE2E, DownwardEnvAndReferencesToOtherVariables) {
  MkctlOk({"apply", "-f", "-"},
          "apiVersion: v1\nkind: Pod\nmetadata: {name: env-refs, labels: {tier: web}}\nspec:\n"
          "  restartPolicy: Never\n"
          "  containers:\n  - name: main\n    image: busybox:1.36\n"
          // No shell: the kubelet expands the references in the command.
          "    command: [echo, '$(GREETING)', 'cpu=$(CPU_M)', 'mem=$(MEM_MI)', "
          "'node=$(NODE_CPUS)', 'tier=$(TIER)', 'sa=$(SA)', 'host=$(HOST_IP)', "
          "'literal=$$(GREETING)']\n"
          "    resources:\n"
          "      requests: {cpu: 250m, memory: 64Mi}\n"
          "      limits: {memory: 128Mi}\n"
          "    env:\n"
          "    - {name: NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}\n"
          "    - {name: GREETING, value: 'hello-$(NAME)-$(UNDEFINED)'}\n"
          "    - name: CPU_M\n"
          "      valueFrom: {resourceFieldRef: {resource: requests.cpu, divisor: 1m}}\n"
          "    - name: MEM_MI\n"
          "      valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}\n"
          "    - name: NODE_CPUS\n"
          "      valueFrom: {resourceFieldRef: {resource: limits.cpu}}\n"
          "    - {name: TIER, valueFrom: {fieldRef: {fieldPath: \"metadata.labels['tier']\"}}}\n"
          "    - {name: SA, valueFrom: {fieldRef: {fieldPath: spec.serviceAccountName}}}\n"
          "    - {name: HOST_IP, valueFrom: {fieldRef: {fieldPath: status.hostIP}}}\n");
  // The node's CPUs stand for the unset CPU limit (minik8s up's nodes have 4).
  std::string logs;
  EXPECT_TRUE(WaitForLogs("env-refs",
                          {"hello-env-refs-$(UNDEFINED) cpu=250 mem=128 node=4 tier=web "
                           "sa=default host=127.0.0.1 literal=$(GREETING)"},
                          &logs))
      << logs;
  MkctlOk({"delete", "pod", "env-refs", "--grace-period=0"});
}

TEST_F(VolumesE2E, AHostPathOfTheWrongTypeIsAFailedMount) {
  const std::string missing = (fs::path(cluster_->data_dir()) / "no-such-dir").string();
  MkctlOk({"apply", "-f", "-"},
          absl::StrCat("apiVersion: v1\nkind: Pod\nmetadata: {name: hostless}\nspec:\n"
                       "  containers:\n  - name: main\n    image: busybox:1.36\n"
                       "    command: [sh, -c, 'sleep 3600']\n"
                       "    volumeMounts:\n    - {name: h, mountPath: /h}\n"
                       "  volumes:\n  - name: h\n    hostPath: {path: '",
                       missing, "', type: Directory}\n"));
  std::string events;
  EXPECT_TRUE(WaitFor(
      [&] {
        events = MkctlOk({"get", "events", "--field-selector", "involvedObject.name=hostless"});
        return absl::StrContains(events, "FailedMount");
      },
      absl::Seconds(60)))
      << events;
  EXPECT_THAT(events, HasSubstr(absl::StrCat("hostPath type check failed: ", missing,
                                             " is not a directory")));
  EXPECT_EQ(PodStatus("hostless"), "ContainerCreating");
  MkctlOk({"delete", "pod", "hostless", "--grace-period=0"});
}

TEST_F(VolumesE2E, TheServiceAccountVolumeGivesNamespaceCaAndAWorkingToken) {
  MkctlOk({"apply", "-f", "-"}, "apiVersion: v1\nkind: Namespace\nmetadata: {name: team-a}\n");
  // The namespace's default ServiceAccount and kube-root-ca.crt come from
  // controllers: admission waits a while for the former.
  MkctlOk({"apply", "-n", "team-a", "-f", "-"},
          "apiVersion: v1\nkind: Pod\nmetadata: {name: sa-reader}\nspec:\n"
          "  containers:\n  - name: main\n    image: busybox:1.36\n"
          "    command: [sh, -c, 'cat /var/run/secrets/kubernetes.io/serviceaccount/namespace; "
          "ls /var/run/secrets/kubernetes.io/serviceaccount; sleep 3600']\n");
  std::string logs;
  ASSERT_TRUE(WaitFor(
      [&] {
        return cluster_->Mkctl({"logs", "-n", "team-a", "sa-reader"}, &logs) == 0 &&
               absl::StrContains(logs, "token");
      },
      absl::Seconds(60)))
      << logs << MkctlOk({"get", "events", "-n", "team-a"});
  EXPECT_EQ(logs, "team-a\nca.crt\nnamespace\ntoken\n");

  // The token file, read from the kubelet's root dir, is the pod's
  // ServiceAccount to the apiserver.
  std::string uid =
      MkctlOk({"get", "pod", "-n", "team-a", "sa-reader", "-o", "jsonpath={.metadata.uid}"});
  const fs::path projected = fs::path(cluster_->data_dir()) / "kubelet" / "node-1" / "pods" / uid /
                             "volumes" / "kubernetes.io~projected";
  std::string token;
  for (const auto& e : fs::directory_iterator(projected)) {
    std::ifstream in(e.path() / "token");
    token.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  ASSERT_FALSE(token.empty()) << projected;
  if (!fs::exists("/usr/bin/kubectl")) GTEST_SKIP() << "no /usr/bin/kubectl for auth whoami";
  ASSERT_TRUE(cluster_->admin_tls().has_value());
  // Only the token: no kubeconfig, so no client certificate (which would
  // win over it).
  std::string out;
  const int rc =
      testing::RunCommand({"/usr/bin/kubectl", "--kubeconfig=/dev/null",
                           absl::StrCat("--server=https://", cluster_->api()),
                           absl::StrCat("--certificate-authority=", cluster_->admin_tls()->ca_file),
                           absl::StrCat("--token=", token), "auth", "whoami"},
                          &out, absl::Seconds(60));
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("system:serviceaccount:team-a:default"));
  EXPECT_THAT(out, HasSubstr("sa-reader"));  // the pod it is bound to
  MkctlOk({"delete", "namespace", "team-a", "--wait=false"});
}

}  // namespace
}  // namespace minik8s::clustertest
