#include "pki/pin.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace minik8s::pki {

absl::StatusOr<std::string> CaCertHash(const Certificate& cert) {
  ClearOpenSslErrors();
  EVP_PKEY* pubkey = X509_get0_pubkey(cert.get());  // owned by the certificate
  if (pubkey == nullptr) {
    return OpenSslError(absl::StatusCode::kInvalidArgument, "certificate has no public key");
  }
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(pubkey, &der);
  if (len <= 0) return OpenSslError(absl::StatusCode::kInternal, "encoding the public key");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  int ok = EVP_Digest(der, static_cast<size_t>(len), digest, &digest_len, EVP_sha256(), nullptr);
  OPENSSL_free(der);
  if (ok != 1) return OpenSslError(absl::StatusCode::kInternal, "SHA-256");
  return absl::StrCat(kPinPrefix, absl::BytesToHexString(absl::string_view(
                                      reinterpret_cast<const char*>(digest), digest_len)));
}

absl::Status VerifyCaCertHash(const Certificate& cert, absl::string_view pin) {
  if (!absl::StartsWith(pin, kPinPrefix)) {
    return absl::InvalidArgumentError(
        absl::StrCat("CA cert hash \"", pin, "\" does not start with \"", kPinPrefix, "\""));
  }
  absl::string_view hex = pin.substr(sizeof(kPinPrefix) - 1);
  bool all_hex = hex.size() == 64;
  for (char c : hex) all_hex = all_hex && absl::ascii_isxdigit(static_cast<unsigned char>(c));
  if (!all_hex) {
    return absl::InvalidArgumentError(
        absl::StrCat("CA cert hash \"", pin, "\" must be \"sha256:\" followed by 64 hex digits"));
  }
  absl::StatusOr<std::string> actual = CaCertHash(cert);
  if (!actual.ok()) return actual.status();
  std::string want = absl::StrCat(kPinPrefix, absl::AsciiStrToLower(hex));
  if (want.size() != actual->size() ||
      CRYPTO_memcmp(want.data(), actual->data(), want.size()) != 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("the CA's public key hash is ", *actual, ", not the expected ", want));
  }
  return absl::OkStatus();
}

}  // namespace minik8s::pki
