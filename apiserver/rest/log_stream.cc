#include "apiserver/rest/log_stream.h"

#include <limits>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "api/errors.h"
#include "api/scheme.h"
#include "api/time.h"
#include "apiserver/rest/encoding.h"
#include "client/pod_logs.h"
#include "k8s/core/v1/core.pb.h"
#include "k8s/meta/v1/meta.pb.h"

namespace minik8s::apiserver::rest {
namespace {

// Go's strconv.ParseBool as Kubernetes' query conversion applies it: only
// "0", "f" and "false" (any case) are false.
bool QueryBool(absl::string_view value) {
  return !(value == "0" || absl::EqualsIgnoreCase(value, "f") ||
           absl::EqualsIgnoreCase(value, "false"));
}

// Go's strconv.ParseInt(value, 10, 64), with its messages.
absl::StatusOr<int64_t> QueryInt(absl::string_view value) {
  const std::string quoted = absl::StrCat("strconv.ParseInt: parsing \"", value, "\": ");
  absl::string_view digits = value;
  bool negative = false;
  if (!digits.empty() && (digits.front() == '+' || digits.front() == '-')) {
    negative = digits.front() == '-';
    digits.remove_prefix(1);
  }
  if (digits.empty()) return api::NewBadRequest(absl::StrCat(quoted, "invalid syntax"));
  // Accumulated negative: the range of int64 is one larger below zero.
  int64_t out = 0;
  bool overflow = false;
  for (char c : digits) {
    if (c < '0' || c > '9') return api::NewBadRequest(absl::StrCat(quoted, "invalid syntax"));
    const int d = c - '0';
    if (out < (std::numeric_limits<int64_t>::min() + d) / 10) overflow = true;
    if (!overflow) out = out * 10 - d;
  }
  if (!overflow && !negative && out == std::numeric_limits<int64_t>::min()) overflow = true;
  if (overflow) return api::NewBadRequest(absl::StrCat(quoted, "value out of range"));
  return negative ? out : -out;
}

absl::Status InvalidOptions(const std::string& pod, std::vector<meta::v1::StatusCause> causes) {
  static const api::KindInfo* const kKind = [] {
    auto* kind = new api::KindInfo;
    kind->version = "v1";
    kind->api_version = "v1";
    kind->kind = "PodLogOptions";
    return kind;
  }();
  std::vector<std::string> texts;
  for (const meta::v1::StatusCause& cause : causes) {
    texts.push_back(absl::StrCat(cause.field(), ": ", cause.message()));
  }
  const std::string what =
      texts.size() == 1 ? texts[0] : absl::StrCat("[", absl::StrJoin(texts, ", "), "]");
  return api::NewInvalid(*kKind, pod,
                         absl::StrCat("PodLogOptions \"", pod, "\" is invalid: ", what), causes);
}

meta::v1::StatusCause Cause(const char* reason, const char* field, std::string message) {
  meta::v1::StatusCause cause;
  cause.set_reason(reason);
  cause.set_field(field);
  cause.set_message(std::move(message));
  return cause;
}

// An error of the client library (client/pod_logs.h) as this server's API
// error: BadRequest stays BadRequest, anything else is an InternalError.
absl::Status ServerError(const absl::Status& status) {
  if (api::IsBadRequest(status)) return api::NewBadRequest(status.message());
  return api::NewInternalError(status.message());
}

template <typename Message>
absl::Status ReadObject(Handler* handler, const char* resource, const std::string& ns,
                        const std::string& name, Message* out) {
  apiv1::GetRequest request;
  request.set_resource(resource);
  request.set_namespace_(ns);
  request.set_name(name);
  apiv1::ObjectResponse response;
  absl::Status status = handler->Get(request, &response);
  if (!status.ok()) return status;
  if (!out->ParseFromString(response.object())) {
    return api::NewInternalError(absl::StrCat("cannot decode ", resource, " \"", name, "\""));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PodLogOptions> ParsePodLogOptions(const HttpRequest& request,
                                                 const std::string& pod) {
  PodLogOptions options;
  options.container = std::string(request.Query("container"));
  options.follow = request.HasQuery("follow") && QueryBool(request.Query("follow"));
  options.previous = request.HasQuery("previous") && QueryBool(request.Query("previous"));
  options.timestamps = request.HasQuery("timestamps") && QueryBool(request.Query("timestamps"));
  for (auto [name, field] : {std::pair{"tailLines", &options.tail_lines},
                             std::pair{"sinceSeconds", &options.since_seconds},
                             std::pair{"limitBytes", &options.limit_bytes}}) {
    if (!request.HasQuery(name)) continue;
    absl::StatusOr<int64_t> value = QueryInt(request.Query(name));
    if (!value.ok()) return value.status();
    *field = *value;
  }
  if (request.HasQuery("sinceTime")) {
    absl::StatusOr<absl::Time> since = api::ParseRfc3339(std::string(request.Query("sinceTime")));
    if (!since.ok()) return api::NewBadRequest(since.status().message());
    options.since_time = *since;
  }

  std::vector<meta::v1::StatusCause> causes;
  if (options.tail_lines.has_value() && *options.tail_lines < 0) {
    causes.push_back(Cause("FieldValueInvalid", "tailLines",
                           absl::StrCat("Invalid value: ", *options.tail_lines,
                                        ": must be greater than or equal to 0")));
  }
  if (options.limit_bytes.has_value() && *options.limit_bytes < 1) {
    causes.push_back(
        Cause("FieldValueInvalid", "limitBytes",
              absl::StrCat("Invalid value: ", *options.limit_bytes, ": must be greater than 0")));
  }
  if (options.since_seconds.has_value() && options.since_time.has_value()) {
    causes.push_back(Cause("FieldValueForbidden", "",
                           "Forbidden: at most one of `sinceTime` or `sinceSeconds` may be "
                           "specified"));
  } else if (options.since_seconds.has_value() && *options.since_seconds < 1) {
    causes.push_back(
        Cause("FieldValueInvalid", "sinceSeconds",
              absl::StrCat("Invalid value: ", *options.since_seconds, ": must be greater than 0")));
  }
  if (!causes.empty()) return InvalidOptions(pod, std::move(causes));
  return options;
}

LogStreamer::LogStreamer(Options options)
    : kubelets_([&] {
        KubeletLogReader::Options reader;
        reader.dial_timeout = options.dial_timeout;
        reader.first_answer_wait = options.first_answer_wait;
        reader.kubelet_tls = options.kubelet_tls;
        return reader;
      }()) {}

// kubelets_' destructor cancels the running streams and waits for them.
LogStreamer::~LogStreamer() = default;

void LogStreamer::Serve(Handler* handler, const std::string& ns, const std::string& pod,
                        const HttpRequest& request, ResponderPtr responder) {
  absl::StatusOr<std::shared_ptr<StreamSource>> stream = Open(handler, ns, pod, request);
  if (!stream.ok()) {
    auto [code, body] = EncodeError(stream.status());
    HttpResponse response;
    response.status = code;
    response.body = std::move(body);
    responder->Respond(std::move(response));
    return;
  }
  // Logs are long-running requests: no time limit (kube-apiserver exempts
  // them from its request timeout too).
  responder->Stream(200, "text/plain", *std::move(stream), absl::InfiniteDuration());
}

absl::StatusOr<std::shared_ptr<StreamSource>> LogStreamer::Open(Handler* handler,
                                                                const std::string& ns,
                                                                const std::string& pod_name,
                                                                const HttpRequest& request) {
  absl::StatusOr<PodLogOptions> options = ParsePodLogOptions(request, pod_name);
  if (!options.ok()) return options.status();

  core::v1::Pod pod;
  absl::Status status = ReadObject(handler, "pods", ns, pod_name, &pod);
  if (!status.ok()) return status;
  absl::StatusOr<std::string> container = client::LogContainer(pod, options->container);
  if (!container.ok()) return ServerError(container.status());
  status = client::CheckLogRequest(pod, *container, options->previous);
  if (!status.ok()) return ServerError(status);

  const std::string& node_name = pod.spec().node_name();
  core::v1::Node node;
  status = ReadObject(handler, "nodes", "", node_name, &node);
  if (!status.ok()) return status;
  absl::StatusOr<std::string> address = client::KubeletAddress(node);
  if (!address.ok()) return ServerError(address.status());

  KubeletLogRequest log;
  log.kubelet.set_namespace_(ns);
  log.kubelet.set_pod(pod_name);
  log.kubelet.set_container(*container);
  log.kubelet.set_follow(options->follow);
  log.kubelet.set_previous(options->previous);
  log.kubelet.set_timestamps(options->timestamps);
  if (options->tail_lines.has_value()) log.kubelet.set_tail_lines(*options->tail_lines);
  log.node = node_name;
  if (options->since_time.has_value()) log.since = *options->since_time;
  if (options->since_seconds.has_value()) {
    log.since = absl::Now() - absl::Seconds(*options->since_seconds);
  }
  log.limit_bytes = options->limit_bytes;
  absl::StatusOr<std::shared_ptr<KubeletLogStream>> stream =
      kubelets_.Open(*address, std::move(log));
  if (!stream.ok()) return ServerError(stream.status());
  return std::shared_ptr<StreamSource>(*std::move(stream));
}

}  // namespace minik8s::apiserver::rest
