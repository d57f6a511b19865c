#include "kubelet/node_status.h"

#include "api/time.h"
#include "common/version.h"
#include "gtest/gtest.h"

namespace minik8s::kubelet {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1700000000);

NodeConfig Config() {
  NodeConfig c;
  c.name = "node-1";
  c.labels = {{"tier", "edge"}};
  c.cpu = "8";
  c.memory = "16Gi";
  c.max_pods = 50;
  c.pod_cidr = "10.244.3.0/24";
  c.kubelet_port = 10250;
  c.container_runtime_version = "minik8s-runtime://0.1.0";
  return c;
}

TEST(ParseTaints, Forms) {
  auto t = ParseTaints("dedicated=gpu:NoSchedule, spot:PreferNoSchedule");
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->size(), 2u);
  EXPECT_EQ((*t)[0].key(), "dedicated");
  EXPECT_EQ((*t)[0].value(), "gpu");
  EXPECT_EQ((*t)[0].effect(), "NoSchedule");
  EXPECT_EQ((*t)[1].key(), "spot");
  EXPECT_EQ((*t)[1].value(), "");
  EXPECT_FALSE(ParseTaints("a=b").ok());
  EXPECT_FALSE(ParseTaints("a=b:Sometimes").ok());
  EXPECT_TRUE(ParseTaints("")->empty());
}

TEST(ParseLabels, Forms) {
  auto l = ParseLabels("a=1,b=");
  ASSERT_TRUE(l.ok());
  EXPECT_EQ((*l)["a"], "1");
  EXPECT_EQ((*l)["b"], "");
  EXPECT_FALSE(ParseLabels("novalue").ok());
}

TEST(BuildNode, LabelsCapacityAddressesInfo) {
  auto node = BuildNode(Config());
  const auto& labels = node.metadata().labels();
  EXPECT_EQ(labels.at("kubernetes.io/hostname"), "node-1");
  EXPECT_EQ(labels.at("kubernetes.io/os"), "linux");
  EXPECT_TRUE(labels.contains("kubernetes.io/arch"));
  EXPECT_EQ(labels.at("tier"), "edge");
  EXPECT_EQ(node.spec().pod_cidr(), "10.244.3.0/24");
  EXPECT_EQ(node.status().capacity().at("cpu").value(), "8");
  EXPECT_EQ(node.status().allocatable().at("memory").value(), "16Gi");
  EXPECT_EQ(node.status().capacity().at("pods").value(), "50");
  ASSERT_EQ(node.status().addresses_size(), 2);
  EXPECT_EQ(node.status().addresses(0).type(), "InternalIP");
  EXPECT_EQ(node.status().addresses(0).address(), "127.0.0.1");
  EXPECT_EQ(node.status().addresses(1).type(), "Hostname");
  EXPECT_EQ(node.status().node_info().kubelet_version(), version::kGitVersion);
  EXPECT_EQ(node.status().node_info().container_runtime_version(), "minik8s-runtime://0.1.0");
  EXPECT_EQ(node.status().daemon_endpoints().kubelet_endpoint().port(), 10250);
}

TEST(BuildNodeStatus, ReadyAndNoPressure) {
  auto st = BuildNodeStatus(Config(), {}, kNow);
  std::map<std::string, const minik8s::core::v1::NodeCondition*> by_type;
  for (const auto& c : st.conditions()) by_type[c.type()] = &c;
  ASSERT_TRUE(by_type.contains("Ready"));
  EXPECT_EQ(by_type["Ready"]->status(), "True");
  EXPECT_EQ(by_type["Ready"]->reason(), "KubeletReady");
  EXPECT_EQ(by_type["Ready"]->message(), "kubelet is posting ready status");
  for (const char* t : {"MemoryPressure", "DiskPressure", "PIDPressure"}) {
    ASSERT_TRUE(by_type.contains(t)) << t;
    EXPECT_EQ(by_type[t]->status(), "False");
  }
  // Later: same apart from heartbeats, transition times kept.
  auto later = BuildNodeStatus(Config(), st, kNow + absl::Seconds(10));
  EXPECT_TRUE(SameNodeStatusIgnoringHeartbeat(st, later));
  EXPECT_EQ(api::FromProtoTime(later.conditions(3).last_transition_time()), kNow);
  EXPECT_EQ(api::FromProtoTime(later.conditions(3).last_heartbeat_time()),
            kNow + absl::Seconds(10));
  NodeConfig other = Config();
  other.cpu = "4";
  EXPECT_FALSE(SameNodeStatusIgnoringHeartbeat(st, BuildNodeStatus(other, st, kNow)));
}

TEST(BuildNodeStatus, RuntimeDownMakesTheNodeNotReady) {
  auto ready = BuildNodeStatus(Config(), {}, kNow);
  auto down =
      BuildNodeStatus(Config(), ready, kNow + absl::Seconds(10), "container runtime is down");
  const minik8s::core::v1::NodeCondition* r = nullptr;
  for (const auto& c : down.conditions()) {
    if (c.type() == "Ready") r = &c;
  }
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status(), "False");
  EXPECT_EQ(r->reason(), "KubeletNotReady");
  EXPECT_EQ(r->message(), "container runtime is down");
  // A new status: a new transition time, and a change worth posting.
  EXPECT_EQ(api::FromProtoTime(r->last_transition_time()), kNow + absl::Seconds(10));
  EXPECT_FALSE(SameNodeStatusIgnoringHeartbeat(ready, down));
  // Back: Ready again, transitioned when it came back.
  auto back = BuildNodeStatus(Config(), down, kNow + absl::Seconds(20));
  for (const auto& c : back.conditions()) {
    if (c.type() != "Ready") continue;
    EXPECT_EQ(c.status(), "True");
    EXPECT_EQ(c.reason(), "KubeletReady");
    EXPECT_EQ(api::FromProtoTime(c.last_transition_time()), kNow + absl::Seconds(20));
  }
}

TEST(BuildLease, Fields) {
  auto lease = BuildLease("node-1", "uid-1", 40, kNow);
  EXPECT_EQ(lease.metadata().namespace_(), "kube-node-lease");
  EXPECT_EQ(lease.metadata().name(), "node-1");
  EXPECT_EQ(lease.spec().holder_identity(), "node-1");
  EXPECT_EQ(lease.spec().lease_duration_seconds(), 40);
  EXPECT_EQ(api::FromProtoMicroTime(lease.spec().renew_time()), kNow);
  ASSERT_EQ(lease.metadata().owner_references_size(), 1);
  EXPECT_EQ(lease.metadata().owner_references(0).kind(), "Node");
  EXPECT_EQ(lease.metadata().owner_references(0).uid(), "uid-1");
}

}  // namespace
}  // namespace minik8s::kubelet
