#include "pki/issue.h"

#include <openssl/rand.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"

namespace minik8s::pki {
namespace {

absl::Status CheckDnsName(const std::string& name) {
  if (name.empty() || name.size() > 253) {
    return absl::InvalidArgumentError(absl::StrCat("bad DNS name \"", name, "\""));
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '*' || c == '_';
    if (!ok) return absl::InvalidArgumentError(absl::StrCat("bad DNS name \"", name, "\""));
  }
  return absl::OkStatus();
}

absl::StatusOr<Asn1IntegerPtr> RandomSerial() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    return OpenSslError(absl::StatusCode::kInternal, "RAND_bytes for a serial number");
  }
  bytes[0] &= 0x7f;   // positive, at most 127 bits (RFC 5280: at most 20 octets)
  bytes[15] |= 0x01;  // never zero
  BignumPtr bn(BN_bin2bn(bytes, sizeof(bytes), nullptr));
  if (bn == nullptr) return OpenSslError(absl::StatusCode::kInternal, "BN_bin2bn");
  Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  if (serial == nullptr) return OpenSslError(absl::StatusCode::kInternal, "BN_to_ASN1_INTEGER");
  return serial;
}

absl::Status AddName(X509_NAME* name, int nid, const std::string& value) {
  if (X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(value.data()),
                                 static_cast<int>(value.size()), -1, 0) != 1) {
    return OpenSslError(absl::StatusCode::kInvalidArgument,
                        absl::StrCat("subject field \"", value, "\""));
  }
  return absl::OkStatus();
}

// Adds one extension given in OpenSSL's config syntax. Only used with the
// fixed strings below, never with caller input.
absl::Status AddConfExtension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value));
  if (ext == nullptr || X509_add_ext(cert, ext.get(), -1) != 1) {
    return OpenSslError(absl::StatusCode::kInternal,
                        absl::StrCat("adding extension ", OBJ_nid2sn(nid), "=", value));
  }
  return absl::OkStatus();
}

absl::StatusOr<GeneralNamesPtr> BuildSubjectAltNames(const std::vector<std::string>& dns_names,
                                                     const std::vector<std::string>& ips) {
  GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
  if (names == nullptr) return OpenSslError(absl::StatusCode::kInternal, "GENERAL_NAMES");
  for (const std::string& dns : dns_names) {
    GeneralNamePtr name(GENERAL_NAME_new());
    ASN1_IA5STRING* ia5 = ASN1_IA5STRING_new();
    if (name == nullptr || ia5 == nullptr ||
        ASN1_STRING_set(ia5, dns.data(), static_cast<int>(dns.size())) != 1) {
      ASN1_IA5STRING_free(ia5);
      return OpenSslError(absl::StatusCode::kInternal, "DNS subjectAltName");
    }
    GENERAL_NAME_set0_value(name.get(), GEN_DNS, ia5);
    if (sk_GENERAL_NAME_push(names.get(), name.get()) <= 0) {
      return OpenSslError(absl::StatusCode::kInternal, "GENERAL_NAMES push");
    }
    name.release();  // owned by `names` now
  }
  for (const std::string& ip : ips) {
    ASN1_OCTET_STRING* octets = a2i_IPADDRESS(ip.c_str());
    if (octets == nullptr) {
      ClearOpenSslErrors();
      return absl::InvalidArgumentError(absl::StrCat("\"", ip, "\" is not an IP address"));
    }
    GeneralNamePtr name(GENERAL_NAME_new());
    if (name == nullptr) {
      ASN1_OCTET_STRING_free(octets);
      return OpenSslError(absl::StatusCode::kInternal, "GENERAL_NAME_new");
    }
    GENERAL_NAME_set0_value(name.get(), GEN_IPADD, octets);
    if (sk_GENERAL_NAME_push(names.get(), name.get()) <= 0) {
      return OpenSslError(absl::StatusCode::kInternal, "GENERAL_NAMES push");
    }
    name.release();
  }
  return names;
}

const EVP_MD* DigestFor(EVP_PKEY* signing_key) {
  int id = EVP_PKEY_get_base_id(signing_key);
  if (id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448) return nullptr;  // no separate digest
  return EVP_sha256();
}

struct Validity {
  absl::Time not_before;
  absl::Time not_after;
};

Validity ComputeValidity(std::optional<absl::Time> not_before, absl::Duration validity) {
  absl::Time now = absl::Now();
  if (not_before.has_value()) return {*not_before, *not_before + validity};
  return {now - kNotBeforeBackdate, now + validity};
}

// The skeleton both the CA and leaves share: version, serial, subject,
// issuer name, validity, public key.
absl::StatusOr<X509Ptr> NewCertificate(X509_NAME* subject, X509_NAME* issuer, EVP_PKEY* public_key,
                                       const Validity& validity) {
  X509Ptr cert(X509_new());
  if (cert == nullptr) return OpenSslError(absl::StatusCode::kInternal, "X509_new");
  ASSIGN_OR_RETURN(Asn1IntegerPtr serial, RandomSerial());
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      X509_set_serialNumber(cert.get(), serial.get()) != 1 ||
      X509_set_subject_name(cert.get(), subject) != 1 ||
      X509_set_issuer_name(cert.get(), issuer) != 1 ||
      ASN1_TIME_set(X509_getm_notBefore(cert.get()), absl::ToTimeT(validity.not_before)) ==
          nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert.get()), absl::ToTimeT(validity.not_after)) == nullptr ||
      X509_set_pubkey(cert.get(), public_key) != 1) {
    return OpenSslError(absl::StatusCode::kInternal, "filling in a certificate");
  }
  return cert;
}

absl::Status Sign(X509* cert, EVP_PKEY* signing_key) {
  if (X509_sign(cert, signing_key, DigestFor(signing_key)) <= 0) {
    return OpenSslError(absl::StatusCode::kInternal, "signing a certificate");
  }
  return absl::OkStatus();
}

}  // namespace

CertificateSpec ServingSpec(std::string common_name, std::vector<std::string> dns_names,
                            std::vector<std::string> ip_addresses) {
  CertificateSpec spec;
  spec.common_name = std::move(common_name);
  spec.dns_names = std::move(dns_names);
  spec.ip_addresses = std::move(ip_addresses);
  spec.server_auth = true;
  return spec;
}

CertificateSpec ClientSpec(std::string common_name, std::vector<std::string> organizations) {
  CertificateSpec spec;
  spec.common_name = std::move(common_name);
  spec.organizations = std::move(organizations);
  spec.client_auth = true;
  return spec;
}

absl::StatusOr<Certificate> CreateSelfSignedCaCert(const PrivateKey& key,
                                                   const CaOptions& options) {
  if (options.common_name.empty()) return absl::InvalidArgumentError("CA common name is empty");
  if (options.validity <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("CA validity must be positive");
  }
  ClearOpenSslErrors();
  X509NamePtr name(X509_NAME_new());
  if (name == nullptr) return OpenSslError(absl::StatusCode::kInternal, "X509_NAME_new");
  RETURN_IF_ERROR(AddName(name.get(), NID_commonName, options.common_name));
  ASSIGN_OR_RETURN(X509Ptr cert, NewCertificate(name.get(), name.get(), key.get(),
                                                ComputeValidity(std::nullopt, options.validity)));
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  RETURN_IF_ERROR(AddConfExtension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE"));
  RETURN_IF_ERROR(AddConfExtension(cert.get(), &ctx, NID_key_usage,
                                   "critical,digitalSignature,keyCertSign,cRLSign"));
  RETURN_IF_ERROR(AddConfExtension(cert.get(), &ctx, NID_subject_key_identifier, "hash"));
  RETURN_IF_ERROR(AddConfExtension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always"));
  RETURN_IF_ERROR(Sign(cert.get(), key.get()));
  return Certificate(std::move(cert));
}

absl::StatusOr<CertificateAuthority> CreateSelfSignedCa(const CaOptions& options) {
  ASSIGN_OR_RETURN(PrivateKey key, PrivateKey::Generate());
  ASSIGN_OR_RETURN(Certificate cert, CreateSelfSignedCaCert(key, options));
  return CertificateAuthority{std::move(cert), std::move(key)};
}

absl::StatusOr<Certificate> IssueCertificate(const CertificateAuthority& ca,
                                             EVP_PKEY* subject_public_key,
                                             const CertificateSpec& spec) {
  if (subject_public_key == nullptr) return absl::InvalidArgumentError("no subject public key");
  if (spec.common_name.empty()) return absl::InvalidArgumentError("certificate CN is empty");
  if (!spec.server_auth && !spec.client_auth) {
    return absl::InvalidArgumentError(absl::StrCat("certificate for \"", spec.common_name,
                                                   "\" has neither serverAuth nor "
                                                   "clientAuth"));
  }
  if (spec.validity <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("certificate validity must be positive");
  }
  for (const std::string& dns : spec.dns_names) RETURN_IF_ERROR(CheckDnsName(dns));
  for (const std::string& ip : spec.ip_addresses) RETURN_IF_ERROR(CanonicalIp(ip).status());
  ClearOpenSslErrors();
  if (!ca.cert.MatchesKey(ca.key)) {
    return absl::InvalidArgumentError(absl::StrCat("the key of CA \"", ca.cert.CommonName(),
                                                   "\" does not match its certificate"));
  }
  if (!ca.cert.IsCa()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", ca.cert.CommonName(), "\" is not a CA certificate"));
  }

  X509NamePtr subject(X509_NAME_new());
  if (subject == nullptr) return OpenSslError(absl::StatusCode::kInternal, "X509_NAME_new");
  for (const std::string& org : spec.organizations) {
    RETURN_IF_ERROR(AddName(subject.get(), NID_organizationName, org));
  }
  RETURN_IF_ERROR(AddName(subject.get(), NID_commonName, spec.common_name));

  ASSIGN_OR_RETURN(X509Ptr cert, NewCertificate(subject.get(), X509_get_subject_name(ca.cert.get()),
                                                subject_public_key,
                                                ComputeValidity(spec.not_before, spec.validity)));
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, ca.cert.get(), cert.get(), nullptr, nullptr, 0);
  RETURN_IF_ERROR(AddConfExtension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE"));
  bool rsa = EVP_PKEY_get_base_id(subject_public_key) == EVP_PKEY_RSA;
  RETURN_IF_ERROR(AddConfExtension(
      cert.get(), &ctx, NID_key_usage,
      rsa ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature"));
  const char* eku = spec.server_auth && spec.client_auth ? "serverAuth,clientAuth"
                    : spec.server_auth                   ? "serverAuth"
                                                         : "clientAuth";
  RETURN_IF_ERROR(AddConfExtension(cert.get(), &ctx, NID_ext_key_usage, eku));
  if (!spec.dns_names.empty() || !spec.ip_addresses.empty()) {
    ASSIGN_OR_RETURN(GeneralNamesPtr sans, BuildSubjectAltNames(spec.dns_names, spec.ip_addresses));
    if (X509_add1_ext_i2d(cert.get(), NID_subject_alt_name, sans.get(), 0, X509V3_ADD_DEFAULT) !=
        1) {
      return OpenSslError(absl::StatusCode::kInternal, "adding subjectAltName");
    }
  }
  RETURN_IF_ERROR(AddConfExtension(cert.get(), &ctx, NID_subject_key_identifier, "hash"));
  RETURN_IF_ERROR(AddConfExtension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always"));
  RETURN_IF_ERROR(Sign(cert.get(), ca.key.get()));
  return Certificate(std::move(cert));
}

absl::StatusOr<Certificate> IssueCertificate(const CertificateAuthority& ca,
                                             const PrivateKey& subject_key,
                                             const CertificateSpec& spec) {
  return IssueCertificate(ca, subject_key.get(), spec);
}

absl::StatusOr<IssuedCert> IssueWithNewKey(const CertificateAuthority& ca,
                                           const CertificateSpec& spec) {
  ASSIGN_OR_RETURN(PrivateKey key, PrivateKey::Generate());
  ASSIGN_OR_RETURN(Certificate cert, IssueCertificate(ca, key, spec));
  return IssuedCert{std::move(cert), std::move(key)};
}

}  // namespace minik8s::pki
