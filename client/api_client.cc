#include "client/api_client.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "api/errors.h"
#include "client/resource.h"
#include "common/metrics.h"
#include "common/net.h"
#include "common/rpc/h2_client.h"

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

// The apiserver's error as the API reports it: the code and message, and
// the meta.v1.Status the details carry.
absl::Status ApiError(const rpc::CallStatus& status) {
  if (status.ok()) return absl::OkStatus();
  return api::FromGrpcError(grpc::Status(static_cast<grpc::StatusCode>(status.status.code()),
                                         std::string(status.status.message()), status.details));
}

// The status of a unary call. A deadline the client set and the server
// never answered within (no API Status in the details: not the server's own
// Timeout) is reported as kubectl reports a client timeout, naming the
// server and the time waited, rather than as a bare "Deadline Exceeded".
absl::Status UnaryStatus(const ApiClientOptions& options, const rpc::CallStatus& status) {
  if (status.status.code() == absl::StatusCode::kDeadlineExceeded && status.details.empty()) {
    return absl::DeadlineExceededError(
        absl::StrCat("Unable to connect to the server: timed out after ",
                     absl::FormatDuration(options.timeout), " waiting for the server at ",
                     options.server, " (Client.Timeout exceeded while awaiting headers)"));
  }
  return ApiError(status);
}

// "/minik8s.apiserver.v1.ApiServer/<name>", the path of a method.
std::string MethodPath(absl::string_view name) {
  return absl::StrCat("/", pb::ApiServer::service_full_name(), "/", name);
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
std::vector<std::pair<std::string, std::string>> CallMetadata(const ApiClientOptions& options) {
  std::vector<std::pair<std::string, std::string>> metadata;
  if (!options.bearer_token.empty()) {
    metadata.emplace_back("authorization", "Bearer " + options.bearer_token);
  }
  for (const auto& [name, value] : ImpersonationHeaders(options.impersonate)) {
    metadata.emplace_back(absl::AsciiStrToLower(name), value);  // gRPC keys are lower case
  }
  return metadata;
}

// A server-streaming Watch call read synchronously; batch messages
// (WatchEvent.events) are returned one event at a time.
class GrpcWatchStream : public WatchStream {
 public:
  GrpcWatchStream(rpc::Channel* channel, const pb::WatchRequest& request, const Message& prototype,
                  const ApiClientOptions& options)
      : prototype_(prototype), host_(options.server) {
    rpc::CallOptions call;
    call.metadata = CallMetadata(options);
    call.metadata.emplace_back("user-agent-client", options.user_agent);
    reader_ = channel->StartStream(MethodPath("Watch"), request.SerializeAsString(), call);
  }

  // The stream's destructor cancels a call still open.
  ~GrpcWatchStream() override = default;

  bool Next(WatchEvent* event) override {
    if (finished_) return false;
    // A batch message (the request allows them) yields its events one by
    // one; a message without `events` is a single event.
    if (batch_next_ >= raw_.events_size()) {
      if (!reader_->Read(&message_)) return EndOfStream();
      if (!raw_.ParseFromString(message_)) {
        FailDecoding(absl::InternalError("cannot decode a watch message"));
        return false;
      }
      batch_next_ = 0;
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
    reader_->Cancel();
  }

  absl::Status status() override { return final_status_; }

 private:
  bool EndOfStream() {
    const rpc::CallStatus status = reader_->Finish();
    finished_ = true;
    if (cancelled_.load()) {
      final_status_ = absl::OkStatus();
    } else {
      final_status_ = ApiError(status);
    }
    CountRequest(host_, "GET", final_status_).IgnoreError();  // a watch counts when it ends
    return false;
  }

  // An undecodable event: end the stream with the error; the caller
  // relists (a decoding error would repeat on resume).
  void FailDecoding(const absl::Status& s) {
    final_status_ = s;
    reader_->Cancel();
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
  std::unique_ptr<rpc::ClientStream> reader_;
  // The last message read, and the next of its batched events to return.
  std::string message_;
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
  absl::StatusOr<GrpcEndpoint> endpoint =
      UrlToGrpcEndpoint(options.grpc_server.empty() ? options.server : options.grpc_server);
  if (!endpoint.ok()) return endpoint.status();
  rpc::ChannelOptions channel;
  channel.target = endpoint->address;
  if (endpoint->tls || options.tls.has_value())
    channel.tls = options.tls.value_or(TlsClientFiles{});
  channel.user_agent = options.user_agent;
  // Longer than a call's deadline: a server that accepts the connection but
  // never answers (frozen, SIGSTOP) then fails the call with its own
  // deadline, reported as a timeout, rather than with UNAVAILABLE, which
  // reads as "connection refused". A refused connection still fails at once.
  channel.connect_timeout = std::max(absl::Seconds(20), options.timeout + absl::Seconds(1));
  channel.initial_reconnect_backoff = absl::Milliseconds(100);
  channel.max_reconnect_backoff = options.max_reconnect_backoff;
  channel.keepalive_time = options.keepalive_time;
  channel.keepalive_timeout = options.keepalive_timeout;
  channel.max_receive_message_bytes = 256 << 20;
  absl::StatusOr<std::unique_ptr<rpc::Channel>> made = rpc::Channel::Create(std::move(channel));
  if (!made.ok()) return made.status();
  return std::unique_ptr<ApiClient>(new ApiClient(*std::move(made), options));
}

ApiClient::ApiClient(std::unique_ptr<rpc::Channel> channel, const ApiClientOptions& options)
    : options_(options), channel_(std::move(channel)) {}

ApiClient::~ApiClient() = default;

absl::Status ApiClient::Invoke(absl::string_view method, const Message& request, Message* response,
                               absl::string_view http_method, int ok_code) {
  rpc::CallOptions call;
  call.deadline = absl::Now() + options_.timeout;
  call.metadata = CallMetadata(options_);
  std::string answer;
  const rpc::CallStatus status =
      channel_->Call(MethodPath(method), request.SerializeAsString(), call, &answer);
  absl::Status s =
      CountRequest(options_.server, http_method, UnaryStatus(options_, status), ok_code);
  if (!s.ok()) return s;
  if (!response->ParseFromString(answer)) {
    return absl::InternalError(absl::StrCat("cannot decode the ", method, " answer"));
  }
  return absl::OkStatus();
}

absl::Status ApiClient::Create(absl::string_view resource, absl::string_view ns,
                               const Message& object, Message* out, bool dry_run) {
  pb::CreateRequest req;
  req.set_resource(std::string(resource));
  req.set_namespace_(std::string(ns));
  object.SerializeToString(req.mutable_object());
  req.set_dry_run(dry_run);
  pb::ObjectResponse resp;
  absl::Status s = Invoke("Create", req, &resp, "POST", 201);
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
  absl::Status s = Invoke("CreateSubresource", req, &resp, "POST", 201);
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
  absl::Status s = Invoke("Get", req, &resp, "GET");
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
  absl::Status s = Invoke("List", req, &resp, "GET");
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
  absl::Status s = Invoke("Update", req, &resp, "PUT");
  if (!s.ok()) return s;
  return ParseInto(resp.object(), out, "update answer");
}

absl::Status ApiClient::Patch(absl::string_view resource, absl::string_view ns,
                              absl::string_view name, absl::string_view subresource,
                              absl::string_view patch, Message* out, bool dry_run,
                              absl::string_view patch_type) {
  pb::PatchRequest req;
  req.set_resource(std::string(resource));
  req.set_namespace_(std::string(ns));
  req.set_name(std::string(name));
  req.set_subresource(std::string(subresource));
  req.set_patch_type(std::string(patch_type));
  req.set_patch(std::string(patch));
  req.set_dry_run(dry_run);
  pb::ObjectResponse resp;
  absl::Status s = Invoke("Patch", req, &resp, "PATCH");
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
  absl::Status s = Invoke("Delete", req, &resp, "DELETE");
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
      new GrpcWatchStream(channel_.get(), req, prototype, options_));
}

absl::Status ApiClient::Bind(const minik8s::core::v1::Binding& binding) {
  pb::BindRequest req;
  req.set_namespace_(binding.metadata().namespace_());
  req.set_name(binding.metadata().name());
  binding.SerializeToString(req.mutable_binding());
  pb::BindResponse resp;
  return Invoke("Bind", req, &resp, "POST", 201);
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
  absl::Status s = Invoke("ListResources", req, &resp, "GET");
  if (!s.ok()) return s;
  return std::vector<pb::ApiResource>(resp.resources().begin(), resp.resources().end());
}

absl::StatusOr<pb::VersionResponse> ApiClient::Version() {
  pb::VersionRequest req;
  pb::VersionResponse resp;
  absl::Status s = Invoke("Version", req, &resp, "GET");
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
