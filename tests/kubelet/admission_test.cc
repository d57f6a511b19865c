// Pod admission: a pod whose spec.os is not the node's OS is rejected, as
// Kubernetes' kubelet rejects it.
#include "kubelet/admission.h"

#include "gtest/gtest.h"

namespace minik8s::kubelet {
namespace {

namespace core = ::minik8s::core::v1;

TEST(AdmitPod, ByTheOSField) {
  core::Pod pod;
  EXPECT_TRUE(AdmitPod(pod).admit);  // no os: runs anywhere
  pod.mutable_spec()->mutable_os()->set_name("linux");
  EXPECT_TRUE(AdmitPod(pod).admit);
  pod.mutable_spec()->mutable_os()->set_name("windows");
  const PodAdmitResult refused = AdmitPod(pod);
  EXPECT_FALSE(refused.admit);
  EXPECT_EQ(refused.reason, "PodOSNotSupported");
  EXPECT_EQ(refused.message, "Failed to admit pod as the OS field doesn't match node OS");
  EXPECT_TRUE(AdmitPod(pod, "windows").admit);
}

TEST(RejectedPodStatus, FailedWithTheReasonKeepingOthersConditions) {
  core::Pod pod;
  pod.mutable_spec()->add_containers()->set_name("app");
  pod.mutable_spec()->mutable_os()->set_name("windows");
  pod.mutable_status()->set_phase("Pending");
  pod.mutable_status()->set_qos_class("BestEffort");
  auto* scheduled = pod.mutable_status()->add_conditions();
  scheduled->set_type("PodScheduled");
  scheduled->set_status("True");
  auto* gate = pod.mutable_status()->add_conditions();
  gate->set_type("example.com/lb");
  gate->set_status("False");

  const core::PodStatus status = RejectedPodStatus(pod, AdmitPod(pod));
  EXPECT_EQ(status.phase(), "Failed");
  EXPECT_EQ(status.reason(), "PodOSNotSupported");
  EXPECT_EQ(status.message(),
            "Pod was rejected: Failed to admit pod as the OS field doesn't match node OS");
  EXPECT_EQ(status.qos_class(), "BestEffort");
  ASSERT_EQ(status.conditions_size(), 1);
  EXPECT_EQ(status.conditions(0).type(), "example.com/lb");
}

}  // namespace
}  // namespace minik8s::kubelet
