// The CA public key pin `kubeadm join --discovery-token-ca-cert-hash` uses:
// "sha256:" followed by the lower-case hex SHA-256 of the CA certificate's
// DER-encoded SubjectPublicKeyInfo. It is what
//   openssl x509 -pubkey -noout -in ca.crt | openssl pkey -pubin -outform der | sha256sum
// prints. A joining node checks the CA it was handed against the pin before
// trusting it.
#ifndef MINIK8S_PKI_PIN_H_
#define MINIK8S_PKI_PIN_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "pki/certificate.h"

namespace minik8s::pki {

inline constexpr char kPinPrefix[] = "sha256:";

// "sha256:<64 lower-case hex digits>" for `cert`'s public key.
absl::StatusOr<std::string> CaCertHash(const Certificate& cert);

// OK when `pin` names `cert`'s public key. InvalidArgument when `pin` is not
// "sha256:" + 64 hex digits (hex case is ignored); PermissionDenied when it is
// well formed but names another key.
absl::Status VerifyCaCertHash(const Certificate& cert, absl::string_view pin);

}  // namespace minik8s::pki

#endif  // MINIK8S_PKI_PIN_H_
