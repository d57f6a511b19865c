// LogReader over an in-process runtime: finds the container instance by the
// kubelet's labels and reads its log (no network).
#include "gtest/gtest.h"
#include "kubelet/log_service.h"
#include "kubelet/pod_worker.h"
#include "runtime/in_process_runtime_client.h"
#include "runtime/runtime.h"

namespace minik8s::kubelet {
namespace {

namespace cri = ::minik8s::cri::v1;

class LogReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto rt = runtime::Runtime::Create({});
    ASSERT_TRUE(rt.ok());
    runtime_ = *std::move(rt);
    client_ = runtime::NewInProcessRuntimeClient(runtime_.get());
    cri::RunPodSandboxRequest sb;
    sb.mutable_config()->mutable_metadata()->set_name("web");
    sb.mutable_config()->mutable_metadata()->set_uid("u1");
    sb.mutable_config()->mutable_metadata()->set_namespace_("default");
    auto resp = client_->RunPodSandbox(sb);
    ASSERT_TRUE(resp.ok());
    sandbox_ = resp->pod_sandbox_id();
  }

  std::string Run(const std::string& name, int attempt, const std::string& script) {
    cri::PullImageRequest pull;
    pull.mutable_image()->set_image("busybox:1.36");
    EXPECT_TRUE(client_->PullImage(pull).ok());
    cri::CreateContainerRequest req;
    req.set_pod_sandbox_id(sandbox_);
    req.mutable_config()->mutable_metadata()->set_name(name);
    req.mutable_config()->mutable_metadata()->set_attempt(attempt);
    req.mutable_config()->mutable_image()->set_image("busybox:1.36");
    req.mutable_config()->add_command("sh");
    req.mutable_config()->add_command("-c");
    req.mutable_config()->add_command(script);
    auto& labels = *req.mutable_config()->mutable_labels();
    labels[kLabelPodNamespace] = "default";
    labels[kLabelPodName] = "web";
    labels[kLabelPodUid] = "u1";
    labels[kLabelContainerName] = name;
    auto created = client_->CreateContainer(req);
    EXPECT_TRUE(created.ok()) << created.status();
    cri::StartContainerRequest start;
    start.set_container_id(created->container_id());
    EXPECT_TRUE(client_->StartContainer(start).ok());
    return created->container_id();
  }

  std::vector<std::string> Read(minik8s::kubelet::v1::ContainerLogsRequest req, absl::Status* s) {
    std::vector<std::string> lines;
    LogReader reader(client_.get());
    *s = reader.Read(req, [&](const minik8s::kubelet::v1::LogLine& l) {
      lines.push_back(l.text());
      return true;
    });
    return lines;
  }

  std::unique_ptr<runtime::Runtime> runtime_;
  std::unique_ptr<runtime::RuntimeClient> client_;
  std::string sandbox_;
};

TEST_F(LogReaderTest, CurrentAndPreviousInstance) {
  Run("app", 0, "echo first; exit 1");
  Run("app", 1, "echo second; echo more; sleep 3600");
  minik8s::kubelet::v1::ContainerLogsRequest req;
  req.set_namespace_("default");
  req.set_pod("web");
  absl::Status s;
  EXPECT_EQ(Read(req, &s), (std::vector<std::string>{"second", "more"}));
  EXPECT_TRUE(s.ok()) << s;
  req.set_tail_lines(1);
  EXPECT_EQ(Read(req, &s), (std::vector<std::string>{"more"}));
  req.clear_tail_lines();
  req.set_previous(true);
  EXPECT_EQ(Read(req, &s), (std::vector<std::string>{"first"}));
}

TEST_F(LogReaderTest, Errors) {
  Run("a", 0, "sleep 3600");
  Run("b", 0, "sleep 3600");
  minik8s::kubelet::v1::ContainerLogsRequest req;
  req.set_namespace_("default");
  req.set_pod("web");
  absl::Status s;
  Read(req, &s);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "a container name must be specified for pod web, choose one of: [a b]");
  req.set_container("c");
  Read(req, &s);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "container \"c\" in pod \"web\" is not available");
  req.set_container("a");
  req.set_previous(true);
  Read(req, &s);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  req.set_pod("nope");
  req.set_previous(false);
  Read(req, &s);
  EXPECT_EQ(s.message(), "pods \"nope\" not found");
}

}  // namespace
}  // namespace minik8s::kubelet
