// A client certificate or serving certificate obtained through the
// certificates.k8s.io/v1 API, as Kubernetes' client-go
// util/certificate/csr does it for the kubelet's TLS bootstrap: send a
// CertificateSigningRequest, wait until it is approved and signed, check
// the certificate against the key. Used by the kubelet (kubelet/bootstrap.h)
// and by `minik8s join` for its node's service proxy.
//
// Thread safety: the functions are safe from any thread (`api` must be).
#ifndef MINIK8S_CLIENT_CERTIFICATE_REQUEST_H_
#define MINIK8S_CLIENT_CERTIFICATE_REQUEST_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/api_client.h"
#include "pki/certificate.h"
#include "pki/key.h"

namespace minik8s::client {

struct CertificateRequest {
  std::string name;     // the CSR object's name (CsrObjectName)
  std::string request;  // the PEM CSR, signed by the key
  std::string signer;   // spec.signerName
  std::vector<std::string> usages;
  std::string subject;  // for messages: "node node-1", "the kube-proxy of node-2"
};

struct CertificateWait {
  absl::Duration timeout = absl::Minutes(15);
  absl::Duration poll_interval = absl::Milliseconds(500);
  // Checked between polls: true stops the wait (Cancelled).
  std::function<bool()> stopping = [] { return false; };
};

// The key at `path`, or a new ECDSA key written there (0600) when there is
// no file.
absl::StatusOr<pki::PrivateKey> LoadOrCreatePrivateKey(const std::string& path);

// "<prefix>" followed by 43 characters of base64url SHA-256 of
// `public_key_pem` and `salt`: the same key asking again finds its own
// request, e.g. after a restart while it waited.
std::string CsrObjectName(const std::string& prefix, const std::string& public_key_pem,
                          const std::string& salt);

// Creates the CSR (or finds it, when one of that name holds the same
// request) and waits until it carries a certificate for `key`.
// PermissionDenied when it was Denied or Failed, with the condition's
// reason and message; DeadlineExceeded after `wait.timeout`, naming the
// `mkctl` commands that show and approve it.
absl::StatusOr<pki::Certificate> RequestCertificate(ApiClient* api, const pki::PrivateKey& key,
                                                    const CertificateRequest& request,
                                                    const CertificateWait& wait);

// Whether `cert` and `key` load, match, and `cert` is valid for more than
// `min_remaining` (and, with a CA, chains to it).
bool UsableCertificate(const std::string& cert_file, const std::string& key_file,
                       absl::Duration min_remaining, const pki::Certificate* ca = nullptr);

}  // namespace minik8s::client

#endif  // MINIK8S_CLIENT_CERTIFICATE_REQUEST_H_
