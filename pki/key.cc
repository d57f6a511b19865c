#include "pki/key.h"

#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "absl/strings/str_cat.h"

namespace minik8s::pki {
namespace {

// Refuses encrypted PEM keys instead of prompting on the terminal.
int NoPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) { return -1; }

}  // namespace

absl::StatusOr<PrivateKey> PrivateKey::Generate() {
  ClearOpenSslErrors();
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_EC, nullptr));
  if (ctx == nullptr) return OpenSslError(absl::StatusCode::kInternal, "EVP_PKEY_CTX_new_id(EC)");
  if (EVP_PKEY_keygen_init(ctx.get()) <= 0 ||
      EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx.get(), NID_X9_62_prime256v1) <= 0 ||
      EVP_PKEY_CTX_set_ec_param_enc(ctx.get(), OPENSSL_EC_NAMED_CURVE) <= 0) {
    return OpenSslError(absl::StatusCode::kInternal, "setting up P-256 key generation");
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_keygen(ctx.get(), &raw) <= 0) {
    return OpenSslError(absl::StatusCode::kInternal, "generating a P-256 key");
  }
  return PrivateKey(EvpPkeyPtr(raw));
}

absl::StatusOr<PrivateKey> PrivateKey::GenerateRsa(int bits) {
  if (bits < 2048) {
    return absl::InvalidArgumentError(
        absl::StrCat("an RSA key needs at least 2048 bits, asked for ", bits));
  }
  ClearOpenSslErrors();
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, nullptr));
  if (ctx == nullptr) return OpenSslError(absl::StatusCode::kInternal, "EVP_PKEY_CTX_new_id(RSA)");
  if (EVP_PKEY_keygen_init(ctx.get()) <= 0 ||
      EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), bits) <= 0) {
    return OpenSslError(absl::StatusCode::kInternal, "setting up RSA key generation");
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_keygen(ctx.get(), &raw) <= 0) {
    return OpenSslError(absl::StatusCode::kInternal, "generating an RSA key");
  }
  return PrivateKey(EvpPkeyPtr(raw));
}

absl::StatusOr<PrivateKey> PrivateKey::FromPem(absl::string_view pem) {
  ClearOpenSslErrors();
  auto bio = MemoryBioFrom(pem);
  if (!bio.ok()) return bio.status();
  EvpPkeyPtr pkey(PEM_read_bio_PrivateKey(bio->get(), nullptr, NoPassphrase, nullptr));
  if (pkey == nullptr) {
    return OpenSslError(absl::StatusCode::kInvalidArgument, "not an unencrypted PEM private key");
  }
  return PrivateKey(std::move(pkey));
}

absl::StatusOr<std::string> PrivateKey::ToPem() const {
  ClearOpenSslErrors();
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr) return OpenSslError(absl::StatusCode::kInternal, "BIO_new");
  if (PEM_write_bio_PKCS8PrivateKey(bio.get(), pkey_.get(), nullptr, nullptr, 0, nullptr,
                                    nullptr) != 1) {
    return OpenSslError(absl::StatusCode::kInternal, "encoding a private key as PEM");
  }
  return MemoryBioContents(bio.get());
}

absl::StatusOr<std::string> PrivateKey::PublicKeyPem() const {
  ClearOpenSslErrors();
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr) return OpenSslError(absl::StatusCode::kInternal, "BIO_new");
  if (PEM_write_bio_PUBKEY(bio.get(), pkey_.get()) != 1) {
    return OpenSslError(absl::StatusCode::kInternal, "encoding a public key as PEM");
  }
  return MemoryBioContents(bio.get());
}

}  // namespace minik8s::pki
