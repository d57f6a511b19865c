// ControllerManager: the minik8s-controller-manager's wiring, as a class a
// test can start and stop — one clientset, the shared informers (pods,
// replicasets, deployments, nodes, node Leases; services, endpointslices and
// endpoints when an endpoint controller runs; jobs when the job controller
// runs; certificatesigningrequests when csrapproving or csrsigning runs;
// kube-system secrets when tokencleaner runs; namespaces and
// serviceaccounts when serviceaccount runs; namespaces and the
// kube-root-ca.crt ConfigMaps when root-ca-cert-publisher runs), the
// controllers enabled by
// `controllers`, their event recorders, and leader election on the Lease
// kube-system/kube-controller-manager (kube-controller-manager's): only the
// leader runs controllers, and losing the Lease is fatal (see
// client::DaemonLeaderElection).
//
// Lifecycle: Create() connects and builds everything; Start() starts the
// informers, waits for their caches, then runs the controllers (at once, or
// when elected); Stop() shuts down in order — controllers first (their
// workers read the caches), then the informers (their handlers enqueue into
// the controllers), then the event recorders are flushed, and last the
// Lease is released for a successor.
//
// Thread safety: Create/Start/Stop from one owner thread; RequestStop,
// running() and lost_leadership() from any thread.
#ifndef MINIK8S_CONTROLLERS_CONTROLLER_MANAGER_H_
#define MINIK8S_CONTROLLERS_CONTROLLER_MANAGER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/clientset.h"
#include "client/event_recorder.h"
#include "client/informer.h"
#include "client/leader_election.h"
#include "common/daemon.h"
#include "controllers/certificates/certificate_controller.h"
#include "controllers/certificates/csr_approver.h"
#include "controllers/certificates/csr_client.h"
#include "controllers/certificates/csr_signer.h"
#include "controllers/deployment/deployment_client.h"
#include "controllers/deployment/deployment_controller.h"
#include "controllers/endpointslice/endpoints_client.h"
#include "controllers/endpointslice/endpoints_controllers.h"
#include "controllers/garbagecollector/garbage_collector.h"
#include "controllers/job/job_client.h"
#include "controllers/job/job_controller.h"
#include "controllers/nodelifecycle/node_lifecycle_controller.h"
#include "controllers/podgc/pod_gc_controller.h"
#include "controllers/replicaset/replica_set_client.h"
#include "controllers/replicaset/replica_set_controller.h"
#include "controllers/rootcacertpublisher/root_ca_cert_publisher.h"
#include "controllers/serviceaccount/serviceaccounts_controller.h"
#include "controllers/tokencleaner/token_cleaner.h"
#include "controllers/tokencleaner/token_secret_client.h"

namespace minik8s::controllers {

// The controllers by the names --controllers takes; "*" runs them all.
// tokencleaner is among them although kube-controller-manager leaves it
// off unless asked (kubeadm asks): `minik8s up` makes bootstrap tokens.
inline constexpr const char* kControllerNames[] = {"deployment",
                                                   "replicaset",
                                                   "garbagecollector",
                                                   "nodelifecycle",
                                                   "podgc",
                                                   "endpoint",
                                                   "endpointslice",
                                                   "job",
                                                   "csrapproving",
                                                   "csrsigning",
                                                   "tokencleaner",
                                                   "serviceaccount",
                                                   "root-ca-cert-publisher"};

struct ControllerManagerOptions {
  std::string server = "127.0.0.1:6443";
  // A kubeconfig with the server, CA and client certificate ("" = none);
  // `server`, when not empty, overrides its server.
  std::string kubeconfig;
  // "*" or a comma list of kControllerNames.
  std::string controllers = "*";
  int concurrent_deployment_syncs = 5;
  int concurrent_replicaset_syncs = 5;
  int concurrent_gc_syncs = 20;
  int concurrent_endpoint_syncs = 5;          // Endpoints
  int concurrent_service_endpoint_syncs = 5;  // EndpointSlices
  int concurrent_job_syncs = 5;
  int concurrent_csr_syncs = 5;  // per certificate controller (no flag, as Kubernetes)
  // The CA the csrsigning controller signs with (PEM files; both or none).
  // Without them csrsigning does not run.
  std::string cluster_signing_cert_file;
  std::string cluster_signing_key_file;
  // The CA bundle (PEM) root-ca-cert-publisher puts in every namespace's
  // kube-root-ca.crt ConfigMap; "" = the CA of the kubeconfig's cluster.
  // With neither, root-ca-cert-publisher does not run.
  std::string root_ca_file;
  // The longest certificate csrsigning issues.
  absl::Duration cluster_signing_duration = absl::Hours(8760);
  int max_endpoints_per_slice = 100;
  absl::Duration endpoint_updates_batch_period = absl::ZeroDuration();
  absl::Duration endpointslice_updates_batch_period = absl::ZeroDuration();
  absl::Duration node_monitor_period = absl::Seconds(5);
  absl::Duration node_monitor_grace_period = absl::Seconds(40);
  absl::Duration node_startup_grace_period = absl::Seconds(60);
  absl::Duration pod_gc_period = absl::Seconds(20);
  absl::Duration pod_gc_quarantine = absl::Seconds(40);
  int64_t default_toleration_seconds = 300;
  absl::Duration resync_period = absl::Minutes(10);
  LeaderElectionFlags leader_election{.resource_name = "kube-controller-manager"};
  // What losing the Lease does; unset: SIGTERM to the process.
  std::function<void()> on_lost_leadership;
};

class ControllerManager {
 public:
  // InvalidArgument for an unknown controller name or a non-positive worker
  // count; the apiserver's error when the address is malformed.
  static absl::StatusOr<std::unique_ptr<ControllerManager>> Create(
      ControllerManagerOptions options);
  ~ControllerManager();  // Stop()
  ControllerManager(const ControllerManager&) = delete;
  ControllerManager& operator=(const ControllerManager&) = delete;

  // Starts the informers and waits until their caches have synced (logging
  // every few seconds while the apiserver is away), then runs the
  // controllers or starts campaigning. Cancelled when RequestStop() came
  // first.
  absl::Status Start();
  // Makes a Start() that still waits for caches return Cancelled.
  void RequestStop() { stop_requested_ = true; }
  // Ordered shutdown (see the file comment). Idempotent.
  void Stop();

  bool IsEnabled(const std::string& controller) const;
  // True once the controllers run (the caches synced and, with leader
  // election, this process leads).
  bool running() const { return running_.load(); }
  bool lost_leadership() const { return election_ != nullptr && election_->lost(); }
  client::Clientset* clientset() { return clientset_.get(); }

 private:
  explicit ControllerManager(ControllerManagerOptions options);
  void RunControllers();

  const ControllerManagerOptions options_;
  std::vector<std::string> enabled_;
  std::unique_ptr<client::Clientset> clientset_;
  std::unique_ptr<client::EventSink> event_sink_;
  std::unique_ptr<client::EventRecorder> deployment_events_;
  std::unique_ptr<client::EventRecorder> replicaset_events_;
  std::unique_ptr<client::EventRecorder> node_events_;
  std::unique_ptr<client::EventRecorder> endpoint_events_;
  std::unique_ptr<client::EventRecorder> endpointslice_events_;
  std::unique_ptr<client::EventRecorder> job_events_;
  std::unique_ptr<client::Informer<core::v1::Pod>> pods_;
  std::unique_ptr<client::Informer<apps::v1::ReplicaSet>> replicasets_;
  std::unique_ptr<client::Informer<apps::v1::Deployment>> deployments_;
  std::unique_ptr<client::Informer<core::v1::Node>> nodes_;
  std::unique_ptr<client::Informer<coordination::v1::Lease>> node_leases_;
  std::unique_ptr<client::Informer<core::v1::Service>> services_;
  std::unique_ptr<client::Informer<discovery::v1::EndpointSlice>> endpointslices_;
  std::unique_ptr<client::Informer<core::v1::Endpoints>> endpoints_;
  std::unique_ptr<client::Informer<batch::v1::Job>> jobs_;
  std::unique_ptr<client::Informer<certificates::v1::CertificateSigningRequest>> csrs_;
  std::unique_ptr<client::Informer<core::v1::Secret>> token_secrets_;  // kube-system
  std::unique_ptr<client::Informer<core::v1::Namespace>> namespaces_;
  std::unique_ptr<client::Informer<core::v1::ServiceAccount>> service_accounts_;
  std::unique_ptr<client::Informer<core::v1::ConfigMap>> root_ca_config_maps_;
  std::unique_ptr<ReplicaSetClient> replicaset_client_;
  std::unique_ptr<deployment::DeploymentClient> deployment_client_;
  std::unique_ptr<ReplicaSetController> replicaset_controller_;
  std::unique_ptr<deployment::DeploymentController> deployment_controller_;
  std::unique_ptr<GarbageCollector> garbage_collector_;
  std::unique_ptr<NodeLifecycleController> node_lifecycle_controller_;
  std::unique_ptr<PodGCController> pod_gc_controller_;
  std::unique_ptr<EndpointsClient> endpoints_client_;
  std::unique_ptr<EndpointSliceController> endpointslice_controller_;
  std::unique_ptr<EndpointsController> endpoints_controller_;
  std::unique_ptr<JobClient> job_client_;
  std::unique_ptr<JobController> job_controller_;
  std::unique_ptr<CsrClient> csr_client_;
  std::unique_ptr<CsrApprover> csr_approver_;
  std::unique_ptr<CsrSigner> csr_signer_;
  std::unique_ptr<CertificateController> csr_approving_controller_;
  std::unique_ptr<CertificateController> csr_signing_controller_;
  std::unique_ptr<TokenSecretClient> token_secret_client_;
  std::unique_ptr<TokenCleaner> token_cleaner_;
  std::unique_ptr<ServiceAccountClient> service_account_client_;
  std::unique_ptr<ServiceAccountsController> service_accounts_controller_;
  std::unique_ptr<ConfigMapClient> config_map_client_;
  std::unique_ptr<RootCACertPublisher> root_ca_cert_publisher_;
  std::unique_ptr<client::LeaseClient> lease_client_;
  std::unique_ptr<client::DaemonLeaderElection> election_;
  bool run_nodes_ = false;
  bool run_services_ = false;  // the services/endpoints informers
  bool started_ = false;
  bool stopped_ = false;
  std::atomic<bool> running_{false};
  std::atomic<bool> stop_requested_{false};
};

}  // namespace minik8s::controllers

#endif  // MINIK8S_CONTROLLERS_CONTROLLER_MANAGER_H_
