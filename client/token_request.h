// ServiceAccount tokens through the serviceaccounts/<name>/token subresource
// (authentication.k8s.io/v1 TokenRequest), as the Kubernetes kubelet's token
// manager and `kubectl create token` ask for them.
//
// The apiserver serves that subresource on its Kubernetes HTTP API only (its
// gRPC service has no subresource create), so this client speaks HTTP/1.1 to
// ApiClientOptions::server — the same address, credentials (client
// certificate, bearer token) and impersonation as the ApiClient — and keeps
// a few connections open for reuse (keep-alive), so a kubelet asking for a
// token per pod does not make a TLS handshake per pod.
//
//   auto tokens = ServiceAccountTokenClient::Create(api->options());
//   TokenRequest req; req.mutable_spec()->set_expiration_seconds(3607);
//   absl::StatusOr<TokenRequest> got = (*tokens)->Request("default", "default", req);
//
// Errors: the apiserver's meta.v1.Status as absl::Status (api/errors.h:
// IsNotFound, IsForbidden ...); kUnavailable when it cannot be reached.
//
// Thread safety: Request may be called from any thread; each call uses a
// connection of its own (an idle one, or a new one).
#ifndef MINIK8S_CLIENT_TOKEN_REQUEST_H_
#define MINIK8S_CLIENT_TOKEN_REQUEST_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "client/api_client.h"
#include "k8s/authentication/v1/authentication.pb.h"

namespace minik8s::client {

class ServiceAccountTokenRequester {
 public:
  virtual ~ServiceAccountTokenRequester() = default;
  // POST .../namespaces/<ns>/serviceaccounts/<name>/token with `request`;
  // the answer carries status.token and status.expirationTimestamp.
  virtual absl::StatusOr<minik8s::authentication::v1::TokenRequest> Request(
      const std::string& ns, const std::string& service_account,
      const minik8s::authentication::v1::TokenRequest& request) = 0;
};

class ServiceAccountTokenClient : public ServiceAccountTokenRequester {
 public:
  // Checks the server address and loads the TLS files; no I/O to the server.
  static absl::StatusOr<std::unique_ptr<ServiceAccountTokenClient>> Create(
      const ApiClientOptions& options);
  ~ServiceAccountTokenClient() override;

  absl::StatusOr<minik8s::authentication::v1::TokenRequest> Request(
      const std::string& ns, const std::string& service_account,
      const minik8s::authentication::v1::TokenRequest& request) override;

  struct Impl;

 private:
  explicit ServiceAccountTokenClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace minik8s::client

#endif  // MINIK8S_CLIENT_TOKEN_REQUEST_H_
