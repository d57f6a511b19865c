// minik8s-controller-manager: runs the replicaset, deployment and garbage
// collector controllers against the apiserver. Only
// parses flags and wires objects; the controllers live in their folders.
#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "client/clientset.h"
#include "client/event_recorder.h"
#include "client/informer.h"
#include "common/signals.h"
#include "controllers/deployment/deployment_controller.h"
#include "controllers/garbagecollector/garbage_collector.h"
#include "controllers/replicaset/replica_set_controller.h"
#include "spdlog/spdlog.h"

namespace {

using minik8s::apps::v1::Deployment;
using minik8s::apps::v1::ReplicaSet;
using minik8s::core::v1::Pod;

}  // namespace

int main(int argc, char** argv) {
  minik8s::BlockShutdownSignals();
  CLI::App app{"minik8s-controller-manager: deployment, replicaset and garbage collector "
               "controllers"};
  std::string server = "127.0.0.1:6443";
  bool leader_elect = true;
  std::string lease_duration = "15s", renew_deadline = "10s", retry_period = "2s";
  int deployment_syncs = 5, replicaset_syncs = 5, gc_syncs = 20;
  std::string controllers_flag = "*";
  std::string log_level = "info";
  app.add_option("--server,--master", server, "Address of the apiserver (host:port)");
  app.add_option("--leader-elect", leader_elect,
                 "Take the Lease kube-system/kube-controller-manager before running controllers");
  app.add_option("--leader-elect-lease-duration", lease_duration,
                 "How long a non-leader waits after the last renewal before taking over");
  app.add_option("--leader-elect-renew-deadline", renew_deadline,
                 "How long the leader keeps retrying a renewal before giving up leadership");
  app.add_option("--leader-elect-retry-period", retry_period,
                 "Wait between attempts to acquire or renew leadership");
  app.add_option("--concurrent-deployment-syncs", deployment_syncs,
                 "Deployments synced concurrently");
  app.add_option("--concurrent-replicaset-syncs", replicaset_syncs,
                 "ReplicaSets synced concurrently");
  app.add_option("--concurrent-gc-syncs", gc_syncs, "Garbage collector workers");
  app.add_option("--controllers", controllers_flag,
                 "Controllers to run: * or a comma list of deployment,replicaset,garbagecollector");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off");
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::from_str(log_level));

  auto enabled = [&](const std::string& name) {
    return controllers_flag == "*" ||
           absl::StrContains(absl::StrCat(",", controllers_flag, ","), absl::StrCat(",", name, ","));
  };

  auto cs = minik8s::client::Clientset::Connect({.server = server,
                                                 .user_agent = "minik8s-controller-manager"});
  if (!cs.ok()) {
    spdlog::error("cannot connect to {}: {}", server, cs.status().ToString());
    return 1;
  }
  if (leader_elect) {
    // The client library's Lease-based leader election is not available
    // yet: run as the only instance.
    spdlog::warn("--leader-elect: leader election is not available in this build; running "
                 "without it (start a single controller-manager)");
  }

  namespace client = minik8s::client;
  namespace ctl = minik8s::controllers;
  auto sink = client::NewApiEventSink((*cs)->api());
  client::EventRecorder deployment_events(sink.get(), {.component = "deployment-controller"});
  client::EventRecorder replicaset_events(sink.get(), {.component = "replicaset-controller"});

  const absl::Duration resync = absl::Minutes(10);
  client::Informer<Pod> pods((*cs)->api(), {.name = "pods", .resync_period = resync});
  client::Informer<ReplicaSet> rss((*cs)->api(), {.name = "replicasets", .resync_period = resync});
  client::Informer<Deployment> deployments((*cs)->api(),
                                           {.name = "deployments", .resync_period = resync});

  auto rs_client = ctl::NewApiReplicaSetClient(cs->get());
  auto d_client = ctl::deployment::NewApiDeploymentClient(cs->get());
  std::unique_ptr<ctl::ReplicaSetController> rs_controller;
  std::unique_ptr<ctl::deployment::DeploymentController> d_controller;
  std::unique_ptr<ctl::GarbageCollector> gc;
  if (enabled("replicaset")) {
    rs_controller = std::make_unique<ctl::ReplicaSetController>(
        rss.GetLister(), pods.GetLister(), rs_client.get(), &replicaset_events);
    rs_controller->RegisterHandlers(&rss, &pods);
  }
  if (enabled("deployment")) {
    d_controller = std::make_unique<ctl::deployment::DeploymentController>(
        deployments.GetLister(), rss.GetLister(), pods.GetLister(), d_client.get(),
        &deployment_events);
    d_controller->RegisterHandlers(&deployments, &rss, &pods);
  }
  if (enabled("garbagecollector")) {
    gc = std::make_unique<ctl::GarbageCollector>(cs->get(), &deployments, &rss, &pods);
  }

  pods.Start();
  rss.Start();
  deployments.Start();
  while (!client::WaitForCacheSync(absl::Seconds(5), pods, rss, deployments)) {
    spdlog::info("waiting for informer caches to sync with {}", server);
  }
  spdlog::info("caches synced; starting controllers");
  if (rs_controller) rs_controller->Run(replicaset_syncs);
  if (d_controller) d_controller->Run(deployment_syncs);
  if (gc) gc->Run(gc_syncs);

  int sig = minik8s::WaitForShutdownSignal();
  spdlog::info("signal {}: shutting down", sig);
  if (gc) gc->Stop();
  if (d_controller) d_controller->Stop();
  if (rs_controller) rs_controller->Stop();
  pods.Stop();
  rss.Stop();
  deployments.Stop();
  deployment_events.Shutdown();
  replicaset_events.Shutdown();
  return 0;
}
