#include "testing/client_certificate.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "pki/issue.h"
#include "pki/pem_file.h"

namespace minik8s::testing {

absl::StatusOr<pki::CertKeyPaths> IssueClientCertificate(const pki::CertKeyPaths& ca,
                                                         const std::string& dir,
                                                         const std::string& name,
                                                         std::vector<std::string> groups) {
  absl::StatusOr<pki::Certificate> cert = pki::LoadCertificateFile(ca.cert);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<pki::PrivateKey> key = pki::LoadPrivateKeyFile(ca.key);
  if (!key.ok()) return key.status();
  const pki::CertificateAuthority authority{*std::move(cert), *std::move(key)};
  absl::StatusOr<pki::IssuedCert> issued =
      pki::IssueWithNewKey(authority, pki::ClientSpec(name, std::move(groups)));
  if (!issued.ok()) return issued.status();
  pki::CertKeyPaths paths{absl::StrCat(dir, "/", name, ".crt"),
                          absl::StrCat(dir, "/", name, ".key")};
  if (absl::Status s = pki::WriteCertificateFile(paths.cert, issued->cert); !s.ok()) return s;
  if (absl::Status s = pki::WritePrivateKeyFile(paths.key, issued->key); !s.ok()) return s;
  return paths;
}

}  // namespace minik8s::testing
