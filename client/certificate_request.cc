#include "client/certificate_request.h"

#include <openssl/sha.h>

#include <filesystem>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "k8s/certificates/v1/certificates.pb.h"
#include "pki/pem_file.h"
#include "spdlog/spdlog.h"

namespace minik8s::client {
namespace {

namespace certificates = minik8s::certificates::v1;

constexpr char kResource[] = "certificatesigningrequests";

// The condition that ends the wait without a certificate, if any.
const certificates::CertificateSigningRequestCondition* Refusal(
    const certificates::CertificateSigningRequest& csr) {
  for (const auto& c : csr.status().conditions()) {
    if ((c.type() == "Denied" || c.type() == "Failed") && c.status() == "True") return &c;
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<pki::PrivateKey> LoadOrCreatePrivateKey(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return pki::LoadPrivateKeyFile(path);
  absl::StatusOr<pki::PrivateKey> key = pki::PrivateKey::Generate();
  if (!key.ok()) return key.status();
  if (absl::Status s = pki::WritePrivateKeyFile(path, *key); !s.ok()) return s;
  return key;
}

std::string CsrObjectName(const std::string& prefix, const std::string& public_key_pem,
                          const std::string& salt) {
  const std::string input = absl::StrCat(public_key_pem, "\n", salt);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return absl::StrCat(prefix, absl::WebSafeBase64Escape(
                                  std::string(reinterpret_cast<char*>(digest), sizeof(digest))));
}

absl::StatusOr<pki::Certificate> RequestCertificate(ApiClient* api, const pki::PrivateKey& key,
                                                    const CertificateRequest& request,
                                                    const CertificateWait& wait) {
  const std::string& name = request.name;
  certificates::CertificateSigningRequest csr;
  csr.mutable_metadata()->set_name(name);
  csr.mutable_spec()->set_request(request.request);
  csr.mutable_spec()->set_signer_name(request.signer);
  for (const std::string& usage : request.usages) csr.mutable_spec()->add_usages(usage);
  certificates::CertificateSigningRequest stored;
  absl::Status created = api->Create(kResource, "", csr, &stored);
  if (api::IsAlreadyExists(created)) {
    created = api->Get(kResource, "", name, &stored);
    if (created.ok() && stored.spec().request() != request.request) {
      return absl::FailedPreconditionError(
          absl::StrCat("CertificateSigningRequest ", name, " exists with another request"));
    }
  }
  if (!created.ok()) {
    return absl::Status(created.code(),
                        absl::StrCat("cannot create the CertificateSigningRequest for ",
                                     request.subject, ": ", created.message()));
  }
  spdlog::info(
      "TLS bootstrap: CertificateSigningRequest {} (signer {}) for {} sent as {}; "
      "waiting for it to be approved and signed",
      name, request.signer, request.subject, stored.spec().username());
  const absl::Time deadline = absl::Now() + wait.timeout;
  while (stored.status().certificate().empty()) {
    if (const auto* refusal = Refusal(stored); refusal != nullptr) {
      return absl::PermissionDeniedError(absl::StrCat(
          "CertificateSigningRequest ", name, " was ", refusal->type(), ": ", refusal->reason(),
          refusal->message().empty() ? "" : ": ", refusal->message()));
    }
    if (wait.stopping()) return absl::CancelledError("stopped while waiting for a certificate");
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "CertificateSigningRequest ", name, " was not signed within ",
          absl::FormatDuration(wait.timeout),
          " (`mkctl get csr` shows it; `mkctl certificate approve ", name, "` approves it)"));
    }
    absl::SleepFor(wait.poll_interval);
    absl::Status got = api->Get(kResource, "", name, &stored);
    if (!got.ok()) spdlog::warn("TLS bootstrap: reading {}: {}", name, got.ToString());
  }
  absl::StatusOr<pki::Certificate> cert = pki::Certificate::FromPem(stored.status().certificate());
  if (!cert.ok()) return cert.status();
  if (!cert->MatchesKey(key)) {
    return absl::InternalError(
        absl::StrCat("the certificate issued for ", name, " does not match the requester's key"));
  }
  return cert;
}

bool UsableCertificate(const std::string& cert_file, const std::string& key_file,
                       absl::Duration min_remaining, const pki::Certificate* ca) {
  absl::StatusOr<pki::Certificate> cert = pki::LoadCertificateFile(cert_file);
  absl::StatusOr<pki::PrivateKey> key = pki::LoadPrivateKeyFile(key_file);
  if (!cert.ok() || !key.ok() || !cert->MatchesKey(*key)) return false;
  if (cert->NotAfter() - absl::Now() <= min_remaining) return false;
  return ca == nullptr || cert->VerifySignedBy(*ca).ok();
}

}  // namespace minik8s::client
