#include "pki/csr.h"

#include <arpa/inet.h>
#include <openssl/pem.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace minik8s::pki {
namespace {

using ExtensionStackPtr =
    std::unique_ptr<STACK_OF(X509_EXTENSION), void (*)(STACK_OF(X509_EXTENSION)*)>;

void FreeExtensionStack(STACK_OF(X509_EXTENSION) * exts) {
  sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
}

std::string Asn1ToUtf8(const ASN1_STRING* s) {
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, s);
  if (len < 0 || utf8 == nullptr) return "";
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

absl::StatusOr<X509ReqPtr> ReadCsr(absl::string_view csr_pem) {
  if (csr_pem.size() > kMaxCsrPemBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "CSR is ", csr_pem.size(), " bytes, more than the limit of ", kMaxCsrPemBytes));
  }
  ClearOpenSslErrors();
  ASSIGN_OR_RETURN(BioPtr bio, MemoryBioFrom(csr_pem));
  X509ReqPtr req(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
  if (req == nullptr) {
    return OpenSslError(absl::StatusCode::kInvalidArgument, "not a PEM certificate request");
  }
  EVP_PKEY* pubkey = X509_REQ_get0_pubkey(req.get());
  if (pubkey == nullptr || X509_REQ_verify(req.get(), pubkey) != 1) {
    return OpenSslError(absl::StatusCode::kInvalidArgument,
                        "certificate request signature does not verify");
  }
  return req;
}

absl::StatusOr<CsrRequest> Describe(X509_REQ* req) {
  CsrRequest out;
  const X509_NAME* subject = X509_REQ_get_subject_name(req);
  int cn_count = 0;
  for (int i = 0; i < X509_NAME_entry_count(subject); ++i) {
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(subject, i);
    int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry));
    std::string value = Asn1ToUtf8(X509_NAME_ENTRY_get_data(entry));
    if (nid == NID_commonName) {
      ++cn_count;
      out.common_name = value;
    } else if (nid == NID_organizationName) {
      out.organizations.push_back(value);
    }
  }
  if (cn_count != 1 || out.common_name.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("certificate request must have exactly one non-empty CN, has ", cn_count));
  }
  ExtensionStackPtr exts(X509_REQ_get_extensions(req), FreeExtensionStack);
  if (exts != nullptr) {
    GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
        X509V3_get_d2i(exts.get(), NID_subject_alt_name, nullptr, nullptr)));
    for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names.get()); ++i) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
      if (name->type == GEN_DNS) {
        out.dns_names.push_back(Asn1ToUtf8(name->d.dNSName));
      } else if (name->type == GEN_IPADD) {
        const ASN1_OCTET_STRING* ip = name->d.iPAddress;
        char text[INET6_ADDRSTRLEN];
        int len = ASN1_STRING_length(ip);
        int family = len == 4 ? AF_INET : len == 16 ? AF_INET6 : -1;
        if (family < 0 ||
            inet_ntop(family, ASN1_STRING_get0_data(ip), text, sizeof(text)) == nullptr) {
          return absl::InvalidArgumentError("certificate request has a malformed IP SAN");
        }
        out.ip_addresses.push_back(text);
      } else {
        return absl::InvalidArgumentError(
            "certificate request has a subjectAltName that is neither DNS nor IP");
      }
    }
  }
  ClearOpenSslErrors();
  return out;
}

}  // namespace

absl::StatusOr<std::string> CreateCsr(const PrivateKey& key, const CsrRequest& request) {
  if (request.common_name.empty()) return absl::InvalidArgumentError("CSR CN is empty");
  for (const std::string& ip : request.ip_addresses) RETURN_IF_ERROR(CanonicalIp(ip).status());
  for (const std::string& dns : request.dns_names) {
    if (dns.empty()) return absl::InvalidArgumentError("CSR has an empty DNS name");
  }
  ClearOpenSslErrors();
  X509ReqPtr req(X509_REQ_new());
  if (req == nullptr) return OpenSslError(absl::StatusCode::kInternal, "X509_REQ_new");
  X509_NAME* subject = X509_REQ_get_subject_name(req.get());  // owned by req
  auto add = [&](int nid, const std::string& value) {
    return X509_NAME_add_entry_by_NID(subject, nid, MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char*>(value.data()),
                                      static_cast<int>(value.size()), -1, 0) == 1;
  };
  for (const std::string& org : request.organizations) {
    if (!add(NID_organizationName, org)) {
      return OpenSslError(absl::StatusCode::kInvalidArgument, "CSR organization");
    }
  }
  if (!add(NID_commonName, request.common_name)) {
    return OpenSslError(absl::StatusCode::kInvalidArgument, "CSR common name");
  }
  if (X509_REQ_set_version(req.get(), X509_REQ_VERSION_1) != 1 ||
      X509_REQ_set_pubkey(req.get(), key.get()) != 1) {
    return OpenSslError(absl::StatusCode::kInternal, "filling in a CSR");
  }
  if (!request.dns_names.empty() || !request.ip_addresses.empty()) {
    GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
    if (names == nullptr) return OpenSslError(absl::StatusCode::kInternal, "GENERAL_NAMES");
    for (const std::string& dns : request.dns_names) {
      GENERAL_NAME* name = a2i_GENERAL_NAME(nullptr, nullptr, nullptr, GEN_DNS, dns.c_str(), 0);
      if (name == nullptr || sk_GENERAL_NAME_push(names.get(), name) <= 0) {
        GENERAL_NAME_free(name);
        return OpenSslError(absl::StatusCode::kInvalidArgument, "CSR DNS name");
      }
    }
    for (const std::string& ip : request.ip_addresses) {
      GENERAL_NAME* name = a2i_GENERAL_NAME(nullptr, nullptr, nullptr, GEN_IPADD, ip.c_str(), 0);
      if (name == nullptr || sk_GENERAL_NAME_push(names.get(), name) <= 0) {
        GENERAL_NAME_free(name);
        return OpenSslError(absl::StatusCode::kInvalidArgument, "CSR IP address");
      }
    }
    X509ExtensionPtr ext(X509V3_EXT_i2d(NID_subject_alt_name, 0, names.get()));
    ExtensionStackPtr exts(sk_X509_EXTENSION_new_null(), FreeExtensionStack);
    if (ext == nullptr || exts == nullptr || sk_X509_EXTENSION_push(exts.get(), ext.get()) <= 0) {
      return OpenSslError(absl::StatusCode::kInternal, "CSR subjectAltName");
    }
    ext.release();  // owned by exts
    if (X509_REQ_add_extensions(req.get(), exts.get()) != 1) {
      return OpenSslError(absl::StatusCode::kInternal, "adding CSR extensions");
    }
  }
  if (X509_REQ_sign(req.get(), key.get(), EVP_sha256()) <= 0) {
    return OpenSslError(absl::StatusCode::kInternal, "signing a CSR");
  }
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_X509_REQ(bio.get(), req.get()) != 1) {
    return OpenSslError(absl::StatusCode::kInternal, "encoding a CSR as PEM");
  }
  return MemoryBioContents(bio.get());
}

absl::StatusOr<CsrRequest> ParseCsr(absl::string_view csr_pem) {
  ASSIGN_OR_RETURN(X509ReqPtr req, ReadCsr(csr_pem));
  return Describe(req.get());
}

absl::StatusOr<Certificate> SignCsr(const CertificateAuthority& ca, absl::string_view csr_pem,
                                    const CsrSigningOptions& options) {
  ASSIGN_OR_RETURN(X509ReqPtr req, ReadCsr(csr_pem));
  ASSIGN_OR_RETURN(CsrRequest request, Describe(req.get()));
  CertificateSpec spec;
  spec.common_name = std::move(request.common_name);
  spec.organizations = std::move(request.organizations);
  spec.dns_names = std::move(request.dns_names);
  spec.ip_addresses = std::move(request.ip_addresses);
  spec.server_auth = options.server_auth;
  spec.client_auth = options.client_auth;
  spec.validity = options.validity;
  return IssueCertificate(ca, X509_REQ_get0_pubkey(req.get()), spec);
}

}  // namespace minik8s::pki
