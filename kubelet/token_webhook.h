// --authentication-token-webhook: a caller of the kubelet API that shows a
// bearer token (gRPC metadata `authorization: Bearer <token>`) instead of a
// client certificate is authenticated by the apiserver, with a TokenReview
// (authentication.k8s.io/v1, apiserver/authn/token_review.h) created with
// the kubelet's own credentials (the Node authorizer lets nodes create
// them), as Kubernetes' kubelet does it (its delegating authenticator:
// k8s.io/apiserver plugin/pkg/authenticator/token/webhook behind
// pkg/authentication/token/cache):
//
//   - the review: spec.token; no spec.audiences (the kubelet asks for none,
//     so the apiserver checks the token against its own audiences);
//   - status.authenticated: the user is status.user's username, uid,
//     groups and extra (the apiserver adds system:authenticated);
//   - not authenticated and no status.error: the token is refused;
//   - not authenticated with a status.error, or the review could not be
//     made: an error (the kubelet's 401 either way);
//   - answers are cached by the token (its SHA-256; the cache holds no
//     token), refusals as long as acceptances:
//     --authentication-token-webhook-cache-ttl (2m, the kubelet's
//     default); errors, including a status.error, are never kept (the
//     cache's cacheErrs=false), so a refusal the apiserver explains is
//     asked again at the next call; at most Options::max_entries tokens
//     (4096, Kubernetes' 32 stripes × 128), the least recently used
//     dropped first.
// So a deleted ServiceAccount's token keeps working at a kubelet for up to
// the TTL, as in Kubernetes.
//
// Thread safety: safe for concurrent use. Two concurrent calls with the
// same token may both ask the apiserver (no request coalescing).
#ifndef MINIK8S_KUBELET_TOKEN_WEBHOOK_H_
#define MINIK8S_KUBELET_TOKEN_WEBHOOK_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/api_client.h"
#include "common/clock.h"
#include "k8s/authentication/v1/authentication.pb.h"
#include "kubelet/expiring_lru.h"
#include "kubelet/server_auth.h"

namespace minik8s::kubelet {

// Sends a TokenReview and returns the answered one.
class TokenReviewer {
 public:
  virtual ~TokenReviewer() = default;
  virtual absl::StatusOr<authentication::v1::TokenReview> Review(
      const authentication::v1::TokenReview& review) = 0;
};

// Creates the review through `api` (the kubelet's own client). `api` must
// outlive it.
std::unique_ptr<TokenReviewer> NewApiTokenReviewer(client::ApiClient* api);

class WebhookTokenAuthenticator : public KubeletTokenAuthenticator {
 public:
  struct Options {
    absl::Duration cache_ttl = absl::Minutes(2);
    size_t max_entries = 4096;
  };

  // `reviewer` and `clock` must outlive it.
  WebhookTokenAuthenticator(TokenReviewer* reviewer, common::Clock* clock, Options options);

  // The user `token` is (see above); nullopt when it is refused; an error
  // when the apiserver could not be asked or gave a reason for refusing.
  absl::StatusOr<std::optional<KubeletUser>> Authenticate(absl::string_view token) override;

  // Answers held (expired ones included until looked up or pushed out).
  size_t cached() const;

 private:
  TokenReviewer* const reviewer_;
  common::Clock* const clock_;
  const Options options_;
  mutable absl::Mutex mu_;
  // By SHA-256 of the token: the user, or nullopt for a refusal.
  ExpiringLru<std::optional<KubeletUser>> answers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace minik8s::kubelet

#endif  // MINIK8S_KUBELET_TOKEN_WEBHOOK_H_
