// mkctl logs: the checks Kubernetes makes before streaming (pod status →
// kubectl's error texts) and the kubelet address of a Node.
#include "absl/strings/str_cat.h"
#include "client/errors.h"
#include "gtest/gtest.h"
#include "kubectl/cmd/context.h"
#include "kubectl/logs/log_source.h"
#include "tests/kubectl/test_objects.h"

namespace minik8s::kubectl {
namespace {

using testing::FromYaml;

core::v1::Pod PodWithStatus(const std::string& node, const std::string& container_statuses) {
  return FromYaml<core::v1::Pod>(absl::StrCat(
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  namespace: default\nspec:\n",
      node.empty() ? "" : absl::StrCat("  nodeName: ", node, "\n"),
      "  initContainers:\n  - name: setup\n    image: busybox\n"
      "  containers:\n  - name: nginx\n    image: nginx\n  - name: side\n    image: busybox\n"
      "status:\n",
      container_statuses.empty() ? "  phase: Pending\n"
                                 : absl::StrCat("  containerStatuses:\n", container_statuses)));
}

// The line mkctl prints for the check's result ("" when it passes).
std::string Printed(const core::v1::Pod& pod, const std::string& container, bool previous) {
  absl::Status s = CheckLogRequest(pod, container, previous);
  return s.ok() ? "" : FormatError(s, "127.0.0.1:6443");
}

TEST(CheckLogRequest, ApiserverChecks) {
  const core::v1::Pod pod = PodWithStatus("", "");
  EXPECT_EQ(Printed(pod, "other", false),
            "Error from server (BadRequest): container other is not valid for pod x");
  EXPECT_EQ(Printed(pod, "nginx", false),
            "Error from server (BadRequest): pod x does not have a host assigned");
  // An init container is a valid target.
  EXPECT_EQ(Printed(pod, "setup", false),
            "Error from server (BadRequest): pod x does not have a host assigned");
}

TEST(CheckLogRequest, WaitingContainers) {
  const core::v1::Pod pod = PodWithStatus("node-1",
                                          "  - name: nginx\n    state:\n      waiting:\n"
                                          "        reason: ContainerCreating\n"
                                          "  - name: side\n    state:\n      waiting:\n"
                                          "        reason: ImagePullBackOff\n");
  EXPECT_EQ(Printed(pod, "nginx", false),
            "Error from server (BadRequest): container \"nginx\" in pod \"x\" is waiting to "
            "start: ContainerCreating");
  EXPECT_EQ(Printed(pod, "side", false),
            "Error from server (BadRequest): container \"side\" in pod \"x\" is waiting to "
            "start: trying and failing to pull image");
  EXPECT_EQ(Printed(pod, "nginx", true),
            "Error from server (BadRequest): previous terminated container \"nginx\" in pod "
            "\"x\" not found");
  // Bound, but no status for the container yet.
  EXPECT_EQ(Printed(pod, "setup", false),
            "Error from server (BadRequest): container \"setup\" in pod \"x\" is not available");
  const core::v1::Pod pulling = PodWithStatus(
      "node-1", "  - name: nginx\n    state:\n      waiting:\n        reason: ErrImagePull\n");
  EXPECT_EQ(Printed(pulling, "nginx", false),
            "Error from server (BadRequest): container \"nginx\" in pod \"x\" is waiting to "
            "start: image can't be pulled");
}

TEST(CheckLogRequest, RunningTerminatedAndPrevious) {
  const core::v1::Pod pod = PodWithStatus(
      "node-1",
      "  - name: nginx\n    containerID: containerd://c2\n    state:\n      running: {}\n"
      "    lastState:\n      terminated:\n        exitCode: 1\n        containerID: containerd://c1\n"
      "  - name: side\n    containerID: containerd://s1\n    state:\n      terminated:\n"
      "        exitCode: 0\n        containerID: containerd://s1\n");
  EXPECT_EQ(Printed(pod, "nginx", false), "");
  EXPECT_EQ(Printed(pod, "nginx", true), "");
  EXPECT_EQ(Printed(pod, "side", false), "");
  EXPECT_EQ(Printed(pod, "side", true),
            "Error from server (BadRequest): previous terminated container \"side\" in pod \"x\" "
            "not found");
  // In back-off after a crash: waiting now, the last instance readable.
  const core::v1::Pod backoff = PodWithStatus(
      "node-1",
      "  - name: nginx\n    state:\n      waiting:\n        reason: CrashLoopBackOff\n"
      "    lastState:\n      terminated:\n        exitCode: 1\n        containerID: containerd://c1\n");
  EXPECT_EQ(Printed(backoff, "nginx", false), "");
  EXPECT_EQ(Printed(backoff, "nginx", true), "");
}

TEST(KubeletAddress, InternalIpElseHostnameAndThePublishedPort) {
  auto node = FromYaml<core::v1::Node>(
      "apiVersion: v1\nkind: Node\nmetadata:\n  name: node-1\nstatus:\n  addresses:\n"
      "  - type: Hostname\n    address: node-1\n  - type: InternalIP\n    address: 127.0.0.1\n"
      "  daemonEndpoints:\n    kubeletEndpoint:\n      Port: 6450\n");
  absl::StatusOr<std::string> address = KubeletAddress(node);
  ASSERT_TRUE(address.ok()) << address.status();
  EXPECT_EQ(*address, "127.0.0.1:6450");

  node.mutable_status()->mutable_addresses(1)->set_address("::1");
  EXPECT_EQ(KubeletAddress(node).value_or(""), "[::1]:6450");
  node.mutable_status()->mutable_addresses()->RemoveLast();
  EXPECT_EQ(KubeletAddress(node).value_or(""), "node-1:6450");

  node.mutable_status()->clear_addresses();
  EXPECT_EQ(KubeletAddress(node).status().message(),
            "node node-1 publishes no address (status.addresses)");
  node.mutable_status()->clear_daemon_endpoints();
  EXPECT_EQ(KubeletAddress(node).status().message(),
            "node node-1 publishes no kubelet port (status.daemonEndpoints)");
}

}  // namespace
}  // namespace minik8s::kubectl
