// TokenManager: the ServiceAccount tokens of a kubelet's projected volumes,
// as Kubernetes' kubelet token manager (pkg/kubelet/token) keeps them. A
// token is asked for with a TokenRequest (serviceaccounts/<sa>/token) bound
// to the pod, cached by (namespace, ServiceAccount, audiences, lifetime,
// bound pod uid), and asked for again when it needs a refresh:
//   - it is older than 80 % of its lifetime (within 20 % of its
//     expirationSeconds of its expirationTimestamp), or
//   - it was issued more than 24 h ago (a long-lived token is rotated daily).
// Each check moves both limits earlier by a random jitter of 0 to 9 whole
// seconds (Kubernetes' maxJitter of 10 s), so that tokens issued together,
// as a Deployment's pods' are, are not all renewed in the same second.
// A failed refresh hands out the cached token while it has not expired.
//
// Thread safety: all methods may be called from any thread. The requester
// and the clock must outlive the TokenManager.
#ifndef MINIK8S_KUBELET_TOKEN_MANAGER_H_
#define MINIK8S_KUBELET_TOKEN_MANAGER_H_

#include <functional>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/token_request.h"
#include "common/clock.h"
#include "k8s/authentication/v1/authentication.pb.h"

namespace minik8s::kubelet {

class TokenManager {
 public:
  // How much earlier than the rule a check renews; drawn per check.
  using Jitter = std::function<absl::Duration()>;
  // No jitter: the rule exactly (for tests on a FakeClock).
  static absl::Duration NoJitter() { return absl::ZeroDuration(); }

  // `jitter` null: Kubernetes' random 0..9 s.
  TokenManager(client::ServiceAccountTokenRequester* requester, common::Clock* clock,
               Jitter jitter = nullptr)
      : requester_(requester), clock_(clock), jitter_(std::move(jitter)) {}

  // A token for `request` (spec: audiences, expirationSeconds,
  // boundObjectRef) of ServiceAccount ns/sa: the cached one, or a new one.
  absl::StatusOr<minik8s::authentication::v1::TokenRequest> GetServiceAccountToken(
      const std::string& ns, const std::string& service_account,
      const minik8s::authentication::v1::TokenRequest& request);

  // Drops the tokens bound to pod `uid` (the pod is gone).
  void DeleteServiceAccountTokens(const std::string& pod_uid);

  // Whether `token` (as answered) needs asking for again at `now`, with
  // both limits moved `jitter` earlier.
  static bool RequiresRefresh(const minik8s::authentication::v1::TokenRequest& token,
                              absl::Time now, absl::Duration jitter = absl::ZeroDuration());

  // Tokens cached now.
  size_t size() const;

 private:
  client::ServiceAccountTokenRequester* const requester_;
  common::Clock* const clock_;
  const Jitter jitter_;
  mutable absl::Mutex mu_;
  absl::BitGen random_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, minik8s::authentication::v1::TokenRequest> cache_ ABSL_GUARDED_BY(mu_);
};

}  // namespace minik8s::kubelet

#endif  // MINIK8S_KUBELET_TOKEN_MANAGER_H_
