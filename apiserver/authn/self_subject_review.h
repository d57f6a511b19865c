// authentication.k8s.io/v1 SelfSubjectReview (`kubectl auth whoami`): POST
// /apis/authentication.k8s.io/v1/selfsubjectreviews answers, never stores,
// with who the caller is after authentication and impersonation — user
// name, uid, groups and extra — as kube-apiserver does. Creating one needs
// create on selfsubjectreviews (system:basic-user grants it to every
// authenticated user).
//
// Thread safety: pure functions.
#ifndef MINIK8S_APISERVER_AUTHN_SELF_SUBJECT_REVIEW_H_
#define MINIK8S_APISERVER_AUTHN_SELF_SUBJECT_REVIEW_H_

#include "apiserver/authn/authenticator.h"
#include "k8s/authentication/v1/authentication.pb.h"

namespace minik8s::apiserver::authn {

inline constexpr char kAuthenticationGroup[] = "authentication.k8s.io";
inline constexpr char kSelfSubjectReviewResource[] = "selfsubjectreviews";

// The review of `user`, with its apiVersion and kind.
authentication::v1::SelfSubjectReview SelfSubjectReviewOf(const UserInfo& user);

}  // namespace minik8s::apiserver::authn

#endif  // MINIK8S_APISERVER_AUTHN_SELF_SUBJECT_REVIEW_H_
