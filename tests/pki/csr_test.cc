#include "pki/csr.h"

#include <openssl/pem.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/pki/pki_test_util.h"

namespace minik8s::pki {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(Csr, RoundTripSignsTheRequestedSubject) {
  absl::StatusOr<CertificateAuthority> ca = CreateSelfSignedCa();
  ASSERT_TRUE(ca.ok());
  absl::StatusOr<PrivateKey> key = PrivateKey::Generate();
  ASSERT_TRUE(key.ok());
  CsrRequest request{.common_name = "system:node:worker-2",
                     .organizations = {"system:nodes"},
                     .dns_names = {"worker-2"},
                     .ip_addresses = {"127.0.0.2"}};
  absl::StatusOr<std::string> csr = CreateCsr(*key, request);
  ASSERT_TRUE(csr.ok()) << csr.status();
  EXPECT_THAT(*csr, HasSubstr("-----BEGIN CERTIFICATE REQUEST-----"));

  absl::StatusOr<CsrRequest> parsed = ParseCsr(*csr);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->common_name, "system:node:worker-2");
  EXPECT_THAT(parsed->organizations, ElementsAre("system:nodes"));
  EXPECT_THAT(parsed->dns_names, ElementsAre("worker-2"));
  EXPECT_THAT(parsed->ip_addresses, ElementsAre("127.0.0.2"));

  absl::StatusOr<Certificate> cert = SignCsr(*ca, *csr, {.server_auth = true, .client_auth = true});
  ASSERT_TRUE(cert.ok()) << cert.status();
  EXPECT_EQ(cert->CommonName(), "system:node:worker-2");
  EXPECT_THAT(cert->Organizations(), ElementsAre("system:nodes"));
  EXPECT_THAT(cert->DnsNames(), ElementsAre("worker-2"));
  EXPECT_THAT(cert->IpAddresses(), ElementsAre("127.0.0.2"));
  EXPECT_TRUE(cert->HasClientAuth());
  EXPECT_TRUE(cert->HasServerAuth());
  EXPECT_TRUE(cert->MatchesKey(*key));  // the CSR's key, not a new one
  EXPECT_EQ(test::VerifyWithOpenSsl(*cert, ca->cert, X509_PURPOSE_SSL_CLIENT), "");
}

TEST(Csr, SignerChoosesTheUsages) {
  absl::StatusOr<CertificateAuthority> ca = CreateSelfSignedCa();
  absl::StatusOr<PrivateKey> key = PrivateKey::Generate();
  ASSERT_TRUE(ca.ok() && key.ok());
  absl::StatusOr<std::string> csr = CreateCsr(*key, {.common_name = "u"});
  ASSERT_TRUE(csr.ok());
  absl::StatusOr<Certificate> cert = SignCsr(*ca, *csr);
  ASSERT_TRUE(cert.ok()) << cert.status();
  EXPECT_TRUE(cert->HasClientAuth());
  EXPECT_FALSE(cert->HasServerAuth());
  EXPECT_TRUE(cert->Organizations().empty());
}

TEST(Csr, TamperedOrOversizedOrGarbageIsRefused) {
  absl::StatusOr<CertificateAuthority> ca = CreateSelfSignedCa();
  absl::StatusOr<PrivateKey> key = PrivateKey::Generate();
  ASSERT_TRUE(ca.ok() && key.ok());
  absl::StatusOr<std::string> csr = CreateCsr(*key, {.common_name = "system:node:a"});
  ASSERT_TRUE(csr.ok());

  // Re-sign the same request info with another key but keep the first
  // public key: the signature no longer proves possession.
  BioPtr bio(BIO_new_mem_buf(csr->data(), static_cast<int>(csr->size())));
  X509ReqPtr req(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
  ASSERT_NE(req, nullptr);
  absl::StatusOr<PrivateKey> other = PrivateKey::Generate();
  ASSERT_TRUE(other.ok());
  ASSERT_GT(X509_REQ_sign(req.get(), other->get(), EVP_sha256()), 0);
  BioPtr out(BIO_new(BIO_s_mem()));
  ASSERT_EQ(PEM_write_bio_X509_REQ(out.get(), req.get()), 1);
  std::string forged = MemoryBioContents(out.get());
  absl::Status status = SignCsr(*ca, forged).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("signature"));

  EXPECT_EQ(ParseCsr("garbage").status().code(), absl::StatusCode::kInvalidArgument);
  std::string huge = *csr + std::string(kMaxCsrPemBytes, '\n');
  EXPECT_THAT(ParseCsr(huge).status().message(), HasSubstr("limit"));
  EXPECT_EQ(CreateCsr(*key, {.common_name = ""}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateCsr(*key, {.common_name = "x", .ip_addresses = {"nope"}}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(Csr, OtherSubjectAltNameTypesAreRefused) {
  absl::StatusOr<PrivateKey> key = PrivateKey::Generate();
  ASSERT_TRUE(key.ok());
  X509ReqPtr req(X509_REQ_new());
  X509_NAME_add_entry_by_NID(X509_REQ_get_subject_name(req.get()), NID_commonName, MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("x"), 1, -1, 0);
  X509_REQ_set_pubkey(req.get(), key->get());
  STACK_OF(X509_EXTENSION)* exts = sk_X509_EXTENSION_new_null();
  sk_X509_EXTENSION_push(
      exts, X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, "email:a@example.com"));
  X509_REQ_add_extensions(req.get(), exts);
  sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  ASSERT_GT(X509_REQ_sign(req.get(), key->get(), EVP_sha256()), 0);
  BioPtr out(BIO_new(BIO_s_mem()));
  ASSERT_EQ(PEM_write_bio_X509_REQ(out.get(), req.get()), 1);
  absl::Status status = ParseCsr(MemoryBioContents(out.get())).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("neither DNS nor IP"));
}

}  // namespace
}  // namespace minik8s::pki
