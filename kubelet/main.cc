// minik8s-kubelet: runs the pods bound to its node on a container runtime.
// Flags only; the work is in kubelet.h.
#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "api/quantity.h"
#include "client/clientset.h"
#include "client/event_recorder.h"
#include "client/kubeconfig.h"
#include "common/clock.h"
#include "common/daemon.h"
#include "common/signals.h"
#include "kubelet/bootstrap.h"
#include "kubelet/ip_allocator.h"
#include "kubelet/kubelet.h"
#include "kubelet/log_service.h"
#include "kubelet/node_status.h"
#include "kubelet/token_webhook.h"
#include "kubelet/webhook_authorizer.h"
#include "runtime/grpc_runtime_client.h"
#include "runtime/in_process_runtime_client.h"
#include "runtime/runtime.h"
#include "spdlog/spdlog.h"

namespace {

using namespace minik8s;  // NOLINT

int Run(int argc, char** argv) {
  Daemon daemon({.name = "minik8s-kubelet",
                 .description = "the node agent — registers a Node, renews its Lease and runs "
                                "the pods bound to it on a container runtime"});
  auto Fail = [&daemon](const std::string& message) { return daemon.Fail(message, 2); };
  kubelet::KubeletOptions options;
  std::string server = "127.0.0.1:6443";
  std::string node_name;
  std::string runtime_endpoint = "unix:///tmp/minik8s-runtime.sock";
  std::string cpu = "4";
  std::string memory = "8Gi";
  int max_pods = 110;
  std::string pod_cidr;
  std::string taints;
  std::string node_labels;
  int port = 10250;
  int workers = 8;
  int nodes = 0;
  std::string node_name_prefix = "sim-node-";

  CLI::App& app = daemon.app();
  app.add_option("--server,--api-server", server, "Apiserver address (host:port)")
      ->capture_default_str();
  std::string kubeconfig;
  app.add_option("--kubeconfig", kubeconfig,
                 "kubeconfig file with the apiserver's address, the CA to trust and the client "
                 "certificate (or token) to present; --server, when given, overrides its server");
  std::string bootstrap_kubeconfig;
  app.add_option("--bootstrap-kubeconfig", bootstrap_kubeconfig,
                 "kubeconfig with a bootstrap token (`minik8s join` writes it): when --kubeconfig "
                 "holds no usable client certificate, the kubelet asks for one with a "
                 "CertificateSigningRequest (signer kubernetes.io/kube-apiserver-client-kubelet), "
                 "waits for it to be signed, then writes --kubeconfig");
  std::string cert_dir;
  app.add_option("--cert-dir", cert_dir,
                 "Folder of the bootstrapped client key and certificate (kubelet-client.key, "
                 ".crt); default: the folder of --kubeconfig");
  std::string node_ip = "127.0.0.1";
  app.add_option("--node-ip", node_ip,
                 "The node's InternalIP, where the kubelet API listens (a second loopback "
                 "address such as 127.0.0.2 gives a joined node of its own on one machine)")
      ->capture_default_str();
  app.add_option("--hostname-override,--node-name", node_name,
                 "Node name to register (default: the host name)");
  app.add_option("--container-runtime-endpoint", runtime_endpoint,
                 "Container runtime endpoint (unix:///path.sock)")
      ->capture_default_str();
  app.add_option("--cpu", cpu, "CPU capacity of the node (quantity)")->capture_default_str();
  app.add_option("--memory", memory, "Memory capacity of the node (quantity)")
      ->capture_default_str();
  app.add_option("--max-pods", max_pods, "Pods the node can run")->capture_default_str();
  app.add_option("--pod-cidr", pod_cidr,
                 "IPv4 range pod IPs are allocated from (default 10.244.0.0/24; derived per "
                 "node in scale mode)");
  app.add_option("--register-with-taints", taints,
                 "Taints to register the node with: key[=value]:Effect,...");
  app.add_option("--node-labels", node_labels, "Extra node labels: key=value,...");
  const DurationBound kPositive = DurationBound::kPositive;
  daemon.AddDurationFlag("--node-lease-renew-interval", &options.node_lease_renew_interval,
                         "How often the node Lease is renewed", kPositive);
  daemon.AddDurationFlag("--node-status-update-frequency", &options.node_status_update_frequency,
                         "How often node status is computed (posted when changed, or every 5m)",
                         kPositive);
  daemon.AddDurationFlag("--relist-period", &options.relist_period,
                         "How often the runtime is relisted to notice changes", kPositive);
  daemon.AddDurationFlag("--crash-loop-backoff-initial", &options.crash_loop_backoff_initial,
                         "First restart back-off of a crashing container", kPositive);
  daemon.AddDurationFlag("--crash-loop-backoff-max", &options.crash_loop_backoff_max,
                         "Longest restart back-off", kPositive);
  daemon.AddDurationFlag("--crash-loop-backoff-reset", &options.crash_loop_backoff_reset,
                         "A container that ran this long restarts without back-off", kPositive);
  daemon.AddDurationFlag("--image-pull-backoff-initial", &options.image_pull_backoff_initial,
                         "First image pull back-off", kPositive);
  daemon.AddDurationFlag("--image-pull-backoff-max", &options.image_pull_backoff_max,
                         "Longest image pull back-off", kPositive);
  app.add_option("--port", port,
                 "Loopback port of the kubelet API (logs, port forwarding); 0 picks one")
      ->capture_default_str();
  bool enable_server = true;
  app.add_option("--enable-server", enable_server,
                 "Serve the kubelet API (logs, port forwarding); false: the node runs pods but "
                 "serves neither (a joined node without a serving certificate)")
      ->capture_default_str();
  bool rotate_server_certificates = false;
  app.add_flag("--rotate-server-certificates", rotate_server_certificates,
               "Get the kubelet API's serving certificate from the cluster: a "
               "CertificateSigningRequest (signer kubernetes.io/kubelet-serving) for the node name "
               "and --node-ip, sent with --kubeconfig's certificate; an admin approves it "
               "(`mkctl certificate approve`), and the API starts once it is signed. Needs a "
               "fixed --port and --kubeconfig; instead of --tls-cert-file");
  TlsServerFiles api_tls;
  app.add_option("--tls-cert-file", api_tls.cert_file,
                 "PEM certificate the kubelet API presents (with --tls-private-key-file): the API "
                 "is then served over TLS only; empty = plaintext");
  app.add_option("--tls-private-key-file", api_tls.key_file, "PEM private key of --tls-cert-file");
  app.add_option("--client-ca-file", api_tls.trusted_ca_file,
                 "PEM CA bundle: callers of the kubelet API must present a certificate signed by "
                 "it (CN the user, O the groups); needs --tls-cert-file");
  std::string authorization_mode = "AlwaysAllow";
  app.add_option("--authorization-mode", authorization_mode,
                 "Who may use the kubelet API: AlwaysAllow (every caller) or Webhook (each "
                 "caller's request, as nodes/<subresource> of this node, is put to the apiserver "
                 "in a SubjectAccessReview; needs --kubeconfig or --server)")
      ->check(CLI::IsMember({"AlwaysAllow", "Webhook"}))
      ->capture_default_str();
  kubelet::WebhookAuthorizer::Options webhook_options;
  daemon.AddDurationFlag(
      "--authorization-webhook-cache-authorized-ttl", &webhook_options.authorized_ttl,
      "How long an allowed answer of the Webhook authorizer is kept (0: not kept)",
      DurationBound::kNonNegative);
  daemon.AddDurationFlag("--authorization-webhook-cache-unauthorized-ttl",
                         &webhook_options.unauthorized_ttl,
                         "How long a refusal of the Webhook authorizer is kept (0: not kept)",
                         DurationBound::kNonNegative);
  bool token_webhook = false;
  app.add_flag("--authentication-token-webhook", token_webhook,
               "Callers of the kubelet API may show a bearer token (gRPC metadata "
               "`authorization: Bearer TOKEN`) instead of a client certificate: the apiserver is "
               "asked whom it authenticates with a TokenReview; needs --kubeconfig or --server");
  kubelet::WebhookTokenAuthenticator::Options token_webhook_options;
  daemon.AddDurationFlag("--authentication-token-webhook-cache-ttl",
                         &token_webhook_options.cache_ttl,
                         "How long a TokenReview's answer is kept, by token: acceptances and "
                         "refusals the apiserver gives no error for (0: not kept)",
                         DurationBound::kNonNegative);
  app.add_option("--root-dir", options.root_dir,
                 "Directory path for managing kubelet files (volume mounts, etc): each pod's "
                 "secret, configMap, downwardAPI and projected volumes are written under "
                 "<root-dir>/pods/<pod uid>/volumes/ and mounted into its containers; given twice, "
                 "the last wins (so `minik8s up --kubelet-arg=--root-dir=...` overrides up's); in "
                 "scale mode (--nodes) they are removed when the kubelet stops, as its "
                 "in-process containers end")
      ->capture_default_str()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("--workers", workers, "Pod worker threads")->capture_default_str();
  app.add_option("--nodes", nodes,
                 "Scale mode: simulate this many nodes in one process on an in-process runtime")
      ->capture_default_str();
  app.add_option("--node-name-prefix", node_name_prefix,
                 "Scale mode: node names are <prefix><index>")
      ->capture_default_str();
  if (std::optional<int> exit = daemon.Parse(argc, argv)) return *exit;
  // With a kubeconfig the server is its own unless --server says otherwise.
  if (!kubeconfig.empty() && app.count("--server") == 0) server.clear();
  options.workers = workers;
  for (const std::string* q : {&cpu, &memory}) {
    auto parsed = api::Quantity::Parse(*q);
    if (!parsed.ok()) return Fail(absl::StrCat("--cpu/--memory: ", parsed.status().message()));
  }
  auto parsed_taints = kubelet::ParseTaints(taints);
  if (!parsed_taints.ok()) return Fail(std::string(parsed_taints.status().message()));
  auto parsed_labels = kubelet::ParseLabels(node_labels);
  if (!parsed_labels.ok()) return Fail(std::string(parsed_labels.status().message()));
  if (node_name.empty()) {
    char host[256] = {0};
    gethostname(host, sizeof(host) - 1);
    node_name = host;
  }

  // The runtime: a daemon over gRPC, or in process in scale mode.
  std::unique_ptr<runtime::Runtime> in_process;
  std::unique_ptr<runtime::RuntimeClient> rt;
  if (nodes > 0) {
    runtime::RuntimeOptions ro;
    auto r = runtime::Runtime::Create(ro);
    if (!r.ok()) return Fail(std::string(r.status().message()));
    in_process = *std::move(r);
    rt = runtime::NewInProcessRuntimeClient(in_process.get());
  } else {
    auto c = runtime::NewGrpcRuntimeClient(runtime_endpoint);
    if (!c.ok()) return Fail(absl::StrCat("--container-runtime-endpoint: ", c.status().message()));
    rt = *std::move(c);
  }
  absl::StatusOr<cri::v1::VersionResponse> version;
  for (int i = 0; i < 60; ++i) {
    version = rt->Version({});
    if (version.ok()) break;
    if (i == 0)
      spdlog::warn("waiting for the container runtime at {}: {}", runtime_endpoint,
                   version.status().ToString());
    absl::SleepFor(absl::Seconds(1));
  }
  if (!version.ok()) {
    return Fail(absl::StrCat("container runtime not reachable at ", runtime_endpoint, ": ",
                             version.status().message()));
  }
  std::string runtime_version =
      absl::StrCat(version->runtime_name(), "://", version->runtime_version());

  if (absl::Status s = daemon.StartHealth(); !s.ok()) return daemon.Fail(s);
  if (!bootstrap_kubeconfig.empty()) {
    if (kubeconfig.empty()) return Fail("--bootstrap-kubeconfig needs --kubeconfig");
    if (nodes > 0) return Fail("--bootstrap-kubeconfig is for one node, not --nodes");
    absl::Status bootstrapped = kubelet::BootstrapClientCertificate({
        .kubeconfig = kubeconfig,
        .bootstrap_kubeconfig = bootstrap_kubeconfig,
        .cert_dir =
            cert_dir.empty() ? std::filesystem::path(kubeconfig).parent_path().string() : cert_dir,
        .node_name = node_name,
        .stopping = [] { return ShutdownSignalPending(); },
    });
    if (!bootstrapped.ok()) return Fail(absl::StrCat("TLS bootstrap: ", bootstrapped.message()));
  }
  absl::StatusOr<client::ApiClientOptions> api =
      client::ComponentApiClientOptions(server, kubeconfig, "minik8s-kubelet");
  if (!api.ok()) return Fail(std::string(api.status().message()));
  auto clientset = client::Clientset::Connect(*api);
  if (!clientset.ok()) return Fail(absl::StrCat("--server: ", clientset.status().message()));

  // The kubelet API's authorizer: the apiserver, asked through the
  // kubelet's own client.
  std::unique_ptr<kubelet::SubjectAccessReviewer> reviewer;
  std::unique_ptr<kubelet::WebhookAuthorizer> webhook;
  if (authorization_mode == "Webhook") {
    reviewer = kubelet::NewApiSubjectAccessReviewer((*clientset)->api());
    webhook = std::make_unique<kubelet::WebhookAuthorizer>(reviewer.get(), common::RealClock::Get(),
                                                           webhook_options);
  }
  // Bearer tokens: the apiserver says whom they authenticate.
  std::unique_ptr<kubelet::TokenReviewer> token_reviewer;
  std::unique_ptr<kubelet::WebhookTokenAuthenticator> token_authenticator;
  if (token_webhook) {
    token_reviewer = kubelet::NewApiTokenReviewer((*clientset)->api());
    token_authenticator = std::make_unique<kubelet::WebhookTokenAuthenticator>(
        token_reviewer.get(), common::RealClock::Get(), token_webhook_options);
  }
  // Scale mode serves many nodes on one API: the name asked about is
  // empty (rules without resourceNames still match). With a client CA a
  // caller without certificate or token is refused (the kubelet's
  // --anonymous-auth=false, as kubeadm sets it).
  const kubelet::KubeletAuth api_auth(
      nodes > 0 ? "" : node_name, webhook.get(), token_authenticator.get(),
      /*anonymous=*/api_tls.trusted_ca_file.empty() && !rotate_server_certificates);
  std::optional<TlsServerFiles> served_tls;
  if (!api_tls.cert_file.empty() || !api_tls.key_file.empty()) {
    api_tls.client_cert_auth = !api_tls.trusted_ca_file.empty();
    served_tls = api_tls;
  } else if (!api_tls.trusted_ca_file.empty()) {
    return Fail("--client-ca-file needs --tls-cert-file and --tls-private-key-file");
  }
  std::unique_ptr<kubelet::KubeletServer> log_server;
  if (rotate_server_certificates &&
      (!enable_server || port == 0 || kubeconfig.empty() || served_tls.has_value() || nodes > 0)) {
    return Fail(
        "--rotate-server-certificates needs --enable-server, a fixed --port, --kubeconfig and one "
        "node, and replaces --tls-cert-file");
  }
  if (enable_server && !rotate_server_certificates) {
    auto started = kubelet::KubeletServer::Start(absl::StrCat(node_ip, ":", port), rt.get(),
                                                 served_tls, &api_auth);
    if (!started.ok()) return Fail(std::string(started.status().message()));
    log_server = *std::move(started);
    spdlog::info("kubelet API (logs, port forwarding) on {}:{}{}", node_ip, log_server->port(),
                 !served_tls.has_value()        ? " (plaintext)"
                 : served_tls->client_cert_auth ? " (TLS, client certificates)"
                                                : " (TLS)");
  } else if (!enable_server) {
    spdlog::info("kubelet API off (--enable-server=false): no logs or port forwarding");
  }

  auto make_node = [&](const std::string& name, const std::string& cidr) {
    kubelet::NodeConfig n;
    n.name = name;
    n.labels = *parsed_labels;
    n.taints = *parsed_taints;
    n.cpu = cpu;
    n.memory = memory;
    n.max_pods = max_pods;
    n.pod_cidr = cidr;
    n.kubelet_port = log_server != nullptr        ? log_server->port()
                     : rotate_server_certificates ? port
                                                  : 0;
    n.internal_ip = node_ip;
    n.container_runtime_version = runtime_version;
    return n;
  };
  if (nodes > 0) {
    for (int i = 0; i < nodes; ++i) {
      options.nodes.push_back(
          make_node(absl::StrCat(node_name_prefix, i), kubelet::DerivedPodCidr(i)));
    }
  } else {
    options.nodes.push_back(make_node(node_name, pod_cidr.empty() ? "10.244.0.0/24" : pod_cidr));
  }

  std::unique_ptr<client::EventSink> events = client::NewApiEventSink((*clientset)->api());
  kubelet::Kubelet k(clientset->get(), rt.get(), events.get(), options);
  absl::Status started = k.Start();
  if (!started.ok()) return Fail(std::string(started.message()));
  daemon.SetServing(true);

  // With --rotate-server-certificates the API starts once its certificate
  // is signed, which may take an admin's approval: the node runs meanwhile.
  std::atomic<bool> stopping{false};
  absl::Mutex serving_mu;
  std::unique_ptr<kubelet::KubeletServer> rotated_server;
  std::thread serving_bootstrap;
  if (rotate_server_certificates) {
    serving_bootstrap = std::thread([&] {
      absl::StatusOr<kubelet::ServingFiles> files = kubelet::BootstrapServingCertificate(
          {.kubeconfig = kubeconfig,
           .cert_dir = cert_dir.empty() ? std::filesystem::path(kubeconfig).parent_path().string()
                                        : cert_dir,
           .node_name = node_name,
           .timeout = absl::InfiniteDuration(),
           .stopping = [&] { return stopping.load(); }},
          node_ip);
      if (!files.ok()) {
        if (!absl::IsCancelled(files.status())) {
          spdlog::error("kubelet API not served: {}", files.status().ToString());
        }
        return;
      }
      auto started =
          kubelet::KubeletServer::Start(absl::StrCat(node_ip, ":", port), rt.get(),
                                        TlsServerFiles{.cert_file = files->cert_file,
                                                       .key_file = files->key_file,
                                                       .trusted_ca_file = files->client_ca_file,
                                                       .client_cert_auth = true},
                                        &api_auth);
      if (!started.ok()) {
        spdlog::error("kubelet API not served: {}", started.status().ToString());
        return;
      }
      spdlog::info("kubelet API (logs, port forwarding) on {}:{} (TLS, client certificates)",
                   node_ip, (*started)->port());
      absl::MutexLock lock(&serving_mu);
      rotated_server = *std::move(started);
    });
  }

  daemon.WaitForShutdown();
  stopping = true;
  if (serving_bootstrap.joinable()) serving_bootstrap.join();
  spdlog::info(nodes > 0 ? "stopping (the in-process runtime's containers end with it)"
                         : "stopping (containers keep running)");
  k.Stop();
  if (nodes > 0 && options.root_dir != kubelet::kDefaultRootDir) {
    // Nothing this kubelet started outlives it, so neither do its pods'
    // volumes (in memory when `minik8s up` put --root-dir on /dev/shm). The
    // default root dir may be a real kubelet's: left alone.
    std::error_code ec;
    std::filesystem::remove_all(std::filesystem::path(options.root_dir) / "pods", ec);
    if (ec) {
      spdlog::warn("removing the pods' volumes under {}: {}", options.root_dir, ec.message());
    } else {
      std::filesystem::remove(options.root_dir, ec);  // only if nothing else is in it
    }
  }
  if (log_server != nullptr) log_server->Shutdown();
  if (rotated_server != nullptr) rotated_server->Shutdown();
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Run(argc, argv); }
