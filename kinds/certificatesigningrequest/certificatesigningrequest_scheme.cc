// CertificateSigningRequest (certificates.k8s.io/v1, cluster-scoped): the
// scheme entry; short name csr, as in Kubernetes.
#include "k8s/certificates/v1/certificates.pb.h"
#include "kinds/scheme_entry.h"

namespace minik8s::api {

KindInfo CertificateSigningRequestScheme() {
  return ResourceKind<certificates::v1::CertificateSigningRequest,
                      certificates::v1::CertificateSigningRequestList>(
      "certificates.k8s.io", "CertificateSigningRequest", "certificatesigningrequests",
      "certificatesigningrequest", {"csr"}, false);
}

}  // namespace minik8s::api
