#include "scheduler/server.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "client/kubeconfig.h"
#include "spdlog/spdlog.h"

namespace minik8s::scheduler {

SchedulerServer::SchedulerServer(ServerOptions options) : options_(std::move(options)) {}

SchedulerServer::~SchedulerServer() { Stop(); }

absl::Status SchedulerServer::Start() {
  absl::StatusOr<client::ApiClientOptions> api = client::ComponentApiClientOptions(
      options_.server, options_.kubeconfig, options_.scheduler.scheduler_name);
  if (!api.ok()) return api.status();
  auto cs = client::Clientset::Connect(*api);
  if (!cs.ok()) return cs.status();
  clientset_ = *std::move(cs);
  event_sink_ = client::NewApiEventSink(clientset_->api());
  recorder_ = std::make_unique<client::EventRecorder>(
      event_sink_.get(), client::EventRecorderOptions{
                             .component = options_.scheduler.scheduler_name, .queue_size = 20000});
  writer_ = NewClientApiWriter(clientset_.get(), recorder_.get());
  auto sched = Scheduler::Create(writer_.get(), options_.scheduler);
  if (!sched.ok()) return sched.status();
  scheduler_ = *std::move(sched);

  Scheduler* s = scheduler_.get();
  pods_ = std::make_unique<client::Informer<Pod>>(clientset_->api(),
                                                  client::InformerOptions{.name = "pods"});
  pods_->AddEventHandler({
      .on_add = [s](const auto& p) { s->OnPodAdd(p); },
      .on_update = [s](const auto& o, const auto& n) { s->OnPodUpdate(o, n); },
      .on_delete = [s](const auto& p, bool) { s->OnPodDelete(p); },
  });
  nodes_ = std::make_unique<client::Informer<Node>>(clientset_->api(),
                                                    client::InformerOptions{.name = "nodes"});
  nodes_->AddEventHandler({
      .on_add = [s](const auto& n) { s->OnNodeAdd(n); },
      .on_update = [s](const auto& o, const auto& n) { s->OnNodeUpdate(o, n); },
      .on_delete = [s](const auto& n, bool) { s->OnNodeDelete(n); },
  });
  nodes_->Start();
  pods_->Start();
  absl::Time deadline = absl::Now() + options_.cache_sync_timeout;
  while (!(nodes_->HasSynced() && pods_->HasSynced()) && absl::Now() < deadline) {
    if (stop_requested_.load()) return absl::CancelledError("stopped before the caches synced");
    client::WaitForCacheSync(absl::Milliseconds(100), *nodes_, *pods_);
  }
  if (!(nodes_->HasSynced() && pods_->HasSynced())) {
    return absl::DeadlineExceededError(absl::StrCat(
        "informer caches did not sync within ", absl::FormatDuration(options_.cache_sync_timeout),
        " (is the apiserver at ", clientset_->api()->options().server, " up?)"));
  }
  spdlog::info("caches synced: {} node(s), {} pod(s) counted", s->cache().NumNodes(),
               s->cache().NumPods());

  if (!options_.leader_elect) {
    StartScheduling();
    return absl::OkStatus();
  }
  lease_client_ = client::NewApiLeaseClient(clientset_->api());
  client::LeaderElectionConfig config;
  config.lease_namespace = options_.lease_namespace;
  config.lease_name = options_.lease_name;
  config.lease_duration = options_.lease_duration;
  config.renew_deadline = options_.renew_deadline;
  config.retry_period = options_.retry_period;
  // Losing the Lease sends the process SIGTERM: main's wait for a shutdown
  // signal ends, and the process exits non-zero so a fresh one rebuilds
  // its state and campaigns again.
  election_ = std::make_unique<client::DaemonLeaderElection>(lease_client_.get(), std::move(config),
                                                             [this] { StartScheduling(); });
  election_->Start();
  return absl::OkStatus();
}

void SchedulerServer::StartScheduling() {
  if (running_.exchange(true)) return;
  spdlog::info("scheduling pods with schedulerName {}", options_.scheduler.scheduler_name);
  scheduler_->Run();
}

void SchedulerServer::Stop() {
  // Stop scheduling first (its loop reads the informers' objects), then
  // the informers (their handlers call the scheduler), then give up the
  // lease, and flush events last.
  if (election_) election_->MarkStopping();
  if (scheduler_) scheduler_->Stop();
  if (pods_) pods_->Stop();
  if (nodes_) nodes_->Stop();
  running_ = false;
  if (election_) election_->Stop();
  if (recorder_) recorder_->Shutdown();
}

}  // namespace minik8s::scheduler
