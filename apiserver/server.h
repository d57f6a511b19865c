// The whole apiserver process wired together: etcd client, object store,
// registry, one watch cache (+ reflector) per resource, the request handler,
// the namespace finalizer, periodic compaction of the store, the gRPC
// server (common/rpc/h2_server.h: the ApiServer service, server reflection,
// the standard health service) and the Kubernetes HTTP API (rest/). Both
// share one port: the HTTP server listens and hands connections that open
// with the HTTP/2 preface (gRPC clients) to the gRPC server; over TLS it
// relays their bytes. The gRPC server may also listen on a port of its own
// (grpc_port), where it does the TLS itself: the faster path, which
// `minik8s up`'s kubeconfigs name.
//
// Health: the overall health status ("" service) is SERVING while the store
// answers and NOT_SERVING while it is unreachable (checked every second).
//
// Thread safety: Start() and Shutdown() from one owner thread.
#ifndef MINIK8S_APISERVER_SERVER_H_
#define MINIK8S_APISERVER_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "apiserver/admission/plugins.h"
#include "apiserver/audit/audit_log.h"
#include "apiserver/authn/bootstrap_token.h"
#include "apiserver/authn/service_account_token.h"
#include "apiserver/authz/authorizer.h"
#include "apiserver/authz/cache_policy_source.h"
#include "apiserver/authz/node_graph.h"
#include "apiserver/cache_reflector.h"
#include "apiserver/handler.h"
#include "apiserver/namespace_finalizer.h"
#include "apiserver/registry/admission.h"
#include "apiserver/registry/registry.h"
#include "apiserver/registry/service_allocator.h"
#include "apiserver/rest/api_router.h"
#include "apiserver/rest/http_server.h"
#include "apiserver/rest/log_stream.h"
#include "apiserver/service.h"
#include "apiserver/serviceaccount/oidc_discovery.h"
#include "apiserver/serviceaccount/token_request.h"
#include "apiserver/storage/etcd_client.h"
#include "apiserver/storage/object_store.h"
#include "apiserver/watch_cache.h"
#include "apiserver/worker_pool.h"
#include "common/metrics.h"
#include "common/rpc/h2_server.h"
#include "common/rpc/health_service.h"
#include "common/rpc/reflection_service.h"

namespace minik8s::apiserver {

struct ServerOptions {
  std::vector<std::string> etcd_endpoints;  // gRPC addresses
  // One per etcd endpoint when set (TLS for https:// ones); empty = plaintext.
  std::vector<std::shared_ptr<grpc::ChannelCredentials>> etcd_credentials;
  std::string etcd_prefix = "/registry";
  // The store's --max-request-bytes (etcd's default): larger writes are
  // refused with RequestEntityTooLarge before they reach it.
  int64_t etcd_max_request_bytes = ObjectStore::kDefaultMaxRequestBytes;
  std::string bind_address = "127.0.0.1";
  int port = 6443;
  // The gRPC API's own port on bind_address (0: none; -1: pick a free one).
  // The gRPC server terminates TLS there itself, with the same certificate
  // and client CA as `port`, so calls skip the HTTP server's relay.
  int grpc_port = 0;
  // Event-loop threads of the gRPC server. Two: with TLS, one thread
  // encrypting for every connection was measured slower (bench/cluster).
  int grpc_threads = 2;
  absl::Duration event_ttl = absl::Hours(1);
  absl::Duration compaction_interval = absl::Minutes(5);  // zero: off
  size_t watch_cache_size = 10000;
  size_t watcher_buffer = 1000;
  absl::Duration bookmark_interval = absl::Seconds(5);
  absl::Duration storage_timeout = absl::Seconds(5);
  int workers = 32;
  // Event-loop threads of the HTTP server.
  int http_threads = 2;
  AdmissionOptions admission;
  // --service-cluster-ip-range, --service-node-port-range.
  ServiceNetworkOptions service_network;
  // How often the service allocators are repaired from the stored Services
  // (Kubernetes' repair controllers).
  absl::Duration service_repair_interval = absl::Seconds(10);
  // The address the `kubernetes` Service's endpoints point at; empty: the
  // bind address (127.0.0.1 when it is 0.0.0.0).
  std::string advertise_address;
  // --audit-log-path: a file (appended to) or "-" for standard output;
  // empty: no audit log.
  std::string audit_log_path;
  // --token-auth-file: bearer tokens (authn/authenticator.h); empty: no
  // authentication, every caller is system:anonymous.
  std::string token_auth_file;
  // --enable-bootstrap-token-auth: bearer tokens "<id>.<secret>" backed by
  // kube-system/bootstrap-token-<id> Secrets (authn/bootstrap_token.h).
  bool enable_bootstrap_token_auth = false;
  // --service-account-key-file (repeatable): PEM public keys (private keys
  // and certificates give theirs) that verify ServiceAccount tokens, which
  // turns their authentication on (authn/service_account_token.h). Empty
  // with a signing key: the signing key's public half.
  std::vector<std::string> service_account_key_files;
  // --service-account-signing-key-file: the RSA private key new tokens are
  // signed with (the serviceaccounts/token subresource,
  // serviceaccount/token_request.h); empty: no tokens are issued.
  std::string service_account_signing_key_file;
  // --service-account-issuer (repeatable): the first is the iss of new
  // tokens; tokens from any of them are accepted. Empty: the default issuer.
  std::vector<std::string> service_account_issuers;
  // --service-account-jwks-uri: the jwks_uri of the issuer's discovery
  // document (serviceaccount/oidc_discovery.h); empty:
  // https://<advertised address>:<port>/openid/v1/jwks.
  std::string service_account_jwks_uri;
  // --api-audiences: the audiences a token must name one of, and the
  // default audiences of new tokens; empty: the first issuer.
  std::vector<std::string> api_audiences;
  // --tls-cert-file, --tls-private-key-file: serve TLS only (both APIs);
  // empty: plaintext. --client-ca-file: authenticate client certificates
  // signed by this CA (authn/authenticator.h); needs TLS.
  std::string tls_cert_file;
  std::string tls_private_key_file;
  std::string client_ca_file;
  // --kubelet-certificate-authority, --kubelet-client-certificate,
  // --kubelet-client-key: the kubelets' API (pods/log) is dialled over TLS,
  // their certificates checked against this CA, presenting this client
  // certificate; all empty: plaintext.
  std::string kubelet_certificate_authority;
  std::string kubelet_client_certificate;
  std::string kubelet_client_key;
  // --authorization-mode: comma-separated AlwaysAllow, AlwaysDeny, Node, RBAC
  // (authz/authorizer.h). With RBAC the bootstrap roles and bindings are
  // created at start (authz/bootstrap_policy.h).
  std::string authorization_mode = "AlwaysAllow";
  // --enable-admission-plugins: comma-separated (admission/plugins.h).
  std::string enable_admission_plugins;
};

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();

  // Starts everything and listens; returns once serving.
  absl::Status Start();
  // The port actually bound (useful with port 0).
  int port() const { return bound_port_; }
  // The gRPC port actually bound (0: none).
  int grpc_port() const { return bound_grpc_port_; }
  void Shutdown();

 private:
  void RunMaintenance();
  // The gRPC server takes a connection from the HTTP server's port.
  void HandOffToGrpc(int fd, std::optional<authn::CertificateIdentity> client);
  // Rebuilds or repairs the service allocators from the stored Services.
  absl::Status RepairServiceAllocators();
  // The uid of the Node `name` in the watch cache, as NodeRestriction asks
  // it (NotFound when there is none).
  absl::StatusOr<std::string> NodeUid(const std::string& name) const;
  // The pod ns/name in the watch cache (NotFound when there is none), as
  // NodeRestriction asks it of a node's token request.
  absl::StatusOr<core::v1::Pod> CachedPod(const std::string& ns, const std::string& name) const;
  // The ServiceAccounts' token authenticator and issuer from the
  // --service-account-* flags (none when no key is given), and
  // api_audiences_.
  absl::Status SetUpServiceAccountTokens();
  // The ServiceAccount ns/name from the watch cache, or from the store when
  // the cache has not seen it yet (a token used right after its account
  // was made); nullopt when there is none.
  std::optional<core::v1::ServiceAccount> FindServiceAccount(const std::string& ns,
                                                             const std::string& name) const;
  // The same from the cache alone (nullopt when it lacks it), and from the
  // store alone (NotFound when there is none): ServiceAccount admission's.
  std::optional<core::v1::ServiceAccount> CachedServiceAccount(const std::string& ns,
                                                               const std::string& name) const;
  absl::StatusOr<core::v1::ServiceAccount> StoredServiceAccount(const std::string& ns,
                                                                const std::string& name) const;
  // The metadata of the Pod, Secret or Node (`kind`) ns/name a token is
  // bound to: from the watch cache, or the store when `from_storage`.
  std::optional<meta::v1::ObjectMeta> BoundObjectMeta(absl::string_view kind, const std::string& ns,
                                                      const std::string& name,
                                                      bool from_storage) const;
  // The rules of a Role or ClusterRole, from the cache (RBAC's escalation
  // check).
  absl::StatusOr<std::vector<rbac::v1::PolicyRule>> RoleRules(const std::string& kind,
                                                              const std::string& ns,
                                                              const std::string& name) const;

  ServerOptions options_;
  std::unique_ptr<EtcdClient> client_;
  std::unique_ptr<ObjectStore> store_;
  std::unique_ptr<Registry> registry_;
  std::unique_ptr<ServiceAllocators> service_allocators_;
  std::vector<std::unique_ptr<WatchCache>> caches_;
  std::vector<std::unique_ptr<CacheReflector>> reflectors_;
  std::unique_ptr<audit::AuditLog> audit_;  // outlives the service and the router
  // Reads the secrets cache (after caches_); outlives the authenticator.
  std::unique_ptr<authn::BootstrapTokenAuthenticator> bootstrap_tokens_;
  // Reads the serviceaccounts cache (and the store on a miss); likewise.
  std::unique_ptr<authn::ServiceAccountTokenAuthenticator> service_account_tokens_;
  // Signs TokenRequests (null without a signing key); outlives the router.
  std::unique_ptr<serviceaccount::TokenIssuer> token_issuer_;
  // The issuer's discovery documents; null when not served.
  std::unique_ptr<serviceaccount::OidcDiscovery> oidc_;
  // --api-audiences, by default the first ServiceAccount issuer when
  // ServiceAccount tokens are on (what TokenReviews check against).
  std::vector<std::string> api_audiences_;
  std::unique_ptr<authn::Authenticator> authenticator_;  // likewise
  // RBAC's view of the caches (after caches_: it listens to them) and the
  // authorizer (null with AlwaysAllow alone); both outlive the service and
  // the router.
  std::unique_ptr<authz::CachePolicySource> policy_source_;
  // The Node authorizer's graph of the pods cache (with Node mode).
  std::unique_ptr<authz::CacheNodeGraph> node_graph_;
  std::unique_ptr<authz::Authorizer> authorizer_;
  // --enable-admission-plugins (null: none); outlives the handler.
  std::unique_ptr<admission::Chain> admission_;
  std::unique_ptr<Handler> handler_;
  std::unique_ptr<NamespaceFinalizer> finalizer_;
  std::unique_ptr<WorkerPool> pool_;
  std::unique_ptr<ApiServerService> service_;
  std::unique_ptr<rpc::Server> rpc_;
  std::unique_ptr<rpc::HealthService> health_;
  std::unique_ptr<rpc::ReflectionService> reflection_;
  std::unique_ptr<rest::LogStreamer> logs_;
  std::unique_ptr<rest::ApiRouter> router_;
  std::unique_ptr<rest::HttpServer> http_;
  std::atomic<bool> storage_healthy_{false};
  std::vector<std::unique_ptr<metrics::GaugeFuncFamily::Registration>> metric_registrations_;
  int bound_port_ = 0;
  int bound_grpc_port_ = 0;
  std::thread maintenance_;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace minik8s::apiserver

#endif  // MINIK8S_APISERVER_SERVER_H_
