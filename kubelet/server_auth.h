// Who may use the kubelet API, decided as Kubernetes' kubelet decides it
// (pkg/kubelet/server/auth.go and server.go's InstallAuthFilter):
// authenticate the caller, turn the request into authorization attributes
// on the node object, and ask an authorizer.
//
// Authentication, in the kubelet's order:
//   1. x509 (--client-ca-file): a verified client certificate's CN is the
//      user and its O entries the groups, plus system:authenticated;
//   2. a bearer token (--authentication-token-webhook; gRPC metadata
//      `authorization: Bearer <token>`, the scheme in any case), put to a
//      KubeletTokenAuthenticator (token_webhook.h: a TokenReview to the
//      apiserver); a token it refuses, or cannot decide on, is
//      UNAUTHENTICATED `Unauthorized` (the kubelet's 401); other schemes
//      and an empty token are no token, as the kubelet's bearer token
//      authenticator reads them;
//   3. neither: system:anonymous in system:unauthenticated when the
//      kubelet lets anonymous callers in (no --client-ca-file: a server
//      that verifies nobody, as the kubelet's default --anonymous-auth=true
//      makes it); with a client CA, UNAUTHENTICATED `Unauthorized` (the
//      kubelet's --anonymous-auth=false, which kubeadm sets: with a CA and
//      no token webhook the TLS handshake already refuses such callers).
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
#include <optional>
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

// --authentication-token-webhook's authenticator (token_webhook.h), or a
// test's.
class KubeletTokenAuthenticator {
 public:
  virtual ~KubeletTokenAuthenticator() = default;
  // The user `token` is; nullopt when it is refused; an error when that
  // could not be decided.
  virtual absl::StatusOr<std::optional<KubeletUser>> Authenticate(absl::string_view token) = 0;
};

// The token of an `authorization` value: `Bearer <token>` (the scheme in
// any case, then one space; what follows up to the next space), "" for
// another scheme or none.
std::string BearerToken(absl::string_view authorization);

// The caller of a gRPC call (see "Authentication" above): its verified
// certificate's user; else, with `tokens` (may be null), the user of its
// bearer token; else anonymous when `anonymous` allows it, or
// Unauthenticated.
absl::StatusOr<KubeletUser> AuthenticateKubeletCaller(const grpc::ServerContext& context,
                                                      KubeletTokenAuthenticator* tokens = nullptr,
                                                      bool anonymous = true);

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
// authorizer: every caller authentication lets in) or Webhook.
class KubeletAuth {
 public:
  // `authorizer` (may be null: AlwaysAllow) and `tokens` (may be null: no
  // --authentication-token-webhook) must outlive this. `anonymous`: whether
  // a caller with neither certificate nor token is system:anonymous (true)
  // or refused (false; the kubelet with --client-ca-file).
  KubeletAuth(std::string node_name, KubeletAuthorizer* authorizer,
              KubeletTokenAuthenticator* tokens = nullptr, bool anonymous = true)
      : node_name_(std::move(node_name)),
        authorizer_(authorizer),
        tokens_(tokens),
        anonymous_(anonymous) {}

  // OK, or the kubelet's refusal (see above), for `user` making `method`
  // `path`.
  absl::Status Authorize(const KubeletUser& user, absl::string_view method,
                         absl::string_view path) const;

  // The same for the caller of a gRPC call, authenticated first
  // (UNAUTHENTICATED `Unauthorized` when that fails). With neither an
  // authorizer nor a token authenticator every call is served, as before
  // authentication existed (the TLS handshake did the checking).
  grpc::Status AuthorizeCall(const grpc::ServerContext& context, absl::string_view method,
                             absl::string_view path) const;

  const std::string& node_name() const { return node_name_; }
  // Whether callers may prove who they are with a bearer token (then a TLS
  // server asks for client certificates without requiring one).
  bool authenticates_tokens() const { return tokens_ != nullptr; }

 private:
  const std::string node_name_;
  KubeletAuthorizer* const authorizer_;
  KubeletTokenAuthenticator* const tokens_;
  const bool anonymous_;
};

}  // namespace minik8s::kubelet

#endif  // MINIK8S_KUBELET_SERVER_AUTH_H_
