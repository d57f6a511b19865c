// $(VAR) references as Kubernetes' kubelet expands them (kubelet/expansion.h),
// and the downward values env vars take (kubelet/volume_manager.h).
#include "kubelet/expansion.h"

#include <map>
#include <optional>
#include <string>

#include "api/resource_field.h"
#include "gtest/gtest.h"
#include "kubelet/volume_manager.h"

namespace minik8s::kubelet {
namespace {

namespace core = ::minik8s::core::v1;

std::string Expand(std::string_view input) {
  static const auto* vars =
      new std::map<std::string, std::string, std::less<>>{{"A", "1"}, {"B", "two"}, {"E", ""}};
  return ExpandReferences(input, [](std::string_view name) -> std::optional<std::string> {
    auto it = vars->find(name);
    if (it == vars->end()) return std::nullopt;
    return it->second;
  });
}

TEST(ExpandReferences, AsKubernetesExpandsThem) {
  EXPECT_EQ(Expand("$(A)"), "1");
  EXPECT_EQ(Expand("x$(A)y$(B)z"), "x1ytwoz");
  EXPECT_EQ(Expand("[$(E)]"), "[]");
  // Unknown names stay as written.
  EXPECT_EQ(Expand("$(NOPE) and $(A)"), "$(NOPE) and 1");
  // $$ is a literal $, so $$(A) is not expanded.
  EXPECT_EQ(Expand("$$(A)"), "$(A)");
  EXPECT_EQ(Expand("$$$(A)"), "$1");
  EXPECT_EQ(Expand("cost: $$5"), "cost: $5");
  // A $ that starts no reference, an unclosed one, a $ at the end.
  EXPECT_EQ(Expand("$A $x"), "$A $x");
  EXPECT_EQ(Expand("$(A"), "$(A");
  EXPECT_EQ(Expand("$(A $(B)"), "$(A $(B)");
  EXPECT_EQ(Expand("end$"), "end$");
  EXPECT_EQ(Expand("$()"), "$()");
  EXPECT_EQ(Expand(""), "");
}

TEST(ExpandReferences, ManyUnclosedReferencesTakeLinearTime) {
  // 2 MB of "$(" with no ")": quadratic scanning would not finish here.
  std::string input;
  for (int i = 0; i < 1'000'000; ++i) input += "$(";
  EXPECT_EQ(Expand(input), input);
  // With a ")" at the very end, the first "$(" closes there: its name is
  // everything between, unknown, so the text stays as written.
  EXPECT_EQ(Expand(input + "A)"), input + "A)");
}

core::Container WithResources() {
  core::Container c;
  c.set_name("app");
  (*c.mutable_resources()->mutable_requests())["cpu"].set_value("250m");
  (*c.mutable_resources()->mutable_requests())["memory"].set_value("64Mi");
  (*c.mutable_resources()->mutable_limits())["cpu"].set_value("1500m");
  return c;
}

std::string Value(const core::Container& c, const std::string& resource,
                  const std::string& divisor = "", const std::string& allocatable = "") {
  core::ResourceFieldSelector ref;
  ref.set_resource(resource);
  if (!divisor.empty()) ref.mutable_divisor()->set_value(divisor);
  absl::StatusOr<std::string> v = api::ContainerResourceValue(c, ref, allocatable);
  return v.ok() ? *v : std::string(v.status().message());
}

TEST(ContainerResourceValue, DividesAndRoundsUpAsTheKubeletDoes) {
  const core::Container c = WithResources();
  EXPECT_EQ(Value(c, "requests.cpu"), "1");  // 0.25 CPU rounds up to 1
  EXPECT_EQ(Value(c, "requests.cpu", "1m"), "250");
  EXPECT_EQ(Value(c, "limits.cpu"), "2");
  EXPECT_EQ(Value(c, "limits.cpu", "1m"), "1500");
  EXPECT_EQ(Value(c, "requests.memory"), "67108864");
  EXPECT_EQ(Value(c, "requests.memory", "1Mi"), "64");
  EXPECT_EQ(Value(c, "requests.memory", "1M"), "68");
  // An unset limit is the node's allocatable; an unset request is 0.
  EXPECT_EQ(Value(c, "limits.memory", "1Gi", "8Gi"), "8");
  EXPECT_EQ(Value(c, "limits.memory", "", ""), "0");
  EXPECT_EQ(Value(c, "requests.ephemeral-storage"), "0");
}

TEST(PodFieldValue, MetadataAndSpecFields) {
  core::Pod pod;
  pod.mutable_metadata()->set_name("web");
  (*pod.mutable_metadata()->mutable_labels())["tier"] = "front";
  (*pod.mutable_metadata()->mutable_annotations())["note"] = "hi";
  pod.mutable_spec()->set_service_account_name("robot");
  EXPECT_EQ(*PodFieldValue(pod, "metadata.name"), "web");
  EXPECT_EQ(*PodFieldValue(pod, "metadata.labels['tier']"), "front");
  EXPECT_EQ(*PodFieldValue(pod, "metadata.labels['none']"), "");
  EXPECT_EQ(*PodFieldValue(pod, "metadata.annotations['note']"), "hi");
  EXPECT_EQ(*PodFieldValue(pod, "spec.serviceAccountName"), "robot");
  EXPECT_FALSE(PodFieldValue(pod, "status.phase").ok());
}

}  // namespace
}  // namespace minik8s::kubelet
