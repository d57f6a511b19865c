// CertificateSigningRequest: the table columns and rows of kubectl 1.32
// (pkg/printers/internalversion printCertificateSigningRequest): NAME, AGE,
// SIGNERNAME, REQUESTOR, REQUESTEDDURATION, CONDITION.
#include <string>

#include "absl/time/time.h"
#include "k8s/certificates/v1/certificates.pb.h"
#include "kinds/printer_entry.h"
#include "printers/duration.h"

namespace minik8s::printers {
namespace {

using certificates::v1::CertificateSigningRequest;

// Denied, else Approved, else Pending; then ",Failed" and ",Issued" when
// they apply (kubectl's extractCSRStatus).
std::string CsrConditionCell(const CertificateSigningRequest& csr) {
  bool approved = false, denied = false, failed = false;
  for (const auto& c : csr.status().conditions()) {
    if (c.type() == "Approved") approved = true;
    if (c.type() == "Denied") denied = true;
    if (c.type() == "Failed") failed = true;
  }
  std::string cell = denied ? "Denied" : approved ? "Approved" : "Pending";
  if (failed) cell += ",Failed";
  if (!csr.status().certificate().empty()) cell += ",Issued";
  return cell;
}

Row CsrRow(const CertificateSigningRequest& csr, absl::Time now) {
  const auto& spec = csr.spec();
  Row row;
  row.cells = {csr.metadata().name(),
               TimestampSince(csr.metadata().creation_timestamp(), now),
               spec.signer_name().empty() ? "<none>" : spec.signer_name(),
               spec.username(),
               spec.has_expiration_seconds()
                   ? HumanDuration(absl::Seconds(spec.expiration_seconds()))
                   : "<none>",
               CsrConditionCell(csr)};
  return row;
}

}  // namespace

KindPrinter CertificateSigningRequestPrinter() {
  return {
      {NameColumn(),
       AgeColumn(),
       {"SignerName", "string", "", "The signer the request is addressed to (spec.signerName).", 0},
       {"Requestor", "string", "", "The user who created the request (spec.username).", 0},
       {"RequestedDuration", "string", "",
        "The validity the request asks for (spec.expirationSeconds).", 0},
       {"Condition", "string", "",
        "Pending, Approved or Denied, then Failed and Issued when they apply.", 0}},
      &TypedRow<CertificateSigningRequest, &CsrRow>};
}

}  // namespace minik8s::printers
