#include "controllers/certificates/csr_util.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace minik8s::controllers {
namespace {

using minik8s::certificates::v1::CertificateSigningRequest;

std::vector<std::string> SortedSet(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

// Go's %v of a sorted string set: "[a b c]".
std::string SetText(const std::vector<std::string>& v) {
  return absl::StrCat("[", absl::StrJoin(SortedSet(v), " "), "]");
}

bool OrganizationIsNodes(const pki::CsrRequest& request) {
  return request.organizations.size() == 1 && request.organizations[0] == kNodesGroup;
}

}  // namespace

bool HasTrueCondition(const CertificateSigningRequest& csr, absl::string_view type) {
  for (const auto& c : csr.status().conditions()) {
    if (c.type() == type && (c.status().empty() || c.status() == "True")) return true;
  }
  return false;
}

bool IsCsrApproved(const CertificateSigningRequest& csr) {
  bool approved = false;
  bool denied = false;
  for (const auto& c : csr.status().conditions()) {
    approved = approved || c.type() == kCsrApproved;
    denied = denied || c.type() == kCsrDenied;
  }
  return approved && !denied;
}

bool UsagesEqual(const std::vector<std::string>& usages, std::vector<std::string> want) {
  return SortedSet(usages) == SortedSet(std::move(want));
}

absl::Status ValidateKubeletClientCsr(const pki::CsrRequest& request,
                                      const std::vector<std::string>& usages) {
  if (!OrganizationIsNodes(request)) {
    return absl::InvalidArgumentError("subject organization is not system:nodes");
  }
  if (!request.dns_names.empty()) {
    return absl::InvalidArgumentError("DNS subjectAltNames are not allowed");
  }
  if (!request.ip_addresses.empty()) {
    return absl::InvalidArgumentError("IP subjectAltNames are not allowed");
  }
  if (!absl::StartsWith(request.common_name, kNodeUserPrefix)) {
    return absl::InvalidArgumentError("subject common name does not begin with system:node:");
  }
  const std::vector<std::string> full = {kUsageDigitalSignature, kUsageKeyEncipherment,
                                         kUsageClientAuth};
  if (!UsagesEqual(usages, full) &&
      !UsagesEqual(usages, {kUsageDigitalSignature, kUsageClientAuth})) {
    return absl::InvalidArgumentError(absl::StrCat("usages did not match ", SetText(full)));
  }
  return absl::OkStatus();
}

absl::Status ValidateKubeletServingCsr(const pki::CsrRequest& request,
                                       const std::vector<std::string>& usages) {
  if (!OrganizationIsNodes(request)) {
    return absl::InvalidArgumentError("subject organization is not system:nodes");
  }
  if (request.dns_names.empty() && request.ip_addresses.empty()) {
    return absl::InvalidArgumentError("DNS or IP subjectAltName is required");
  }
  const std::vector<std::string> full = {kUsageDigitalSignature, kUsageKeyEncipherment,
                                         kUsageServerAuth};
  if (!UsagesEqual(usages, full) &&
      !UsagesEqual(usages, {kUsageDigitalSignature, kUsageServerAuth})) {
    return absl::InvalidArgumentError(absl::StrCat("usages did not match ", SetText(full)));
  }
  if (!absl::StartsWith(request.common_name, kNodeUserPrefix)) {
    return absl::InvalidArgumentError("subject common name does not begin with system:node:");
  }
  return absl::OkStatus();
}

absl::Status ValidateApiServerClientUsages(const std::vector<std::string>& usages) {
  bool client_auth = false;
  for (const std::string& u : usages) {
    if (u == kUsageClientAuth) {
      client_auth = true;
    } else if (u != kUsageDigitalSignature && u != kUsageKeyEncipherment) {
      return absl::InvalidArgumentError(absl::StrCat("invalid usage for client certificate: ", u));
    }
  }
  if (!client_auth) {
    return absl::InvalidArgumentError(
        absl::StrCat("missing required usage for client certificate: ", kUsageClientAuth));
  }
  return absl::OkStatus();
}

}  // namespace minik8s::controllers
