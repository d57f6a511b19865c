// minik8s-scheduler: watches unscheduled pods and binds each to a node.
//
//   minik8s-scheduler --server 127.0.0.1:6443 [--config sched.yaml]
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <algorithm>
#include <memory>
#include <string>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/synchronization/notification.h"
#include "common/health_server.h"
#include "common/signals.h"
#include "scheduler/config.h"
#include "scheduler/server.h"
#include "spdlog/spdlog.h"

namespace {

absl::Duration ParseDurationOr(const std::string& text, absl::Duration fallback, bool* ok) {
  absl::Duration d;
  if (!absl::ParseDuration(text, &d) || d <= absl::ZeroDuration()) {
    *ok = false;
    return fallback;
  }
  return d;
}

}  // namespace

int main(int argc, char** argv) {
  minik8s::BlockShutdownSignals();
  CLI::App app{"minik8s-scheduler: assigns pending pods to nodes"};
  std::string server = "127.0.0.1:6443";
  std::string config_path;
  std::string scheduler_name = minik8s::scheduler::kDefaultSchedulerName;
  bool leader_elect = true;
  std::string lease_duration = "15s", renew_deadline = "10s", retry_period = "2s";
  std::string lease_namespace = "kube-system", lease_name = "kube-scheduler";
  int percentage = -1;
  int parallelism = 16;
  int bind_workers = 32;
  std::string log_level = "info";
  std::string health_address;
  app.add_option("--server,--master", server, "Address of the apiserver (host:port or URL)");
  app.add_option("--health-address", health_address,
                 "host:port of a gRPC health endpoint (grpc.health.v1; SERVING once the "
                 "informer caches have synced), e.g. 127.0.0.1:10259; empty = none");
  app.add_option("--config", config_path,
                 "YAML file choosing the filter/score plugins and weights (see scheduler/config.h)");
  app.add_option("--scheduler-name", scheduler_name,
                 "Schedule only pods whose spec.schedulerName is this");
  app.add_option("--leader-elect", leader_elect,
                 "Run leader election on a Lease so only one replica schedules (true/false)");
  app.add_option("--leader-elect-lease-duration", lease_duration,
                 "How long a non-renewed lease stays valid (e.g. 15s)");
  app.add_option("--leader-elect-renew-deadline", renew_deadline,
                 "How long the leader keeps trying to renew before giving up");
  app.add_option("--leader-elect-retry-period", retry_period,
                 "Interval between acquire/renew attempts");
  app.add_option("--leader-elect-resource-namespace", lease_namespace,
                 "Namespace of the leader election Lease");
  app.add_option("--leader-elect-resource-name", lease_name, "Name of the leader election Lease");
  app.add_option("--percentage-of-nodes-to-score", percentage,
                 "Percent of nodes to find feasible before scoring (0 = adaptive; "
                 "overrides the config file)");
  app.add_option("--parallelism", parallelism,
                 "Threads running filters and scores (capped at the number of CPUs: more "
                 "threads than cores only add hand-off cost)")
      ->check(CLI::Range(1, 256));
  app.add_option("--bind-workers", bind_workers,
                 "Threads writing bindings, conditions and events to the apiserver")
      ->check(CLI::Range(1, 256));
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  spdlog::set_level(spdlog::level::from_str(log_level));

  minik8s::scheduler::ServerOptions options;
  options.server = server;
  options.leader_elect = leader_elect;
  options.lease_namespace = lease_namespace;
  options.lease_name = lease_name;
  bool ok = true;
  options.lease_duration = ParseDurationOr(lease_duration, options.lease_duration, &ok);
  options.renew_deadline = ParseDurationOr(renew_deadline, options.renew_deadline, &ok);
  options.retry_period = ParseDurationOr(retry_period, options.retry_period, &ok);
  if (!ok) {
    spdlog::error("leader election durations must be positive Go-style durations (e.g. 15s)");
    return 2;
  }
  options.scheduler.scheduler_name = scheduler_name;
  unsigned cpus = std::thread::hardware_concurrency();
  options.scheduler.parallelism =
      cpus > 0 ? std::min(parallelism, static_cast<int>(cpus)) : parallelism;
  options.scheduler.bind_workers = bind_workers;
  if (!config_path.empty()) {
    auto config = minik8s::scheduler::LoadSchedulerConfig(config_path);
    if (!config.ok()) {
      spdlog::error("{}", std::string(config.status().message()));
      return 2;
    }
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
      spdlog::error("--percentage-of-nodes-to-score must be between 0 and 100");
      return 2;
    }
    options.scheduler.percentage_of_nodes_to_score = percentage;
  }

  auto started = minik8s::HealthServer::StartIfSet(health_address);
  if (!started.ok()) {
    spdlog::error("{}", std::string(started.status().message()));
    return 1;
  }
  std::unique_ptr<minik8s::HealthServer> health = *std::move(started);

  minik8s::scheduler::SchedulerServer scheduler(options);
  // SIGINT/SIGTERM (or the server's own SIGTERM on lost leadership) may come
  // at any time, also while Start() still waits for the caches.
  absl::Notification signalled;
  std::thread waiter([&] {
    int sig = minik8s::WaitForShutdownSignal();
    spdlog::info("signal {}: shutting down", sig);
    scheduler.RequestStop();
    signalled.Notify();
  });
  absl::Status s = scheduler.Start();
  int code = 0;
  if (s.ok()) {
    if (health) health->SetServing(true);
    signalled.WaitForNotification();
    if (health) health->SetServing(false);
  } else if (!absl::IsCancelled(s)) {
    spdlog::error("{}", std::string(s.message()));
    code = 1;
  }
  scheduler.Stop();
  if (!signalled.HasBeenNotified()) kill(getpid(), SIGTERM);  // release the waiter
  waiter.join();
  if (scheduler.lost_leadership()) code = 1;
  return code;
}
