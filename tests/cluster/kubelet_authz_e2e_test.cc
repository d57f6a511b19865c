// The kubelets' Webhook authorization under `minik8s up` (one node,
// apiserver on TLS): `kubectl logs` works through the apiserver's kubelet
// client, which RBAC grants system:kubelet-api-admin; a user the cluster
// CA knows but RBAC does not is refused by the kubelet with its message;
// bound to a ClusterRole that allows get on nodes/proxy, the same user
// reads logs, and still may not port-forward (create). Skips when a binary
// is not built.
#include <grpcpp/create_channel.h>

#include <chrono>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cluster/plan.h"
#include "common/tls.h"
#include "gtest/gtest.h"
#include "k8s/rbac/v1/rbac.pb.h"
#include "kubelet/v1/kubelet.grpc.pb.h"
#include "pki/cluster_pki.h"
#include "pki/pem_file.h"
#include "testing/client_certificate.h"
#include "testing/cluster_harness.h"
#include "testing/kubelet_api.h"
#include "testing/wait.h"

namespace minik8s::clustertest {
namespace {

using ::minik8s::testing::BackendKind;
using ::minik8s::testing::ClusterHarness;
using ::minik8s::testing::WaitFor;

std::unique_ptr<kubelet::v1::Kubelet::Stub> Dial(const std::string& address,
                                                 const TlsClientFiles& tls) {
  auto credentials = MakeChannelCredentials(tls);
  EXPECT_TRUE(credentials.ok()) << credentials.status();
  return kubelet::v1::Kubelet::NewStub(grpc::CreateChannel(address, *credentials));
}

grpc::Status ReadLogs(const std::string& address, const TlsClientFiles& tls,
                      const std::string& pod) {
  return testing::ReadKubeletLogs(address, {.tls = tls, .pod = pod});
}

grpc::Status PortForward(const std::string& address, const TlsClientFiles& tls,
                         const std::string& pod) {
  auto stub = Dial(address, tls);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto stream = stub->PortForward(&context);
  kubelet::v1::PortForwardRequest first;
  first.set_namespace_("default");
  first.set_pod(pod);
  first.set_port(80);
  stream->Write(first);
  stream->WritesDone();
  kubelet::v1::PortForwardResponse response;
  while (stream->Read(&response)) {
  }
  return stream->Finish();
}

template <typename T>
absl::Status Create(client::ApiClient* api, const char* resource, const T& object) {
  T out;
  return api->Create(resource, "", object, &out);
}

TEST(KubeletAuthzE2E, TheKubeletAsksTheApiserverWhoMayUseItsApi) {
  if (std::string why = ClusterHarness::MissingPrerequisite(BackendKind::kMinik8sStore);
      !why.empty()) {
    GTEST_SKIP() << why;
  }
  // Refusals are kept 1s instead of 30s, so the grant shows at once.
  ClusterHarness cluster(
      {.nodes = 1,
       .up_flags = {"--kubelet-arg=--authorization-webhook-cache-unauthorized-ttl=1s"},
       .apiserver_tls = true});
  absl::Status started = cluster.Start();
  ASSERT_TRUE(started.ok()) << started << "\n" << cluster.Diagnostics();

  std::string out;
  ASSERT_EQ(cluster.Kubectl({"create", "deployment", "web", "--image=nginx"}, &out), 0) << out;
  std::string pod;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto pods = cluster.clientset().Pods().List("default");
        if (!pods.ok() || pods->items.empty()) return false;
        const auto& p = pods->items.front();
        if (p.status().phase() != "Running") return false;
        pod = p.metadata().name();
        return true;
      },
      absl::Seconds(60)))
      << cluster.Diagnostics();

  // The apiserver's kubelet client: no system:masters any more, granted
  // by RBAC; kubectl logs goes through it.
  const pki::ClusterPkiPaths pki =
      pki::ClusterPkiLayout(cluster::PkiDir(cluster.data_dir()), {"node-1"});
  auto kubelet_client = pki::LoadCertificateFile(pki.apiserver_kubelet_client.cert);
  ASSERT_TRUE(kubelet_client.ok()) << kubelet_client.status();
  EXPECT_TRUE(kubelet_client->Organizations().empty());
  ASSERT_EQ(cluster.Kubectl({"logs", pod}, &out), 0) << out << cluster.Diagnostics();
  ASSERT_EQ(cluster.Kubectl({"get", "clusterrolebinding", "minik8s:kubelet-api-admin", "-o",
                             "jsonpath={.roleRef.name} {.subjects[0].name}"},
                            &out),
            0)
      << out;
  EXPECT_EQ(out, "system:kubelet-api-admin kube-apiserver-kubelet-client");

  // alice: a certificate of the cluster CA, and no grant.
  absl::StatusOr<pki::CertKeyPaths> alice =
      ::minik8s::testing::IssueClientCertificate(pki.ca, cluster.data_dir(), "alice", {"dev"});
  ASSERT_TRUE(alice.ok()) << alice.status();
  const TlsClientFiles alice_tls{
      .ca_file = pki.ca.cert, .cert_file = alice->cert, .key_file = alice->key};

  auto node = cluster.clientset().Nodes().Get("", "node-1");
  ASSERT_TRUE(node.ok()) << node.status();
  const std::string kubelet =
      absl::StrCat("127.0.0.1:", node->status().daemon_endpoints().kubelet_endpoint().port());
  grpc::Status refused = ReadLogs(kubelet, alice_tls, pod);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED) << refused.error_message();
  EXPECT_EQ(refused.error_message(),
            "Forbidden (user=alice, verb=get, resource=nodes, subresource(s)=[proxy])");
  // The admin (system:masters) is allowed by the apiserver's answer.
  grpc::Status admin = ReadLogs(kubelet, *cluster.admin_tls(), pod);
  EXPECT_TRUE(admin.ok()) << admin.error_message();

  // Bound to a ClusterRole allowing get on nodes/proxy: served.
  rbac::v1::ClusterRole role;
  role.mutable_metadata()->set_name("node-proxy-reader");
  auto* rule = role.add_rules();
  rule->add_verbs("get");
  rule->add_api_groups("");
  rule->add_resources("nodes/proxy");
  ASSERT_TRUE(Create(cluster.clientset().api(), "clusterroles", role).ok());
  rbac::v1::ClusterRoleBinding binding;
  binding.mutable_metadata()->set_name("alice-node-proxy-reader");
  binding.mutable_role_ref()->set_api_group("rbac.authorization.k8s.io");
  binding.mutable_role_ref()->set_kind("ClusterRole");
  binding.mutable_role_ref()->set_name("node-proxy-reader");
  auto* subject = binding.add_subjects();
  subject->set_kind("User");
  subject->set_api_group("rbac.authorization.k8s.io");
  subject->set_name("alice");
  ASSERT_TRUE(Create(cluster.clientset().api(), "clusterrolebindings", binding).ok());
  grpc::Status served;
  EXPECT_TRUE(WaitFor(
      [&] {
        served = ReadLogs(kubelet, alice_tls, pod);
        return served.ok();
      },
      absl::Seconds(20)))
      << served.error_code() << " " << served.error_message();

  // get is not create: port forwarding stays refused.
  grpc::Status forward = PortForward(kubelet, alice_tls, pod);
  EXPECT_EQ(forward.error_code(), grpc::StatusCode::PERMISSION_DENIED) << forward.error_message();
  EXPECT_EQ(forward.error_message(),
            "Forbidden (user=alice, verb=create, resource=nodes, subresource(s)=[proxy])");

  absl::Status stopped = cluster.Stop();
  EXPECT_TRUE(stopped.ok()) << stopped;
}

}  // namespace
}  // namespace minik8s::clustertest
