#include "apiserver/authn/peer_certificate.h"

#include "common/tls.h"

namespace minik8s::apiserver::authn {

CertificateIdentity CertificateIdentityOf(X509* certificate) {
  return CertificateSubjectOf(certificate);
}

}  // namespace minik8s::apiserver::authn
