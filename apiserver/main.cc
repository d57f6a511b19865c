// minik8s-apiserver: the only writer to storage; serves the ApiServer gRPC
// API (proto/apiserver/v1/apiserver.proto) over an etcd v3 store.
#include <cstdint>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "apiserver/server.h"
#include "common/daemon.h"
#include "common/net.h"
#include "common/tls.h"
#include "spdlog/spdlog.h"

int main(int argc, char** argv) {
  minik8s::Daemon daemon(
      {.name = "minik8s-apiserver",
       .description = "the minik8s API server (the Kubernetes HTTP API and gRPC) over an etcd "
                      "v3 store",
       .health_help = "host:port of a separate health and metrics endpoint (gRPC health and "
                      "HTTP GET /healthz, /readyz, /livez, /metrics); the API port serves "
                      "/healthz and /metrics as well; empty = none"});
  CLI::App& app = daemon.app();
  minik8s::apiserver::ServerOptions options;
  std::string etcd_servers = "http://127.0.0.1:2379";
  std::string bind_address = "127.0.0.1";
  int port = 6443;
  std::string etcd_prefix = "/registry";
  size_t watch_cache_size = 10000;
  size_t watcher_buffer = 1000;
  int workers = 32;
  int64_t not_ready_toleration_seconds = 300;
  int64_t unreachable_toleration_seconds = 300;
  app.add_option("--etcd-servers", etcd_servers,
                 "Comma-separated etcd v3 endpoints (etcd or minik8s-store); the next one is "
                 "tried when one is unavailable")
      ->capture_default_str();
  minik8s::TlsClientFiles etcd_tls;
  app.add_option("--etcd-cafile", etcd_tls.ca_file,
                 "PEM CA bundle the https:// --etcd-servers' certificates are checked against "
                 "(default: the system's roots)");
  app.add_option("--etcd-certfile", etcd_tls.cert_file,
                 "PEM client certificate presented to https:// --etcd-servers (with "
                 "--etcd-keyfile; needed when the store runs with --client-cert-auth)");
  app.add_option("--etcd-keyfile", etcd_tls.key_file, "PEM private key of --etcd-certfile");
  app.add_option("--bind-address", bind_address,
                 "IP address to serve on: the Kubernetes HTTP API and the gRPC API share it")
      ->capture_default_str();
  app.add_option("--secure-port,--port", port,
                 "Port of both APIs: HTTP/1.1 requests get the Kubernetes HTTP API, HTTP/2 "
                 "connections the gRPC API (0: pick a free one). TLS only with --tls-cert-file, "
                 "else plain TCP")
      ->capture_default_str();
  app.add_option("--grpc-port", options.grpc_port,
                 "A port of the gRPC API's own on --bind-address (0: none, -1: pick a free "
                 "one). The gRPC server does the TLS there itself, with the same --tls-* files "
                 "and --client-ca-file as --secure-port, which is faster than --secure-port's "
                 "relay of gRPC connections; --secure-port keeps serving gRPC too")
      ->capture_default_str()
      ->check(CLI::Range(-1, 65535));
  app.add_option("--etcd-prefix", etcd_prefix, "Prefix of every key the apiserver stores")
      ->capture_default_str();
  app.add_option("--etcd-max-request-bytes", options.etcd_max_request_bytes,
                 "The store's --max-request-bytes: a write that needs a larger request (or a "
                 "pod whose status could not fit beside it) is refused with "
                 "RequestEntityTooLarge (413)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  daemon.AddDurationFlag("--event-ttl", &options.event_ttl,
                         "How long Events are kept (e.g. 1h, 30m; at least 1s)");
  daemon.AddDurationFlag("--etcd-compaction-interval", &options.compaction_interval,
                         "How often to compact the store's history (e.g. 5m); 0 turns it off");
  app.add_option("--watch-cache-size", watch_cache_size,
                 "Recent events kept per resource for watches to resume from")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--watcher-buffer", watcher_buffer,
                 "Events buffered per watch stream before a slow client is cut off")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  daemon.AddDurationFlag("--bookmark-interval", &options.bookmark_interval,
                         "How often watches that allow bookmarks get one, and idle watch "
                         "caches ask the store for progress (e.g. 5s); 0 turns both off");
  daemon.AddDurationFlag("--storage-timeout", &options.storage_timeout,
                         "Deadline of every call to the store (e.g. 5s)");
  app.add_option("--workers", workers,
                 "Threads handling requests that may wait for the store (both APIs)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--grpc-threads", options.grpc_threads,
                 "Event-loop threads of the gRPC server (every gRPC connection, the relayed "
                 "ones from --secure-port included, is served by one of them)")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  int http_threads = 2;
  app.add_option("--http-threads", http_threads,
                 "Event-loop threads of the HTTP server (every connection and watch stream "
                 "shares them)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--default-not-ready-toleration-seconds", not_ready_toleration_seconds,
                 "tolerationSeconds of the node.kubernetes.io/not-ready:NoExecute toleration "
                 "added to every new pod that does not already tolerate that taint (how long "
                 "it stays on a NotReady node before it is evicted)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--default-unreachable-toleration-seconds", unreachable_toleration_seconds,
                 "tolerationSeconds of the node.kubernetes.io/unreachable:NoExecute toleration "
                 "added to every new pod that does not already tolerate that taint (how long "
                 "it stays on an unreachable node before it is evicted)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--service-cluster-ip-range", options.service_network.cluster_ip_range,
                 "IPv4 CIDR Services' cluster IPs are allocated from; its first address is the "
                 "kubernetes Service's")
      ->capture_default_str();
  app.add_flag("--allow-loopback-endpoints", options.admission.allow_loopback_endpoints,
               "Let Endpoints and EndpointSlices hold 127.0.0.0/8 addresses, which Kubernetes' "
               "validation refuses (\"may not be in the loopback range\"): minik8s' rootless "
               "network gives pods 127.244.x.y addresses (`minik8s up` sets it)");
  app.add_option("--service-node-port-range", options.service_network.node_port_range,
                 "Port range (inclusive) NodePort and LoadBalancer Services' node ports are "
                 "allocated from")
      ->capture_default_str();
  daemon.AddDurationFlag("--service-allocator-repair-interval", &options.service_repair_interval,
                         "How often the cluster IP and node port allocators are checked against "
                         "the stored Services (values a Service holds are taken, values none "
                         "holds are released after three checks), e.g. 10s");
  app.add_option("--token-auth-file", options.token_auth_file,
                 "Authenticate requests by bearer token (HTTP Authorization: Bearer, gRPC "
                 "authorization metadata) from this CSV file, kube-apiserver's format: "
                 "token,user,uid[,\"group1,group2\"]; requests without a token are then refused "
                 "(401) except /healthz, /livez, /readyz and /version. Empty: no authentication");
  app.add_flag("--enable-bootstrap-token-auth", options.enable_bootstrap_token_auth,
               "Authenticate bearer tokens of the form <id>.<secret> against the Secrets "
               "kube-system/bootstrap-token-<id> of type bootstrap.kubernetes.io/token (the "
               "tokens `minik8s join` uses): the user system:bootstrap:<id>, in the group "
               "system:bootstrappers and the Secret's auth-extra-groups");
  app.add_option("--service-account-key-file", options.service_account_key_files,
                 "PEM file of RSA public keys (private keys and certificates give theirs) that "
                 "verify ServiceAccount tokens; repeatable. A bearer token signed by one of them, "
                 "from an accepted issuer, for one of --api-audiences, unexpired, naming a "
                 "ServiceAccount that still exists with the same uid is the user "
                 "system:serviceaccount:<namespace>:<name>. Default: the "
                 "--service-account-signing-key-file");
  app.add_option("--service-account-signing-key-file", options.service_account_signing_key_file,
                 "PEM RSA private key that signs the ServiceAccount tokens the "
                 "serviceaccounts/token subresource issues (`kubectl create token`); empty: no "
                 "tokens are issued (404)");
  app.add_option("--service-account-jwks-uri", options.service_account_jwks_uri,
                 "https URL of the JSON Web Key Set that the ServiceAccount issuer's discovery "
                 "document (/.well-known/openid-configuration) names; the keys are served at "
                 "/openid/v1/jwks. Default: https://<advertise address>:<port>/openid/v1/jwks. "
                 "Discovery is served when the first --service-account-issuer is an https URL");
  app.add_option("--service-account-issuer", options.service_account_issuers,
                 "Issuer (iss) of ServiceAccount tokens; repeatable: the first names new tokens, "
                 "tokens of any are accepted. Default: "
                 "https://kubernetes.default.svc.cluster.local");
  app.add_option("--api-audiences", options.api_audiences,
                 "Comma-separated audiences of the API: a ServiceAccount token must name one, and "
                 "new tokens name them all unless the request asks for others. Default: the "
                 "first --service-account-issuer")
      ->delimiter(',');
  app.add_option("--tls-cert-file", options.tls_cert_file,
                 "PEM certificate (chain) the apiserver presents: with it the port speaks only "
                 "TLS, for both the HTTP API and gRPC (ALPN: http/1.1 clients get the HTTP API, "
                 "h2-only clients gRPC). Empty: plaintext");
  app.add_option("--tls-private-key-file", options.tls_private_key_file,
                 "PEM private key of --tls-cert-file");
  app.add_option("--kubelet-certificate-authority", options.kubelet_certificate_authority,
                 "PEM CA bundle the kubelets' serving certificates are checked against: with it "
                 "the apiserver dials the kubelet API (pods/log) over TLS. Empty: plaintext");
  app.add_option("--kubelet-client-certificate", options.kubelet_client_certificate,
                 "PEM client certificate the apiserver presents to the kubelets (with "
                 "--kubelet-client-key; kubelets in Webhook mode ask whether its user may, e.g. "
                 "through RBAC's system:kubelet-api-admin)");
  app.add_option("--kubelet-client-key", options.kubelet_client_key,
                 "PEM private key of --kubelet-client-certificate");
  app.add_option("--client-ca-file", options.client_ca_file,
                 "Authenticate clients by TLS certificate: one signed by this PEM CA is the user "
                 "of its Common Name, in the groups of its Organizations (kube-apiserver's x509 "
                 "authentication); requests without credentials are then refused (401) except "
                 "/healthz, /livez, /readyz and /version. Needs --tls-cert-file");
  app.add_option("--authorization-mode", options.authorization_mode,
                 "Comma-separated authorizers asked in order, kube-apiserver's: AlwaysAllow, "
                 "AlwaysDeny, Node (kubelets: system:node:<name> in system:nodes), RBAC (Roles "
                 "and Bindings of rbac.authorization.k8s.io/v1; the bootstrap roles and bindings "
                 "are created at start). Members of system:masters are always allowed; a request "
                 "nobody allows is refused (403)")
      ->capture_default_str();
  app.add_option("--enable-admission-plugins", options.enable_admission_plugins,
                 "Comma-separated admission plugins to enable, kube-apiserver's: NodeRestriction "
                 "(a kubelet writes only its own Node and Lease and the pods bound to it). "
                 "NamespaceLifecycle, ServiceAccount, DefaultTolerationSeconds and Priority are "
                 "always on and accepted here; any other name is an error");
  app.add_option("--audit-log-path", options.audit_log_path,
                 "Write one audit.k8s.io/v1 Event (JSON, one per line, Metadata level: user, "
                 "verb, object, response code, timestamps) per API request, of both the HTTP and "
                 "the gRPC API, to this file (appended to, created 0600); \"-\" is standard "
                 "output; empty: no audit log");
  app.add_option("--advertise-address", options.advertise_address,
                 "IP address the kubernetes Service's endpoints point at (default: "
                 "--bind-address, 127.0.0.1 when that is 0.0.0.0)");
  if (std::optional<int> exit = daemon.Parse(argc, argv)) return *exit;
  if (options.service_repair_interval < absl::Seconds(1)) {
    return daemon.Fail("--service-allocator-repair-interval: must be at least 1s", 2);
  }
  if (absl::Status s =
          minik8s::apiserver::ServiceAllocators::Create(options.service_network).status();
      !s.ok()) {
    return daemon.Fail(s, 2);
  }

  absl::StatusOr<std::vector<minik8s::GrpcEndpoint>> endpoints =
      minik8s::UrlListToGrpcEndpoints(etcd_servers);
  if (!endpoints.ok() || endpoints->empty()) {
    return daemon.Fail(
        absl::StrCat("--etcd-servers: ",
                     endpoints.ok() ? "no endpoint given" : endpoints.status().message()),
        2);
  }
  std::shared_ptr<grpc::ChannelCredentials> etcd_credentials;
  for (const minik8s::GrpcEndpoint& endpoint : *endpoints) {
    options.etcd_endpoints.push_back(endpoint.address);
    if (!endpoint.tls) {
      options.etcd_credentials.push_back(nullptr);
      continue;
    }
    if (etcd_credentials == nullptr) {
      auto made = minik8s::MakeChannelCredentials(etcd_tls);
      if (!made.ok())
        return daemon.Fail(absl::StrCat("--etcd-*file: ", made.status().message()), 2);
      etcd_credentials = *std::move(made);
    }
    options.etcd_credentials.push_back(etcd_credentials);
  }
  if (etcd_credentials == nullptr && !etcd_tls.cert_file.empty()) {
    spdlog::warn(
        "--etcd-certfile given but no --etcd-servers URL is https://: the store is "
        "reached in plaintext");
  }
  options.etcd_prefix = etcd_prefix;
  options.bind_address = bind_address;
  options.port = port;
  if (options.event_ttl < absl::Seconds(1)) {
    return daemon.Fail("--event-ttl: must be at least 1s", 2);
  }
  options.watch_cache_size = watch_cache_size;
  options.watcher_buffer = watcher_buffer;
  options.workers = workers;
  options.http_threads = http_threads;
  options.admission.default_not_ready_toleration_seconds = not_ready_toleration_seconds;
  options.admission.default_unreachable_toleration_seconds = unreachable_toleration_seconds;

  minik8s::apiserver::Server server(options);
  absl::Status status = server.Start();
  if (!status.ok()) return daemon.Fail(status);
  if (absl::Status s = daemon.StartHealth(); !s.ok()) {
    server.Shutdown();
    return daemon.Fail(s);
  }
  daemon.SetServing(true);
  spdlog::info("serving on {}:{} (storage {})", bind_address, server.port(), etcd_servers);
  if (server.grpc_port() != 0) {
    spdlog::info("serving gRPC also on {}:{}", bind_address, server.grpc_port());
  }
  daemon.WaitForShutdown();
  server.Shutdown();
  spdlog::info("stopped");
  return 0;
}
