// `minik8s join` end to end on one machine, as the issue asks: a cluster
// from `minik8s up` (TLS, Node,RBAC) and a second node joined with the
// command `up` printed, through the address 127.0.0.2 and its own data dir.
// The joining side pins the CA (a wrong --ca-cert-hash sends nothing), the
// kubelet gets its certificate through the bootstrap token and a CSR the
// controller-manager approves and signs, the node registers and runs a pod,
// its service proxy (system:kube-proxy, its certificate approved the same
// way) serves a NodePort Service on the node's address, its kubelet API
// serves logs once an admin approves its serving certificate, and the token
// by itself can do nothing else. Skips when a binary is not
// built.
#include <signal.h>

#include <algorithm>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "client/kubeconfig.h"
#include "cluster/plan.h"
#include "gtest/gtest.h"
#include "pki/pem_file.h"
#include "testing/cluster_harness.h"
#include "testing/file_util.h"
#include "testing/subprocess.h"
#include "testing/tcp_exchange.h"
#include "testing/temp_dir.h"
#include "testing/wait.h"

namespace minik8s::clustertest {
namespace {

using ::minik8s::testing::BackendKind;
using ::minik8s::testing::ClusterHarness;
using ::minik8s::testing::TableRows;
using ::minik8s::testing::WaitFor;

struct JoinCommand {
  std::string server, grpc_server, token, ca_cert_hash;
};

class JoinE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string missing = ClusterHarness::MissingPrerequisite(BackendKind::kMinik8sStore);
    if (!missing.empty()) GTEST_SKIP() << missing;
    cluster_ = std::make_unique<ClusterHarness>(
        ClusterHarness::Options{.backend = BackendKind::kMinik8sStore, .nodes = 1});
    absl::Status s = cluster_->Start();
    ASSERT_TRUE(s.ok()) << s << cluster_->Diagnostics();
    std::smatch m;
    const std::string out = cluster_->UpOutput();
    ASSERT_TRUE(std::regex_search(out, m,
                                  std::regex("minik8s join --server (https://\\S+) --grpc-server "
                                             "(https://\\S+) --token "
                                             "([a-z0-9]{6}\\.[a-z0-9]{16}) --ca-cert-hash "
                                             "(sha256:[0-9a-f]{64})")))
        << out;
    join_ = {m[1], m[2], m[3], m[4]};
  }

  std::vector<std::string> JoinArgv(const std::string& ca_cert_hash) const {
    return {testing::BinPath("minik8s"),
            "join",
            "--server",
            join_.server,
            "--grpc-server",
            join_.grpc_server,
            "--token",
            join_.token,
            "--ca-cert-hash",
            ca_cert_hash,
            "--node-name",
            "joined-1",
            "--node-ip",
            "127.0.0.2",
            "--pod-cidr",
            cluster::NodePodCidr(cluster_->port_base(), 250),
            "--data-dir",
            node_dir_.Join("data"),
            "--port-base",
            absl::StrCat(testing::PickClusterPortBase(0))};
  }

  std::string NodeLogs() const {
    return absl::StrCat(
        "\njoin output:\n", testing::ReadFile(node_dir_.Join("join.log")), "\nkubelet log:\n",
        testing::ReadFile(node_dir_.Join("data/logs/kubelet.log")), "\nproxy log:\n",
        testing::ReadFile(node_dir_.Join("data/logs/proxy.log")), cluster_->Diagnostics());
  }

  std::unique_ptr<ClusterHarness> cluster_;
  JoinCommand join_;
  testing::TempDir node_dir_;
};

TEST_F(JoinE2E, AWrongCaPinSendsNothing) {
  std::string out;
  const int code = testing::RunCommand(JoinArgv(absl::StrCat("sha256:", std::string(64, '0'))),
                                       &out, absl::Seconds(30));
  EXPECT_EQ(code, 1) << out;
  EXPECT_TRUE(absl::StrContains(out, "presented no CA with the public key")) << out;
  // Nothing reached the apiserver: no CSR, and no bootstrap kubeconfig written.
  ASSERT_EQ(cluster_->Mkctl({"get", "csr"}, &out), 0) << out;
  EXPECT_TRUE(absl::StrContains(out, "No resources found")) << out;
  EXPECT_FALSE(testing::ReadFile(node_dir_.Join("data/kubeconfigs/bootstrap-kubelet.conf")) != "");
  EXPECT_EQ(testing::RunCommand(JoinArgv("sha256:abc"), &out, absl::Seconds(30)), 2) << out;
}

TEST_F(JoinE2E, AJoinedNodeGetsItsCertificateRegistersAndRunsPods) {
  // A token of its own, made by `minik8s token create` (kubeadm token create).
  std::string out;
  ASSERT_EQ(testing::RunCommand(
                {testing::BinPath("minik8s"), "token", "create", "--data-dir", cluster_->data_dir(),
                 "--ttl", "1h", "--description", "e2e", "--print-join-command"},
                &out),
            0)
      << out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(out, m, std::regex("--token ([a-z0-9]{6}\\.[a-z0-9]{16}) ")))
      << out;
  EXPECT_NE(m[1], join_.token);
  EXPECT_TRUE(absl::StrContains(out, join_.ca_cert_hash)) << out;
  EXPECT_TRUE(absl::StrContains(out, absl::StrCat("--grpc-server ", join_.grpc_server))) << out;
  join_.token = m[1];
  ASSERT_EQ(
      testing::RunCommand(
          {testing::BinPath("minik8s"), "token", "list", "--data-dir", cluster_->data_dir()}, &out),
      0)
      << out;
  EXPECT_TRUE(absl::StrContains(out, join_.token)) << out;
  EXPECT_EQ(TableRows(out).size(), 2u) << out;

  testing::Subprocess node;
  ASSERT_TRUE(node.Start(JoinArgv(join_.ca_cert_hash), node_dir_.Join("join.log")).ok());
  ASSERT_TRUE(WaitFor(
      [&] {
        return absl::StrContains(testing::ReadFile(node_dir_.Join("join.log")),
                                 "joined the cluster") ||
               node.Exited();
      },
      absl::Seconds(90)))
      << NodeLogs();
  ASSERT_TRUE(node.running()) << NodeLogs();

  // The node is Ready at its own address.
  ASSERT_TRUE(WaitFor(
      [&] {
        return cluster_->Mkctl({"get", "node", "joined-1", "-o", "wide"}, &out) == 0 &&
               absl::StrContains(out, " Ready ");
      },
      absl::Seconds(30)))
      << out << NodeLogs();
  EXPECT_TRUE(absl::StrContains(out, "127.0.0.2")) << out;
  // `minik8s status` on the node's data dir: its three daemons and the
  // cluster's apiserver.
  ASSERT_EQ(
      testing::RunCommand(
          {testing::BinPath("minik8s"), "status", "--data-dir", node_dir_.Join("data")}, &out),
      0)
      << out;
  for (const char* daemon : {"runtime ", "kubelet ", "proxy "}) {
    EXPECT_TRUE(absl::StrContains(out, daemon)) << daemon << out;
  }
  EXPECT_TRUE(absl::StrContains(
      out, absl::StrCat("apiserver: ", join_.server.substr(std::string("https://").size()))))
      << out;

  // The node's kubelet and proxy send their gRPC calls to the apiserver's
  // gRPC port, which their kubeconfigs name.
  for (const char* conf : {"kubelet.conf", "proxy.conf"}) {
    absl::StatusOr<client::ApiClientOptions> options = client::ApiClientOptionsFromKubeconfig(
        node_dir_.Join(absl::StrCat("data/kubeconfigs/", conf)));
    ASSERT_TRUE(options.ok()) << conf << ": " << options.status();
    EXPECT_EQ(options->server, join_.server) << conf;
    EXPECT_EQ(options->grpc_server, join_.grpc_server) << conf;
  }

  // The kubelet's and the proxy's client CSRs, sent with the token,
  // approved and signed by the controller-manager; the serving CSR, sent as
  // the node, waits for an admin.
  const std::string token_id = join_.token.substr(0, 6);
  std::string serving_csr;
  ASSERT_TRUE(WaitFor(
      [&] {
        if (cluster_->Mkctl({"get", "csr"}, &out) != 0) return false;
        for (const auto& row : TableRows(out)) {
          if (row.size() >= 6 && row[2] == "kubernetes.io/kubelet-serving") serving_csr = row[0];
        }
        return TableRows(out).size() == 3 && !serving_csr.empty();
      },
      absl::Seconds(30)))
      << out << NodeLogs();
  std::vector<std::string> client_signers;
  for (const auto& row : TableRows(out)) {
    if (row[0] == serving_csr) {
      EXPECT_EQ(row[3], "system:node:joined-1") << out;
      EXPECT_EQ(row.back(), "Pending") << out;
    } else {
      client_signers.push_back(row[2]);
      EXPECT_EQ(row[3], absl::StrCat("system:bootstrap:", token_id)) << out;
      EXPECT_EQ(row.back(), "Approved,Issued") << out;
    }
  }
  std::sort(client_signers.begin(), client_signers.end());
  EXPECT_EQ(client_signers,
            (std::vector<std::string>{"kubernetes.io/kube-apiserver-client",
                                      "kubernetes.io/kube-apiserver-client-kubelet"}))
      << out;
  auto cert = pki::LoadCertificateFile(node_dir_.Join("data/pki/kubelet-client.crt"));
  ASSERT_TRUE(cert.ok()) << cert.status();
  EXPECT_EQ(cert->CommonName(), "system:node:joined-1");
  EXPECT_EQ(cert->Organizations(), std::vector<std::string>{"system:nodes"});
  auto ca = pki::LoadCertificateFile(node_dir_.Join("data/pki/ca.crt"));
  ASSERT_TRUE(ca.ok()) << ca.status();
  EXPECT_TRUE(cert->VerifySignedBy(*ca).ok());
  auto proxy_cert = pki::LoadCertificateFile(node_dir_.Join("data/pki/kube-proxy.crt"));
  ASSERT_TRUE(proxy_cert.ok()) << proxy_cert.status();
  EXPECT_EQ(proxy_cert->CommonName(), "system:kube-proxy");
  EXPECT_TRUE(proxy_cert->Organizations().empty());
  EXPECT_TRUE(proxy_cert->VerifySignedBy(*ca).ok());

  // A pod for the joined node runs there, at an address of its pod CIDR.
  const std::string pod = cluster_->WriteFile(
      "pod.yaml",
      "apiVersion: v1\nkind: Pod\nmetadata: {name: on-joined, labels: {app: on-joined}}\n"
      "spec:\n"
      "  nodeSelector: {kubernetes.io/hostname: joined-1}\n"
      "  containers: [{name: web, image: nginx:1.25, ports: [{containerPort: 8080}]}]\n");
  ASSERT_EQ(cluster_->Mkctl({"apply", "-f", pod}, &out), 0) << out;
  ASSERT_TRUE(WaitFor(
      [&] {
        return cluster_->Mkctl({"get", "pod", "on-joined", "-o", "wide"}, &out) == 0 &&
               absl::StrContains(out, "Running");
      },
      absl::Seconds(30)))
      << out << NodeLogs();
  const std::string cidr = cluster::NodePodCidr(cluster_->port_base(), 250);
  EXPECT_TRUE(absl::StrContains(out, cidr.substr(0, cidr.rfind('.')))) << out;
  EXPECT_TRUE(absl::StrContains(out, "joined-1")) << out;

  // The joined node's own proxy serves a NodePort Service on the node's
  // address (only that proxy listens on 127.0.0.2) and reaches the pod.
  const std::string svc = cluster_->WriteFile(
      "svc.yaml",
      "apiVersion: v1\nkind: Service\nmetadata: {name: on-joined}\nspec:\n"
      "  type: NodePort\n  selector: {app: on-joined}\n  ports: [{port: 8080}]\n");
  ASSERT_EQ(cluster_->Mkctl({"apply", "-f", svc}, &out), 0) << out;
  int node_port = 0;
  ASSERT_EQ(cluster_->Mkctl({"get", "svc", "on-joined", "-o", "jsonpath={.spec.ports[0].nodePort}"},
                            &out),
            0)
      << out;
  ASSERT_TRUE(absl::SimpleAtoi(absl::StripAsciiWhitespace(out), &node_port)) << out;
  std::string page;
  ASSERT_TRUE(WaitFor(
      [&] {
        testing::TcpExchangeResult r = testing::TcpExchange(
            "127.0.0.2", node_port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        page = r.connected ? r.answer : (r.refused ? "refused" : r.error);
        return absl::StrContains(page, "<title>default/on-joined</title>");
      },
      absl::Seconds(30)))
      << page << NodeLogs();

  // Once an admin approves the serving certificate, the kubelet API starts
  // and the apiserver reaches it (verifying it against the cluster CA).
  ASSERT_EQ(cluster_->Mkctl({"certificate", "approve", serving_csr}, &out), 0) << out;
  ASSERT_TRUE(WaitFor(
      [&] {
        return cluster_->Kubectl({"logs", "on-joined"}, &out) == 0 &&
               absl::StrContains(out, "start worker processes");
      },
      absl::Seconds(30)))
      << out << NodeLogs();

  // The token alone is a bootstrapper, nothing more.
  const std::string token_kubeconfig = cluster_->WriteFile(
      "token.kubeconfig",
      absl::StrCat("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n"
                   "    server: ",
                   join_.server, "\n    certificate-authority: ", cluster_->data_dir(),
                   "/pki/ca.crt\nusers:\n- name: u\n  user:\n    token: ", join_.token,
                   "\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n"
                   "current-context: x\n"));
  ASSERT_NE(testing::RunCommand({"/usr/bin/kubectl", "--kubeconfig", token_kubeconfig,
                                 "--cache-dir", node_dir_.Join("kubectl-cache"), "get", "pods"},
                                &out),
            0)
      << out;
  EXPECT_TRUE(absl::StrContains(
      out, absl::StrCat("User \"system:bootstrap:", token_id, "\" cannot list resource \"pods\"")))
      << out;

  // Stopped and started again, the node keeps its certificate: no new CSR.
  ASSERT_EQ(node.Stop(SIGTERM, absl::Seconds(30)), 0) << NodeLogs();
  ASSERT_TRUE(node.Start(JoinArgv(join_.ca_cert_hash), node_dir_.Join("join2.log")).ok());
  ASSERT_TRUE(WaitFor(
      [&] {
        return absl::StrContains(testing::ReadFile(node_dir_.Join("join2.log")),
                                 "joined the cluster") ||
               node.Exited();
      },
      absl::Seconds(90)))
      << NodeLogs();
  ASSERT_EQ(cluster_->Mkctl({"get", "csr"}, &out), 0) << out;
  EXPECT_EQ(TableRows(out).size(), 3u) << out;
  EXPECT_TRUE(absl::StrContains(testing::ReadFile(node_dir_.Join("data/logs/kubelet.log")),
                                "kubelet API (logs, port forwarding) on 127.0.0.2"))
      << NodeLogs();
  EXPECT_EQ(node.Stop(SIGTERM, absl::Seconds(30)), 0) << NodeLogs();
}

}  // namespace
}  // namespace minik8s::clustertest
