// Client certificates as the apiserver's x509 authentication reads them:
// the Subject's Common Name (the user) and Organizations (the groups).
//
// Two ways a certificate reaches the apiserver: the HTTP server's own TLS
// handshake (OpenSSL's SSL*, rest/http_server.cc), and gRPC's TLS on the
// apiserver's own gRPC port (--grpc-port), where gRPC verified the chain and
// hands the certificate over as PEM in the call's AuthContext.
//
// Thread safety: CertificateIdentityOf is pure; PeerCertificates is safe to
// call concurrently.
#ifndef MINIK8S_APISERVER_AUTHN_PEER_CERTIFICATE_H_
#define MINIK8S_APISERVER_AUTHN_PEER_CERTIFICATE_H_

#include <grpcpp/security/auth_context.h>
#include <openssl/x509.h>

#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "apiserver/authn/authenticator.h"

namespace minik8s::apiserver::authn {

// CN and O of `certificate`'s Subject. The last CN wins, as Go's pkix.Name
// keeps the last one it reads; every O in order. The caller has verified
// the certificate.
CertificateIdentity CertificateIdentityOf(X509* certificate);

// The identity of a gRPC call's verified client certificate, from the PEM
// gRPC puts in the AuthContext ("x509_pem_cert"); nullopt when the caller
// presented none. A connection's calls all carry the same PEM, so each
// distinct certificate is parsed once and remembered (at most kMaxEntries,
// then the memory starts over).
class PeerCertificates {
 public:
  static constexpr size_t kMaxEntries = 4096;

  std::optional<CertificateIdentity> Find(const grpc::AuthContext& context) const;

 private:
  mutable absl::Mutex mu_;
  // PEM → identity; nullopt for PEM that does not parse.
  mutable absl::flat_hash_map<std::string, std::optional<CertificateIdentity>> by_pem_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace minik8s::apiserver::authn

#endif  // MINIK8S_APISERVER_AUTHN_PEER_CERTIFICATE_H_
