// authentication.k8s.io/v1 TokenReview: POST
// /apis/authentication.k8s.io/v1/tokenreviews (or the gRPC Create of
// `tokenreviews`) asks whom spec.token authenticates; the answer is made at
// once and never stored, as kube-apiserver's tokenreview REST storage
// (pkg/registry/authentication/tokenreview) makes it:
//
//   - a namespace, or an empty spec.token, is a BadRequest
//     (`token is required for TokenReview in authentication`);
//   - the token is put to the apiserver's bearer token authenticators (the
//     token file, bootstrap tokens, ServiceAccount tokens; never a client
//     certificate) for spec.audiences, or for the apiserver's own audiences
//     (--api-audiences) when spec.audiences is empty (Authenticator::
//     AuthenticateToken says what an audience means to each kind of token);
//   - authenticated: status.authenticated true, status.user the user name,
//     uid, groups (with system:authenticated) and extra a request with
//     that token would be, and status.audiences the audiences asked for
//     that the token is valid for;
//   - not: status.authenticated false, an empty status.user and
//     status.error `invalid bearer token` (kube-apiserver's message when no
//     authenticator gives a reason);
//   - with no token authenticator configured the review comes back as it
//     was sent, not authenticated (kube-apiserver without one).
// The review (spec.token included) is echoed back with its status, as
// Kubernetes does.
//
// Who may ask: `create` on tokenreviews in group authentication.k8s.io
// (system:auth-delegator, cluster-admin; kubelets through the Node
// authorizer's NodeRules).
//
// Thread safety: pure functions (the authenticator is immutable).
#ifndef MINIK8S_APISERVER_AUTHN_TOKEN_REVIEW_H_
#define MINIK8S_APISERVER_AUTHN_TOKEN_REVIEW_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "apiserver/authn/authenticator.h"
#include "k8s/authentication/v1/authentication.pb.h"

namespace minik8s::apiserver::authn {

inline constexpr char kTokenReviewResource[] = "tokenreviews";
// status.error of a token no authenticator accepted.
inline constexpr char kInvalidBearerToken[] = "invalid bearer token";

// Answers `review` in place (see above) for a request in namespace `ns`
// ("" for the cluster-scoped path). `authenticator` may be null (no
// authentication configured).
absl::Status AnswerTokenReview(const Authenticator* authenticator, absl::string_view ns,
                               authentication::v1::TokenReview* review);

}  // namespace minik8s::apiserver::authn

#endif  // MINIK8S_APISERVER_AUTHN_TOKEN_REVIEW_H_
