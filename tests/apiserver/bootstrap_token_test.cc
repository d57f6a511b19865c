// Bootstrap tokens (apiserver/authn/bootstrap_token.h): which tokens a
// kube-system Secret makes valid, and the user they name.
#include "apiserver/authn/bootstrap_token.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "apiserver/authn/authenticator.h"

namespace minik8s::apiserver::authn {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

core::v1::Secret TokenSecret(const std::string& id, const std::string& secret) {
  core::v1::Secret s;
  s.mutable_metadata()->set_name("bootstrap-token-" + id);
  s.mutable_metadata()->set_namespace_("kube-system");
  s.set_type("bootstrap.kubernetes.io/token");
  auto& data = *s.mutable_data();
  data["token-id"] = id;
  data["token-secret"] = secret;
  data["usage-bootstrap-authentication"] = "true";
  data["usage-bootstrap-signing"] = "true";
  data["auth-extra-groups"] = "system:bootstrappers:kubeadm:default-node-token";
  data["expiration"] = "2028-01-01T00:00:00Z";  // after kNow (2027-01-15)
  return s;
}

class BootstrapTokenTest : public ::testing::Test {
 protected:
  std::optional<UserInfo> Authenticate(const std::string& token) {
    BootstrapTokenAuthenticator auth(
        [this](const std::string& ns, const std::string& name) -> std::optional<core::v1::Secret> {
          auto it = secrets_.find(ns + "/" + name);
          if (it == secrets_.end()) return std::nullopt;
          return it->second;
        },
        [] { return kNow; });
    return auth.Authenticate(token);
  }
  void Put(const core::v1::Secret& s) {
    secrets_[s.metadata().namespace_() + "/" + s.metadata().name()] = s;
  }
  std::map<std::string, core::v1::Secret> secrets_;
};

TEST(BootstrapTokenFormat, ParsesOnlyIdDotSecret) {
  auto token = ParseBootstrapToken("abcdef.0123456789abcdef");
  ASSERT_TRUE(token.has_value());
  EXPECT_EQ(token->id, "abcdef");
  EXPECT_EQ(token->secret, "0123456789abcdef");
  for (const char* bad : {"", "abcdef0123456789abcdef", "ABCDEF.0123456789abcdef",
                          "abcde.0123456789abcdefg", "abcdef.0123456789abcde!", "abcdef.short"}) {
    EXPECT_FALSE(ParseBootstrapToken(bad).has_value()) << bad;
  }
}

TEST(BootstrapTokenFormat, GeneratedTokensParseAndDiffer) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    auto token = GenerateBootstrapToken();
    ASSERT_TRUE(token.ok());
    const std::string text = token->id + "." + token->secret;
    EXPECT_TRUE(ParseBootstrapToken(text).has_value()) << text;
    seen.insert(text);
  }
  EXPECT_EQ(seen.size(), 50u);
}

TEST_F(BootstrapTokenTest, AValidTokenIsItsBootstrapUser) {
  Put(TokenSecret("abcdef", "0123456789abcdef"));
  auto user = Authenticate("abcdef.0123456789abcdef");
  ASSERT_TRUE(user.has_value());
  EXPECT_EQ(user->name, "system:bootstrap:abcdef");
  EXPECT_EQ(user->groups,
            (std::vector<std::string>{"system:bootstrappers",
                                      "system:bootstrappers:kubeadm:default-node-token",
                                      "system:authenticated"}));
}

TEST_F(BootstrapTokenTest, EveryBrokenConditionRefuses) {
  EXPECT_FALSE(Authenticate("abcdef.0123456789abcdef").has_value()) << "no Secret";
  auto refused = [&](auto mutate, const char* why) {
    core::v1::Secret s = TokenSecret("abcdef", "0123456789abcdef");
    mutate(&s);
    secrets_.clear();
    Put(s);
    EXPECT_FALSE(Authenticate("abcdef.0123456789abcdef").has_value()) << why;
  };
  refused([](core::v1::Secret* s) { (*s->mutable_data())["token-secret"] = "ffffffffffffffff"; },
          "wrong secret");
  refused([](core::v1::Secret* s) { s->set_type("Opaque"); }, "wrong type");
  refused([](core::v1::Secret* s) { (*s->mutable_data())["expiration"] = "2020-01-01T00:00:00Z"; },
          "expired");
  refused([](core::v1::Secret* s) { (*s->mutable_data())["expiration"] = "soon"; },
          "unparsable expiration");
  refused([](core::v1::Secret* s) { s->mutable_data()->erase("usage-bootstrap-authentication"); },
          "not for authentication");
  refused([](core::v1::Secret* s) { (*s->mutable_data())["auth-extra-groups"] = "system:masters"; },
          "a group outside system:bootstrappers:");
  refused([](core::v1::Secret* s) { (*s->mutable_data())["token-id"] = "zzzzzz"; }, "another id");
  refused(
      [](core::v1::Secret* s) {
        s->mutable_metadata()->mutable_deletion_timestamp()->set_seconds(1);
      },
      "being deleted");
}

TEST_F(BootstrapTokenTest, TheAuthenticatorTriesBootstrapTokensAfterTheFile) {
  Put(TokenSecret("abcdef", "0123456789abcdef"));
  BootstrapTokenAuthenticator bootstrap(
      [this](const std::string& ns, const std::string& name) -> std::optional<core::v1::Secret> {
        auto it = secrets_.find(ns + "/" + name);
        if (it == secrets_.end()) return std::nullopt;
        return it->second;
      },
      [] { return kNow; });
  Authenticator auth(std::nullopt, true, &bootstrap);
  EXPECT_TRUE(auth.enabled());
  auto ok = auth.Authenticate("Bearer abcdef.0123456789abcdef");
  EXPECT_EQ(ok.outcome, Authenticator::Outcome::kAuthenticated);
  EXPECT_EQ(ok.user.name, "system:bootstrap:abcdef");
  EXPECT_EQ(auth.Authenticate("Bearer abcdef.ffffffffffffffff").outcome,
            Authenticator::Outcome::kRejected);
  EXPECT_EQ(auth.Authenticate("").outcome, Authenticator::Outcome::kAnonymous);
  // A client certificate still wins over a token.
  CertificateIdentity cert{.common_name = "system:node:n1", .organizations = {"system:nodes"}};
  EXPECT_EQ(auth.Authenticate("Bearer abcdef.0123456789abcdef", &cert).user.name, "system:node:n1");
}

}  // namespace
}  // namespace minik8s::apiserver::authn
