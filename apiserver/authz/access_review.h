// SelfSubjectAccessReview (authorization.k8s.io/v1): the caller asks whether
// it may make a request, and the apiserver's authorizer answers for it
// (status.allowed, status.denied, status.reason), as kube-apiserver's
// selfsubjectaccessreview REST storage does. Nothing is stored; the review
// is create-only. Making the review needs `create` on
// selfsubjectaccessreviews.authorization.k8s.io, which the bootstrap
// policy grants every authenticated user (system:basic-user).
//
// Both APIs serve it: POST /apis/authorization.k8s.io/v1/
// selfsubjectaccessreviews, and the gRPC Create of resource
// "selfsubjectaccessreviews".
//
// Thread safety: a pure function (the authorizer is safe to call
// concurrently).
#ifndef MINIK8S_APISERVER_AUTHZ_ACCESS_REVIEW_H_
#define MINIK8S_APISERVER_AUTHZ_ACCESS_REVIEW_H_

#include "absl/status/status.h"
#include "apiserver/authn/authenticator.h"
#include "apiserver/authz/authorizer.h"
#include "k8s/authorization/v1/authorization.pb.h"

namespace minik8s::apiserver::authz {

inline constexpr char kAccessReviewGroup[] = "authorization.k8s.io";
inline constexpr char kAccessReviewResource[] = "selfsubjectaccessreviews";

// Fills `review`'s status for `user`; a null `authorizer` (AlwaysAllow)
// allows everything. Invalid (422) when the spec names neither or both
// kinds of attributes, with Kubernetes' message.
absl::Status Review(const Authorizer* authorizer, const authn::UserInfo& user,
                    authorization::v1::SelfSubjectAccessReview* review);

}  // namespace minik8s::apiserver::authz

#endif  // MINIK8S_APISERVER_AUTHZ_ACCESS_REVIEW_H_
