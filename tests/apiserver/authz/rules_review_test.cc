// The authorization.k8s.io reviews (apiserver/authz/access_review.h):
// SelfSubjectRulesReview from RBAC (cluster and namespace bindings, missing
// roles, system:masters through the bootstrap policy, AlwaysAllow's `*`),
// SubjectAccessReview and LocalSubjectAccessReview, with Kubernetes'
// errors.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "api/errors.h"
#include "apiserver/authz/access_review.h"
#include "apiserver/authz/bootstrap_policy.h"
#include "apiserver/authz/chain.h"
#include "apiserver/authz/rbac_authorizer.h"

namespace minik8s::apiserver::authz {
namespace {

namespace authzv1 = ::minik8s::authorization::v1;

rbac::v1::PolicyRule Rule(std::vector<std::string> verbs, std::vector<std::string> groups,
                          std::vector<std::string> resources) {
  rbac::v1::PolicyRule rule;
  for (const auto& v : verbs) rule.add_verbs(v);
  for (const auto& g : groups) rule.add_api_groups(g);
  for (const auto& r : resources) rule.add_resources(r);
  return rule;
}

// The bootstrap policy plus: ClusterRole pod-reader bound to bob in "dev"
// through a RoleBinding, and a ClusterRoleBinding of bob to a missing role.
Policy TestPolicy() {
  Policy policy = BootstrapPolicy();
  rbac::v1::ClusterRole reader;
  reader.mutable_metadata()->set_name("pod-reader");
  *reader.add_rules() = Rule({"get", "list"}, {""}, {"pods", "pods/log"});
  policy.cluster_roles.push_back(reader);
  rbac::v1::RoleBinding binding;
  binding.mutable_metadata()->set_namespace_("dev");
  binding.mutable_metadata()->set_name("bob-reads");
  binding.mutable_role_ref()->set_kind("ClusterRole");
  binding.mutable_role_ref()->set_name("pod-reader");
  auto* subject = binding.add_subjects();
  subject->set_kind("User");
  subject->set_name("bob");
  policy.role_bindings.push_back(binding);
  rbac::v1::ClusterRoleBinding missing;
  missing.mutable_metadata()->set_name("bob-missing");
  missing.mutable_role_ref()->set_kind("ClusterRole");
  missing.mutable_role_ref()->set_name("gone");
  auto* s = missing.add_subjects();
  s->set_kind("User");
  s->set_name("bob");
  policy.cluster_role_bindings.push_back(missing);
  return policy;
}

class ReviewTest : public ::testing::Test {
 protected:
  void SetUp() override {
    source_.Set(TestPolicy());
    auto authorizer = NewAuthorizer({"RBAC"}, &source_);
    ASSERT_TRUE(authorizer.ok());
    authorizer_ = *std::move(authorizer);
  }
  authzv1::SelfSubjectRulesReview Rules(const authn::UserInfo& user, const std::string& ns) {
    authzv1::SelfSubjectRulesReview review;
    review.mutable_spec()->set_namespace_(ns);
    EXPECT_TRUE(AnswerReview(kRulesReviewResource, "", authorizer_.get(), user, &review).ok());
    return review;
  }
  StaticPolicySource source_;
  std::unique_ptr<Authorizer> authorizer_;
};

const authn::UserInfo kBob{.name = "bob", .groups = {"system:authenticated"}};
const authn::UserInfo kAdmin{.name = "admin", .groups = {"system:masters", "system:authenticated"}};

bool HasResourceRule(const authzv1::SubjectRulesReviewStatus& status, const std::string& verb,
                     const std::string& resource) {
  for (const auto& r : status.resource_rules()) {
    for (const auto& v : r.verbs()) {
      for (const auto& res : r.resources()) {
        if (v == verb && res == resource) return true;
      }
    }
  }
  return false;
}

TEST_F(ReviewTest, RulesOfBobInHisNamespaceAndElsewhere) {
  authzv1::SelfSubjectRulesReview dev = Rules(kBob, "dev");
  EXPECT_EQ(dev.kind(), "SelfSubjectRulesReview");
  EXPECT_EQ(dev.api_version(), "authorization.k8s.io/v1");
  EXPECT_TRUE(HasResourceRule(dev.status(), "get", "pods"));
  EXPECT_TRUE(HasResourceRule(dev.status(), "create", "selfsubjectrulesreviews"));
  EXPECT_FALSE(dev.status().non_resource_rules().empty());  // system:discovery
  EXPECT_FALSE(dev.status().incomplete());
  EXPECT_EQ(dev.status().evaluation_error(),
            "clusterrole.rbac.authorization.k8s.io \"gone\" not found");
  authzv1::SelfSubjectRulesReview other = Rules(kBob, "default");
  EXPECT_FALSE(HasResourceRule(other.status(), "get", "pods"));
  EXPECT_TRUE(HasResourceRule(other.status(), "create", "selfsubjectaccessreviews"));
}

TEST_F(ReviewTest, MastersSeeEverythingThroughClusterAdmin) {
  authzv1::SelfSubjectRulesReview review = Rules(kAdmin, "default");
  ASSERT_GT(review.status().resource_rules_size(), 0);
  const auto& first = review.status().resource_rules(0);
  EXPECT_EQ(std::vector<std::string>(first.verbs().begin(), first.verbs().end()),
            std::vector<std::string>{"*"});
  EXPECT_EQ(std::vector<std::string>(first.api_groups().begin(), first.api_groups().end()),
            std::vector<std::string>{"*"});
  EXPECT_EQ(review.status().evaluation_error(), "");
}

TEST_F(ReviewTest, RulesReviewNeedsNamespace) {
  authzv1::SelfSubjectRulesReview review;
  absl::Status status = AnswerReview(kRulesReviewResource, "", authorizer_.get(), kBob, &review);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "no namespace on request");
}

TEST(RulesReview, AlwaysAllowListsEverything) {
  authzv1::SelfSubjectRulesReview review;
  review.mutable_spec()->set_namespace_("default");
  ASSERT_TRUE(AnswerReview(kRulesReviewResource, "", nullptr, kBob, &review).ok());
  ASSERT_EQ(review.status().resource_rules_size(), 1);
  ASSERT_EQ(review.status().non_resource_rules_size(), 1);
  EXPECT_EQ(review.status().non_resource_rules(0).non_resource_urls(0), "*");
}

TEST_F(ReviewTest, SubjectAccessReviewAsksForAnotherUser) {
  authzv1::SubjectAccessReview review;
  review.mutable_spec()->set_user("bob");
  auto* attributes = review.mutable_spec()->mutable_resource_attributes();
  attributes->set_verb("list");
  attributes->set_resource("pods");
  attributes->set_namespace_("dev");
  ASSERT_TRUE(
      AnswerReview(kSubjectAccessReviewResource, "", authorizer_.get(), kAdmin, &review).ok());
  EXPECT_TRUE(review.status().allowed());
  EXPECT_EQ(review.kind(), "SubjectAccessReview");
  attributes->set_namespace_("default");
  ASSERT_TRUE(
      AnswerReview(kSubjectAccessReviewResource, "", authorizer_.get(), kAdmin, &review).ok());
  EXPECT_FALSE(review.status().allowed());
}

TEST_F(ReviewTest, SubjectAccessReviewCarriesGroupsUidAndExtra) {
  // What a kubelet asks about a caller of its API: the user as it
  // authenticated them, nodes/proxy of its node.
  class Recorder : public Authorizer {
   public:
    Result Authorize(const Attributes& attributes) const override {
      seen = *attributes.user;
      seen_attributes = attributes;
      return {Decision::kDeny, "recorded"};
    }
    mutable authn::UserInfo seen;
    mutable Attributes seen_attributes;
  } recorder;
  authzv1::SubjectAccessReview review;
  review.mutable_spec()->set_user("alice");
  review.mutable_spec()->set_uid("uid-1");
  review.mutable_spec()->add_groups("dev");
  (*review.mutable_spec()->mutable_extra())["scopes"].add_items("a");
  (*review.mutable_spec()->mutable_extra())["scopes"].add_items("b");
  auto* attributes = review.mutable_spec()->mutable_resource_attributes();
  attributes->set_verb("get");
  attributes->set_version("v1");
  attributes->set_resource("nodes");
  attributes->set_subresource("proxy");
  attributes->set_name("node-1");
  ASSERT_TRUE(AnswerReview(kSubjectAccessReviewResource, "", &recorder, kAdmin, &review).ok());
  EXPECT_EQ(recorder.seen.name, "alice");
  EXPECT_EQ(recorder.seen.uid, "uid-1");
  EXPECT_EQ(recorder.seen.groups, std::vector<std::string>{"dev"});
  EXPECT_EQ(recorder.seen.extra.at("scopes"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(recorder.seen_attributes.resource, "nodes");
  EXPECT_EQ(recorder.seen_attributes.subresource, "proxy");
  EXPECT_EQ(recorder.seen_attributes.name, "node-1");
  EXPECT_FALSE(review.status().allowed());
  EXPECT_TRUE(review.status().denied());
  EXPECT_EQ(review.status().reason(), "recorded");
}

TEST_F(ReviewTest, SubjectAccessReviewErrors) {
  authzv1::SubjectAccessReview review;
  review.mutable_spec()->mutable_resource_attributes()->set_verb("get");
  absl::Status status =
      AnswerReview(kSubjectAccessReviewResource, "", authorizer_.get(), kAdmin, &review);
  EXPECT_EQ(status.message(),
            "SubjectAccessReview.authorization.k8s.io \"\" is invalid: spec.user: Invalid value: "
            "\"\": at least one of user or group must be specified");
  review.mutable_spec()->set_user("bob");
  review.mutable_spec()->mutable_resource_attributes()->set_namespace_("default");
  status =
      AnswerReview(kLocalSubjectAccessReviewResource, "dev", authorizer_.get(), kAdmin, &review);
  EXPECT_EQ(status.message(), "spec.resourceAttributes.namespace must match namespace: dev");
  review.mutable_spec()->mutable_resource_attributes()->set_namespace_("dev");
  review.mutable_spec()->mutable_resource_attributes()->set_resource("pods");
  ASSERT_TRUE(
      AnswerReview(kLocalSubjectAccessReviewResource, "dev", authorizer_.get(), kAdmin, &review)
          .ok());
  EXPECT_TRUE(review.status().allowed());
  EXPECT_EQ(review.kind(), "LocalSubjectAccessReview");
}

}  // namespace
}  // namespace minik8s::apiserver::authz
