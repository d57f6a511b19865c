// minik8s-scheduler: watches unscheduled pods and binds each to a node.
// Flags and wiring only: scheduler/server.h owns the work.
//
//   minik8s-scheduler --server 127.0.0.1:6443 [--config sched.yaml]
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <string>
#include <thread>

#include "absl/synchronization/notification.h"
#include "common/daemon.h"
#include "scheduler/config.h"
#include "scheduler/server.h"
#include "spdlog/spdlog.h"

int main(int argc, char** argv) {
  minik8s::Daemon daemon({.name = "minik8s-scheduler",
                          .description = "assigns pending pods to nodes",
                          .health_help =
                              "host:port of the health and metrics endpoint, e.g. 127.0.0.1:10259: "
                              "gRPC health (grpc.health.v1; SERVING once the informer caches have "
                              "synced) and HTTP GET /healthz, /readyz, /livez and /metrics on one "
                              "port; empty = none"});
  CLI::App& app = daemon.app();
  minik8s::scheduler::ServerOptions options;
  std::string config_path;
  std::string scheduler_name = minik8s::scheduler::kDefaultSchedulerName;
  minik8s::LeaderElectionFlags election{.resource_name = "kube-scheduler"};
  int percentage = -1;
  int parallelism = 16;
  int bind_workers = 32;
  app.add_option("--server,--master", options.server, "Address of the apiserver (host:port or URL)")
      ->capture_default_str();
  app.add_option("--kubeconfig", options.kubeconfig,
                 "kubeconfig file with the apiserver's address, the CA to trust and the client "
                 "certificate (or token) to present; --server, when given, overrides its server");
  app.add_option(
      "--config", config_path,
      "YAML file choosing the filter/score plugins and weights (see scheduler/config.h)");
  app.add_option("--scheduler-name", scheduler_name,
                 "Schedule only pods whose spec.schedulerName is this")
      ->capture_default_str();
  daemon.AddLeaderElectionFlags(&election);
  app.add_option("--percentage-of-nodes-to-score", percentage,
                 "Percent of nodes to find feasible before scoring (0 = adaptive; "
                 "overrides the config file)");
  app.add_option("--parallelism", parallelism,
                 "Threads running filters and scores (capped at the number of CPUs: more "
                 "threads than cores only add hand-off cost)")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  app.add_option("--bind-workers", bind_workers,
                 "Threads writing bindings, conditions and events to the apiserver")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  if (std::optional<int> exit = daemon.Parse(argc, argv)) return *exit;
  // With a kubeconfig the server is its own unless --server says otherwise.
  if (!options.kubeconfig.empty() && app.count("--server") == 0) options.server.clear();

  options.leader_elect = election.leader_elect;
  options.lease_namespace = election.resource_namespace;
  options.lease_name = election.resource_name;
  options.lease_duration = election.lease_duration;
  options.renew_deadline = election.renew_deadline;
  options.retry_period = election.retry_period;
  options.scheduler.scheduler_name = scheduler_name;
  unsigned cpus = std::thread::hardware_concurrency();
  options.scheduler.parallelism =
      cpus > 0 ? std::min(parallelism, static_cast<int>(cpus)) : parallelism;
  options.scheduler.bind_workers = bind_workers;
  if (!config_path.empty()) {
    auto config = minik8s::scheduler::LoadSchedulerConfig(config_path);
    if (!config.ok()) return daemon.Fail(config.status(), 2);
    options.scheduler.profile = config->profile;
    if (config->scheduler_name && app.count("--scheduler-name") == 0) {
      options.scheduler.scheduler_name = *config->scheduler_name;
    }
    if (config->percentage_of_nodes_to_score) {
      options.scheduler.percentage_of_nodes_to_score = *config->percentage_of_nodes_to_score;
    }
  }
  if (percentage >= 0) {
    if (percentage > 100) {
      return daemon.Fail("--percentage-of-nodes-to-score must be between 0 and 100", 2);
    }
    options.scheduler.percentage_of_nodes_to_score = percentage;
  }
  if (absl::Status s = daemon.StartHealth(); !s.ok()) return daemon.Fail(s);

  minik8s::scheduler::SchedulerServer scheduler(options);
  // SIGINT/SIGTERM (or the SIGTERM of a lost Lease) may come at any time,
  // also while Start() still waits for the caches.
  absl::Notification signalled;
  std::thread waiter([&] {
    daemon.WaitForShutdown();
    scheduler.RequestStop();
    signalled.Notify();
  });
  absl::Status s = scheduler.Start();
  int code = 0;
  if (s.ok()) {
    daemon.SetServing(true);
    signalled.WaitForNotification();
  } else if (!absl::IsCancelled(s)) {
    code = daemon.Fail(s);
  }
  scheduler.Stop();
  if (!signalled.HasBeenNotified()) kill(getpid(), SIGTERM);  // release the waiter
  waiter.join();
  if (scheduler.lost_leadership()) code = 1;
  return code;
}
