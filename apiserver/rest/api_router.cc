#include "apiserver/rest/api_router.h"

#include <functional>
#include <memory>
#include <random>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "api/codec.h"
#include "api/errors.h"
#include "api/k8s_protobuf.h"
#include "apiserver/authn/reviews.h"
#include "apiserver/authn/self_subject_review.h"
#include "apiserver/authz/access_review.h"
#include "apiserver/authz/impersonation.h"
#include "apiserver/identity.h"
#include "apiserver/object_meta.h"
#include "apiserver/rest/authorization.h"
#include "apiserver/rest/discovery.h"
#include "apiserver/rest/encoding.h"
#include "apiserver/rest/log_stream.h"
#include "apiserver/rest/negotiation.h"
#include "apiserver/rest/openapi.h"
#include "apiserver/rest/watch_source.h"
#include "apiserver/serviceaccount/oidc_discovery.h"
#include "apiserver/serviceaccount/token_request.h"
#include "common/metrics.h"
#include "common/status_macros.h"
#include "k8s/authentication/v1/authentication.pb.h"
#include "k8s/autoscaling/v1/autoscaling.pb.h"
#include "k8s/core/v1/core.pb.h"
#include "k8s/meta/v1/meta.pb.h"
#include "spdlog/spdlog.h"

namespace minik8s::apiserver::rest {

namespace apiv1 = ::minik8s::apiserver::v1;
using google::protobuf::Message;

// One resource request on its way through the router.
struct ApiRouter::Call {
  HttpRequest request;
  ResponderPtr responder;
  RequestInfo info;
  authn::UserInfo user;  // who asked
  const Strategy* strategy = nullptr;
  Format format = Format::kJson;
  std::vector<std::string> warnings;

  const api::KindInfo& kind() const { return strategy->kind(); }

  void Reply(int status, Format out, std::string body) {
    HttpResponse response;
    response.status = status;
    response.content_type = ContentTypeOf(out);
    response.body = std::move(body);
    for (const std::string& warning : warnings) {
      response.headers.emplace_back("Warning", absl::StrCat("299 - \"", JsonEscape(warning), "\""));
    }
    responder->Respond(std::move(response));
  }
  void ReplyObject(int status, const Message& object) {
    Reply(status, format, EncodeObject(object, format, &strategy->kind()));
  }
  void Fail(const absl::Status& status) {
    auto [code, body] = EncodeError(status);
    HttpResponse response;
    response.status = code;
    response.body = std::move(body);
    responder->Respond(std::move(response));
  }
};

namespace {

HttpResponse JsonResponse(int status, std::string body, const char* type = kJsonType) {
  HttpResponse response;
  response.status = status;
  response.content_type = type;
  response.body = std::move(body);
  return response;
}

HttpResponse ErrorResponse(const absl::Status& status) {
  auto [code, body] = EncodeError(status);
  return JsonResponse(code, std::move(body));
}

absl::Status NotFoundPath() {
  return api::NewApiError(absl::StatusCode::kNotFound, "NotFound", 404,
                          "the server could not find the requested resource", {});
}

absl::Status MethodNotAllowed(absl::string_view method) {
  return api::NewApiError(absl::StatusCode::kUnimplemented, "MethodNotAllowed", 405,
                          absl::StrCat("the server does not allow this method on the requested "
                                       "resource (",
                                       method, ")"),
                          {});
}

// dryRun=All (the only value Kubernetes knows); anything else is 400.
absl::StatusOr<bool> DryRun(const HttpRequest& request) {
  absl::string_view value = request.Query("dryRun");
  if (value.empty()) return false;
  if (value == "All") return true;
  return api::NewBadRequest(
      absl::StrCat("dryRun: Unsupported value: \"", value, "\": supported values: \"All\""));
}

// fieldValidation: Strict refuses unknown fields, Warn (the default) drops
// them with a warning, Ignore drops them silently.
absl::StatusOr<std::string> FieldValidation(const HttpRequest& request) {
  absl::string_view value = request.Query("fieldValidation");
  if (value.empty()) return std::string("Warn");
  if (value == "Strict" || value == "Warn" || value == "Ignore") return std::string(value);
  return api::NewBadRequest(absl::StrCat("fieldValidation: Unsupported value: \"", value,
                                         "\": supported values: \"Ignore\", \"Strict\", \"Warn\""));
}

// Reads a request body of a known type: JSON, YAML or Kubernetes protobuf.
// Unknown fields follow fieldValidation (warnings land in `warnings`).
absl::Status DecodeBody(const HttpRequest& request, Message* out, absl::string_view validation,
                        std::vector<std::string>* warnings) {
  const std::string media = BodyMediaType(request.Header("content-type"));
  const api::KindInfo* kind = api::Scheme::Default().FindByDescriptor(out->GetDescriptor());
  const std::string kind_name = kind != nullptr ? kind->kind : out->GetDescriptor()->name();
  const std::string version = kind != nullptr ? kind->api_version : "";
  if (request.body.empty()) return api::NewBadRequest("the request body is empty");
  if (media == kProtobufType) {
    absl::Status status = api::DecodeK8sProtobufInto(request.body, out);
    if (!status.ok()) {
      return api::NewBadRequest(absl::StrCat(kind_name, " in version \"", version,
                                             "\" cannot be handled as a ", kind_name, ": ",
                                             status.message()));
    }
    return absl::OkStatus();
  }
  if (media != kJsonType && media != kYamlType && media != "application/yml" &&
      media != "text/yaml") {
    return UnsupportedMediaType(media, {kJsonType, kYamlType, kProtobufType});
  }
  std::vector<std::string> unknown;
  api::DecodeOptions options{.allow_unknown_fields = true, .unknown_fields = &unknown};
  absl::Status status = api::DecodeInto(request.body, out, options);
  if (!status.ok()) {
    return api::NewBadRequest(absl::StrCat(kind_name, " in version \"", version,
                                           "\" cannot be handled as a ", kind_name, ": ",
                                           status.message()));
  }
  if (!unknown.empty()) {
    if (validation == "Strict") {
      std::vector<std::string> parts;
      for (const std::string& field : unknown)
        parts.push_back(absl::StrCat("unknown field \"", field, "\""));
      return api::NewBadRequest(
          absl::StrCat(kind_name, " in version \"", version, "\" cannot be handled as a ",
                       kind_name, ": strict decoding error: ", absl::StrJoin(parts, ", ")));
    }
    if (validation == "Warn") {
      for (const std::string& field : unknown) {
        warnings->push_back(absl::StrCat("unknown field \"", field, "\""));
      }
    }
  }
  return absl::OkStatus();
}

// Kubernetes' rule for the namespace of a body against the URL's.
absl::Status CheckBodyNamespace(const api::KindInfo& kind, const std::string& ns, Message* object) {
  meta::v1::ObjectMeta* meta = MutableMeta(object);
  if (meta == nullptr) return absl::OkStatus();
  if (!kind.namespaced) {
    meta->clear_namespace_();
    return absl::OkStatus();
  }
  if (meta->namespace_().empty()) {
    meta->set_namespace_(ns);
  } else if (meta->namespace_() != ns) {
    return api::NewBadRequest(
        "the namespace of the provided object does not match the namespace sent on the request");
  }
  return absl::OkStatus();
}

// apiserver_request_total and apiserver_request_duration_seconds, with
// kube-apiserver's names and labels.
struct RequestMetrics {
  metrics::CounterFamily* total;
  metrics::HistogramFamily* duration;

  static const RequestMetrics& Get() {
    static const RequestMetrics* const instance = [] {
      metrics::Registry& registry = metrics::Registry::Default();
      auto* m = new RequestMetrics;
      m->total = *metrics::NewCounter(
          registry, "apiserver_request_total",
          "Counter of apiserver requests broken out for each verb, dry run value, group, "
          "version, resource, scope, component, and HTTP response code.",
          {"code", "component", "dry_run", "group", "resource", "scope", "subresource", "verb",
           "version"});
      m->duration = *metrics::NewHistogram(
          registry, "apiserver_request_duration_seconds",
          "Response latency distribution in seconds for each verb, dry run value, group, "
          "version, resource, subresource, scope and component.",
          {"component", "dry_run", "group", "resource", "scope", "subresource", "verb", "version"},
          {0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2,
           3,     4,     5,    6,   8,   10,  15,  20,  30,  45,   60});
      return m;
    }();
    return *instance;
  }
};

// Records a request's code and latency when it is answered (for a stream:
// when its head goes out).
class MeteredResponder : public Responder {
 public:
  MeteredResponder(ResponderPtr inner, const HttpRequest& request,
                   const std::optional<RequestInfo>& info)
      : inner_(std::move(inner)), start_(absl::Now()) {
    dry_run_ = request.Query("dryRun") == "All" ? "All" : "";
    if (info.has_value()) {
      verb_ = absl::AsciiStrToUpper(info->verb);
      if (verb_ == "CREATE") verb_ = "POST";
      if (verb_ == "UPDATE") verb_ = "PUT";
      if (info->subresource == "log") verb_ = "CONNECT";
      group_ = info->group;
      version_ = info->version;
      resource_ = info->resource;
      subresource_ = info->subresource;
      scope_ = !info->name.empty()         ? "resource"
               : !info->namespace_.empty() ? "namespace"
                                           : "cluster";
    } else {
      verb_ = request.method;
    }
  }
  void Respond(HttpResponse response) override {
    Record(response.status);
    inner_->Respond(std::move(response));
  }
  void Stream(int status, std::string content_type, std::shared_ptr<StreamSource> source,
              absl::Duration max_duration) override {
    Record(status);
    inner_->Stream(status, std::move(content_type), std::move(source), max_duration);
  }

 private:
  void Record(int code) {
    const RequestMetrics& m = RequestMetrics::Get();
    const std::string code_text = absl::StrCat(code);
    m.total
        ->WithLabelValues({code_text, "apiserver", dry_run_, group_, resource_, scope_,
                           subresource_, verb_, version_})
        .Inc();
    m.duration
        ->WithLabelValues(
            {"apiserver", dry_run_, group_, resource_, scope_, subresource_, verb_, version_})
        .Observe(absl::ToDoubleSeconds(absl::Now() - start_));
  }

  ResponderPtr inner_;
  absl::Time start_;
  std::string verb_, dry_run_, group_, version_, resource_, subresource_, scope_;
};

// POST of a review: `target_ok` says whether the request names a place a
// review may be created (create only, no name); the body decodes strictly
// into `review`, `answer` fills in its status, and the review comes back
// (201) in the negotiated format, never stored.
void ServeReviewWith(const HttpRequest& request, bool target_ok, std::unique_ptr<Message> review,
                     const std::function<absl::Status(Message*)>& answer,
                     const ResponderPtr& responder) {
  if (!target_ok) {
    responder->Respond(ErrorResponse(MethodNotAllowed(request.method)));
    return;
  }
  absl::StatusOr<Format> format = NegotiateResponse(request.Header("accept"), false);
  if (!format.ok()) {
    responder->Respond(ErrorResponse(format.status()));
    return;
  }
  std::vector<std::string> warnings;
  absl::Status status = DecodeBody(request, review.get(), "Strict", &warnings);
  if (status.ok()) status = answer(review.get());
  if (!status.ok()) {
    responder->Respond(ErrorResponse(status));
    return;
  }
  HttpResponse response;
  response.status = 201;
  response.content_type = ContentTypeOf(*format);
  response.body = EncodeObject(*review, *format);
  responder->Respond(std::move(response));
}

// POST of an authorization.k8s.io review (authz/access_review.h): answered
// for the caller.
void ServeReview(const HttpRequest& request, const RequestInfo& info, const authn::UserInfo& user,
                 const authz::Authorizer* authorizer, const ResponderPtr& responder) {
  const bool target_ok = info.verb == "create" && info.name.empty() &&
                         (info.namespace_.empty() || authz::IsNamespacedReview(info.resource));
  ServeReviewWith(
      request, target_ok, authz::NewReview(info.resource),
      [&](Message* review) {
        return authz::AnswerReview(info.resource, info.namespace_, authorizer, user, review);
      },
      responder);
}

// POST of an authentication.k8s.io review (authn/reviews.h): who the
// caller is, or whom a token authenticates.
void ServeAuthenticationReview(const HttpRequest& request, const RequestInfo& info,
                               const authn::UserInfo& user,
                               const authn::Authenticator* authenticator,
                               const ResponderPtr& responder) {
  const bool target_ok = info.verb == "create" && info.name.empty();
  ServeReviewWith(
      request, target_ok, authn::NewAuthenticationReview(info.resource),
      [&](Message* review) {
        return authn::AnswerAuthenticationReview(info.resource, info.namespace_, user,
                                                 authenticator, review);
      },
      responder);
}

bool StrategyHasSubresource(const Strategy& strategy, absl::string_view subresource) {
  if (subresource == "status") return strategy.traits().status_subresource;
  if (subresource == "scale") return strategy.has_scale();
  if (subresource == "binding") return strategy.traits().binding_subresource;
  if (subresource == "log") return strategy.traits().log_subresource;
  if (subresource == "approval") return strategy.traits().approval_subresource;
  if (subresource == "token") return strategy.traits().token_subresource;
  return false;
}

}  // namespace

ApiRouter::ApiRouter(Handler* handler, WorkerPool* pool, Options options)
    : handler_(handler),
      pool_(pool),
      options_(std::move(options)),
      discovery_(std::make_unique<DiscoveryDocs>(handler->registry(), options_.server_address)),
      openapi_(std::make_unique<OpenApiDocs>(handler->registry())) {}

ApiRouter::~ApiRouter() = default;

// Writes a request's audit events: ResponseComplete when it is answered, or
// ResponseStarted when a stream (a watch, a log) opens and ResponseComplete
// when that stream ends.
class AuditingResponder : public Responder {
 public:
  AuditingResponder(ResponderPtr inner, const HttpRequest& request,
                    const std::optional<RequestInfo>& info, authn::UserInfo user,
                    std::optional<authn::UserInfo> impersonated, audit::AuditLog* log)
      : inner_(std::move(inner)), log_(log) {
    event_.received = absl::Now();
    event_.user = std::move(user);
    event_.impersonated_user = std::move(impersonated);
    event_.audit_id = NewUuidV4();
    event_.request_uri = request.target.empty() ? request.path : request.target;
    event_.source_ip = request.remote_ip;
    event_.user_agent = std::string(request.Header("user-agent"));
    if (info.has_value() && !info->verb.empty()) {
      event_.verb = info->verb;
      event_.object_ref = {.resource = info->resource,
                           .namespace_ = info->namespace_,
                           .name = info->name,
                           .api_group = info->group,
                           .api_version = info->version,
                           .subresource = info->subresource};
    } else {
      event_.verb = absl::AsciiStrToLower(request.method);
    }
  }
  void Respond(HttpResponse response) override {
    Write(event_, "ResponseComplete", response.status);
    inner_->Respond(std::move(response));
  }
  void Stream(int status, std::string content_type, std::shared_ptr<StreamSource> source,
              absl::Duration max_duration) override {
    Write(event_, "ResponseStarted", status);
    inner_->Stream(status, std::move(content_type),
                   std::make_shared<Source>(std::move(source), event_, status, log_), max_duration);
  }

 private:
  // The stream's producer; ResponseComplete is written once the connection
  // lets go of it (the stream ended or the client left).
  class Source : public StreamSource {
   public:
    Source(std::shared_ptr<StreamSource> inner, audit::Event event, int status,
           audit::AuditLog* log)
        : inner_(std::move(inner)), event_(std::move(event)), status_(status), log_(log) {}
    ~Source() override {
      event_.stage = "ResponseComplete";
      event_.code = status_;
      event_.stage_time = absl::Now();
      log_->Write(std::move(event_));
    }
    void Start(std::function<void()> wake) override { inner_->Start(std::move(wake)); }
    Next Pull(std::string* out) override { return inner_->Pull(out); }
    void Cancel() override { inner_->Cancel(); }

   private:
    std::shared_ptr<StreamSource> inner_;
    audit::Event event_;
    const int status_;
    audit::AuditLog* const log_;
  };

  void Write(audit::Event e, const char* stage, int code) {
    e.stage = stage;
    e.code = code;
    e.stage_time = absl::Now();
    log_->Write(std::move(e));
  }

  ResponderPtr inner_;
  audit::AuditLog* const log_;
  audit::Event event_;
};

void ApiRouter::Serve(HttpRequest request, ResponderPtr responder) {
  std::optional<RequestInfo> info = ParseRequestInfo(request);
  authn::Authenticator::Result who{.user = authn::Anonymous()};
  const bool authenticating =
      options_.authenticator != nullptr && options_.authenticator->enabled();
  if (authenticating) {
    who = options_.authenticator->Authenticate(
        request.Header("authorization"),
        request.client_certificate.has_value() ? &*request.client_certificate : nullptr);
  }
  const bool unauthenticated =
      authenticating && (who.outcome == authn::Authenticator::Outcome::kRejected ||
                         (who.outcome == authn::Authenticator::Outcome::kAnonymous &&
                          !authn::IsPublicPath(request.path)));
  // Impersonation (authz/impersonation.h): after authentication, before
  // authorization, which then sees the impersonated user.
  absl::StatusOr<std::optional<authn::UserInfo>> acting_as = std::optional<authn::UserInfo>();
  if (!unauthenticated) {
    authz::HeaderLines lines;
    for (const auto& line : request.header_lines) {
      if (authz::IsImpersonationHeader(line.first)) lines.push_back(line);
    }
    if (!lines.empty()) acting_as = authz::Impersonate(options_.authorizer, who.user, lines);
  }
  responder = std::make_shared<MeteredResponder>(std::move(responder), request, info);
  if (options_.audit != nullptr) {
    responder = std::make_shared<AuditingResponder>(
        std::move(responder), request, info, who.user,
        acting_as.ok() ? *acting_as : std::optional<authn::UserInfo>(), options_.audit);
  }
  if (unauthenticated) {
    responder->Respond(ErrorResponse(authn::UnauthorizedError()));
    return;
  }
  if (!acting_as.ok()) {
    if (acting_as.status().code() == absl::StatusCode::kInternal) {
      // responsewriters.InternalError: plain text, as Kubernetes answers.
      responder->Respond(
          JsonResponse(500,
                       absl::StrCat("Internal Server Error: \"",
                                    request.target.empty() ? request.path : request.target,
                                    "\": ", acting_as.status().message(), "\n"),
                       "text/plain; charset=utf-8"));
    } else {
      responder->Respond(ErrorResponse(acting_as.status()));
    }
    return;
  }
  authn::UserInfo user = acting_as->has_value() ? **std::move(acting_as) : std::move(who.user);
  if (options_.authorizer != nullptr) {
    absl::Status allowed =
        authz::Check(*options_.authorizer, RequestAttributes(request, info, user));
    if (!allowed.ok()) {
      responder->Respond(ErrorResponse(allowed));
      return;
    }
  }
  if (info.has_value() && info->group == authz::kAccessReviewGroup &&
      authz::IsReviewResource(info->resource)) {
    ServeReview(request, *info, user, options_.authorizer, responder);
    return;
  }
  if (info.has_value() && info->group == authn::kAuthenticationGroup && info->version == "v1" &&
      authn::FindAuthenticationReview(info->resource) != nullptr) {
    ServeAuthenticationReview(request, *info, user, options_.authenticator, responder);
    return;
  }
  if (ServeNonResource(request, responder)) return;
  if (!info.has_value()) {
    responder->Respond(ErrorResponse(NotFoundPath()));
    return;
  }
  auto call = std::make_shared<Call>();
  call->request = std::move(request);
  call->responder = std::move(responder);
  call->info = std::move(*info);
  call->user = std::move(user);
  pool_->Schedule([this, call] { ServeResource(call); });
}

bool ApiRouter::ServeNonResource(const HttpRequest& request, const ResponderPtr& responder) {
  const std::string& path = request.path;
  const bool get = request.method == "GET" || request.method == "HEAD";
  if (path == "/version" || path == "/version/") {
    if (!get) {
      responder->Respond(ErrorResponse(MethodNotAllowed(request.method)));
      return true;
    }
    responder->Respond(JsonResponse(200, VersionJson()));
    return true;
  }
  for (const char* probe : {"/healthz", "/livez", "/readyz"}) {
    if (path == probe || absl::StartsWith(path, absl::StrCat(probe, "/"))) {
      const bool needs_storage = absl::string_view(probe) != "/livez";
      const bool ok = !needs_storage || !options_.storage_healthy || options_.storage_healthy();
      std::string body =
          ok ? "ok" : absl::StrCat("[-]etcd failed: reason withheld\n", probe + 1, " check failed");
      if (ok && request.HasQuery("verbose")) {
        body = absl::StrCat("[+]ping ok\n", needs_storage ? "[+]etcd ok\n" : "", probe + 1,
                            " check passed");
      }
      responder->Respond(
          JsonResponse(ok ? 200 : 500, std::move(body), "text/plain; charset=utf-8"));
      return true;
    }
  }
  if (options_.oidc != nullptr) {
    absl::string_view plain = path;
    absl::ConsumeSuffix(&plain, "/");
    const bool configuration = plain == serviceaccount::kOidcConfigurationPath;
    if (configuration || plain == serviceaccount::kJwksPath) {
      if (!get) {
        responder->Respond(ErrorResponse(MethodNotAllowed(request.method)));
        return true;
      }
      const std::string address = options_.external_address ? options_.external_address() : "";
      HttpResponse answer =
          configuration
              ? JsonResponse(200,
                             options_.oidc->Configuration(serviceaccount::DefaultJwksUri(address)))
              : JsonResponse(200, options_.oidc->Jwks(), "application/jwk-set+json");
      answer.headers.emplace_back("Cache-Control", "public, max-age=3600");
      responder->Respond(std::move(answer));
      return true;
    }
  }
  if (path == "/metrics") {
    responder->Respond(
        JsonResponse(200, MetricsText(), "text/plain; version=0.0.4; charset=utf-8"));
    return true;
  }
  std::string trimmed = path;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  if (trimmed == "/openapi/v2" && get) {
    OpenApiV2Answer v2 = OpenApiV2Document(request.Header("accept"));
    responder->Respond(JsonResponse(200, std::move(v2.body), v2.content_type.c_str()));
    return true;
  }
  if (absl::StartsWith(trimmed, "/openapi/")) {
    if (const std::string* doc = openapi_->Find(trimmed); doc != nullptr && get) {
      responder->Respond(JsonResponse(200, *doc));
    } else {
      responder->Respond(ErrorResponse(NotFoundPath()));
    }
    return true;
  }
  if (const std::string* doc = discovery_->Find(trimmed); doc != nullptr) {
    if (!get) {
      responder->Respond(ErrorResponse(MethodNotAllowed(request.method)));
      return true;
    }
    responder->Respond(JsonResponse(200, *doc));
    return true;
  }
  return false;
}

void ApiRouter::ServeResource(std::shared_ptr<Call> call) {
  const RequestInfo& info = call->info;
  absl::StatusOr<const Strategy*> strategy = handler_->registry().Find(info.resource);
  if (!strategy.ok() || (*strategy)->kind().resource != info.resource ||
      (*strategy)->kind().group != info.group || (*strategy)->kind().version != info.version) {
    call->Fail(NotFoundPath());
    return;
  }
  call->strategy = *strategy;
  const api::KindInfo& kind = call->kind();
  // A namespaced kind is reached through namespaces/<ns>/ for everything
  // but list and watch across namespaces; a cluster-scoped one never is.
  if (!kind.namespaced && !info.namespace_.empty()) {
    call->Fail(NotFoundPath());
    return;
  }
  if (kind.namespaced && info.namespace_.empty() && info.verb != "list" && info.verb != "watch") {
    call->Fail(NotFoundPath());
    return;
  }
  if (!info.subresource.empty() && !StrategyHasSubresource(**strategy, info.subresource)) {
    call->Fail(NotFoundPath());
    return;
  }
  if (info.verb.empty()) {
    call->Fail(MethodNotAllowed(call->request.method));
    return;
  }
  const bool read = info.verb == "get" || info.verb == "list" || info.verb == "watch";
  absl::StatusOr<Format> format = NegotiateResponse(call->request.Header("accept"), read);
  if (!format.ok()) {
    call->Fail(format.status());
    return;
  }
  call->format = *format;
  if (call->format == Format::kTable) {
    if (absl::Status status = CheckTableOptions(call->request); !status.ok()) {
      return call->Fail(status);
    }
  }
  const std::string& sub = info.subresource;
  if (sub == "binding") {
    if (info.verb == "create") return Bind(call);
    return call->Fail(MethodNotAllowed(call->request.method));
  }
  if (sub == "log") {
    if (info.verb == "get") return Log(call);
    return call->Fail(MethodNotAllowed(call->request.method));
  }
  if (sub == "token") {
    if (options_.token_issuer == nullptr) return call->Fail(NotFoundPath());
    if (info.verb == "create") return CreateToken(call);
    return call->Fail(MethodNotAllowed(call->request.method));
  }
  if (!sub.empty() && info.verb != "get" && info.verb != "update" && info.verb != "patch") {
    return call->Fail(MethodNotAllowed(call->request.method));
  }
  if (info.verb == "get") return Get(call);
  if (info.verb == "list") return List(call);
  if (info.verb == "watch") return Watch(call);
  if (info.verb == "create") return Create(call);
  if (info.verb == "update") return Update(call);
  if (info.verb == "patch") return Patch(call);
  if (info.verb == "delete") return Delete(call);
  if (info.verb == "deletecollection") return DeleteCollection(call);
  call->Fail(MethodNotAllowed(call->request.method));
}

// ---------------------------------------------------------------- reads

void ApiRouter::Get(std::shared_ptr<Call> call) {
  apiv1::GetRequest request;
  request.set_resource(call->kind().GroupResource());
  request.set_namespace_(call->info.namespace_);
  request.set_name(call->info.name);
  request.set_subresource(call->info.subresource == "scale" ? "scale" : "");
  apiv1::ObjectResponse response;
  absl::Status status = handler_->Get(request, &response);
  if (!status.ok()) return call->Fail(status);
  absl::StatusOr<std::unique_ptr<Message>> object =
      ParseResponseObject(call->kind(), call->info.subresource, response.object());
  if (!object.ok()) return call->Fail(object.status());
  if (call->format == Format::kTable) {
    std::vector<const Message*> items = {object->get()};
    return call->Reply(200, Format::kJson,
                       EncodeTable(call->kind(), items, "", "", std::nullopt, call->request));
  }
  call->ReplyObject(200, **object);
}

void ApiRouter::List(std::shared_ptr<Call> call) {
  const HttpRequest& http = call->request;
  apiv1::ListRequest request;
  request.set_resource(call->kind().GroupResource());
  request.set_namespace_(call->info.namespace_);
  request.set_label_selector(std::string(http.Query("labelSelector")));
  request.set_field_selector(std::string(http.Query("fieldSelector")));
  if (absl::string_view limit = http.Query("limit"); !limit.empty()) {
    int64_t n = 0;
    if (!absl::SimpleAtoi(limit, &n) || n < 0) {
      return call->Fail(api::NewBadRequest(absl::StrCat("invalid limit \"", limit, "\"")));
    }
    request.set_limit(n);
  }
  request.set_continue_(std::string(http.Query("continue")));
  request.set_resource_version(std::string(http.Query("resourceVersion")));
  request.set_resource_version_match(std::string(http.Query("resourceVersionMatch")));
  apiv1::ListResponse response;
  absl::Status status = handler_->List(request, &response);
  if (!status.ok()) return call->Fail(status);
  std::unique_ptr<Message> list = call->kind().NewList();
  status = FillList(call->kind(), response, list.get());
  if (!status.ok()) return call->Fail(status);
  if (call->format == Format::kTable) {
    std::vector<const Message*> items = ListItems(*list);
    std::optional<int64_t> remaining;
    if (response.has_remaining_item_count()) remaining = response.remaining_item_count();
    return call->Reply(200, Format::kJson,
                       EncodeTable(call->kind(), items, response.resource_version(),
                                   response.continue_(), remaining, http));
  }
  call->Reply(200, call->format, EncodeList(*list, call->format));
}

void ApiRouter::Watch(std::shared_ptr<Call> call) {
  const HttpRequest& http = call->request;
  apiv1::WatchRequest request;
  request.set_resource(call->kind().GroupResource());
  request.set_namespace_(call->info.namespace_);
  request.set_label_selector(std::string(http.Query("labelSelector")));
  std::string fields(http.Query("fieldSelector"));
  if (!call->info.name.empty()) {
    // /api/v1/watch/namespaces/ns/pods/name: that one object.
    fields = fields.empty() ? absl::StrCat("metadata.name=", call->info.name)
                            : absl::StrCat(fields, ",metadata.name=", call->info.name);
  }
  request.set_field_selector(fields);
  request.set_resource_version(std::string(http.Query("resourceVersion")));
  request.set_allow_watch_bookmarks(ParseBoolParam(http.Query("allowWatchBookmarks")));
  absl::Duration timeout = options_.max_watch_duration;
  if (absl::string_view seconds = http.Query("timeoutSeconds"); !seconds.empty()) {
    int64_t n = 0;
    if (!absl::SimpleAtoi(seconds, &n) || n < 0) {
      return call->Fail(
          api::NewBadRequest(absl::StrCat("invalid timeoutSeconds \"", seconds, "\"")));
    }
    if (n > 0) timeout = absl::Seconds(n);
  } else {
    // As Kubernetes: somewhere between the minimum and twice it, so that
    // watches of many clients do not all end at once.
    thread_local std::mt19937 random{std::random_device{}()};
    timeout += absl::Seconds(std::uniform_int_distribution<int>(
        0, static_cast<int>(absl::ToInt64Seconds(options_.max_watch_duration)))(random));
  }
  auto source = std::make_shared<WatchSource>(&call->kind(), call->format, http);
  absl::StatusOr<Handler::WatchStream> stream =
      handler_->Watch(request, [weak = std::weak_ptr<WatchSource>(source)] {
        if (auto s = weak.lock()) s->Wake();
      });
  if (!stream.ok()) {
    // A too old resourceVersion is an ERROR event in a 200 stream, which
    // is what clients expect (they relist on 410 Expired).
    if (stream.status().code() == absl::StatusCode::kOutOfRange) {
      source->FailWith(stream.status());
      call->responder->Stream(
          200, ContentTypeOf(call->format == Format::kTable ? Format::kJson : call->format), source,
          timeout);
      return;
    }
    return call->Fail(stream.status());
  }
  source->Attach(*stream);
  call->responder->Stream(
      200, ContentTypeOf(call->format == Format::kTable ? Format::kJson : call->format), source,
      timeout);
}

// ---------------------------------------------------------------- writes

void ApiRouter::Create(std::shared_ptr<Call> call) {
  absl::StatusOr<bool> dry_run = DryRun(call->request);
  if (!dry_run.ok()) return call->Fail(dry_run.status());
  absl::StatusOr<std::string> validation = FieldValidation(call->request);
  if (!validation.ok()) return call->Fail(validation.status());
  std::unique_ptr<Message> object = call->kind().New();
  absl::Status status = DecodeBody(call->request, object.get(), *validation, &call->warnings);
  if (status.ok()) {
    status = CheckBodyNamespace(call->kind(), call->info.namespace_, object.get());
  }
  if (!status.ok()) return call->Fail(status);
  auto request = std::make_shared<apiv1::CreateRequest>();
  request->set_resource(call->kind().GroupResource());
  request->set_namespace_(call->info.namespace_);
  request->set_object(object->SerializeAsString());
  request->set_dry_run(*dry_run);
  auto response = std::make_shared<apiv1::ObjectResponse>();
  handler_->CreateAsync(
      *request, response.get(),
      [call, request, response](absl::Status status) {
        if (!status.ok()) return call->Fail(status);
        absl::StatusOr<std::unique_ptr<Message>> created =
            ParseResponseObject(call->kind(), "", response->object());
        if (!created.ok()) return call->Fail(created.status());
        call->ReplyObject(201, **created);
      },
      &call->user);
}

void ApiRouter::Update(std::shared_ptr<Call> call) {
  absl::StatusOr<bool> dry_run = DryRun(call->request);
  if (!dry_run.ok()) return call->Fail(dry_run.status());
  absl::StatusOr<std::string> validation = FieldValidation(call->request);
  if (!validation.ok()) return call->Fail(validation.status());
  const bool scale = call->info.subresource == "scale";
  std::unique_ptr<Message> object =
      scale ? std::make_unique<autoscaling::v1::Scale>() : call->kind().New();
  absl::Status status = DecodeBody(call->request, object.get(), *validation, &call->warnings);
  if (status.ok()) {
    status = CheckBodyNamespace(call->kind(), call->info.namespace_, object.get());
  }
  if (!status.ok()) return call->Fail(status);
  const std::string& body_name = Meta(*object).name();
  if (body_name != call->info.name) {
    return call->Fail(api::NewBadRequest(absl::StrCat("the name of the object (", body_name,
                                                      ") does not match the name on the URL (",
                                                      call->info.name, ")")));
  }
  apiv1::UpdateRequest request;
  request.set_resource(call->kind().GroupResource());
  request.set_namespace_(call->info.namespace_);
  request.set_name(call->info.name);
  request.set_subresource(call->info.subresource);
  request.set_object(object->SerializeAsString());
  request.set_dry_run(*dry_run);
  apiv1::ObjectResponse response;
  status = handler_->Update(request, &response, &call->user);
  if (!status.ok()) return call->Fail(status);
  absl::StatusOr<std::unique_ptr<Message>> updated =
      ParseResponseObject(call->kind(), call->info.subresource, response.object());
  if (!updated.ok()) return call->Fail(updated.status());
  call->ReplyObject(200, **updated);
}

void ApiRouter::Patch(std::shared_ptr<Call> call) {
  absl::StatusOr<bool> dry_run = DryRun(call->request);
  if (!dry_run.ok()) return call->Fail(dry_run.status());
  absl::StatusOr<std::string> validation = FieldValidation(call->request);
  if (!validation.ok()) return call->Fail(validation.status());
  const std::string media = BodyMediaType(call->request.Header("content-type"));
  if (media != kMergePatchType && media != kStrategicMergePatchType && media != kJsonPatchType) {
    return call->Fail(
        UnsupportedMediaType(media, {kJsonPatchType, kMergePatchType, kStrategicMergePatchType}));
  }
  if (call->request.body.empty())
    return call->Fail(api::NewBadRequest("the request body is empty"));
  apiv1::PatchRequest request;
  request.set_resource(call->kind().GroupResource());
  request.set_namespace_(call->info.namespace_);
  request.set_name(call->info.name);
  request.set_subresource(call->info.subresource);
  request.set_patch_type(media);
  request.set_patch(call->request.body);
  request.set_dry_run(*dry_run);
  apiv1::ObjectResponse response;
  absl::Status status = handler_->Patch(request, &response, &call->user);
  if (!status.ok()) return call->Fail(status);
  absl::StatusOr<std::unique_ptr<Message>> patched =
      ParseResponseObject(call->kind(), call->info.subresource, response.object());
  if (!patched.ok()) return call->Fail(patched.status());
  call->ReplyObject(200, **patched);
}

namespace {

// DeleteOptions from the body (JSON, YAML or protobuf; its apiVersion may
// be v1 or meta.k8s.io/v1) and the query (which wins, as in Kubernetes).
absl::StatusOr<meta::v1::DeleteOptions> ReadDeleteOptions(const HttpRequest& request) {
  meta::v1::DeleteOptions options;
  if (!request.body.empty()) {
    const std::string media = BodyMediaType(request.Header("content-type"));
    if (media == kProtobufType) {
      RETURN_IF_ERROR(api::DecodeK8sProtobufInto(request.body, &options));
    } else {
      absl::StatusOr<YAML::Node> node = ParseJsonBody(request.body);
      if (!node.ok()) return node.status();
      if (!node->IsMap()) return api::NewBadRequest("DeleteOptions must be an object");
      node->remove("apiVersion");
      node->remove("kind");
      absl::Status status = api::DecodeNode(*node, &options);
      if (!status.ok())
        return api::NewBadRequest(absl::StrCat("DeleteOptions: ", status.message()));
    }
  }
  if (absl::string_view grace = request.Query("gracePeriodSeconds"); !grace.empty()) {
    int64_t n = 0;
    if (!absl::SimpleAtoi(grace, &n)) {
      return api::NewBadRequest(absl::StrCat("invalid gracePeriodSeconds \"", grace, "\""));
    }
    options.set_grace_period_seconds(n);
  }
  if (absl::string_view policy = request.Query("propagationPolicy"); !policy.empty()) {
    options.set_propagation_policy(std::string(policy));
  }
  if (absl::string_view orphan = request.Query("orphanDependents"); !orphan.empty()) {
    options.set_orphan_dependents(ParseBoolParam(orphan));
  }
  if (absl::string_view dry = request.Query("dryRun"); !dry.empty()) {
    options.add_dry_run(std::string(dry));
  }
  // dryRun values are checked by Handler::DeleteObject.
  return options;
}

// What Kubernetes answers for a delete that removed the object at once:
// kinds that return the deleted object (pods) give it, others a Success
// Status naming it.
std::string DeletedStatusJson(const api::KindInfo& kind, const Message& object) {
  meta::v1::Status status;
  status.set_api_version("v1");
  status.set_kind("Status");
  status.mutable_metadata();
  status.set_status("Success");
  status.set_code(200);
  meta::v1::StatusDetails* details = status.mutable_details();
  details->set_name(Meta(object).name());
  details->set_group(kind.group);
  details->set_kind(kind.resource);
  details->set_uid(Meta(object).uid());
  return api::EncodeJson(status);
}

}  // namespace

void ApiRouter::Delete(std::shared_ptr<Call> call) {
  absl::StatusOr<meta::v1::DeleteOptions> options = ReadDeleteOptions(call->request);
  if (!options.ok()) return call->Fail(options.status());
  absl::StatusOr<Handler::DeleteResult> result = handler_->DeleteObject(
      *call->strategy, call->info.namespace_, call->info.name, *options, &call->user);
  if (!result.ok()) return call->Fail(result.status());
  if (result->deleted && !call->strategy->traits().return_deleted_object) {
    return call->Reply(200, Format::kJson, DeletedStatusJson(call->kind(), *result->object));
  }
  const bool accepted =
      !result->deleted && options->has_orphan_dependents() && !options->orphan_dependents();
  call->ReplyObject(accepted ? 202 : 200, *result->object);
}

void ApiRouter::DeleteCollection(std::shared_ptr<Call> call) {
  absl::StatusOr<meta::v1::DeleteOptions> options = ReadDeleteOptions(call->request);
  if (!options.ok()) return call->Fail(options.status());
  apiv1::ListRequest request;
  request.set_resource(call->kind().GroupResource());
  request.set_namespace_(call->info.namespace_);
  request.set_label_selector(std::string(call->request.Query("labelSelector")));
  request.set_field_selector(std::string(call->request.Query("fieldSelector")));
  apiv1::ListResponse response;
  absl::Status status = handler_->List(request, &response);
  if (!status.ok()) return call->Fail(status);
  std::unique_ptr<Message> deleted = call->kind().NewList();
  const auto* items_field = deleted->GetDescriptor()->FindFieldByName("items");
  for (const std::string& bytes : response.items()) {
    std::unique_ptr<Message> item = call->kind().New();
    if (!item->ParseFromString(bytes)) continue;
    const meta::v1::ObjectMeta& meta = Meta(*item);
    absl::StatusOr<Handler::DeleteResult> result = handler_->DeleteObject(
        *call->strategy, meta.namespace_(), meta.name(), *options, &call->user);
    if (!result.ok()) {
      if (result.status().code() == absl::StatusCode::kNotFound) continue;
      return call->Fail(result.status());
    }
    deleted->GetReflection()->AddMessage(deleted.get(), items_field)->CopyFrom(*result->object);
  }
  api::Scheme::Default().SetTypeMeta(deleted.get()).IgnoreError();
  call->Reply(200, call->format == Format::kTable ? Format::kJson : call->format,
              EncodeList(*deleted, call->format == Format::kTable ? Format::kJson : call->format));
}

void ApiRouter::Bind(std::shared_ptr<Call> call) {
  absl::StatusOr<std::string> validation = FieldValidation(call->request);
  if (!validation.ok()) return call->Fail(validation.status());
  core::v1::Binding binding;
  absl::Status status = DecodeBody(call->request, &binding, *validation, &call->warnings);
  if (!status.ok()) return call->Fail(status);
  apiv1::BindRequest request;
  request.set_namespace_(call->info.namespace_);
  request.set_name(call->info.name);
  request.set_binding(binding.SerializeAsString());
  apiv1::BindResponse response;
  status = handler_->Bind(request, &response);
  if (!status.ok()) return call->Fail(status);
  meta::v1::Status ok;
  ok.set_api_version("v1");
  ok.set_kind("Status");
  ok.mutable_metadata();
  ok.set_status("Success");
  ok.set_code(201);
  call->Reply(201, Format::kJson, api::EncodeJson(ok));
}

void ApiRouter::CreateToken(std::shared_ptr<Call> call) {
  absl::StatusOr<bool> dry_run = DryRun(call->request);
  if (!dry_run.ok()) return call->Fail(dry_run.status());
  if (*dry_run) {
    // As kube-apiserver's TokenREST: a token is never made without being
    // handed out.
    return call->Fail(api::NewBadRequest("dryRun is not supported"));
  }
  absl::StatusOr<std::string> validation = FieldValidation(call->request);
  if (!validation.ok()) return call->Fail(validation.status());
  authentication::v1::TokenRequest token_request;
  absl::Status status = DecodeBody(call->request, &token_request, *validation, &call->warnings);
  if (!status.ok()) return call->Fail(status);
  status = options_.token_issuer->Issue(call->info.namespace_, call->info.name, absl::Now(),
                                        &token_request, &call->user);
  if (!status.ok()) return call->Fail(status);
  call->Reply(201, call->format, EncodeObject(token_request, call->format));
}

void ApiRouter::Log(std::shared_ptr<Call> call) {
  if (options_.logs == nullptr) {
    return call->Fail(api::NewServiceUnavailable("pods/log is not available on this apiserver"));
  }
  options_.logs->Serve(handler_, call->info.namespace_, call->info.name, call->request,
                       call->responder);
}

}  // namespace minik8s::apiserver::rest
