// End-to-end: starts the minik8s-runtime binary on a unix socket in a temp
// dir and drives a pod lifecycle through the gRPC RuntimeClient.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fstream>
#include <sstream>

#include "gtest/gtest.h"
#include "runtime/grpc_runtime_client.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace minik8s::runtime {
namespace {

using ::minik8s::testing::BinPath;
using ::minik8s::testing::RunCommand;
using ::minik8s::testing::Subprocess;
using ::minik8s::testing::TempDir;
using ::minik8s::testing::WaitFor;

class RuntimeE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    socket_ = dir_.Join("runtime.sock");
    StartRuntime();
    auto client = NewGrpcRuntimeClient("unix://" + socket_);
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
  }

  void StartRuntime() {
    ASSERT_TRUE(runtime_
                    .Start({BinPath("minik8s-runtime"), "--listen", "unix://" + socket_,
                            "--image-pull-delay-for=nginx:1.14.2=200ms", "--log-level=debug"},
                           dir_.Join("runtime.log"))
                    .ok());
    ASSERT_TRUE(WaitFor(
        [&] {
          auto client = NewGrpcRuntimeClient("unix://" + socket_);
          return client.ok() && (*client)->Version({}).ok();
        },
        absl::Seconds(20)))
        << ReadLog();
  }

  std::string ReadLog() {
    std::ifstream in(dir_.Join("runtime.log"));
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  TempDir dir_;
  std::string socket_;
  Subprocess runtime_;
  std::unique_ptr<RuntimeClient> client_;
};

TEST_F(RuntimeE2eTest, PodLifecycleOverGrpc) {
  auto version = client_->Version({});
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(version->runtime_name(), "minik8s-runtime");
  EXPECT_EQ(version->runtime_api_version(), "v1");

  // Image: a pull with a delay, and a failing pull.
  cri::PullImageRequest pull;
  pull.mutable_image()->set_image("nginx:1.14.2");
  absl::Time t0 = absl::Now();
  auto pulled = client_->PullImage(pull);
  ASSERT_TRUE(pulled.ok()) << pulled.status();
  EXPECT_GE(absl::Now() - t0, absl::Milliseconds(200));
  pull.mutable_image()->set_image("nginx:doesnotexist");
  auto missing = client_->PullImage(pull);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("failed to pull and unpack image"), std::string::npos);
  pull.mutable_image()->set_image("busybox:1.36");
  ASSERT_TRUE(client_->PullImage(pull).ok());

  // Sandbox.
  cri::RunPodSandboxRequest run;
  auto* md = run.mutable_config()->mutable_metadata();
  md->set_name("web");
  md->set_namespace_("default");
  md->set_uid("1234");
  run.mutable_config()->set_log_directory(dir_.Join("pods/web"));
  (*run.mutable_config()->mutable_annotations())[kPodIpAnnotation] = "10.244.0.2";
  auto sb = client_->RunPodSandbox(run);
  ASSERT_TRUE(sb.ok()) << sb.status();
  cri::PodSandboxStatusRequest sst;
  sst.set_pod_sandbox_id(sb->pod_sandbox_id());
  EXPECT_EQ(client_->PodSandboxStatus(sst)->status().network().ip(), "10.244.0.2");

  // An nginx container, by image id as the kubelet does.
  cri::CreateContainerRequest create;
  create.set_pod_sandbox_id(sb->pod_sandbox_id());
  create.mutable_config()->mutable_metadata()->set_name("nginx");
  create.mutable_config()->mutable_image()->set_image(pulled->image_ref());
  auto nginx = client_->CreateContainer(create);
  ASSERT_TRUE(nginx.ok()) << nginx.status();
  cri::StartContainerRequest start;
  start.set_container_id(nginx->container_id());
  ASSERT_TRUE(client_->StartContainer(start).ok());
  cri::ContainerStatusRequest cst;
  cst.set_container_id(nginx->container_id());
  auto status = client_->ContainerStatus(cst);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->status().state(), cri::CONTAINER_RUNNING);
  EXPECT_EQ(status->status().image().image(), "docker.io/library/nginx:1.14.2");
  EXPECT_GT(status->status().started_at(), 0);

  // Logs (tail) and the CRI log file.
  cri::ReadLogsRequest logs;
  logs.set_container_id(nginx->container_id());
  logs.set_tail_lines(1);
  std::vector<std::string> lines;
  ASSERT_TRUE(client_
                  ->ReadLogs(logs,
                             [&](const cri::LogEntry& e) {
                               lines.push_back(e.text());
                               return true;
                             })
                  .ok());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("start worker processes"), std::string::npos);
  struct stat st;
  EXPECT_EQ(stat(dir_.Join("pods/web/nginx/0.log").c_str(), &st), 0);

  // Probes and exec.
  cri::ProbeRequest probe;
  probe.set_container_id(nginx->container_id());
  probe.set_kind(cri::READINESS);
  probe.set_handler(cri::HTTP_GET);
  EXPECT_TRUE(client_->Probe(probe)->success());
  cri::ExecSyncRequest exec;
  exec.set_container_id(nginx->container_id());
  exec.add_cmd("echo");
  exec.add_cmd("hi");
  auto out = client_->ExecSync(exec);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->stdout(), "hi\n");

  // A script container followed to its end.
  cri::CreateContainerRequest script = create;
  script.mutable_config()->mutable_metadata()->set_name("job");
  script.mutable_config()->mutable_image()->set_image("busybox:1.36");
  for (const char* a : {"sh", "-c", "echo one; sleep 0.3; echo two; exit 3"}) {
    script.mutable_config()->add_command(a);
  }
  auto job = client_->CreateContainer(script);
  ASSERT_TRUE(job.ok()) << job.status();
  start.set_container_id(job->container_id());
  ASSERT_TRUE(client_->StartContainer(start).ok());
  logs.Clear();
  logs.set_container_id(job->container_id());
  logs.set_follow(true);
  lines.clear();
  ASSERT_TRUE(client_
                  ->ReadLogs(logs,
                             [&](const cri::LogEntry& e) {
                               lines.push_back(e.text());
                               return true;
                             })
                  .ok());
  EXPECT_EQ(lines, (std::vector<std::string>{"one", "two"}));
  cst.set_container_id(job->container_id());
  status = client_->ContainerStatus(cst);
  EXPECT_EQ(status->status().state(), cri::CONTAINER_EXITED);
  EXPECT_EQ(status->status().exit_code(), 3);
  EXPECT_EQ(status->status().reason(), "Error");

  // Filters.
  cri::ListContainersRequest list;
  list.mutable_filter()->mutable_state()->set_state(cri::CONTAINER_RUNNING);
  auto running = client_->ListContainers(list);
  ASSERT_EQ(running->containers_size(), 1);
  EXPECT_EQ(running->containers(0).id(), nginx->container_id());

  // Graceful stop, then tear down.
  cri::StopContainerRequest stop;
  stop.set_container_id(nginx->container_id());
  stop.set_timeout(30);
  ASSERT_TRUE(client_->StopContainer(stop).ok());
  cst.set_container_id(nginx->container_id());
  EXPECT_EQ(client_->ContainerStatus(cst)->status().exit_code(), 0);
  cri::StopPodSandboxRequest stop_sb;
  stop_sb.set_pod_sandbox_id(sb->pod_sandbox_id());
  ASSERT_TRUE(client_->StopPodSandbox(stop_sb).ok());
  cri::RemovePodSandboxRequest rm;
  rm.set_pod_sandbox_id(sb->pod_sandbox_id());
  ASSERT_TRUE(client_->RemovePodSandbox(rm).ok());
  EXPECT_EQ(client_->ListPodSandbox({})->items_size(), 0);
  EXPECT_EQ(client_->ListContainers({})->containers_size(), 0);
  EXPECT_EQ(client_->ContainerStatus(cst).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(RuntimeE2eTest, SigtermIgnoringContainerIsKilledAfterTheGracePeriod) {
  cri::PullImageRequest pull;
  pull.mutable_image()->set_image("busybox");
  ASSERT_TRUE(client_->PullImage(pull).ok());
  cri::RunPodSandboxRequest run;
  run.mutable_config()->mutable_metadata()->set_name("p");
  run.mutable_config()->mutable_metadata()->set_namespace_("default");
  run.mutable_config()->mutable_metadata()->set_uid("u");
  auto sb = client_->RunPodSandbox(run);
  ASSERT_TRUE(sb.ok());
  cri::CreateContainerRequest create;
  create.set_pod_sandbox_id(sb->pod_sandbox_id());
  create.mutable_config()->mutable_metadata()->set_name("c");
  create.mutable_config()->mutable_image()->set_image("busybox");
  auto* env = create.mutable_config()->add_envs();
  env->set_key("MINIK8S_SIM_IGNORE_SIGTERM");
  env->set_value("1");
  auto c = client_->CreateContainer(create);
  ASSERT_TRUE(c.ok());
  cri::StartContainerRequest start;
  start.set_container_id(c->container_id());
  ASSERT_TRUE(client_->StartContainer(start).ok());
  cri::StopContainerRequest stop;
  stop.set_container_id(c->container_id());
  stop.set_timeout(1);
  absl::Time t0 = absl::Now();
  ASSERT_TRUE(client_->StopContainer(stop).ok());
  EXPECT_GE(absl::Now() - t0, absl::Milliseconds(900));
  cri::ContainerStatusRequest cst;
  cst.set_container_id(c->container_id());
  EXPECT_EQ(client_->ContainerStatus(cst)->status().exit_code(), 137);
}

TEST_F(RuntimeE2eTest, SocketHandlingAndCleanShutdown) {
  // A second runtime on the same live socket refuses to start.
  std::string out;
  int rc = RunCommand({BinPath("minik8s-runtime"), "--listen", socket_}, &out, absl::Seconds(20));
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("is already serving on"), std::string::npos) << out;

  // SIGTERM: clean exit, socket removed.
  std::optional<int> status = runtime_.Stop(SIGTERM, absl::Seconds(10));
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << ReadLog();
  struct stat st;
  EXPECT_NE(stat(socket_.c_str(), &st), 0);

  // A stale socket (runtime killed) is replaced; state is gone, like a reboot.
  StartRuntime();
  cri::RunPodSandboxRequest run;
  run.mutable_config()->mutable_metadata()->set_name("p");
  run.mutable_config()->mutable_metadata()->set_namespace_("default");
  run.mutable_config()->mutable_metadata()->set_uid("u");
  ASSERT_TRUE(client_->RunPodSandbox(run).ok());
  auto before = client_->Status({});
  ASSERT_TRUE(before.ok()) << before.status();
  const std::string boot_before = before->info().at(kBootIdInfoKey);
  runtime_.Stop(SIGKILL);
  ASSERT_EQ(stat(socket_.c_str(), &st), 0);  // left behind
  // The same client finds the new runtime again (short reconnect back-off).
  StartRuntime();
  ASSERT_TRUE(WaitFor([&] { return client_->ListPodSandbox({}).ok(); }, absl::Seconds(10)));
  EXPECT_EQ(client_->ListPodSandbox({})->items_size(), 0);
  auto after = client_->Status({});
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_NE(after->info().at(kBootIdInfoKey), boot_before);

  // Bad flags: a clear message, no crash.
  rc = RunCommand(
      {BinPath("minik8s-runtime"), "--listen", dir_.Join("x.sock"), "--image-pull-delay-for=nginx"},
      &out);
  EXPECT_EQ(rc, 2);
  EXPECT_NE(out.find("is not IMAGE=DURATION"), std::string::npos) << out;
}

}  // namespace
}  // namespace minik8s::runtime
