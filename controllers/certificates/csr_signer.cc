#include "controllers/certificates/csr_signer.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "api/time.h"
#include "common/status_macros.h"
#include "controllers/certificates/csr_util.h"
#include "pki/csr.h"
#include "pki/pem_file.h"
#include "spdlog/spdlog.h"

namespace minik8s::controllers {
namespace {

using minik8s::certificates::v1::CertificateSigningRequest;

// Long-lived certificates end Backdate early; shorter ones do not (5 minutes
// of 8 hours is about 1%), as Kubernetes' PermissiveSigningPolicy.
constexpr absl::Duration kShortCertificate = absl::Hours(8);

std::vector<std::string> UsagesOf(const CertificateSigningRequest& csr) {
  return {csr.spec().usages().begin(), csr.spec().usages().end()};
}

bool HasUsage(const CertificateSigningRequest& csr, absl::string_view usage) {
  const auto& u = csr.spec().usages();
  return std::find(u.begin(), u.end(), usage) != u.end();
}

}  // namespace

absl::Duration CertificateDuration(std::optional<int32_t> expiration_seconds, absl::Duration max) {
  if (!expiration_seconds.has_value()) return max;
  const absl::Duration asked = absl::Seconds(*expiration_seconds);
  if (asked > max) return max;
  if (asked < kMinCertificateDuration) return kMinCertificateDuration;
  return asked;
}

bool IsBuiltInSigner(absl::string_view signer_name) {
  return signer_name == kKubeApiServerClientKubeletSignerName ||
         signer_name == kKubeApiServerClientSignerName || signer_name == kKubeletServingSignerName;
}

absl::Status CheckSignerRules(const CertificateSigningRequest& csr) {
  const std::string& signer = csr.spec().signer_name();
  if (!IsBuiltInSigner(signer)) {
    return absl::InvalidArgumentError(absl::StrCat("unrecognized signerName: \"", signer, "\""));
  }
  ASSIGN_OR_RETURN(pki::CsrRequest request, pki::ParseCsr(csr.spec().request()));
  if (signer == kKubeApiServerClientKubeletSignerName) {
    return ValidateKubeletClientCsr(request, UsagesOf(csr));
  }
  if (signer == kKubeletServingSignerName) {
    return ValidateKubeletServingCsr(request, UsagesOf(csr));
  }
  return ValidateApiServerClientUsages(UsagesOf(csr));
}

absl::StatusOr<std::unique_ptr<CsrSigner>> CsrSigner::FromFiles(const std::string& cert_file,
                                                                const std::string& key_file,
                                                                CsrClient* client,
                                                                absl::Duration duration) {
  absl::StatusOr<pki::Certificate> cert = pki::LoadCertificateFile(cert_file);
  if (!cert.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--cluster-signing-cert-file: ", cert.status().message()));
  }
  absl::StatusOr<pki::PrivateKey> key = pki::LoadPrivateKeyFile(key_file);
  if (!key.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--cluster-signing-key-file: ", key.status().message()));
  }
  if (!cert->IsCa()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--cluster-signing-cert-file: ", cert_file, " is not a CA certificate"));
  }
  if (!cert->MatchesKey(*key)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--cluster-signing-key-file: ", key_file, " is not the key of ", cert_file));
  }
  return std::make_unique<CsrSigner>(pki::CertificateAuthority{*std::move(cert), *std::move(key)},
                                     client, duration);
}

absl::StatusOr<std::string> CsrSigner::Sign(const CertificateSigningRequest& csr) const {
  const absl::Duration ttl = CertificateDuration(
      csr.spec().has_expiration_seconds() ? std::optional<int32_t>(csr.spec().expiration_seconds())
                                          : std::nullopt,
      duration_);
  absl::Duration validity = ttl < kShortCertificate ? ttl : ttl - pki::kNotBeforeBackdate;
  const absl::Time now = absl::Now();
  const absl::Time ca_end = ca_.cert.NotAfter();
  if (now - pki::kNotBeforeBackdate >= ca_end || now >= ca_end) {
    return absl::FailedPreconditionError(
        absl::StrCat("the signer has expired: NotAfter=", absl::FormatTime(ca_end)));
  }
  // None outlives the CA (a second of slack: the certificate's own "now"
  // comes a moment later and its times have whole seconds).
  if (now + validity > ca_end)
    validity = std::max(ca_end - now - absl::Seconds(1), absl::Seconds(1));
  pki::CsrSigningOptions options;
  options.server_auth = HasUsage(csr, kUsageServerAuth);
  options.client_auth = HasUsage(csr, kUsageClientAuth);
  options.validity = validity;
  ASSIGN_OR_RETURN(pki::Certificate cert, pki::SignCsr(ca_, csr.spec().request(), options));
  return cert.ToPem();
}

absl::Status CsrSigner::Handle(const CertificateSigningRequest& csr) {
  if (!csr.status().certificate().empty()) return absl::OkStatus();
  if (!IsCsrApproved(csr) || HasTrueCondition(csr, kCsrFailed)) return absl::OkStatus();
  if (!IsBuiltInSigner(csr.spec().signer_name())) return absl::OkStatus();
  CertificateSigningRequest out = csr;
  if (absl::Status rules = CheckSignerRules(csr); !rules.ok()) {
    auto* condition = out.mutable_status()->add_conditions();
    condition->set_type(kCsrFailed);
    condition->set_status("True");
    condition->set_reason(kSignerValidationFailureReason);
    condition->set_message(std::string(rules.message()));
    const auto now = api::ToProtoTime(absl::Now());
    *condition->mutable_last_update_time() = now;
    *condition->mutable_last_transition_time() = now;
    absl::StatusOr<CertificateSigningRequest> updated = client_->UpdateStatus(out);
    if (!updated.ok()) {
      return absl::Status(updated.status().code(),
                          absl::StrCat("error adding failure condition for csr \"",
                                       csr.metadata().name(), "\": ", updated.status().message()));
    }
    spdlog::info("csrsigning: {} failed {}'s rules: {}", csr.metadata().name(),
                 csr.spec().signer_name(), std::string(rules.message()));
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> pem = Sign(csr);
  if (!pem.ok()) {
    return absl::Status(pem.status().code(),
                        absl::StrCat("error auto signing csr \"", csr.metadata().name(),
                                     "\": ", pem.status().message()));
  }
  out.mutable_status()->set_certificate(*pem);
  absl::StatusOr<CertificateSigningRequest> updated = client_->UpdateStatus(out);
  if (!updated.ok()) {
    return absl::Status(updated.status().code(),
                        absl::StrCat("error updating signature for csr \"", csr.metadata().name(),
                                     "\": ", updated.status().message()));
  }
  spdlog::info("csrsigning: signed {} ({}) for {}", csr.metadata().name(), csr.spec().signer_name(),
               csr.spec().username());
  return absl::OkStatus();
}

}  // namespace minik8s::controllers
