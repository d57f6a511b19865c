// ServiceAccount tokens through the serviceaccounts/<name>/token subresource
// (authentication.k8s.io/v1 TokenRequest), as the Kubernetes kubelet's token
// manager and `kubectl create token` ask for them.
//
// ServiceAccountTokenClient asks over the ApiClient's gRPC channel
// (ApiServer.CreateSubresource), with its credentials and impersonation:
// a kubelet asking for a token per pod reuses the connection it already
// has, over TCP or a unix socket alike.
//
//   ServiceAccountTokenClient tokens(api);
//   TokenRequest req; req.mutable_spec()->set_expiration_seconds(3607);
//   absl::StatusOr<TokenRequest> got = tokens.Request("default", "default", req);
//
// Errors: the apiserver's meta.v1.Status as absl::Status (api/errors.h:
// IsNotFound, IsForbidden ...); kUnavailable when it cannot be reached,
// kUnimplemented from an apiserver that predates the route.
//
// Thread safety: Request may be called from any thread.
#ifndef MINIK8S_CLIENT_TOKEN_REQUEST_H_
#define MINIK8S_CLIENT_TOKEN_REQUEST_H_

#include <string>

#include "absl/status/statusor.h"
#include "client/api_client.h"
#include "k8s/authentication/v1/authentication.pb.h"

namespace minik8s::client {

class ServiceAccountTokenRequester {
 public:
  virtual ~ServiceAccountTokenRequester() = default;
  // Create on serviceaccounts/<service_account>/token in `ns` with
  // `request`; the answer carries status.token and
  // status.expirationTimestamp.
  virtual absl::StatusOr<minik8s::authentication::v1::TokenRequest> Request(
      const std::string& ns, const std::string& service_account,
      const minik8s::authentication::v1::TokenRequest& request) = 0;
};

class ServiceAccountTokenClient : public ServiceAccountTokenRequester {
 public:
  // `api` must outlive the client.
  explicit ServiceAccountTokenClient(ApiClient* api) : api_(api) {}

  absl::StatusOr<minik8s::authentication::v1::TokenRequest> Request(
      const std::string& ns, const std::string& service_account,
      const minik8s::authentication::v1::TokenRequest& request) override;

 private:
  ApiClient* const api_;
};

}  // namespace minik8s::client

#endif  // MINIK8S_CLIENT_TOKEN_REQUEST_H_
