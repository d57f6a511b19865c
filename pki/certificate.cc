#include "pki/certificate.h"

#include <arpa/inet.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>

#include <cstring>
#include <ctime>

#include "absl/strings/str_cat.h"

namespace minik8s::pki {
namespace {

std::string Asn1StringToString(const ASN1_STRING* s) {
  if (s == nullptr) return "";
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, s);
  if (len < 0 || utf8 == nullptr) return "";
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

std::vector<std::string> NameEntries(const X509_NAME* name, int nid) {
  std::vector<std::string> out;
  if (name == nullptr) return out;
  int pos = -1;
  while ((pos = X509_NAME_get_index_by_NID(name, nid, pos)) >= 0) {
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, pos);
    out.push_back(Asn1StringToString(X509_NAME_ENTRY_get_data(entry)));
  }
  return out;
}

std::string FirstOrEmpty(const std::vector<std::string>& v) { return v.empty() ? "" : v[0]; }

absl::Time Asn1TimeToAbsl(const ASN1_TIME* t) {
  struct tm tm;
  std::memset(&tm, 0, sizeof(tm));
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return absl::InfinitePast();
  return absl::FromTimeT(timegm(&tm));
}

bool HasExtendedKeyUsage(X509* x509, uint32_t flag) {
  // X509_get_extended_key_usage returns UINT32_MAX when the extension is absent.
  uint32_t xku = X509_get_extended_key_usage(x509);
  return xku != UINT32_MAX && (xku & flag) != 0;
}

}  // namespace

absl::StatusOr<std::string> CanonicalIp(absl::string_view ip) {
  std::string text(ip);
  unsigned char buf[16];
  char out[INET6_ADDRSTRLEN];
  if (inet_pton(AF_INET, text.c_str(), buf) == 1) {
    inet_ntop(AF_INET, buf, out, sizeof(out));
    return std::string(out);
  }
  if (inet_pton(AF_INET6, text.c_str(), buf) == 1) {
    inet_ntop(AF_INET6, buf, out, sizeof(out));
    return std::string(out);
  }
  return absl::InvalidArgumentError(absl::StrCat("\"", ip, "\" is not an IP address"));
}

absl::StatusOr<Certificate> Certificate::FromPem(absl::string_view pem) {
  ClearOpenSslErrors();
  auto bio = MemoryBioFrom(pem);
  if (!bio.ok()) return bio.status();
  X509Ptr x509(PEM_read_bio_X509(bio->get(), nullptr, nullptr, nullptr));
  if (x509 == nullptr) {
    return OpenSslError(absl::StatusCode::kInvalidArgument, "not a PEM certificate");
  }
  return Certificate(std::move(x509));
}

Certificate Certificate::Clone() const {
  X509_up_ref(x509_.get());
  return Certificate(X509Ptr(x509_.get()));
}

absl::StatusOr<std::string> Certificate::ToPem() const {
  ClearOpenSslErrors();
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr) return OpenSslError(absl::StatusCode::kInternal, "BIO_new");
  if (PEM_write_bio_X509(bio.get(), x509_.get()) != 1) {
    return OpenSslError(absl::StatusCode::kInternal, "encoding a certificate as PEM");
  }
  return MemoryBioContents(bio.get());
}

absl::StatusOr<std::string> Certificate::ToDer() const {
  ClearOpenSslErrors();
  unsigned char* der = nullptr;
  int len = i2d_X509(x509_.get(), &der);
  if (len <= 0) return OpenSslError(absl::StatusCode::kInternal, "encoding a certificate as DER");
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

std::string Certificate::CommonName() const {
  return FirstOrEmpty(NameEntries(X509_get_subject_name(x509_.get()), NID_commonName));
}

std::vector<std::string> Certificate::Organizations() const {
  return NameEntries(X509_get_subject_name(x509_.get()), NID_organizationName);
}

std::string Certificate::IssuerCommonName() const {
  return FirstOrEmpty(NameEntries(X509_get_issuer_name(x509_.get()), NID_commonName));
}

namespace {

// Calls `visit` with each subject alternative name of type `type`.
template <typename Visit>
void ForEachSubjectAltName(const X509* x509, int type, Visit visit) {
  GeneralNamesPtr names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x509, NID_subject_alt_name, nullptr, nullptr)));
  if (names == nullptr) return;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type == type) visit(name);
  }
}

}  // namespace

std::vector<std::string> Certificate::DnsNames() const {
  std::vector<std::string> out;
  ForEachSubjectAltName(x509_.get(), GEN_DNS, [&](const GENERAL_NAME* name) {
    out.push_back(Asn1StringToString(name->d.dNSName));
  });
  return out;
}

std::vector<std::string> Certificate::IpAddresses() const {
  std::vector<std::string> out;
  ForEachSubjectAltName(x509_.get(), GEN_IPADD, [&](const GENERAL_NAME* name) {
    const ASN1_OCTET_STRING* ip = name->d.iPAddress;
    char text[INET6_ADDRSTRLEN];
    int len = ASN1_STRING_length(ip);
    const unsigned char* data = ASN1_STRING_get0_data(ip);
    if (len == 4 && inet_ntop(AF_INET, data, text, sizeof(text)) != nullptr) {
      out.push_back(text);
    } else if (len == 16 && inet_ntop(AF_INET6, data, text, sizeof(text)) != nullptr) {
      out.push_back(text);
    }
  });
  return out;
}

bool Certificate::IsCa() const { return X509_check_ca(x509_.get()) == 1; }

bool Certificate::HasServerAuth() const { return HasExtendedKeyUsage(x509_.get(), XKU_SSL_SERVER); }

bool Certificate::HasClientAuth() const { return HasExtendedKeyUsage(x509_.get(), XKU_SSL_CLIENT); }

absl::Time Certificate::NotBefore() const {
  return Asn1TimeToAbsl(X509_get0_notBefore(x509_.get()));
}

absl::Time Certificate::NotAfter() const { return Asn1TimeToAbsl(X509_get0_notAfter(x509_.get())); }

std::string Certificate::SerialHex() const {
  BignumPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(x509_.get()), nullptr));
  if (bn == nullptr) return "";
  char* hex = BN_bn2hex(bn.get());
  if (hex == nullptr) return "";
  std::string out(hex);
  OPENSSL_free(hex);
  return out;
}

bool Certificate::MatchesKey(const PrivateKey& key) const {
  ClearOpenSslErrors();
  bool ok = X509_check_private_key(x509_.get(), key.get()) == 1;
  ClearOpenSslErrors();
  return ok;
}

absl::Status Certificate::VerifySignedBy(const Certificate& ca) const {
  ClearOpenSslErrors();
  X509StorePtr store(X509_STORE_new());
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (store == nullptr || ctx == nullptr) {
    return OpenSslError(absl::StatusCode::kInternal, "allocating an X509 store");
  }
  if (X509_STORE_add_cert(store.get(), ca.get()) != 1 ||
      X509_STORE_CTX_init(ctx.get(), store.get(), x509_.get(), nullptr) != 1) {
    return OpenSslError(absl::StatusCode::kInternal, "setting up chain verification");
  }
  if (X509_verify_cert(ctx.get()) != 1) {
    int err = X509_STORE_CTX_get_error(ctx.get());
    ClearOpenSslErrors();
    return absl::FailedPreconditionError(absl::StrCat("does not verify against the CA \"",
                                                      ca.CommonName(),
                                                      "\": ", X509_verify_cert_error_string(err)));
  }
  return absl::OkStatus();
}

}  // namespace minik8s::pki
