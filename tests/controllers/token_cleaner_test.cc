// The tokencleaner controller's decision (EvaluateTokenSecret) and its Sync
// against a fake client and a fake clock: an expired bootstrap token Secret
// is deleted with uid and resourceVersion preconditions, one that expires
// later is queued again for the time left, one without expiration is kept,
// one whose expiration is not RFC 3339 counts as expired (as Kubernetes'
// cluster-bootstrap GetExpiration), and other Secrets are ignored.
#include "controllers/tokencleaner/token_cleaner.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/bootstrap_token.h"
#include "api/errors.h"
#include "api/time.h"
#include "client/indexer.h"
#include "common/fake_clock.h"
#include "gtest/gtest.h"

namespace minik8s::controllers {
namespace {

using core::v1::Secret;
using Action = TokenSecretDecision::Action;

const absl::Time kNow = absl::FromUnixSeconds(1700000000);

Secret TokenSecret(const std::string& id, std::optional<std::string> expiration) {
  Secret s;
  s.mutable_metadata()->set_name(std::string(api::kBootstrapTokenSecretPrefix) + id);
  s.mutable_metadata()->set_namespace_(api::kBootstrapTokenNamespace);
  s.mutable_metadata()->set_uid("uid-" + id);
  s.mutable_metadata()->set_resource_version("42");
  s.set_type(api::kBootstrapTokenSecretType);
  auto& data = *s.mutable_data();
  data[api::kBootstrapTokenIdKey] = id;
  data[api::kBootstrapTokenSecretKey] = "0123456789abcdef";
  data[api::kBootstrapTokenUsageAuthenticationKey] = "true";
  if (expiration) data[api::kBootstrapTokenExpirationKey] = *expiration;
  return s;
}

TEST(EvaluateTokenSecret, ExpiredIsDeleted) {
  auto d =
      EvaluateTokenSecret(TokenSecret("abcdef", api::FormatRfc3339(kNow - absl::Seconds(1))), kNow);
  EXPECT_EQ(d.action, Action::kDelete) << d.reason;
}

TEST(EvaluateTokenSecret, ExpiringNowCountsAsExpired) {
  auto d = EvaluateTokenSecret(TokenSecret("abcdef", api::FormatRfc3339(kNow)), kNow);
  EXPECT_EQ(d.action, Action::kDelete) << d.reason;
}

TEST(EvaluateTokenSecret, FutureIsRequeuedAfterTheTimeLeft) {
  auto d =
      EvaluateTokenSecret(TokenSecret("abcdef", api::FormatRfc3339(kNow + absl::Hours(24))), kNow);
  EXPECT_EQ(d.action, Action::kRequeue);
  EXPECT_EQ(d.remaining, absl::Hours(24));
  // With an offset: 22:19:20Z, six minutes after kNow (22:13:20Z).
  d = EvaluateTokenSecret(TokenSecret("abcdef", "2023-11-14T23:19:20+01:00"), kNow);
  EXPECT_EQ(d.action, Action::kRequeue);
  EXPECT_EQ(d.remaining, absl::Minutes(6));
}

TEST(EvaluateTokenSecret, NoExpirationIsKept) {
  EXPECT_EQ(EvaluateTokenSecret(TokenSecret("abcdef", std::nullopt), kNow).action, Action::kKeep);
  EXPECT_EQ(EvaluateTokenSecret(TokenSecret("abcdef", ""), kNow).action, Action::kKeep);
}

TEST(EvaluateTokenSecret, UnparsableExpirationCountsAsExpired) {
  auto d = EvaluateTokenSecret(TokenSecret("abcdef", "tomorrow"), kNow);
  EXPECT_EQ(d.action, Action::kDelete);
  EXPECT_NE(d.reason.find("tomorrow"), std::string::npos) << d.reason;
  EXPECT_NE(d.reason.find("unparsable"), std::string::npos) << d.reason;
}

TEST(EvaluateTokenSecret, OtherSecretsAreIgnored) {
  const std::string past = api::FormatRfc3339(kNow - absl::Hours(1));
  Secret opaque = TokenSecret("abcdef", past);
  opaque.set_type("Opaque");
  EXPECT_EQ(EvaluateTokenSecret(opaque, kNow).action, Action::kIgnore);
  Secret elsewhere = TokenSecret("abcdef", past);
  elsewhere.mutable_metadata()->set_namespace_("default");
  EXPECT_EQ(EvaluateTokenSecret(elsewhere, kNow).action, Action::kIgnore);
}

class FakeTokenSecretClient : public TokenSecretClient {
 public:
  struct Deletion {
    std::string ns, name, uid, resource_version;
  };
  absl::Status DeleteSecret(const std::string& ns, const std::string& name, const std::string& uid,
                            const std::string& resource_version) override {
    deletions.push_back({ns, name, uid, resource_version});
    return answer;
  }
  std::vector<Deletion> deletions;
  absl::Status answer = absl::OkStatus();
};

class TokenCleanerSyncTest : public ::testing::Test {
 protected:
  TokenCleanerSyncTest()
      : clock_(kNow),
        cache_(client::DefaultIndexersFor(Secret::descriptor())),
        cleaner_(client::Lister<Secret>(&cache_), &client_, {.clock = &clock_}) {}

  std::string Store(const Secret& s) {
    cache_.Upsert(std::make_shared<Secret>(s));
    return s.metadata().namespace_() + "/" + s.metadata().name();
  }

  common::FakeClock clock_;
  client::Indexer cache_;
  FakeTokenSecretClient client_;
  TokenCleaner cleaner_;
};

TEST_F(TokenCleanerSyncTest, DeletesAnExpiredTokenWithPreconditions) {
  const std::string key = Store(TokenSecret("abcdef", api::FormatRfc3339(kNow - absl::Minutes(1))));
  ASSERT_TRUE(cleaner_.Sync(key).ok());
  ASSERT_EQ(client_.deletions.size(), 1u);
  EXPECT_EQ(client_.deletions[0].ns, "kube-system");
  EXPECT_EQ(client_.deletions[0].name, "bootstrap-token-abcdef");
  EXPECT_EQ(client_.deletions[0].uid, "uid-abcdef");
  EXPECT_EQ(client_.deletions[0].resource_version, "42");
  EXPECT_EQ(cleaner_.queue()->NumWaiting(), 0);
}

TEST_F(TokenCleanerSyncTest, RequeuesAFutureTokenForTheTimeLeft) {
  const std::string key = Store(TokenSecret("abcdef", api::FormatRfc3339(kNow + absl::Hours(2))));
  ASSERT_TRUE(cleaner_.Sync(key).ok());
  EXPECT_TRUE(client_.deletions.empty());
  EXPECT_EQ(cleaner_.queue()->NumWaiting(), 1);
  clock_.Advance(absl::Hours(2) - absl::Seconds(1));
  EXPECT_EQ(cleaner_.queue()->NumWaiting(), 1) << "not due yet";
  clock_.Advance(absl::Seconds(1));
  std::string got;
  ASSERT_TRUE(cleaner_.queue()->Get(&got));  // blocks until the timer adds it
  EXPECT_EQ(got, key);
  ASSERT_TRUE(cleaner_.Sync(got).ok());
  cleaner_.queue()->Done(got);
  EXPECT_EQ(client_.deletions.size(), 1u) << "expired by now";
}

TEST_F(TokenCleanerSyncTest, KeepsATokenWithoutExpiration) {
  const std::string key = Store(TokenSecret("abcdef", std::nullopt));
  ASSERT_TRUE(cleaner_.Sync(key).ok());
  EXPECT_TRUE(client_.deletions.empty());
  EXPECT_EQ(cleaner_.queue()->NumWaiting(), 0);
}

TEST_F(TokenCleanerSyncTest, DeletesATokenWithAnUnparsableExpiration) {
  const std::string key = Store(TokenSecret("abcdef", "2026-13-45"));
  ASSERT_TRUE(cleaner_.Sync(key).ok());
  EXPECT_EQ(client_.deletions.size(), 1u);
}

TEST_F(TokenCleanerSyncTest, IgnoresOtherSecretsAndMissingKeys) {
  Secret opaque = TokenSecret("abcdef", api::FormatRfc3339(kNow - absl::Hours(1)));
  opaque.set_type("Opaque");
  ASSERT_TRUE(cleaner_.Sync(Store(opaque)).ok());
  ASSERT_TRUE(cleaner_.Sync("kube-system/bootstrap-token-gone00").ok());
  EXPECT_TRUE(client_.deletions.empty());
  EXPECT_EQ(cleaner_.queue()->NumWaiting(), 0);
}

TEST_F(TokenCleanerSyncTest, ConflictAndNotFoundEndTheSyncOtherErrorsRetry) {
  const std::string key = Store(TokenSecret("abcdef", api::FormatRfc3339(kNow - absl::Minutes(1))));
  client_.answer = absl::AbortedError("Precondition failed: UID in precondition: x");
  EXPECT_TRUE(cleaner_.Sync(key).ok());
  client_.answer = absl::NotFoundError("secrets \"bootstrap-token-abcdef\" not found");
  EXPECT_TRUE(cleaner_.Sync(key).ok());
  client_.answer = absl::UnavailableError("apiserver away");
  EXPECT_TRUE(absl::IsUnavailable(cleaner_.Sync(key)));
  EXPECT_EQ(client_.deletions.size(), 3u);
}

}  // namespace
}  // namespace minik8s::controllers
