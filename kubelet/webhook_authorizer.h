// --authorization-mode Webhook: the kubelet asks the apiserver whether a
// caller of its API may, with a SubjectAccessReview
// (authorization.k8s.io/v1, apiserver/authz/access_review.h), and caches
// the answers as Kubernetes' webhook authorizer
// (k8s.io/apiserver/plugin/pkg/authorizer/webhook) does:
//
//   - the review: spec.user, uid, groups, extra from authentication;
//     spec.resourceAttributes {verb, version v1, resource nodes,
//     subresource, name}; allowed = status.allowed (a status.denied is a
//     refusal like any other);
//   - the cache key is the whole spec; an allowed answer is kept
//     --authorization-webhook-cache-authorized-ttl (default 5m), a refused
//     one --authorization-webhook-cache-unauthorized-ttl (default 30s); a
//     TTL of 0 keeps nothing; errors are never kept, so the next request
//     asks again;
//   - at most Options::max_entries answers (8192, as Kubernetes'), the
//     least recently used dropped first.
// So a new RoleBinding reaches the kubelet within the unauthorized TTL, a
// removed one within the authorized TTL.
//
// Thread safety: safe for concurrent use. Two concurrent requests for the
// same key may both ask the apiserver (no request coalescing).
#ifndef MINIK8S_KUBELET_WEBHOOK_AUTHORIZER_H_
#define MINIK8S_KUBELET_WEBHOOK_AUTHORIZER_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/api_client.h"
#include "common/clock.h"
#include "k8s/authorization/v1/authorization.pb.h"
#include "kubelet/expiring_lru.h"
#include "kubelet/server_auth.h"

namespace minik8s::kubelet {

// The review of `user` doing `attributes` (see above).
authorization::v1::SubjectAccessReview NodeSubjectAccessReview(const KubeletUser& user,
                                                               const NodeAttributes& attributes);

// Sends a SubjectAccessReview and returns the answered one.
class SubjectAccessReviewer {
 public:
  virtual ~SubjectAccessReviewer() = default;
  virtual absl::StatusOr<authorization::v1::SubjectAccessReview> Review(
      const authorization::v1::SubjectAccessReview& review) = 0;
};

// Creates the review through `api` (the kubelet's own client: kubelets may
// create subjectaccessreviews through the Node authorizer). `api` must
// outlive it.
std::unique_ptr<SubjectAccessReviewer> NewApiSubjectAccessReviewer(client::ApiClient* api);

class WebhookAuthorizer : public KubeletAuthorizer {
 public:
  struct Options {
    absl::Duration authorized_ttl = absl::Minutes(5);
    absl::Duration unauthorized_ttl = absl::Seconds(30);
    size_t max_entries = 8192;
  };

  // `reviewer` and `clock` must outlive it.
  WebhookAuthorizer(SubjectAccessReviewer* reviewer, common::Clock* clock, Options options);

  absl::StatusOr<bool> Authorize(const KubeletUser& user,
                                 const NodeAttributes& attributes) override;

  // Answers held (expired ones included until they are looked up or pushed
  // out).
  size_t cached() const;

 private:
  SubjectAccessReviewer* const reviewer_;
  common::Clock* const clock_;
  const Options options_;
  mutable absl::Mutex mu_;
  ExpiringLru<bool> answers_ ABSL_GUARDED_BY(mu_);  // allowed, by CacheKey
};

}  // namespace minik8s::kubelet

#endif  // MINIK8S_KUBELET_WEBHOOK_AUTHORIZER_H_
