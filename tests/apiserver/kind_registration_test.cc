// A kind is registered in one place: a toy kind, defined only here (its
// scheme entry, its strategy with its traits and hooks, one registration
// line), is served by the registry and listed by discovery with its
// subresources and categories, and its delete hook is the one the handler
// calls. Nothing else in the apiserver names it.
#include <memory>
#include <string>
#include <vector>

#include "api/scheme.h"
#include "apiserver/registry/registry.h"
#include "apiserver/registry/strategy.h"
#include "apiserver/rest/discovery.h"
#include "gtest/gtest.h"
#include "k8s/coordination/v1/coordination.pb.h"

namespace minik8s::apiserver {
namespace {

using coordination::v1::Lease;

// The toy kind's strategy: a status subresource, its own category, and a
// delete that only marks the object (as namespaces do).
class WidgetStrategy : public Strategy {
 public:
  explicit WidgetStrategy(const api::KindInfo* kind)
      : Strategy(kind, Traits{.status_subresource = true, .categories = {"toys"}}) {}

  bool MarkForDeletion(google::protobuf::Message* object) const override {
    (*static_cast<Lease*>(object)->mutable_metadata()->mutable_labels())["deleting"] = "true";
    return true;
  }
};

std::unique_ptr<Strategy> NewWidgetStrategy(const api::KindInfo* kind) {
  return std::make_unique<WidgetStrategy>(kind);
}

// The toy kind's scheme entry (it borrows the Lease message type).
api::KindInfo WidgetKind() {
  api::KindInfo info;
  info.group = "example.com";
  info.version = "v1";
  info.kind = "Widget";
  info.list_kind = "WidgetList";
  info.resource = "widgets";
  info.singular = "widget";
  info.short_names = {"wd"};
  info.namespaced = true;
  info.descriptor = Lease::descriptor();
  info.list_descriptor = coordination::v1::LeaseList::descriptor();
  return info;
}

TEST(KindRegistration, ToyKindIsServedAndDiscoveredThroughItsRegistration) {
  api::Scheme scheme;
  ASSERT_TRUE(scheme.Register(WidgetKind()).ok());
  Registry registry(scheme, {{"widgets.example.com", NewWidgetStrategy}});

  // Found by every name the scheme knows.
  for (const char* name : {"widgets", "widget", "wd", "widgets.example.com"}) {
    absl::StatusOr<const Strategy*> found = registry.Find(name);
    ASSERT_TRUE(found.ok()) << name;
    EXPECT_EQ((*found)->kind().kind, "Widget");
  }
  EXPECT_FALSE(registry.Find("pods").ok());

  // The hook the handler calls on delete is the kind's own.
  const Strategy& strategy = **registry.Find("widgets");
  Lease object;
  EXPECT_TRUE(strategy.MarkForDeletion(&object));
  EXPECT_EQ(object.metadata().labels().at("deleting"), "true");

  // Discovery lists it with its subresource and category, from the traits.
  std::vector<rest::ApiGroupVersion> served = rest::ServedGroupVersions(registry);
  ASSERT_EQ(served.size(), 1u);
  EXPECT_EQ(served[0].GroupVersion(), "example.com/v1");
  ASSERT_EQ(served[0].resources.size(), 2u);
  EXPECT_EQ(served[0].resources[0].name, "widgets");
  EXPECT_EQ(served[0].resources[0].categories, std::vector<std::string>{"toys"});
  EXPECT_EQ(served[0].resources[0].short_names, std::vector<std::string>{"wd"});
  EXPECT_EQ(served[0].resources[1].name, "widgets/status");

  rest::DiscoveryDocs docs(registry);
  const std::string* list = docs.Find("/apis/example.com/v1");
  ASSERT_NE(list, nullptr);
  EXPECT_NE(list->find("\"name\":\"widgets\""), std::string::npos) << *list;
  EXPECT_NE(list->find("\"categories\":[\"toys\"]"), std::string::npos) << *list;
}

TEST(KindRegistration, BuiltinKindsKeepTheirHooks) {
  Registry registry(api::Scheme::Default());
  // Namespaces turn a delete into Terminating; other kinds are deleted.
  EXPECT_FALSE((*registry.Find("pods"))->MarkForDeletion(nullptr));
  // Deployment and ReplicaSet share one strategy: scale and the "all" category.
  for (const char* name : {"deployments.apps", "replicasets.apps"}) {
    const Strategy& s = **registry.Find(name);
    EXPECT_TRUE(s.has_scale()) << name;
    EXPECT_EQ(s.traits().categories, std::vector<std::string>{"all"}) << name;
  }
  EXPECT_TRUE((*registry.Find("pods"))->traits().binding_subresource);
  EXPECT_TRUE((*registry.Find("nodes"))->traits().categories.empty());
}

}  // namespace
}  // namespace minik8s::apiserver
