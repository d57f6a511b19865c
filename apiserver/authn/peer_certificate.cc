#include "apiserver/authn/peer_certificate.h"

#include <openssl/crypto.h>
#include <openssl/objects.h>

#include "common/tls.h"
#include "pki/certificate.h"

namespace minik8s::apiserver::authn {
CertificateIdentity CertificateIdentityOf(X509* certificate) {
  return CertificateSubjectOf(certificate);
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
