#include "cluster/join.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "api/bootstrap_token.h"
#include "api/errors.h"
#include "api/time.h"
#include "client/certificate_request.h"
#include "client/kubeconfig.h"
#include "cluster/kubeconfig.h"
#include "cluster/launcher.h"
#include "cluster/plan.h"
#include "cluster/state_file.h"
#include "k8s/core/v1/core.pb.h"
#include "k8s/rbac/v1/rbac.pb.h"
#include "pki/csr.h"
#include "pki/pem_file.h"
#include "pki/pin.h"
#include "spdlog/spdlog.h"

namespace minik8s::cluster {
namespace {

namespace authn = minik8s::api;
using minik8s::core::v1::Secret;

constexpr absl::Duration kMinTokenLife = absl::Hours(1);
constexpr char kKubeProxyUser[] = "system:kube-proxy";
constexpr char kKubeApiServerClientSigner[] = "kubernetes.io/kube-apiserver-client";

void Out(const std::string& text) { std::cout << text << std::flush; }
void Err(const std::string& text) { std::cerr << "minik8s: " << text << "\n"; }

const std::string* DataOf(const Secret& secret, const char* key) {
  auto it = secret.data().find(key);
  return it == secret.data().end() ? nullptr : &it->second;
}

// The default token's "<id>.<secret>" when `secret` is one with life left.
std::optional<std::string> UsableDefaultToken(const Secret& secret, absl::Time now) {
  if (secret.type() != authn::kBootstrapTokenSecretType) return std::nullopt;
  const std::string* description = DataOf(secret, authn::kBootstrapTokenDescriptionKey);
  const std::string* id = DataOf(secret, authn::kBootstrapTokenIdKey);
  const std::string* token_secret = DataOf(secret, authn::kBootstrapTokenSecretKey);
  const std::string* expiration = DataOf(secret, authn::kBootstrapTokenExpirationKey);
  if (description == nullptr || *description != kDefaultNodeTokenDescription || id == nullptr ||
      token_secret == nullptr || expiration == nullptr) {
    return std::nullopt;
  }
  absl::StatusOr<absl::Time> until = api::ParseRfc3339(*expiration);
  if (!until.ok() || *until - now < kMinTokenLife) return std::nullopt;
  const std::string token = absl::StrCat(*id, ".", *token_secret);
  if (!authn::ParseBootstrapToken(token).has_value()) return std::nullopt;
  return token;
}

absl::Status EnsureBinding(client::ApiClient* admin, const std::string& name,
                           const std::string& cluster_role, const std::string& group) {
  rbac::v1::ClusterRoleBinding binding;
  binding.mutable_metadata()->set_name(name);
  (*binding.mutable_metadata()->mutable_labels())["app.kubernetes.io/managed-by"] = "minik8s";
  binding.mutable_role_ref()->set_api_group("rbac.authorization.k8s.io");
  binding.mutable_role_ref()->set_kind("ClusterRole");
  binding.mutable_role_ref()->set_name(cluster_role);
  auto* subject = binding.add_subjects();
  subject->set_kind("Group");
  subject->set_api_group("rbac.authorization.k8s.io");
  subject->set_name(group);
  rbac::v1::ClusterRoleBinding out;
  absl::Status s = admin->Create("clusterrolebindings", "", binding, &out);
  if (s.ok() || api::IsAlreadyExists(s)) return absl::OkStatus();
  return absl::Status(s.code(), absl::StrCat("ClusterRoleBinding ", name, ": ", s.message()));
}

// The host part of "https://host:port" and the port.
absl::Status SplitServer(const std::string& server, std::string* host, int* port,
                         const char* flag = "--server") {
  absl::string_view rest = server;
  if (!absl::ConsumePrefix(&rest, "https://")) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " ", server, ": must be https://HOST:PORT"));
  }
  absl::ConsumeSuffix(&rest, "/");
  const size_t colon = rest.rfind(':');
  if (colon == absl::string_view::npos || !absl::SimpleAtoi(rest.substr(colon + 1), port) ||
      *port <= 0 || *port > 65535 || colon == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " ", server, ": must be https://HOST:PORT"));
  }
  *host = std::string(rest.substr(0, colon));
  return absl::OkStatus();
}

std::string OpenSslError() {
  const unsigned long e = ERR_get_error();
  if (e == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  return buf;
}

// The service proxy's kubeconfig `proxy_conf`: the server and CA of
// `bootstrap_conf` with the client certificate <pki>/kube-proxy.crt
// (CN=system:kube-proxy, the user Kubernetes binds to system:node-proxier).
// A certificate from an earlier start that the CA signed and that is valid
// for more than a minute is kept; otherwise it is asked for with a CSR for
// signer kubernetes.io/kube-apiserver-client, sent with the bootstrap
// token, which the controller-manager approves (csr_approver.h,
// kubeproxyclient) and signs.
absl::Status EnsureProxyKubeconfig(const std::string& bootstrap_conf, const std::string& pki_dir,
                                   const pki::Certificate& ca, const std::string& node_name,
                                   absl::Duration timeout, const std::string& proxy_conf) {
  const std::string key_path = absl::StrCat(pki_dir, "/kube-proxy.key");
  const std::string cert_path = absl::StrCat(pki_dir, "/kube-proxy.crt");
  absl::StatusOr<client::ApiClientOptions> bootstrap =
      client::ApiClientOptionsFromKubeconfig(bootstrap_conf);
  if (!bootstrap.ok()) return bootstrap.status();
  if (!bootstrap->tls.has_value() || bootstrap->tls->ca_file.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(bootstrap_conf, " names no CA file"));
  }
  if (!client::UsableCertificate(cert_path, key_path, absl::Minutes(1), &ca)) {
    absl::StatusOr<pki::PrivateKey> key = client::LoadOrCreatePrivateKey(key_path);
    if (!key.ok()) return key.status();
    absl::StatusOr<std::string> public_pem = key->PublicKeyPem();
    if (!public_pem.ok()) return public_pem.status();
    absl::StatusOr<std::string> request = pki::CreateCsr(*key, {.common_name = kKubeProxyUser});
    if (!request.ok()) return request.status();
    bootstrap->user_agent = "minik8s/join";
    absl::StatusOr<std::unique_ptr<client::ApiClient>> api = client::ApiClient::Connect(*bootstrap);
    if (!api.ok()) return api.status();
    absl::StatusOr<pki::Certificate> cert = client::RequestCertificate(
        api->get(), *key,
        {.name = client::CsrObjectName("kube-proxy-csr-", *public_pem, node_name),
         .request = *request,
         .signer = kKubeApiServerClientSigner,
         .usages = {"digital signature", "client auth"},
         .subject = absl::StrCat("the service proxy of node ", node_name)},
        {.timeout = timeout});
    if (!cert.ok()) return cert.status();
    if (absl::Status s = pki::WriteCertificateFile(cert_path, *cert); !s.ok()) return s;
  }
  const std::string text = client::KubeconfigText({
      .name = "minik8s",
      .comment = "# Written by `minik8s join`: the node's service proxy, as system:kube-proxy.\n",
      .server = bootstrap->server,
      .grpc_server = bootstrap->grpc_server,
      .certificate_authority = bootstrap->tls->ca_file,
      .client_certificate = cert_path,
      .client_key = key_path,
  });
  return pki::WriteFileAtomically(proxy_conf, text, 0600);
}

}  // namespace

absl::StatusOr<std::string> EnsureJoinToken(client::ApiClient* admin, absl::Time now) {
  for (const auto& [name, role, group] :
       {std::tuple{"minik8s:kubelet-bootstrap", "system:node-bootstrapper", kDefaultNodeTokenGroup},
        std::tuple{"minik8s:node-autoapprove-bootstrap",
                   "system:certificates.k8s.io:certificatesigningrequests:nodeclient",
                   kDefaultNodeTokenGroup},
        std::tuple{"minik8s:node-autoapprove-certificate-rotation",
                   "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
                   "system:nodes"},
        std::tuple{"minik8s:node-autoapprove-kube-proxy",
                   "minik8s:certificatesigningrequests:kubeproxyclient", kDefaultNodeTokenGroup}}) {
    if (absl::Status s = EnsureBinding(admin, name, role, group); !s.ok()) return s;
  }
  absl::StatusOr<client::ObjectList> listed =
      admin->List("secrets", authn::kBootstrapTokenNamespace, {}, Secret::default_instance());
  if (!listed.ok()) return listed.status();
  for (const client::ObjectPtr& item : listed->items) {
    const auto& secret = static_cast<const Secret&>(*item);
    if (std::optional<std::string> token = UsableDefaultToken(secret, now)) return *token;
  }
  return CreateJoinToken(admin, kDefaultTokenTtl, kDefaultNodeTokenDescription, now);
}

absl::StatusOr<std::string> CreateJoinToken(client::ApiClient* admin, absl::Duration ttl,
                                            const std::string& description, absl::Time now) {
  absl::StatusOr<authn::BootstrapToken> token = authn::GenerateBootstrapToken();
  if (!token.ok()) return token.status();
  Secret secret;
  secret.mutable_metadata()->set_name(absl::StrCat(authn::kBootstrapTokenSecretPrefix, token->id));
  secret.mutable_metadata()->set_namespace_(authn::kBootstrapTokenNamespace);
  secret.set_type(authn::kBootstrapTokenSecretType);
  auto& data = *secret.mutable_data();
  if (!description.empty()) data[authn::kBootstrapTokenDescriptionKey] = description;
  data[authn::kBootstrapTokenIdKey] = token->id;
  data[authn::kBootstrapTokenSecretKey] = token->secret;
  if (ttl > absl::ZeroDuration()) {
    data[authn::kBootstrapTokenExpirationKey] = api::FormatRfc3339(now + ttl);
  }
  data[authn::kBootstrapTokenUsageAuthenticationKey] = "true";
  data[authn::kBootstrapTokenUsageSigningKey] = "true";
  data[authn::kBootstrapTokenExtraGroupsKey] = kDefaultNodeTokenGroup;
  Secret out;
  if (absl::Status s = admin->Create("secrets", authn::kBootstrapTokenNamespace, secret, &out);
      !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("bootstrap token: ", s.message()));
  }
  return absl::StrCat(token->id, ".", token->secret);
}

std::string JoinCommand(const std::string& apiserver_address, const std::string& token,
                        const std::string& ca_cert_hash, const std::string& grpc_server) {
  return absl::StrCat("minik8s join --server https://", apiserver_address,
                      grpc_server.empty() ? "" : " --grpc-server ", grpc_server, " --token ", token,
                      " --ca-cert-hash ", ca_cert_hash);
}

std::string ClusterGrpcServer(const std::string& data_dir) {
  absl::StatusOr<client::ApiClientOptions> options = client::ApiClientOptionsFromKubeconfig(
      ComponentKubeconfigPath(data_dir, "controller-manager"));
  return options.ok() ? options->grpc_server : "";
}

absl::StatusOr<pki::Certificate> DiscoverClusterCa(const std::string& host, int port,
                                                   const std::string& ca_cert_hash,
                                                   absl::Duration timeout) {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()),
                                                        SSL_CTX_free);
  if (ctx == nullptr) return absl::InternalError("cannot create a TLS context");
  // Nothing is trusted yet: the chain is checked against the pin below.
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  std::unique_ptr<BIO, decltype(&BIO_free_all)> bio(BIO_new_ssl_connect(ctx.get()), BIO_free_all);
  if (bio == nullptr) return absl::InternalError("cannot create a TLS connection");
  const std::string target = absl::StrCat(host, ":", port);
  BIO_set_conn_hostname(bio.get(), target.c_str());
  SSL* ssl = nullptr;
  BIO_get_ssl(bio.get(), &ssl);
  static const unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  SSL_set_alpn_protos(ssl, kAlpn, sizeof(kAlpn));
  BIO_set_nbio(bio.get(), 1);
  const absl::Time deadline = absl::Now() + timeout;
  while (BIO_do_handshake(bio.get()) <= 0) {
    if (!BIO_should_retry(bio.get())) {
      return absl::UnavailableError(
          absl::StrCat("cannot reach the apiserver at ", target, ": ", OpenSslError()));
    }
    if (absl::Now() > deadline) {
      return absl::UnavailableError(
          absl::StrCat("no TLS answer from ", target, " within ", absl::FormatDuration(timeout)));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl);
  if (chain == nullptr || sk_X509_num(chain) == 0) {
    return absl::PermissionDeniedError(absl::StrCat(target, " presented no certificate"));
  }
  std::vector<pki::Certificate> presented;
  for (int i = 0; i < sk_X509_num(chain); ++i) {
    X509* cert = sk_X509_value(chain, i);
    X509_up_ref(cert);
    presented.emplace_back(pki::X509Ptr(cert));
  }
  const pki::Certificate* ca = nullptr;
  for (const pki::Certificate& cert : presented) {
    if (cert.IsCa() && pki::VerifyCaCertHash(cert, ca_cert_hash).ok()) ca = &cert;
  }
  if (absl::Status pin = pki::VerifyCaCertHash(presented.front(), ca_cert_hash);
      ca == nullptr && absl::IsInvalidArgument(pin)) {
    return pin;  // a malformed --ca-cert-hash
  }
  if (ca == nullptr) {
    return absl::PermissionDeniedError(absl::StrCat(
        "the apiserver at ", target, " presented no CA with the public key ", ca_cert_hash,
        ": refusing to trust it (is --ca-cert-hash the one `minik8s up` printed?)"));
  }
  const pki::Certificate& leaf = presented.front();
  if (absl::Status s = leaf.VerifySignedBy(*ca); !s.ok()) {
    return absl::PermissionDeniedError(
        absl::StrCat("the apiserver's certificate is not signed by the pinned CA: ", s.message()));
  }
  std::vector<std::string> names = leaf.IpAddresses();
  for (const std::string& dns : leaf.DnsNames()) names.push_back(dns);
  absl::StatusOr<std::string> canonical = pki::CanonicalIp(host);
  const std::string want = canonical.ok() ? *canonical : host;
  if (std::find(names.begin(), names.end(), want) == names.end()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "the apiserver's certificate does not name ", host,
        " (start the control plane with `minik8s up --advertise-address ", host, "`)"));
  }
  return ca->Clone();
}

int Token(const TokenOptions& options) {
  absl::StatusOr<ClusterState> state = ReadStateFile(StateFilePath(options.data_dir));
  if (!state.ok()) {
    Err(absl::StrCat("no cluster runs from ", options.data_dir, " (", state.status().message(),
                     "); start one with `minik8s up`"));
    return 1;
  }
  const TlsClientFiles admin_tls = AdminTlsFromPki(PkiDir(options.data_dir));
  absl::StatusOr<std::unique_ptr<client::ApiClient>> admin =
      client::ApiClient::Connect({.server = state->apiserver,
                                  .timeout = absl::Seconds(10),
                                  .user_agent = "minik8s",
                                  .tls = admin_tls});
  if (!admin.ok()) {
    Err(std::string(admin.status().message()));
    return 1;
  }
  const absl::Time now = absl::Now();
  if (options.verb == "create") {
    absl::StatusOr<std::string> token =
        CreateJoinToken(admin->get(), options.ttl, options.description, now);
    if (!token.ok()) {
      Err(std::string(token.status().message()));
      return 1;
    }
    if (!options.print_join_command) {
      Out(absl::StrCat(*token, "\n"));
      return 0;
    }
    absl::StatusOr<pki::Certificate> ca = pki::LoadCertificateFile(admin_tls.ca_file);
    absl::StatusOr<std::string> pin = ca.ok() ? pki::CaCertHash(*ca) : ca.status();
    if (!pin.ok()) {
      Err(std::string(pin.status().message()));
      return 1;
    }
    Out(absl::StrCat(
        JoinCommand(state->apiserver, *token, *pin, ClusterGrpcServer(options.data_dir)), "\n"));
    return 0;
  }
  absl::StatusOr<client::ObjectList> listed =
      (*admin)->List("secrets", authn::kBootstrapTokenNamespace, {}, Secret::default_instance());
  if (!listed.ok()) {
    Err(std::string(listed.status().message()));
    return 1;
  }
  if (options.verb == "delete") {
    int code = 0;
    for (const std::string& given : options.tokens) {
      const std::string id = given.substr(0, given.find('.'));
      const std::string name = absl::StrCat(authn::kBootstrapTokenSecretPrefix, id);
      Secret out;
      absl::Status s = (*admin)->Delete("secrets", authn::kBootstrapTokenNamespace, name, {}, &out);
      if (s.ok()) {
        Out(absl::StrCat("bootstrap token \"", id, "\" deleted\n"));
      } else {
        Err(absl::StrCat("bootstrap token \"", id, "\": ", s.message()));
        code = 1;
      }
    }
    return code;
  }
  std::vector<std::vector<std::string>> rows = {
      {"TOKEN", "TTL", "EXPIRES", "USAGES", "DESCRIPTION", "EXTRA GROUPS"}};
  for (const client::ObjectPtr& item : listed->items) {
    const auto& secret = static_cast<const Secret&>(*item);
    if (secret.type() != authn::kBootstrapTokenSecretType) continue;
    const std::string* id = DataOf(secret, authn::kBootstrapTokenIdKey);
    const std::string* token_secret = DataOf(secret, authn::kBootstrapTokenSecretKey);
    if (id == nullptr || token_secret == nullptr) continue;
    std::string ttl = "<forever>", expires = "<never>";
    if (const std::string* e = DataOf(secret, authn::kBootstrapTokenExpirationKey)) {
      expires = *e;
      absl::StatusOr<absl::Time> until = api::ParseRfc3339(*e);
      ttl = !until.ok()     ? "<invalid>"
            : *until <= now ? "<expired>"
                            : absl::StrCat(absl::ToInt64Hours(*until - now), "h");
    }
    std::vector<std::string> usages;
    for (const auto& [key, value] : secret.data()) {
      if (absl::StartsWith(key, "usage-bootstrap-") && value == "true") {
        usages.push_back(key.substr(std::strlen("usage-bootstrap-")));
      }
    }
    std::sort(usages.begin(), usages.end());
    const std::string* description = DataOf(secret, authn::kBootstrapTokenDescriptionKey);
    const std::string* groups = DataOf(secret, authn::kBootstrapTokenExtraGroupsKey);
    rows.push_back({absl::StrCat(*id, ".", *token_secret), ttl, expires,
                    usages.empty() ? "<none>" : absl::StrJoin(usages, ","),
                    description != nullptr ? *description : "<none>",
                    groups != nullptr ? *groups : "<none>"});
  }
  Out(FormatTable(rows));
  return 0;
}

int Join(const JoinOptions& options) {
  std::string host;
  int port = 0;
  if (absl::Status s = SplitServer(options.server, &host, &port); !s.ok()) {
    Err(std::string(s.message()));
    return 2;
  }
  if (!options.grpc_server.empty()) {
    std::string grpc_host;
    int grpc_port = 0;
    if (absl::Status s = SplitServer(options.grpc_server, &grpc_host, &grpc_port, "--grpc-server");
        !s.ok()) {
      Err(std::string(s.message()));
      return 2;
    }
  }
  if (!authn::ParseBootstrapToken(options.token).has_value()) {
    Err("--token must have the form [a-z0-9]{6}.[a-z0-9]{16}, as `minik8s up` prints it");
    return 2;
  }
  absl::string_view hex = options.ca_cert_hash;
  if (!absl::ConsumePrefix(&hex, pki::kPinPrefix) || hex.size() != 64 ||
      !std::all_of(hex.begin(), hex.end(),
                   [](char c) { return absl::ascii_isxdigit(static_cast<unsigned char>(c)); })) {
    Err("--ca-cert-hash must be sha256:<64 hex digits>, as `minik8s up` prints it");
    return 2;
  }
  absl::StatusOr<pki::Certificate> ca = DiscoverClusterCa(host, port, options.ca_cert_hash);
  if (!ca.ok()) {
    Err(absl::StrCat("discovery: ", ca.status().message()));
    return absl::IsInvalidArgument(ca.status()) ? 2 : 1;
  }
  Out(absl::StrCat("minik8s: the apiserver at ", host, ":", port, " holds the pinned CA ",
                   ca->CommonName(), "\n"));
  const std::string pki_dir = PkiDir(options.data_dir);
  const std::string ca_path = absl::StrCat(pki_dir, "/ca.crt");
  const std::string kubeconfigs = absl::StrCat(options.data_dir, "/kubeconfigs");
  const std::string bootstrap_conf = absl::StrCat(kubeconfigs, "/bootstrap-kubelet.conf");
  const std::string kubelet_conf = absl::StrCat(kubeconfigs, "/kubelet.conf");
  for (const std::string& dir : {options.data_dir, pki_dir, kubeconfigs, LogDir(options.data_dir),
                                 RunDir(options.data_dir)}) {
    if (absl::Status s = MakePrivateDirs(dir); !s.ok()) {
      Err(std::string(s.message()));
      return 1;
    }
  }
  if (absl::Status s = pki::WriteCertificateFile(ca_path, *ca); !s.ok()) {
    Err(std::string(s.message()));
    return 1;
  }
  const std::string bootstrap_text = client::KubeconfigText({
      .name = "minik8s",
      .comment = "# Written by `minik8s join`: the kubelet's bootstrap credentials.\n",
      .server = absl::StrCat("https://", host, ":", port),
      .grpc_server = options.grpc_server,
      .certificate_authority = ca_path,
      .token = options.token,
  });
  if (absl::Status s = pki::WriteFileAtomically(bootstrap_conf, bootstrap_text, 0600); !s.ok()) {
    Err(std::string(s.message()));
    return 1;
  }

  const std::string proxy_conf = absl::StrCat(kubeconfigs, "/proxy.conf");
  Out("minik8s: getting the client certificate of the node's service proxy (system:kube-proxy)\n");
  if (absl::Status s = EnsureProxyKubeconfig(bootstrap_conf, pki_dir, *ca, options.node_name,
                                             options.start_timeout, proxy_conf);
      !s.ok()) {
    Err(absl::StrCat("the service proxy's certificate: ", s.message()));
    return 1;
  }

  const std::string socket = absl::StrCat(RunDir(options.data_dir), "/runtime.sock");
  const std::string runtime_health = absl::StrCat("127.0.0.1:", options.port_base);
  const std::string kubelet_health = absl::StrCat("127.0.0.1:", options.port_base + 1);
  const std::string proxy_health = absl::StrCat("127.0.0.1:", options.port_base + 3);
  std::vector<ComponentSpec> specs;
  {
    ComponentSpec s;
    s.name = "runtime";
    s.kind = kRuntime;
    s.binary = absl::StrCat(options.bin_dir, "/minik8s-runtime");
    s.address = absl::StrCat("unix://", socket);
    s.args = {"--listen",     s.address,     "--health-address",
              runtime_health, "--log-level", options.log_level};
    s.log_file = absl::StrCat(LogDir(options.data_dir), "/runtime.log");
    s.stage = 0;
    s.health = HealthCheck::kGrpcHealth;
    specs.push_back(std::move(s));
  }
  {
    ComponentSpec s;
    s.name = "kubelet";
    s.kind = kKubelet;
    s.binary = absl::StrCat(options.bin_dir, "/minik8s-kubelet");
    s.address = kubelet_health;
    s.args = {"--node-name",
              options.node_name,
              "--node-ip",
              options.node_ip,
              "--container-runtime-endpoint",
              absl::StrCat("unix://", socket),
              "--pod-cidr",
              options.pod_cidr,
              "--root-dir",
              absl::StrCat(options.data_dir, "/kubelet"),
              "--kubeconfig",
              kubelet_conf,
              "--bootstrap-kubeconfig",
              bootstrap_conf,
              "--cert-dir",
              pki_dir,
              "--rotate-server-certificates",
              "--authentication-token-webhook",
              "--authorization-mode",
              "Webhook",
              "--port",
              absl::StrCat(options.port_base + 2),
              "--health-address",
              kubelet_health,
              "--log-level",
              options.log_level};
    s.log_file = absl::StrCat(LogDir(options.data_dir), "/kubelet.log");
    s.stage = 1;
    s.health = HealthCheck::kGrpcHealth;
    specs.push_back(std::move(s));
  }
  {
    // The node's service proxy, as kube-proxy runs on every node: node
    // ports on the node's address, cluster IPs shared with the other
    // proxies of this machine (SO_REUSEPORT, proxy/README.md).
    ComponentSpec s;
    s.name = "proxy";
    s.kind = kProxy;
    s.binary = absl::StrCat(options.bin_dir, "/minik8s-proxy");
    s.address = proxy_health;
    s.port = options.port_base + 3;
    s.args = {"--kubeconfig",         proxy_conf,       "--node-name",      options.node_name,
              "--nodeport-addresses", options.node_ip,  "--health-address", proxy_health,
              "--log-level",          options.log_level};
    s.log_file = absl::StrCat(LogDir(options.data_dir), "/proxy.log");
    s.stage = 2;
    s.health = HealthCheck::kGrpcHealth;
    specs.push_back(std::move(s));
  }
  for (const ComponentSpec& spec : specs) {
    if (access(spec.binary.c_str(), X_OK) != 0) {
      Err(absl::StrCat("cannot find ", spec.binary, "; point --bin-dir at the minik8s-* daemons"));
      return 1;
    }
  }
  UpOptions up;
  up.cluster.data_dir = options.data_dir;
  up.cluster.bin_dir = options.bin_dir;
  up.start_timeout = options.start_timeout;
  up.stop_timeout = options.stop_timeout;
  up.apiserver = absl::StrCat(host, ":", port);
  const std::string ready = absl::StrCat(
      "minik8s: node ", options.node_name, " (", options.node_ip, ") joined the cluster at ", host,
      ":", port, "; its kubelet's certificate is in ", pki_dir, "\n",
      "Its service proxy (system:kube-proxy) serves node ports on ", options.node_ip, "\n",
      "Its kubelet API (logs, port forwarding) starts on ", options.node_ip, ":",
      options.port_base + 2,
      " once an admin approves its serving certificate, as with kubeadm's serverTLSBootstrap:\n"
      "  mkctl get csr      (signer kubernetes.io/kubelet-serving, requestor system:node:",
      options.node_name, ")\n  mkctl certificate approve <name>\n",
      "Stop with Ctrl-C, or from another shell: minik8s down --data-dir ", options.data_dir, "\n");
  Out(absl::StrCat("minik8s: starting node ", options.node_name, " (data dir ", options.data_dir,
                   ")\n"));
  return Supervise(up, std::move(specs), ready);
}

}  // namespace minik8s::cluster
