#include "pki/cluster_pki.h"

#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pki/issue.h"
#include "pki/jws.h"
#include "pki/key.h"
#include "pki/pem_file.h"
#include "pki/pin.h"
#include "testing/temp_dir.h"
#include "tests/pki/pki_test_util.h"

namespace minik8s::pki {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::IsSupersetOf;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

ClusterPkiOptions Options() {
  ClusterPkiOptions options;
  options.apiserver_ip_addresses = {"192.168.1.10", "10.96.0.1"};
  options.apiserver_dns_names = {"cp.example.com"};
  options.nodes = {{.name = "node-1"}, {.name = "node-2", .ip_addresses = {"127.0.0.2"}}};
  return options;
}

std::vector<CertKeyPaths> AllPairs(const ClusterPkiPaths& p) {
  std::vector<CertKeyPaths> out = {p.ca,
                                   p.apiserver,
                                   p.apiserver_etcd_client,
                                   p.apiserver_kubelet_client,
                                   p.store,
                                   p.health,
                                   p.admin,
                                   p.scheduler,
                                   p.controller_manager,
                                   p.kube_proxy};
  for (const auto& [name, kubelet] : p.kubelets) {
    out.push_back(kubelet.serving);
    out.push_back(kubelet.client);
  }
  return out;
}

std::map<std::string, std::string> Snapshot(const ClusterPkiPaths& p) {
  std::map<std::string, std::string> out;
  for (const CertKeyPaths& pair : AllPairs(p)) {
    out[pair.cert] = test::ReadAll(pair.cert);
    out[pair.key] = test::ReadAll(pair.key);
  }
  return out;
}

Certificate Load(const std::string& path) {
  absl::StatusOr<Certificate> cert = LoadCertificateFile(path);
  EXPECT_TRUE(cert.ok()) << cert.status();
  return std::move(*cert);
}

class ClusterPkiTest : public ::testing::Test {
 protected:
  std::string Dir() const { return tmp_.Join("data/pki"); }

  ClusterPkiPaths Ensure(const ClusterPkiOptions& options = Options()) {
    absl::StatusOr<ClusterPkiPaths> paths = EnsureClusterPki(Dir(), options);
    EXPECT_TRUE(paths.ok()) << paths.status();
    return paths.ok() ? *paths : ClusterPkiPaths{};
  }

  testing::TempDir tmp_;
};

TEST_F(ClusterPkiTest, FirstCallCreatesEveryCertificateWithTheRightIdentity) {
  ClusterPkiPaths p = Ensure();
  EXPECT_EQ(p.dir, Dir());
  EXPECT_EQ(p.ca.cert, Dir() + "/ca.crt");
  EXPECT_EQ(p.kubelets.at("node-1").client.cert, Dir() + "/kubelets/node-1/kubelet-client.crt");
  // And apiserver-bundle.crt, sa.key and sa.pub.
  EXPECT_EQ(p.written.size(), 2 * AllPairs(p).size() + 3);
  EXPECT_EQ(test::ReadAll(p.apiserver_bundle),
            test::ReadAll(p.apiserver.cert) + test::ReadAll(p.ca.cert));

  Certificate ca = Load(p.ca.cert);
  EXPECT_EQ(ca.CommonName(), "minik8s-ca");
  EXPECT_TRUE(ca.IsCa());
  EXPECT_EQ(*CaCertHash(ca), p.ca_cert_hash);
  for (const CertKeyPaths& pair : AllPairs(p)) {
    Certificate cert = Load(pair.cert);
    EXPECT_EQ(test::VerifyWithOpenSsl(cert, ca, -1), "") << pair.cert;
    absl::StatusOr<PrivateKey> key = LoadPrivateKeyFile(pair.key);
    ASSERT_TRUE(key.ok()) << key.status();
    EXPECT_TRUE(cert.MatchesKey(*key)) << pair.cert;
  }

  Certificate apiserver = Load(p.apiserver.cert);
  EXPECT_EQ(apiserver.CommonName(), "kube-apiserver");
  EXPECT_EQ(test::VerifyWithOpenSsl(apiserver, ca, X509_PURPOSE_SSL_SERVER), "");
  EXPECT_THAT(apiserver.IpAddresses(),
              UnorderedElementsAre("127.0.0.1", "::1", "192.168.1.10", "10.96.0.1"));
  EXPECT_THAT(apiserver.DnsNames(),
              UnorderedElementsAre("localhost", "kubernetes", "kubernetes.default",
                                   "kubernetes.default.svc", "kubernetes.default.svc.cluster.local",
                                   "cp.example.com"));
  Certificate store = Load(p.store.cert);
  EXPECT_TRUE(store.HasServerAuth());
  EXPECT_THAT(store.IpAddresses(), UnorderedElementsAre("127.0.0.1", "::1"));
  EXPECT_THAT(store.DnsNames(), ElementsAre("localhost"));
  Certificate health = Load(p.health.cert);
  EXPECT_EQ(health.CommonName(), "minik8s-health");
  EXPECT_TRUE(health.HasServerAuth());
  EXPECT_EQ(test::VerifyWithOpenSsl(health, ca, X509_PURPOSE_SSL_SERVER), "");
  EXPECT_THAT(health.IpAddresses(), UnorderedElementsAre("127.0.0.1", "::1"));

  struct Want {
    CertKeyPaths paths;
    std::string cn;
    std::vector<std::string> orgs;
  };
  for (const Want& want : std::vector<Want>{
           {p.admin, "kubernetes-admin", {"system:masters"}},
           {p.scheduler, "system:kube-scheduler", {}},
           {p.controller_manager, "system:kube-controller-manager", {}},
           {p.kube_proxy, "system:kube-proxy", {}},
           {p.apiserver_etcd_client, "kube-apiserver-etcd-client", {}},
           {p.apiserver_kubelet_client, "kube-apiserver-kubelet-client", {}},
           {p.kubelets.at("node-1").client, "system:node:node-1", {"system:nodes"}},
           {p.kubelets.at("node-2").client, "system:node:node-2", {"system:nodes"}},
       }) {
    Certificate cert = Load(want.paths.cert);
    EXPECT_EQ(cert.CommonName(), want.cn) << want.paths.cert;
    EXPECT_EQ(cert.Organizations(), want.orgs) << want.paths.cert;
    EXPECT_TRUE(cert.HasClientAuth()) << want.paths.cert;
    EXPECT_FALSE(cert.HasServerAuth()) << want.paths.cert;
    EXPECT_EQ(test::VerifyWithOpenSsl(cert, ca, X509_PURPOSE_SSL_CLIENT), "") << want.paths.cert;
  }
  Certificate kubelet2 = Load(p.kubelets.at("node-2").serving.cert);
  EXPECT_EQ(kubelet2.CommonName(), "system:node:node-2");
  EXPECT_TRUE(kubelet2.HasServerAuth());
  EXPECT_THAT(kubelet2.DnsNames(), UnorderedElementsAre("node-2", "localhost"));
  EXPECT_THAT(kubelet2.IpAddresses(), UnorderedElementsAre("127.0.0.1", "::1", "127.0.0.2"));
}

TEST_F(ClusterPkiTest, KeysAre0600DirectoriesAre0700WhateverTheUmask) {
  mode_t old = ::umask(0);
  ClusterPkiPaths p = Ensure();
  ::umask(old);
  EXPECT_EQ(test::FileMode(Dir()), 0700);
  EXPECT_EQ(test::FileMode(Dir() + "/kubelets"), 0700);
  EXPECT_EQ(test::FileMode(Dir() + "/kubelets/node-1"), 0700);
  EXPECT_EQ(test::FileMode(tmp_.Join("data")), 0700);  // a parent it created
  for (const CertKeyPaths& pair : AllPairs(p)) {
    EXPECT_EQ(test::FileMode(pair.key), 0600) << pair.key;
    EXPECT_EQ(test::FileMode(pair.cert), 0644) << pair.cert;
  }
}

TEST_F(ClusterPkiTest, AnExistingLooseDirectoryIsTightened) {
  ASSERT_EQ(::mkdir(tmp_.Join("data").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(Dir().c_str(), 0755), 0);
  ASSERT_EQ(::chmod(Dir().c_str(), 0755), 0);
  Ensure();
  EXPECT_EQ(test::FileMode(Dir()), 0700);
}

TEST_F(ClusterPkiTest, SecondCallChangesNothing) {
  ClusterPkiPaths first = Ensure();
  std::map<std::string, std::string> before = Snapshot(first);
  ClusterPkiPaths second = Ensure();
  EXPECT_THAT(second.written, IsEmpty());
  EXPECT_EQ(Snapshot(second), before);
  EXPECT_EQ(second.ca_cert_hash, first.ca_cert_hash);
  // A request whose SANs are a subset of what the certificates hold changes nothing either.
  ClusterPkiOptions fewer = Options();
  fewer.apiserver_ip_addresses = {"10.96.0.1"};
  fewer.nodes.pop_back();
  absl::StatusOr<ClusterPkiPaths> third = EnsureClusterPki(Dir(), fewer);
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_THAT(third->written, IsEmpty());
  EXPECT_EQ(Snapshot(first), before);
}

TEST_F(ClusterPkiTest, MissingFilesAreRecreated) {
  ClusterPkiPaths p = Ensure();
  std::map<std::string, std::string> before = Snapshot(p);
  ASSERT_EQ(::unlink(p.admin.cert.c_str()), 0);     // cert gone: re-issued for the same key
  ASSERT_EQ(::unlink(p.scheduler.key.c_str()), 0);  // key gone: new key and cert
  ASSERT_EQ(::unlink(p.ca.cert.c_str()), 0);        // CA cert gone: re-made for ca.key
  ClusterPkiPaths again = Ensure();
  EXPECT_THAT(again.written, UnorderedElementsAre(p.ca.cert, p.admin.cert, p.scheduler.cert,
                                                  p.scheduler.key, p.apiserver_bundle));
  std::map<std::string, std::string> after = Snapshot(again);
  EXPECT_EQ(after[p.admin.key], before[p.admin.key]);
  EXPECT_NE(after[p.scheduler.key], before[p.scheduler.key]);
  EXPECT_EQ(after[p.apiserver.cert], before[p.apiserver.cert]);
  EXPECT_EQ(again.ca_cert_hash, p.ca_cert_hash);  // same CA key
  Certificate ca = Load(again.ca.cert);
  for (const CertKeyPaths& pair : AllPairs(again)) {
    EXPECT_EQ(test::VerifyWithOpenSsl(Load(pair.cert), ca, -1), "") << pair.cert;
  }
  EXPECT_EQ(Load(p.admin.cert).CommonName(), "kubernetes-admin");
  EXPECT_THAT(Ensure().written, IsEmpty());
}

TEST_F(ClusterPkiTest, CorruptCertificateIsAnErrorNamingTheFileAndIsLeftAlone) {
  ClusterPkiPaths p = Ensure();
  test::WriteAll(p.apiserver.cert, "not a certificate\n");
  absl::StatusOr<ClusterPkiPaths> again = EnsureClusterPki(Dir(), Options());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(again.status().message(), HasSubstr(p.apiserver.cert));
  EXPECT_EQ(test::ReadAll(p.apiserver.cert), "not a certificate\n");
}

TEST_F(ClusterPkiTest, CorruptCaKeyIsAnErrorNamingTheFile) {
  ClusterPkiPaths p = Ensure();
  test::WriteAll(p.ca.key, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
  absl::Status status = EnsureClusterPki(Dir(), Options()).status();
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr(p.ca.key));
}

TEST_F(ClusterPkiTest, MissingCaKeyWithCaCertIsAnError) {
  ClusterPkiPaths p = Ensure();
  ASSERT_EQ(::unlink(p.ca.key.c_str()), 0);
  absl::Status status = EnsureClusterPki(Dir(), Options()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr(p.ca.key));
}

TEST_F(ClusterPkiTest, KeyNotMatchingItsCertificateIsAnError) {
  ClusterPkiPaths p = Ensure();
  std::string admin_key = test::ReadAll(p.admin.key);
  test::WriteAll(p.scheduler.key, admin_key);
  absl::Status status = EnsureClusterPki(Dir(), Options()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), AllOf(HasSubstr(p.scheduler.cert), HasSubstr(p.scheduler.key),
                                      HasSubstr("does not match")));
  EXPECT_EQ(test::ReadAll(p.scheduler.key), admin_key);
}

TEST_F(ClusterPkiTest, CertificateFromAnotherCaIsRefused) {
  ClusterPkiPaths p = Ensure();
  absl::StatusOr<CertificateAuthority> other = CreateSelfSignedCa();
  ASSERT_TRUE(other.ok());
  absl::StatusOr<IssuedCert> forged =
      IssueWithNewKey(*other, ClientSpec("kubernetes-admin", {"system:masters"}));
  ASSERT_TRUE(forged.ok());
  ASSERT_TRUE(WriteCertificateFile(p.admin.cert, forged->cert).ok());
  ASSERT_TRUE(WritePrivateKeyFile(p.admin.key, forged->key).ok());
  absl::Status status = EnsureClusterPki(Dir(), Options()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), AllOf(HasSubstr(p.admin.cert), HasSubstr("does not verify")));
}

TEST_F(ClusterPkiTest, ExpiredCertificateIsAnErrorNamingTheFile) {
  ClusterPkiPaths p = Ensure();
  absl::StatusOr<PrivateKey> ca_key = LoadPrivateKeyFile(p.ca.key);
  absl::StatusOr<PrivateKey> admin_key = LoadPrivateKeyFile(p.admin.key);
  ASSERT_TRUE(ca_key.ok() && admin_key.ok());
  CertificateAuthority ca{Load(p.ca.cert), std::move(*ca_key)};
  CertificateSpec spec = ClientSpec("kubernetes-admin", {"system:masters"});
  spec.not_before = absl::Now() - absl::Hours(24 * 800);
  absl::StatusOr<Certificate> expired = IssueCertificate(ca, *admin_key, spec);
  ASSERT_TRUE(expired.ok()) << expired.status();
  ASSERT_TRUE(WriteCertificateFile(p.admin.cert, *expired).ok());
  absl::Status status = EnsureClusterPki(Dir(), Options()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), AllOf(HasSubstr(p.admin.cert), HasSubstr("expired")));
}

TEST_F(ClusterPkiTest, CertificateWithAnotherIdentityIsRefused) {
  ClusterPkiPaths p = Ensure();
  // Swap the scheduler's pair into the admin's place: valid, but the wrong user.
  test::WriteAll(p.admin.cert, test::ReadAll(p.scheduler.cert));
  test::WriteAll(p.admin.key, test::ReadAll(p.scheduler.key));
  absl::Status status = EnsureClusterPki(Dir(), Options()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(),
              AllOf(HasSubstr(p.admin.cert), HasSubstr("CN=system:kube-scheduler"),
                    HasSubstr("expected CN=kubernetes-admin,O=system:masters")));
}

TEST_F(ClusterPkiTest, OldKubeletClientCertificateOfTheMastersIsReissuedWithoutTheGroup) {
  // Clusters made before Webhook authorization on the kubelets gave the
  // apiserver's kubelet client O=system:masters; it is re-issued, same key.
  ClusterPkiPaths p = Ensure();
  absl::StatusOr<PrivateKey> ca_key = LoadPrivateKeyFile(p.ca.key);
  absl::StatusOr<PrivateKey> key = LoadPrivateKeyFile(p.apiserver_kubelet_client.key);
  ASSERT_TRUE(ca_key.ok() && key.ok());
  CertificateAuthority ca{Load(p.ca.cert), std::move(*ca_key)};
  absl::StatusOr<Certificate> old =
      IssueCertificate(ca, *key, ClientSpec("kube-apiserver-kubelet-client", {"system:masters"}));
  ASSERT_TRUE(old.ok()) << old.status();
  ASSERT_TRUE(WriteCertificateFile(p.apiserver_kubelet_client.cert, *old).ok());
  const std::string key_pem = test::ReadAll(p.apiserver_kubelet_client.key);

  absl::StatusOr<ClusterPkiPaths> again = EnsureClusterPki(Dir(), Options());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_THAT(again->written, ::testing::Contains(p.apiserver_kubelet_client.cert));
  Certificate cert = Load(p.apiserver_kubelet_client.cert);
  EXPECT_EQ(cert.CommonName(), "kube-apiserver-kubelet-client");
  EXPECT_TRUE(cert.Organizations().empty());
  EXPECT_EQ(test::ReadAll(p.apiserver_kubelet_client.key), key_pem);

  // Another user's certificate in its place is still refused.
  test::WriteAll(p.apiserver_kubelet_client.cert, test::ReadAll(p.scheduler.cert));
  test::WriteAll(p.apiserver_kubelet_client.key, test::ReadAll(p.scheduler.key));
  absl::Status status = EnsureClusterPki(Dir(), Options()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("CN=system:kube-scheduler"));
}

TEST_F(ClusterPkiTest, ServingCertIsReissuedWhenItsSansNoLongerCoverTheRequest) {
  ClusterPkiPaths p = Ensure();
  std::map<std::string, std::string> before = Snapshot(p);
  ClusterPkiOptions moved = Options();
  moved.apiserver_ip_addresses = {"192.168.1.20", "10.96.0.1"};  // new advertise address
  moved.nodes[0].dns_names = {"node-1.example.com"};
  absl::StatusOr<ClusterPkiPaths> again = EnsureClusterPki(Dir(), moved);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_THAT(again->written, UnorderedElementsAre(p.apiserver.cert, p.apiserver_bundle,
                                                   p.kubelets.at("node-1").serving.cert));
  EXPECT_EQ(test::ReadAll(p.apiserver_bundle),
            test::ReadAll(p.apiserver.cert) + test::ReadAll(p.ca.cert));
  Certificate apiserver = Load(p.apiserver.cert);
  EXPECT_THAT(apiserver.IpAddresses(),
              UnorderedElementsAre("127.0.0.1", "::1", "192.168.1.20", "10.96.0.1"));
  EXPECT_EQ(test::ReadAll(p.apiserver.key), before[p.apiserver.key]);  // same key
  EXPECT_EQ(test::VerifyWithOpenSsl(apiserver, Load(p.ca.cert), X509_PURPOSE_SSL_SERVER), "");
  EXPECT_THAT(Load(p.kubelets.at("node-1").serving.cert).DnsNames(),
              Contains("node-1.example.com"));
  EXPECT_EQ(test::ReadAll(p.store.cert), before[p.store.cert]);
}

TEST_F(ClusterPkiTest, BadOptionsAreRefusedBeforeTouchingTheDisk) {
  for (const char* bad : {"../escape", "Node-1", "", "a..b", "-a", "a/b"}) {
    ClusterPkiOptions options;
    options.nodes = {{.name = bad}};
    absl::Status status = EnsureClusterPki(Dir(), options).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  ClusterPkiOptions twice;
  twice.nodes = {{.name = "n"}, {.name = "n"}};
  EXPECT_EQ(EnsureClusterPki(Dir(), twice).status().code(), absl::StatusCode::kInvalidArgument);
  ClusterPkiOptions bad_ip;
  bad_ip.apiserver_ip_addresses = {"1.2.3"};
  EXPECT_EQ(EnsureClusterPki(Dir(), bad_ip).status().code(), absl::StatusCode::kInvalidArgument);
  ClusterPkiOptions bad_dns;
  bad_dns.store_dns_names = {"a,IP:1.1.1.1"};
  EXPECT_EQ(EnsureClusterPki(Dir(), bad_dns).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(test::FileMode(Dir()), -1);
}

TEST_F(ClusterPkiTest, LayoutMatchesWhatEnsureWrites) {
  ClusterPkiPaths p = Ensure();
  ClusterPkiPaths layout = ClusterPkiLayout(Dir(), {"node-1", "node-2"});
  std::vector<std::string> a, b;
  for (const CertKeyPaths& pair : AllPairs(p)) a.insert(a.end(), {pair.cert, pair.key});
  for (const CertKeyPaths& pair : AllPairs(layout)) b.insert(b.end(), {pair.cert, pair.key});
  EXPECT_EQ(a, b);
  EXPECT_TRUE(layout.ca_cert_hash.empty());
}

// kubeadm's sa.key / sa.pub: a new cluster's is a P-256 key (ES256 tokens),
// made once, its public half rewritten when it goes missing.
TEST_F(ClusterPkiTest, ServiceAccountKeyPairIsP256AndKept) {
  ClusterPkiPaths p = Ensure();
  EXPECT_EQ(p.service_account_key, Dir() + "/sa.key");
  EXPECT_EQ(p.service_account_public_key, Dir() + "/sa.pub");
  EXPECT_EQ(test::FileMode(p.service_account_key), 0600);
  EXPECT_EQ(test::FileMode(p.service_account_public_key), 0644);
  absl::StatusOr<PrivateKey> key = LoadPrivateKeyFile(p.service_account_key);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(EVP_PKEY_get_base_id(key->get()), EVP_PKEY_EC);
  EXPECT_EQ(*JwsAlgorithmOf(key->get()), kJwsEs256);
  EXPECT_EQ(test::ReadAll(p.service_account_public_key), *key->PublicKeyPem());

  const std::string before = test::ReadAll(p.service_account_key);
  ASSERT_EQ(::unlink(p.service_account_public_key.c_str()), 0);
  EXPECT_THAT(Ensure().written, ElementsAre(p.service_account_public_key));
  EXPECT_EQ(test::ReadAll(p.service_account_key), before);
  EXPECT_EQ(test::ReadAll(p.service_account_public_key), *key->PublicKeyPem());
  EXPECT_THAT(Ensure().written, IsEmpty());

  // A key that signs neither RS256 nor ES256 is named, not replaced.
  EvpPkeyPtr p384(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
  ASSERT_NE(p384, nullptr);
  ASSERT_TRUE(WritePrivateKeyFile(p.service_account_key, PrivateKey(std::move(p384))).ok());
  const std::string refused_key = test::ReadAll(p.service_account_key);
  absl::StatusOr<ClusterPkiPaths> refused = EnsureClusterPki(Dir(), Options());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.status().message()),
              HasSubstr(absl::StrCat(p.service_account_key,
                                     ": an EC key on curve secp384r1 (P-384); only P-256")));
  EXPECT_EQ(test::ReadAll(p.service_account_key), refused_key);
}

// A data dir made by an earlier build holds an RSA sa.key: it is kept as it
// is (never rewritten, never taken for an EC key), sa.pub is its public
// half, and it still signs RS256 tokens its public key verifies.
TEST_F(ClusterPkiTest, AnEarlierClustersRsaServiceAccountKeyIsKept) {
  ASSERT_TRUE(EnsurePrivateDirectory(tmp_.Join("data")).ok());
  ASSERT_TRUE(EnsurePrivateDirectory(Dir()).ok());
  absl::StatusOr<PrivateKey> rsa = PrivateKey::GenerateRsa(2048);
  ASSERT_TRUE(rsa.ok());
  const std::string sa_key = Dir() + "/sa.key";
  ASSERT_TRUE(WritePrivateKeyFile(sa_key, *rsa).ok());
  const std::string before = test::ReadAll(sa_key);

  ClusterPkiPaths p = Ensure();
  EXPECT_THAT(p.written, Not(Contains(sa_key)));
  EXPECT_THAT(p.written, Contains(p.service_account_public_key));
  EXPECT_EQ(test::ReadAll(sa_key), before);
  EXPECT_EQ(test::ReadAll(p.service_account_public_key), *rsa->PublicKeyPem());
  EXPECT_THAT(Ensure().written, IsEmpty());
  EXPECT_EQ(test::ReadAll(sa_key), before);

  absl::StatusOr<PrivateKey> loaded = LoadPrivateKeyFile(sa_key);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(*JwsAlgorithmOf(loaded->get()), kJwsRs256);
  absl::StatusOr<PublicKeySet> keys = PublicKeySet::Load({p.service_account_public_key});
  ASSERT_TRUE(keys.ok()) << keys.status();
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ(keys->entries()[0].algorithm, kJwsRs256);
  absl::StatusOr<std::string> signature = SignJws(*loaded, kJwsRs256, "header.claims");
  ASSERT_TRUE(signature.ok()) << signature.status();
  EXPECT_TRUE(keys->Verify(kJwsRs256, "header.claims", *signature, *KeyId(loaded->get())));

  // A user's P-256 key is kept too.
  absl::StatusOr<PrivateKey> ec = PrivateKey::Generate();
  ASSERT_TRUE(ec.ok());
  ASSERT_TRUE(WritePrivateKeyFile(sa_key, *ec).ok());
  const std::string ec_pem = test::ReadAll(sa_key);
  EXPECT_THAT(Ensure().written, ElementsAre(p.service_account_public_key));
  EXPECT_EQ(test::ReadAll(sa_key), ec_pem);
  EXPECT_EQ(test::ReadAll(p.service_account_public_key), *ec->PublicKeyPem());
}

TEST(IsDns1123Subdomain, FollowsKubernetesRules) {
  EXPECT_TRUE(IsDns1123Subdomain("node-1"));
  EXPECT_TRUE(IsDns1123Subdomain("a.b-c.d"));
  EXPECT_FALSE(IsDns1123Subdomain("A"));
  EXPECT_FALSE(IsDns1123Subdomain("a-"));
  EXPECT_FALSE(IsDns1123Subdomain(".a"));
  EXPECT_FALSE(IsDns1123Subdomain("a_b"));
  EXPECT_FALSE(IsDns1123Subdomain(std::string(254, 'a')));
  EXPECT_FALSE(IsDns1123Subdomain(std::string(64, 'a')));  // one label over 63
}

}  // namespace
}  // namespace minik8s::pki
