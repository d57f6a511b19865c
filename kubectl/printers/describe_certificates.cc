#include "kubectl/printers/describe_certificates.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "kubectl/printers/describe.h"
#include "kubectl/printers/table.h"
#include "pki/pem_check.h"
#include "printers/duration.h"
#include "printers/format.h"

namespace minik8s::kubectl {
namespace {

// `<prefix><name>:\t<v1>\n<prefix>\t<v2>...`; nothing for no values.
void List(std::string* out, const std::string& prefix, const std::string& name,
          const std::vector<std::string>& values) {
  if (values.empty()) return;
  absl::StrAppend(out, prefix, name, ":\t", absl::StrJoin(values, absl::StrCat("\n", prefix, "\t")),
                  "\n");
}

}  // namespace

std::string CsrCondition(const certificates::v1::CertificateSigningRequest& csr) {
  bool approved = false, denied = false, failed = false;
  for (const auto& c : csr.status().conditions()) {
    approved |= c.type() == "Approved";
    denied |= c.type() == "Denied";
    failed |= c.type() == "Failed";
  }
  std::string out = denied ? "Denied" : approved ? "Approved" : "Pending";
  if (failed) out += ",Failed";
  if (!csr.status().certificate().empty()) out += ",Issued";
  return out;
}

absl::StatusOr<std::string> DescribeCertificateSigningRequest(
    const certificates::v1::CertificateSigningRequest& csr,
    const std::vector<core::v1::Event>& events, absl::Time now) {
  absl::StatusOr<pki::CertificateRequestInfo> cr =
      pki::DescribeCertificateRequest(csr.spec().request());
  if (!cr.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("Error parsing CSR: ", cr.status().message()));
  }
  const auto& meta = csr.metadata();
  const auto& spec = csr.spec();
  std::string out;
  absl::StrAppend(&out, "Name:\t", meta.name(), "\n");
  absl::StrAppend(&out, "Labels:\t", printers::LabelsColumn(meta.labels()), "\n");
  absl::StrAppend(&out, "Annotations:\t", printers::LabelsColumn(meta.annotations()), "\n");
  absl::StrAppend(&out, "CreationTimestamp:\t", FormatRfc1123z(meta.creation_timestamp()), "\n");
  absl::StrAppend(&out, "Requesting User:\t", spec.username(), "\n");
  if (!spec.signer_name().empty()) absl::StrAppend(&out, "Signer:\t", spec.signer_name(), "\n");
  if (spec.has_expiration_seconds()) {
    absl::StrAppend(&out, "Requested Duration:\t",
                    printers::HumanDuration(absl::Seconds(spec.expiration_seconds())), "\n");
  }
  absl::StrAppend(&out, "Status:\t", CsrCondition(csr), "\n");
  absl::StrAppend(&out, "Subject:\n");
  absl::StrAppend(&out, "\tCommon Name:\t", cr->common_name, "\n");
  absl::StrAppend(&out, "\tSerial Number:\t", cr->serial_number, "\n");
  List(&out, "\t", "Organization", cr->organizations);
  List(&out, "\t", "Organizational Unit", cr->organizational_units);
  List(&out, "\t", "Country", cr->countries);
  List(&out, "\t", "Locality", cr->localities);
  List(&out, "\t", "Province", cr->provinces);
  List(&out, "\t", "StreetAddress", cr->street_addresses);
  List(&out, "\t", "PostalCode", cr->postal_codes);
  if (cr->dns_names.size() + cr->email_addresses.size() + cr->ip_addresses.size() +
          cr->uris.size() >
      0) {
    absl::StrAppend(&out, "Subject Alternative Names:\n");
    List(&out, "\t", "DNS Names", cr->dns_names);
    List(&out, "\t", "Email Addresses", cr->email_addresses);
    List(&out, "\t", "URIs", cr->uris);
    List(&out, "\t", "IP Addresses", cr->ip_addresses);
  }
  // Go's tabwriter aligns "Events:\t<none>" with the lines above it; an
  // Events table starts a block of its own (describe.h).
  if (events.empty()) return TabAlign(absl::StrCat(out, "Events:\t<none>\n"), 0, 2);
  return absl::StrCat(TabAlign(out, 0, 2), DescribeEvents(events, now));
}

}  // namespace minik8s::kubectl
