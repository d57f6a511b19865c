// The serviceaccounts/token subresource (kube-apiserver's TokenREST):
// POST /api/v1/namespaces/<ns>/serviceaccounts/<name>/token with an
// authentication.k8s.io/v1 TokenRequest answers with the request, its
// status holding a signed token (jwt.h, token.h) for that ServiceAccount
// and the token's expirationTimestamp — what `kubectl create token` asks.
//
// The request is defaulted and validated (expirationSeconds one hour by
// default, at least ten minutes; api/validation/validation_serviceaccount.h);
// audiences default to the apiserver's (--api-audiences). metadata.name and
// metadata.namespace, when set, must be the path's (BadRequest otherwise).
// Authorization happened before: the verb is create on
// serviceaccounts/token.
//
// Thread safety: a TokenIssuer is immutable after construction and may
// issue from several threads.
#ifndef MINIK8S_APISERVER_SERVICEACCOUNT_TOKEN_REQUEST_H_
#define MINIK8S_APISERVER_SERVICEACCOUNT_TOKEN_REQUEST_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "apiserver/serviceaccount/jwt.h"
#include "k8s/authentication/v1/authentication.pb.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::apiserver::serviceaccount {

class TokenIssuer {
 public:
  // `issuer`: the iss of every token; `audiences`: the default audiences.
  TokenIssuer(JwtSigner signer, std::string issuer, std::vector<std::string> audiences)
      : signer_(std::move(signer)), issuer_(std::move(issuer)), audiences_(std::move(audiences)) {}

  // Answers `request` in place for `account` (the ServiceAccount the path
  // names, read from storage) at `now`: Kubernetes' Invalid (422) or
  // BadRequest (400) for a bad request.
  absl::Status Answer(const core::v1::ServiceAccount& account, absl::Time now,
                      authentication::v1::TokenRequest* request) const;

  const std::string& issuer() const { return issuer_; }
  const std::vector<std::string>& audiences() const { return audiences_; }

 private:
  JwtSigner signer_;
  std::string issuer_;
  std::vector<std::string> audiences_;
};

}  // namespace minik8s::apiserver::serviceaccount

#endif  // MINIK8S_APISERVER_SERVICEACCOUNT_TOKEN_REQUEST_H_
