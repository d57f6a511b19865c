// Object size limits (apiserver/README.md, "Object size"): a write over the
// store's request limit, or a pod whose status could never fit beside its
// spec, is refused with Kubernetes' RequestEntityTooLarge before anything
// reaches the store.
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "api/scheme.h"
#include "apiserver/registry/registry.h"
#include "apiserver/storage/object_store.h"
#include "k8s/apps/v1/apps.pb.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::apiserver {
namespace {

using core::v1::Pod;

const api::KindInfo& PodKind() { return *api::Scheme::Default().FindByResource("pods"); }

Pod PodWithContainers(const std::string& name, int containers) {
  Pod pod;
  pod.mutable_metadata()->set_name(name);
  pod.mutable_metadata()->set_namespace_("default");
  for (int i = 0; i < containers; ++i) {
    auto* c = pod.mutable_spec()->add_containers();
    c->set_name(absl::StrCat("c", i));
    c->set_image("busybox");
  }
  return pod;
}

TEST(ObjectSize, WriteOverTheLimitIsRequestEntityTooLarge) {
  ObjectStore store(nullptr, "/registry");  // CheckSize never calls the store
  EXPECT_EQ(store.max_request_bytes(), 1572864);
  const std::string key = "/registry/pods/default/big";
  Pod small = PodWithContainers("big", 1);
  EXPECT_TRUE(store.CheckSize(PodKind(), key, small).ok());

  Pod big = small;
  big.mutable_status()->set_message(std::string(1600 * 1024, 'x'));
  absl::Status s = store.CheckSize(PodKind(), key, big);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(api::Reason(s), "RequestEntityTooLarge");
  auto status = api::StatusObject(s);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->code(), 413);
  EXPECT_EQ(status->details().name(), "big");
  EXPECT_EQ(status->details().kind(), "pods");
  EXPECT_TRUE(absl::StartsWith(s.message(),
                               "Request entity too large: limit is 1572864: pods "
                               "\"big\" needs "))
      << s.message();
  EXPECT_TRUE(absl::EndsWith(s.message(), " bytes in the store (etcdserver: request is too large)"))
      << s.message();

  // A store configured with a larger limit takes it.
  ObjectStore roomy(nullptr, "/registry", 4 << 20);
  EXPECT_TRUE(roomy.CheckSize(PodKind(), key, big).ok());
}

TEST(ObjectSize, PodStatusReserveGrowsWithContainers) {
  Registry registry(api::Scheme::Default());
  const Strategy* pods = *registry.Find("pods");
  Strategy::StatusReserve one = pods->ReserveForStatus(PodWithContainers("p", 1));
  Strategy::StatusReserve three = pods->ReserveForStatus(PodWithContainers("p", 3));
  EXPECT_EQ(one.why, "with room for the status of its 1 container");
  EXPECT_EQ(three.why, "with room for the status of its 3 containers");
  EXPECT_GT(three.bytes, one.bytes);
  // At least what the kubelet was seen writing: ~260 bytes a container.
  EXPECT_GE(three.bytes - one.bytes, 2 * 260);
  // Other kinds reserve nothing.
  const Strategy* deployments = *registry.Find("deployments");
  EXPECT_EQ(deployments->ReserveForStatus(apps::v1::Deployment()).bytes, 0);
}

TEST(ObjectSize, PodWhoseStatusCannotFitIsRefused) {
  Registry registry(api::Scheme::Default());
  const Strategy* pods = *registry.Find("pods");
  ObjectStore store(nullptr, "/registry");
  const std::string key = "/registry/pods/default/wide";

  Pod wide = PodWithContainers("wide", 10000);
  // The spec alone fits: only the status the kubelet will write does not.
  ASSERT_TRUE(store.CheckSize(PodKind(), key, wide).ok());
  Strategy::StatusReserve reserve = pods->ReserveForStatus(wide);
  absl::Status s = store.CheckSize(PodKind(), key, wide, reserve.bytes, reserve.why);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(api::Reason(s), "RequestEntityTooLarge");
  EXPECT_TRUE(absl::StartsWith(s.message(),
                               "Request entity too large: limit is 1572864: pods \"wide\" with "
                               "room for the status of its 10000 containers needs "))
      << s.message();

  // A pod of a hundred containers is fine.
  Pod hundred = PodWithContainers("hundred", 100);
  reserve = pods->ReserveForStatus(hundred);
  EXPECT_TRUE(store.CheckSize(PodKind(), key, hundred, reserve.bytes, reserve.why).ok());
}

}  // namespace
}  // namespace minik8s::apiserver
