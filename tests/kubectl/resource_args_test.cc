#include "kubectl/cmd/resource_args.h"

#include "gtest/gtest.h"

namespace minik8s::kubectl {
namespace {

TEST(ResourceArgs, TypesNamesAndLists) {
  auto r = ParseResourceArgs({"po"});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].kind->resource, "pods");
  EXPECT_TRUE((*r)[0].names.empty());

  r = ParseResourceArgs({"deploy,rs,pods"});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].kind->resource, "deployments");
  EXPECT_EQ((*r)[1].kind->resource, "replicasets");

  r = ParseResourceArgs({"deployments.apps", "a", "b"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].names, (std::vector<std::string>{"a", "b"}));

  r = ParseResourceArgs({"deploy/a", "deploy/b", "po/c"});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ((*r)[1].kind->kind, "Pod");

  r = ParseResourceArgs({"all"});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 5u);
  EXPECT_EQ((*r)[0].kind->resource, "pods");
  EXPECT_EQ((*r)[1].kind->resource, "services");
  EXPECT_EQ((*r)[2].kind->resource, "deployments");
  EXPECT_EQ((*r)[3].kind->resource, "replicasets");
  EXPECT_EQ((*r)[4].kind->resource, "jobs");

  for (const char* t : {"no", "ev", "ns", "leases"}) EXPECT_TRUE(ParseResourceArgs({t}).ok()) << t;
}

TEST(ResourceArgs, Errors) {
  auto r = ParseResourceArgs({"foo"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "the server doesn't have a resource type \"foo\"");
  r = ParseResourceArgs({});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("You must specify the type of resource to get"),
            std::string::npos);
  r = ParseResourceArgs({"deploy/a", "pods"});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("there is no need to specify a resource type"),
            std::string::npos);
  EXPECT_FALSE(ParseResourceArgs({"deploy/"}).ok());
  EXPECT_FALSE(ParseResourceArgs({"deploy/a/b"}).ok());
}

}  // namespace
}  // namespace minik8s::kubectl
