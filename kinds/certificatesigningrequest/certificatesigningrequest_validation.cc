// CertificateSigningRequest: validation (api/validation/validation_certificates.h).
#include "api/validation/validation_certificates.h"
#include "k8s/certificates/v1/certificates.pb.h"
#include "kinds/validation_entry.h"

namespace minik8s::validation {

KindRules CertificateSigningRequestRules() {
  return RulesOf<certificates::v1::CertificateSigningRequest, nullptr,
                 ValidateCertificateSigningRequest, ValidateCertificateSigningRequestUpdate>(
      "CertificateSigningRequest.certificates.k8s.io");
}

}  // namespace minik8s::validation
