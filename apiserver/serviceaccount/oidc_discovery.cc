#include "apiserver/serviceaccount/oidc_discovery.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/yaml_scalar.h"

namespace minik8s::apiserver::serviceaccount {

namespace {

// An https URL with a host: "https://" followed by something other than a
// path, query or fragment.
bool IsHttpsUrl(const std::string& url) {
  if (!absl::StartsWith(url, "https://")) return false;
  const std::string rest = url.substr(8);
  return !rest.empty() && rest[0] != '/' && rest[0] != '?' && rest[0] != '#';
}

}  // namespace

absl::StatusOr<OidcDiscovery> OidcDiscovery::Build(const std::string& issuer,
                                                   const std::string& jwks_uri,
                                                   const pki::PublicKeySet& keys) {
  if (!IsHttpsUrl(issuer)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the issuer \"", issuer, "\" is not an https URL"));
  }
  if (!jwks_uri.empty() && !IsHttpsUrl(jwks_uri)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the JWKS URI \"", jwks_uri, "\" is not an https URL"));
  }
  OidcDiscovery out;
  out.issuer_ = issuer;
  out.jwks_uri_ = jwks_uri;
  out.jwks_ = R"({"keys":[)";
  bool first = true;
  for (const pki::PublicKeySet::Entry& entry : keys.entries()) {
    absl::StrAppend(&out.jwks_, first ? "" : ",");
    first = false;
    // go-jose's field order: use, kty, kid, crv, alg, x, y, n, e.
    if (entry.algorithm == pki::kJwsEs256) {
      absl::StatusOr<pki::EcPublicNumbers> numbers = pki::EcNumbers(entry.key.get());
      if (!numbers.ok()) return numbers.status();
      absl::StrAppend(&out.jwks_, R"({"use":"sig","kty":"EC","kid":)", api::JsonQuote(entry.key_id),
                      R"(,"crv":"P-256","alg":"ES256","x":")", pki::Base64UrlEncode(numbers->x),
                      R"(","y":")", pki::Base64UrlEncode(numbers->y), R"("})");
      continue;
    }
    absl::StatusOr<pki::RsaPublicNumbers> numbers = pki::RsaNumbers(entry.key.get());
    if (!numbers.ok()) return numbers.status();
    absl::StrAppend(&out.jwks_, R"({"use":"sig","kty":"RSA","kid":)", api::JsonQuote(entry.key_id),
                    R"(,"alg":"RS256","n":")", pki::Base64UrlEncode(numbers->modulus), R"(","e":")",
                    pki::Base64UrlEncode(numbers->exponent), R"("})");
  }
  out.jwks_ += "]}";
  out.algorithms_ = "[";
  for (const std::string& algorithm : keys.Algorithms()) {
    absl::StrAppend(&out.algorithms_, out.algorithms_.size() > 1 ? "," : "",
                    api::JsonQuote(algorithm));
  }
  out.algorithms_ += "]";
  return out;
}

std::string OidcDiscovery::Configuration(const std::string& default_jwks_uri) const {
  return absl::StrCat(R"({"issuer":)", api::JsonQuote(issuer_), R"(,"jwks_uri":)",
                      api::JsonQuote(jwks_uri_.empty() ? default_jwks_uri : jwks_uri_),
                      R"(,"response_types_supported":["id_token"],)",
                      R"("subject_types_supported":["public"],)",
                      R"("id_token_signing_alg_values_supported":)", algorithms_, "}");
}

std::string DefaultJwksUri(const std::string& address) {
  return absl::StrCat("https://", address, kJwksPath);
}

}  // namespace minik8s::apiserver::serviceaccount
