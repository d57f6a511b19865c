#include "cluster/plan.h"

#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace minik8s::cluster {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

ClusterOptions Options(int nodes = 2) {
  ClusterOptions o;
  o.data_dir = "/d";
  o.bin_dir = "/b";
  o.port_base = 7000;
  o.nodes = nodes;
  return o;
}

const ComponentSpec& Get(const std::vector<ComponentSpec>& specs, const std::string& name) {
  auto it = std::find_if(specs.begin(), specs.end(),
                         [&](const ComponentSpec& s) { return s.name == name; });
  EXPECT_NE(it, specs.end()) << name;
  return *it;
}

// The value following `flag` in args ("" if absent).
std::string Flag(const ComponentSpec& s, const std::string& flag) {
  for (size_t i = 0; i + 1 < s.args.size(); ++i) {
    if (s.args[i] == flag) return s.args[i + 1];
  }
  return "";
}

TEST(DerivePorts, FromTheBase) {
  auto p = DerivePorts(6440, 3);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->store, 6440);
  EXPECT_EQ(p->apiserver, 6443);
  EXPECT_EQ(p->apiserver_grpc, 6445);
  EXPECT_EQ(p->controller_manager, 6447);
  EXPECT_EQ(p->scheduler, 6448);
  EXPECT_EQ(p->scale_kubelet, 6449);
  EXPECT_THAT(p->kubelets, ElementsAre(6450, 6451, 6452));
  EXPECT_EQ(p->store_health, 6441);
  EXPECT_EQ(p->scale_kubelet_health, 6442);
  EXPECT_THAT(p->kubelet_health, ElementsAre(6453, 6454, 6455));
  EXPECT_THAT(p->runtime_health, ElementsAre(6456, 6457, 6458));
  EXPECT_THAT(p->proxy_health, ElementsAre(6459, 6460, 6461));
  EXPECT_EQ(p->scale_proxy_health, 6444);
  EXPECT_EQ(p->first, 6440);
  EXPECT_EQ(p->last, 6461);
}

TEST(DerivePorts, AllDistinct) {
  auto p = DerivePorts(20000, 50);
  ASSERT_TRUE(p.ok());
  std::set<int> all(p->kubelets.begin(), p->kubelets.end());
  all.insert(p->kubelet_health.begin(), p->kubelet_health.end());
  all.insert(p->runtime_health.begin(), p->runtime_health.end());
  all.insert(p->proxy_health.begin(), p->proxy_health.end());
  all.insert({p->store, p->store_health, p->apiserver, p->apiserver_grpc, p->controller_manager,
              p->scheduler, p->scale_kubelet, p->scale_kubelet_health, p->scale_proxy_health});
  EXPECT_EQ(all.size(), 209u);
  EXPECT_EQ(*all.begin(), p->first);
  EXPECT_EQ(*all.rbegin(), p->last);
}

TEST(DerivePorts, OutOfRange) {
  EXPECT_FALSE(DerivePorts(80, 1).ok());
  auto p = DerivePorts(65530, 3);
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(std::string(p.status().message()), HasSubstr("--port-base 65530"));
  EXPECT_TRUE(DerivePorts(65535 - 10 - 11, 3).ok());
  EXPECT_FALSE(DerivePorts(65535 - 10 - 10, 3).ok());
}

TEST(PlanCluster, ComponentsInStartOrder) {
  auto specs = PlanCluster(Options(2));
  ASSERT_TRUE(specs.ok()) << specs.status();
  std::vector<std::string> names;
  for (const auto& s : *specs) names.push_back(s.name);
  EXPECT_THAT(names, ElementsAre("store", "apiserver", "controller-manager", "scheduler",
                                 "runtime-node-1", "runtime-node-2", "kubelet-node-1",
                                 "kubelet-node-2", "proxy-node-1", "proxy-node-2"));
  int stage = -1;
  for (const auto& s : *specs) {
    EXPECT_GE(s.stage, stage) << s.name;
    stage = s.stage;
    EXPECT_EQ(s.log_file, "/d/logs/" + s.name + ".log");
  }
  // Runtimes are up before the kubelets that need them; the store before the
  // apiserver before its clients.
  EXPECT_LT(Get(*specs, "store").stage, Get(*specs, "apiserver").stage);
  EXPECT_LT(Get(*specs, "apiserver").stage, Get(*specs, "scheduler").stage);
  EXPECT_LT(Get(*specs, "runtime-node-1").stage, Get(*specs, "kubelet-node-1").stage);
  // Proxies start once the nodes are Ready.
  EXPECT_LT(Get(*specs, "kubelet-node-1").stage, Get(*specs, "proxy-node-1").stage);
}

TEST(PlanCluster, StoreArguments) {
  auto specs = PlanCluster(Options());
  ASSERT_TRUE(specs.ok());
  const ComponentSpec& s = Get(*specs, "store");
  EXPECT_EQ(s.binary, "/b/minik8s-store");
  EXPECT_EQ(Flag(s, "--data-dir"), "/d/store");
  // TCP for everyone, and the private socket the apiserver uses.
  EXPECT_EQ(Flag(s, "--listen-client-urls"), "http://127.0.0.1:7000,unix:///d/run/store.sock");
  EXPECT_EQ(Flag(s, "--log-level"), "info");
  EXPECT_EQ(Flag(s, "--health-address"), "127.0.0.1:7001");
  EXPECT_EQ(s.port, 7000);
  EXPECT_EQ(s.health, HealthCheck::kEtcdStatus);
}

TEST(PlanCluster, ApiserverArguments) {
  auto specs = PlanCluster(Options());
  ASSERT_TRUE(specs.ok());
  const ComponentSpec& s = Get(*specs, "apiserver");
  EXPECT_EQ(s.binary, "/b/minik8s-apiserver");
  // Its own store through the store's private socket.
  EXPECT_EQ(Flag(s, "--etcd-servers"), "unix:///d/run/store.sock");
  EXPECT_EQ(StoreSocketPath("/d"), "/d/run/store.sock");
  EXPECT_EQ(Flag(s, "--bind-address"), "127.0.0.1");
  EXPECT_EQ(Flag(s, "--port"), "7003");
  EXPECT_EQ(Flag(s, "--grpc-port"), "7005");
  EXPECT_EQ(ApiserverGrpcAddress(Options()), "127.0.0.1:7005");
  // The rootless network: cluster IPs and pod addresses on loopback.
  // --port-base 7000: cluster network 1 + 70 % 116 = 71.
  EXPECT_EQ(Flag(s, "--service-cluster-ip-range"), "127.116.96.0/20");
  EXPECT_NE(std::find(s.args.begin(), s.args.end(), "--allow-loopback-endpoints"), s.args.end());
  EXPECT_EQ(s.address, "127.0.0.1:7003");
  EXPECT_EQ(s.health, HealthCheck::kGrpcHealth);
  EXPECT_EQ(ApiserverAddress(Options()), "127.0.0.1:7003");
}

TEST(PlanCluster, StoreTlsFromThePkiSecuresStoreAndApiserver) {
  ClusterOptions o = Options();
  o.store_tls = StoreTlsFromPki(PkiDir(o.data_dir));
  auto specs = PlanCluster(o);
  ASSERT_TRUE(specs.ok());
  const ComponentSpec& store = Get(*specs, "store");
  EXPECT_EQ(Flag(store, "--listen-client-urls"), "https://127.0.0.1:7000,unix:///d/run/store.sock");
  EXPECT_EQ(Flag(store, "--cert-file"), "/d/pki/store-server.crt");
  EXPECT_EQ(Flag(store, "--key-file"), "/d/pki/store-server.key");
  EXPECT_EQ(Flag(store, "--trusted-ca-file"), "/d/pki/ca.crt");
  EXPECT_NE(std::find(store.args.begin(), store.args.end(), "--client-cert-auth"),
            store.args.end());
  EXPECT_TRUE(store.health_uses_tls);
  EXPECT_EQ(store.health_tls.cert_file, "/d/pki/apiserver-etcd-client.crt");

  // The apiserver goes through the socket, where no client files apply.
  const ComponentSpec& api = Get(*specs, "apiserver");
  EXPECT_EQ(Flag(api, "--etcd-servers"), "unix:///d/run/store.sock");
  EXPECT_EQ(Flag(api, "--etcd-cafile"), "");
  EXPECT_EQ(Flag(api, "--etcd-certfile"), "");

  // --store-socket=false: through the TLS port, with its client certificate.
  o.store_socket = false;
  specs = PlanCluster(o);
  ASSERT_TRUE(specs.ok());
  EXPECT_EQ(Flag(Get(*specs, "store"), "--listen-client-urls"), "https://127.0.0.1:7000");
  const ComponentSpec& tls_api = Get(*specs, "apiserver");
  EXPECT_EQ(Flag(tls_api, "--etcd-servers"), "https://127.0.0.1:7000");
  EXPECT_EQ(Flag(tls_api, "--etcd-cafile"), "/d/pki/ca.crt");
  EXPECT_EQ(Flag(tls_api, "--etcd-certfile"), "/d/pki/apiserver-etcd-client.crt");
  EXPECT_EQ(Flag(tls_api, "--etcd-keyfile"), "/d/pki/apiserver-etcd-client.key");
}

TEST(PlanCluster, AStoreSocketPathTooLongIsRefusedWithAWayOut) {
  ClusterOptions o = Options();
  o.data_dir = "/" + std::string(120, 'd');
  o.nodes = 0;
  o.scale_nodes = 1;
  auto specs = PlanCluster(o);
  ASSERT_FALSE(specs.ok());
  EXPECT_THAT(std::string(specs.status().message()), HasSubstr("--store-socket=false"));
  o.store_socket = false;
  EXPECT_TRUE(PlanCluster(o).ok()) << PlanCluster(o).status();
}

TEST(PlanCluster, ExternalEtcdGetsTheGivenClientFiles) {
  ClusterOptions o = Options();
  o.etcd_servers = "https://127.0.0.1:2379";
  o.store_tls = {.ca_file = "/c/ca.pem", .client_cert = "/c/c.pem", .client_key = "/c/k.pem"};
  auto specs = PlanCluster(o);
  ASSERT_TRUE(specs.ok());
  const ComponentSpec& api = Get(*specs, "apiserver");
  EXPECT_EQ(Flag(api, "--etcd-servers"), "https://127.0.0.1:2379");
  EXPECT_EQ(Flag(api, "--etcd-cafile"), "/c/ca.pem");
  EXPECT_EQ(Flag(api, "--etcd-certfile"), "/c/c.pem");
  EXPECT_EQ(Flag(api, "--etcd-keyfile"), "/c/k.pem");
}

TEST(PlanCluster, ControllerManagerAndSchedulerArguments) {
  auto specs = PlanCluster(Options());
  ASSERT_TRUE(specs.ok());
  for (const char* name : {"controller-manager", "scheduler"}) {
    const ComponentSpec& s = Get(*specs, name);
    EXPECT_EQ(s.binary, std::string("/b/minik8s-") + name);
    EXPECT_EQ(Flag(s, "--server"), "127.0.0.1:7003");
    EXPECT_EQ(Flag(s, "--leader-elect"), "false");
    const int port = std::string(name) == "scheduler" ? 7008 : 7007;
    EXPECT_EQ(s.port, port);
    EXPECT_EQ(Flag(s, "--health-address"), absl::StrCat("127.0.0.1:", port));
    EXPECT_EQ(s.address, absl::StrCat("127.0.0.1:", port));
    EXPECT_EQ(s.health, HealthCheck::kGrpcHealth);
    EXPECT_EQ(Flag(s, "--cluster-signing-cert-file"), "") << "no CA without TLS";
  }
}

TEST(PlanCluster, WithThePkiEveryHealthPortSpeaksTls) {
  ClusterOptions o = Options();
  o.apiserver_tls = true;
  o.pki_dir = PkiDir(o.data_dir);
  o.store_tls = StoreTlsFromPki(o.pki_dir);
  auto specs = PlanCluster(o);
  ASSERT_TRUE(specs.ok()) << specs.status();
  int with_health = 0;
  for (const ComponentSpec& s : *specs) {
    if (Flag(s, "--health-address").empty()) continue;
    ++with_health;
    SCOPED_TRACE(s.name);
    EXPECT_EQ(Flag(s, "--health-tls-cert-file"), "/d/pki/health-serving.crt");
    EXPECT_EQ(Flag(s, "--health-tls-private-key-file"), "/d/pki/health-serving.key");
    EXPECT_EQ(Flag(s, "--health-client-ca-file"), "/d/pki/ca.crt");
    if (s.health == HealthCheck::kGrpcHealth && s.address == Flag(s, "--health-address")) {
      // `up` checks gRPC health there over TLS with the admin's certificate.
      EXPECT_TRUE(s.health_uses_tls);
      EXPECT_EQ(s.health_tls.cert_file, "/d/pki/admin.crt");
    }
  }
  // store, controller-manager, scheduler, and per node runtime, kubelet, proxy.
  EXPECT_EQ(with_health, 3 + 3 * o.nodes);
  // The runtime is checked on its own socket, in plaintext.
  EXPECT_FALSE(Get(*specs, "runtime-node-1").health_uses_tls);
  EXPECT_TRUE(Get(*specs, "scheduler").health_uses_tls);
  EXPECT_TRUE(Get(*specs, "proxy-node-1").health_uses_tls);
  // Without the PKI, plaintext as before.
  auto plain = PlanCluster(Options());
  ASSERT_TRUE(plain.ok());
  for (const ComponentSpec& s : *plain) EXPECT_EQ(Flag(s, "--health-tls-cert-file"), "") << s.name;
}

TEST(ClusterNetwork, DefaultAndSideBySideClustersNeverShareAddresses) {
  EXPECT_EQ(ClusterNetworkIndex(kDefaultPortBase), 0);
  EXPECT_EQ(NodePodCidr(kDefaultPortBase, 3), "127.244.3.0/24");
  EXPECT_EQ(ServiceClusterIpRange(kDefaultPortBase), "127.96.0.0/12");
  // Every base the test harness picks (100 * [100, 216)) has its own network.
  std::set<std::string> pods, services;
  for (int b = 100; b < 100 + kClusterNetworks; ++b) {
    const int n = ClusterNetworkIndex(b * 100);
    EXPECT_GE(n, 1);
    EXPECT_LE(n, kClusterNetworks);
    EXPECT_TRUE(pods.insert(NodePodCidr(b * 100, 1)).second) << b;
    EXPECT_TRUE(services.insert(ServiceClusterIpRange(b * 100)).second) << b;
  }
  // The highest network (116, base 11500) stays inside 127.112.0.0/12, and
  // its pods above the services.
  EXPECT_EQ(ClusterNetworkIndex(11500), kClusterNetworks);
  EXPECT_EQ(ServiceClusterIpRange(11500), "127.119.48.0/20");
  EXPECT_EQ(NodePodCidr(11500, 1), "127.128.1.0/24");
}

TEST(PlanCluster, TheAdvertiseAddressIsWhereTheApiserverListensAndIsDialled) {
  ClusterOptions o = Options(1);
  o.advertise_address = "127.0.0.9";
  auto specs = PlanCluster(o);
  ASSERT_TRUE(specs.ok());
  const ComponentSpec& api = Get(*specs, "apiserver");
  EXPECT_EQ(Flag(api, "--bind-address"), "127.0.0.9");
  EXPECT_EQ(api.address, ApiserverAddress(o));
  EXPECT_EQ(ApiserverAddress(o), absl::StrCat("127.0.0.9:", o.port_base + 3));
  EXPECT_EQ(Flag(Get(*specs, "scheduler"), "--server"), ApiserverAddress(o));
}

TEST(PlanCluster, ApiserverTlsGivesEachComponentItsKubeconfig) {
  ClusterOptions o = Options(1);
  o.apiserver_tls = true;
  o.pki_dir = "/d/pki";
  auto specs = PlanCluster(o);
  ASSERT_TRUE(specs.ok());
  const ComponentSpec& api = Get(*specs, "apiserver");
  EXPECT_EQ(Flag(api, "--tls-cert-file"), "/d/pki/apiserver-bundle.crt");
  EXPECT_NE(std::find(api.args.begin(), api.args.end(), "--enable-bootstrap-token-auth"),
            api.args.end());
  EXPECT_EQ(Flag(api, "--tls-private-key-file"), "/d/pki/apiserver.key");
  EXPECT_EQ(Flag(api, "--client-ca-file"), "/d/pki/ca.crt");
  EXPECT_TRUE(api.health_uses_tls);
  EXPECT_EQ(api.health_tls.cert_file, "/d/pki/admin.crt");
  EXPECT_EQ(Flag(api, "--authorization-mode"), "Node,RBAC");
  EXPECT_EQ(Flag(api, "--enable-admission-plugins"), "NodeRestriction");
  EXPECT_EQ(Flag(api, "--kubelet-certificate-authority"), "/d/pki/ca.crt");
  EXPECT_EQ(Flag(api, "--kubelet-client-certificate"), "/d/pki/apiserver-kubelet-client.crt");
  const ComponentSpec& kubelet = Get(*specs, "kubelet-node-1");
  EXPECT_EQ(Flag(kubelet, "--tls-cert-file"), "/d/pki/kubelets/node-1/kubelet.crt");
  EXPECT_EQ(Flag(kubelet, "--client-ca-file"), "/d/pki/ca.crt");
  // The kubelets ask the apiserver who may use their API, as kubeadm's do.
  EXPECT_EQ(Flag(kubelet, "--authorization-mode"), "Webhook");
  // ... and whom a bearer token shown to their API is (a TokenReview).
  EXPECT_NE(std::find(kubelet.args.begin(), kubelet.args.end(), "--authentication-token-webhook"),
            kubelet.args.end());
  // The controller-manager signs approved CSRs with the cluster CA.
  const ComponentSpec& cm = Get(*specs, "controller-manager");
  EXPECT_EQ(Flag(cm, "--cluster-signing-cert-file"), "/d/pki/ca.crt");
  EXPECT_EQ(Flag(cm, "--cluster-signing-key-file"), "/d/pki/ca.key");
  EXPECT_EQ(Flag(Get(*specs, "scheduler"), "--cluster-signing-cert-file"), "");
  // Without the Node authorizer, no NodeRestriction either.
  o.authorization_mode = "AlwaysAllow";
  specs = PlanCluster(o);
  ASSERT_TRUE(specs.ok());
  EXPECT_EQ(Flag(Get(*specs, "apiserver"), "--authorization-mode"), "AlwaysAllow");
  EXPECT_EQ(Flag(Get(*specs, "apiserver"), "--enable-admission-plugins"), "");
  for (const char* name : {"controller-manager", "scheduler", "kubelet-node-1"}) {
    const ComponentSpec& s = Get(*specs, name);
    EXPECT_EQ(Flag(s, "--server"), "") << name;
    EXPECT_EQ(Flag(s, "--kubeconfig"), absl::StrCat("/d/kubeconfigs/", name, ".conf")) << name;
  }
}

TEST(PlanCluster, RuntimeAndKubeletArguments) {
  auto specs = PlanCluster(Options(2));
  ASSERT_TRUE(specs.ok());
  const ComponentSpec& rt = Get(*specs, "runtime-node-2");
  EXPECT_EQ(rt.binary, "/b/minik8s-runtime");
  EXPECT_EQ(Flag(rt, "--listen"), "unix:///d/run/node-2.sock");
  EXPECT_EQ(rt.address, "unix:///d/run/node-2.sock");
  EXPECT_EQ(Flag(rt, "--pod-cidr"), "") << "the kubelet assigns pod IPs, not the runtime";
  // Two nodes: kubelets 7010-7011, their health 7012-7013, runtimes' 7014-7015.
  EXPECT_EQ(Flag(rt, "--health-address"), "127.0.0.1:7015");
  const ComponentSpec& k = Get(*specs, "kubelet-node-2");
  EXPECT_EQ(k.binary, "/b/minik8s-kubelet");
  EXPECT_EQ(Flag(k, "--server"), "127.0.0.1:7003");
  EXPECT_EQ(Flag(k, "--node-name"), "node-2");
  EXPECT_EQ(Flag(k, "--container-runtime-endpoint"), "unix:///d/run/node-2.sock");
  EXPECT_EQ(Flag(k, "--port"), "7011");
  EXPECT_EQ(Flag(k, "--pod-cidr"), "127.173.2.0/24");
  EXPECT_EQ(Flag(k, "--root-dir"), "/d/kubelet/node-2") << "one volume folder a node";
  EXPECT_EQ(Flag(k, "--health-address"), "127.0.0.1:7013");
  EXPECT_EQ(k.port, 7011);
  EXPECT_EQ(k.health, HealthCheck::kNodesReady);
  EXPECT_THAT(k.node_names, ElementsAre("node-2"));
  EXPECT_EQ(Flag(Get(*specs, "kubelet-node-1"), "--port"), "7010");
}

TEST(PlanCluster, ExternalEtcdStartsNoStore) {
  ClusterOptions o = Options();
  o.etcd_servers = "http://10.0.0.1:2379,http://10.0.0.2:2379";
  auto specs = PlanCluster(o);
  ASSERT_TRUE(specs.ok());
  EXPECT_EQ(specs->front().name, "apiserver");
  EXPECT_EQ(Flag(specs->front(), "--etcd-servers"), o.etcd_servers);
}

TEST(PlanCluster, ScaleNodesAddOneKubelet) {
  ClusterOptions o = Options(1);
  o.scale_nodes = 3;
  auto specs = PlanCluster(o);
  ASSERT_TRUE(specs.ok());
  const ComponentSpec& s = Get(*specs, "kubelet-sim");
  EXPECT_EQ(s.name, "kubelet-sim");
  EXPECT_EQ(Flag(s, "--nodes"), "3");
  EXPECT_EQ(Flag(s, "--node-name-prefix"), "sim-node-");
  EXPECT_EQ(Flag(s, "--port"), "7009");
  EXPECT_EQ(Flag(s, "--health-address"), "127.0.0.1:7002");
  EXPECT_THAT(s.node_names, ElementsAre("sim-node-0", "sim-node-1", "sim-node-2"));
  EXPECT_EQ(Flag(s, "--container-runtime-endpoint"), "");
  EXPECT_EQ(Flag(s, "--root-dir"), o.data_dir + "/kubelet/sim");
  // `up` puts it in memory when /dev/shm is there.
  o.scale_kubelet_root_dir = MemoryBackedRootDir("/dev/shm", o.data_dir, 1000);
  specs = PlanCluster(o);
  ASSERT_TRUE(specs.ok());
  EXPECT_EQ(Flag(Get(*specs, "kubelet-sim"), "--root-dir"), o.scale_kubelet_root_dir);
}

TEST(MemoryBackedRootDir, OneFolderPerUserAndDataDir) {
  const std::string a = MemoryBackedRootDir("/dev/shm", "/home/u/.minik8s", 1000);
  EXPECT_TRUE(absl::StartsWith(a, "/dev/shm/minik8s-1000-")) << a;
  EXPECT_TRUE(absl::EndsWith(a, "-kubelet-sim")) << a;
  EXPECT_EQ(a, MemoryBackedRootDir("/dev/shm", "/home/u/.minik8s", 1000)) << "stable";
  EXPECT_NE(a, MemoryBackedRootDir("/dev/shm", "/home/u/other", 1000));
  EXPECT_NE(a, MemoryBackedRootDir("/dev/shm", "/home/u/.minik8s", 1001));
}

TEST(PlanCluster, OneProxyPerNodeAndOneForTheSimulatedNodes) {
  ClusterOptions o = Options(2);
  o.scale_nodes = 3;
  auto specs = PlanCluster(o);
  ASSERT_TRUE(specs.ok());
  const ComponentSpec& p = Get(*specs, "proxy-node-2");
  EXPECT_EQ(p.kind, kProxy);
  EXPECT_EQ(Flag(p, "--server"), "127.0.0.1:7003");
  EXPECT_EQ(Flag(p, "--node-name"), "node-2");
  EXPECT_EQ(Flag(p, "--nodeport-addresses"), "127.0.0.1");
  EXPECT_EQ(Flag(p, "--health-address"), "127.0.0.1:7017");  // base + 10 + 3N + 1
  EXPECT_EQ(p.health, HealthCheck::kGrpcHealth);
  EXPECT_GT(p.stage, Get(*specs, "kubelet-sim").stage);
  const ComponentSpec& sim = Get(*specs, "proxy-sim");
  EXPECT_EQ(Flag(sim, "--nodes"), "3");
  EXPECT_EQ(Flag(sim, "--node-name-prefix"), "sim-node-");
  EXPECT_EQ(Flag(sim, "--health-address"), "127.0.0.1:7004");
}

TEST(PlanCluster, ExtraArgumentsComeLast) {
  ClusterOptions o = Options(1);
  o.log_level = "debug";
  o.extra_args[kKubelet] = {"--relist-period=200ms"};
  o.extra_args[kApiserver] = {"--event-ttl=5m"};
  auto specs = PlanCluster(o);
  ASSERT_TRUE(specs.ok());
  EXPECT_EQ(Get(*specs, "kubelet-node-1").args.back(), "--relist-period=200ms");
  EXPECT_EQ(Get(*specs, "apiserver").args.back(), "--event-ttl=5m");
  EXPECT_EQ(Flag(Get(*specs, "scheduler"), "--log-level"), "debug");
  EXPECT_NE(Get(*specs, "scheduler").args.back(), "--relist-period=200ms");
}

TEST(PlanCluster, RejectsBadOptions) {
  ClusterOptions o = Options(0);
  EXPECT_FALSE(PlanCluster(o).ok());  // no node at all
  o.scale_nodes = 10;
  EXPECT_TRUE(PlanCluster(o).ok());
  o = Options(kMaxNodes + 1);
  EXPECT_THAT(std::string(PlanCluster(o).status().message()), HasSubstr("--scale-nodes"));
  o = Options();
  o.data_dir = "/" + std::string(120, 'x');
  auto specs = PlanCluster(o);
  ASSERT_FALSE(specs.ok());
  EXPECT_THAT(std::string(specs.status().message()), HasSubstr("shorter --data-dir"));
}

}  // namespace
}  // namespace minik8s::cluster
