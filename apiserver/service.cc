#include "apiserver/service.h"

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "api/errors.h"
#include "apiserver/authn/reviews.h"
#include "apiserver/authn/self_subject_review.h"
#include "apiserver/authz/access_review.h"
#include "apiserver/authz/impersonation.h"
#include "apiserver/identity.h"
#include "apiserver/object_meta.h"
#include "apiserver/watch_encoding.h"
#include "common/status_macros.h"
#include "k8s/authentication/v1/authentication.pb.h"

namespace minik8s::apiserver {

grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()),
                      api::ToApiStatus(status).SerializeAsString());
}

namespace {

// "ipv4:127.0.0.1:5000" → "127.0.0.1"; "ipv6:[::1]:5000" → "::1".
std::string PeerIp(const std::string& peer) {
  absl::string_view p = peer;
  if (absl::ConsumePrefix(&p, "ipv4:")) return std::string(p.substr(0, p.rfind(':')));
  if (absl::ConsumePrefix(&p, "ipv6:")) {
    p = p.substr(0, p.rfind(':'));
    absl::ConsumePrefix(&p, "[");
    absl::ConsumeSuffix(&p, "]");
    return std::string(p);
  }
  return "";
}

}  // namespace

ApiServerService::Caller ApiServerService::Authenticate(grpc::CallbackServerContext* context,
                                                        bool public_call) const {
  Caller caller{.user = authn::Anonymous()};
  const auto& metadata = context->client_metadata();
  if (authenticator_ != nullptr && authenticator_->enabled()) {
    absl::string_view authorization;
    if (auto it = metadata.find("authorization"); it != metadata.end()) {
      authorization = absl::string_view(it->second.data(), it->second.size());
    }
    // A connection the HTTP server handed over ("fd:N") was verified there;
    // one on the gRPC port carries its verified certificate in the call's
    // AuthContext.
    std::optional<authn::CertificateIdentity> certificate;
    const std::string peer = context->peer();
    if (absl::StartsWith(peer, "fd:")) {
      if (identities_ != nullptr) certificate = identities_->Find(peer);
    } else if (const std::shared_ptr<const grpc::AuthContext> auth = context->auth_context();
               auth != nullptr) {
      certificate = peer_certificates_.Find(*auth);
    }
    authn::Authenticator::Result who = authenticator_->Authenticate(
        authorization, certificate.has_value() ? &*certificate : nullptr);
    caller.user = std::move(who.user);
    if (who.outcome == authn::Authenticator::Outcome::kRejected ||
        (who.outcome == authn::Authenticator::Outcome::kAnonymous && !public_call)) {
      caller.refused = authn::UnauthorizedError();
      return caller;
    }
  }
  // Impersonation (authz/impersonation.h) from the impersonate-* metadata.
  authz::HeaderLines lines;
  for (const auto& [key, value] : metadata) {
    absl::string_view name(key.data(), key.size());
    if (authz::IsImpersonationHeader(name)) {
      lines.emplace_back(std::string(name), std::string(value.data(), value.size()));
    }
  }
  if (lines.empty()) return caller;
  absl::StatusOr<std::optional<authn::UserInfo>> acting_as =
      authz::Impersonate(authorizer_, caller.user, lines);
  if (!acting_as.ok()) {
    caller.refused = acting_as.status();
  } else if (acting_as->has_value()) {
    caller.impersonated = std::move(caller.user);
    caller.user = **std::move(acting_as);
  }
  return caller;
}

absl::Status ApiServerService::Admit(const Caller& caller, const char* verb,
                                     const std::string& resource, const std::string& ns,
                                     const std::string& name,
                                     const std::string& subresource) const {
  if (!caller.refused.ok() || authorizer_ == nullptr) return caller.refused;
  authz::Attributes attributes;
  attributes.user = &caller.user;
  attributes.verb = verb;
  attributes.resource_request = true;
  const api::KindInfo* kind = handler_->registry().scheme().FindByResource(resource);
  attributes.api_group = kind != nullptr                     ? kind->group
                         : authz::IsReviewResource(resource) ? authz::kAccessReviewGroup
                         : authn::FindAuthenticationReview(resource) != nullptr
                             ? authn::kAuthenticationGroup
                             : "";
  attributes.api_version = kind != nullptr ? kind->version : "";
  attributes.resource = kind != nullptr ? kind->resource : resource;
  attributes.subresource = subresource;
  attributes.name = name;
  // A namespace's own namespace is its name, as on the HTTP API.
  attributes.namespace_ = attributes.resource == "namespaces" && ns.empty() ? name : ns;
  return authz::Check(*authorizer_, attributes);
}

absl::Status ApiServerService::AdmitPath(const Caller& caller, const char* path) const {
  if (!caller.refused.ok() || authorizer_ == nullptr) return caller.refused;
  authz::Attributes attributes;
  attributes.user = &caller.user;
  attributes.verb = "get";
  attributes.path = path;
  return authz::Check(*authorizer_, attributes);
}

std::optional<audit::Event> ApiServerService::AuditEvent(
    grpc::CallbackServerContext* context, const Caller& caller, const char* method,
    const char* verb, const std::string& resource, const std::string& ns, const std::string& name,
    const std::string& subresource) const {
  if (audit_ == nullptr) return std::nullopt;
  audit::Event e;
  e.received = absl::Now();
  if (caller.impersonated.has_value()) {
    e.user = *caller.impersonated;
    e.impersonated_user = caller.user;
  } else {
    e.user = caller.user;
  }
  e.verb = verb;
  e.request_uri = absl::StrCat("/minik8s.apiserver.v1.ApiServer/", method);
  e.source_ip = PeerIp(context->peer());
  const auto& metadata = context->client_metadata();
  if (auto it = metadata.find("user-agent"); it != metadata.end()) {
    e.user_agent = std::string(it->second.data(), it->second.size());
  }
  if (!resource.empty()) {
    const api::KindInfo* kind = handler_->registry().scheme().FindByResource(resource);
    e.object_ref = {.resource = kind != nullptr ? kind->resource : resource,
                    .namespace_ = ns,
                    .name = name,
                    .api_group = kind != nullptr ? kind->group : "",
                    .api_version = kind != nullptr ? kind->version : "",
                    .subresource = subresource};
  }
  return e;
}

void ApiServerService::Audit(std::optional<audit::Event> event, const absl::Status& status,
                             int ok_code) const {
  if (!event.has_value()) return;
  event->code = status.ok() ? ok_code : audit::HttpCodeOf(static_cast<int>(status.code()));
  event->stage_time = absl::Now();
  audit_->Write(*std::move(event));
}

template <typename Fn>
grpc::ServerUnaryReactor* ApiServerService::Unary(grpc::CallbackServerContext* context, Fn fn,
                                                  std::optional<audit::Event> event,
                                                  const absl::Status& refused, int ok_code) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!refused.ok()) {
    Audit(std::move(event), refused);
    reactor->Finish(ToGrpc(refused));
    return reactor;
  }
  pool_->Schedule([this, reactor, fn = std::move(fn), event = std::move(event), ok_code]() mutable {
    const absl::Status status = fn();
    Audit(std::move(event), status, ok_code);
    reactor->Finish(ToGrpc(status));
  });
  return reactor;
}

template <typename Fn>
grpc::ServerUnaryReactor* ApiServerService::Inline(grpc::CallbackServerContext* context,
                                                   bool public_call, const char* method,
                                                   const char* path, Fn fn) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const Caller caller = Authenticate(context, public_call);
  std::optional<audit::Event> event = AuditEvent(context, caller, method, "get", "", "", "", "");
  const absl::Status refused = AdmitPath(caller, path);
  const absl::Status status = refused.ok() ? fn() : refused;
  Audit(std::move(event), status);
  reactor->Finish(ToGrpc(status));
  return reactor;
}

// Create never holds a thread during its store write: the call finishes
// from the store's answer, on a gRPC thread. Its checks run right here on
// gRPC's thread when they need no store read (the common case: the
// namespace is in the cache), else on the pool.
grpc::ServerUnaryReactor* ApiServerService::Create(grpc::CallbackServerContext* context,
                                                   const apiv1::CreateRequest* request,
                                                   apiv1::ObjectResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const Caller caller = Authenticate(context, false);
  std::optional<audit::Event> event = AuditEvent(
      context, caller, "Create", "create", request->resource(), request->namespace_(), "", "");
  const absl::Status refused =
      Admit(caller, "create", request->resource(), request->namespace_(), "", "");
  if (!refused.ok()) {
    Audit(std::move(event), refused);
    reactor->Finish(ToGrpc(refused));
    return reactor;
  }
  if (authz::IsReviewResource(request->resource())) {
    // Answered for the caller, never stored.
    std::unique_ptr<google::protobuf::Message> review = authz::NewReview(request->resource());
    absl::Status status =
        review->ParseFromString(request->object())
            ? authz::AnswerReview(request->resource(), request->namespace_(), authorizer_,
                                  caller.user, review.get())
            : api::NewBadRequest(absl::StrCat("the object is not a serialized ",
                                              authz::ReviewKind(request->resource())));
    if (status.ok()) response->set_object(review->SerializeAsString());
    Audit(std::move(event), status, 201);
    reactor->Finish(ToGrpc(status));
    return reactor;
  }
  if (const authn::AuthenticationReview* kind =
          authn::FindAuthenticationReview(request->resource());
      kind != nullptr) {
    // SelfSubjectReview, TokenReview: answered at once, never stored.
    std::unique_ptr<google::protobuf::Message> review =
        authn::NewAuthenticationReview(request->resource());
    absl::Status status =
        review->ParseFromString(request->object())
            ? authn::AnswerAuthenticationReview(request->resource(), request->namespace_(),
                                                caller.user, authenticator_, review.get())
            : api::NewBadRequest(absl::StrCat("the object is not a serialized ", kind->kind));
    if (status.ok()) response->set_object(review->SerializeAsString());
    Audit(std::move(event), status, 201);
    reactor->Finish(ToGrpc(status));
    return reactor;
  }
  auto create = [=, this] {
    handler_->CreateAsync(
        *request, response,
        [this, reactor, event](absl::Status status) {
          Audit(event, status, 201);
          reactor->Finish(ToGrpc(status));
        },
        &caller.user);
  };
  if (handler_->CreateRunsWithoutWaiting(*request)) {
    create();
  } else {
    pool_->Schedule(create);
  }
  return reactor;
}

grpc::ServerUnaryReactor* ApiServerService::Get(grpc::CallbackServerContext* context,
                                                const apiv1::GetRequest* request,
                                                apiv1::ObjectResponse* response) {
  const Caller caller = Authenticate(context, false);
  return Unary(
      context, [=, this] { return handler_->Get(*request, response); },
      AuditEvent(context, caller, "Get", "get", request->resource(), request->namespace_(),
                 request->name(), request->subresource()),
      Admit(caller, "get", request->resource(), request->namespace_(), request->name(),
            request->subresource()));
}

grpc::ServerUnaryReactor* ApiServerService::List(grpc::CallbackServerContext* context,
                                                 const apiv1::ListRequest* request,
                                                 apiv1::ListResponse* response) {
  const Caller caller = Authenticate(context, false);
  return Unary(
      context, [=, this] { return handler_->List(*request, response); },
      AuditEvent(context, caller, "List", "list", request->resource(), request->namespace_(), "",
                 ""),
      Admit(caller, "list", request->resource(), request->namespace_(), "", ""));
}

grpc::ServerUnaryReactor* ApiServerService::Update(grpc::CallbackServerContext* context,
                                                   const apiv1::UpdateRequest* request,
                                                   apiv1::ObjectResponse* response) {
  const Caller caller = Authenticate(context, false);
  return Unary(
      context, [=, this] { return handler_->Update(*request, response, &caller.user); },
      AuditEvent(context, caller, "Update", "update", request->resource(), request->namespace_(),
                 request->name(), request->subresource()),
      Admit(caller, "update", request->resource(), request->namespace_(), request->name(),
            request->subresource()));
}

grpc::ServerUnaryReactor* ApiServerService::Patch(grpc::CallbackServerContext* context,
                                                  const apiv1::PatchRequest* request,
                                                  apiv1::ObjectResponse* response) {
  const Caller caller = Authenticate(context, false);
  return Unary(
      context, [=, this] { return handler_->Patch(*request, response, &caller.user); },
      AuditEvent(context, caller, "Patch", "patch", request->resource(), request->namespace_(),
                 request->name(), request->subresource()),
      Admit(caller, "patch", request->resource(), request->namespace_(), request->name(),
            request->subresource()));
}

grpc::ServerUnaryReactor* ApiServerService::Delete(grpc::CallbackServerContext* context,
                                                   const apiv1::DeleteRequest* request,
                                                   apiv1::DeleteResponse* response) {
  const Caller caller = Authenticate(context, false);
  return Unary(
      context, [=, this] { return handler_->Delete(*request, response, &caller.user); },
      AuditEvent(context, caller, "Delete", "delete", request->resource(), request->namespace_(),
                 request->name(), ""),
      Admit(caller, "delete", request->resource(), request->namespace_(), request->name(), ""));
}

grpc::ServerUnaryReactor* ApiServerService::Bind(grpc::CallbackServerContext* context,
                                                 const apiv1::BindRequest* request,
                                                 apiv1::BindResponse* response) {
  const Caller caller = Authenticate(context, false);
  return Unary(
      context, [=, this] { return handler_->Bind(*request, response); },
      AuditEvent(context, caller, "Bind", "create", "pods", request->namespace_(), request->name(),
                 "binding"),
      Admit(caller, "create", "pods", request->namespace_(), request->name(), "binding"));
}

grpc::ServerUnaryReactor* ApiServerService::ListResources(
    grpc::CallbackServerContext* context, const apiv1::ListResourcesRequest* request,
    apiv1::ListResourcesResponse* response) {
  return Inline(context, false, "ListResources", "/apis",
                [&] { return handler_->ListResources(*request, response); });
}

// Only serviceaccounts/token is served: the token is signed on the pool,
// since the issuer reads the ServiceAccount and a bound pod from storage.
grpc::ServerUnaryReactor* ApiServerService::CreateSubresource(
    grpc::CallbackServerContext* context, const apiv1::CreateSubresourceRequest* request,
    apiv1::ObjectResponse* response) {
  const Caller caller = Authenticate(context, false);
  const api::KindInfo* kind = handler_->registry().scheme().FindByResource(request->resource());
  const bool token = kind != nullptr && kind->group.empty() &&
                     kind->resource == "serviceaccounts" && request->subresource() == "token" &&
                     token_issuer_ != nullptr;
  absl::Status refused = Admit(caller, "create", request->resource(), request->namespace_(),
                               request->name(), request->subresource());
  if (refused.ok() && !token) {
    refused = api::NewApiError(absl::StatusCode::kNotFound, "NotFound", 404,
                               absl::StrCat("the server could not find the requested resource (",
                                            kind != nullptr ? kind->resource : request->resource(),
                                            "/", request->subresource(), ")"),
                               {});
  }
  if (refused.ok() && request->namespace_().empty()) {
    refused = api::NewBadRequest("a namespace is required");
  }
  if (refused.ok() && request->name().empty()) refused = api::NewBadRequest("a name is required");
  if (refused.ok() && request->dry_run()) {
    // As kube-apiserver: a token is never made without being handed out.
    refused = api::NewBadRequest("dryRun is not supported");
  }
  return Unary(
      context,
      [=, this] {
        authentication::v1::TokenRequest token_request;
        if (!token_request.ParseFromString(request->object())) {
          return api::NewBadRequest("the object is not a serialized TokenRequest");
        }
        RETURN_IF_ERROR(token_issuer_->Issue(request->namespace_(), request->name(), absl::Now(),
                                             &token_request, &caller.user));
        response->set_object(token_request.SerializeAsString());
        return absl::OkStatus();
      },
      AuditEvent(context, caller, "CreateSubresource", "create", request->resource(),
                 request->namespace_(), request->name(), request->subresource()),
      refused, 201);
}

grpc::ServerUnaryReactor* ApiServerService::Version(grpc::CallbackServerContext* context,
                                                    const apiv1::VersionRequest* request,
                                                    apiv1::VersionResponse* response) {
  return Inline(context, true, "Version", "/version",
                [&] { return handler_->Version(*request, response); });
}

namespace {

// One client watch stream. Lock order: WatchReactor::mu_ before
// Watcher::mu_ (PopBatch); the watch cache calls Notify() with its own lock
// held and no Watcher lock, so WatchCache::mu_ → WatchReactor::mu_ →
// Watcher::mu_.
//
// Registration runs on the worker pool, not on gRPC's callback thread: a
// watch from a resourceVersion newer than the cache waits for it (see
// WatchCache::WaitUntilFresh). The reactor lives until Finish() is called and
// OnDone() follows, so the pooled registration may use it.
class WatchReactor : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  // A request that does not parse, or that `admit` refuses, is answered at
  // once.
  // `audit` (may be null) gets ResponseStarted once the watch is
  // established and ResponseComplete when the call ends; `event` is its
  // event without the object.
  static WatchReactor* Start(Handler* handler, WorkerPool* pool,
                             const grpc::ByteBuffer& request_bytes, audit::AuditLog* audit,
                             std::optional<audit::Event> event, const absl::Status& refused,
                             const std::function<absl::Status(const apiv1::WatchRequest&)>& admit) {
    auto* reactor = new WatchReactor;
    reactor->audit_ = audit;
    {
      absl::MutexLock lock(&reactor->mu_);
      reactor->event_ = std::move(event);
    }
    if (!refused.ok()) {
      absl::MutexLock lock(&reactor->mu_);
      reactor->FinishLocked(ToGrpc(refused));
      return reactor;
    }
    apiv1::WatchRequest request;
    if (!ParseRequest(request_bytes, &request)) {
      absl::MutexLock lock(&reactor->mu_);
      reactor->FinishLocked(
          ToGrpc(api::NewBadRequest("the request is not a valid serialized "
                                    "minik8s.apiserver.v1.WatchRequest")));
      return reactor;
    }
    reactor->kind_ = handler->registry().scheme().FindByResource(request.resource());
    reactor->batches_ = request.allow_event_batches();
    if (absl::MutexLock lock(&reactor->mu_); reactor->event_.has_value()) {
      const api::KindInfo* kind = reactor->kind_;
      reactor->event_->object_ref = {
          .resource = kind != nullptr ? kind->resource : request.resource(),
          .namespace_ = request.namespace_(),
          .api_group = kind != nullptr ? kind->group : "",
          .api_version = kind != nullptr ? kind->version : ""};
    }
    if (absl::Status allowed = admit(request); !allowed.ok()) {
      absl::MutexLock lock(&reactor->mu_);
      reactor->FinishLocked(ToGrpc(allowed));
      return reactor;
    }
    pool->Schedule(
        [reactor, handler, request = std::move(request)] { reactor->Register(handler, request); });
    return reactor;
  }

  void OnWriteDone(bool ok) override {
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (!ok) {
        FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the client went away"));
        return;
      }
    }
    TryWrite();
  }

  // The client went away (or the server is shutting down): close the
  // watcher; the next TryWrite() (here, or after the write in flight) sees
  // it closed and finishes the call.
  void OnCancel() override {
    Unregister();
    TryWrite();
  }

  void OnDone() override {
    Unregister();
    delete this;
  }

 private:
  WatchReactor() = default;

  static bool ParseRequest(const grpc::ByteBuffer& bytes, apiv1::WatchRequest* request) {
    std::vector<grpc::Slice> slices;
    if (!bytes.Dump(&slices).ok()) return false;
    std::string flat;
    flat.reserve(bytes.Length());
    for (const grpc::Slice& slice : slices) {
      flat.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    }
    return request->ParseFromString(flat);
  }

  void Register(Handler* handler, const apiv1::WatchRequest& request) {
    absl::StatusOr<Handler::WatchStream> stream = handler->Watch(request, [this] { TryWrite(); });
    if (!stream.ok()) {
      absl::MutexLock lock(&mu_);
      FinishLocked(ToGrpc(stream.status()));
      return;
    }
    bool cancelled = false;
    {
      absl::MutexLock lock(&mu_);
      stream_ = *stream;
      // Unregister() ran already (the client went away meanwhile).
      cancelled = unregistered_;
      // The watch is established: tell the client now rather than with the
      // first event (which may be long in coming).
      if (!cancelled) {
        StartSendInitialMetadata();
        AuditLocked("ResponseStarted", absl::OkStatus());
      }
    }
    if (cancelled) stream->cache->Unregister(stream->watcher);
    TryWrite();
  }

  void Unregister() {
    Handler::WatchStream stream;
    {
      absl::MutexLock lock(&mu_);
      if (unregistered_) return;
      unregistered_ = true;
      stream = stream_;
    }
    if (stream.cache != nullptr) stream.cache->Unregister(stream.watcher);
  }

  void FinishLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    AuditLocked("ResponseComplete",
                absl::Status(static_cast<absl::StatusCode>(status.error_code()), ""));
    Finish(status);
  }

  void AuditLocked(const char* stage, const absl::Status& status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (audit_ == nullptr || !event_.has_value()) return;
    audit::Event e = *event_;
    e.stage = stage;
    e.code = audit::HttpCodeOf(static_cast<int>(status.code()));
    e.stage_time = absl::Now();
    if (e.audit_id.empty()) e.audit_id = NewUuidV4();
    event_->audit_id = e.audit_id;  // both stages share the ID
    audit_->Write(std::move(e));
  }

  void TryWrite() {
    absl::MutexLock lock(&mu_);
    if (writing_ || finished_ || stream_.watcher == nullptr) return;
    absl::Status error;
    bool more = false;
    batch_.clear();
    switch (stream_.watcher->PopBatch(batches_ ? ApiServerService::kMaxBatchEvents : 1,
                                      ApiServerService::kMaxBatchBytes, &batch_, &error, &more)) {
      case Watcher::Next::kEmpty:
        return;
      case Watcher::Next::kClosed:
        FinishLocked(ToGrpc(error));
        return;
      case Watcher::Next::kEvent:
        break;
    }
    // The message: the events' shared encodings copied into one buffer that
    // the slice owns (a batch is their concatenation; a single event drops
    // the frame header).
    auto* bytes = new std::string;
    std::string unshared;
    if (batches_) {
      size_t total = 0;
      for (const Delivery& delivery : batch_) {
        total += delivery.object != nullptr ? delivery.object->serialized.size() + 64 : 64;
      }
      bytes->reserve(total);
      for (const Delivery& delivery : batch_) {
        absl::string_view framed = FramedDelivery(kind_, delivery, &unshared);
        bytes->append(framed.data(), framed.size());
      }
    } else {
      absl::string_view framed = FramedDelivery(kind_, batch_.front(), &unshared);
      framed.remove_prefix(FrameHeaderSize(framed));
      bytes->assign(framed.data(), framed.size());
    }
    batch_.clear();
    grpc::Slice slice(
        bytes->data(), bytes->size(), [](void* p) { delete static_cast<std::string*>(p); }, bytes);
    message_ = grpc::ByteBuffer(&slice, 1);
    writing_ = true;
    // More events queued: let gRPC coalesce this message with the next
    // (the last of a burst goes out without the hint, flushing them all).
    StartWrite(&message_, more ? grpc::WriteOptions().set_buffer_hint() : grpc::WriteOptions());
  }

  const api::KindInfo* kind_ = nullptr;
  bool batches_ = false;
  audit::AuditLog* audit_ = nullptr;
  std::optional<audit::Event> event_ ABSL_GUARDED_BY(mu_);
  absl::Mutex mu_;
  Handler::WatchStream stream_ ABSL_GUARDED_BY(mu_);
  std::vector<Delivery> batch_ ABSL_GUARDED_BY(mu_);
  grpc::ByteBuffer message_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool unregistered_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

grpc::ServerWriteReactor<grpc::ByteBuffer>* ApiServerService::Watch(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) {
  const Caller caller = Authenticate(context, false);
  return WatchReactor::Start(handler_, pool_, *request, audit_,
                             AuditEvent(context, caller, "Watch", "watch", "", "", "", ""),
                             caller.refused, [this, caller](const apiv1::WatchRequest& request) {
                               return Admit(caller, "watch", request.resource(),
                                            request.namespace_(), "", "");
                             });
}

}  // namespace minik8s::apiserver
