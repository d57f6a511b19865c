// The failures common/tls.h reports before any handshake: missing and
// malformed files, and flag combinations that cannot work. Certificates that
// do work are covered end to end (tests/store/e2e/tls_e2e_test.cc).
#include "common/tls.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "testing/temp_dir.h"

namespace minik8s {
namespace {

class TlsFilesTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = dir_.Join(name);
    std::ofstream(path) << text;
    return path;
  }
  testing::TempDir dir_;
};

TEST_F(TlsFilesTest, MissingEmptyAndNonPemFilesAreNamed) {
  auto missing = ReadPemFile(dir_.Join("nope.crt"));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(missing.status().message(), "nope.crt"));
  auto empty = ReadPemFile(Write("empty.crt", ""));
  EXPECT_TRUE(absl::StrContains(empty.status().message(), "empty.crt is empty"));
  auto text = ReadPemFile(Write("text.crt", "hello"));
  EXPECT_TRUE(absl::StrContains(text.status().message(), "text.crt holds no PEM block"));
}

TEST_F(TlsFilesTest, ServerNeedsCertAndKeyAndCaForClientAuth) {
  EXPECT_FALSE(MakeServerCredentials({.cert_file = "a.crt"}).ok());
  const std::string junk =
      Write("junk.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
  auto bad = MakeServerCredentials({.cert_file = junk, .key_file = junk});
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "holds no PEM certificate"))
      << bad.status();
  auto no_ca =
      MakeServerCredentials({.cert_file = junk, .key_file = junk, .client_cert_auth = true});
  EXPECT_FALSE(no_ca.ok());
}

TEST_F(TlsFilesTest, ClientNeedsBothCertAndKeyOrNeither) {
  auto half = MakeChannelCredentials({.cert_file = "c.crt"});
  EXPECT_TRUE(absl::StrContains(half.status().message(), "both or neither")) << half.status();
  auto missing_ca = MakeChannelCredentials({.ca_file = dir_.Join("ca.crt")});
  EXPECT_TRUE(absl::StrContains(missing_ca.status().message(), "ca.crt"));
  EXPECT_TRUE(MakeChannelCredentials({}).ok());  // the system's roots
}

}  // namespace
}  // namespace minik8s
