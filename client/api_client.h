// ApiClient: one connection to the apiserver (a gRPC channel to `--server`,
// common/rpc/h2_client.h),
// with the generic ("dynamic") verbs every typed client is built on. A
// request names the resource by plural ("pods") and carries objects as
// protobuf messages of the resource's kind; the typed layer on top
// (typed_client.h, clientset.h) supplies the resource and message type.
//
// Every unary call carries a deadline (options.timeout); watches have none
// and end only when cancelled, closed by the server, or the connection drops.
// The channel reconnects quickly after an apiserver restart (reconnect
// backoff 100 ms → options.max_reconnect_backoff) and, while calls are open,
// sends HTTP/2 keepalive pings so a silent peer is noticed. Calls fail fast with UNAVAILABLE while
// the server is down (connection refused). A server that accepts the
// connection but does not answer (frozen, overloaded) fails the call at its
// deadline with kDeadlineExceeded and kubectl's wording: "Unable to connect
// to the server: timed out after 30s waiting for the server at ADDR
// (Client.Timeout exceeded while awaiting headers)".
//
// Errors: absl::Status with the apiserver's code and message, and the
// meta.v1.Status from the error details as a payload (see errors.h).
//
// Thread safety: all methods are safe to call concurrently from any thread.
// The ApiClient must outlive every TypedClient, WatchStream and informer
// built on it.
#ifndef MINIK8S_CLIENT_API_CLIENT_H_
#define MINIK8S_CLIENT_API_CLIENT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "apiserver/v1/apiserver.grpc.pb.h"
#include "client/watch.h"
#include "common/rpc/h2_client.h"
#include "common/tls.h"
#include "google/protobuf/message.h"
#include "k8s/autoscaling/v1/autoscaling.pb.h"
#include "k8s/core/v1/core.pb.h"
#include "k8s/meta/v1/meta.pb.h"

namespace minik8s::client {

// Whom every call acts as (kubectl's --as, --as-group, --as-uid and the
// kubeconfig user's as, as-groups, as-uid): sent as the impersonate-user,
// impersonate-group (one each) and impersonate-uid metadata, which the
// apiserver honours when the caller may impersonate them
// (apiserver/authz/impersonation.h).
struct Impersonation {
  std::string user;  // "" = none
  std::vector<std::string> groups;
  std::string uid;
  bool empty() const { return user.empty() && groups.empty() && uid.empty(); }
};

// The header lines of `impersonation`, with the names as HTTP spells them
// (Impersonate-User, Impersonate-Group once a group, Impersonate-Uid).
std::vector<std::pair<std::string, std::string>> ImpersonationHeaders(
    const Impersonation& impersonation);

struct ApiClientOptions {
  // Apiserver address: "127.0.0.1:6443", "http://127.0.0.1:6443",
  // "https://127.0.0.1:6443" or "unix:///path".
  std::string server = "127.0.0.1:6443";
  // Where the gRPC calls go when not to `server`: the apiserver's own gRPC
  // port (minik8s-apiserver --grpc-port), same URL forms. `up` names it in
  // the kubeconfigs it writes (the cluster's `minik8s.io/grpc` extension).
  // "" = `server`, whose port also accepts gRPC.
  std::string grpc_server;
  absl::Duration timeout = absl::Seconds(30);  // per unary call
  absl::Duration keepalive_time = absl::Minutes(5);
  absl::Duration keepalive_timeout = absl::Seconds(20);
  absl::Duration max_reconnect_backoff = absl::Seconds(2);
  std::string user_agent = "minik8s-client";
  // Sent with every call as `authorization: Bearer <token>` (the apiserver's
  // --token-auth-file); empty: none.
  std::string bearer_token;
  Impersonation impersonate;
  // TLS: the CA the apiserver's certificate must chain to and the client
  // certificate to present (x509 authentication). Used for an https://
  // server, or for any server when set.
  std::optional<TlsClientFiles> tls;
};

struct ListOptions {
  std::string label_selector;  // `app=web,tier in (a,b),!canary`
  std::string field_selector;  // `spec.nodeName=node-1`
  int64_t limit = 0;           // 0 = everything
  std::string continue_token;
  std::string resource_version;  // "" = most recent, "0" = any (the watch cache)
  // "" , "NotOlderThan" or "Exact" (the list at exactly resource_version).
  std::string resource_version_match;
};

struct WatchOptions {
  std::string label_selector;
  std::string field_selector;
  // "" or "0": ADDED events for the current state first; otherwise changes
  // after this version (OUT_OF_RANGE when it is too old).
  std::string resource_version;
  bool allow_bookmarks = true;
};

struct DeleteOptions {
  std::optional<int64_t> grace_period_seconds;
  // "Orphan", "Background" or "Foreground".
  std::optional<std::string> propagation_policy;
  std::optional<std::string> precondition_uid;
  std::optional<std::string> precondition_resource_version;
  bool dry_run = false;

  minik8s::meta::v1::DeleteOptions ToProto() const;
};

// A list answer with items decoded into the resource's message type.
struct ObjectList {
  std::vector<ObjectPtr> items;
  std::string resource_version;
  std::string continue_token;
  std::optional<int64_t> remaining_item_count;
};

class ApiClient {
 public:
  // Creates the channel (no I/O happens until the first call).
  static absl::StatusOr<std::unique_ptr<ApiClient>> Connect(const ApiClientOptions& options);
  ~ApiClient();

  const ApiClientOptions& options() const { return options_; }

  // The verbs. `resource` is the plural ("pods"), `ns` is "" for
  // cluster-scoped resources (and for List/Watch across all namespaces).
  // `out` receives the server's answer and must have the resource's type.
  absl::Status Create(absl::string_view resource, absl::string_view ns,
                      const google::protobuf::Message& object, google::protobuf::Message* out,
                      bool dry_run = false);
  // Create on a subresource of object ns/name (serviceaccounts/token):
  // `object` and `out` have the subresource's kind.
  absl::Status CreateSubresource(absl::string_view resource, absl::string_view ns,
                                 absl::string_view name, absl::string_view subresource,
                                 const google::protobuf::Message& object,
                                 google::protobuf::Message* out, bool dry_run = false);
  absl::Status Get(absl::string_view resource, absl::string_view ns, absl::string_view name,
                   google::protobuf::Message* out, absl::string_view subresource = "");
  // `prototype` is an instance of the item type (e.g. &Pod::default_instance()).
  absl::StatusOr<ObjectList> List(absl::string_view resource, absl::string_view ns,
                                  const ListOptions& options,
                                  const google::protobuf::Message& prototype);
  // subresource: "" (spec and metadata), "status" or "scale".
  absl::Status Update(absl::string_view resource, absl::string_view ns, absl::string_view name,
                      absl::string_view subresource, const google::protobuf::Message& object,
                      google::protobuf::Message* out, bool dry_run = false);
  // `patch` of `patch_type`: a JSON merge patch (RFC 7386) unless told
  // otherwise ("application/strategic-merge-patch+json",
  // "application/json-patch+json", "application/apply-patch+yaml").
  absl::Status Patch(absl::string_view resource, absl::string_view ns, absl::string_view name,
                     absl::string_view subresource, absl::string_view patch,
                     google::protobuf::Message* out, bool dry_run = false,
                     absl::string_view patch_type = "application/merge-patch+json");
  // `out` (optional) receives the object after the call; `deleted`
  // (optional) whether it is gone from storage (false: deletion pending).
  absl::Status Delete(absl::string_view resource, absl::string_view ns, absl::string_view name,
                      const DeleteOptions& options, google::protobuf::Message* out = nullptr,
                      bool* deleted = nullptr);
  absl::StatusOr<std::unique_ptr<WatchStream>> Watch(absl::string_view resource,
                                                     absl::string_view ns,
                                                     const WatchOptions& options,
                                                     const google::protobuf::Message& prototype);
  // pods/binding: assigns pod ns/name to `node_name`.
  absl::Status Bind(absl::string_view ns, absl::string_view pod_name, absl::string_view node_name);
  absl::Status Bind(const minik8s::core::v1::Binding& binding);

  absl::StatusOr<std::vector<minik8s::apiserver::v1::ApiResource>> ListResources();
  absl::StatusOr<minik8s::apiserver::v1::VersionResponse> Version();

 private:
  ApiClient(std::unique_ptr<rpc::Channel> channel, const ApiClientOptions& options);

  // One unary call of the ApiServer service (`method`: "Create"), counted in
  // rest_client_requests_total as `http_method` answered with `ok_code`.
  absl::Status Invoke(absl::string_view method, const google::protobuf::Message& request,
                      google::protobuf::Message* response, absl::string_view http_method,
                      int ok_code = 200);

  const ApiClientOptions options_;
  std::unique_ptr<rpc::Channel> channel_;
};

}  // namespace minik8s::client

#endif  // MINIK8S_CLIENT_API_CLIENT_H_
