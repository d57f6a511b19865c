// SchedulerServer: the minik8s-scheduler daemon's wiring — apiserver
// connection, event recorder, pod and node informers feeding the Scheduler,
// and (optionally) leader election on the Lease kube-system/kube-scheduler:
// only the leader runs the scheduling loop.
//
// Thread safety: Start() and Stop() from one thread (main).
#ifndef MINIK8S_SCHEDULER_SERVER_H_
#define MINIK8S_SCHEDULER_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/clientset.h"
#include "client/event_recorder.h"
#include "client/informer.h"
#include "client/leader_election.h"
#include "scheduler/api_writer.h"
#include "scheduler/scheduler.h"

namespace minik8s::scheduler {

struct ServerOptions {
  std::string server = "127.0.0.1:6443";
  // A kubeconfig with the server, CA and client certificate ("" = none);
  // `server`, when not empty, overrides its server.
  std::string kubeconfig;
  SchedulerOptions scheduler;
  bool leader_elect = true;
  std::string lease_namespace = "kube-system";
  std::string lease_name = "kube-scheduler";
  absl::Duration lease_duration = absl::Seconds(15);
  absl::Duration renew_deadline = absl::Seconds(10);
  absl::Duration retry_period = absl::Seconds(2);
  absl::Duration cache_sync_timeout = absl::Seconds(60);
};

class SchedulerServer {
 public:
  explicit SchedulerServer(ServerOptions options);
  ~SchedulerServer();

  // Connects, starts informers, waits for their caches, then schedules
  // (at once, or when elected). Cancelled if RequestStop() came first.
  absl::Status Start();
  // Makes a Start() that is still waiting for caches return Cancelled; safe
  // from any thread (e.g. a signal-waiting one).
  void RequestStop() { stop_requested_ = true; }
  void Stop();
  // Set when leadership was lost; the process then gets SIGTERM
  // (client::DaemonLeaderElection) so it exits (as Kubernetes' scheduler
  // does) and a fresh process rebuilds its state.
  bool lost_leadership() const { return election_ != nullptr && election_->lost(); }

 private:
  void StartScheduling();

  const ServerOptions options_;
  std::unique_ptr<client::Clientset> clientset_;
  std::unique_ptr<client::EventSink> event_sink_;
  std::unique_ptr<client::EventRecorder> recorder_;
  std::unique_ptr<ApiWriter> writer_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<client::Informer<Pod>> pods_;
  std::unique_ptr<client::Informer<Node>> nodes_;
  std::unique_ptr<client::LeaseClient> lease_client_;
  std::unique_ptr<client::DaemonLeaderElection> election_;
  std::atomic<bool> running_{false};
  std::atomic<bool> stop_requested_{false};
};

}  // namespace minik8s::scheduler

#endif  // MINIK8S_SCHEDULER_SERVER_H_
