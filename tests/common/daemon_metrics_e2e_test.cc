// Every daemon serves /metrics (and /healthz, and gRPC health) on its
// --health-address, with Kubernetes' and etcd's metric names: a whole
// node's worth of daemons (store, apiserver, controller-manager,
// scheduler, runtime, kubelet) on free loopback ports, one pod run through
// them, then each daemon's exposition scraped and held to the text
// format's rules (prometheus_text.h).
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/clientset.h"
#include "cluster/health.h"
#include "common/net.h"
#include "gtest/gtest.h"
#include "testing/file_util.h"
#include "testing/http_client.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"
#include "testing/wait.h"
#include "tests/common/prometheus_text.h"

namespace minik8s {
namespace {

struct Daemon {
  std::string name;
  int health_port = 0;
  testing::Subprocess process;
};

class DaemonMetricsE2E : public ::testing::Test {
 protected:
  // Starts `binary` with `args` plus --health-address on a free port.
  Daemon* Start(const std::string& binary, std::vector<std::string> args) {
    auto port = PickFreeLoopbackPort();
    EXPECT_TRUE(port.ok());
    auto d = std::make_unique<Daemon>();
    d->name = binary;
    d->health_port = *port;
    args.insert(args.begin(), testing::BinPath(binary));
    args.push_back(absl::StrCat("--health-address=127.0.0.1:", *port));
    EXPECT_TRUE(d->process.Start(args, absl::StrCat(dir_.path(), "/", binary, ".log")).ok());
    daemons_.push_back(std::move(d));
    return daemons_.back().get();
  }

  absl::StatusOr<testing::Exposition> Scrape(const Daemon& d) {
    absl::StatusOr<testing::HttpResult> r =
        testing::HttpRequest(d.health_port, {.target = "/metrics", .timeout = absl::Seconds(10)});
    if (!r.ok()) return r.status();
    if (r->status != 200) {
      return absl::InternalError(absl::StrCat(d.name, " /metrics answered ", r->status));
    }
    if (r->headers["content-type"] != "text/plain; version=0.0.4; charset=utf-8") {
      return absl::InternalError(
          absl::StrCat(d.name, " /metrics content-type ", r->headers["content-type"]));
    }
    absl::StatusOr<testing::Exposition> e = testing::ParsePrometheusText(r->body);
    if (!e.ok()) {
      return absl::InternalError(absl::StrCat(d.name, ": ", e.status().message(), "\n", r->body));
    }
    return e;
  }

  // A failed run shows the end of each daemon's log (the folder goes with
  // the test).
  void TearDown() override {
    if (!HasFailure()) return;
    for (const auto& d : daemons_) {
      std::cerr << "---- " << d->name << " log (end)\n"
                << testing::FileTail(absl::StrCat(dir_.path(), "/", d->name, ".log")) << "\n";
    }
  }

  bool Healthy(const Daemon& d) {
    auto r = testing::HttpRequest(d.health_port, {.target = "/healthz"});
    return r.ok() && r->status == 200 && r->body == "ok";
  }

  testing::TempDir dir_;
  std::vector<std::unique_ptr<Daemon>> daemons_;
};

TEST_F(DaemonMetricsE2E, EveryDaemonServesItsMetricsOnItsHealthPort) {
  for (const char* b : {"minik8s-store", "minik8s-apiserver", "minik8s-controller-manager",
                        "minik8s-scheduler", "minik8s-runtime", "minik8s-kubelet"}) {
    if (access(testing::BinPath(b).c_str(), X_OK) != 0) GTEST_SKIP() << b << " is not built";
  }
  auto store_port = PickFreeLoopbackPort();
  auto api_port = PickFreeLoopbackPort();
  auto kubelet_port = PickFreeLoopbackPort();
  ASSERT_TRUE(store_port.ok() && api_port.ok() && kubelet_port.ok());
  const std::string api = absl::StrCat("127.0.0.1:", *api_port);
  const std::string runtime_socket = absl::StrCat("unix://", dir_.path(), "/runtime.sock");

  Daemon* store =
      Start("minik8s-store", {"--data-dir", dir_.path() + "/store", "--listen-client-urls",
                              absl::StrCat("http://127.0.0.1:", *store_port)});
  ASSERT_TRUE(testing::WaitFor([&] { return testing::PortAcceptsConnections(*store_port); },
                               absl::Seconds(20)));
  Daemon* apiserver =
      Start("minik8s-apiserver", {"--etcd-servers", absl::StrCat("http://127.0.0.1:", *store_port),
                                  "--port", absl::StrCat(*api_port)});
  ASSERT_TRUE(testing::WaitFor([&] { return cluster::CheckGrpcHealth(api, absl::Seconds(1)).ok(); },
                               absl::Seconds(30)));
  Daemon* cm = Start("minik8s-controller-manager", {"--server", api, "--leader-elect=false"});
  Daemon* scheduler = Start("minik8s-scheduler", {"--server", api, "--leader-elect=false"});
  Daemon* runtime = Start("minik8s-runtime", {"--listen", runtime_socket});
  Daemon* kubelet =
      Start("minik8s-kubelet",
            {"--server", api, "--node-name", "metrics-node", "--container-runtime-endpoint",
             runtime_socket, "--port", absl::StrCat(*kubelet_port), "--relist-period=200ms"});
  // Ready when each says so, over HTTP and over gRPC on the same port.
  for (const auto& d : daemons_) {
    EXPECT_TRUE(testing::WaitFor([&] { return Healthy(*d); }, absl::Seconds(60)))
        << d->name << " never became healthy";
    EXPECT_TRUE(
        cluster::CheckGrpcHealth(absl::StrCat("127.0.0.1:", d->health_port), absl::Seconds(5)).ok())
        << d->name;
  }

  // One pod, scheduled onto the kubelet's node and run.
  auto cs = client::Clientset::Connect({.server = api});
  ASSERT_TRUE(cs.ok());
  core::v1::Pod pod;
  pod.mutable_metadata()->set_name("web");
  pod.mutable_metadata()->set_namespace_("default");
  auto* c = pod.mutable_spec()->add_containers();
  c->set_name("nginx");
  c->set_image("nginx:1.25");
  ASSERT_TRUE((*cs)->Pods().Create(pod).ok());
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        auto p = (*cs)->Pods().Get("default", "web");
        return p.ok() && p->status().phase() == "Running";
      },
      absl::Seconds(60)))
      << "the pod never ran";

  // The store: etcd's names.
  absl::StatusOr<testing::Exposition> e = Scrape(*store);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->types["etcd_mvcc_put_total"], "counter");
  EXPECT_GT(e->Sum("etcd_mvcc_put_total"), 0);
  EXPECT_EQ(e->types["etcd_disk_wal_fsync_duration_seconds"], "histogram");
  EXPECT_GT(e->Sum("etcd_disk_wal_fsync_duration_seconds_count"), 0);
  EXPECT_EQ(e->types["etcd_debugging_mvcc_keys_total"], "gauge");
  EXPECT_GT(e->Sum("etcd_debugging_mvcc_keys_total"), 0);

  // The apiserver: its storage metrics on its health port too.
  e = Scrape(*apiserver);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_GE(e->Sum("apiserver_storage_objects", {{"resource", "pods"}}), 1);

  // The scheduler: the pod's attempt, and its client's requests.
  e = Scrape(*scheduler);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->Sum("scheduler_schedule_attempts_total",
                   {{"result", "scheduled"}, {"profile", "default-scheduler"}}),
            1);
  EXPECT_EQ(e->Sum("scheduler_scheduling_attempt_duration_seconds_count",
                   {{"result", "scheduled"}, {"profile", "default-scheduler"}}),
            1);
  EXPECT_GT(e->Sum("rest_client_requests_total", {{"method", "POST"}, {"host", api}}), 0);

  // The controller-manager: its queues and its client.
  e = Scrape(*cm);
  ASSERT_TRUE(e.ok()) << e.status();
  for (const char* queue : {"deployment", "replicaset", "garbagecollector"}) {
    EXPECT_GE(e->Sum("workqueue_depth", {{"name", queue}}), 0) << queue;
  }
  EXPECT_EQ(e->types["workqueue_adds_total"], "counter");
  EXPECT_EQ(e->types["workqueue_queue_duration_seconds"], "histogram");
  EXPECT_GT(e->Sum("rest_client_requests_total", {{"code", "200"}, {"method", "GET"}}), 0);

  // The kubelet: its pod queue and client.
  e = Scrape(*kubelet);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_GT(e->Sum("workqueue_adds_total", {{"name", "pods"}}), 0);
  EXPECT_GT(e->Sum("rest_client_requests_total", {{"method", "PATCH"}}) +
                e->Sum("rest_client_requests_total", {{"method", "PUT"}}),
            0);

  // The runtime: a valid (if small) exposition.
  e = Scrape(*runtime);
  ASSERT_TRUE(e.ok()) << e.status();

  for (auto& d : daemons_) {
    std::optional<int> rc = d->process.Stop(SIGTERM);
    ASSERT_TRUE(rc.has_value()) << d->name;
    EXPECT_TRUE(WIFEXITED(*rc) && WEXITSTATUS(*rc) == 0) << d->name << " exit " << *rc;
  }
}

}  // namespace
}  // namespace minik8s
