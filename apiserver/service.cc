#include "apiserver/service.h"

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

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

std::string StatusDetails(const absl::Status& status) {
  if (status.ok()) return "";
  return api::ToApiStatus(status).SerializeAsString();
}

template <typename Req, typename Resp>
class ApiServerService::Call {
 public:
  explicit Call(rpc::CallRef ref) : ref_(ref) {}

  // Answers with `response` when `status` is OK, else with the status and
  // its meta.v1.Status; deletes the call.
  void Finish(const absl::Status& status) {
    if (status.ok()) {
      ref_.Reply(status, rpc::Frame(response));
    } else {
      ref_.Reply(status, "", StatusDetails(status));
    }
    delete this;
  }

  Req request;
  Resp response;

 private:
  const rpc::CallRef ref_;
};

namespace {

// Where the service's methods are served: "<path prefix><method>".
constexpr char kServicePath[] = "/minik8s.apiserver.v1.ApiServer/";

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

ApiServerService::Caller ApiServerService::Authenticate(const rpc::CallInfo& info,
                                                        bool public_call) const {
  Caller caller{.user = authn::Anonymous()};
  if (authenticator_ != nullptr && authenticator_->enabled()) {
    const std::string_view authorization = info.Find("authorization");
    // The certificate the connection's handshake verified (on the gRPC
    // port, or on the HTTP port that handed the connection over).
    const std::optional<authn::CertificateIdentity>& certificate = info.peer->certificate;
    authn::Authenticator::Result who =
        authenticator_->Authenticate(absl::string_view(authorization.data(), authorization.size()),
                                     certificate.has_value() ? &*certificate : nullptr);
    caller.user = std::move(who.user);
    if (who.outcome == authn::Authenticator::Outcome::kRejected ||
        (who.outcome == authn::Authenticator::Outcome::kAnonymous && !public_call)) {
      caller.refused = authn::UnauthorizedError();
      return caller;
    }
  }
  // Impersonation (authz/impersonation.h) from the impersonate-* metadata.
  authz::HeaderLines lines;
  for (const auto& [name, value] : info.metadata) {
    if (authz::IsImpersonationHeader(name)) lines.emplace_back(name, value);
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
    const rpc::CallInfo& info, const Caller& caller, const char* method, const char* verb,
    const std::string& resource, const std::string& ns, const std::string& name,
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
  e.request_uri = absl::StrCat(kServicePath, method);
  e.source_ip = PeerIp(info.peer->address);
  e.user_agent = std::string(info.Find("user-agent"));
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

template <typename Req, typename Resp>
void ApiServerService::AddUnary(rpc::Server* server, const char* name,
                                void (ApiServerService::*method)(const rpc::CallInfo&,
                                                                 Call<Req, Resp>*)) {
  rpc::Method m;
  m.unary = [this, method](std::string_view message, rpc::CallRef ref, const rpc::CallInfo& info) {
    auto* call = new Call<Req, Resp>(ref);
    if (!call->request.ParseFromArray(message.data(), static_cast<int>(message.size()))) {
      return call->Finish(absl::InternalError("grpc: error unmarshalling request"));
    }
    (this->*method)(info, call);
  };
  server->AddMethod(absl::StrCat(kServicePath, name), std::move(m));
}

template <typename Req, typename Resp, typename Fn>
void ApiServerService::Unary(Call<Req, Resp>* call, Fn fn, std::optional<audit::Event> event,
                             const absl::Status& refused, int ok_code) {
  if (!refused.ok()) {
    Audit(std::move(event), refused);
    return call->Finish(refused);
  }
  pool_->Schedule([this, call, fn = std::move(fn), event = std::move(event), ok_code]() mutable {
    const absl::Status status = fn();
    Audit(std::move(event), status, ok_code);
    call->Finish(status);
  });
}

template <typename Req, typename Resp, typename Fn>
void ApiServerService::Inline(const rpc::CallInfo& info, Call<Req, Resp>* call, bool public_call,
                              const char* method, const char* path, Fn fn) {
  const Caller caller = Authenticate(info, public_call);
  std::optional<audit::Event> event = AuditEvent(info, caller, method, "get", "", "", "", "");
  const absl::Status refused = AdmitPath(caller, path);
  const absl::Status status = refused.ok() ? fn() : refused;
  Audit(std::move(event), status);
  call->Finish(status);
}

// Create never holds a thread during its store write: the call is answered
// from the store's answer, on the store client's thread. Its checks run
// right here on the server's thread when they need no store read (the
// common case: the namespace is in the cache), else on the pool.
void ApiServerService::Create(const rpc::CallInfo& info,
                              Call<apiv1::CreateRequest, apiv1::ObjectResponse>* call) {
  const apiv1::CreateRequest* request = &call->request;
  apiv1::ObjectResponse* response = &call->response;
  const Caller caller = Authenticate(info, false);
  std::optional<audit::Event> event = AuditEvent(
      info, caller, "Create", "create", request->resource(), request->namespace_(), "", "");
  const absl::Status refused =
      Admit(caller, "create", request->resource(), request->namespace_(), "", "");
  if (!refused.ok()) {
    Audit(std::move(event), refused);
    return call->Finish(refused);
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
    return call->Finish(status);
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
    return call->Finish(status);
  }
  auto create = [=, this] {
    handler_->CreateAsync(
        *request, response,
        [this, call, event](absl::Status status) {
          Audit(event, status, 201);
          call->Finish(status);
        },
        &caller.user);
  };
  if (handler_->CreateRunsWithoutWaiting(*request)) {
    create();
  } else {
    pool_->Schedule(create);
  }
}

void ApiServerService::Get(const rpc::CallInfo& info,
                           Call<apiv1::GetRequest, apiv1::ObjectResponse>* call) {
  const apiv1::GetRequest* request = &call->request;
  apiv1::ObjectResponse* response = &call->response;
  const Caller caller = Authenticate(info, false);
  Unary(
      call, [=, this] { return handler_->Get(*request, response); },
      AuditEvent(info, caller, "Get", "get", request->resource(), request->namespace_(),
                 request->name(), request->subresource()),
      Admit(caller, "get", request->resource(), request->namespace_(), request->name(),
            request->subresource()));
}

void ApiServerService::List(const rpc::CallInfo& info,
                            Call<apiv1::ListRequest, apiv1::ListResponse>* call) {
  const apiv1::ListRequest* request = &call->request;
  apiv1::ListResponse* response = &call->response;
  const Caller caller = Authenticate(info, false);
  Unary(
      call, [=, this] { return handler_->List(*request, response); },
      AuditEvent(info, caller, "List", "list", request->resource(), request->namespace_(), "", ""),
      Admit(caller, "list", request->resource(), request->namespace_(), "", ""));
}

void ApiServerService::Update(const rpc::CallInfo& info,
                              Call<apiv1::UpdateRequest, apiv1::ObjectResponse>* call) {
  const apiv1::UpdateRequest* request = &call->request;
  apiv1::ObjectResponse* response = &call->response;
  const Caller caller = Authenticate(info, false);
  Unary(
      call, [=, this] { return handler_->Update(*request, response, &caller.user); },
      AuditEvent(info, caller, "Update", "update", request->resource(), request->namespace_(),
                 request->name(), request->subresource()),
      Admit(caller, "update", request->resource(), request->namespace_(), request->name(),
            request->subresource()));
}

void ApiServerService::Patch(const rpc::CallInfo& info,
                             Call<apiv1::PatchRequest, apiv1::ObjectResponse>* call) {
  const apiv1::PatchRequest* request = &call->request;
  apiv1::ObjectResponse* response = &call->response;
  const Caller caller = Authenticate(info, false);
  Unary(
      call, [=, this] { return handler_->Patch(*request, response, &caller.user); },
      AuditEvent(info, caller, "Patch", "patch", request->resource(), request->namespace_(),
                 request->name(), request->subresource()),
      Admit(caller, "patch", request->resource(), request->namespace_(), request->name(),
            request->subresource()));
}

void ApiServerService::Delete(const rpc::CallInfo& info,
                              Call<apiv1::DeleteRequest, apiv1::DeleteResponse>* call) {
  const apiv1::DeleteRequest* request = &call->request;
  apiv1::DeleteResponse* response = &call->response;
  const Caller caller = Authenticate(info, false);
  Unary(
      call, [=, this] { return handler_->Delete(*request, response, &caller.user); },
      AuditEvent(info, caller, "Delete", "delete", request->resource(), request->namespace_(),
                 request->name(), ""),
      Admit(caller, "delete", request->resource(), request->namespace_(), request->name(), ""));
}

void ApiServerService::Bind(const rpc::CallInfo& info,
                            Call<apiv1::BindRequest, apiv1::BindResponse>* call) {
  const apiv1::BindRequest* request = &call->request;
  apiv1::BindResponse* response = &call->response;
  const Caller caller = Authenticate(info, false);
  Unary(
      call, [=, this] { return handler_->Bind(*request, response); },
      AuditEvent(info, caller, "Bind", "create", "pods", request->namespace_(), request->name(),
                 "binding"),
      Admit(caller, "create", "pods", request->namespace_(), request->name(), "binding"));
}

void ApiServerService::ListResources(
    const rpc::CallInfo& info,
    Call<apiv1::ListResourcesRequest, apiv1::ListResourcesResponse>* call) {
  const apiv1::ListResourcesRequest* request = &call->request;
  apiv1::ListResourcesResponse* response = &call->response;
  Inline(info, call, false, "ListResources", "/apis",
         [&] { return handler_->ListResources(*request, response); });
}

// Only serviceaccounts/token is served: the token is signed on the pool,
// since the issuer reads the ServiceAccount and a bound pod from storage.
void ApiServerService::CreateSubresource(
    const rpc::CallInfo& info, Call<apiv1::CreateSubresourceRequest, apiv1::ObjectResponse>* call) {
  const apiv1::CreateSubresourceRequest* request = &call->request;
  apiv1::ObjectResponse* response = &call->response;
  const Caller caller = Authenticate(info, false);
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
  Unary(
      call,
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
      AuditEvent(info, caller, "CreateSubresource", "create", request->resource(),
                 request->namespace_(), request->name(), request->subresource()),
      refused, 201);
}

void ApiServerService::Version(const rpc::CallInfo& info,
                               Call<apiv1::VersionRequest, apiv1::VersionResponse>* call) {
  const apiv1::VersionRequest* request = &call->request;
  apiv1::VersionResponse* response = &call->response;
  Inline(info, call, true, "Version", "/version",
         [&] { return handler_->Version(*request, response); });
}

namespace {

// One client watch stream. Lock order: WatchStream::mu_ before
// Watcher::mu_ (PopBatch); the watch cache calls Notify() with its own lock
// held and no Watcher lock, so WatchCache::mu_ → WatchStream::mu_ →
// Watcher::mu_.
//
// The request is the stream's one message. Registration runs on the worker
// pool, not on the server's thread: a watch from a resourceVersion newer
// than the cache waits for it (see WatchCache::WaitUntilFresh). The object
// lives until the server calls OnFinished, which follows Finish; Finish
// waits for a pooled registration to have run, so that registration may
// use the object.
class WatchStream final : public rpc::StreamCallbacks {
 public:
  using Admit = std::function<absl::Status(const apiv1::WatchRequest&)>;

  // `audit` (may be null) gets ResponseStarted once the watch is
  // established and ResponseComplete when the call ends; `event` is its
  // event without the object. A call `refused` is answered at once.
  WatchStream(rpc::CallRef ref, Handler* handler, WorkerPool* pool, audit::AuditLog* audit,
              std::optional<audit::Event> event, const absl::Status& refused, Admit admit)
      : ref_(ref),
        handler_(handler),
        pool_(pool),
        audit_(audit),
        admit_(std::move(admit)),
        event_(std::move(event)) {
    if (!refused.ok()) {
      absl::MutexLock lock(&mu_);
      FinishLocked(refused);
    }
  }

  bool OnMessage(std::string_view message) override {
    absl::MutexLock lock(&mu_);
    if (got_request_ || finished_) return true;  // one request; more are ignored
    got_request_ = true;
    apiv1::WatchRequest request;
    if (!request.ParseFromArray(message.data(), static_cast<int>(message.size()))) {
      FinishLocked(api::NewBadRequest(
          "the request is not a valid serialized minik8s.apiserver.v1.WatchRequest"));
      return true;
    }
    kind_ = handler_->registry().scheme().FindByResource(request.resource());
    batches_ = request.allow_event_batches();
    if (event_.has_value()) {
      event_->object_ref = {.resource = kind_ != nullptr ? kind_->resource : request.resource(),
                            .namespace_ = request.namespace_(),
                            .api_group = kind_ != nullptr ? kind_->group : "",
                            .api_version = kind_ != nullptr ? kind_->version : ""};
    }
    if (absl::Status allowed = admit_(request); !allowed.ok()) {
      FinishLocked(allowed);
      return true;
    }
    registering_ = true;
    pool_->Schedule([this, request = std::move(request)] { Register(request); });
    return true;
  }

  void OnReadsDone() override {
    absl::MutexLock lock(&mu_);
    if (!got_request_) FinishLocked(absl::InternalError("grpc: a watch without a request"));
  }

  // The client went away (or the server is stopping): close the watcher and
  // end the call, once a pooled registration has run.
  void OnCancelled() override {
    Unregister();
    absl::MutexLock lock(&mu_);
    if (!registering_) FinishLocked(absl::CancelledError("the client went away"));
  }

  void OnWritten(bool ok) override {
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (!ok) {
        FinishLocked(absl::CancelledError("the client went away"));
        return;
      }
    }
    TryWrite();
  }

  void OnFinished() override {
    Unregister();
    delete this;
  }

 private:
  void Register(const apiv1::WatchRequest& request) {
    absl::StatusOr<Handler::WatchStream> stream = handler_->Watch(request, [this] { TryWrite(); });
    {
      absl::MutexLock lock(&mu_);
      registering_ = false;
      if (!stream.ok()) {
        FinishLocked(stream.status());
        return;
      }
      if (!unregistered_) {
        stream_ = *stream;
        // The watch is established: tell the client now rather than with
        // the first event (which may be long in coming).
        ref_.SendHeaders();
        AuditLocked("ResponseStarted", absl::OkStatus());
        // Under the same lock: once it is released, the call may end (the
        // client goes, the watcher closes) and this object with it.
        TryWriteLocked();
        return;
      }
    }
    // The client went away meanwhile (OnCancelled ran and left the end to
    // this). With stream_ unset nothing else ends the call: the watcher
    // leaves the cache first, so no notification reaches a deleted object.
    stream->cache->Unregister(stream->watcher);
    absl::MutexLock lock(&mu_);
    FinishLocked(absl::CancelledError("the client went away"));
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

  void FinishLocked(const absl::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    AuditLocked("ResponseComplete", status);
    ref_.Finish(status, StatusDetails(status));
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
    TryWriteLocked();
  }

  void TryWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || finished_ || stream_.watcher == nullptr) return;
    absl::Status error;
    bool more = false;
    batch_.clear();
    switch (stream_.watcher->PopBatch(batches_ ? ApiServerService::kMaxBatchEvents : 1,
                                      ApiServerService::kMaxBatchBytes, &batch_, &error, &more)) {
      case Watcher::Next::kEmpty:
        return;
      case Watcher::Next::kClosed:
        FinishLocked(error);
        return;
      case Watcher::Next::kEvent:
        break;
    }
    // The message: gRPC's 5-byte prefix, then the events' shared encodings
    // (a batch is their concatenation; a single event drops the frame
    // header).
    std::string message(5, '\0');
    std::string unshared;
    if (batches_) {
      size_t total = 5;
      for (const Delivery& delivery : batch_) {
        total += delivery.object != nullptr ? delivery.object->serialized.size() + 64 : 64;
      }
      message.reserve(total);
      for (const Delivery& delivery : batch_) {
        absl::string_view framed = FramedDelivery(kind_, delivery, &unshared);
        message.append(framed.data(), framed.size());
      }
    } else {
      absl::string_view framed = FramedDelivery(kind_, batch_.front(), &unshared);
      framed.remove_prefix(FrameHeaderSize(framed));
      message.append(framed.data(), framed.size());
    }
    batch_.clear();
    const uint32_t length = static_cast<uint32_t>(message.size() - 5);
    message[1] = static_cast<char>(length >> 24);
    message[2] = static_cast<char>(length >> 16);
    message[3] = static_cast<char>(length >> 8);
    message[4] = static_cast<char>(length);
    writing_ = true;
    // Events queued meanwhile go out with it: the server writes everything
    // a connection has queued with one system call.
    ref_.Write(std::move(message));
  }

  const rpc::CallRef ref_;
  Handler* const handler_;
  WorkerPool* const pool_;
  audit::AuditLog* const audit_;
  const Admit admit_;
  absl::Mutex mu_;
  const api::KindInfo* kind_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool batches_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<audit::Event> event_ ABSL_GUARDED_BY(mu_);
  Handler::WatchStream stream_ ABSL_GUARDED_BY(mu_);
  std::vector<Delivery> batch_ ABSL_GUARDED_BY(mu_);
  bool got_request_ ABSL_GUARDED_BY(mu_) = false;
  bool registering_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool unregistered_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

rpc::StreamCallbacks* ApiServerService::StartWatch(rpc::CallRef ref, const rpc::CallInfo& info) {
  const Caller caller = Authenticate(info, false);
  return new WatchStream(
      ref, handler_, pool_, audit_, AuditEvent(info, caller, "Watch", "watch", "", "", "", ""),
      caller.refused, [this, caller](const apiv1::WatchRequest& request) {
        return Admit(caller, "watch", request.resource(), request.namespace_(), "", "");
      });
}

void ApiServerService::Register(rpc::Server* server) {
  AddUnary(server, "Create", &ApiServerService::Create);
  AddUnary(server, "Get", &ApiServerService::Get);
  AddUnary(server, "List", &ApiServerService::List);
  AddUnary(server, "Update", &ApiServerService::Update);
  AddUnary(server, "Patch", &ApiServerService::Patch);
  AddUnary(server, "Delete", &ApiServerService::Delete);
  AddUnary(server, "Bind", &ApiServerService::Bind);
  AddUnary(server, "CreateSubresource", &ApiServerService::CreateSubresource);
  AddUnary(server, "ListResources", &ApiServerService::ListResources);
  AddUnary(server, "Version", &ApiServerService::Version);
  rpc::Method watch;
  watch.streaming = [this](rpc::CallRef ref, const rpc::CallInfo& info) {
    return StartWatch(ref, info);
  };
  server->AddMethod(absl::StrCat(kServicePath, "Watch"), std::move(watch));
}

}  // namespace minik8s::apiserver
