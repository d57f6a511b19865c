// minik8s-controller-manager: runs the replicaset, deployment, garbage
// collector, node lifecycle, pod GC, endpoint, endpointslice, job,
// csrapproving, csrsigning, tokencleaner, serviceaccount and
// root-ca-cert-publisher controllers against the apiserver.
// Flags and wiring only: controllers/controller_manager.h owns the work.
#include <signal.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/synchronization/notification.h"
#include "common/daemon.h"
#include "controllers/controller_manager.h"
#include "spdlog/spdlog.h"

int main(int argc, char** argv) {
  minik8s::Daemon daemon(
      {.name = "minik8s-controller-manager",
       .description = "deployment, replicaset, garbage collector, node lifecycle, pod GC, "
                      "endpoint, endpointslice, job, certificate signing request, "
                      "bootstrap token cleaner, serviceaccount and root CA publisher controllers",
       .health_help = "host:port of the health and metrics endpoint, e.g. 127.0.0.1:10257: "
                      "gRPC health (grpc.health.v1; SERVING once the informer caches have "
                      "synced) and HTTP GET /healthz, /readyz, /livez and /metrics on one "
                      "port; empty = none"});
  minik8s::controllers::ControllerManagerOptions o;
  CLI::App& app = daemon.app();
  app.add_option("--server,--master", o.server, "Address of the apiserver (host:port)")
      ->capture_default_str();
  app.add_option("--kubeconfig", o.kubeconfig,
                 "kubeconfig file with the apiserver's address, the CA to trust and the client "
                 "certificate (or token) to present; --server, when given, overrides its server");
  daemon.AddLeaderElectionFlags(&o.leader_election, /*resource_flags=*/false);
  app.add_option("--concurrent-deployment-syncs", o.concurrent_deployment_syncs,
                 "Deployments synced concurrently")
      ->capture_default_str();
  app.add_option("--concurrent-replicaset-syncs", o.concurrent_replicaset_syncs,
                 "ReplicaSets synced concurrently")
      ->capture_default_str();
  app.add_option("--concurrent-gc-syncs", o.concurrent_gc_syncs, "Garbage collector workers")
      ->capture_default_str();
  app.add_option("--concurrent-endpoint-syncs", o.concurrent_endpoint_syncs,
                 "Services whose Endpoints object is synced concurrently")
      ->capture_default_str();
  app.add_option("--concurrent-service-endpoint-syncs", o.concurrent_service_endpoint_syncs,
                 "Services whose EndpointSlices are synced concurrently")
      ->capture_default_str();
  app.add_option("--concurrent-job-syncs", o.concurrent_job_syncs, "Jobs synced concurrently")
      ->capture_default_str();
  app.add_option("--cluster-signing-cert-file", o.cluster_signing_cert_file,
                 "PEM CA certificate the csrsigning controller signs approved "
                 "CertificateSigningRequests with (kubernetes.io/kube-apiserver-client, "
                 "kube-apiserver-client-kubelet and kubelet-serving); without it and "
                 "--cluster-signing-key-file csrsigning does not run");
  app.add_option("--cluster-signing-key-file", o.cluster_signing_key_file,
                 "PEM private key of --cluster-signing-cert-file");
  app.add_option("--root-ca-file", o.root_ca_file,
                 "PEM CA bundle root-ca-cert-publisher puts in every namespace's kube-root-ca.crt "
                 "ConfigMap (key ca.crt), for pods to verify the apiserver; without it, the "
                 "certificate authority of --kubeconfig (with neither, root-ca-cert-publisher "
                 "does not run)");
  daemon.AddDurationFlag("--cluster-signing-duration", &o.cluster_signing_duration,
                         "The longest validity of a certificate csrsigning issues (a request's "
                         "spec.expirationSeconds may ask for less, at least 10m)",
                         minik8s::DurationBound::kPositive);
  app.add_option("--max-endpoints-per-slice", o.max_endpoints_per_slice,
                 "Most endpoints one EndpointSlice holds (1-1000)")
      ->capture_default_str();
  daemon.AddDurationFlag("--endpoint-updates-batch-period", &o.endpoint_updates_batch_period,
                         "How long a pod change waits before its Services' Endpoints are "
                         "written, so that a burst of changes makes one write (0 = at once)");
  daemon.AddDurationFlag("--endpointslice-updates-batch-period",
                         &o.endpointslice_updates_batch_period,
                         "How long a pod change waits before its Services' EndpointSlices "
                         "are written, so that a burst of changes makes one write (0 = at once)");
  daemon.AddDurationFlag("--node-monitor-period", &o.node_monitor_period,
                         "How often node health is checked", minik8s::DurationBound::kPositive);
  daemon.AddDurationFlag("--node-monitor-grace-period", &o.node_monitor_grace_period,
                         "How long a node's Lease may go unrenewed before it is marked "
                         "Ready=Unknown",
                         minik8s::DurationBound::kPositive);
  daemon.AddDurationFlag("--node-startup-grace-period", &o.node_startup_grace_period,
                         "How long a node that never reported Ready may stay silent",
                         minik8s::DurationBound::kPositive);
  app.add_option("--default-not-ready-toleration-seconds,--pod-eviction-timeout-seconds",
                 o.default_toleration_seconds,
                 "Seconds a pod without its own toleration for the unreachable/not-ready "
                 "taints stays on a failed node before it is evicted. A fallback: the "
                 "apiserver gives every new pod these tolerations (its "
                 "--default-not-ready-toleration-seconds / "
                 "--default-unreachable-toleration-seconds), and those decide")
      ->capture_default_str();
  daemon.AddDurationFlag("--pod-gc-period", &o.pod_gc_period,
                         "How often the pod GC looks for orphaned and unscheduled terminating "
                         "pods",
                         minik8s::DurationBound::kPositive);
  daemon.AddDurationFlag("--pod-gc-node-quarantine", &o.pod_gc_quarantine,
                         "How long a node missing from the cache is quarantined before the pod "
                         "GC asks the apiserver whether it is really gone");
  app.add_option("--controllers", o.controllers,
                 "Controllers to run: * (all of them) or a comma list of deployment,"
                 "replicaset,garbagecollector,nodelifecycle,podgc,endpoint,endpointslice,job,"
                 "csrapproving,csrsigning,tokencleaner,serviceaccount,root-ca-cert-publisher. "
                 "Unlike "
                 "kube-controller-manager, * includes tokencleaner (deletes expired bootstrap "
                 "token Secrets in kube-system), since minik8s up makes bootstrap tokens as "
                 "kubeadm does, and kubeadm turns it on")
      ->capture_default_str();
  if (std::optional<int> exit = daemon.Parse(argc, argv)) return *exit;
  // With a kubeconfig the server is its own unless --server says otherwise.
  if (!o.kubeconfig.empty() && app.count("--server") == 0) o.server.clear();
  if (absl::Status s = daemon.StartHealth(); !s.ok()) return daemon.Fail(s);

  auto cm = minik8s::controllers::ControllerManager::Create(o);
  if (!cm.ok())
    return daemon.Fail(cm.status(),
                       cm.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1);
  // A signal (or the SIGTERM of a lost Lease) may come at any time, also
  // while Start() still waits for the caches.
  absl::Notification signalled;
  std::thread waiter([&] {
    daemon.WaitForShutdown();
    (*cm)->RequestStop();
    signalled.Notify();
  });
  absl::Status started = (*cm)->Start();
  int code = 0;
  if (started.ok()) {
    daemon.SetServing(true);
    signalled.WaitForNotification();
  } else if (!absl::IsCancelled(started)) {
    code = daemon.Fail(started);
  }
  (*cm)->Stop();
  if (!signalled.HasBeenNotified()) kill(getpid(), SIGTERM);  // release the waiter
  waiter.join();
  if ((*cm)->lost_leadership()) code = 1;
  return code;
}
