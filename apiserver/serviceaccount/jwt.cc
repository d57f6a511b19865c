#include "apiserver/serviceaccount/jwt.h"

#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/codec.h"
#include "api/yaml_limits.h"
#include "common/status_macros.h"
#include "pki/pem_file.h"

namespace minik8s::apiserver::serviceaccount {
namespace {

bool IsBase64UrlChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
}

// A JSON object (the text must open with `{`: the parser also reads YAML,
// which a JWT never holds) decoded into `out`, unknown fields ignored.
absl::Status DecodeJsonObject(absl::string_view json, google::protobuf::Message* out,
                              absl::string_view what) {
  absl::string_view trimmed = absl::StripLeadingAsciiWhitespace(json);
  if (trimmed.empty() || trimmed.front() != '{') {
    return absl::InvalidArgumentError(absl::StrCat("the ", what, " is not a JSON object"));
  }
  absl::StatusOr<YAML::Node> node = api::LoadLimited(json);
  if (!node.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the ", what, " is not valid JSON: ", node.status().message()));
  }
  if (!node->IsMap()) {
    return absl::InvalidArgumentError(absl::StrCat("the ", what, " is not a JSON object"));
  }
  // RFC 7519: `aud` is an array of strings or a single string.
  if (const YAML::Node aud = static_cast<const YAML::Node&>(*node)["aud"];
      aud.IsDefined() && aud.IsScalar()) {
    // A copy: `aud` is a handle on the node the assignment below replaces.
    YAML::Node list(YAML::NodeType::Sequence);
    list.push_back(YAML::Clone(aud));
    node->remove("aud");
    (*node)["aud"] = list;
  }
  absl::Status status =
      api::DecodeNode(*node, out, api::DecodeOptions{.allow_unknown_fields = true});
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("the ", what, ": ", status.message()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<JwtSigner> JwtSigner::Create(pki::PrivateKey key) {
  ASSIGN_OR_RETURN(std::string algorithm, pki::JwsAlgorithmOf(key.get(), "the signing key"));
  // Signing once checks that the key can (a public key alone cannot).
  RETURN_IF_ERROR(pki::SignJws(key, algorithm, "").status());
  ASSIGN_OR_RETURN(std::string key_id, pki::KeyId(key.get()));
  return JwtSigner(std::move(key), std::move(key_id), std::move(algorithm));
}

absl::StatusOr<JwtSigner> JwtSigner::Load(const std::string& path) {
  ASSIGN_OR_RETURN(pki::PrivateKey key, pki::LoadPrivateKeyFile(path));
  absl::StatusOr<JwtSigner> signer = Create(std::move(key));
  if (!signer.ok()) {
    return absl::Status(signer.status().code(),
                        absl::StrCat(path, ": ", signer.status().message()));
  }
  return signer;
}

absl::StatusOr<std::string> JwtSigner::Sign(const v1::JwtClaims& claims) const {
  v1::JwtHeader header;
  header.set_alg(algorithm_);
  header.set_kid(key_id_);
  std::string signing_input = absl::StrCat(pki::Base64UrlEncode(api::EncodeJson(header)), ".",
                                           pki::Base64UrlEncode(api::EncodeJson(claims)));
  ASSIGN_OR_RETURN(std::string signature, pki::SignJws(key_, algorithm_, signing_input));
  return absl::StrCat(signing_input, ".", pki::Base64UrlEncode(signature));
}

bool LooksLikeJwt(absl::string_view token) {
  if (token.empty() || token.size() > kMaxTokenBytes) return false;
  int parts = 1;
  size_t part_length = 0;
  for (char c : token) {
    if (c == '.') {
      if (part_length == 0) return false;
      ++parts;
      part_length = 0;
      continue;
    }
    if (!IsBase64UrlChar(c)) return false;
    ++part_length;
  }
  return parts == 3 && part_length > 0;
}

absl::StatusOr<v1::JwtClaims> VerifyJwt(const pki::PublicKeySet& keys, absl::string_view token) {
  if (!LooksLikeJwt(token)) {
    return absl::InvalidArgumentError(
        "not a JWT in compact form (three base64url parts separated by dots)");
  }
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  absl::StatusOr<std::string> header_json = pki::Base64UrlDecode(parts[0]);
  if (!header_json.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("the header: ", header_json.status().message()));
  }
  v1::JwtHeader header;
  RETURN_IF_ERROR(DecodeJsonObject(*header_json, &header, "header"));
  if (header.alg() != kAlgorithmRs256 && header.alg() != kAlgorithmEs256) {
    return absl::InvalidArgumentError(absl::StrCat("the signing algorithm \"", header.alg(),
                                                   "\" is not supported (only RS256 and ES256)"));
  }
  absl::StatusOr<std::string> signature = pki::Base64UrlDecode(parts[2]);
  if (!signature.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the signature: ", signature.status().message()));
  }
  if (header.alg() == kAlgorithmEs256 && signature->size() != pki::kEs256SignatureBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("the signature: an ES256 signature is ", pki::kEs256SignatureBytes,
                     " bytes (R then S), this one is ", signature->size()));
  }
  const absl::string_view signing_input = token.substr(0, parts[0].size() + 1 + parts[1].size());
  if (absl::Status checked = keys.Check(header.alg(), signing_input, *signature, header.kid());
      !checked.ok()) {
    return checked;
  }
  absl::StatusOr<std::string> claims_json = pki::Base64UrlDecode(parts[1]);
  if (!claims_json.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("the claims: ", claims_json.status().message()));
  }
  v1::JwtClaims claims;
  RETURN_IF_ERROR(DecodeJsonObject(*claims_json, &claims, "claims"));
  return claims;
}

}  // namespace minik8s::apiserver::serviceaccount
