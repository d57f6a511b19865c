// The kubelet's Webhook authorizer (kubelet/webhook_authorizer.h): the
// SubjectAccessReview it sends, and its cache of answers on a fake clock.
#include "kubelet/webhook_authorizer.h"

#include <string>
#include <vector>

#include "common/fake_clock.h"
#include "gtest/gtest.h"

namespace minik8s::kubelet {
namespace {

namespace authzv1 = ::minik8s::authorization::v1;

// Allows the users in `allowed`; counts the reviews; fails while `error`.
class FakeReviewer : public SubjectAccessReviewer {
 public:
  absl::StatusOr<authzv1::SubjectAccessReview> Review(
      const authzv1::SubjectAccessReview& review) override {
    ++calls;
    last = review;
    if (!error.ok()) return error;
    authzv1::SubjectAccessReview answer = review;
    for (const std::string& user : allowed) {
      if (user == review.spec().user()) answer.mutable_status()->set_allowed(true);
    }
    if (deny) answer.mutable_status()->set_denied(true);
    return answer;
  }
  std::vector<std::string> allowed;
  bool deny = false;
  absl::Status error;
  int calls = 0;
  authzv1::SubjectAccessReview last;
};

const KubeletUser kAlice{.name = "alice",
                         .uid = "uid-a",
                         .groups = {"dev", "system:authenticated"},
                         .extra = {{"scopes", {"x", "y"}}}};
const NodeAttributes kGetProxy{.verb = "get", .subresource = "proxy", .name = "node-1"};

TEST(WebhookAuthorizer, SendsTheUserAndTheNodeAttributes) {
  FakeReviewer reviewer;
  common::FakeClock clock;
  WebhookAuthorizer authorizer(&reviewer, &clock, {});
  ASSERT_TRUE(authorizer.Authorize(kAlice, kGetProxy).ok());
  const authzv1::SubjectAccessReview& sent = reviewer.last;
  EXPECT_EQ(sent.kind(), "SubjectAccessReview");
  EXPECT_EQ(sent.api_version(), "authorization.k8s.io/v1");
  EXPECT_EQ(sent.spec().user(), "alice");
  EXPECT_EQ(sent.spec().uid(), "uid-a");
  ASSERT_EQ(sent.spec().groups_size(), 2);
  EXPECT_EQ(sent.spec().groups(0), "dev");
  ASSERT_EQ(sent.spec().extra().count("scopes"), 1u);
  EXPECT_EQ(sent.spec().extra().at("scopes").items_size(), 2);
  const auto& a = sent.spec().resource_attributes();
  EXPECT_EQ(a.verb(), "get");
  EXPECT_EQ(a.group(), "");
  EXPECT_EQ(a.version(), "v1");
  EXPECT_EQ(a.resource(), "nodes");
  EXPECT_EQ(a.subresource(), "proxy");
  EXPECT_EQ(a.name(), "node-1");
  EXPECT_EQ(a.namespace_(), "");
  EXPECT_FALSE(sent.spec().has_non_resource_attributes());
}

TEST(WebhookAuthorizer, CachesAllowedFiveMinutesAndRefusedThirtySeconds) {
  FakeReviewer reviewer;
  reviewer.allowed = {"alice"};
  common::FakeClock clock;
  WebhookAuthorizer authorizer(&reviewer, &clock, {});
  const KubeletUser bob{.name = "bob", .groups = {"system:authenticated"}};

  EXPECT_EQ(*authorizer.Authorize(kAlice, kGetProxy), true);
  EXPECT_EQ(*authorizer.Authorize(bob, kGetProxy), false);
  EXPECT_EQ(reviewer.calls, 2);
  // Answered from the cache, even once the apiserver changed its mind.
  reviewer.allowed = {"bob"};
  EXPECT_EQ(*authorizer.Authorize(kAlice, kGetProxy), true);
  EXPECT_EQ(*authorizer.Authorize(bob, kGetProxy), false);
  EXPECT_EQ(reviewer.calls, 2);
  EXPECT_EQ(authorizer.cached(), 2u);

  // The refusal expires after 30 s; the allowed answer lives on.
  clock.Advance(absl::Seconds(29));
  EXPECT_EQ(*authorizer.Authorize(bob, kGetProxy), false);
  EXPECT_EQ(reviewer.calls, 2);
  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(*authorizer.Authorize(bob, kGetProxy), true);
  EXPECT_EQ(reviewer.calls, 3);
  EXPECT_EQ(*authorizer.Authorize(kAlice, kGetProxy), true);
  EXPECT_EQ(reviewer.calls, 3);
  // Alice's (asked at 0) expires at 5 minutes.
  clock.Advance(absl::Minutes(5) - absl::Seconds(30) - absl::Seconds(1));
  EXPECT_EQ(*authorizer.Authorize(kAlice, kGetProxy), true);
  EXPECT_EQ(reviewer.calls, 3);
  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(*authorizer.Authorize(kAlice, kGetProxy), false);
  EXPECT_EQ(reviewer.calls, 4);
}

TEST(WebhookAuthorizer, EveryFieldIsPartOfTheKey) {
  FakeReviewer reviewer;
  common::FakeClock clock;
  WebhookAuthorizer authorizer(&reviewer, &clock, {});
  ASSERT_TRUE(authorizer.Authorize(kAlice, kGetProxy).ok());
  KubeletUser other_groups = kAlice;
  other_groups.groups = {"dev"};
  KubeletUser other_uid = kAlice;
  other_uid.uid = "uid-b";
  KubeletUser other_extra = kAlice;
  other_extra.extra["scopes"] = {"x"};
  for (const KubeletUser& user : {other_groups, other_uid, other_extra}) {
    ASSERT_TRUE(authorizer.Authorize(user, kGetProxy).ok());
  }
  for (const NodeAttributes& a :
       {NodeAttributes{"create", "proxy", "node-1"}, NodeAttributes{"get", "log", "node-1"},
        NodeAttributes{"get", "proxy", "node-2"}}) {
    ASSERT_TRUE(authorizer.Authorize(kAlice, a).ok());
  }
  EXPECT_EQ(reviewer.calls, 7);
  EXPECT_EQ(authorizer.cached(), 7u);
  ASSERT_TRUE(authorizer.Authorize(kAlice, kGetProxy).ok());
  EXPECT_EQ(reviewer.calls, 7);
}

TEST(WebhookAuthorizer, DeniedIsARefusalAndErrorsAreNotCached) {
  FakeReviewer reviewer;
  reviewer.deny = true;
  common::FakeClock clock;
  WebhookAuthorizer authorizer(&reviewer, &clock, {});
  EXPECT_EQ(*authorizer.Authorize(kAlice, kGetProxy), false);

  reviewer.error = absl::UnavailableError("connection refused");
  const KubeletUser bob{.name = "bob"};
  EXPECT_EQ(authorizer.Authorize(bob, kGetProxy).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(authorizer.cached(), 1u);
  reviewer.error = absl::OkStatus();
  reviewer.deny = false;
  reviewer.allowed = {"bob"};
  EXPECT_EQ(*authorizer.Authorize(bob, kGetProxy), true);  // asked again at once
}

TEST(WebhookAuthorizer, ZeroTtlKeepsNothing) {
  FakeReviewer reviewer;
  reviewer.allowed = {"alice"};
  common::FakeClock clock;
  WebhookAuthorizer authorizer(
      &reviewer, &clock,
      {.authorized_ttl = absl::ZeroDuration(), .unauthorized_ttl = absl::ZeroDuration()});
  EXPECT_EQ(*authorizer.Authorize(kAlice, kGetProxy), true);
  EXPECT_EQ(*authorizer.Authorize(kAlice, kGetProxy), true);
  EXPECT_EQ(reviewer.calls, 2);
  EXPECT_EQ(authorizer.cached(), 0u);
}

TEST(WebhookAuthorizer, DropsTheLeastRecentlyUsedBeyondItsSize) {
  FakeReviewer reviewer;
  common::FakeClock clock;
  WebhookAuthorizer authorizer(&reviewer, &clock, {.max_entries = 2});
  const NodeAttributes a{"get", "proxy", "a"}, b{"get", "proxy", "b"}, c{"get", "proxy", "c"};
  ASSERT_TRUE(authorizer.Authorize(kAlice, a).ok());
  ASSERT_TRUE(authorizer.Authorize(kAlice, b).ok());
  ASSERT_TRUE(authorizer.Authorize(kAlice, a).ok());  // a is now the most recent
  EXPECT_EQ(reviewer.calls, 2);
  ASSERT_TRUE(authorizer.Authorize(kAlice, c).ok());  // pushes b out
  EXPECT_EQ(authorizer.cached(), 2u);
  ASSERT_TRUE(authorizer.Authorize(kAlice, a).ok());
  EXPECT_EQ(reviewer.calls, 3);
  ASSERT_TRUE(authorizer.Authorize(kAlice, b).ok());
  EXPECT_EQ(reviewer.calls, 4);
}

}  // namespace
}  // namespace minik8s::kubelet
