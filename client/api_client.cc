#include "client/api_client.h"

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "api/errors.h"
#include "client/resource.h"
#include "common/grpc_setup.h"
#include "common/metrics.h"
#include "common/net.h"

namespace minik8s::client {
namespace {

namespace pb = minik8s::apiserver::v1;
using google::protobuf::Message;

// The HTTP status code an answer stands for, as client-go's
// rest_client_requests_total labels it: `ok_code` for success, the
// Kubernetes status code of the error's gRPC code, and "<error>" when no
// answer came (the apiserver could not be reached, or the call was
// cancelled or timed out on the client).
std::string HttpCodeLabel(const absl::Status& status, int ok_code) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return absl::StrCat(ok_code);
    case absl::StatusCode::kInvalidArgument:
      return "422";
    case absl::StatusCode::kNotFound:
      return "404";
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kFailedPrecondition:
      return "409";
    case absl::StatusCode::kPermissionDenied:
      return "403";
    case absl::StatusCode::kUnauthenticated:
      return "401";
    case absl::StatusCode::kResourceExhausted:
      return "429";
    case absl::StatusCode::kOutOfRange:
      return "410";
    case absl::StatusCode::kUnimplemented:
      return "405";
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kDataLoss:
      return "500";
    default:
      return "<error>";  // kUnavailable, kDeadlineExceeded, kCancelled
  }
}

// Counts one call in rest_client_requests_total{code, method, host}
// (client-go's metric; method is the HTTP verb the call stands for) and
// returns `status`.
absl::Status CountRequest(const std::string& host, absl::string_view method, absl::Status status,
                          int ok_code = 200) {
  static metrics::CounterFamily* const family = [] {
    absl::StatusOr<metrics::CounterFamily*> f = metrics::NewCounter(
        metrics::Registry::Default(), "rest_client_requests_total",
        "Number of HTTP requests, partitioned by status code, method, and host.",
        {"code", "method", "host"});
    return f.ok() ? *f : nullptr;
  }();
  if (family != nullptr) {
    family->WithLabelValues({HttpCodeLabel(status, ok_code), method, host}).Inc();
  }
  return status;
}

// The status of a unary call. A deadline the client set and the server
// never answered within (no API Status in the details: not the server's own
// Timeout) is reported as kubectl reports a client timeout, naming the
// server and the time waited, rather than as gRPC's bare "Deadline
// Exceeded".
absl::Status UnaryStatus(const ApiClientOptions& options, const grpc::Status& status) {
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED &&
      status.error_details().empty()) {
    return absl::DeadlineExceededError(
        absl::StrCat("Unable to connect to the server: timed out after ",
                     absl::FormatDuration(options.timeout), " waiting for the server at ",
                     options.server, " (Client.Timeout exceeded while awaiting headers)"));
  }
  return api::FromGrpcError(status);
}

absl::Status ParseInto(const std::string& bytes, Message* out, absl::string_view what) {
  if (out == nullptr) return absl::OkStatus();
  out->Clear();
  if (!out->ParseFromString(bytes)) {
    return absl::InternalError(
        absl::StrCat("cannot decode ", what, " as ", out->GetDescriptor()->full_name()));
  }
  return absl::OkStatus();
}

absl::StatusOr<ObjectPtr> Decode(const std::string& bytes, const Message& prototype) {
  std::shared_ptr<Message> object(prototype.New());
  if (!object->ParseFromString(bytes)) {
    return absl::InternalError(
        absl::StrCat("cannot decode object as ", prototype.GetDescriptor()->full_name()));
  }
  return ObjectPtr(std::move(object));
}

// The credentials and impersonation every call carries.
void AddCallMetadata(grpc::ClientContext* context, const ApiClientOptions& options) {
  if (!options.bearer_token.empty()) {
    context->AddMetadata("authorization", "Bearer " + options.bearer_token);
  }
  for (const auto& [name, value] : ImpersonationHeaders(options.impersonate)) {
    context->AddMetadata(absl::AsciiStrToLower(name), value);  // gRPC keys are lower case
  }
}

// A server-streaming Watch call read synchronously; batch messages
// (WatchEvent.events) are returned one event at a time.
class GrpcWatchStream : public WatchStream {
 public:
  GrpcWatchStream(pb::ApiServer::Stub* stub, pb::WatchRequest request, const Message& prototype,
                  const ApiClientOptions& options)
      : prototype_(prototype), host_(options.server) {
    context_.AddMetadata("user-agent-client", options.user_agent);
    AddCallMetadata(&context_, options);
    reader_ = stub->Watch(&context_, request);
  }

  ~GrpcWatchStream() override {
    if (!finished_) {
      Cancel();
      pb::WatchEvent ignored;
      while (reader_->Read(&ignored)) {
      }
      reader_->Finish();
    }
  }

  bool Next(WatchEvent* event) override {
    if (finished_) return false;
    // A batch message (the request allows them) yields its events one by
    // one; a message without `events` is a single event.
    if (batch_next_ >= raw_.events_size()) {
      if (reader_->Read(&raw_)) {
        batch_next_ = 0;
      } else {
        return EndOfStream();
      }
    }
    const pb::WatchEvent& raw = raw_.events_size() > 0 ? raw_.events(batch_next_) : raw_;
    ++batch_next_;
    absl::Status s = Convert(raw, event);
    if (s.ok()) return true;
    FailDecoding(s);
    return false;
  }

  void Cancel() override {
    cancelled_.store(true);
    context_.TryCancel();
  }

  absl::Status status() override { return final_status_; }

 private:
  bool EndOfStream() {
    grpc::Status status = reader_->Finish();
    finished_ = true;
    if (cancelled_.load()) {
      final_status_ = absl::OkStatus();
    } else {
      final_status_ = api::FromGrpcError(status);
    }
    CountRequest(host_, "GET", final_status_).IgnoreError();  // a watch counts when it ends
    return false;
  }

  // An undecodable event: end the stream with the error; the caller
  // relists (a decoding error would repeat on resume).
  void FailDecoding(const absl::Status& s) {
    final_status_ = s;
    Cancel();
    pb::WatchEvent ignored;
    while (reader_->Read(&ignored)) {
    }
    reader_->Finish();
    finished_ = true;
  }

  absl::Status Convert(const pb::WatchEvent& raw, WatchEvent* event) {
    event->resource_version = raw.resource_version();
    event->error = absl::OkStatus();
    event->object.reset();
    const std::string& t = raw.type();
    if (t == "ERROR") {
      event->type = WatchEventType::kError;
      minik8s::meta::v1::Status status;
      if (!status.ParseFromString(raw.object())) {
        event->error = absl::UnknownError("watch ERROR event with an undecodable status");
      } else {
        event->error = api::FromStatusObject(status);
      }
      return absl::OkStatus();
    }
    if (t == "ADDED") {
      event->type = WatchEventType::kAdded;
    } else if (t == "MODIFIED") {
      event->type = WatchEventType::kModified;
    } else if (t == "DELETED") {
      event->type = WatchEventType::kDeleted;
    } else if (t == "BOOKMARK") {
      event->type = WatchEventType::kBookmark;
    } else {
      return absl::InternalError(absl::StrCat("unknown watch event type \"", t, "\""));
    }
    auto object = Decode(raw.object(), prototype_);
    if (!object.ok()) return object.status();
    event->object = *std::move(object);
    if (event->resource_version.empty()) {
      event->resource_version = MetaOf(*event->object).resource_version();
    }
    return absl::OkStatus();
  }

  const Message& prototype_;
  const std::string host_;  // for rest_client_requests_total
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<pb::WatchEvent>> reader_;
  // The last message read, and the next of its batched events to return.
  pb::WatchEvent raw_;
  int batch_next_ = 0;  // >= raw_.events_size(): nothing left of raw_
  std::atomic<bool> cancelled_{false};
  bool finished_ = false;
  absl::Status final_status_;
};

}  // namespace

const char* WatchEventTypeName(WatchEventType type) {
  switch (type) {
    case WatchEventType::kAdded:
      return "ADDED";
    case WatchEventType::kModified:
      return "MODIFIED";
    case WatchEventType::kDeleted:
      return "DELETED";
    case WatchEventType::kBookmark:
      return "BOOKMARK";
    case WatchEventType::kError:
      return "ERROR";
  }
  return "UNKNOWN";
}

minik8s::meta::v1::DeleteOptions DeleteOptions::ToProto() const {
  minik8s::meta::v1::DeleteOptions p;
  p.set_api_version("v1");
  p.set_kind("DeleteOptions");
  if (grace_period_seconds) p.set_grace_period_seconds(*grace_period_seconds);
  if (propagation_policy) p.set_propagation_policy(*propagation_policy);
  if (precondition_uid) p.mutable_preconditions()->set_uid(*precondition_uid);
  if (precondition_resource_version) {
    p.mutable_preconditions()->set_resource_version(*precondition_resource_version);
  }
  if (dry_run) p.add_dry_run("All");
  return p;
}

absl::StatusOr<std::unique_ptr<ApiClient>> ApiClient::Connect(const ApiClientOptions& options) {
  // Before anything that starts gRPC (credentials do).
  ConfigureGrpcForProcess();
  absl::StatusOr<GrpcEndpoint> endpoint =
      UrlToGrpcEndpoint(options.grpc_server.empty() ? options.server : options.grpc_server);
  if (!endpoint.ok()) return endpoint.status();
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (endpoint->tls || options.tls.has_value()) {
    absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> tls =
        MakeChannelCredentials(options.tls.value_or(TlsClientFiles{}));
    if (!tls.ok()) return tls.status();
    credentials = *std::move(tls);
  }
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS,
              static_cast<int>(absl::ToInt64Milliseconds(options.keepalive_time)));
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
              static_cast<int>(absl::ToInt64Milliseconds(options.keepalive_timeout)));
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  // GRPC_ARG_MIN_RECONNECT_BACKOFF_MS is, in gRPC, only the shortest time a
  // connection attempt is given (not a backoff; a small value makes connects
  // fail spuriously on a loaded machine). Longer than a call's deadline: a
  // server that accepts the connection but never answers (frozen, SIGSTOP)
  // then fails the call with its own deadline, reported as a timeout, not
  // with UNAVAILABLE after gRPC's 20 s connect timeout, which reads as
  // "connection refused". A refused connection still fails at once.
  const int64_t connect_ms =
      absl::ToInt64Milliseconds(std::max(absl::Seconds(20), options.timeout + absl::Seconds(1)));
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS,
              static_cast<int>(std::min<int64_t>(connect_ms, std::numeric_limits<int>::max())));
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
              static_cast<int>(absl::ToInt64Milliseconds(options.max_reconnect_backoff)));
  args.SetInt(GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, 256 << 20);
  args.SetUserAgentPrefix(options.user_agent);
  auto channel = grpc::CreateCustomChannel(endpoint->address, credentials, args);
  return std::make_unique<ApiClient>(std::move(channel), options);
}

ApiClient::ApiClient(std::shared_ptr<grpc::Channel> channel, const ApiClientOptions& options)
    : options_(options), channel_(std::move(channel)), stub_(pb::ApiServer::NewStub(channel_)) {}

void ApiClient::PrepareContext(grpc::ClientContext* context) const {
  context->set_deadline(absl::ToChronoTime(absl::Now() + options_.timeout));
  AddCallMetadata(context, options_);
}

absl::Status ApiClient::Create(absl::string_view resource, absl::string_view ns,
                               const Message& object, Message* out, bool dry_run) {
  pb::CreateRequest req;
  req.set_resource(std::string(resource));
  req.set_namespace_(std::string(ns));
  object.SerializeToString(req.mutable_object());
  req.set_dry_run(dry_run);
  pb::ObjectResponse resp;
  grpc::ClientContext ctx;
  PrepareContext(&ctx);
  absl::Status s = CountRequest(options_.server, "POST",
                                UnaryStatus(options_, stub_->Create(&ctx, req, &resp)), 201);
  if (!s.ok()) return s;
  return ParseInto(resp.object(), out, "create answer");
}

absl::Status ApiClient::CreateSubresource(absl::string_view resource, absl::string_view ns,
                                          absl::string_view name, absl::string_view subresource,
                                          const Message& object, Message* out, bool dry_run) {
  pb::CreateSubresourceRequest req;
  req.set_resource(std::string(resource));
  req.set_namespace_(std::string(ns));
  req.set_name(std::string(name));
  req.set_subresource(std::string(subresource));
  object.SerializeToString(req.mutable_object());
  req.set_dry_run(dry_run);
  pb::ObjectResponse resp;
  grpc::ClientContext ctx;
  PrepareContext(&ctx);
  absl::Status s =
      CountRequest(options_.server, "POST",
                   UnaryStatus(options_, stub_->CreateSubresource(&ctx, req, &resp)), 201);
  if (!s.ok()) return s;
  return ParseInto(resp.object(), out, "create answer");
}

absl::Status ApiClient::Get(absl::string_view resource, absl::string_view ns,
                            absl::string_view name, Message* out, absl::string_view subresource) {
  pb::GetRequest req;
  req.set_resource(std::string(resource));
  req.set_namespace_(std::string(ns));
  req.set_name(std::string(name));
  req.set_subresource(std::string(subresource));
  pb::ObjectResponse resp;
  grpc::ClientContext ctx;
  PrepareContext(&ctx);
  absl::Status s =
      CountRequest(options_.server, "GET", UnaryStatus(options_, stub_->Get(&ctx, req, &resp)));
  if (!s.ok()) return s;
  return ParseInto(resp.object(), out, "get answer");
}

absl::StatusOr<ObjectList> ApiClient::List(absl::string_view resource, absl::string_view ns,
                                           const ListOptions& options, const Message& prototype) {
  pb::ListRequest req;
  req.set_resource(std::string(resource));
  req.set_namespace_(std::string(ns));
  req.set_label_selector(options.label_selector);
  req.set_field_selector(options.field_selector);
  req.set_limit(options.limit);
  req.set_continue_(options.continue_token);
  req.set_resource_version(options.resource_version);
  req.set_resource_version_match(options.resource_version_match);
  pb::ListResponse resp;
  grpc::ClientContext ctx;
  PrepareContext(&ctx);
  absl::Status s =
      CountRequest(options_.server, "GET", UnaryStatus(options_, stub_->List(&ctx, req, &resp)));
  if (!s.ok()) return s;
  ObjectList list;
  list.items.reserve(resp.items_size());
  for (const std::string& bytes : resp.items()) {
    auto object = Decode(bytes, prototype);
    if (!object.ok()) return object.status();
    list.items.push_back(*std::move(object));
  }
  list.resource_version = resp.resource_version();
  list.continue_token = resp.continue_();
  if (resp.has_remaining_item_count()) list.remaining_item_count = resp.remaining_item_count();
  return list;
}

absl::Status ApiClient::Update(absl::string_view resource, absl::string_view ns,
                               absl::string_view name, absl::string_view subresource,
                               const Message& object, Message* out, bool dry_run) {
  pb::UpdateRequest req;
  req.set_resource(std::string(resource));
  req.set_namespace_(std::string(ns));
  req.set_name(std::string(name));
  req.set_subresource(std::string(subresource));
  object.SerializeToString(req.mutable_object());
  req.set_dry_run(dry_run);
  pb::ObjectResponse resp;
  grpc::ClientContext ctx;
  PrepareContext(&ctx);
  absl::Status s =
      CountRequest(options_.server, "PUT", UnaryStatus(options_, stub_->Update(&ctx, req, &resp)));
  if (!s.ok()) return s;
  return ParseInto(resp.object(), out, "update answer");
}

absl::Status ApiClient::Patch(absl::string_view resource, absl::string_view ns,
                              absl::string_view name, absl::string_view subresource,
                              absl::string_view merge_patch_json, Message* out, bool dry_run) {
  pb::PatchRequest req;
  req.set_resource(std::string(resource));
  req.set_namespace_(std::string(ns));
  req.set_name(std::string(name));
  req.set_subresource(std::string(subresource));
  req.set_patch_type("application/merge-patch+json");
  req.set_patch(std::string(merge_patch_json));
  req.set_dry_run(dry_run);
  pb::ObjectResponse resp;
  grpc::ClientContext ctx;
  PrepareContext(&ctx);
  absl::Status s =
      CountRequest(options_.server, "PATCH", UnaryStatus(options_, stub_->Patch(&ctx, req, &resp)));
  if (!s.ok()) return s;
  return ParseInto(resp.object(), out, "patch answer");
}

absl::Status ApiClient::Delete(absl::string_view resource, absl::string_view ns,
                               absl::string_view name, const DeleteOptions& options, Message* out,
                               bool* deleted) {
  pb::DeleteRequest req;
  req.set_resource(std::string(resource));
  req.set_namespace_(std::string(ns));
  req.set_name(std::string(name));
  options.ToProto().SerializeToString(req.mutable_options());
  pb::DeleteResponse resp;
  grpc::ClientContext ctx;
  PrepareContext(&ctx);
  absl::Status s = CountRequest(options_.server, "DELETE",
                                UnaryStatus(options_, stub_->Delete(&ctx, req, &resp)));
  if (!s.ok()) return s;
  if (deleted != nullptr) *deleted = resp.deleted();
  return ParseInto(resp.object(), out, "delete answer");
}

absl::StatusOr<std::unique_ptr<WatchStream>> ApiClient::Watch(absl::string_view resource,
                                                              absl::string_view ns,
                                                              const WatchOptions& options,
                                                              const Message& prototype) {
  pb::WatchRequest req;
  req.set_resource(std::string(resource));
  req.set_namespace_(std::string(ns));
  req.set_label_selector(options.label_selector);
  req.set_field_selector(options.field_selector);
  req.set_resource_version(options.resource_version);
  req.set_allow_watch_bookmarks(options.allow_bookmarks);
  // GrpcWatchStream reads batch messages (several events in one).
  req.set_allow_event_batches(true);
  return std::unique_ptr<WatchStream>(
      new GrpcWatchStream(stub_.get(), std::move(req), prototype, options_));
}

absl::Status ApiClient::Bind(const minik8s::core::v1::Binding& binding) {
  pb::BindRequest req;
  req.set_namespace_(binding.metadata().namespace_());
  req.set_name(binding.metadata().name());
  binding.SerializeToString(req.mutable_binding());
  pb::BindResponse resp;
  grpc::ClientContext ctx;
  PrepareContext(&ctx);
  return CountRequest(options_.server, "POST", UnaryStatus(options_, stub_->Bind(&ctx, req, &resp)),
                      201);
}

absl::Status ApiClient::Bind(absl::string_view ns, absl::string_view pod_name,
                             absl::string_view node_name) {
  minik8s::core::v1::Binding binding;
  binding.set_api_version("v1");
  binding.set_kind("Binding");
  binding.mutable_metadata()->set_namespace_(std::string(ns));
  binding.mutable_metadata()->set_name(std::string(pod_name));
  binding.mutable_target()->set_kind("Node");
  binding.mutable_target()->set_api_version("v1");
  binding.mutable_target()->set_name(std::string(node_name));
  return Bind(binding);
}

absl::StatusOr<std::vector<pb::ApiResource>> ApiClient::ListResources() {
  pb::ListResourcesRequest req;
  pb::ListResourcesResponse resp;
  grpc::ClientContext ctx;
  PrepareContext(&ctx);
  absl::Status s = CountRequest(options_.server, "GET",
                                UnaryStatus(options_, stub_->ListResources(&ctx, req, &resp)));
  if (!s.ok()) return s;
  return std::vector<pb::ApiResource>(resp.resources().begin(), resp.resources().end());
}

absl::StatusOr<pb::VersionResponse> ApiClient::Version() {
  pb::VersionRequest req;
  pb::VersionResponse resp;
  grpc::ClientContext ctx;
  PrepareContext(&ctx);
  absl::Status s =
      CountRequest(options_.server, "GET", UnaryStatus(options_, stub_->Version(&ctx, req, &resp)));
  if (!s.ok()) return s;
  return resp;
}

std::vector<std::pair<std::string, std::string>> ImpersonationHeaders(
    const Impersonation& impersonation) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!impersonation.user.empty()) out.emplace_back("Impersonate-User", impersonation.user);
  for (const std::string& group : impersonation.groups) {
    out.emplace_back("Impersonate-Group", group);
  }
  if (!impersonation.uid.empty()) out.emplace_back("Impersonate-Uid", impersonation.uid);
  return out;
}

}  // namespace minik8s::client
