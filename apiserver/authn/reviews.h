// The authentication.k8s.io/v1 kinds the apiserver answers at once and
// never stores (create only, cluster scope), listed once here for every
// place that serves them — the HTTP router, the gRPC service's Create,
// and discovery on both APIs:
//
//   selfsubjectreviews  SelfSubjectReview  who the caller is
//                                          (self_subject_review.h)
//   tokenreviews        TokenReview        whom a bearer token
//                                          authenticates (token_review.h)
//
// (ServiceAccount TokenRequests are the serviceaccounts/token subresource,
// not a resource of this group.) The authorization.k8s.io reviews are
// authz/access_review.h's.
//
// Thread safety: pure functions.
#ifndef MINIK8S_APISERVER_AUTHN_REVIEWS_H_
#define MINIK8S_APISERVER_AUTHN_REVIEWS_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "apiserver/authn/authenticator.h"
#include "google/protobuf/message.h"

namespace minik8s::apiserver::authn {

struct AuthenticationReview {
  const char* resource;  // "tokenreviews"
  const char* singular;  // "tokenreview"
  const char* kind;      // "TokenReview"
};

// Every one, in discovery order.
absl::Span<const AuthenticationReview> AuthenticationReviews();

// The entry of `resource` (of group authentication.k8s.io), or nullptr.
const AuthenticationReview* FindAuthenticationReview(absl::string_view resource);

// An empty message of the type `resource` reads and answers (nullptr for a
// resource that is not one of them).
std::unique_ptr<google::protobuf::Message> NewAuthenticationReview(absl::string_view resource);

// Answers `review` (a message from NewAuthenticationReview(resource)) in
// place for `caller` (after impersonation), a request in namespace `ns`
// ("" for the cluster-scoped path); `authenticator` may be null.
absl::Status AnswerAuthenticationReview(absl::string_view resource, absl::string_view ns,
                                        const UserInfo& caller, const Authenticator* authenticator,
                                        google::protobuf::Message* review);

}  // namespace minik8s::apiserver::authn

#endif  // MINIK8S_APISERVER_AUTHN_REVIEWS_H_
