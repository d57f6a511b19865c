// The bearer token authenticator (apiserver/authn/authenticator.h):
// kube-apiserver's token file format, and which requests pass.
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "apiserver/authn/authenticator.h"

namespace minik8s::apiserver::authn {
namespace {

using Outcome = Authenticator::Outcome;

TEST(TokenFile, ReadsKubernetesFormat) {
  auto file = TokenFile::Parse(
      "abc123,alice,uid-1\n"
      "\n"
      "def456, bob, uid-2, \"dev,ops\"\r\n"
      "q\"x,carol,uid-3,admins\n",
      "tokens.csv");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->size(), 3u);
  ASSERT_NE(file->Find("abc123"), nullptr);
  EXPECT_EQ(*file->Find("abc123"), (UserInfo{.name = "alice", .uid = "uid-1"}));
  EXPECT_EQ(*file->Find("def456"),
            (UserInfo{.name = "bob", .uid = "uid-2", .groups = {"dev", "ops"}}));
  EXPECT_EQ(file->Find("q\"x")->groups, std::vector<std::string>{"admins"});
  EXPECT_EQ(file->Find("nope"), nullptr);
}

TEST(TokenFile, ALaterLineWinsForARepeatedToken) {
  auto file = TokenFile::Parse("t,first,1\nt,second,2\n", "f");
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->Find("t")->name, "second");
}

TEST(TokenFile, MalformedLinesAreRefusedWithTheirNumber) {
  auto short_line = TokenFile::Parse("a,b,c\nonly,two\n", "tokens.csv");
  EXPECT_EQ(short_line.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(short_line.status().message(), "tokens.csv line 2"))
      << short_line.status();
  EXPECT_TRUE(absl::StrContains(short_line.status().message(), "at least 3 columns"));
  EXPECT_FALSE(TokenFile::Parse(",user,uid\n", "f").ok());
  EXPECT_FALSE(TokenFile::Parse("tok,,uid\n", "f").ok());
  EXPECT_FALSE(TokenFile::Parse("tok,user,uid,\"open\n", "f").ok());
  EXPECT_EQ(TokenFile::Load("/nonexistent/tokens.csv").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(Authenticator, WithoutTokensEveryoneIsAnonymous) {
  Authenticator none;
  EXPECT_FALSE(none.enabled());
  Authenticator::Result r = none.Authenticate("Bearer anything");
  EXPECT_EQ(r.outcome, Outcome::kAnonymous);
  EXPECT_EQ(r.user, Anonymous());
}

TEST(Authenticator, BearerTokensNameTheirUser) {
  Authenticator authn(*TokenFile::Parse("good,alice,u1,dev\n", "f"));
  ASSERT_TRUE(authn.enabled());
  Authenticator::Result ok = authn.Authenticate("Bearer good");
  EXPECT_EQ(ok.outcome, Outcome::kAuthenticated);
  EXPECT_EQ(ok.user.name, "alice");
  EXPECT_EQ(ok.user.groups, (std::vector<std::string>{"dev", kAuthenticatedGroup}));
  EXPECT_EQ(authn.Authenticate("bearer   good").outcome, Outcome::kAuthenticated);
  EXPECT_EQ(authn.Authenticate("").outcome, Outcome::kAnonymous);
  EXPECT_EQ(authn.Authenticate("Bearer bad").outcome, Outcome::kRejected);
  EXPECT_EQ(authn.Authenticate("Bearer ").outcome, Outcome::kRejected);
  EXPECT_EQ(authn.Authenticate("Basic Z29vZA==").outcome, Outcome::kRejected);
  EXPECT_EQ(authn.Authenticate("good").outcome, Outcome::kRejected);
}

TEST(Authenticator, PublicPathsAreTheProbesAndVersion) {
  for (const char* path :
       {"/healthz", "/healthz/etcd", "/livez", "/readyz", "/version", "/version/"}) {
    EXPECT_TRUE(IsPublicPath(path)) << path;
  }
  for (const char* path :
       {"/api", "/apis", "/api/v1/pods", "/openapi/v2", "/metrics", "/healthzz", "/versions"}) {
    EXPECT_FALSE(IsPublicPath(path)) << path;
  }
}

TEST(Authenticator, UnauthorizedIsKubernetes401) {
  absl::Status s = UnauthorizedError();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(s.message(), "Unauthorized");
}

}  // namespace
}  // namespace minik8s::apiserver::authn
