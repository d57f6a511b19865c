#include "apiserver/admission/certificates/certificates.h"

#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "k8s/certificates/v1/certificates.pb.h"
#include "pki/pem_check.h"

namespace minik8s::apiserver::admission {
namespace {

using certificates::v1::CertificateSigningRequest;

constexpr char kGroup[] = "certificates.k8s.io";
constexpr char kKubeAPIServerClientSigner[] = "kubernetes.io/kube-apiserver-client";

// The request of a write to certificatesigningrequests, or null for any
// other write.
const CertificateSigningRequest* CsrOf(const google::protobuf::Message* object) {
  if (object == nullptr || object->GetDescriptor() != CertificateSigningRequest::descriptor()) {
    return nullptr;
  }
  return static_cast<const CertificateSigningRequest*>(object);
}

bool Allowed(const authz::Authorizer& authorizer, const authn::UserInfo& user,
             const std::string& verb, const std::string& name) {
  authz::Attributes a;
  a.user = &user;
  a.verb = verb;
  a.resource_request = true;
  a.api_group = kGroup;
  a.api_version = "*";
  a.resource = "signers";
  a.name = name;
  return authorizer.Authorize(a).decision == authz::Decision::kAllow;
}

absl::Status CheckSigner(const AuthorizerGetter& getter, const Attributes& a,
                         const std::string& verb) {
  const CertificateSigningRequest* old = CsrOf(a.old_object);
  if (old == nullptr || a.user == nullptr) return absl::OkStatus();
  const std::string& signer = old->spec().signer_name();
  if (IsAuthorizedForSignerName(getter ? getter() : nullptr, *a.user, verb, signer)) {
    return absl::OkStatus();
  }
  return api::NewForbidden(
      *a.kind, a.name,
      absl::StrCat("user not permitted to ", verb, " requests with signerName \"", signer, "\""));
}

}  // namespace

bool IsAuthorizedForSignerName(const authz::Authorizer* authorizer, const authn::UserInfo& user,
                               const std::string& verb, const std::string& signer_name) {
  if (authorizer == nullptr) return true;
  if (Allowed(*authorizer, user, verb, signer_name)) return true;
  const std::string domain = signer_name.substr(0, signer_name.find('/'));
  return Allowed(*authorizer, user, verb, domain + "/*");
}

absl::Status CertificateApproval::Admit(const Attributes& a) const {
  if (a.subresource != "approval" || a.operation != Operation::kUpdate) return absl::OkStatus();
  return CheckSigner(authorizer_, a, "approve");
}

absl::Status CertificateSigning::Admit(const Attributes& a) const {
  if (a.subresource != "status" || a.operation != Operation::kUpdate) return absl::OkStatus();
  const CertificateSigningRequest* csr = CsrOf(a.object);
  const CertificateSigningRequest* old = CsrOf(a.old_object);
  if (csr == nullptr || old == nullptr ||
      csr->status().certificate() == old->status().certificate()) {
    return absl::OkStatus();
  }
  return CheckSigner(authorizer_, a, "sign");
}

absl::Status CertificateSubjectRestriction::Admit(const Attributes& a) const {
  if (a.operation != Operation::kCreate || !a.subresource.empty()) return absl::OkStatus();
  const CertificateSigningRequest* csr = CsrOf(a.object);
  if (csr == nullptr || csr->spec().signer_name() != kKubeAPIServerClientSigner) {
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<std::string>> groups =
      pki::CertificateRequestOrganizations(csr->spec().request());
  if (!groups.ok()) {
    return api::NewForbidden(*a.kind, a.name,
                             absl::StrCat("failed to parse CSR: ", groups.status().message()));
  }
  for (const std::string& group : *groups) {
    if (group == authz::kSystemMastersGroup) {
      return api::NewForbidden(*a.kind, a.name,
                               absl::StrCat("use of ", kKubeAPIServerClientSigner,
                                            " signer with system:masters group is not allowed"));
    }
  }
  return absl::OkStatus();
}

}  // namespace minik8s::apiserver::admission
