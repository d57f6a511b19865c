// pods/log: `GET /api/v1/namespaces/NS/pods/NAME/log` as kube-apiserver
// serves it (pkg/registry/core/pod/rest/log.go and LogLocation in
// pkg/registry/core/pod/strategy.go).
//
// The request's PodLogOptions (container, follow, previous, timestamps,
// tailLines, sinceSeconds, sinceTime, limitBytes) are parsed and validated,
// the pod is read and checked (the container — defaulted when the pod has
// one —, the pod's node, and the container state the kubelet would check:
// client/pod_logs.h), the node's kubelet is found from the Node
// (status.addresses, status.daemonEndpoints.kubeletEndpoint.port) and its
// `Kubelet/ContainerLogs` stream is relayed to the HTTP client as a chunked
// `text/plain` body (kubelet_logs.h), each batch of lines sent as soon as
// it arrives, until the kubelet's stream ends; when the HTTP client goes
// away the kubelet's stream is cancelled. Errors before the body starts are
// meta.k8s.io/v1 Status objects: NotFound (pod, node), BadRequest (bad
// options, container, state, the kubelet's refusal), Invalid (out of range
// options), InternalError (no kubelet address, kubelet unreachable).
//
// Threading: Serve() runs on a worker-pool thread; it reads the store and
// may wait up to Options::dial_timeout for the kubelet, then returns. The
// stream itself holds no thread (gRPC callbacks feed it, the HTTP server's
// event loop pulls it).
//
// Thread safety: Serve() is safe to call concurrently. The destructor
// cancels every stream still running and waits until gRPC has finished
// with them; no Serve() call may be running then.
#ifndef MINIK8S_APISERVER_REST_LOG_STREAM_H_
#define MINIK8S_APISERVER_REST_LOG_STREAM_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "apiserver/handler.h"
#include "apiserver/rest/http_types.h"
#include "apiserver/rest/kubelet_logs.h"

namespace minik8s::apiserver::rest {

// PodLogOptions from a pods/log request's query.
struct PodLogOptions {
  std::string container;
  bool follow = false;
  bool previous = false;
  bool timestamps = false;
  std::optional<int64_t> tail_lines;
  std::optional<int64_t> since_seconds;
  std::optional<absl::Time> since_time;
  std::optional<int64_t> limit_bytes;
};

// Parses the query as Kubernetes does for PodLogOptions: a boolean present
// with any value but "0", "f", "false" (any case) is true; numbers are
// base-10 int64 (BadRequest `strconv.ParseInt: parsing "x": invalid
// syntax`); sinceTime is RFC3339. Then validates (Invalid `PodLogOptions
// "POD" is invalid: tailLines: Invalid value: -1: must be greater than or
// equal to 0`; limitBytes and sinceSeconds must be > 0; at most one of
// sinceSeconds and sinceTime). `pod` names the object in messages.
absl::StatusOr<PodLogOptions> ParsePodLogOptions(const HttpRequest& request,
                                                 const std::string& pod);

class LogStreamer {
 public:
  struct Options {
    // How long connecting to a kubelet may take.
    absl::Duration dial_timeout = absl::Seconds(5);
    // How long to wait for the kubelet's first answer before the body
    // starts anyway (a followed log may stay quiet); see kubelet_logs.h.
    absl::Duration first_answer_wait = absl::Seconds(1);
    // TLS to the kubelets (KubeletLogReader::Options); nullopt: plaintext.
    std::optional<TlsClientFiles> kubelet_tls;
  };

  explicit LogStreamer(Options options);
  ~LogStreamer();
  LogStreamer(const LogStreamer&) = delete;
  LogStreamer& operator=(const LogStreamer&) = delete;

  // Answers the pods/log request for pod `ns`/`pod` through `responder`
  // (exactly once). `handler` reads the pod and its node; it is borrowed
  // for the call only.
  void Serve(Handler* handler, const std::string& ns, const std::string& pod,
             const HttpRequest& request, ResponderPtr responder);

  // Log streams whose kubelet call is still running.
  size_t running() const { return kubelets_.running(); }

 private:
  // The stream for the request, or the error to answer with.
  absl::StatusOr<std::shared_ptr<StreamSource>> Open(Handler* handler, const std::string& ns,
                                                     const std::string& pod,
                                                     const HttpRequest& request);

  KubeletLogReader kubelets_;
};

}  // namespace minik8s::apiserver::rest

#endif  // MINIK8S_APISERVER_REST_LOG_STREAM_H_
