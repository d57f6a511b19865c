// Who may use the kubelet API, decided as Kubernetes' kubelet decides it
// (pkg/kubelet/server/auth.go and server.go's InstallAuthFilter):
// authenticate the caller, turn the request into authorization attributes
// on the node object, and ask an authorizer.
//
// Authentication (kubelet's x509 authenticator with --client-ca-file): a
// verified client certificate's CN is the user and its O entries the
// groups, plus system:authenticated. A caller without a certificate (a
// server that verifies none) is system:anonymous in system:unauthenticated,
// as the kubelet's default --anonymous-auth=true makes it.
//
// Attributes (KubeletRequestAttributes): the verb from the HTTP method
// (GET get, POST create, PUT update, PATCH patch, DELETE delete), resource
// `nodes` (group "", version v1), name = the node, and the subresources to
// ask for, in order, by path:
//   /stats/...    [stats]       /metrics/...     [metrics]
//   /logs/...     [log]         /spec/...        [spec]
//   /checkpoint/  [checkpoint]  /pods, /runningpods/  [pods, proxy]
//   /healthz      [healthz, proxy]  /configz     [configz, proxy]
//   anything else (/containerLogs, /exec, /run, /attach, /portForward)
//                 [proxy]
// (the fine-grained subresources pods, healthz and configz are Kubernetes'
// KubeletFineGrainedAuthz, on by default since 1.33; the request is allowed
// when one of the listed subresources is). A path matches /x when it is /x
// or starts with /x/. minik8s' kubelet API is gRPC: ContainerLogs is asked
// as `GET /containerLogs/<ns>/<pod>/<container>`, PortForward as
// `POST /portForward`, both nodes/proxy, as the real kubelet's handlers.
//
// Answers, in the kubelet's words: allowed → OK; refused → PERMISSION_DENIED
// (HTTP 403) `Forbidden (user=alice, verb=get, resource=nodes,
// subresource(s)=[proxy])`; the authorizer failed (the apiserver could not
// be asked) → INTERNAL (HTTP 500) `Authorization error (user=alice,
// verb=get, resource=nodes, subresource(s)=[proxy])`.
//
// Thread safety: KubeletAuth is safe for concurrent use; its authorizer
// must be too and must outlive it.
#ifndef MINIK8S_KUBELET_SERVER_AUTH_H_
#define MINIK8S_KUBELET_SERVER_AUTH_H_

#include <grpcpp/server_context.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace minik8s::kubelet {

inline constexpr char kAnonymousUser[] = "system:anonymous";
inline constexpr char kUnauthenticatedGroup[] = "system:unauthenticated";
inline constexpr char kAuthenticatedGroup[] = "system:authenticated";

// A caller of the kubelet API, as authentication found it.
struct KubeletUser {
  std::string name;
  std::string uid;
  std::vector<std::string> groups;
  std::map<std::string, std::vector<std::string>> extra;
  bool operator==(const KubeletUser&) const = default;
};

// One question to the authorizer: may `user` `verb` nodes/<subresource>
// named `name`? (group "", version v1, cluster scope.)
struct NodeAttributes {
  std::string verb;
  std::string subresource;
  std::string name;
  bool operator==(const NodeAttributes&) const = default;
};

// What a request asks for, before the user is known.
struct KubeletRequestAttributes {
  std::string verb;  // "" for a method with no API verb (HEAD, OPTIONS)
  std::string name;  // the node
  std::string path;
  std::vector<std::string> subresources;  // asked in order; never empty
};

// The kubelet's verb of an HTTP method ("" for others).
std::string KubeletApiVerb(absl::string_view method);

// The attributes of `method` `path` on the kubelet of `node` (see above).
KubeletRequestAttributes GetKubeletRequestAttributes(absl::string_view method,
                                                     absl::string_view path,
                                                     absl::string_view node);

// `Forbidden (user=..., verb=..., resource=nodes, subresource(s)=[a b])`.
std::string KubeletForbiddenMessage(const KubeletUser& user,
                                    const KubeletRequestAttributes& attributes);

// The user behind a verified client certificate in PEM (see above);
// Unauthenticated when it does not parse.
absl::StatusOr<KubeletUser> UserFromCertificatePem(absl::string_view pem);

// The caller of a gRPC call: its verified certificate's user, or anonymous
// when it presented none.
absl::StatusOr<KubeletUser> AuthenticateKubeletCaller(const grpc::ServerContext& context);

// --authorization-mode Webhook's authorizer (webhook_authorizer.h), or a
// test's.
class KubeletAuthorizer {
 public:
  virtual ~KubeletAuthorizer() = default;
  // Whether `user` may; an error when no answer could be had.
  virtual absl::StatusOr<bool> Authorize(const KubeletUser& user,
                                         const NodeAttributes& attributes) = 0;
};

// The kubelet's auth filter: --authorization-mode AlwaysAllow (a null
// authorizer: everyone, authenticated or not) or Webhook.
class KubeletAuth {
 public:
  // `authorizer` (may be null: AlwaysAllow) must outlive this.
  KubeletAuth(std::string node_name, KubeletAuthorizer* authorizer)
      : node_name_(std::move(node_name)), authorizer_(authorizer) {}

  // OK, or the kubelet's refusal (see above), for `user` making `method`
  // `path`.
  absl::Status Authorize(const KubeletUser& user, absl::string_view method,
                         absl::string_view path) const;

  // The same for the caller of a gRPC call (Unauthenticated when its
  // certificate cannot be read).
  grpc::Status AuthorizeCall(const grpc::ServerContext& context, absl::string_view method,
                             absl::string_view path) const;

  const std::string& node_name() const { return node_name_; }

 private:
  const std::string node_name_;
  KubeletAuthorizer* const authorizer_;
};

}  // namespace minik8s::kubelet

#endif  // MINIK8S_KUBELET_SERVER_AUTH_H_
