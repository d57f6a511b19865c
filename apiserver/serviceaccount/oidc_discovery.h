// The ServiceAccount issuer's OpenID Connect discovery documents, as
// kube-apiserver serves them (ServiceAccountIssuerDiscovery), so that a
// relying party outside the cluster can check ServiceAccount tokens with no
// secret of the cluster:
//
//   GET /.well-known/openid-configuration   application/json
//     {"issuer":ISSUER,"jwks_uri":URI,"response_types_supported":["id_token"],
//      "subject_types_supported":["public"],
//      "id_token_signing_alg_values_supported":ALGS}
//   GET /openid/v1/jwks                      application/jwk-set+json
//     {"keys":[{"use":"sig","kty":"EC","kid":KID,"crv":"P-256","alg":"ES256",
//               "x":X,"y":Y},
//              {"use":"sig","kty":"RSA","kid":KID,"alg":"RS256","n":N,"e":E}]}
//
// both with `Cache-Control: public, max-age=3600`. ISSUER is the first
// --service-account-issuer, which must then be an https URL; URI is
// --service-account-jwks-uri, or else https://<advertised address>/openid/v1/jwks.
// The keys are every key that verifies tokens (--service-account-key-file),
// in their order, each with kube-apiserver's key id (pki/jws.h KeyId), the
// one a token's header names, and in go-jose's field order: a P-256 key
// with its coordinates X and Y (base64url of 32 bytes each, left-padded with
// zeros), an RSA key with its modulus N and exponent E (no leading zeros).
// ALGS lists the algorithms of those keys, each once, sorted as
// kube-apiserver sorts them: ["ES256"], ["RS256"] or ["ES256","RS256"].
//
// Thread safety: immutable after Build; safe to read from several threads.
#ifndef MINIK8S_APISERVER_SERVICEACCOUNT_OIDC_DISCOVERY_H_
#define MINIK8S_APISERVER_SERVICEACCOUNT_OIDC_DISCOVERY_H_

#include <string>

#include "absl/status/statusor.h"
#include "pki/jws.h"

namespace minik8s::apiserver::serviceaccount {

inline constexpr char kOidcConfigurationPath[] = "/.well-known/openid-configuration";
inline constexpr char kJwksPath[] = "/openid/v1/jwks";

class OidcDiscovery {
 public:
  // InvalidArgument when `issuer` is not an https URL with a host, or when
  // `jwks_uri` (if not empty) is not an https URL. (`keys` holds only RSA
  // and P-256 keys: pki::PublicKeySet refuses others.)
  static absl::StatusOr<OidcDiscovery> Build(const std::string& issuer, const std::string& jwks_uri,
                                             const pki::PublicKeySet& keys);

  // The discovery document; `default_jwks_uri` stands in when Build got no
  // jwks_uri.
  std::string Configuration(const std::string& default_jwks_uri) const;
  // The key set.
  const std::string& Jwks() const { return jwks_; }

 private:
  OidcDiscovery() = default;
  std::string issuer_;
  std::string jwks_uri_;
  std::string jwks_;
  std::string algorithms_;  // the JSON array of ALGS
};

// https://<address>/openid/v1/jwks, the default jwks_uri for an apiserver
// reached at `address` (host:port).
std::string DefaultJwksUri(const std::string& address);

}  // namespace minik8s::apiserver::serviceaccount

#endif  // MINIK8S_APISERVER_SERVICEACCOUNT_OIDC_DISCOVERY_H_
