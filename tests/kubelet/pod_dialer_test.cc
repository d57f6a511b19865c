// PodDialer over an in-process runtime: the pod's address for port-forward
// is the IP the kubelet gave its ready sandbox (no network).
#include "gtest/gtest.h"
#include "kubelet/pod_worker.h"
#include "kubelet/port_forward.h"
#include "runtime/in_process_runtime_client.h"
#include "runtime/runtime.h"

namespace minik8s::kubelet {
namespace {

namespace cri = ::minik8s::cri::v1;

class PodDialerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto rt = runtime::Runtime::Create({});
    ASSERT_TRUE(rt.ok());
    runtime_ = *std::move(rt);
    client_ = runtime::NewInProcessRuntimeClient(runtime_.get());
  }

  std::string RunSandbox(const std::string& name, const std::string& ip) {
    cri::RunPodSandboxRequest sb;
    sb.mutable_config()->mutable_metadata()->set_name(name);
    sb.mutable_config()->mutable_metadata()->set_uid("u-" + name);
    sb.mutable_config()->mutable_metadata()->set_namespace_("default");
    auto& labels = *sb.mutable_config()->mutable_labels();
    labels[kLabelPodNamespace] = "default";
    labels[kLabelPodName] = name;
    labels[kLabelPodUid] = "u-" + name;
    if (!ip.empty()) (*sb.mutable_config()->mutable_annotations())[kAnnotationPodIp] = ip;
    auto resp = client_->RunPodSandbox(sb);
    EXPECT_TRUE(resp.ok()) << resp.status();
    return resp.ok() ? resp->pod_sandbox_id() : "";
  }

  std::unique_ptr<runtime::Runtime> runtime_;
  std::unique_ptr<runtime::RuntimeClient> client_;
};

TEST_F(PodDialerTest, TheReadySandboxIp) {
  RunSandbox("web", "127.244.1.7");
  PodDialer dialer(client_.get());
  auto ip = dialer.PodIp("default", "web");
  ASSERT_TRUE(ip.ok()) << ip.status();
  EXPECT_EQ(*ip, "127.244.1.7");
}

TEST_F(PodDialerTest, UnknownPodIsNotFound) {
  PodDialer dialer(client_.get());
  auto ip = dialer.PodIp("default", "nope");
  EXPECT_EQ(ip.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ip.status().message(), "pods \"nope\" not found");
  EXPECT_EQ(dialer.Dial("default", "nope", 0).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(PodDialerTest, StoppedSandboxIsNotRunning) {
  const std::string id = RunSandbox("web", "127.244.1.8");
  cri::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(id);
  ASSERT_TRUE(client_->StopPodSandbox(stop).ok());
  PodDialer dialer(client_.get());
  EXPECT_EQ(dialer.PodIp("default", "web").status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace minik8s::kubelet
