// The checks Kubernetes makes before streaming a container's log (pod
// status → the apiserver's and kubelet's error texts), the container a
// request without one reads, the kubelet address of a Node, and how a
// kubelet's refusal is relayed.
#include "client/pod_logs.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "api/codec.h"
#include "api/errors.h"
#include "gtest/gtest.h"

namespace minik8s::client {
namespace {

template <typename T>
T FromYaml(const std::string& yaml) {
  absl::StatusOr<T> out = api::DecodeAs<T>(yaml);
  EXPECT_TRUE(out.ok()) << out.status() << "\n" << yaml;
  return out.ok() ? *out : T();
}

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

// "(Reason) message" for an error, as kubectl's `Error from server (Reason):
// message` shows it; "" for OK.
std::string Refusal(const absl::Status& s) {
  if (s.ok()) return "";
  return absl::StrCat("(", api::Reason(s), ") ", s.message());
}

std::string Checked(const core::v1::Pod& pod, const std::string& container, bool previous) {
  absl::Status s = CheckLogRequest(pod, container, previous);
  if (!s.ok()) {
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_EQ(api::StatusObject(s).value_or(meta::v1::Status()).code(), 400) << s;
  }
  return Refusal(s);
}

TEST(CheckLogRequest, ApiserverChecks) {
  const core::v1::Pod pod = PodWithStatus("", "");
  EXPECT_EQ(Checked(pod, "other", false), "(BadRequest) container other is not valid for pod x");
  EXPECT_EQ(Checked(pod, "nginx", false), "(BadRequest) pod x does not have a host assigned");
  // An init container is a valid target.
  EXPECT_EQ(Checked(pod, "setup", false), "(BadRequest) pod x does not have a host assigned");
}

TEST(CheckLogRequest, WaitingContainers) {
  const core::v1::Pod pod = PodWithStatus("node-1",
                                          "  - name: nginx\n    state:\n      waiting:\n"
                                          "        reason: ContainerCreating\n"
                                          "  - name: side\n    state:\n      waiting:\n"
                                          "        reason: ImagePullBackOff\n");
  EXPECT_EQ(Checked(pod, "nginx", false),
            "(BadRequest) container \"nginx\" in pod \"x\" is waiting to start: "
            "ContainerCreating");
  EXPECT_EQ(Checked(pod, "side", false),
            "(BadRequest) container \"side\" in pod \"x\" is waiting to start: trying and "
            "failing to pull image");
  EXPECT_EQ(Checked(pod, "nginx", true),
            "(BadRequest) previous terminated container \"nginx\" in pod \"x\" not found");
  // Bound, but no status for the container yet.
  EXPECT_EQ(Checked(pod, "setup", false),
            "(BadRequest) container \"setup\" in pod \"x\" is not available");
  const core::v1::Pod pulling = PodWithStatus(
      "node-1", "  - name: nginx\n    state:\n      waiting:\n        reason: ErrImagePull\n");
  EXPECT_EQ(Checked(pulling, "nginx", false),
            "(BadRequest) container \"nginx\" in pod \"x\" is waiting to start: image can't be "
            "pulled");
  // A status with no state at all.
  const core::v1::Pod blank = PodWithStatus("node-1", "  - name: nginx\n    ready: false\n");
  EXPECT_EQ(Checked(blank, "nginx", false),
            "(BadRequest) container \"nginx\" in pod \"x\" is waiting to start - no logs yet");
}

TEST(CheckLogRequest, RunningTerminatedAndPrevious) {
  const core::v1::Pod pod = PodWithStatus(
      "node-1",
      "  - name: nginx\n    containerID: containerd://c2\n    state:\n      running: {}\n"
      "    lastState:\n      terminated:\n        exitCode: 1\n        containerID: "
      "containerd://c1\n"
      "  - name: side\n    containerID: containerd://s1\n    state:\n      terminated:\n"
      "        exitCode: 0\n        containerID: containerd://s1\n");
  EXPECT_EQ(Checked(pod, "nginx", false), "");
  EXPECT_EQ(Checked(pod, "nginx", true), "");
  EXPECT_EQ(Checked(pod, "side", false), "");
  EXPECT_EQ(Checked(pod, "side", true),
            "(BadRequest) previous terminated container \"side\" in pod \"x\" not found");
  // In back-off after a crash: waiting now, the last instance readable.
  const core::v1::Pod backoff = PodWithStatus(
      "node-1",
      "  - name: nginx\n    state:\n      waiting:\n        reason: CrashLoopBackOff\n"
      "    lastState:\n      terminated:\n        exitCode: 1\n        containerID: "
      "containerd://c1\n");
  EXPECT_EQ(Checked(backoff, "nginx", false), "");
  EXPECT_EQ(Checked(backoff, "nginx", true), "");
  // Terminated without an instance left to read.
  const core::v1::Pod gone = PodWithStatus(
      "node-1", "  - name: nginx\n    state:\n      terminated:\n        exitCode: 137\n");
  EXPECT_EQ(Checked(gone, "nginx", false),
            "(BadRequest) container \"nginx\" in pod \"x\" is terminated");
}

TEST(LogContainer, NamedDefaultedOrAskedFor) {
  const core::v1::Pod two = PodWithStatus("node-1", "");
  EXPECT_EQ(LogContainer(two, "side").value_or(""), "side");
  EXPECT_EQ(LogContainer(two, "setup").value_or(""), "setup");
  EXPECT_EQ(Refusal(LogContainer(two, "other").status()),
            "(BadRequest) container other is not valid for pod x");
  EXPECT_EQ(Refusal(LogContainer(two, "").status()),
            "(BadRequest) a container name must be specified for pod x, choose one of: "
            "[nginx side] or one of the init containers: [setup]");

  core::v1::Pod one = two;
  one.mutable_spec()->mutable_containers()->RemoveLast();
  EXPECT_EQ(LogContainer(one, "").value_or(""), "nginx");
  one.mutable_spec()->clear_init_containers();
  *one.mutable_spec()->add_containers() = two.spec().containers(1);
  EXPECT_EQ(Refusal(LogContainer(one, "").status()),
            "(BadRequest) a container name must be specified for pod x, choose one of: "
            "[nginx side]");
  one.mutable_spec()->clear_containers();
  EXPECT_EQ(Refusal(LogContainer(one, "").status()),
            "(BadRequest) a container name must be specified for pod x");
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
  EXPECT_EQ(KubeletAddress(node).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(KubeletAddress(node).status().message(),
            "node node-1 publishes no address (status.addresses)");
  node.mutable_status()->clear_daemon_endpoints();
  EXPECT_EQ(KubeletAddress(node).status().message(),
            "node node-1 publishes no kubelet port (status.daemonEndpoints)");
}

TEST(KubeletLogsError, RefusalsAreBadRequestsAndAnUnreachableKubeletIsNamed) {
  EXPECT_TRUE(KubeletLogsError(grpc::Status::OK, "p", "n", "a:1").ok());
  const std::string refused = "container \"c\" in pod \"p\" is not available";
  for (grpc::StatusCode code : {grpc::StatusCode::NOT_FOUND, grpc::StatusCode::INVALID_ARGUMENT,
                                grpc::StatusCode::FAILED_PRECONDITION}) {
    EXPECT_EQ(Refusal(KubeletLogsError(grpc::Status(code, refused), "p", "n", "a:1")),
              absl::StrCat("(BadRequest) ", refused));
  }
  absl::Status unreachable =
      KubeletLogsError(grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection refused"), "p",
                       "node-1", "10.0.0.1:10250");
  EXPECT_EQ(unreachable.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(unreachable.message(),
            "cannot read the logs of pod \"p\" from the kubelet of node node-1 at "
            "10.0.0.1:10250: connection refused");
  // The kubelet's authorization refusal, relayed as Kubernetes relays it.
  absl::Status forbidden = KubeletLogsError(
      grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                   "Forbidden (user=x, verb=get, resource=nodes, subresource(s)=[proxy])"),
      "web", "n", "a:1");
  EXPECT_EQ(forbidden.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Refusal(forbidden),
            "(Forbidden) Forbidden (user=x, verb=get, resource=nodes, subresource(s)=[proxy]) ( "
            "pods/log web)");
  EXPECT_EQ(Refusal(KubeletLogsError(grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "x"), "web",
                                     "n", "a:1")),
            "(Unauthorized) the server has asked for the client to provide credentials ( pods/log "
            "web)");
  absl::Status other =
      KubeletLogsError(grpc::Status(grpc::StatusCode::INTERNAL, "runtime broke"), "p", "n", "a");
  EXPECT_EQ(other.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(other.message(), "runtime broke");
}

}  // namespace
}  // namespace minik8s::client
