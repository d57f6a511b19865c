// The authorization.k8s.io/v1 reviews: questions to the apiserver's
// authorizer, answered at once and never stored (create only), as
// kube-apiserver's REST storages of that group answer them:
//
//   SelfSubjectAccessReview    may I make this request? (status.allowed,
//                              status.denied, status.reason)
//   SelfSubjectRulesReview     what may I do in spec.namespace? The rules
//                              the authorizers can list (Authorizer::
//                              RulesFor: RBAC's bound rules, AlwaysAllow's
//                              `*`); `kubectl auth can-i --list` prints them
//   SubjectAccessReview        may spec.user (with spec.groups, spec.uid,
//                              spec.extra) make this request? (cluster
//                              scope; what a kubelet with
//                              --authorization-mode=Webhook asks for each
//                              caller of its API)
//   LocalSubjectAccessReview   the same, namespaced: the request's namespace
//                              must be spec.resourceAttributes.namespace
//
// Making a review needs `create` on its resource (group
// authorization.k8s.io): the bootstrap policy grants the two self reviews
// to every authenticated user (system:basic-user), the others only to
// whoever may create them (cluster-admin, system:auth-delegator; admin in a
// namespace for the local one), and to the kubelets through the Node
// authorizer's NodeRules.
//
// Both APIs serve them: POST /apis/authorization.k8s.io/v1/<resource> (the
// local one under /namespaces/<ns>/), and the gRPC Create of the resource.
//
// Thread safety: pure functions (the authorizer is safe to call
// concurrently).
#ifndef MINIK8S_APISERVER_AUTHZ_ACCESS_REVIEW_H_
#define MINIK8S_APISERVER_AUTHZ_ACCESS_REVIEW_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "apiserver/authn/authenticator.h"
#include "apiserver/authz/authorizer.h"
#include "google/protobuf/message.h"
#include "k8s/authorization/v1/authorization.pb.h"

namespace minik8s::apiserver::authz {

inline constexpr char kAccessReviewGroup[] = "authorization.k8s.io";
inline constexpr char kAccessReviewResource[] = "selfsubjectaccessreviews";
inline constexpr char kRulesReviewResource[] = "selfsubjectrulesreviews";
inline constexpr char kSubjectAccessReviewResource[] = "subjectaccessreviews";
inline constexpr char kLocalSubjectAccessReviewResource[] = "localsubjectaccessreviews";

// Whether `resource` (of group authorization.k8s.io) is one of the four.
bool IsReviewResource(absl::string_view resource);
// Only LocalSubjectAccessReview is namespaced.
bool IsNamespacedReview(absl::string_view resource);
// The kind of a review resource ("SelfSubjectRulesReview"), "" for others.
const char* ReviewKind(absl::string_view resource);

// An empty message of the type `resource` reads and answers (nullptr for a
// resource that is not a review).
std::unique_ptr<google::protobuf::Message> NewReview(absl::string_view resource);

// Answers `review` (a message from NewReview(resource)) in place, for the
// caller `user` and the request's namespace `ns`. A null `authorizer`
// (AlwaysAllow) allows everything. Errors are Kubernetes': Invalid (422)
// for a spec that names neither or both kinds of attributes, or a
// SubjectAccessReview without user or groups; BadRequest (400) for a rules
// review without namespace or a local review in the wrong namespace.
absl::Status AnswerReview(absl::string_view resource, const std::string& ns,
                          const Authorizer* authorizer, const authn::UserInfo& user,
                          google::protobuf::Message* review);

// The SelfSubjectAccessReview alone (AnswerReview's case).
absl::Status Review(const Authorizer* authorizer, const authn::UserInfo& user,
                    authorization::v1::SelfSubjectAccessReview* review);

}  // namespace minik8s::apiserver::authz

#endif  // MINIK8S_APISERVER_AUTHZ_ACCESS_REVIEW_H_
