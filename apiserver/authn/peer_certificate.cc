#include "apiserver/authn/peer_certificate.h"

#include <openssl/crypto.h>
#include <openssl/objects.h>

#include "pki/certificate.h"

namespace minik8s::apiserver::authn {
namespace {

std::string EntryText(const X509_NAME_ENTRY* entry) {
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(entry);
  unsigned char* utf8 = nullptr;
  const int n = ASN1_STRING_to_UTF8(&utf8, data);
  std::string out;
  if (n > 0) out.assign(reinterpret_cast<const char*>(utf8), static_cast<size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

}  // namespace

CertificateIdentity CertificateIdentityOf(X509* certificate) {
  CertificateIdentity identity;
  const X509_NAME* subject = X509_get_subject_name(certificate);
  for (int i = -1; (i = X509_NAME_get_index_by_NID(subject, NID_commonName, i)) >= 0;) {
    identity.common_name = EntryText(X509_NAME_get_entry(subject, i));
  }
  for (int i = -1; (i = X509_NAME_get_index_by_NID(subject, NID_organizationName, i)) >= 0;) {
    identity.organizations.push_back(EntryText(X509_NAME_get_entry(subject, i)));
  }
  return identity;
}

std::optional<CertificateIdentity> PeerCertificates::Find(const grpc::AuthContext& context) const {
  if (!context.IsPeerAuthenticated()) return std::nullopt;
  const std::vector<grpc::string_ref> pems = context.FindPropertyValues("x509_pem_cert");
  if (pems.empty()) return std::nullopt;
  const absl::string_view pem(pems.front().data(), pems.front().size());
  {
    absl::MutexLock lock(&mu_);
    if (auto it = by_pem_.find(pem); it != by_pem_.end()) return it->second;
  }
  std::optional<CertificateIdentity> identity;
  if (absl::StatusOr<pki::Certificate> parsed = pki::Certificate::FromPem(pem); parsed.ok()) {
    identity = CertificateIdentityOf(parsed->get());
  }
  absl::MutexLock lock(&mu_);
  if (by_pem_.size() >= kMaxEntries) by_pem_.clear();
  by_pem_.emplace(std::string(pem), identity);
  return identity;
}

}  // namespace minik8s::apiserver::authn
