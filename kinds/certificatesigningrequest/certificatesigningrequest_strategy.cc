// CertificateSigningRequests (certificates.k8s.io/v1): status subresource
// (the signer writes status.certificate and Failed conditions), status
// cleared on create.
#include "kinds/strategy_entry.h"

namespace minik8s::apiserver {

std::unique_ptr<Strategy> NewCertificateSigningRequestStrategy(const api::KindInfo* kind) {
  return std::make_unique<Strategy>(
      kind, Strategy::Traits{.status_subresource = true, .clear_status_on_create = true});
}

}  // namespace minik8s::apiserver
