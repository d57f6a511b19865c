#include "pki/cluster_pki.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "pki/certificate.h"
#include "pki/issue.h"
#include "pki/jws.h"
#include "pki/key.h"
#include "pki/pem_file.h"
#include "pki/pin.h"

namespace minik8s::pki {
namespace {

constexpr char kKubeletsDir[] = "kubelets";

CertKeyPaths Pair(const std::string& dir, const std::string& base) {
  return {absl::StrCat(dir, "/", base, ".crt"), absl::StrCat(dir, "/", base, ".key")};
}

std::string NodeDir(const std::string& dir, const std::string& node) {
  return absl::StrCat(dir, "/", kKubeletsDir, "/", node);
}

std::string NodeUser(const std::string& node) { return absl::StrCat("system:node:", node); }

// Holds an exclusive flock on <dir>/.lock for its lifetime.
class DirLock {
 public:
  static absl::StatusOr<DirLock> Acquire(const std::string& dir) {
    std::string path = dir + "/.lock";
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
      return absl::InternalError(absl::StrCat(path, ": cannot open: ", std::strerror(errno)));
    }
    while (::flock(fd, LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return absl::InternalError(absl::StrCat(path, ": cannot lock: ", std::strerror(err)));
    }
    return DirLock(fd);
  }
  DirLock(DirLock&& other) : fd_(std::exchange(other.fd_, -1)) {}
  DirLock& operator=(DirLock&&) = delete;
  ~DirLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }

 private:
  explicit DirLock(int fd) : fd_(fd) {}
  int fd_;
};

absl::StatusOr<bool> Exists(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) return true;
  if (errno == ENOENT) return false;
  return absl::InternalError(absl::StrCat(path, ": cannot stat: ", std::strerror(errno)));
}

std::string DescribeSubject(const std::string& cn, std::vector<std::string> orgs) {
  std::string out = absl::StrCat("CN=", cn);
  for (const std::string& o : orgs) absl::StrAppend(&out, ",O=", o);
  return out;
}

// Canonical, de-duplicated SAN lists (DNS lower-cased, IPs canonical text),
// so that comparisons ignore case, spelling and order.
absl::Status Normalize(CertificateSpec* spec) {
  std::vector<std::string> dns, ips;
  for (const std::string& name : spec->dns_names) {
    std::string lower = absl::AsciiStrToLower(name);
    if (std::find(dns.begin(), dns.end(), lower) == dns.end()) dns.push_back(lower);
  }
  for (const std::string& ip : spec->ip_addresses) {
    ASSIGN_OR_RETURN(std::string canonical, CanonicalIp(ip));
    if (std::find(ips.begin(), ips.end(), canonical) == ips.end()) ips.push_back(canonical);
  }
  spec->dns_names = std::move(dns);
  spec->ip_addresses = std::move(ips);
  return absl::OkStatus();
}

// The SANs of `spec` that `cert` lacks, described for a log line; empty when
// the certificate covers all of them.
std::vector<std::string> MissingSans(const Certificate& cert, const CertificateSpec& spec) {
  std::set<std::string> have_dns, have_ips;
  for (const std::string& d : cert.DnsNames()) have_dns.insert(absl::AsciiStrToLower(d));
  for (const std::string& ip : cert.IpAddresses()) have_ips.insert(ip);
  std::vector<std::string> missing;
  for (const std::string& d : spec.dns_names) {
    if (!have_dns.contains(d)) missing.push_back("DNS:" + d);
  }
  for (const std::string& ip : spec.ip_addresses) {
    if (!have_ips.contains(ip)) missing.push_back("IP:" + ip);
  }
  return missing;
}

absl::Status WritePair(const CertKeyPaths& paths, const Certificate& cert, const PrivateKey* key,
                       std::vector<std::string>* written) {
  // The key first: a crash between the two leaves a key without a
  // certificate, which the next call completes.
  if (key != nullptr) {
    RETURN_IF_ERROR(WritePrivateKeyFile(paths.key, *key));
    written->push_back(paths.key);
  }
  RETURN_IF_ERROR(WriteCertificateFile(paths.cert, cert));
  written->push_back(paths.cert);
  return absl::OkStatus();
}

absl::StatusOr<CertificateAuthority> EnsureCa(const CertKeyPaths& paths,
                                              std::vector<std::string>* written) {
  ASSIGN_OR_RETURN(bool have_cert, Exists(paths.cert));
  ASSIGN_OR_RETURN(bool have_key, Exists(paths.key));
  if (!have_cert && !have_key) {
    ASSIGN_OR_RETURN(CertificateAuthority ca, CreateSelfSignedCa());
    RETURN_IF_ERROR(WritePair(paths, ca.cert, &ca.key, written));
    return ca;
  }
  if (!have_key) {
    return absl::FailedPreconditionError(absl::StrCat(
        paths.key, ": missing while ", paths.cert,
        " exists; the CA cannot be recovered without its key (remove the whole directory to "
        "start a new cluster CA, which invalidates every certificate issued so far)"));
  }
  ASSIGN_OR_RETURN(PrivateKey key, LoadPrivateKeyFile(paths.key));
  if (!have_cert) {
    // Same key and subject: the certificates already issued still verify.
    ASSIGN_OR_RETURN(Certificate cert, CreateSelfSignedCaCert(key, CaOptions{}));
    RETURN_IF_ERROR(WritePair(paths, cert, nullptr, written));
    return CertificateAuthority{std::move(cert), std::move(key)};
  }
  ASSIGN_OR_RETURN(Certificate cert, LoadCertificateFile(paths.cert));
  if (!cert.MatchesKey(key)) {
    return absl::FailedPreconditionError(
        absl::StrCat(paths.cert, ": does not match the private key in ", paths.key));
  }
  if (!cert.IsCa()) {
    return absl::FailedPreconditionError(
        absl::StrCat(paths.cert, ": is not a CA certificate (basicConstraints CA:TRUE missing)"));
  }
  if (absl::Status s = cert.VerifySignedBy(cert); !s.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat(paths.cert, ": not a valid self-signed CA: ", s.message()));
  }
  return CertificateAuthority{std::move(cert), std::move(key)};
}

// Makes sure `paths` hold a certificate for `spec` signed by `ca`.
// `reissue_on_subject_change`: a certificate whose subject minik8s changed
// (an older cluster's) is re-issued for its key instead of refused.
absl::Status EnsureLeaf(const CertificateAuthority& ca, const CertKeyPaths& paths,
                        const CertificateSpec& spec, std::vector<std::string>* written,
                        bool reissue_on_subject_change = false) {
  ASSIGN_OR_RETURN(bool have_cert, Exists(paths.cert));
  ASSIGN_OR_RETURN(bool have_key, Exists(paths.key));
  if (!have_key) {
    // A certificate without its key is of no use: new key, new certificate.
    ASSIGN_OR_RETURN(IssuedCert issued, IssueWithNewKey(ca, spec));
    return WritePair(paths, issued.cert, &issued.key, written);
  }
  ASSIGN_OR_RETURN(PrivateKey key, LoadPrivateKeyFile(paths.key));
  if (!have_cert) {
    ASSIGN_OR_RETURN(Certificate cert, IssueCertificate(ca, key, spec));
    return WritePair(paths, cert, nullptr, written);
  }
  ASSIGN_OR_RETURN(Certificate cert, LoadCertificateFile(paths.cert));
  if (!cert.MatchesKey(key)) {
    return absl::FailedPreconditionError(
        absl::StrCat(paths.cert, ": does not match the private key in ", paths.key));
  }
  if (absl::Status s = cert.VerifySignedBy(ca.cert); !s.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        paths.cert, ": ", s.message(), " (remove it to have it re-issued for its key)"));
  }
  std::vector<std::string> have_orgs = cert.Organizations();
  std::vector<std::string> want_orgs = spec.organizations;
  std::sort(have_orgs.begin(), have_orgs.end());
  std::sort(want_orgs.begin(), want_orgs.end());
  if (cert.CommonName() != spec.common_name || have_orgs != want_orgs) {
    if (reissue_on_subject_change && cert.CommonName() == spec.common_name) {
      ASSIGN_OR_RETURN(Certificate reissued, IssueCertificate(ca, key, spec));
      return WritePair(paths, reissued, nullptr, written);
    }
    return absl::FailedPreconditionError(absl::StrCat(
        paths.cert, ": subject is ", DescribeSubject(cert.CommonName(), cert.Organizations()),
        ", expected ", DescribeSubject(spec.common_name, spec.organizations),
        " (remove it to have it re-issued)"));
  }
  if ((spec.server_auth && !cert.HasServerAuth()) || (spec.client_auth && !cert.HasClientAuth())) {
    return absl::FailedPreconditionError(
        absl::StrCat(paths.cert, ": lacks extendedKeyUsage ",
                     spec.server_auth && !cert.HasServerAuth() ? "serverAuth" : "clientAuth",
                     " (remove it to have it re-issued)"));
  }
  if (spec.server_auth && !MissingSans(cert, spec).empty()) {
    ASSIGN_OR_RETURN(Certificate reissued, IssueCertificate(ca, key, spec));
    return WritePair(paths, reissued, nullptr, written);
  }
  return absl::OkStatus();
}

// sa.key (made when missing: P-256, signing ES256) and sa.pub, its public
// half (rewritten when missing or not the key's). An existing sa.key is
// never rewritten: an RSA one (an earlier cluster's, or the user's) keeps
// signing RS256, so the tokens it issued stay valid. A key that signs
// neither RS256 nor ES256 is an error naming the file.
absl::Status EnsureServiceAccountKeys(const ClusterPkiPaths& paths,
                                      std::vector<std::string>* written) {
  ASSIGN_OR_RETURN(bool have_key, Exists(paths.service_account_key));
  std::optional<PrivateKey> key;
  if (have_key) {
    ASSIGN_OR_RETURN(key, LoadPrivateKeyFile(paths.service_account_key));
    if (absl::StatusOr<std::string> algorithm =
            JwsAlgorithmOf(key->get(), paths.service_account_key);
        !algorithm.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat(algorithm.status().message(),
                       " (remove it to have a new one made, which invalidates every token issued "
                       "so far)"));
    }
  } else {
    // ECDSA P-256 rather than kubeadm's RSA 2048: a token per pod, and an
    // ES256 signature costs about a tenth of an RS256 one.
    ASSIGN_OR_RETURN(key, PrivateKey::Generate());
    RETURN_IF_ERROR(WritePrivateKeyFile(paths.service_account_key, *key));
    written->push_back(paths.service_account_key);
  }
  ASSIGN_OR_RETURN(std::string public_pem, key->PublicKeyPem());
  absl::StatusOr<std::string> old_public = ReadSmallFile(paths.service_account_public_key);
  if (!old_public.ok() || *old_public != public_pem) {
    RETURN_IF_ERROR(
        WriteFileAtomically(paths.service_account_public_key, public_pem, kCertificateFileMode));
    written->push_back(paths.service_account_public_key);
  }
  return absl::OkStatus();
}

struct Leaf {
  CertKeyPaths paths;
  CertificateSpec spec;
  bool reissue_on_subject_change = false;  // see EnsureLeaf
};

absl::Status CheckDnsNames(const std::vector<std::string>& names, absl::string_view what) {
  for (const std::string& name : names) {
    std::string lower = absl::AsciiStrToLower(name);
    if (!IsDns1123Subdomain(lower) &&
        !(lower.size() > 2 && lower.rfind("*.", 0) == 0 && IsDns1123Subdomain(lower.substr(2)))) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": \"", name, "\" is not a valid DNS name"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Leaf>> PlanLeaves(const ClusterPkiPaths& layout,
                                             const ClusterPkiOptions& options) {
  RETURN_IF_ERROR(CheckDnsNames(options.apiserver_dns_names, "apiserver DNS name"));
  RETURN_IF_ERROR(CheckDnsNames(options.store_dns_names, "store DNS name"));
  if (!IsDns1123Subdomain(options.cluster_domain)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cluster domain \"", options.cluster_domain, "\" is not a DNS name"));
  }
  std::vector<Leaf> leaves;
  auto with = [](std::vector<std::string> base, const std::vector<std::string>& extra) {
    base.insert(base.end(), extra.begin(), extra.end());
    return base;
  };
  const std::vector<std::string> loopback_ips = {"127.0.0.1", "::1"};
  leaves.push_back(
      {layout.apiserver,
       ServingSpec("kube-apiserver",
                   with({"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
                         absl::StrCat("kubernetes.default.svc.", options.cluster_domain)},
                        options.apiserver_dns_names),
                   with(loopback_ips, options.apiserver_ip_addresses))});
  leaves.push_back({layout.apiserver_etcd_client, ClientSpec("kube-apiserver-etcd-client", {})});
  // No group: RBAC grants it the kubelet API (system:kubelet-api-admin,
  // bound by `minik8s up`). Clusters made before held O=system:masters.
  leaves.push_back({layout.apiserver_kubelet_client,
                    ClientSpec("kube-apiserver-kubelet-client", {}),
                    /*reissue_on_subject_change=*/true});
  leaves.push_back(
      {layout.store, ServingSpec("minik8s-store", with({"localhost"}, options.store_dns_names),
                                 with(loopback_ips, options.store_ip_addresses))});
  leaves.push_back({layout.health, ServingSpec("minik8s-health", {"localhost"}, loopback_ips)});
  leaves.push_back({layout.admin, ClientSpec("kubernetes-admin", {"system:masters"})});
  leaves.push_back({layout.scheduler, ClientSpec("system:kube-scheduler", {})});
  leaves.push_back({layout.controller_manager, ClientSpec("system:kube-controller-manager", {})});
  leaves.push_back({layout.kube_proxy, ClientSpec("system:kube-proxy", {})});
  for (const NodeCertOptions& node : options.nodes) {
    RETURN_IF_ERROR(CheckDnsNames(node.dns_names, absl::StrCat("node ", node.name, " DNS name")));
    const KubeletPkiPaths& paths = layout.kubelets.at(node.name);
    CertificateSpec serving =
        ServingSpec(NodeUser(node.name), with({node.name, "localhost"}, node.dns_names),
                    with(loopback_ips, node.ip_addresses));
    serving.organizations = {"system:nodes"};
    leaves.push_back({paths.serving, std::move(serving)});
    leaves.push_back({paths.client, ClientSpec(NodeUser(node.name), {"system:nodes"})});
  }
  for (Leaf& leaf : leaves) {
    if (absl::Status s = Normalize(&leaf.spec); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("SANs for ", leaf.paths.cert, ": ", s.message()));
    }
  }
  return leaves;
}

}  // namespace

bool IsDns1123Subdomain(const std::string& name) {
  if (name.empty() || name.size() > 253) return false;
  size_t label_start = 0;
  for (size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '.') {
      if (i == label_start || i - label_start > 63) return false;
      if (name[i - 1] == '-') return false;
      label_start = i + 1;
      continue;
    }
    char c = name[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && c != '-') return false;
    if (i == label_start && !alnum) return false;
  }
  return true;
}

ClusterPkiPaths ClusterPkiLayout(const std::string& dir, const std::vector<std::string>& nodes) {
  ClusterPkiPaths paths;
  paths.dir = dir;
  paths.ca = Pair(dir, "ca");
  paths.apiserver = Pair(dir, "apiserver");
  paths.apiserver_bundle = absl::StrCat(dir, "/apiserver-bundle.crt");
  paths.apiserver_etcd_client = Pair(dir, "apiserver-etcd-client");
  paths.apiserver_kubelet_client = Pair(dir, "apiserver-kubelet-client");
  paths.store = Pair(dir, "store-server");
  paths.health = Pair(dir, "health-serving");
  paths.admin = Pair(dir, "admin");
  paths.scheduler = Pair(dir, "kube-scheduler");
  paths.controller_manager = Pair(dir, "kube-controller-manager");
  paths.kube_proxy = Pair(dir, "kube-proxy");
  for (const std::string& node : nodes) {
    std::string node_dir = NodeDir(dir, node);
    paths.kubelets[node] = {Pair(node_dir, "kubelet"), Pair(node_dir, "kubelet-client")};
  }
  paths.service_account_key = absl::StrCat(dir, "/sa.key");
  paths.service_account_public_key = absl::StrCat(dir, "/sa.pub");
  return paths;
}

absl::StatusOr<ClusterPkiPaths> EnsureClusterPki(const std::string& dir,
                                                 const ClusterPkiOptions& options) {
  if (dir.empty()) return absl::InvalidArgumentError("PKI directory is empty");
  std::vector<std::string> node_names;
  for (const NodeCertOptions& node : options.nodes) {
    if (!IsDns1123Subdomain(node.name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("node name \"", node.name, "\" is not a DNS-1123 subdomain"));
    }
    if (std::find(node_names.begin(), node_names.end(), node.name) != node_names.end()) {
      return absl::InvalidArgumentError(absl::StrCat("node \"", node.name, "\" given twice"));
    }
    node_names.push_back(node.name);
  }
  ClusterPkiPaths paths = ClusterPkiLayout(dir, node_names);
  ASSIGN_OR_RETURN(std::vector<Leaf> leaves, PlanLeaves(paths, options));

  RETURN_IF_ERROR(EnsurePrivateDirectory(dir));
  ASSIGN_OR_RETURN(DirLock lock, DirLock::Acquire(dir));
  if (!node_names.empty()) {
    RETURN_IF_ERROR(EnsurePrivateDirectory(absl::StrCat(dir, "/", kKubeletsDir)));
    for (const std::string& node : node_names) {
      RETURN_IF_ERROR(EnsurePrivateDirectory(NodeDir(dir, node)));
    }
  }
  ASSIGN_OR_RETURN(CertificateAuthority ca, EnsureCa(paths.ca, &paths.written));
  for (const Leaf& leaf : leaves) {
    RETURN_IF_ERROR(
        EnsureLeaf(ca, leaf.paths, leaf.spec, &paths.written, leaf.reissue_on_subject_change));
  }
  ASSIGN_OR_RETURN(std::string apiserver_pem, ReadSmallFile(paths.apiserver.cert));
  ASSIGN_OR_RETURN(std::string ca_pem, ReadSmallFile(paths.ca.cert));
  const std::string bundle = absl::StrCat(apiserver_pem, ca_pem);
  absl::StatusOr<std::string> old_bundle = ReadSmallFile(paths.apiserver_bundle);
  if (!old_bundle.ok() || *old_bundle != bundle) {
    RETURN_IF_ERROR(WriteFileAtomically(paths.apiserver_bundle, bundle, 0644));
    paths.written.push_back(paths.apiserver_bundle);
  }
  RETURN_IF_ERROR(EnsureServiceAccountKeys(paths, &paths.written));
  ASSIGN_OR_RETURN(paths.ca_cert_hash, CaCertHash(ca.cert));
  return paths;
}

}  // namespace minik8s::pki
