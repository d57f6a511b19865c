// common::ProtoEqual against MessageDifferencer::Equals on pods: maps
// filled in different orders, a changed value, a set-but-empty submessage,
// repeated fields in another order, other types.
#include "common/proto_equal.h"

#include <google/protobuf/util/message_differencer.h>

#include <functional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::common {
namespace {

using google::protobuf::util::MessageDifferencer;
using minik8s::core::v1::Pod;

Pod Base() {
  Pod pod;
  pod.mutable_metadata()->set_name("web");
  pod.mutable_metadata()->set_namespace_("default");
  for (int i = 0; i < 20; ++i) {
    (*pod.mutable_metadata()->mutable_labels())["k" + std::to_string(i)] = "v";
  }
  auto* c = pod.mutable_spec()->add_containers();
  c->set_name("app");
  c->set_image("nginx");
  (*c->mutable_resources()->mutable_requests())["cpu"].set_value("100m");
  (*c->mutable_resources()->mutable_requests())["memory"].set_value("128Mi");
  pod.mutable_status()->set_phase("Running");
  return pod;
}

// The same pod with its maps filled in reverse order.
Pod BaseReversed() {
  Pod pod = Base();
  pod.mutable_metadata()->clear_labels();
  for (int i = 19; i >= 0; --i) {
    (*pod.mutable_metadata()->mutable_labels())["k" + std::to_string(i)] = "v";
  }
  auto* requests =
      pod.mutable_spec()->mutable_containers(0)->mutable_resources()->mutable_requests();
  requests->clear();
  (*requests)["memory"].set_value("128Mi");
  (*requests)["cpu"].set_value("100m");
  return pod;
}

TEST(ProtoEqual, AgreesWithMessageDifferencer) {
  const std::vector<std::pair<std::string, std::function<void(Pod*)>>> changes = {
      {"nothing", [](Pod*) {}},
      {"a label value", [](Pod* p) { (*p->mutable_metadata()->mutable_labels())["k3"] = "w"; }},
      {"a label more", [](Pod* p) { (*p->mutable_metadata()->mutable_labels())["x"] = "v"; }},
      {"a label less", [](Pod* p) { p->mutable_metadata()->mutable_labels()->erase("k7"); }},
      {"the phase", [](Pod* p) { p->mutable_status()->set_phase("Pending"); }},
      {"an empty submessage set", [](Pod* p) { p->mutable_spec()->mutable_security_context(); }},
      {"a container more", [](Pod* p) { p->mutable_spec()->add_containers()->set_name("b"); }},
      {"a request",
       [](Pod* p) {
         (*p->mutable_spec()->mutable_containers(0)->mutable_resources()->mutable_requests())["cpu"]
             .set_value("200m");
       }},
  };
  for (const auto& [what, change] : changes) {
    Pod a = Base();
    Pod b = BaseReversed();
    change(&b);
    EXPECT_EQ(ProtoEqual(a, b), MessageDifferencer::Equals(a, b)) << what;
    EXPECT_EQ(ProtoEqual(b, a), MessageDifferencer::Equals(b, a)) << what;
  }
  EXPECT_TRUE(ProtoEqual(Base(), BaseReversed())) << "maps compare by content";
}

TEST(ProtoEqual, RepeatedFieldsCompareInOrder) {
  Pod a = Base();
  a.mutable_spec()->add_containers()->set_name("b");
  Pod b = Base();
  *b.mutable_spec()->mutable_containers()->Add() = b.spec().containers(0);
  b.mutable_spec()->mutable_containers(0)->Clear();
  b.mutable_spec()->mutable_containers(0)->set_name("b");
  EXPECT_FALSE(ProtoEqual(a, b));
  EXPECT_FALSE(MessageDifferencer::Equals(a, b));
}

TEST(ProtoEqual, DifferentTypesAreNeverEqual) {
  EXPECT_FALSE(ProtoEqual(core::v1::PodSpec(), core::v1::NodeSpec()));
  EXPECT_TRUE(ProtoEqual(core::v1::PodSpec(), core::v1::PodSpec()));
  const Pod pod = Base();
  EXPECT_TRUE(ProtoEqual(pod, pod));
}

}  // namespace
}  // namespace minik8s::common
