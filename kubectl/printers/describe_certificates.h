// `kubectl describe csr` text for CertificateSigningRequests, in the layout
// of Kubernetes' describer (pkg/describe describeCertificateSigningRequest):
// name, labels, annotations, creation time, the requesting user, signer,
// requested duration, the CONDITION column's status, the request's subject
// and subjectAltNames, then Events.
//
// Thread safety: pure functions.
#ifndef MINIK8S_KUBECTL_PRINTERS_DESCRIBE_CERTIFICATES_H_
#define MINIK8S_KUBECTL_PRINTERS_DESCRIBE_CERTIFICATES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "k8s/certificates/v1/certificates.pb.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::kubectl {

// Pending, Approved or Denied, then ",Failed" and ",Issued" when they apply.
std::string CsrCondition(const certificates::v1::CertificateSigningRequest& csr);

// InvalidArgument `Error parsing CSR: <why>` when spec.request does not parse.
absl::StatusOr<std::string> DescribeCertificateSigningRequest(
    const certificates::v1::CertificateSigningRequest& csr,
    const std::vector<core::v1::Event>& events, absl::Time now);

}  // namespace minik8s::kubectl

#endif  // MINIK8S_KUBECTL_PRINTERS_DESCRIBE_CERTIFICATES_H_
