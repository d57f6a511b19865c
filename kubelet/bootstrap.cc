#include "kubelet/bootstrap.h"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/api_client.h"
#include "client/certificate_request.h"
#include "client/kubeconfig.h"
#include "pki/certificate.h"
#include "pki/csr.h"
#include "pki/key.h"
#include "pki/pem_file.h"
#include "spdlog/spdlog.h"

namespace minik8s::kubelet {
namespace {

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

client::CertificateWait Wait(const BootstrapOptions& options) {
  return {.timeout = options.timeout,
          .poll_interval = options.poll_interval,
          .stopping = options.stopping};
}

}  // namespace

std::string BootstrapCsrName(const std::string& public_key_pem, const std::string& node_name) {
  return client::CsrObjectName("node-csr-", public_key_pem, node_name);
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
  absl::StatusOr<pki::PrivateKey> key = client::LoadOrCreatePrivateKey(key_path);
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
  absl::StatusOr<pki::Certificate> cert =
      client::RequestCertificate(api->get(), *key,
                                 {.name = BootstrapCsrName(*public_pem, options.node_name),
                                  .request = *request,
                                  .signer = kKubeletClientSigner,
                                  .usages = {"digital signature", "client auth"},
                                  .subject = absl::StrCat("node ", options.node_name)},
                                 Wait(options));
  if (!cert.ok()) return cert.status();
  if (absl::Status s = pki::WriteCertificateFile(cert_path, *cert); !s.ok()) return s;

  client::KubeconfigSpec spec{
      .name = "default",
      .comment = "# Written by minik8s-kubelet's TLS bootstrap.\n",
      .server = bootstrap->server,
      .grpc_server = bootstrap->grpc_server,
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
  absl::StatusOr<pki::PrivateKey> key = client::LoadOrCreatePrivateKey(key_path);
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
  absl::StatusOr<pki::Certificate> cert = client::RequestCertificate(
      api->get(), *key,
      {.name = BootstrapCsrName(absl::StrCat(*public_pem, node_ip), options.node_name),
       .request = *request,
       .signer = kKubeletServingSigner,
       .usages = {"digital signature", "server auth"},
       .subject = absl::StrCat("node ", options.node_name, "'s serving certificate")},
      Wait(options));
  if (!cert.ok()) return cert.status();
  if (absl::Status s = pki::WriteCertificateFile(cert_path, *cert); !s.ok()) return s;
  spdlog::info("TLS bootstrap: serving certificate {} for {} (serial {}) written", cert_path,
               node_ip, cert->SerialHex());
  return files;
}

}  // namespace minik8s::kubelet
