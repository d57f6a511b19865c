#include "kubelet/bootstrap.h"

#include <openssl/sha.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "client/api_client.h"
#include "client/kubeconfig.h"
#include "k8s/certificates/v1/certificates.pb.h"
#include "pki/certificate.h"
#include "pki/csr.h"
#include "pki/key.h"
#include "pki/pem_file.h"
#include "spdlog/spdlog.h"

namespace minik8s::kubelet {
namespace {

namespace certificates = minik8s::certificates::v1;

constexpr char kResource[] = "certificatesigningrequests";
constexpr absl::Duration kMinRemaining = absl::Minutes(1);

std::string Join(const std::string& dir, const char* file) {
  return (std::filesystem::path(dir) / file).string();
}

// Whether --kubeconfig already names a usable client certificate.
bool HaveClientCertificate(const std::string& kubeconfig) {
  std::error_code ec;
  if (!std::filesystem::exists(kubeconfig, ec)) return false;
  absl::StatusOr<client::ApiClientOptions> options =
      client::ApiClientOptionsFromKubeconfig(kubeconfig);
  if (!options.ok() || !options->tls.has_value() || options->tls->cert_file.empty()) {
    spdlog::warn("{} holds no client certificate; bootstrapping a new one", kubeconfig);
    return false;
  }
  absl::StatusOr<pki::Certificate> cert = pki::LoadCertificateFile(options->tls->cert_file);
  absl::StatusOr<pki::PrivateKey> key = pki::LoadPrivateKeyFile(options->tls->key_file);
  if (!cert.ok() || !key.ok() || !cert->MatchesKey(*key)) {
    spdlog::warn("the client certificate of {} cannot be used; bootstrapping a new one",
                 kubeconfig);
    return false;
  }
  if (cert->NotAfter() - absl::Now() < kMinRemaining) {
    spdlog::warn("the client certificate of {} has expired; bootstrapping a new one", kubeconfig);
    return false;
  }
  return true;
}

absl::StatusOr<pki::PrivateKey> LoadOrCreateKey(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return pki::LoadPrivateKeyFile(path);
  absl::StatusOr<pki::PrivateKey> key = pki::PrivateKey::Generate();
  if (!key.ok()) return key.status();
  if (absl::Status s = pki::WritePrivateKeyFile(path, *key); !s.ok()) return s;
  return key;
}

// The condition that ends the wait without a certificate, if any.
const certificates::CertificateSigningRequestCondition* Refusal(
    const certificates::CertificateSigningRequest& csr) {
  for (const auto& c : csr.status().conditions()) {
    if ((c.type() == "Denied" || c.type() == "Failed") && c.status() == "True") return &c;
  }
  return nullptr;
}

// Sends `request` (for `key`) as CSR `name` and waits until it is signed.
absl::StatusOr<pki::Certificate> RequestCertificate(
    client::ApiClient* api, const pki::PrivateKey& key, const std::string& request,
    const std::string& signer, const std::vector<std::string>& usages, const std::string& name,
    const BootstrapOptions& options) {
  certificates::CertificateSigningRequest csr;
  csr.mutable_metadata()->set_name(name);
  csr.mutable_spec()->set_request(request);
  csr.mutable_spec()->set_signer_name(signer);
  for (const std::string& usage : usages) csr.mutable_spec()->add_usages(usage);
  certificates::CertificateSigningRequest stored;
  absl::Status created = api->Create(kResource, "", csr, &stored);
  if (api::IsAlreadyExists(created)) {
    created = api->Get(kResource, "", name, &stored);
    if (created.ok() && stored.spec().request() != request) {
      return absl::FailedPreconditionError(
          absl::StrCat("CertificateSigningRequest ", name, " exists with another request"));
    }
  }
  if (!created.ok()) {
    return absl::Status(created.code(),
                        absl::StrCat("cannot create the CertificateSigningRequest for node ",
                                     options.node_name, ": ", created.message()));
  }
  spdlog::info(
      "TLS bootstrap: CertificateSigningRequest {} (signer {}) for system:node:{} sent as {}; "
      "waiting for it to be approved and signed",
      name, signer, options.node_name, stored.spec().username());
  const absl::Time deadline = absl::Now() + options.timeout;
  while (stored.status().certificate().empty()) {
    if (const auto* refusal = Refusal(stored); refusal != nullptr) {
      return absl::PermissionDeniedError(absl::StrCat(
          "CertificateSigningRequest ", name, " was ", refusal->type(), ": ", refusal->reason(),
          refusal->message().empty() ? "" : ": ", refusal->message()));
    }
    if (options.stopping()) return absl::CancelledError("stopped while waiting for a certificate");
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("CertificateSigningRequest ", name, " was not signed within ",
                       absl::FormatDuration(options.timeout),
                       " (`mkctl get csr` shows it; `mkctl certificate "
                       "approve ",
                       name, "` approves it)"));
    }
    absl::SleepFor(options.poll_interval);
    absl::Status got = api->Get(kResource, "", name, &stored);
    if (!got.ok()) spdlog::warn("TLS bootstrap: reading {}: {}", name, got.ToString());
  }
  absl::StatusOr<pki::Certificate> cert = pki::Certificate::FromPem(stored.status().certificate());
  if (!cert.ok()) return cert.status();
  if (!cert->MatchesKey(key)) {
    return absl::InternalError(
        absl::StrCat("the certificate issued for ", name, " does not match the kubelet's key"));
  }
  return cert;
}

}  // namespace

std::string BootstrapCsrName(const std::string& public_key_pem, const std::string& node_name) {
  const std::string input = absl::StrCat(public_key_pem, "\n", node_name);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return absl::StrCat("node-csr-", absl::WebSafeBase64Escape(std::string(
                                       reinterpret_cast<char*>(digest), sizeof(digest))));
}

absl::Status BootstrapClientCertificate(const BootstrapOptions& options) {
  if (HaveClientCertificate(options.kubeconfig)) return absl::OkStatus();
  if (options.bootstrap_kubeconfig.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(options.kubeconfig,
                                                      " holds no usable client certificate and no "
                                                      "--bootstrap-kubeconfig was given"));
  }
  absl::StatusOr<client::ApiClientOptions> bootstrap =
      client::ApiClientOptionsFromKubeconfig(options.bootstrap_kubeconfig);
  if (!bootstrap.ok()) return bootstrap.status();
  if (bootstrap->bearer_token.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(options.bootstrap_kubeconfig, ": the current user has no token"));
  }
  if (absl::Status s = pki::EnsurePrivateDirectory(options.cert_dir); !s.ok()) return s;
  const std::string key_path = Join(options.cert_dir, "kubelet-client.key");
  const std::string cert_path = Join(options.cert_dir, "kubelet-client.crt");
  absl::StatusOr<pki::PrivateKey> key = LoadOrCreateKey(key_path);
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> public_pem = key->PublicKeyPem();
  if (!public_pem.ok()) return public_pem.status();
  absl::StatusOr<std::string> request =
      pki::CreateCsr(*key, {.common_name = absl::StrCat("system:node:", options.node_name),
                            .organizations = {"system:nodes"}});
  if (!request.ok()) return request.status();

  bootstrap->user_agent = "minik8s-kubelet/bootstrap";
  absl::StatusOr<std::unique_ptr<client::ApiClient>> api = client::ApiClient::Connect(*bootstrap);
  if (!api.ok()) return api.status();
  absl::StatusOr<pki::Certificate> cert = RequestCertificate(
      api->get(), *key, *request, kKubeletClientSigner, {"digital signature", "client auth"},
      BootstrapCsrName(*public_pem, options.node_name), options);
  if (!cert.ok()) return cert.status();
  if (absl::Status s = pki::WriteCertificateFile(cert_path, *cert); !s.ok()) return s;

  client::KubeconfigSpec spec{
      .name = "default",
      .comment = "# Written by minik8s-kubelet's TLS bootstrap.\n",
      .server = bootstrap->server,
      .client_certificate = cert_path,
      .client_key = key_path,
  };
  if (bootstrap->tls.has_value() && !bootstrap->tls->ca_file.empty()) {
    spec.certificate_authority = bootstrap->tls->ca_file;
  } else if (bootstrap->tls.has_value() && !bootstrap->tls->ca_pem.empty()) {
    spec.certificate_authority = Join(options.cert_dir, "ca.crt");
    absl::Status s =
        pki::WriteFileAtomically(spec.certificate_authority, bootstrap->tls->ca_pem, 0644);
    if (!s.ok()) return s;
  }
  if (absl::Status s =
          pki::WriteFileAtomically(options.kubeconfig, client::KubeconfigText(spec), 0600);
      !s.ok()) {
    return s;
  }
  spdlog::info("TLS bootstrap: certificate {} (serial {}, until {}) written; kubeconfig {}",
               cert_path, cert->SerialHex(), absl::FormatTime(cert->NotAfter()),
               options.kubeconfig);
  return absl::OkStatus();
}

absl::StatusOr<ServingFiles> BootstrapServingCertificate(const BootstrapOptions& options,
                                                         const std::string& node_ip) {
  const std::string key_path = Join(options.cert_dir, "kubelet.key");
  const std::string cert_path = Join(options.cert_dir, "kubelet.crt");
  absl::StatusOr<client::ApiClientOptions> api_options =
      client::ApiClientOptionsFromKubeconfig(options.kubeconfig);
  if (!api_options.ok()) return api_options.status();
  ServingFiles files{
      .cert_file = cert_path,
      .key_file = key_path,
      .client_ca_file = api_options->tls.has_value() ? api_options->tls->ca_file : std::string()};
  if (files.client_ca_file.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(options.kubeconfig, " names no CA file to check clients against"));
  }
  // A certificate from an earlier start that still names this address.
  {
    absl::StatusOr<pki::Certificate> cert = pki::LoadCertificateFile(cert_path);
    absl::StatusOr<pki::PrivateKey> key = pki::LoadPrivateKeyFile(key_path);
    if (cert.ok() && key.ok() && cert->MatchesKey(*key) &&
        cert->NotAfter() - absl::Now() > kMinRemaining) {
      std::vector<std::string> ips = cert->IpAddresses();
      if (std::find(ips.begin(), ips.end(), node_ip) != ips.end()) return files;
    }
  }
  if (absl::Status s = pki::EnsurePrivateDirectory(options.cert_dir); !s.ok()) return s;
  absl::StatusOr<pki::PrivateKey> key = LoadOrCreateKey(key_path);
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> public_pem = key->PublicKeyPem();
  if (!public_pem.ok()) return public_pem.status();
  absl::StatusOr<std::string> request =
      pki::CreateCsr(*key, {.common_name = absl::StrCat("system:node:", options.node_name),
                            .organizations = {"system:nodes"},
                            .dns_names = {options.node_name},
                            .ip_addresses = {node_ip}});
  if (!request.ok()) return request.status();
  api_options->user_agent = "minik8s-kubelet/serving-bootstrap";
  absl::StatusOr<std::unique_ptr<client::ApiClient>> api = client::ApiClient::Connect(*api_options);
  if (!api.ok()) return api.status();
  absl::StatusOr<pki::Certificate> cert = RequestCertificate(
      api->get(), *key, *request, kKubeletServingSigner, {"digital signature", "server auth"},
      BootstrapCsrName(absl::StrCat(*public_pem, node_ip), options.node_name), options);
  if (!cert.ok()) return cert.status();
  if (absl::Status s = pki::WriteCertificateFile(cert_path, *cert); !s.ok()) return s;
  spdlog::info("TLS bootstrap: serving certificate {} for {} (serial {}) written", cert_path,
               node_ip, cert->SerialHex());
  return files;
}

}  // namespace minik8s::kubelet
