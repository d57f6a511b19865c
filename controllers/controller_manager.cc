#include "controllers/controller_manager.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "api/bootstrap_token.h"
#include "client/kubeconfig.h"
#include "spdlog/spdlog.h"

namespace minik8s::controllers {

using apps::v1::Deployment;
using apps::v1::ReplicaSet;
using coordination::v1::Lease;
using core::v1::Endpoints;
using core::v1::Node;
using core::v1::Pod;
using core::v1::Service;
using discovery::v1::EndpointSlice;

absl::StatusOr<std::unique_ptr<ControllerManager>> ControllerManager::Create(
    ControllerManagerOptions options) {
  std::vector<std::string> enabled;
  if (options.controllers == "*") {
    enabled.assign(std::begin(kControllerNames), std::end(kControllerNames));
  } else {
    for (absl::string_view name : absl::StrSplit(options.controllers, ',', absl::SkipEmpty())) {
      bool known = false;
      for (const char* k : kControllerNames) known = known || name == k;
      if (!known) {
        return absl::InvalidArgumentError(
            absl::StrCat("--controllers: unknown controller \"", name,
                         "\" (known: ", absl::StrJoin(kControllerNames, ","), ")"));
      }
      enabled.emplace_back(name);
    }
  }
  for (int n : {options.concurrent_deployment_syncs, options.concurrent_replicaset_syncs,
                options.concurrent_gc_syncs, options.concurrent_endpoint_syncs,
                options.concurrent_service_endpoint_syncs, options.concurrent_job_syncs,
                options.concurrent_csr_syncs}) {
    if (n < 1) return absl::InvalidArgumentError("worker counts must be at least 1");
  }
  if (options.max_endpoints_per_slice < 1 || options.max_endpoints_per_slice > 1000) {
    return absl::InvalidArgumentError("--max-endpoints-per-slice must be between 1 and 1000");
  }
  std::unique_ptr<ControllerManager> cm(new ControllerManager(std::move(options)));
  cm->enabled_ = std::move(enabled);
  const ControllerManagerOptions& o = cm->options_;
  absl::StatusOr<client::ApiClientOptions> api_options =
      client::ComponentApiClientOptions(o.server, o.kubeconfig, "minik8s-controller-manager");
  if (!api_options.ok()) return api_options.status();
  absl::StatusOr<std::unique_ptr<client::Clientset>> cs = client::Clientset::Connect(*api_options);
  if (!cs.ok()) {
    return absl::Status(cs.status().code(), absl::StrCat("cannot connect to ", api_options->server,
                                                         ": ", cs.status().message()));
  }
  cm->clientset_ = *std::move(cs);
  client::ApiClient* api = cm->clientset_->api();
  cm->event_sink_ = client::NewApiEventSink(api);
  cm->deployment_events_ = std::make_unique<client::EventRecorder>(
      cm->event_sink_.get(), client::EventRecorderOptions{.component = "deployment-controller"});
  cm->replicaset_events_ = std::make_unique<client::EventRecorder>(
      cm->event_sink_.get(), client::EventRecorderOptions{.component = "replicaset-controller"});
  cm->node_events_ = std::make_unique<client::EventRecorder>(
      cm->event_sink_.get(), client::EventRecorderOptions{.component = "node-controller"});

  cm->pods_ = std::make_unique<client::Informer<Pod>>(
      api, client::InformerOptions{.name = "pods", .resync_period = o.resync_period});
  cm->replicasets_ = std::make_unique<client::Informer<ReplicaSet>>(
      api, client::InformerOptions{.name = "replicasets", .resync_period = o.resync_period});
  cm->deployments_ = std::make_unique<client::Informer<Deployment>>(
      api, client::InformerOptions{.name = "deployments", .resync_period = o.resync_period});
  cm->nodes_ = std::make_unique<client::Informer<Node>>(
      api, client::InformerOptions{.name = "nodes", .resync_period = o.resync_period});
  cm->node_leases_ = std::make_unique<client::Informer<Lease>>(
      api, client::InformerOptions{.name = "node-leases", .namespace_ = "kube-node-lease"});

  const client::Clientset* clientset = cm->clientset_.get();
  if (cm->IsEnabled("replicaset")) {
    cm->replicaset_client_ = NewApiReplicaSetClient(clientset);
    cm->replicaset_controller_ = std::make_unique<ReplicaSetController>(
        cm->replicasets_->GetLister(), cm->pods_->GetLister(), cm->replicaset_client_.get(),
        cm->replicaset_events_.get());
    cm->replicaset_controller_->RegisterHandlers(cm->replicasets_.get(), cm->pods_.get());
  }
  if (cm->IsEnabled("deployment")) {
    cm->deployment_client_ = deployment::NewApiDeploymentClient(clientset);
    cm->deployment_controller_ = std::make_unique<deployment::DeploymentController>(
        cm->deployments_->GetLister(), cm->replicasets_->GetLister(), cm->pods_->GetLister(),
        cm->deployment_client_.get(), cm->deployment_events_.get());
    cm->deployment_controller_->RegisterHandlers(cm->deployments_.get(), cm->replicasets_.get(),
                                                 cm->pods_.get());
  }
  if (cm->IsEnabled("garbagecollector")) {
    cm->garbage_collector_ = std::make_unique<GarbageCollector>(
        cm->clientset_.get(), cm->deployments_.get(), cm->replicasets_.get(), cm->pods_.get());
  }
  cm->run_services_ = cm->IsEnabled("endpoint") || cm->IsEnabled("endpointslice");
  if (cm->run_services_) {
    cm->services_ = std::make_unique<client::Informer<Service>>(
        api, client::InformerOptions{.name = "services", .resync_period = o.resync_period});
    cm->endpoints_client_ = NewApiEndpointsClient(clientset);
  }
  if (cm->IsEnabled("endpointslice")) {
    cm->endpointslice_events_ = std::make_unique<client::EventRecorder>(
        cm->event_sink_.get(),
        client::EventRecorderOptions{.component = "endpoint-slice-controller"});
    cm->endpointslices_ = std::make_unique<client::Informer<EndpointSlice>>(
        api, client::InformerOptions{.name = "endpointslices", .resync_period = o.resync_period});
    cm->endpointslice_controller_ = std::make_unique<EndpointSliceController>(
        cm->services_->GetLister(), cm->pods_->GetLister(), cm->endpointslices_->GetLister(),
        cm->endpoints_client_.get(), cm->endpointslice_events_.get(),
        EndpointsControllerOptions{.batch_period = o.endpointslice_updates_batch_period,
                                   .max_endpoints_per_slice = o.max_endpoints_per_slice});
    cm->endpointslice_controller_->RegisterHandlers(cm->services_.get(), cm->pods_.get(),
                                                    cm->endpointslices_.get());
    // Slices go with their Service.
    if (cm->garbage_collector_) {
      cm->garbage_collector_->AddKind(cm->services_.get(), "Service", "services");
      cm->garbage_collector_->AddKind(cm->endpointslices_.get(), "EndpointSlice", "endpointslices");
    }
  }
  if (cm->IsEnabled("endpoint")) {
    cm->endpoint_events_ = std::make_unique<client::EventRecorder>(
        cm->event_sink_.get(), client::EventRecorderOptions{.component = "endpoint-controller"});
    cm->endpoints_ = std::make_unique<client::Informer<Endpoints>>(
        api, client::InformerOptions{.name = "endpoints", .resync_period = o.resync_period});
    cm->endpoints_controller_ = std::make_unique<EndpointsController>(
        cm->services_->GetLister(), cm->pods_->GetLister(), cm->endpoints_->GetLister(),
        cm->endpoints_client_.get(), cm->endpoint_events_.get(),
        EndpointsControllerOptions{.batch_period = o.endpoint_updates_batch_period});
    cm->endpoints_controller_->RegisterHandlers(cm->services_.get(), cm->pods_.get(),
                                                cm->endpoints_.get());
  }
  if (cm->IsEnabled("job")) {
    cm->job_events_ = std::make_unique<client::EventRecorder>(
        cm->event_sink_.get(), client::EventRecorderOptions{.component = "job-controller"});
    cm->jobs_ = std::make_unique<client::Informer<batch::v1::Job>>(
        api, client::InformerOptions{.name = "jobs", .resync_period = o.resync_period});
    cm->job_client_ = NewApiJobClient(clientset);
    cm->job_controller_ =
        std::make_unique<JobController>(cm->jobs_->GetLister(), cm->pods_->GetLister(),
                                        cm->job_client_.get(), cm->job_events_.get());
    cm->job_controller_->RegisterHandlers(cm->jobs_.get(), cm->pods_.get());
    // A Job's pods go with it.
    if (cm->garbage_collector_) cm->garbage_collector_->AddKind(cm->jobs_.get(), "Job", "jobs");
  }
  const bool signing_files =
      !o.cluster_signing_cert_file.empty() || !o.cluster_signing_key_file.empty();
  if (signing_files &&
      (o.cluster_signing_cert_file.empty() || o.cluster_signing_key_file.empty())) {
    return absl::InvalidArgumentError(
        "--cluster-signing-cert-file and --cluster-signing-key-file go together");
  }
  if (cm->IsEnabled("csrsigning") && !signing_files) {
    // As kube-controller-manager: no CA files, no signer.
    spdlog::info(
        "csrsigning: not starting, no --cluster-signing-cert-file/--cluster-signing-key-file");
  }
  const bool run_signer = cm->IsEnabled("csrsigning") && signing_files;
  if (cm->IsEnabled("csrapproving") || run_signer) {
    cm->csrs_ = std::make_unique<client::Informer<certificates::v1::CertificateSigningRequest>>(
        api, client::InformerOptions{.name = "certificatesigningrequests",
                                     .resync_period = o.resync_period});
    cm->csr_client_ = NewApiCsrClient(clientset);
  }
  if (cm->IsEnabled("csrapproving")) {
    cm->csr_approver_ = std::make_unique<CsrApprover>(cm->csr_client_.get());
    cm->csr_approving_controller_ = std::make_unique<CertificateController>(
        "csrapproving", cm->csrs_->GetLister(),
        [approver = cm->csr_approver_.get()](const auto& csr) { return approver->Handle(csr); });
    cm->csr_approving_controller_->RegisterHandlers(cm->csrs_.get());
  }
  if (run_signer) {
    absl::StatusOr<std::unique_ptr<CsrSigner>> signer =
        CsrSigner::FromFiles(o.cluster_signing_cert_file, o.cluster_signing_key_file,
                             cm->csr_client_.get(), o.cluster_signing_duration);
    if (!signer.ok()) return signer.status();
    cm->csr_signer_ = *std::move(signer);
    cm->csr_signing_controller_ = std::make_unique<CertificateController>(
        "csrsigning", cm->csrs_->GetLister(),
        [signer = cm->csr_signer_.get()](const auto& csr) { return signer->Handle(csr); });
    cm->csr_signing_controller_->RegisterHandlers(cm->csrs_.get());
  }
  if (cm->IsEnabled("tokencleaner")) {
    cm->token_secrets_ = std::make_unique<client::Informer<core::v1::Secret>>(
        api, client::InformerOptions{.name = "token-secrets",
                                     .namespace_ = api::kBootstrapTokenNamespace,
                                     .resync_period = o.resync_period});
    cm->token_secret_client_ = NewApiTokenSecretClient(clientset);
    cm->token_cleaner_ = std::make_unique<TokenCleaner>(cm->token_secrets_->GetLister(),
                                                        cm->token_secret_client_.get());
    cm->token_cleaner_->RegisterHandlers(cm->token_secrets_.get());
  }
  if (cm->IsEnabled("serviceaccount") || cm->IsEnabled("root-ca-cert-publisher")) {
    cm->namespaces_ = std::make_unique<client::Informer<core::v1::Namespace>>(
        api, client::InformerOptions{.name = "namespaces", .resync_period = o.resync_period});
  }
  if (cm->IsEnabled("serviceaccount")) {
    cm->service_accounts_ = std::make_unique<client::Informer<core::v1::ServiceAccount>>(
        api, client::InformerOptions{.name = "serviceaccounts", .resync_period = o.resync_period});
    cm->service_account_client_ = NewApiServiceAccountClient(clientset);
    cm->service_accounts_controller_ = std::make_unique<ServiceAccountsController>(
        cm->namespaces_->GetLister(), cm->service_accounts_->GetLister(),
        cm->service_account_client_.get());
    cm->service_accounts_controller_->RegisterHandlers(cm->namespaces_.get(),
                                                       cm->service_accounts_.get());
  }
  if (cm->IsEnabled("root-ca-cert-publisher")) {
    // As kube-controller-manager: --root-ca-file, else the CA this process
    // trusts the apiserver with.
    absl::StatusOr<std::string> root_ca = RootCABundle(o.root_ca_file, api->options());
    if (!root_ca.ok()) return root_ca.status();
    if (root_ca->empty()) {
      spdlog::info(
          "root-ca-cert-publisher: not starting, no --root-ca-file and no certificate authority "
          "in the connection to the apiserver");
    } else {
      cm->root_ca_config_maps_ = std::make_unique<client::Informer<core::v1::ConfigMap>>(
          api,
          client::InformerOptions{.name = "root-ca-configmaps",
                                  .field_selector = RootCACertPublisher::ConfigMapFieldSelector(),
                                  .resync_period = o.resync_period});
      cm->config_map_client_ = NewApiConfigMapClient(clientset);
      cm->root_ca_cert_publisher_ = std::make_unique<RootCACertPublisher>(
          cm->namespaces_->GetLister(), cm->root_ca_config_maps_->GetLister(),
          cm->config_map_client_.get(), *std::move(root_ca));
      cm->root_ca_cert_publisher_->RegisterHandlers(cm->namespaces_.get(),
                                                    cm->root_ca_config_maps_.get());
    }
  }
  cm->run_nodes_ = cm->IsEnabled("nodelifecycle") || cm->IsEnabled("podgc");
  if (cm->IsEnabled("podgc")) {
    cm->pod_gc_controller_ = std::make_unique<PodGCController>(
        cm->pods_->GetLister(), cm->nodes_->GetLister(), NewApiPodGCClient(clientset),
        PodGCOptions{.period = o.pod_gc_period, .quarantine = o.pod_gc_quarantine});
  }
  if (cm->IsEnabled("nodelifecycle")) {
    cm->node_lifecycle_controller_ = std::make_unique<NodeLifecycleController>(
        cm->nodes_->GetLister(), cm->node_leases_->GetLister(), cm->pods_->GetLister(),
        NewApiNodeLifecycleClient(clientset), cm->node_events_.get(),
        NodeLifecycleOptions{.monitor_period = o.node_monitor_period,
                             .grace_period = o.node_monitor_grace_period,
                             .startup_grace_period = o.node_startup_grace_period,
                             .default_toleration_seconds = o.default_toleration_seconds});
  }
  return cm;
}

ControllerManager::ControllerManager(ControllerManagerOptions options)
    : options_(std::move(options)) {}

ControllerManager::~ControllerManager() { Stop(); }

bool ControllerManager::IsEnabled(const std::string& controller) const {
  for (const std::string& e : enabled_) {
    if (e == controller) return true;
  }
  return false;
}

absl::Status ControllerManager::Start() {
  started_ = true;
  if (run_nodes_) {
    nodes_->Start();
    node_leases_->Start();
  }
  pods_->Start();
  replicasets_->Start();
  deployments_->Start();
  if (services_) services_->Start();
  if (endpointslices_) endpointslices_->Start();
  if (endpoints_) endpoints_->Start();
  if (jobs_) jobs_->Start();
  if (csrs_) csrs_->Start();
  if (token_secrets_) token_secrets_->Start();
  if (namespaces_) namespaces_->Start();
  if (service_accounts_) service_accounts_->Start();
  if (root_ca_config_maps_) root_ca_config_maps_->Start();
  auto services_synced = [this] {
    return (!jobs_ || jobs_->HasSynced()) && (!csrs_ || csrs_->HasSynced()) &&
           (!token_secrets_ || token_secrets_->HasSynced()) &&
           (!namespaces_ || namespaces_->HasSynced()) &&
           (!service_accounts_ || service_accounts_->HasSynced()) &&
           (!root_ca_config_maps_ || root_ca_config_maps_->HasSynced()) &&
           (!services_ || services_->HasSynced()) &&
           (!endpointslices_ || endpointslices_->HasSynced()) &&
           (!endpoints_ || endpoints_->HasSynced());
  };
  absl::Time next_log = absl::Now() + absl::Seconds(5);
  while (!(pods_->HasSynced() && replicasets_->HasSynced() && deployments_->HasSynced() &&
           (!run_nodes_ || (nodes_->HasSynced() && node_leases_->HasSynced())) &&
           services_synced())) {
    if (stop_requested_.load()) return absl::CancelledError("stopped before the caches synced");
    client::WaitForCacheSync(absl::Milliseconds(100), *pods_, *replicasets_, *deployments_);
    if (absl::Now() >= next_log) {
      spdlog::info("waiting for informer caches to sync with {}",
                   clientset_->api()->options().server);
      next_log = absl::Now() + absl::Seconds(5);
    }
  }
  spdlog::info("caches synced");
  if (!options_.leader_election.leader_elect) {
    RunControllers();
    return absl::OkStatus();
  }
  lease_client_ = client::NewApiLeaseClient(clientset_->api());
  election_ = std::make_unique<client::DaemonLeaderElection>(
      lease_client_.get(), client::ConfigFromFlags(options_.leader_election),
      [this] { RunControllers(); }, options_.on_lost_leadership);
  election_->Start();
  return absl::OkStatus();
}

void ControllerManager::RunControllers() {
  if (running_.exchange(true)) return;
  spdlog::info("starting controllers: {}", absl::StrJoin(enabled_, ","));
  if (replicaset_controller_) replicaset_controller_->Run(options_.concurrent_replicaset_syncs);
  if (deployment_controller_) deployment_controller_->Run(options_.concurrent_deployment_syncs);
  if (garbage_collector_) garbage_collector_->Run(options_.concurrent_gc_syncs);
  if (node_lifecycle_controller_) node_lifecycle_controller_->Run();
  if (pod_gc_controller_) pod_gc_controller_->Run();
  if (endpointslice_controller_) {
    endpointslice_controller_->Run(options_.concurrent_service_endpoint_syncs);
  }
  if (endpoints_controller_) endpoints_controller_->Run(options_.concurrent_endpoint_syncs);
  if (job_controller_) job_controller_->Run(options_.concurrent_job_syncs);
  if (csr_approving_controller_) csr_approving_controller_->Run(options_.concurrent_csr_syncs);
  if (csr_signing_controller_) csr_signing_controller_->Run(options_.concurrent_csr_syncs);
  if (token_cleaner_) token_cleaner_->Run();
  if (service_accounts_controller_) service_accounts_controller_->Run();
  if (root_ca_cert_publisher_) root_ca_cert_publisher_->Run();
}

void ControllerManager::Stop() {
  if (stopped_) return;
  stopped_ = true;
  RequestStop();
  if (election_) election_->MarkStopping();
  if (root_ca_cert_publisher_) root_ca_cert_publisher_->Stop();
  if (service_accounts_controller_) service_accounts_controller_->Stop();
  if (token_cleaner_) token_cleaner_->Stop();
  if (csr_signing_controller_) csr_signing_controller_->Stop();
  if (csr_approving_controller_) csr_approving_controller_->Stop();
  if (job_controller_) job_controller_->Stop();
  if (endpoints_controller_) endpoints_controller_->Stop();
  if (endpointslice_controller_) endpointslice_controller_->Stop();
  if (pod_gc_controller_) pod_gc_controller_->Stop();
  if (node_lifecycle_controller_) node_lifecycle_controller_->Stop();
  if (garbage_collector_) garbage_collector_->Stop();
  if (deployment_controller_) deployment_controller_->Stop();
  if (replicaset_controller_) replicaset_controller_->Stop();
  if (started_) {
    pods_->Stop();
    replicasets_->Stop();
    deployments_->Stop();
    nodes_->Stop();
    node_leases_->Stop();
    if (services_) services_->Stop();
    if (endpointslices_) endpointslices_->Stop();
    if (endpoints_) endpoints_->Stop();
    if (jobs_) jobs_->Stop();
    if (csrs_) csrs_->Stop();
    if (token_secrets_) token_secrets_->Stop();
    if (namespaces_) namespaces_->Stop();
    if (service_accounts_) service_accounts_->Stop();
    if (root_ca_config_maps_) root_ca_config_maps_->Stop();
  }
  if (deployment_events_) deployment_events_->Shutdown();
  if (replicaset_events_) replicaset_events_->Shutdown();
  if (node_events_) node_events_->Shutdown();
  if (endpoint_events_) endpoint_events_->Shutdown();
  if (endpointslice_events_) endpointslice_events_->Shutdown();
  if (job_events_) job_events_->Shutdown();
  if (election_) election_->Stop();  // releases the Lease for a successor
  running_ = false;
}

}  // namespace minik8s::controllers
