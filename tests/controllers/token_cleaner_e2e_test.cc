// The tokencleaner end to end: minik8s-apiserver over TLS with
// --authorization-mode=RBAC, and minik8s-controller-manager
// (--controllers=tokencleaner) with its own client certificate, so the
// delete goes through the bootstrap policy's kube-system Role and
// RoleBinding system:controller:token-cleaner. A bootstrap token Secret whose
// expiration is 2 s ahead disappears; one without expiration, one expiring
// in an hour and an expired Secret of another type stay. Skips when the
// binaries are not built.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "api/bootstrap_token.h"
#include "api/errors.h"
#include "api/time.h"
#include "client/clientset.h"
#include "k8s/core/v1/core.pb.h"
#include "k8s/rbac/v1/rbac.pb.h"
#include "testing/control_plane.h"
#include "testing/wait.h"

namespace minik8s::controllers {
namespace {

using minik8s::core::v1::Secret;
using minik8s::testing::BackendKind;
using minik8s::testing::ControlPlane;

Secret TokenSecret(const std::string& id, std::optional<absl::Time> expiration,
                   const std::string& type = api::kBootstrapTokenSecretType) {
  Secret s;
  s.mutable_metadata()->set_name(absl::StrCat(api::kBootstrapTokenSecretPrefix, id));
  s.mutable_metadata()->set_namespace_(api::kBootstrapTokenNamespace);
  s.set_type(type);
  auto& data = *s.mutable_data();
  data[api::kBootstrapTokenIdKey] = id;
  data[api::kBootstrapTokenSecretKey] = "0123456789abcdef";
  data[api::kBootstrapTokenUsageAuthenticationKey] = "true";
  if (expiration) data[api::kBootstrapTokenExpirationKey] = api::FormatRfc3339(*expiration);
  return s;
}

class TokenCleanerE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = ControlPlane::MissingPrerequisite(
            BackendKind::kMinik8sStore, {"minik8s-apiserver", "minik8s-controller-manager"});
        !why.empty()) {
      GTEST_SKIP() << why;
    }
    cp_ = std::make_unique<ControlPlane>(ControlPlane::Options{
        .apiserver_flags = {"--authorization-mode=RBAC"}, .pki = pki::ClusterPkiOptions{}});
    absl::Status started = cp_->Start();
    ASSERT_TRUE(started.ok()) << started;
    admin_ = cp_->clientset();
    // The bootstrap policy is in place once the admin sees its last object.
    ASSERT_TRUE(testing::WaitFor(
        [&] {
          return admin_->For<rbac::v1::RoleBinding>()
              .Get("kube-system", "system:controller:token-cleaner")
              .ok();
        },
        absl::Seconds(20)));
    ASSERT_TRUE(
        cp_->StartControllerManager({"--leader-elect=false", "--controllers=tokencleaner"}).ok());
  }

  bool Exists(const std::string& name) {
    auto got = admin_->For<Secret>().Get(api::kBootstrapTokenNamespace, name);
    EXPECT_TRUE(got.ok() || absl::IsNotFound(got.status())) << got.status();
    return got.ok();
  }

  std::unique_ptr<ControlPlane> cp_;
  client::Clientset* admin_ = nullptr;
};

TEST_F(TokenCleanerE2E, DeletesTheExpiredTokenAndKeepsTheOthers) {
  const absl::Time now = absl::Now();
  for (const Secret& s :
       {TokenSecret("short1", now + absl::Seconds(2)), TokenSecret("never1", std::nullopt),
        TokenSecret("hour01", now + absl::Hours(1)),
        TokenSecret("opaque", now - absl::Hours(1), "Opaque")}) {
    auto created = admin_->For<Secret>().Create(s);
    ASSERT_TRUE(created.ok()) << s.metadata().name() << ": " << created.status();
  }
  ASSERT_TRUE(
      testing::WaitFor([&] { return !Exists("bootstrap-token-short1"); }, absl::Seconds(20)))
      << "the expired token Secret is still there";
  // Its expiration (whole seconds) is at least 1 s after `now`.
  EXPECT_GE(absl::Now(), now + absl::Seconds(1)) << "deleted before its expiration";
  EXPECT_TRUE(Exists("bootstrap-token-never1"));
  EXPECT_TRUE(Exists("bootstrap-token-hour01"));
  EXPECT_TRUE(Exists("bootstrap-token-opaque"));
}

}  // namespace
}  // namespace minik8s::controllers
