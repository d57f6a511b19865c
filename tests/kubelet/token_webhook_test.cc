// The kubelet's --authentication-token-webhook (kubelet/token_webhook.h):
// the TokenReview it sends, the user it reads back, and its cache of
// answers by token on a fake clock (acceptances and refusals kept for the
// TTL, errors and explained refusals never); the bearer token parsing of
// server_auth.h, and who a gRPC caller is with and without a token (an
// in-process channel: no network); the ExpiringLru both webhook caches use.
#include "kubelet/token_webhook.h"

#include <gmock/gmock.h>
#include <grpcpp/server_builder.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/fake_clock.h"
#include "kubelet/expiring_lru.h"
#include "kubelet/server_auth.h"
#include "kubelet/v1/kubelet.grpc.pb.h"

namespace minik8s::kubelet {
namespace {

namespace authnv1 = ::minik8s::authentication::v1;
using ::testing::ElementsAre;

// Authenticates "good" as robot, refuses "bad" (without a reason) and
// "explained" (with one); fails while `error`.
class FakeTokenReviewer : public TokenReviewer {
 public:
  absl::StatusOr<authnv1::TokenReview> Review(const authnv1::TokenReview& review) override {
    ++calls;
    last = review;
    if (!error.ok()) return error;
    authnv1::TokenReview answer = review;
    auto* status = answer.mutable_status();
    if (review.spec().token() == "good") {
      status->set_authenticated(true);
      status->mutable_user()->set_username("system:serviceaccount:default:robot");
      status->mutable_user()->set_uid("uid-1");
      status->mutable_user()->add_groups("system:serviceaccounts");
      status->mutable_user()->add_groups("system:authenticated");
      (*status->mutable_user()->mutable_extra())["authentication.kubernetes.io/credential-id"]
          .add_items("JTI=j");
    } else if (review.spec().token() == "explained") {
      status->set_error("invalid bearer token");
    }
    return answer;
  }
  absl::Status error;
  int calls = 0;
  authnv1::TokenReview last;
};

class TokenWebhookTest : public ::testing::Test {
 protected:
  FakeTokenReviewer reviewer_;
  common::FakeClock clock_;
};

TEST_F(TokenWebhookTest, SendsTheTokenAndReadsTheUser) {
  WebhookTokenAuthenticator authenticator(&reviewer_, &clock_, {});
  absl::StatusOr<std::optional<KubeletUser>> user = authenticator.Authenticate("good");
  ASSERT_TRUE(user.ok()) << user.status();
  ASSERT_TRUE(user->has_value());
  EXPECT_EQ((*user)->name, "system:serviceaccount:default:robot");
  EXPECT_EQ((*user)->uid, "uid-1");
  EXPECT_THAT((*user)->groups, ElementsAre("system:serviceaccounts", "system:authenticated"));
  EXPECT_THAT((*user)->extra.at("authentication.kubernetes.io/credential-id"),
              ElementsAre("JTI=j"));
  EXPECT_EQ(reviewer_.last.api_version(), "authentication.k8s.io/v1");
  EXPECT_EQ(reviewer_.last.kind(), "TokenReview");
  EXPECT_EQ(reviewer_.last.spec().token(), "good");
  // The kubelet asks for no audience: the apiserver's own apply.
  EXPECT_EQ(reviewer_.last.spec().audiences_size(), 0);
}

TEST_F(TokenWebhookTest, AcceptancesAndRefusalsAreKeptForTheTtl) {
  WebhookTokenAuthenticator authenticator(&reviewer_, &clock_, {.cache_ttl = absl::Minutes(2)});
  ASSERT_TRUE(authenticator.Authenticate("good").ok());
  absl::StatusOr<std::optional<KubeletUser>> refused = authenticator.Authenticate("bad");
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_FALSE(refused->has_value());
  EXPECT_EQ(reviewer_.calls, 2);
  EXPECT_EQ(authenticator.cached(), 2u);
  clock_.Advance(absl::Minutes(2) - absl::Seconds(1));
  EXPECT_TRUE(authenticator.Authenticate("good")->has_value());
  EXPECT_FALSE(authenticator.Authenticate("bad")->has_value());
  EXPECT_EQ(reviewer_.calls, 2);  // both from the cache
  // Past the TTL both are asked again; meanwhile the apiserver changed its
  // mind about "good".
  clock_.Advance(absl::Seconds(1));
  reviewer_.error = absl::UnavailableError("apiserver down");
  EXPECT_FALSE(authenticator.Authenticate("good").ok());
  EXPECT_EQ(reviewer_.calls, 3);
}

TEST_F(TokenWebhookTest, ErrorsAndExplainedRefusalsAreNeverKept) {
  WebhookTokenAuthenticator authenticator(&reviewer_, &clock_, {});
  absl::StatusOr<std::optional<KubeletUser>> explained = authenticator.Authenticate("explained");
  EXPECT_EQ(explained.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(explained.status().message(), "invalid bearer token");
  EXPECT_FALSE(authenticator.Authenticate("explained").ok());
  EXPECT_EQ(reviewer_.calls, 2);
  reviewer_.error = absl::UnavailableError("apiserver down");
  EXPECT_EQ(authenticator.Authenticate("good").status().code(), absl::StatusCode::kUnavailable);
  reviewer_.error = absl::OkStatus();
  EXPECT_TRUE(authenticator.Authenticate("good")->has_value());
  EXPECT_EQ(reviewer_.calls, 4);
  EXPECT_EQ(authenticator.cached(), 1u);
}

TEST_F(TokenWebhookTest, ATtlOfZeroKeepsNothing) {
  WebhookTokenAuthenticator authenticator(&reviewer_, &clock_, {.cache_ttl = absl::ZeroDuration()});
  ASSERT_TRUE(authenticator.Authenticate("good").ok());
  ASSERT_TRUE(authenticator.Authenticate("good").ok());
  EXPECT_EQ(reviewer_.calls, 2);
  EXPECT_EQ(authenticator.cached(), 0u);
}

TEST_F(TokenWebhookTest, AtMostMaxEntriesTokensAreKept) {
  WebhookTokenAuthenticator authenticator(&reviewer_, &clock_, {.max_entries = 2});
  for (const char* token : {"t1", "t2", "t3"}) ASSERT_TRUE(authenticator.Authenticate(token).ok());
  EXPECT_EQ(authenticator.cached(), 2u);
  ASSERT_TRUE(authenticator.Authenticate("t3").ok());
  ASSERT_TRUE(authenticator.Authenticate("t2").ok());
  EXPECT_EQ(reviewer_.calls, 3);
  ASSERT_TRUE(authenticator.Authenticate("t1").ok());  // pushed out first
  EXPECT_EQ(reviewer_.calls, 4);
}

TEST(ExpiringLru, ExpiresAndDropsTheLeastRecentlyUsed) {
  const absl::Time t = absl::FromUnixSeconds(1000);
  ExpiringLru<int> cache(2);
  cache.Put("a", 1, t + absl::Seconds(5));
  cache.Put("b", 2, t + absl::Seconds(5));
  EXPECT_EQ(cache.Get("a", t), 1);  // a is now the most recent
  cache.Put("c", 3, t + absl::Seconds(5));
  EXPECT_EQ(cache.Get("b", t), std::nullopt);
  EXPECT_EQ(cache.Get("c", t), 3);
  EXPECT_EQ(cache.Get("a", t + absl::Seconds(5)), std::nullopt);
  EXPECT_EQ(cache.size(), 1u);
  ExpiringLru<int> none(0);
  none.Put("a", 1, t + absl::Seconds(5));
  EXPECT_EQ(none.size(), 0u);
}

TEST(BearerToken, ReadsTheKubeletsWay) {
  EXPECT_EQ(BearerToken("Bearer abc"), "abc");
  EXPECT_EQ(BearerToken("bearer abc"), "abc");
  EXPECT_EQ(BearerToken("  BEARER abc  "), "abc");
  EXPECT_EQ(BearerToken("Bearer abc def"), "abc");
  EXPECT_EQ(BearerToken("Bearer  abc"), "");  // an empty token: none
  EXPECT_EQ(BearerToken("Basic abc"), "");
  EXPECT_EQ(BearerToken("Bearer"), "");
  EXPECT_EQ(BearerToken(""), "");
}

// A kubelet API whose ContainerLogs answers with the caller's user name
// (or the authentication error), served on an in-process channel.
class WhoAmIService final : public v1::Kubelet::Service {
 public:
  WhoAmIService(KubeletTokenAuthenticator* tokens, bool anonymous)
      : tokens_(tokens), anonymous_(anonymous) {}
  grpc::Status ContainerLogs(grpc::ServerContext* context, const v1::ContainerLogsRequest*,
                             grpc::ServerWriter<v1::ContainerLogsResponse>* writer) override {
    absl::StatusOr<KubeletUser> user = AuthenticateKubeletCaller(*context, tokens_, anonymous_);
    if (!user.ok()) return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "Unauthorized");
    v1::ContainerLogsResponse response;
    response.add_lines()->set_text(absl::StrCat(user->name, " ", absl::StrJoin(user->groups, ",")));
    writer->Write(response);
    return grpc::Status::OK;
  }

 private:
  KubeletTokenAuthenticator* const tokens_;
  const bool anonymous_;
};

class KubeletCallerTest : public ::testing::Test {
 protected:
  // The caller's "name groups" as the service saw it, or the error.
  std::string WhoAmI(bool with_tokens, bool anonymous, const std::string& authorization) {
    WebhookTokenAuthenticator tokens(&reviewer_, &clock_, {});
    WhoAmIService service(with_tokens ? &tokens : nullptr, anonymous);
    grpc::ServerBuilder builder;
    builder.RegisterService(&service);
    std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
    auto stub = v1::Kubelet::NewStub(server->InProcessChannel(grpc::ChannelArguments()));
    grpc::ClientContext context;
    if (!authorization.empty()) context.AddMetadata("authorization", authorization);
    auto reader = stub->ContainerLogs(&context, v1::ContainerLogsRequest());
    v1::ContainerLogsResponse response;
    std::string text;
    while (reader->Read(&response)) text = response.lines(0).text();
    grpc::Status status = reader->Finish();
    server->Shutdown();
    return status.ok() ? text : status.error_message();
  }

  FakeTokenReviewer reviewer_;
  common::FakeClock clock_;
};

TEST_F(KubeletCallerTest, ABearerTokenIsTheReviewedUser) {
  EXPECT_EQ(WhoAmI(true, false, "Bearer good"),
            "system:serviceaccount:default:robot system:serviceaccounts,system:authenticated");
  EXPECT_EQ(reviewer_.last.spec().token(), "good");
  EXPECT_EQ(WhoAmI(true, false, "bearer good"),
            "system:serviceaccount:default:robot system:serviceaccounts,system:authenticated");
}

TEST_F(KubeletCallerTest, RefusedTokensAndMissingCredentialsAreUnauthorized) {
  EXPECT_EQ(WhoAmI(true, false, "Bearer bad"), "Unauthorized");
  EXPECT_EQ(WhoAmI(true, false, "Bearer explained"), "Unauthorized");
  reviewer_.error = absl::UnavailableError("apiserver down");
  EXPECT_EQ(WhoAmI(true, false, "Bearer good"), "Unauthorized");
  reviewer_.error = absl::OkStatus();
  // No token, or not a bearer one: anonymous only where the kubelet lets
  // anonymous callers in (no client CA).
  EXPECT_EQ(WhoAmI(true, false, ""), "Unauthorized");
  EXPECT_EQ(WhoAmI(true, false, "Basic Zm9vOmJhcg=="), "Unauthorized");
  EXPECT_EQ(WhoAmI(true, true, ""), "system:anonymous system:unauthenticated");
  const int asked = reviewer_.calls;
  // Without --authentication-token-webhook the header is not looked at.
  EXPECT_EQ(WhoAmI(false, true, "Bearer good"), "system:anonymous system:unauthenticated");
  EXPECT_EQ(reviewer_.calls, asked);
}

}  // namespace
}  // namespace minik8s::kubelet
