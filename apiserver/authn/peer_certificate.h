// Client certificates as the apiserver's x509 authentication reads them:
// the Subject's Common Name (the user) and Organizations (the groups).
//
// A certificate reaches the apiserver through a TLS handshake: the HTTP
// server's (OpenSSL's SSL*, rest/http_server.cc) or the gRPC server's on
// its own port (common/rpc/h2_server.h, which gives handlers the Subject
// of the certificate it verified).
//
// Thread safety: CertificateIdentityOf is pure.
#ifndef MINIK8S_APISERVER_AUTHN_PEER_CERTIFICATE_H_
#define MINIK8S_APISERVER_AUTHN_PEER_CERTIFICATE_H_

#include <openssl/x509.h>

#include "apiserver/authn/authenticator.h"

namespace minik8s::apiserver::authn {

// CN and O of `certificate`'s Subject (common/tls.h, CertificateSubjectOf).
// The caller has verified the certificate.
CertificateIdentity CertificateIdentityOf(X509* certificate);

}  // namespace minik8s::apiserver::authn

#endif  // MINIK8S_APISERVER_AUTHN_PEER_CERTIFICATE_H_
