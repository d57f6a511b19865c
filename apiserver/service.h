// The gRPC ApiServer service (proto/apiserver/v1/apiserver.proto): a thin
// adapter over Handler using gRPC's callback API. Unary calls are handed to
// a WorkerPool and finished from there, except Create, which holds no thread
// while the store writes (its checks run on gRPC's thread when they need no
// store read, and the store's answer finishes the call); Watch is a ServerWriteReactor fed by
// the watch cache, with no thread per stream (one write in flight per
// stream; the cache's notify callback starts the next write). Each write
// takes everything the watcher has queued (up to a batch limit): one
// message per event, or one message for the whole batch when the client
// asked for batches (WatchRequest.allow_event_batches). A watch is
// registered on the WorkerPool too (it may wait for the cache to reach its
// resourceVersion); its initial metadata is sent once it is registered.
//
// Errors: the Handler's absl::Status code becomes the gRPC code, its message
// the gRPC message, and the serialized meta.v1.Status the binary error
// details. A watch that ends on the server side (too old, the watcher fell
// behind, the cache relisted, shutdown) finishes the stream with that status
// (OUT_OF_RANGE for Gone: relist).
//
// Thread safety: the service is safe for concurrent calls; `handler` and
// `pool` must outlive the gRPC server that serves it.
#ifndef MINIK8S_APISERVER_SERVICE_H_
#define MINIK8S_APISERVER_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <optional>

#include "apiserver/audit/audit_log.h"
#include "apiserver/authn/authenticator.h"
#include "apiserver/authn/peer_certificate.h"
#include "apiserver/authz/authorizer.h"
#include "apiserver/handler.h"
#include "apiserver/serviceaccount/token_request.h"
#include "apiserver/v1/apiserver.grpc.pb.h"
#include "apiserver/worker_pool.h"

namespace minik8s::apiserver {

// The gRPC status for a Handler status (meta.v1.Status in the details).
grpc::Status ToGrpc(const absl::Status& status);

// Watch is served as a raw method (grpc::ByteBuffer): events go out in the
// encoding the watch cache built once for all streams (watch_encoding.h).
class ApiServerService final
    : public apiv1::ApiServer::WithRawCallbackMethod_Watch<apiv1::ApiServer::CallbackService> {
 public:
  // `audit` (may be null: no audit log) gets one event per call;
  // `authenticator` (may be null: everyone is anonymous) says who calls;
  // `identities` (may be null) holds the client certificates of the
  // connections handed over from the TLS port; `authorizer` (may be null:
  // everyone may do everything) decides whether an authenticated call may
  // go on (a caller may impersonate another user through impersonate-*
  // metadata, authz/impersonation.h): each RPC is authorized as the
  // Kubernetes request it stands for
  // (Get: get, List: list, Watch: watch, Create: create, Update: update,
  // Patch: patch, Delete: delete of its resource; Bind: create pods/binding;
  // CreateSubresource: create of <resource>/<subresource>;
  // ListResources: get of the path /apis; Version: get of /version), and a
  // refused one ends with PERMISSION_DENIED and Kubernetes' Forbidden
  // message.
  ApiServerService(Handler* handler, WorkerPool* pool, audit::AuditLog* audit = nullptr,
                   const authn::Authenticator* authenticator = nullptr,
                   const authn::ConnectionIdentities* identities = nullptr,
                   const authz::Authorizer* authorizer = nullptr,
                   const serviceaccount::TokenIssuer* token_issuer = nullptr)
      : handler_(handler),
        pool_(pool),
        audit_(audit),
        authenticator_(authenticator),
        identities_(identities),
        authorizer_(authorizer),
        token_issuer_(token_issuer) {}

  grpc::ServerUnaryReactor* Create(grpc::CallbackServerContext* context,
                                   const apiv1::CreateRequest* request,
                                   apiv1::ObjectResponse* response) override;
  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* context,
                                const apiv1::GetRequest* request,
                                apiv1::ObjectResponse* response) override;
  grpc::ServerUnaryReactor* List(grpc::CallbackServerContext* context,
                                 const apiv1::ListRequest* request,
                                 apiv1::ListResponse* response) override;
  grpc::ServerUnaryReactor* Update(grpc::CallbackServerContext* context,
                                   const apiv1::UpdateRequest* request,
                                   apiv1::ObjectResponse* response) override;
  grpc::ServerUnaryReactor* Patch(grpc::CallbackServerContext* context,
                                  const apiv1::PatchRequest* request,
                                  apiv1::ObjectResponse* response) override;
  grpc::ServerUnaryReactor* Delete(grpc::CallbackServerContext* context,
                                   const apiv1::DeleteRequest* request,
                                   apiv1::DeleteResponse* response) override;
  grpc::ServerUnaryReactor* Bind(grpc::CallbackServerContext* context,
                                 const apiv1::BindRequest* request,
                                 apiv1::BindResponse* response) override;
  // serviceaccounts/token (needs `token_issuer`; NOT_FOUND without one, as
  // the HTTP API answers 404). Every other subresource is NOT_FOUND.
  grpc::ServerUnaryReactor* CreateSubresource(grpc::CallbackServerContext* context,
                                              const apiv1::CreateSubresourceRequest* request,
                                              apiv1::ObjectResponse* response) override;
  grpc::ServerUnaryReactor* ListResources(grpc::CallbackServerContext* context,
                                          const apiv1::ListResourcesRequest* request,
                                          apiv1::ListResourcesResponse* response) override;
  grpc::ServerUnaryReactor* Version(grpc::CallbackServerContext* context,
                                    const apiv1::VersionRequest* request,
                                    apiv1::VersionResponse* response) override;
  // A serialized apiv1::WatchRequest in, serialized apiv1::WatchEvent
  // messages out (several events per message when the request allows
  // batches: at most kMaxBatchEvents events, about kMaxBatchBytes).
  grpc::ServerWriteReactor<grpc::ByteBuffer>* Watch(grpc::CallbackServerContext* context,
                                                    const grpc::ByteBuffer* request) override;

  static constexpr size_t kMaxBatchEvents = 256;
  static constexpr size_t kMaxBatchBytes = 1 << 20;

 private:
  // Runs `fn` on the pool, or answers `refused` at once when it is an error;
  // `ok_code` is the HTTP code the audit log records for a success.
  template <typename Fn>
  grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* context, Fn fn,
                                  std::optional<audit::Event> event, const absl::Status& refused,
                                  int ok_code = 200);
  // Runs `fn` (a read of no object: a "get") on gRPC's thread; `public_call`
  // as for Authenticate.
  template <typename Fn>
  grpc::ServerUnaryReactor* Inline(grpc::CallbackServerContext* context, bool public_call,
                                   const char* method, const char* path, Fn fn);
  struct Caller {
    authn::UserInfo user;  // whom the call is made as
    // The authenticated caller when it impersonates `user`.
    std::optional<authn::UserInfo> impersonated;
    // UNAUTHENTICATED (401) or a refused impersonation (403) when the call
    // may not go on.
    absl::Status refused;
  };
  // Who the call is from (its `authorization` metadata), and whom it acts
  // as (impersonate-* metadata, authz/impersonation.h); `public_call`:
  // anonymous callers may make it (Version).
  Caller Authenticate(grpc::CallbackServerContext* context, bool public_call) const;
  // `caller.refused` when set, else whether the authorizer lets the caller
  // make the request (the resource as the request names it: a short name or
  // `resource.group` is resolved through the scheme).
  absl::Status Admit(const Caller& caller, const char* verb, const std::string& resource,
                     const std::string& ns, const std::string& name,
                     const std::string& subresource) const;
  // The same for a non-resource `path`.
  absl::Status AdmitPath(const Caller& caller, const char* path) const;
  // The audit event of a call (nullopt without an audit log): `method` is
  // the gRPC method's name, the rest names the object as the request does.
  std::optional<audit::Event> AuditEvent(grpc::CallbackServerContext* context, const Caller& caller,
                                         const char* method, const char* verb,
                                         const std::string& resource, const std::string& ns,
                                         const std::string& name,
                                         const std::string& subresource) const;
  // `ok_code`: the HTTP code of success (201 for a create).
  void Audit(std::optional<audit::Event> event, const absl::Status& status,
             int ok_code = 200) const;

  Handler* const handler_;
  WorkerPool* const pool_;
  audit::AuditLog* const audit_;
  const authn::Authenticator* const authenticator_;
  const authn::ConnectionIdentities* const identities_;
  const authz::Authorizer* const authorizer_;
  const serviceaccount::TokenIssuer* const token_issuer_;
  // Client certificates of the calls on the apiserver's own gRPC port.
  authn::PeerCertificates peer_certificates_;
};

}  // namespace minik8s::apiserver

#endif  // MINIK8S_APISERVER_SERVICE_H_
