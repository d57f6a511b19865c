// The Kubernetes HTTP API over the apiserver's request core (handler.h):
// the same verb implementations the gRPC service calls — validation,
// admission, defaulting, CAS, the watch cache, graceful deletion,
// finalizers — behind kube-apiserver's paths, encodings and errors.
//
// Served:
//   /version /healthz /livez /readyz (and their /ping) /metrics
//   /api /apis /api/v1 /apis/<g> /apis/<g>/<v>        discovery
//   /openapi/v3[/...]                                  OpenAPI v3
//   /api/v1/..., /apis/<g>/<v>/...                     every kind: get, list,
//       watch, create, update, patch (merge, strategic merge, JSON patch),
//       delete, deletecollection; subresources status, scale, binding, log
// Errors are meta.k8s.io/v1 Status objects with Kubernetes' codes, reasons
// and messages.
//
// Threading: Serve() runs on the HTTP server's event loop and only parses;
// every verb runs on the worker pool (it may wait for the store), watches
// are registered there too and then fed by the watch cache's notifications.
//
// Thread safety: Serve() is safe to call concurrently; everything passed to
// the constructor must outlive the router.
#ifndef MINIK8S_APISERVER_REST_API_ROUTER_H_
#define MINIK8S_APISERVER_REST_API_ROUTER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "apiserver/audit/audit_log.h"
#include "apiserver/authn/authenticator.h"
#include "apiserver/authz/authorizer.h"
#include "apiserver/handler.h"
#include "apiserver/rest/http_types.h"
#include "apiserver/rest/request_info.h"
#include "apiserver/worker_pool.h"

namespace minik8s::apiserver::rest {

class DiscoveryDocs;
class OpenApiDocs;
class LogStreamer;
}  // namespace minik8s::apiserver::rest

namespace minik8s::apiserver::serviceaccount {
class OidcDiscovery;
class TokenIssuer;
}  // namespace minik8s::apiserver::serviceaccount

namespace minik8s::apiserver::rest {

class ApiRouter : public HttpHandler {
 public:
  struct Options {
    // Whether the store answers (for /readyz and /healthz); unset: always.
    std::function<bool()> storage_healthy;
    // How long a watch without timeoutSeconds stays open at most (Kubernetes
    // picks between --min-request-timeout and twice that).
    absl::Duration max_watch_duration = absl::Minutes(30);
    // Dials the kubelet of a node for pods/log; nullptr: pods/log answers
    // 503.
    LogStreamer* logs = nullptr;
    // host:port clients reach this server at (discovery's
    // serverAddressByClientCIDRs); may be empty.
    std::string server_address;
    // Every request's audit events go here; nullptr: no audit log.
    audit::AuditLog* audit = nullptr;
    // Who a request is from; nullptr or one with nothing configured: every
    // request is served as system:anonymous.
    const authn::Authenticator* authenticator = nullptr;
    // Whether the caller may make the request (after authentication, before
    // anything is served; 403 Forbidden otherwise); nullptr: everyone may.
    const authz::Authorizer* authorizer = nullptr;
    // Signs serviceaccounts/token requests; nullptr: that subresource
    // answers 404, as kube-apiserver without a signing key.
    const serviceaccount::TokenIssuer* token_issuer = nullptr;
    // The ServiceAccount issuer's discovery documents
    // (serviceaccount/oidc_discovery.h); nullptr: their paths answer 404.
    const serviceaccount::OidcDiscovery* oidc = nullptr;
    // host:port the apiserver is advertised at, for the discovery
    // document's default jwks_uri; called per request.
    std::function<std::string()> external_address;
  };

  ApiRouter(Handler* handler, WorkerPool* pool, Options options);
  ~ApiRouter() override;

  void Serve(HttpRequest request, ResponderPtr responder) override;

 private:
  struct Call;
  bool ServeNonResource(const HttpRequest& request, const ResponderPtr& responder);
  void ServeResource(std::shared_ptr<Call> call);
  void Get(std::shared_ptr<Call> call);
  void List(std::shared_ptr<Call> call);
  void Watch(std::shared_ptr<Call> call);
  void Create(std::shared_ptr<Call> call);
  void Update(std::shared_ptr<Call> call);
  void Patch(std::shared_ptr<Call> call);
  void Delete(std::shared_ptr<Call> call);
  void DeleteCollection(std::shared_ptr<Call> call);
  void Bind(std::shared_ptr<Call> call);
  void Log(std::shared_ptr<Call> call);
  void CreateToken(std::shared_ptr<Call> call);

  Handler* const handler_;
  WorkerPool* const pool_;
  const Options options_;
  std::unique_ptr<DiscoveryDocs> discovery_;
  std::unique_ptr<OpenApiDocs> openapi_;
};

}  // namespace minik8s::apiserver::rest

#endif  // MINIK8S_APISERVER_REST_API_ROUTER_H_
