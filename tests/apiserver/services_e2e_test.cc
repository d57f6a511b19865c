// Services end to end with the real kubectl (/usr/bin/kubectl, skipped when
// it is not installed) over minik8s-store and minik8s-apiserver: `kubectl
// create service` and `kubectl get svc` output, cluster IP and node port
// allocation, duplicates refused with Kubernetes' messages, the kubernetes
// Service, and allocations kept across an apiserver restart.
#include <unistd.h>

#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "testing/control_plane.h"
#include "testing/subprocess.h"

namespace minik8s {
namespace {

constexpr char kKubectl[] = "/usr/bin/kubectl";

class ServicesE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kKubectl, X_OK) != 0) GTEST_SKIP() << "no " << kKubectl;
    std::string why =
        testing::ControlPlane::MissingPrerequisite(testing::BackendKind::kMinik8sStore);
    if (!why.empty()) GTEST_SKIP() << why;
    cp_ = std::make_unique<testing::ControlPlane>(testing::ControlPlane::Options{
        .apiserver_flags = {"--service-allocator-repair-interval=1s",
                            "--service-cluster-ip-range=10.96.0.0/16",
                            "--service-node-port-range=30000-30100"}});
    ASSERT_TRUE(cp_->Start().ok());
  }

  int Kubectl(std::vector<std::string> args, std::string* out) {
    std::vector<std::string> flags = cp_->KubectlCacheFlags();
    args.insert(args.begin(), flags.begin(), flags.end());
    args.insert(args.begin(),
                {kKubectl, "--server", absl::StrCat("http://127.0.0.1:", cp_->apiserver_port())});
    return testing::RunCommand(args, out, absl::Seconds(60));
  }
  std::string KubectlOk(std::vector<std::string> args) {
    std::string out;
    EXPECT_EQ(Kubectl(args, &out), 0) << absl::StrJoin(args, " ") << "\n" << out;
    return out;
  }
  // The line of `kubectl get svc` naming `name`, split on blanks.
  std::vector<std::string> Row(const std::string& table, const std::string& name) {
    for (absl::string_view line : absl::StrSplit(table, '\n')) {
      std::vector<std::string> cells = absl::StrSplit(line, ' ', absl::SkipEmpty());
      if (!cells.empty() && cells[0] == name) return cells;
    }
    return {};
  }
  std::string Field(const std::string& name, const std::string& jsonpath) {
    return KubectlOk({"get", "svc", name, "-o", absl::StrCat("jsonpath={", jsonpath, "}")});
  }

  std::unique_ptr<testing::ControlPlane> cp_;
};

TEST_F(ServicesE2eTest, CreateGetAllocateRefuseRestart) {
  // The kubernetes Service, its Endpoints and EndpointSlice, made at start.
  std::string table;
  for (int i = 0; i < 100 && Row(table, "kubernetes").empty(); ++i) {
    if (i > 0) usleep(100000);
    Kubectl({"get", "svc"}, &table);
  }
  EXPECT_EQ(Row(table, "kubernetes"),
            (std::vector<std::string>{"kubernetes", "ClusterIP", "10.96.0.1", "<none>", "443/TCP",
                                      Row(table, "kubernetes").back()}))
      << table;
  EXPECT_TRUE(
      absl::StrContains(table, "NAME         TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)"))
      << table;
  EXPECT_TRUE(absl::StrContains(KubectlOk({"get", "endpoints", "kubernetes"}),
                                absl::StrCat("127.0.0.1:", cp_->apiserver_port())));
  EXPECT_TRUE(absl::StrContains(KubectlOk({"get", "endpointslices"}), "IPv4"));

  EXPECT_EQ(KubectlOk({"create", "service", "nodeport", "web", "--tcp=80:8080"}),
            "service/web created\n");
  EXPECT_EQ(
      KubectlOk({"create", "service", "clusterip", "db", "--tcp=5432", "--clusterip=10.96.0.50"}),
      "service/db created\n");
  KubectlOk({"create", "service", "clusterip", "headless", "--clusterip=None"});
  table = KubectlOk({"get", "svc"});
  std::vector<std::string> web = Row(table, "web");
  ASSERT_EQ(web.size(), 6u) << table;
  EXPECT_EQ(web[1], "NodePort");
  EXPECT_TRUE(absl::StartsWith(web[2], "10.96.")) << web[2];
  // 80:<node port>/TCP, the node port from --service-node-port-range
  // (30000-30100, both ends included).
  int port = 0;
  absl::string_view ports = web[4];
  EXPECT_TRUE(absl::ConsumePrefix(&ports, "80:") && absl::ConsumeSuffix(&ports, "/TCP") &&
              absl::SimpleAtoi(ports, &port))
      << web[4];
  EXPECT_GE(port, 30000) << web[4];
  EXPECT_LE(port, 30100) << web[4];
  EXPECT_EQ(Row(table, "db")[2], "10.96.0.50");
  EXPECT_EQ(Row(table, "headless")[2], "None");
  EXPECT_EQ(Row(table, "headless")[4], "<none>");
  const std::string web_ip = Field("web", ".spec.clusterIP");
  const std::string web_node_port = Field("web", ".spec.ports[0].nodePort");

  // Duplicates and values outside the ranges are refused.
  std::string out;
  EXPECT_NE(
      Kubectl({"create", "service", "clusterip", "db2", "--tcp=5432", "--clusterip=10.96.0.50"},
              &out),
      0);
  EXPECT_TRUE(absl::StrContains(
      out,
      "Service \"db2\" is invalid: spec.clusterIPs: Invalid value: []string{\"10.96.0.50\"}: "
      "failed to allocate IP 10.96.0.50: provided IP is already allocated"))
      << out;
  EXPECT_NE(Kubectl({"create", "service", "nodeport", "web2", "--tcp=80:8080",
                     absl::StrCat("--node-port=", web_node_port)},
                    &out),
            0);
  EXPECT_TRUE(absl::StrContains(
      out, absl::StrCat("Service \"web2\" is invalid: spec.ports[0].nodePort: Invalid value: ",
                        web_node_port, ": provided port is already allocated")))
      << out;
  EXPECT_NE(
      Kubectl({"create", "service", "clusterip", "far", "--tcp=80", "--clusterip=10.97.0.5"}, &out),
      0);
  EXPECT_TRUE(absl::StrContains(out, "The range of valid IPs is 10.96.0.0/16")) << out;
  EXPECT_NE(
      Kubectl({"create", "service", "nodeport", "high", "--tcp=80", "--node-port=31000"}, &out), 0);
  EXPECT_TRUE(absl::StrContains(out,
                                "provided port is not in the valid range. The range of "
                                "valid ports is 30000-30100"))
      << out;
  // The cluster IP is immutable.
  EXPECT_NE(Kubectl({"patch", "svc", "db", "-p",
                     R"({"spec":{"clusterIP":"10.96.0.51","clusterIPs":["10.96.0.51"]}})"},
                    &out),
            0);
  EXPECT_TRUE(absl::StrContains(out, "may not change once set")) << out;

  // A restart keeps every allocation: the same values are still refused.
  ASSERT_TRUE(cp_->RestartApiserver(SIGTERM).ok());
  int code = 1;
  for (int i = 0; i < 100; ++i) {
    code = Kubectl(
        {"create", "service", "clusterip", "db3", "--tcp=5432", "--clusterip=10.96.0.50"}, &out);
    if (!absl::StrContains(out, "not ready")) break;
    usleep(100000);
  }
  EXPECT_NE(code, 0);
  EXPECT_TRUE(absl::StrContains(out, "provided IP is already allocated")) << out;
  EXPECT_NE(Kubectl({"create", "service", "clusterip", "web-ip", "--tcp=80",
                     absl::StrCat("--clusterip=", web_ip)},
                    &out),
            0);
  EXPECT_TRUE(absl::StrContains(out, "provided IP is already allocated")) << out;
  EXPECT_NE(Kubectl({"create", "service", "nodeport", "web3", "--tcp=80",
                     absl::StrCat("--node-port=", web_node_port)},
                    &out),
            0);
  EXPECT_TRUE(absl::StrContains(out, "provided port is already allocated")) << out;

  // Deleting frees at once.
  KubectlOk({"delete", "svc", "db"});
  EXPECT_EQ(
      KubectlOk({"create", "service", "clusterip", "db4", "--tcp=5432", "--clusterip=10.96.0.50"}),
      "service/db4 created\n");
  KubectlOk({"delete", "svc", "web"});
  EXPECT_EQ(KubectlOk({"create", "service", "nodeport", "web5", "--tcp=80",
                       absl::StrCat("--node-port=", web_node_port)}),
            "service/web5 created\n");
}

}  // namespace
}  // namespace minik8s
