#include "pki/issue.h"

#include <openssl/pem.h>

#include <string>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/pki/pki_test_util.h"

namespace minik8s::pki {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

CertificateAuthority NewCa() {
  absl::StatusOr<CertificateAuthority> ca = CreateSelfSignedCa();
  EXPECT_TRUE(ca.ok()) << ca.status();
  return std::move(*ca);
}

TEST(PrivateKey, GeneratesP256AndRoundTripsThroughPem) {
  absl::StatusOr<PrivateKey> key = PrivateKey::Generate();
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(EVP_PKEY_get_base_id(key->get()), EVP_PKEY_EC);
  EXPECT_EQ(EVP_PKEY_get_bits(key->get()), 256);
  char curve[64] = {0};
  size_t len = 0;
  ASSERT_EQ(EVP_PKEY_get_utf8_string_param(key->get(), "group", curve, sizeof(curve), &len), 1);
  EXPECT_STREQ(curve, "prime256v1");

  absl::StatusOr<std::string> pem = key->ToPem();
  ASSERT_TRUE(pem.ok());
  EXPECT_TRUE(absl::StartsWith(*pem, "-----BEGIN PRIVATE KEY-----")) << *pem;
  absl::StatusOr<PrivateKey> again = PrivateKey::FromPem(*pem);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(EVP_PKEY_eq(key->get(), again->get()), 1);
}

TEST(PrivateKey, RefusesGarbageAndEncryptedKeysWithoutPrompting) {
  EXPECT_EQ(PrivateKey::FromPem("not a key").status().code(), absl::StatusCode::kInvalidArgument);
  absl::StatusOr<PrivateKey> key = PrivateKey::Generate();
  ASSERT_TRUE(key.ok());
  BioPtr bio(BIO_new(BIO_s_mem()));
  char password[] = "secret";
  ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(bio.get(), key->get(), EVP_aes_128_cbc(), password, 6,
                                          nullptr, nullptr),
            1);
  std::string encrypted = MemoryBioContents(bio.get());
  ASSERT_THAT(encrypted, HasSubstr("ENCRYPTED PRIVATE KEY"));
  EXPECT_EQ(PrivateKey::FromPem(encrypted).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CreateSelfSignedCa, IsATenYearCaWithTheCaProfile) {
  CertificateAuthority ca = NewCa();
  EXPECT_EQ(ca.cert.CommonName(), "minik8s-ca");
  EXPECT_EQ(ca.cert.IssuerCommonName(), "minik8s-ca");
  EXPECT_TRUE(ca.cert.IsCa());
  EXPECT_TRUE(ca.cert.MatchesKey(ca.key));
  EXPECT_EQ(X509_get_version(ca.cert.get()), X509_VERSION_3);
  EXPECT_EQ(test::VerifyWithOpenSsl(ca.cert, ca.cert, -1), "");
  absl::Duration validity = ca.cert.NotAfter() - ca.cert.NotBefore();
  EXPECT_EQ(validity, kDefaultCaValidity + kNotBeforeBackdate);
  // basicConstraints critical CA:TRUE, keyUsage critical certSign + cRLSign.
  int crit = -1;
  BASIC_CONSTRAINTS* bc = static_cast<BASIC_CONSTRAINTS*>(
      X509_get_ext_d2i(ca.cert.get(), NID_basic_constraints, &crit, nullptr));
  ASSERT_NE(bc, nullptr);
  EXPECT_EQ(crit, 1);
  EXPECT_TRUE(bc->ca);
  BASIC_CONSTRAINTS_free(bc);
  uint32_t ku = X509_get_key_usage(ca.cert.get());
  EXPECT_TRUE(ku & KU_KEY_CERT_SIGN);
  EXPECT_TRUE(ku & KU_CRL_SIGN);
  EXPECT_NE(test::SubjectKeyId(ca.cert), "");
  EXPECT_EQ(test::AuthorityKeyId(ca.cert), test::SubjectKeyId(ca.cert));
}

TEST(IssueCertificate, ServingCertHasTheSansAndServerAuthAndVerifies) {
  CertificateAuthority ca = NewCa();
  absl::StatusOr<IssuedCert> issued = IssueWithNewKey(
      ca, ServingSpec("kube-apiserver", {"localhost", "kubernetes"}, {"127.0.0.1", "::1"}));
  ASSERT_TRUE(issued.ok()) << issued.status();
  const Certificate& cert = issued->cert;
  EXPECT_EQ(cert.CommonName(), "kube-apiserver");
  EXPECT_EQ(cert.IssuerCommonName(), "minik8s-ca");
  EXPECT_THAT(cert.DnsNames(), ElementsAre("localhost", "kubernetes"));
  EXPECT_THAT(cert.IpAddresses(), ElementsAre("127.0.0.1", "::1"));
  EXPECT_TRUE(cert.HasServerAuth());
  EXPECT_FALSE(cert.HasClientAuth());
  EXPECT_FALSE(cert.IsCa());
  EXPECT_TRUE(cert.MatchesKey(issued->key));
  EXPECT_FALSE(cert.MatchesKey(ca.key));
  EXPECT_EQ(test::VerifyWithOpenSsl(cert, ca.cert, X509_PURPOSE_SSL_SERVER), "");
  EXPECT_NE(test::VerifyWithOpenSsl(cert, ca.cert, X509_PURPOSE_SSL_CLIENT), "");
  EXPECT_TRUE(cert.VerifySignedBy(ca.cert).ok());
  EXPECT_EQ(X509_check_host(cert.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "10.0.0.1", 0), 0);
  EXPECT_EQ(cert.NotAfter() - cert.NotBefore(), kDefaultCertValidity + kNotBeforeBackdate);
  EXPECT_EQ(test::AuthorityKeyId(cert), test::SubjectKeyId(ca.cert));
  EXPECT_NE(test::SubjectKeyId(cert), "");
  EXPECT_EQ(X509_get_key_usage(cert.get()) & KU_KEY_CERT_SIGN, 0u);
  EXPECT_TRUE(X509_get_key_usage(cert.get()) & KU_DIGITAL_SIGNATURE);
}

TEST(IssueCertificate, ClientCertHasCnAndOrganizationsAndClientAuth) {
  CertificateAuthority ca = NewCa();
  absl::StatusOr<IssuedCert> issued =
      IssueWithNewKey(ca, ClientSpec("system:node:n1", {"system:nodes", "team-a"}));
  ASSERT_TRUE(issued.ok()) << issued.status();
  EXPECT_EQ(issued->cert.CommonName(), "system:node:n1");
  EXPECT_THAT(issued->cert.Organizations(), ElementsAre("system:nodes", "team-a"));
  EXPECT_TRUE(issued->cert.DnsNames().empty());
  EXPECT_TRUE(issued->cert.HasClientAuth());
  EXPECT_FALSE(issued->cert.HasServerAuth());
  EXPECT_EQ(test::VerifyWithOpenSsl(issued->cert, ca.cert, X509_PURPOSE_SSL_CLIENT), "");
  EXPECT_NE(test::VerifyWithOpenSsl(issued->cert, ca.cert, X509_PURPOSE_SSL_SERVER), "");
}

TEST(IssueCertificate, SerialNumbersAreRandomAndPositive) {
  CertificateAuthority ca = NewCa();
  absl::StatusOr<IssuedCert> a = IssueWithNewKey(ca, ClientSpec("a", {}));
  absl::StatusOr<IssuedCert> b = IssueWithNewKey(ca, ClientSpec("a", {}));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->cert.SerialHex(), b->cert.SerialHex());
  EXPECT_NE(a->cert.SerialHex(), ca.cert.SerialHex());
  EXPECT_FALSE(absl::StartsWith(a->cert.SerialHex(), "-"));
  EXPECT_GE(a->cert.SerialHex().size(), 16u);  // at least 64 random bits
}

TEST(IssueCertificate, RefusesABadSpec) {
  CertificateAuthority ca = NewCa();
  absl::StatusOr<PrivateKey> key = PrivateKey::Generate();
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(IssueCertificate(ca, *key, ClientSpec("", {})).status().code(),
            absl::StatusCode::kInvalidArgument);
  CertificateSpec no_usage;
  no_usage.common_name = "x";
  EXPECT_EQ(IssueCertificate(ca, *key, no_usage).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(IssueCertificate(ca, *key, ServingSpec("x", {}, {"300.1.1.1"})).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(IssueCertificate(ca, *key, ServingSpec("x", {"a,IP:1.2.3.4"}, {})).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(IssueCertificate(ca, *key, ServingSpec("x", {""}, {})).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(IssueCertificate, RefusesACaWhoseKeyDoesNotMatch) {
  CertificateAuthority ca = NewCa();
  CertificateAuthority other = NewCa();
  CertificateAuthority mixed{ca.cert.Clone(), std::move(other.key)};
  absl::StatusOr<IssuedCert> issued = IssueWithNewKey(mixed, ClientSpec("x", {}));
  EXPECT_EQ(issued.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(issued.status().message(), HasSubstr("does not match"));
}

TEST(Certificate, FromAnotherCaOrExpiredDoesNotVerify) {
  CertificateAuthority ca = NewCa();
  CertificateAuthority other = NewCa();
  absl::StatusOr<IssuedCert> issued = IssueWithNewKey(other, ClientSpec("x", {}));
  ASSERT_TRUE(issued.ok());
  absl::Status status = issued->cert.VerifySignedBy(ca.cert);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(test::VerifyWithOpenSsl(issued->cert, ca.cert, -1), "");

  CertificateSpec spec = ClientSpec("old", {});
  spec.not_before = absl::Now() - absl::Hours(24 * 800);
  absl::StatusOr<IssuedCert> expired = IssueWithNewKey(ca, spec);
  ASSERT_TRUE(expired.ok()) << expired.status();
  status = expired->cert.VerifySignedBy(ca.cert);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("expired"));
}

TEST(Certificate, PemAndDerRoundTrip) {
  CertificateAuthority ca = NewCa();
  absl::StatusOr<std::string> pem = ca.cert.ToPem();
  ASSERT_TRUE(pem.ok());
  absl::StatusOr<Certificate> again = Certificate::FromPem(*pem);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again->ToDer(), *ca.cert.ToDer());
  EXPECT_EQ(Certificate::FromPem("garbage").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CanonicalIp, NormalizesV4AndV6) {
  EXPECT_EQ(*CanonicalIp("0:0:0:0:0:0:0:1"), "::1");
  EXPECT_EQ(*CanonicalIp("10.96.0.1"), "10.96.0.1");
  EXPECT_FALSE(CanonicalIp("10.96.0").ok());
  EXPECT_FALSE(CanonicalIp("localhost").ok());
}

}  // namespace
}  // namespace minik8s::pki
