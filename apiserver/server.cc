#include "apiserver/server.h"

#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "apiserver/authz/bootstrap_policy.h"
#include "apiserver/authz/chain.h"
#include "apiserver/kubernetes_service.h"
#include "apiserver/object_meta.h"
#include "apiserver/serviceaccount/token.h"
#include "common/metrics.h"
#include "common/status_macros.h"
#include "common/tls.h"
#include "k8s/core/v1/core.pb.h"
#include "k8s/rbac/v1/rbac.pb.h"
#include "spdlog/spdlog.h"

namespace minik8s::apiserver {
namespace {

const char* const kSystemNamespaces[] = {"default", "kube-system", "kube-node-lease",
                                         "kube-public"};

// The object `resource` ns/name as stored (the API's NotFound when there is
// none).
template <typename T>
absl::StatusOr<T> StoredAs(const Registry& registry, ObjectStore* store, const char* resource,
                           const std::string& ns, const std::string& name) {
  ASSIGN_OR_RETURN(const Strategy* strategy, registry.Find(resource));
  const api::KindInfo& kind = strategy->kind();
  ASSIGN_OR_RETURN(MessagePtr stored, store->Get(kind, store->Key(kind, ns, name), name));
  if (stored->GetDescriptor() != T::descriptor()) {
    return api::NewInternalError(absl::StrCat("the stored ", resource, " are of another type"));
  }
  return static_cast<const T&>(*stored);
}

}  // namespace

Server::Server(ServerOptions options) : options_(std::move(options)) {}

Server::~Server() { Shutdown(); }

absl::Status Server::Start() {
  absl::StatusOr<std::unique_ptr<EtcdClient>> client = EtcdClient::Create(
      {options_.etcd_endpoints, options_.storage_timeout, options_.etcd_credentials});
  if (!client.ok()) return client.status();
  client_ = std::move(*client);
  store_ = std::make_unique<ObjectStore>(client_.get(), options_.etcd_prefix,
                                         options_.etcd_max_request_bytes);
  registry_ = std::make_unique<Registry>(api::Scheme::Default());
  ASSIGN_OR_RETURN(service_allocators_, ServiceAllocators::Create(options_.service_network));
  ASSIGN_OR_RETURN(const std::vector<std::string> plugins,
                   admission::ParseEnabledPlugins(options_.enable_admission_plugins));
  admission_ = admission::NewChain(
      plugins,
      {.node_uid = [this](const std::string& name) { return NodeUid(name); },
       .pods = [this](const std::string& ns,
                      const std::string& name) { return CachedPod(ns, name); },
       .authorizer = [this] { return authorizer_.get(); },
       .role_rules = [this](const std::string& kind, const std::string& ns,
                            const std::string& name) { return RoleRules(kind, ns, name); }});
  if (!plugins.empty()) {
    spdlog::info("admission plugins: {}", options_.enable_admission_plugins);
  }
  AdmissionOptions admission = options_.admission;
  if (!options_.service_account_signing_key_file.empty()) {
    // Pods get token volumes only from an apiserver that issues tokens.
    admission.service_accounts = {
        .cached = [this](const std::string& ns,
                         const std::string& name) { return CachedServiceAccount(ns, name); },
        .stored = [this](const std::string& ns,
                         const std::string& name) { return StoredServiceAccount(ns, name); }};
  }
  handler_ = std::make_unique<Handler>(
      store_.get(), registry_.get(),
      Handler::Options{.event_ttl_seconds = absl::ToInt64Seconds(options_.event_ttl),
                       .admission = std::move(admission),
                       .pools = {.services = service_allocators_.get()},
                       .plugins = admission_.get()});
  for (const auto& strategy : registry_->strategies()) {
    auto cache = std::make_unique<WatchCache>(
        &strategy->kind(), WatchCache::Options{.window_size = options_.watch_cache_size,
                                               .watcher_buffer = options_.watcher_buffer});
    auto reflector =
        std::make_unique<CacheReflector>(store_.get(), cache.get(), options_.bookmark_interval);
    handler_->AddCache(&strategy->kind(), cache.get());
    reflector->Start();
    caches_.push_back(std::move(cache));
    reflectors_.push_back(std::move(reflector));
  }
  metrics::Registry& registry = metrics::Registry::Default();
  absl::StatusOr<metrics::GaugeFuncFamily*> objects = metrics::NewGaugeFunc(
      registry, "apiserver_storage_objects",
      "Number of stored objects at the time of last check split by kind.", {"resource"});
  absl::StatusOr<metrics::GaugeFuncFamily*> watchers =
      metrics::NewGaugeFunc(registry, "apiserver_registered_watchers",
                            "Number of currently registered watchers for a given resources",
                            {"group", "kind", "version"});
  if (objects.ok() && watchers.ok()) {
    metric_registrations_.push_back((*objects)->AddCallback([this] {
      std::vector<metrics::GaugeFuncFamily::Sample> samples;
      for (const auto& cache : caches_) {
        samples.push_back(
            {{cache->kind().GroupResource()}, static_cast<double>(cache->object_count())});
      }
      return samples;
    }));
    metric_registrations_.push_back((*watchers)->AddCallback([this] {
      std::vector<metrics::GaugeFuncFamily::Sample> samples;
      for (const auto& cache : caches_) {
        const api::KindInfo& kind = cache->kind();
        samples.push_back(
            {{kind.group, kind.kind, kind.version}, static_cast<double>(cache->watcher_count())});
      }
      return samples;
    }));
  }
  finalizer_ = std::make_unique<NamespaceFinalizer>(handler_.get(), NamespaceFinalizer::Options{});
  finalizer_->Start();

  if (!options_.audit_log_path.empty()) {
    absl::StatusOr<std::unique_ptr<audit::AuditLog>> log =
        audit::AuditLog::Open(options_.audit_log_path);
    if (!log.ok()) return log.status();
    audit_ = *std::move(log);
  }
  std::optional<authn::TokenFile> tokens;
  if (!options_.token_auth_file.empty()) {
    absl::StatusOr<authn::TokenFile> loaded = authn::TokenFile::Load(options_.token_auth_file);
    if (!loaded.ok()) return loaded.status();
    spdlog::info("authentication: {} bearer tokens from {}", loaded->size(),
                 options_.token_auth_file);
    tokens = *std::move(loaded);
  } else if (options_.client_ca_file.empty() && !options_.enable_bootstrap_token_auth &&
             options_.service_account_key_files.empty() &&
             options_.service_account_signing_key_file.empty()) {
    spdlog::warn(
        "neither --token-auth-file nor --client-ca-file: every caller is served as "
        "system:anonymous");
  }
  const bool tls = !options_.tls_cert_file.empty() || !options_.tls_private_key_file.empty();
  if (tls && (options_.tls_cert_file.empty() || options_.tls_private_key_file.empty())) {
    return absl::InvalidArgumentError(
        "--tls-cert-file and --tls-private-key-file go together: give both or neither");
  }
  if (!options_.client_ca_file.empty() && !tls) {
    return absl::InvalidArgumentError(
        "--client-ca-file needs TLS: give --tls-cert-file and --tls-private-key-file too");
  }
  if (!options_.client_ca_file.empty()) {
    spdlog::info("authentication: client certificates signed by {}", options_.client_ca_file);
  }
  if (options_.enable_bootstrap_token_auth) {
    ASSIGN_OR_RETURN(const Strategy* secrets, registry_->Find("secrets"));
    WatchCache* cache = handler_->CacheFor(&secrets->kind());
    if (cache == nullptr) return absl::InternalError("no cache of secrets");
    bootstrap_tokens_ = std::make_unique<authn::BootstrapTokenAuthenticator>(
        [cache](const std::string& ns, const std::string& name) -> std::optional<core::v1::Secret> {
          CachedObjectPtr cached = cache->Get(absl::StrCat(ns, "/", name));
          if (cached == nullptr ||
              cached->object->GetDescriptor() != core::v1::Secret::descriptor()) {
            return std::nullopt;
          }
          return static_cast<const core::v1::Secret&>(*cached->object);
        });
    spdlog::info("authentication: bootstrap tokens from kube-system Secrets");
  }
  RETURN_IF_ERROR(SetUpServiceAccountTokens());
  authenticator_ = std::make_unique<authn::Authenticator>(
      std::move(tokens), !options_.client_ca_file.empty(), bootstrap_tokens_.get(),
      service_account_tokens_.get(), api_audiences_);
  ASSIGN_OR_RETURN(const std::vector<std::string> modes,
                   authz::ParseModes(options_.authorization_mode));
  if (modes != std::vector<std::string>{"AlwaysAllow"}) {
    if (authz::HasRbac(modes)) {
      policy_source_ = std::make_unique<authz::CachePolicySource>(handler_.get());
    }
    if (authz::HasNode(modes)) {
      ASSIGN_OR_RETURN(const Strategy* pods, registry_->Find("pods"));
      WatchCache* cache = handler_->CacheFor(&pods->kind());
      if (cache == nullptr) return absl::InternalError("no cache of pods");
      node_graph_ = std::make_unique<authz::CacheNodeGraph>(cache);
    }
    ASSIGN_OR_RETURN(authorizer_,
                     authz::NewAuthorizer(modes, policy_source_.get(), node_graph_.get()));
    spdlog::info("authorization: {}", options_.authorization_mode);
  }
  pool_ = std::make_unique<WorkerPool>(options_.workers);
  service_ = std::make_unique<ApiServerService>(handler_.get(), pool_.get(), audit_.get(),
                                                authenticator_.get(), authorizer_.get(),
                                                token_issuer_.get());
  // The HTTP server hands the gRPC server the connections that speak
  // HTTP/2; with --grpc-port it also listens on a port of its own.
  rpc_ = std::make_unique<rpc::Server>(rpc::ServerConfig{.max_receive_message_bytes = 64 << 20,
                                                         .worker_threads = options_.grpc_threads,
                                                         .keep_metadata = true});
  service_->Register(rpc_.get());
  health_ = std::make_unique<rpc::HealthService>(rpc_.get(), /*serving=*/false);
  reflection_ = std::make_unique<rpc::ReflectionService>(
      rpc_.get(), std::vector<std::string>{"minik8s.apiserver.v1.ApiServer",
                                           rpc::ReflectionService::kServiceName});
  if (options_.grpc_port != 0) {
    std::shared_ptr<SSL_CTX> credentials;
    if (tls) {
      // As on the HTTP port: a client certificate is optional (a bearer
      // token will do), but one the CA did not sign ends the handshake.
      ASSIGN_OR_RETURN(
          SslCtxPtr context,
          MakeServerSslContext({.cert_file = options_.tls_cert_file,
                                .key_file = options_.tls_private_key_file,
                                .trusted_ca_file = options_.client_ca_file,
                                .request_client_cert = !options_.client_ca_file.empty()}));
      credentials = std::shared_ptr<SSL_CTX>(context.release(), SSL_CTX_free);
    }
    absl::StatusOr<int> port = rpc_->Listen(
        absl::StrCat(options_.bind_address, ":", options_.grpc_port < 0 ? 0 : options_.grpc_port),
        std::move(credentials));
    if (!port.ok()) {
      return absl::UnavailableError(absl::StrCat("cannot serve gRPC on ", options_.bind_address,
                                                 ":", options_.grpc_port, ": ",
                                                 port.status().message()));
    }
    bound_grpc_port_ = *port;
  }
  rpc_->Start();

  rest::LogStreamer::Options log_options;
  if (!options_.kubelet_certificate_authority.empty() ||
      !options_.kubelet_client_certificate.empty() || !options_.kubelet_client_key.empty()) {
    log_options.kubelet_tls = TlsClientFiles{.ca_file = options_.kubelet_certificate_authority,
                                             .cert_file = options_.kubelet_client_certificate,
                                             .key_file = options_.kubelet_client_key};
  }
  logs_ = std::make_unique<rest::LogStreamer>(log_options);
  router_ = std::make_unique<rest::ApiRouter>(
      handler_.get(), pool_.get(),
      rest::ApiRouter::Options{
          .storage_healthy = [this] { return storage_healthy_.load(); },
          .logs = logs_.get(),
          .server_address =
              options_.port > 0 ? absl::StrCat(options_.bind_address, ":", options_.port) : "",
          .audit = audit_.get(),
          .authenticator = authenticator_.get(),
          .authorizer = authorizer_.get(),
          .token_issuer = token_issuer_.get(),
          .oidc = oidc_.get(),
          .external_address =
              [this] {
                std::string host = options_.advertise_address;
                if (host.empty()) {
                  host = options_.bind_address == "0.0.0.0" ? "127.0.0.1" : options_.bind_address;
                }
                return absl::StrCat(host, ":", http_->port());
              },
      });
  http_ = std::make_unique<rest::HttpServer>(
      rest::HttpServerOptions{
          .bind_address = options_.bind_address,
          .port = options_.port,
          .threads = options_.http_threads,
          .tls = tls ? std::make_optional(rest::HttpTlsOptions{
                           .cert_file = options_.tls_cert_file,
                           .key_file = options_.tls_private_key_file,
                           .client_ca_file = options_.client_ca_file,
                       })
                     : std::nullopt,
          .http2_handoff =
              [this](int fd, std::optional<authn::CertificateIdentity> client) {
                HandOffToGrpc(fd, std::move(client));
              },
      },
      router_.get());
  RETURN_IF_ERROR(http_->Start());
  bound_port_ = http_->port();
  maintenance_ = std::thread([this] { RunMaintenance(); });
  return absl::OkStatus();
}

void Server::HandOffToGrpc(int fd, std::optional<authn::CertificateIdentity> client) {
  // A TLS connection arrives through a socket pair: its address says
  // nothing of the client (its certificate does).
  rpc_->Adopt(fd, std::make_shared<rpc::Peer>(rpc::Peer{.address = rpc::PeerAddress(fd),
                                                        .certificate = std::move(client)}));
}

absl::Status Server::SetUpServiceAccountTokens() {
  api_audiences_ = options_.api_audiences;
  std::vector<std::string> key_files = options_.service_account_key_files;
  const std::string& signing_file = options_.service_account_signing_key_file;
  // As kube-apiserver: a signing key alone also verifies.
  if (key_files.empty() && !signing_file.empty()) key_files.push_back(signing_file);
  if (key_files.empty()) return absl::OkStatus();
  std::vector<std::string> issuers = options_.service_account_issuers;
  if (issuers.empty()) issuers.push_back(serviceaccount::kDefaultIssuer);
  for (const std::string& issuer : issuers) {
    if (issuer.empty()) {
      return absl::InvalidArgumentError("--service-account-issuer: an issuer is empty");
    }
  }
  std::vector<std::string> audiences = options_.api_audiences;
  if (audiences.empty()) audiences.push_back(issuers.front());
  api_audiences_ = audiences;
  absl::StatusOr<pki::PublicKeySet> keys = pki::PublicKeySet::Load(key_files);
  if (!keys.ok()) {
    return absl::Status(keys.status().code(),
                        absl::StrCat("--service-account-key-file: ", keys.status().message()));
  }
  // Issuer discovery needs an https issuer, as kube-apiserver's; a bad
  // --service-account-jwks-uri is a flag error, another issuer only turns
  // the discovery documents off.
  const std::string& jwks_uri = options_.service_account_jwks_uri;
  absl::StatusOr<serviceaccount::OidcDiscovery> oidc =
      serviceaccount::OidcDiscovery::Build(issuers.front(), jwks_uri, *keys);
  if (oidc.ok()) {
    oidc_ = std::make_unique<serviceaccount::OidcDiscovery>(*std::move(oidc));
  } else if (!jwks_uri.empty() && !absl::StartsWith(jwks_uri, "https://")) {
    return absl::InvalidArgumentError(
        absl::StrCat("--service-account-jwks-uri: ", oidc.status().message()));
  } else {
    spdlog::warn("ServiceAccount issuer discovery off: {}", std::string(oidc.status().message()));
  }
  spdlog::info("authentication: ServiceAccount tokens from issuer {} ({} keys)", issuers.front(),
               keys->size());
  service_account_tokens_ = std::make_unique<authn::ServiceAccountTokenAuthenticator>(
      *std::move(keys), issuers, audiences,
      [this](const std::string& ns, const std::string& name) {
        return FindServiceAccount(ns, name);
      },
      absl::Now,
      [this](absl::string_view kind, const std::string& ns, const std::string& name,
             bool from_storage) { return BoundObjectMeta(kind, ns, name, from_storage); });
  if (!signing_file.empty()) {
    absl::StatusOr<serviceaccount::JwtSigner> signer =
        serviceaccount::JwtSigner::Load(signing_file);
    if (!signer.ok()) {
      return absl::Status(
          signer.status().code(),
          absl::StrCat("--service-account-signing-key-file: ", signer.status().message()));
    }
    serviceaccount::TokenIssuer::Lookups lookups{
        // A kubelet asks for a token per pod it starts: the account and the
        // pod are in the watch cache by then, and reading them there saves
        // two store round trips a pod. A deleted object lingers in the
        // cache for a moment at most, and a token bound to it stops
        // authenticating once the cache has caught up (authn/).
        .service_account = [this](const std::string& ns, const std::string& name)
            -> absl::StatusOr<core::v1::ServiceAccount> {
          if (std::optional<core::v1::ServiceAccount> cached = CachedServiceAccount(ns, name)) {
            return *std::move(cached);
          }
          return StoredServiceAccount(ns, name);
        },
        .pod = [this](const std::string& ns, const std::string& name,
                      const std::string& uid) -> absl::StatusOr<core::v1::Pod> {
          absl::StatusOr<core::v1::Pod> cached = CachedPod(ns, name);
          if (cached.ok() && (uid.empty() || cached->metadata().uid() == uid)) return cached;
          return StoredAs<core::v1::Pod>(*registry_, store_.get(), "pods", ns, name);
        },
        .secret =
            [this](const std::string& ns, const std::string& name) {
              return StoredAs<core::v1::Secret>(*registry_, store_.get(), "secrets", ns, name);
            },
        .node =
            [this](const std::string& name) {
              return StoredAs<core::v1::Node>(*registry_, store_.get(), "nodes", "", name);
            },
        .node_uid = [this](const std::string& name) -> std::optional<std::string> {
          absl::StatusOr<std::string> uid = NodeUid(name);
          if (uid.ok()) return *uid;
          std::optional<meta::v1::ObjectMeta> stored = BoundObjectMeta("Node", "", name, true);
          if (!stored.has_value()) return std::nullopt;
          return stored->uid();
        },
        .admit = [this](const authn::UserInfo* user,
                        const authentication::v1::TokenRequest& request) -> absl::Status {
          if (user == nullptr || admission_ == nullptr) return absl::OkStatus();
          ASSIGN_OR_RETURN(const Strategy* strategy, registry_->Find("serviceaccounts"));
          return admission_->Admit({.user = user,
                                    .operation = admission::Operation::kCreate,
                                    .kind = &strategy->kind(),
                                    .namespace_ = request.metadata().namespace_(),
                                    .name = request.metadata().name(),
                                    .subresource = "token",
                                    .object = &request});
        }};
    token_issuer_ = std::make_unique<serviceaccount::TokenIssuer>(
        *std::move(signer), issuers.front(), audiences, std::move(lookups));
    spdlog::info("serviceaccounts/token: signing with {}", signing_file);
  }
  return absl::OkStatus();
}

std::optional<core::v1::ServiceAccount> Server::CachedServiceAccount(
    const std::string& ns, const std::string& name) const {
  absl::StatusOr<const Strategy*> strategy = registry_->Find("serviceaccounts");
  if (!strategy.ok()) return std::nullopt;
  WatchCache* cache = handler_->CacheFor(&(*strategy)->kind());
  if (cache == nullptr) return std::nullopt;
  CachedObjectPtr cached = cache->Get(absl::StrCat(ns, "/", name));
  if (cached == nullptr ||
      cached->object->GetDescriptor() != core::v1::ServiceAccount::descriptor()) {
    return std::nullopt;
  }
  return static_cast<const core::v1::ServiceAccount&>(*cached->object);
}

absl::StatusOr<core::v1::ServiceAccount> Server::StoredServiceAccount(
    const std::string& ns, const std::string& name) const {
  ASSIGN_OR_RETURN(const Strategy* strategy, registry_->Find("serviceaccounts"));
  const api::KindInfo& kind = strategy->kind();
  ASSIGN_OR_RETURN(MessagePtr stored, store_->Get(kind, store_->Key(kind, ns, name), name));
  if (stored->GetDescriptor() != core::v1::ServiceAccount::descriptor()) {
    return api::NewInternalError("the stored ServiceAccount is of another type");
  }
  return static_cast<const core::v1::ServiceAccount&>(*stored);
}

std::optional<core::v1::ServiceAccount> Server::FindServiceAccount(const std::string& ns,
                                                                   const std::string& name) const {
  if (std::optional<core::v1::ServiceAccount> cached = CachedServiceAccount(ns, name)) {
    return cached;
  }
  absl::StatusOr<core::v1::ServiceAccount> stored = StoredServiceAccount(ns, name);
  if (!stored.ok()) return std::nullopt;
  return *std::move(stored);
}

namespace {

const char* ResourceOfKind(absl::string_view kind) {
  if (kind == "Pod") return "pods";
  if (kind == "Secret") return "secrets";
  if (kind == "Node") return "nodes";
  return "";
}

}  // namespace

std::optional<meta::v1::ObjectMeta> Server::BoundObjectMeta(absl::string_view kind,
                                                            const std::string& ns,
                                                            const std::string& name,
                                                            bool from_storage) const {
  absl::StatusOr<const Strategy*> strategy = registry_->Find(ResourceOfKind(kind));
  if (!strategy.ok()) return std::nullopt;
  const api::KindInfo& info = (*strategy)->kind();
  if (!from_storage) {
    WatchCache* cache = handler_->CacheFor(&info);
    CachedObjectPtr cached =
        cache != nullptr ? cache->Get(ns.empty() ? name : absl::StrCat(ns, "/", name)) : nullptr;
    if (cached == nullptr) return std::nullopt;
    return Meta(*cached->object);
  }
  absl::StatusOr<MessagePtr> stored = store_->Get(info, store_->Key(info, ns, name), name);
  if (!stored.ok()) return std::nullopt;
  return Meta(**stored);
}

absl::StatusOr<core::v1::Pod> Server::CachedPod(const std::string& ns,
                                                const std::string& name) const {
  ASSIGN_OR_RETURN(const Strategy* strategy, registry_->Find("pods"));
  WatchCache* cache = handler_->CacheFor(&strategy->kind());
  CachedObjectPtr pod = cache != nullptr ? cache->Get(absl::StrCat(ns, "/", name)) : nullptr;
  if (pod == nullptr || pod->object->GetDescriptor() != core::v1::Pod::descriptor()) {
    return api::NewNotFound(strategy->kind(), name);
  }
  return static_cast<const core::v1::Pod&>(*pod->object);
}

absl::StatusOr<std::string> Server::NodeUid(const std::string& name) const {
  ASSIGN_OR_RETURN(const Strategy* strategy, registry_->Find("nodes"));
  WatchCache* cache = handler_->CacheFor(&strategy->kind());
  CachedObjectPtr node = cache != nullptr ? cache->Get(name) : nullptr;
  if (node == nullptr) return api::NewNotFound(strategy->kind(), name);
  return Meta(*node->object).uid();
}

absl::StatusOr<std::vector<rbac::v1::PolicyRule>> Server::RoleRules(const std::string& kind,
                                                                    const std::string& ns,
                                                                    const std::string& name) const {
  const bool cluster = kind == "ClusterRole";
  ASSIGN_OR_RETURN(const Strategy* strategy, registry_->Find(cluster ? "clusterroles" : "roles"));
  WatchCache* cache = handler_->CacheFor(&strategy->kind());
  CachedObjectPtr cached =
      cache != nullptr ? cache->Get(cluster ? name : absl::StrCat(ns, "/", name)) : nullptr;
  if (cached == nullptr) return api::NewNotFound(strategy->kind(), name);
  const auto& rules = cluster ? static_cast<const rbac::v1::ClusterRole&>(*cached->object).rules()
                              : static_cast<const rbac::v1::Role&>(*cached->object).rules();
  return std::vector<rbac::v1::PolicyRule>(rules.begin(), rules.end());
}

absl::Status Server::RepairServiceAllocators() {
  ASSIGN_OR_RETURN(const Strategy* strategy, registry_->Find("services"));
  const api::KindInfo& kind = strategy->kind();
  ASSIGN_OR_RETURN(ListResult listed,
                   store_->List(kind, store_->ResourcePrefix(kind, ""), "", 0, 0, nullptr));
  std::vector<const core::v1::Service*> services;
  for (const MessagePtr& item : listed.items) {
    services.push_back(static_cast<const core::v1::Service*>(item.get()));
  }
  const bool first = !service_allocators_->ready();
  ServiceAllocators::RepairReport report = service_allocators_->Repair(services);
  if (first) {
    spdlog::info("service allocators: {} cluster IPs and {} node ports held by {} services",
                 service_allocators_->ips_used(), service_allocators_->ports_used(),
                 services.size());
  } else if (report.marked + report.freed > 0) {
    spdlog::info("service allocators repaired: {} taken, {} released", report.marked, report.freed);
  }
  return absl::OkStatus();
}

// Health checks, system namespaces, the service allocators and the
// `kubernetes` Service, and compaction, on one thread.
void Server::RunMaintenance() {
  bool namespaces_done = false;
  bool rbac_done = policy_source_ == nullptr;
  absl::Time next_repair = absl::InfinitePast();
  absl::Time next_kubernetes_service = absl::InfinitePast();
  bool healthy = false;
  bool first = true;
  int64_t compact_target = 0;
  absl::Time next_compaction = absl::Now() + options_.compaction_interval;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (!first && mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Seconds(1))) return;
      if (stopping_) return;
    }
    absl::StatusOr<int64_t> revision = client_->CurrentRevision();
    bool now_healthy = revision.ok();
    // With RBAC, the bootstrap roles and bindings come first: until they
    // exist every component would be forbidden (kube-apiserver's readyz
    // waits for its rbac/bootstrap-roles hook the same way).
    if (now_healthy && !rbac_done) {
      if (absl::Status status = authz::EnsureBootstrapPolicy(handler_.get()); !status.ok()) {
        spdlog::warn("RBAC bootstrap policy: {}", std::string(status.message()));
        now_healthy = false;
      } else {
        rbac_done = true;
      }
    }
    if (now_healthy != healthy || first) {
      health_->SetServing(now_healthy);
      storage_healthy_.store(now_healthy);
      if (now_healthy) {
        spdlog::info("storage reachable: serving");
      } else if (!revision.ok()) {
        spdlog::warn("{}: not serving", std::string(revision.status().message()));
      } else {
        spdlog::warn("the RBAC bootstrap policy is not in place yet: not serving");
      }
      healthy = now_healthy;
    }
    first = false;
    if (!healthy) continue;
    if (!namespaces_done) {
      namespaces_done = true;
      for (const char* ns : kSystemNamespaces) {
        absl::Status status = handler_->EnsureNamespace(ns);
        if (!status.ok()) {
          spdlog::warn("creating namespace {}: {}", ns, std::string(status.message()));
          namespaces_done = false;
        }
      }
    }
    if (absl::Now() >= next_repair) {
      if (absl::Status status = RepairServiceAllocators(); !status.ok()) {
        spdlog::warn("repairing the service allocators: {}", std::string(status.message()));
      } else {
        next_repair = absl::Now() + options_.service_repair_interval;
      }
    }
    if (namespaces_done && service_allocators_->ready() && absl::Now() >= next_kubernetes_service) {
      std::string address = options_.advertise_address;
      if (address.empty()) {
        address = options_.bind_address == "0.0.0.0" ? "127.0.0.1" : options_.bind_address;
      }
      absl::Status status = EnsureKubernetesService(handler_.get(), service_allocators_->FirstIp(),
                                                    address, bound_port_);
      if (!status.ok()) {
        spdlog::warn("the kubernetes service: {}", std::string(status.message()));
        next_kubernetes_service = absl::Now() + absl::Seconds(1);
      } else {
        next_kubernetes_service = absl::Now() + options_.service_repair_interval;
      }
    }
    if (options_.compaction_interval > absl::ZeroDuration() && absl::Now() >= next_compaction) {
      // Compact to the revision seen one interval ago, so every watcher had a
      // whole interval to catch up, as Kubernetes does.
      if (compact_target > 0) {
        absl::StatusOr<etcdserverpb::CompactionResponse> compacted =
            client_->Compact(compact_target);
        if (compacted.ok()) {
          spdlog::info("compacted storage to revision {}", compact_target);
        } else if (compacted.status().code() != absl::StatusCode::kOutOfRange) {
          spdlog::warn("compaction: {}", std::string(compacted.status().message()));
        }
      }
      compact_target = *revision;
      next_compaction = absl::Now() + options_.compaction_interval;
    }
  }
}

void Server::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  if (maintenance_.joinable()) maintenance_.join();
  if (finalizer_) finalizer_->Stop();
  spdlog::debug("shutdown: stopping the watch caches");
  // Closing the watch caches ends every watch stream, so the server can stop.
  for (auto& reflector : reflectors_) reflector->Stop();
  spdlog::debug("shutdown: stopping the HTTP server");
  if (http_) http_->Shutdown();
  spdlog::debug("shutdown: stopping the gRPC server");
  // Calls still running after 250 ms are cancelled; a request cancelled
  // here was never answered, so its client retries or reports it. The
  // server then waits for the calls the pool and the store still hold.
  if (health_) health_->SetServing(false);
  if (rpc_) rpc_->Shutdown(absl::Milliseconds(250));
  spdlog::debug("shutdown: stopping the workers");
  pool_.reset();
  logs_.reset();
}

}  // namespace minik8s::apiserver
