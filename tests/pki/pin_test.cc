#include "pki/pin.h"

#include <openssl/sha.h>

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pki/issue.h"

namespace minik8s::pki {
namespace {

// Made once with
//   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes
//     -keyout k.pem -out c.pem -days 3650 -subj "/CN=pin-test-vector"
// and pinned with
//   openssl x509 -pubkey -noout -in c.pem | openssl pkey -pubin -outform der | sha256sum
constexpr char kVectorCert[] = R"(-----BEGIN CERTIFICATE-----
MIIBijCCAS+gAwIBAgIUEBUMTDwu/c7D+DMBHOZLYoI+RI4wCgYIKoZIzj0EAwIw
GjEYMBYGA1UEAwwPcGluLXRlc3QtdmVjdG9yMB4XDTI2MTIwNTA2MjUyNVoXDTM2
MTIwMjA2MjUyNVowGjEYMBYGA1UEAwwPcGluLXRlc3QtdmVjdG9yMFkwEwYHKoZI
zj0CAQYIKoZIzj0DAQcDQgAEZGBEAAMl/2n76YVeF8xqZZ2MNKGjWIfiW4cV3V9v
BR/95UJ6MF46kkeBz/ytitq3wTE3WUCKikVN+FDHiA5GB6NTMFEwHQYDVR0OBBYE
FCyw7/meStIYiYPB9f8/v/FJhGcUMB8GA1UdIwQYMBaAFCyw7/meStIYiYPB9f8/
v/FJhGcUMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSQAwRgIhAOTvJCHV
pd0uFX+y3Ezyd1pmY0phBvL7CSRlR5B4Amw0AiEAj0TPzUSOjEPOCnl30vuiMivu
M3jFSjmuylVey55SDE8=
-----END CERTIFICATE-----
)";
constexpr char kVectorPin[] =
    "sha256:2bec5d92be8309a4a0539d648b8bb887ff92b5f07d7ded828ece0edd54f8e1b8";

TEST(CaCertHash, MatchesTheOpenSslCliVector) {
  absl::StatusOr<Certificate> cert = Certificate::FromPem(kVectorCert);
  ASSERT_TRUE(cert.ok()) << cert.status();
  absl::StatusOr<std::string> pin = CaCertHash(*cert);
  ASSERT_TRUE(pin.ok()) << pin.status();
  EXPECT_EQ(*pin, kVectorPin);
  EXPECT_TRUE(VerifyCaCertHash(*cert, kVectorPin).ok());
}

TEST(CaCertHash, IsSha256OfTheDerSubjectPublicKeyInfo) {
  absl::StatusOr<CertificateAuthority> ca = CreateSelfSignedCa();
  ASSERT_TRUE(ca.ok());
  // Computed here from the certificate's X509_PUBKEY, independently of pin.cc.
  unsigned char* der = nullptr;
  int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(ca->cert.get()), &der);
  ASSERT_GT(len, 0);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(der, static_cast<size_t>(len), digest);
  OPENSSL_free(der);
  std::string want = "sha256:" + absl::BytesToHexString(absl::string_view(
                                     reinterpret_cast<const char*>(digest), sizeof(digest)));
  EXPECT_EQ(*CaCertHash(ca->cert), want);
}

TEST(VerifyCaCertHash, AcceptsUpperCaseAndRefusesOthers) {
  absl::StatusOr<Certificate> cert = Certificate::FromPem(kVectorCert);
  ASSERT_TRUE(cert.ok());
  std::string upper = "sha256:" + absl::AsciiStrToUpper(std::string(kVectorPin).substr(7));
  EXPECT_TRUE(VerifyCaCertHash(*cert, upper).ok());

  absl::StatusOr<CertificateAuthority> other = CreateSelfSignedCa();
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(VerifyCaCertHash(other->cert, kVectorPin).code(), absl::StatusCode::kPermissionDenied);

  std::string hex = std::string(kVectorPin).substr(7);
  EXPECT_EQ(VerifyCaCertHash(*cert, hex).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(VerifyCaCertHash(*cert, "sha256:" + hex.substr(1)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(VerifyCaCertHash(*cert, "sha256:" + hex.substr(1) + "g").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(VerifyCaCertHash(*cert, "md5:" + hex).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace minik8s::pki
