// The gRPC ApiServer service (proto/apiserver/v1/apiserver.proto), served
// on the apiserver's gRPC server (common/rpc/h2_server.h): a thin adapter
// over Handler. Unary calls are handed to a WorkerPool and answered from
// there, except Create, which holds no thread while the store writes (its
// checks run on the server's thread when they need no store read, and the
// store's answer answers the call). Watch streams are fed by the watch
// cache, with no thread per stream (one write in flight per stream; the
// cache's notify callback starts the next write). Each write takes
// everything the watcher has queued (up to a batch limit): one message per
// event, or one message for the whole batch when the client asked for
// batches (WatchRequest.allow_event_batches). A watch is registered on the
// WorkerPool too (it may wait for the cache to reach its resourceVersion);
// its response headers go out once it is registered.
//
// Who calls: the `authorization` metadata (bearer tokens) and the client
// certificate the connection's TLS handshake verified (for a connection the
// HTTP port handed over, the certificate its handshake verified); the
// impersonate-* metadata say whom the caller acts as.
//
// Errors: the Handler's absl::Status code becomes the gRPC code, its message
// the gRPC message, and the serialized meta.v1.Status the binary error
// details (grpc-status-details-bin). A watch that ends on the server side
// (too old, the watcher fell behind, the cache relisted, shutdown) finishes
// the stream with that status (OUT_OF_RANGE for Gone: relist).
//
// Thread safety: the service is safe for concurrent calls; `handler` and
// `pool` must outlive the server that serves it.
#ifndef MINIK8S_APISERVER_SERVICE_H_
#define MINIK8S_APISERVER_SERVICE_H_

#include <optional>
#include <string>

#include "apiserver/audit/audit_log.h"
#include "apiserver/authn/authenticator.h"
#include "apiserver/authz/authorizer.h"
#include "apiserver/handler.h"
#include "apiserver/serviceaccount/token_request.h"
#include "apiserver/v1/apiserver.pb.h"
#include "apiserver/worker_pool.h"
#include "common/rpc/h2_server.h"

namespace minik8s::apiserver {

// The serialized meta.v1.Status of a Handler's error: the binary details of
// its gRPC status.
std::string StatusDetails(const absl::Status& status);

class ApiServerService final {
 public:
  // `audit` (may be null: no audit log) gets one event per call;
  // `authenticator` (may be null: everyone is anonymous) says who calls;
  // `authorizer` (may be null: everyone may do everything) decides whether
  // an authenticated call may go on (a caller may impersonate another user
  // through impersonate-* metadata, authz/impersonation.h): each RPC is
  // authorized as the Kubernetes request it stands for
  // (Get: get, List: list, Watch: watch, Create: create, Update: update,
  // Patch: patch, Delete: delete of its resource; Bind: create pods/binding;
  // CreateSubresource: create of <resource>/<subresource>;
  // ListResources: get of the path /apis; Version: get of /version), and a
  // refused one ends with PERMISSION_DENIED and Kubernetes' Forbidden
  // message.
  ApiServerService(Handler* handler, WorkerPool* pool, audit::AuditLog* audit = nullptr,
                   const authn::Authenticator* authenticator = nullptr,
                   const authz::Authorizer* authorizer = nullptr,
                   const serviceaccount::TokenIssuer* token_issuer = nullptr)
      : handler_(handler),
        pool_(pool),
        audit_(audit),
        authenticator_(authenticator),
        authorizer_(authorizer),
        token_issuer_(token_issuer) {}

  // Serves the methods on `server` (before it starts), which must keep the
  // calls' metadata (rpc::ServerConfig::keep_metadata). Watch: a serialized
  // apiv1::WatchRequest in, serialized apiv1::WatchEvent messages out
  // (several events per message when the request allows batches: at most
  // kMaxBatchEvents events, about kMaxBatchBytes).
  void Register(rpc::Server* server);

  static constexpr size_t kMaxBatchEvents = 256;
  static constexpr size_t kMaxBatchBytes = 1 << 20;

  // A unary call: its request, its response, and how it is answered.
  template <typename Req, typename Resp>
  class Call;
  struct Caller {
    authn::UserInfo user;  // whom the call is made as
    // The authenticated caller when it impersonates `user`.
    std::optional<authn::UserInfo> impersonated;
    // UNAUTHENTICATED (401) or a refused impersonation (403) when the call
    // may not go on.
    absl::Status refused;
  };

 private:
  // The methods: each answers `call` (once, from any thread).
  void Create(const rpc::CallInfo& info, Call<apiv1::CreateRequest, apiv1::ObjectResponse>* call);
  void Get(const rpc::CallInfo& info, Call<apiv1::GetRequest, apiv1::ObjectResponse>* call);
  void List(const rpc::CallInfo& info, Call<apiv1::ListRequest, apiv1::ListResponse>* call);
  void Update(const rpc::CallInfo& info, Call<apiv1::UpdateRequest, apiv1::ObjectResponse>* call);
  void Patch(const rpc::CallInfo& info, Call<apiv1::PatchRequest, apiv1::ObjectResponse>* call);
  void Delete(const rpc::CallInfo& info, Call<apiv1::DeleteRequest, apiv1::DeleteResponse>* call);
  void Bind(const rpc::CallInfo& info, Call<apiv1::BindRequest, apiv1::BindResponse>* call);
  // serviceaccounts/token (needs `token_issuer`; NOT_FOUND without one, as
  // the HTTP API answers 404). Every other subresource is NOT_FOUND.
  void CreateSubresource(const rpc::CallInfo& info,
                         Call<apiv1::CreateSubresourceRequest, apiv1::ObjectResponse>* call);
  void ListResources(const rpc::CallInfo& info,
                     Call<apiv1::ListResourcesRequest, apiv1::ListResourcesResponse>* call);
  void Version(const rpc::CallInfo& info,
               Call<apiv1::VersionRequest, apiv1::VersionResponse>* call);

  // Serves method `name` with `method` (a member above).
  template <typename Req, typename Resp>
  void AddUnary(rpc::Server* server, const char* name,
                void (ApiServerService::*method)(const rpc::CallInfo&, Call<Req, Resp>*));
  // Runs `fn` on the pool and answers `call` with its status, or answers
  // `refused` at once when it is an error; `ok_code` is the HTTP code the
  // audit log records for a success.
  template <typename Req, typename Resp, typename Fn>
  void Unary(Call<Req, Resp>* call, Fn fn, std::optional<audit::Event> event,
             const absl::Status& refused, int ok_code = 200);
  // Runs `fn` (a read of no object: a "get") on the server's thread;
  // `public_call` as for Authenticate.
  template <typename Req, typename Resp, typename Fn>
  void Inline(const rpc::CallInfo& info, Call<Req, Resp>* call, bool public_call,
              const char* method, const char* path, Fn fn);
  // Who the call is from (its `authorization` metadata or its connection's
  // client certificate), and whom it acts as (impersonate-* metadata,
  // authz/impersonation.h); `public_call`: anonymous callers may make it
  // (Version).
  Caller Authenticate(const rpc::CallInfo& info, bool public_call) const;
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
  std::optional<audit::Event> AuditEvent(const rpc::CallInfo& info, const Caller& caller,
                                         const char* method, const char* verb,
                                         const std::string& resource, const std::string& ns,
                                         const std::string& name,
                                         const std::string& subresource) const;
  // `ok_code`: the HTTP code of success (201 for a create).
  void Audit(std::optional<audit::Event> event, const absl::Status& status,
             int ok_code = 200) const;
  // A new Watch stream.
  rpc::StreamCallbacks* StartWatch(rpc::CallRef ref, const rpc::CallInfo& info);

  Handler* const handler_;
  WorkerPool* const pool_;
  audit::AuditLog* const audit_;
  const authn::Authenticator* const authenticator_;
  const authz::Authorizer* const authorizer_;
  const serviceaccount::TokenIssuer* const token_issuer_;
};

}  // namespace minik8s::apiserver

#endif  // MINIK8S_APISERVER_SERVICE_H_
