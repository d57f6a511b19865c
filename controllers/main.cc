// minik8s-controller-manager: runs the replicaset, deployment, garbage
// collector, node lifecycle and pod GC controllers against the apiserver. Only
// parses flags and wires objects; the controllers live in their folders.
#include <CLI/CLI.hpp>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "client/clientset.h"
#include "client/event_recorder.h"
#include "client/informer.h"
#include "client/leader_election.h"
#include "common/health_server.h"
#include "common/signals.h"
#include "controllers/deployment/deployment_controller.h"
#include "controllers/garbagecollector/garbage_collector.h"
#include "controllers/nodelifecycle/node_lifecycle_controller.h"
#include "controllers/podgc/pod_gc_controller.h"
#include "controllers/replicaset/replica_set_controller.h"
#include "spdlog/spdlog.h"

namespace {

using minik8s::apps::v1::Deployment;
using minik8s::apps::v1::ReplicaSet;
using minik8s::coordination::v1::Lease;
using minik8s::core::v1::Node;
using minik8s::core::v1::Pod;

bool ParseDurationFlag(const std::string& name, const std::string& text, absl::Duration* out) {
  if (absl::ParseDuration(text, out)) return true;
  spdlog::error("invalid duration for {}: \"{}\" (use e.g. 15s, 500ms, 1m)", name, text);
  return false;
}

std::string Identity() {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  return absl::StrCat(host, "_", getpid(), "_", absl::ToUnixNanos(absl::Now()) % 1000000);
}

}  // namespace

int main(int argc, char** argv) {
  minik8s::BlockShutdownSignals();
  CLI::App app{"minik8s-controller-manager: deployment, replicaset, garbage collector, node "
               "lifecycle and pod GC controllers"};
  std::string server = "127.0.0.1:6443";
  bool leader_elect = true;
  std::string lease_duration = "15s", renew_deadline = "10s", retry_period = "2s";
  int deployment_syncs = 5, replicaset_syncs = 5, gc_syncs = 20;
  std::string node_monitor_period = "5s", node_monitor_grace_period = "40s";
  std::string node_startup_grace_period = "60s";
  std::string pod_gc_period = "20s", pod_gc_quarantine = "40s";
  int64_t default_toleration_seconds = 300;
  std::string controllers_flag = "*";
  std::string log_level = "info";
  std::string health_address;
  app.add_option("--server,--master", server, "Address of the apiserver (host:port)");
  app.add_option("--health-address", health_address,
                 "host:port of a gRPC health endpoint (grpc.health.v1; SERVING once the "
                 "informer caches have synced), e.g. 127.0.0.1:10257; empty = none");
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
  app.add_option("--node-monitor-period", node_monitor_period,
                 "How often node health is checked (e.g. 5s)");
  app.add_option("--node-monitor-grace-period", node_monitor_grace_period,
                 "How long a node's Lease may go unrenewed before it is marked Ready=Unknown");
  app.add_option("--node-startup-grace-period", node_startup_grace_period,
                 "How long a node that never reported Ready may stay silent");
  app.add_option("--default-not-ready-toleration-seconds,--pod-eviction-timeout-seconds",
                 default_toleration_seconds,
                 "Seconds a pod without its own toleration for the unreachable/not-ready "
                 "taints stays on a failed node before it is evicted. A fallback: the "
                 "apiserver gives every new pod these tolerations (its "
                 "--default-not-ready-toleration-seconds / "
                 "--default-unreachable-toleration-seconds), and those decide");
  app.add_option("--pod-gc-period", pod_gc_period,
                 "How often the pod GC looks for orphaned and unscheduled terminating pods");
  app.add_option("--pod-gc-node-quarantine", pod_gc_quarantine,
                 "How long a node missing from the cache is quarantined before the pod GC "
                 "asks the apiserver whether it is really gone");
  app.add_option("--controllers", controllers_flag,
                 "Controllers to run: * or a comma list of deployment,replicaset,"
                 "garbagecollector,nodelifecycle,podgc");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off");
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::from_str(log_level));

  auto enabled = [&](const std::string& name) {
    return controllers_flag == "*" ||
           absl::StrContains(absl::StrCat(",", controllers_flag, ","), absl::StrCat(",", name, ","));
  };

  auto started = minik8s::HealthServer::StartIfSet(health_address);
  if (!started.ok()) {
    spdlog::error("{}", std::string(started.status().message()));
    return 1;
  }
  std::unique_ptr<minik8s::HealthServer> health = *std::move(started);

  auto cs = minik8s::client::Clientset::Connect({.server = server,
                                                 .user_agent = "minik8s-controller-manager"});
  if (!cs.ok()) {
    spdlog::error("cannot connect to {}: {}", server, cs.status().ToString());
    return 1;
  }
  absl::Duration lease_d, renew_d, retry_d, monitor_period, grace_period, startup_grace;
  absl::Duration gc_period, gc_quarantine;
  if (!ParseDurationFlag("--leader-elect-lease-duration", lease_duration, &lease_d) ||
      !ParseDurationFlag("--leader-elect-renew-deadline", renew_deadline, &renew_d) ||
      !ParseDurationFlag("--leader-elect-retry-period", retry_period, &retry_d) ||
      !ParseDurationFlag("--node-monitor-period", node_monitor_period, &monitor_period) ||
      !ParseDurationFlag("--node-monitor-grace-period", node_monitor_grace_period,
                         &grace_period) ||
      !ParseDurationFlag("--node-startup-grace-period", node_startup_grace_period,
                         &startup_grace) ||
      !ParseDurationFlag("--pod-gc-period", pod_gc_period, &gc_period) ||
      !ParseDurationFlag("--pod-gc-node-quarantine", pod_gc_quarantine, &gc_quarantine)) {
    return 2;
  }

  namespace client = minik8s::client;
  namespace ctl = minik8s::controllers;
  auto sink = client::NewApiEventSink((*cs)->api());
  client::EventRecorder deployment_events(sink.get(), {.component = "deployment-controller"});
  client::EventRecorder replicaset_events(sink.get(), {.component = "replicaset-controller"});
  client::EventRecorder node_events(sink.get(), {.component = "node-controller"});

  const absl::Duration resync = absl::Minutes(10);
  client::Informer<Pod> pods((*cs)->api(), {.name = "pods", .resync_period = resync});
  client::Informer<ReplicaSet> rss((*cs)->api(), {.name = "replicasets", .resync_period = resync});
  client::Informer<Deployment> deployments((*cs)->api(),
                                           {.name = "deployments", .resync_period = resync});
  client::Informer<Node> nodes((*cs)->api(), {.name = "nodes", .resync_period = resync});
  client::Informer<Lease> leases((*cs)->api(),
                                 {.name = "node-leases", .namespace_ = "kube-node-lease"});

  auto rs_client = ctl::NewApiReplicaSetClient(cs->get());
  auto d_client = ctl::deployment::NewApiDeploymentClient(cs->get());
  std::unique_ptr<ctl::ReplicaSetController> rs_controller;
  std::unique_ptr<ctl::deployment::DeploymentController> d_controller;
  std::unique_ptr<ctl::GarbageCollector> gc;
  std::unique_ptr<ctl::NodeLifecycleController> node_controller;
  std::unique_ptr<ctl::PodGCController> pod_gc;
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

  const bool run_nodes = enabled("nodelifecycle") || enabled("podgc");
  if (enabled("podgc")) {
    pod_gc = std::make_unique<ctl::PodGCController>(
        pods.GetLister(), nodes.GetLister(), ctl::NewApiPodGCClient(cs->get()),
        ctl::PodGCOptions{.period = gc_period, .quarantine = gc_quarantine});
  }
  if (enabled("nodelifecycle")) {
    node_controller = std::make_unique<ctl::NodeLifecycleController>(
        nodes.GetLister(), leases.GetLister(), pods.GetLister(),
        ctl::NewApiNodeLifecycleClient(cs->get()), &node_events,
        ctl::NodeLifecycleOptions{.monitor_period = monitor_period,
                                  .grace_period = grace_period,
                                  .startup_grace_period = startup_grace,
                                  .default_toleration_seconds = default_toleration_seconds});
  }
  if (run_nodes) {
    nodes.Start();
    leases.Start();
  }
  pods.Start();
  rss.Start();
  deployments.Start();
  while (!client::WaitForCacheSync(absl::Seconds(5), pods, rss, deployments) ||
         (run_nodes && !client::WaitForCacheSync(absl::Seconds(5), nodes, leases))) {
    spdlog::info("waiting for informer caches to sync with {}", server);
  }
  spdlog::info("caches synced");
  if (health) health->SetServing(true);
  auto run_controllers = [&] {
    spdlog::info("starting controllers");
    if (rs_controller) rs_controller->Run(replicaset_syncs);
    if (d_controller) d_controller->Run(deployment_syncs);
    if (gc) gc->Run(gc_syncs);
    if (node_controller) node_controller->Run();
    if (pod_gc) pod_gc->Run();
  };

  // Leader election: only the holder of kube-system/kube-controller-manager
  // runs controllers; losing the Lease ends the process (as Kubernetes does)
  // so a restarted instance starts from fresh caches.
  std::atomic<bool> lost_leadership{false};
  std::atomic<bool> shutting_down{false};
  std::unique_ptr<client::LeaseClient> lease_client;
  std::unique_ptr<client::LeaderElector> elector;
  if (leader_elect) {
    lease_client = client::NewApiLeaseClient((*cs)->api());
    client::LeaderElectionConfig config;
    config.lease_namespace = "kube-system";
    config.lease_name = "kube-controller-manager";
    config.identity = Identity();
    config.lease_duration = lease_d;
    config.renew_deadline = renew_d;
    config.retry_period = retry_d;
    config.callbacks.on_started_leading = [&run_controllers, id = config.identity] {
      spdlog::info("became leader ({})", id);
      run_controllers();
    };
    config.callbacks.on_stopped_leading = [&lost_leadership, &shutting_down] {
      if (shutting_down) return;  // our own release on shutdown
      spdlog::error("leader election lost; exiting");
      lost_leadership = true;
      kill(getpid(), SIGTERM);
    };
    config.callbacks.on_new_leader = [](const std::string& id) {
      spdlog::info("leader is now {}", id);
    };
    spdlog::info("waiting to lead Lease kube-system/kube-controller-manager as {}",
                 config.identity);
    elector = std::make_unique<client::LeaderElector>(lease_client.get(), config);
    elector->Start();
  } else {
    run_controllers();
  }

  int sig = minik8s::WaitForShutdownSignal();
  shutting_down = true;
  spdlog::info("signal {}: shutting down", sig);
  if (health) health->SetServing(false);
  if (pod_gc) pod_gc->Stop();
  if (node_controller) node_controller->Stop();
  if (gc) gc->Stop();
  if (d_controller) d_controller->Stop();
  if (rs_controller) rs_controller->Stop();
  pods.Stop();
  rss.Stop();
  deployments.Stop();
  nodes.Stop();
  leases.Stop();
  deployment_events.Shutdown();
  replicaset_events.Shutdown();
  node_events.Shutdown();
  if (elector) elector->Stop();  // releases the Lease for a successor
  return lost_leadership ? 1 : 0;
}
