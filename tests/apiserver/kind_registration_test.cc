// A kind is registered in one place: a toy kind, defined only here (its
// scheme entry, its defaulting and validation rules, its strategy with its
// traits and hooks, one registration line), is served by the registry and
// listed by discovery with its subresources and categories, its delete hook
// is the one the handler calls, and its rules are the ones the rules table
// dispatches to by message type. Nothing else in the apiserver names it.
//
// What a test kind cannot do: join the built-in tables that the apiserver's
// admission path (validation::SetDefaults / ValidateObject, through
// KindRulesTable::Builtin()) and the printer registry (printers::PrinterFor)
// consult. Those are built from kinds/kinds.def at compile time, with no
// static initialisers (the libraries are static, and the linker would drop
// a registration nothing references), so only a kinds/ folder plus a line
// in kinds.def joins them. The test therefore builds the same kind of table
// (KindRulesTable from a list of KindRules, Registry from a list of
// KindRegistration) from its own list, and checks separately that every
// kind of kinds.def has all its pieces registered.
#include <memory>
#include <string>
#include <vector>

#include "api/scheme.h"
#include "api/validation/kind_rules.h"
#include "apiserver/registry/registry.h"
#include "apiserver/registry/strategy.h"
#include "apiserver/rest/discovery.h"
#include "gtest/gtest.h"
#include "k8s/coordination/v1/coordination.pb.h"
#include "k8s/core/v1/core.pb.h"
#include "printers/registry.h"

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

// The toy kind's defaulting: a widget without a holder is held by "nobody".
void SetWidgetDefaults(Lease* widget) {
  if (widget->spec().holder_identity().empty()) {
    widget->mutable_spec()->set_holder_identity("nobody");
  }
}

// The toy kind's validation: a name is required; the holder never changes.
validation::FieldErrors ValidateWidget(const Lease& widget) {
  validation::FieldErrors errors;
  if (widget.metadata().name().empty()) {
    errors.push_back(
        validation::Required(validation::FieldPath("metadata").Child("name"), "name is required"));
  }
  return errors;
}

validation::FieldErrors ValidateWidgetUpdate(const Lease& widget, const Lease& old) {
  validation::FieldErrors errors = ValidateWidget(widget);
  if (widget.spec().holder_identity() != old.spec().holder_identity()) {
    errors.push_back(validation::Invalid(validation::FieldPath("spec").Child("holderIdentity"),
                                         widget.spec().holder_identity(), "field is immutable"));
  }
  return errors;
}

validation::KindRules WidgetRules() {
  return validation::RulesOf<Lease, SetWidgetDefaults, ValidateWidget, ValidateWidgetUpdate>(
      "Widget.example.com");
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

TEST(KindRegistration, ToyKindIsDefaultedAndValidatedThroughItsRules) {
  const validation::KindRulesTable rules({WidgetRules()});
  ASSERT_NE(rules.Find(Lease::descriptor()), nullptr);

  Lease widget;
  rules.SetDefaults(&widget);
  EXPECT_EQ(widget.spec().holder_identity(), "nobody");
  EXPECT_EQ(rules.QualifiedKind(widget), "Widget.example.com");

  validation::FieldErrors errors = rules.Validate(widget);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, "metadata.name");

  widget.mutable_metadata()->set_name("w");
  EXPECT_TRUE(rules.Validate(widget).empty());
  Lease changed = widget;
  changed.mutable_spec()->set_holder_identity("someone");
  errors = rules.ValidateUpdate(changed, widget);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, "spec.holderIdentity");

  // Another type has no rules in this table: nothing is defaulted or found.
  core::v1::Pod pod;
  rules.SetDefaults(&pod);
  EXPECT_TRUE(pod.spec().restart_policy().empty());
  EXPECT_TRUE(rules.Validate(pod).empty());
  EXPECT_EQ(rules.QualifiedKind(pod), "");
}

// One line in kinds/kinds.def registers every piece of a kind: each served
// resource has its scheme entry, defaulting and validation rules, a printer
// of its own (not the NAME/AGE fallback) and a strategy, in the list's order.
TEST(KindRegistration, EveryListedKindHasEveryPiece) {
  const api::Scheme& scheme = api::Scheme::Default();
  Registry registry(scheme);
  std::vector<std::string> served;
  for (const auto& strategy : registry.strategies()) {
    const api::KindInfo& kind = strategy->kind();
    served.push_back(kind.kind);
    const validation::KindRules* rules =
        validation::KindRulesTable::Builtin().Find(kind.descriptor);
    ASSERT_NE(rules, nullptr) << kind.kind;
    EXPECT_NE(rules->validate, nullptr) << kind.kind;
    EXPECT_NE(rules->validate_update, nullptr) << kind.kind;
    // Roles print NAME and CREATED AT, as Kubernetes' default table does.
    const auto& columns = printers::PrinterFor(kind).columns;
    EXPECT_TRUE(columns.size() > 2u || (columns.size() == 2u && columns[1].name != "Age"))
        << kind.kind;
  }
  EXPECT_EQ(served, (std::vector<std::string>{
                        "Namespace", "Pod", "Node", "Event", "Deployment", "ReplicaSet", "Lease",
                        "Service", "Endpoints", "EndpointSlice", "Role", "ClusterRole",
                        "RoleBinding", "ClusterRoleBinding", "Job", "CertificateSigningRequest",
                        "Secret", "ServiceAccount", "ConfigMap"}));
  // Every stored resource of the scheme is served.
  size_t resources = 0;
  for (const auto& kind : scheme.kinds()) resources += kind->resource.empty() ? 0 : 1;
  EXPECT_EQ(resources, served.size());
  // Kinds with defaulting have it through their rules.
  core::v1::Pod pod;
  validation::KindRulesTable::Builtin().SetDefaults(&pod);
  EXPECT_EQ(pod.spec().restart_policy(), "Always");
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
