// Unit tests of the Runtime core on a common::FakeClock: no sleeps, no network.
#include "runtime/runtime.h"

#include <fstream>
#include <optional>

#include "absl/strings/match.h"
#include "common/clock.h"
#include "common/fake_clock.h"
#include "gtest/gtest.h"
#include "runtime/cri_log.h"
#include "runtime/in_process_runtime_client.h"
#include "runtime/runtime_client.h"
#include "testing/temp_dir.h"

namespace minik8s::runtime {
namespace {

// Captures an asynchronous result.
template <typename T>
struct Result {
  std::optional<absl::StatusOr<T>> value;
  Done<T> done() {
    return [this](absl::StatusOr<T> r) { value = std::move(r); };
  }
};

class RuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override { Make(RuntimeOptions()); }

  void Make(RuntimeOptions o) {
    rt_.reset();
    o.clock = &clock_;
    auto rt = Runtime::Create(std::move(o));
    ASSERT_TRUE(rt.ok()) << rt.status();
    rt_ = *std::move(rt);
  }

  std::string RunSandbox(const std::string& name = "web", const std::string& log_dir = "",
                         std::map<std::string, std::string> labels = {},
                         const std::string& ip = "") {
    cri::RunPodSandboxRequest req;
    auto* md = req.mutable_config()->mutable_metadata();
    md->set_name(name);
    md->set_namespace_("default");
    md->set_uid("uid-" + name);
    req.mutable_config()->set_log_directory(log_dir);
    for (auto& [k, v] : labels) (*req.mutable_config()->mutable_labels())[k] = v;
    if (!ip.empty()) (*req.mutable_config()->mutable_annotations())[kPodIpAnnotation] = ip;
    auto r = rt_->RunPodSandbox(req);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->pod_sandbox_id() : "";
  }

  absl::StatusOr<cri::PullImageResponse> PullNow(const std::string& image) {
    Result<cri::PullImageResponse> res;
    cri::PullImageRequest req;
    req.mutable_image()->set_image(image);
    rt_->PullImage(req, res.done());
    EXPECT_TRUE(res.value.has_value()) << "pull of " << image << " did not complete at once";
    return res.value.value_or(absl::InternalError("pending"));
  }

  absl::StatusOr<std::string> Create(const std::string& sb, const std::string& name,
                                     std::vector<std::string> command,
                                     std::map<std::string, std::string> env = {},
                                     const std::string& image = "busybox:1.36",
                                     std::map<std::string, std::string> labels = {}) {
    cri::CreateContainerRequest req;
    req.set_pod_sandbox_id(sb);
    req.mutable_config()->mutable_metadata()->set_name(name);
    req.mutable_config()->mutable_image()->set_image(image);
    for (auto& c : command) req.mutable_config()->add_command(c);
    for (auto& [k, v] : env) {
      auto* kv = req.mutable_config()->add_envs();
      kv->set_key(k);
      kv->set_value(v);
    }
    for (auto& [k, v] : labels) (*req.mutable_config()->mutable_labels())[k] = v;
    auto r = rt_->CreateContainer(req);
    if (!r.ok()) return r.status();
    return r->container_id();
  }

  // Pulls the image, creates and starts a container; returns its id.
  std::string RunContainer(const std::string& sb, const std::string& name,
                           std::vector<std::string> command,
                           std::map<std::string, std::string> env = {},
                           const std::string& image = "busybox:1.36") {
    EXPECT_TRUE(PullNow(image).ok());
    auto id = Create(sb, name, command, env, image);
    EXPECT_TRUE(id.ok()) << id.status();
    Result<cri::StartContainerResponse> started;
    cri::StartContainerRequest req;
    req.set_container_id(*id);
    rt_->StartContainer(req, started.done());
    EXPECT_TRUE(started.value.has_value() && started.value->ok());
    return *id;
  }

  cri::ContainerStatus Status(const std::string& id) {
    cri::ContainerStatusRequest req;
    req.set_container_id(id);
    auto r = rt_->ContainerStatus(req);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->status() : cri::ContainerStatus();
  }

  std::vector<std::string> Logs(const std::string& id, std::optional<int64_t> tail = {}) {
    cri::ReadLogsRequest req;
    req.set_container_id(id);
    if (tail) req.set_tail_lines(*tail);
    auto r = rt_->ReadLogs(req);
    EXPECT_TRUE(r.ok()) << r.status();
    std::vector<std::string> out;
    if (r.ok()) {
      for (const auto& e : r->entries()) out.push_back(e.text());
    }
    return out;
  }

  absl::StatusOr<cri::ProbeResponse> Probe(const std::string& id, cri::ProbeKind kind,
                                           cri::ProbeHandler handler = cri::HTTP_GET) {
    cri::ProbeRequest req;
    req.set_container_id(id);
    req.set_kind(kind);
    req.set_handler(handler);
    req.set_port(8080);
    return rt_->Probe(req);
  }

  absl::StatusOr<cri::ExecSyncResponse> Exec(const std::string& id, std::vector<std::string> cmd,
                                             cri::ProbeKind kind = cri::PROBE_KIND_UNSPECIFIED) {
    cri::ExecSyncRequest req;
    req.set_container_id(id);
    for (auto& c : cmd) req.add_cmd(c);
    req.set_probe_kind(kind);
    return rt_->ExecSync(req);
  }

  void StopAsync(const std::string& id, int64_t timeout, Result<cri::StopContainerResponse>* res) {
    cri::StopContainerRequest req;
    req.set_container_id(id);
    req.set_timeout(timeout);
    rt_->StopContainer(req, res->done());
  }

  int64_t NowNanos() { return absl::ToUnixNanos(clock_.Now()); }

  common::FakeClock clock_;  // declared first: outlives the runtime
  std::unique_ptr<Runtime> rt_;
};

// ---------------------------------------------------------------- images

TEST_F(RuntimeTest, PullIsImmediateByDefaultAndGivesADigestRef) {
  auto r = PullNow("nginx:1.14.2");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->image_ref().rfind("sha256:", 0), 0u);
  EXPECT_EQ(r->image_ref().size(), 7u + 64u);
  cri::ImageStatusRequest st;
  st.mutable_image()->set_image("docker.io/library/nginx:1.14.2");
  auto s = rt_->ImageStatus(st);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(s->has_image());
  EXPECT_EQ(s->image().id(), r->image_ref());
  EXPECT_EQ(s->image().repo_tags(0), "docker.io/library/nginx:1.14.2");
  EXPECT_EQ(s->image().repo_digests(0).rfind("docker.io/library/nginx@sha256:", 0), 0u);
  // Same name, same digest: deterministic.
  EXPECT_EQ(PullNow("docker.io/library/nginx:1.14.2")->image_ref(), r->image_ref());
  // Absent images: no error, no image.
  st.mutable_image()->set_image("redis");
  EXPECT_FALSE(rt_->ImageStatus(st)->has_image());
}

TEST_F(RuntimeTest, PullDelayDefaultAndPerImageOverride) {
  RuntimeOptions o;
  o.image_pull_delay = absl::Seconds(1);
  o.image_pull_delay_for["nginx:1.14.2"] = absl::Seconds(5);
  Make(o);
  Result<cri::PullImageResponse> nginx, nginx2, busybox;
  cri::PullImageRequest req;
  req.mutable_image()->set_image("nginx:1.14.2");
  rt_->PullImage(req, nginx.done());
  rt_->PullImage(req, nginx2.done());  // joins the pull in progress
  req.mutable_image()->set_image("busybox");
  rt_->PullImage(req, busybox.done());
  EXPECT_FALSE(nginx.value || busybox.value);
  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(busybox.value && busybox.value->ok());
  EXPECT_FALSE(nginx.value);
  clock_.Advance(absl::Seconds(4));
  ASSERT_TRUE(nginx.value && nginx.value->ok());
  ASSERT_TRUE(nginx2.value && nginx2.value->ok());
  EXPECT_EQ((*nginx.value)->image_ref(), (*nginx2.value)->image_ref());
  // A present image is not pulled again.
  Result<cri::PullImageResponse> again;
  req.mutable_image()->set_image("nginx:1.14.2");
  rt_->PullImage(req, again.done());
  EXPECT_TRUE(again.value && again.value->ok());
  EXPECT_EQ(rt_->ListImages({})->images_size(), 2);
}

TEST_F(RuntimeTest, MissingImagesFailLikeContainerd) {
  RuntimeOptions o;
  o.missing_images = {"private/app:v2"};
  Make(o);
  auto r = PullNow("doesnotexist");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(),
            "failed to pull and unpack image \"docker.io/library/doesnotexist:latest\": failed to "
            "resolve reference \"docker.io/library/doesnotexist:latest\": "
            "docker.io/library/doesnotexist:latest: not found");
  EXPECT_FALSE(PullNow("nginx:notfound-1").ok());
  EXPECT_FALSE(PullNow("docker.io/private/app:v2").ok());
  EXPECT_TRUE(PullNow("private/app:v1").ok());
  EXPECT_EQ(rt_->ListImages({})->images_size(), 1);
  EXPECT_EQ(PullNow("").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(RuntimeTest, RemoveImageAndListFilter) {
  ASSERT_TRUE(PullNow("nginx").ok());
  ASSERT_TRUE(PullNow("busybox").ok());
  cri::ListImagesRequest list;
  list.mutable_filter()->mutable_image()->set_image("nginx:latest");
  EXPECT_EQ(rt_->ListImages(list)->images_size(), 1);
  cri::RemoveImageRequest rm;
  rm.mutable_image()->set_image("nginx");
  EXPECT_TRUE(rt_->RemoveImage(rm).ok());
  EXPECT_TRUE(rt_->RemoveImage(rm).ok());  // idempotent
  EXPECT_EQ(rt_->ListImages(list)->images_size(), 0);
  EXPECT_EQ(rt_->ListImages({})->images_size(), 1);
}

// ---------------------------------------------------------------- sandboxes

TEST_F(RuntimeTest, StatusReportsReadyAndABootIdPerInstance) {
  auto st = rt_->Status({});
  ASSERT_TRUE(st.ok());
  ASSERT_EQ(st->status().conditions_size(), 2);
  for (const auto& c : st->status().conditions()) EXPECT_TRUE(c.status()) << c.type();
  const std::string boot = st->info().at(kBootIdInfoKey);
  EXPECT_EQ(boot, rt_->boot_id());
  EXPECT_EQ(boot.size(), 36u) << boot;  // 8-4-4-4-12 hex, like a Linux boot id
  EXPECT_EQ(boot[8], '-');
  // Stable for the instance; a new instance (a restart) has another.
  EXPECT_EQ(rt_->Status({})->info().at(kBootIdInfoKey), boot);
  Make(RuntimeOptions());
  EXPECT_NE(rt_->Status({})->info().at(kBootIdInfoKey), boot);
}

TEST_F(RuntimeTest, SandboxLifecycle) {
  std::string sb = RunSandbox("web", "", {}, "10.244.0.7");
  cri::PodSandboxStatusRequest sreq;
  sreq.set_pod_sandbox_id(sb);
  auto st = rt_->PodSandboxStatus(sreq);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->status().state(), cri::SANDBOX_READY);
  EXPECT_EQ(st->status().network().ip(), "10.244.0.7");  // as the kubelet gave it
  EXPECT_EQ(st->status().metadata().name(), "web");
  EXPECT_EQ(st->status().created_at(), NowNanos());
  EXPECT_EQ(RunSandbox("db").size(), 64u);

  std::string c = RunContainer(sb, "app", {});
  cri::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(sb);
  ASSERT_TRUE(rt_->StopPodSandbox(stop).ok());
  EXPECT_TRUE(rt_->StopPodSandbox(stop).ok());  // idempotent
  st = rt_->PodSandboxStatus(sreq);
  EXPECT_EQ(st->status().state(), cri::SANDBOX_NOTREADY);
  EXPECT_EQ(st->status().network().ip(), "");
  EXPECT_EQ(Status(c).state(), cri::CONTAINER_EXITED);
  EXPECT_EQ(Status(c).exit_code(), 137);
  // No new containers in a stopped sandbox.
  EXPECT_EQ(Create(sb, "late", {}).status().code(), absl::StatusCode::kFailedPrecondition);

  cri::RemovePodSandboxRequest rm;
  rm.set_pod_sandbox_id(sb);
  ASSERT_TRUE(rt_->RemovePodSandbox(rm).ok());
  EXPECT_TRUE(rt_->RemovePodSandbox(rm).ok());  // idempotent
  EXPECT_EQ(rt_->PodSandboxStatus(sreq).status().code(), absl::StatusCode::kNotFound);
  cri::ContainerStatusRequest creq;
  creq.set_container_id(c);
  EXPECT_EQ(rt_->ContainerStatus(creq).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(rt_->ListPodSandbox({})->items_size(), 1);
  // The IP of a stopped sandbox may be given to a new one.
  EXPECT_TRUE(RunSandbox("web", "", {}, "10.244.0.7").size());
}

TEST_F(RuntimeTest, SandboxValidationAndNameReservation) {
  cri::RunPodSandboxRequest req;
  auto bad = rt_->RunPodSandbox(req);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  RunSandbox("web");
  cri::RunPodSandboxRequest dup;
  dup.mutable_config()->mutable_metadata()->set_name("web");
  dup.mutable_config()->mutable_metadata()->set_namespace_("default");
  dup.mutable_config()->mutable_metadata()->set_uid("uid-web");
  EXPECT_EQ(rt_->RunPodSandbox(dup).status().code(), absl::StatusCode::kAlreadyExists);
  dup.mutable_config()->mutable_metadata()->set_attempt(1);
  EXPECT_TRUE(rt_->RunPodSandbox(dup).ok());
}

TEST_F(RuntimeTest, SandboxReportsTheIpItWasGiven) {
  // No address given: the sandbox has none (the runtime allocates none).
  std::string none = RunSandbox("a");
  cri::PodSandboxStatusRequest sreq;
  sreq.set_pod_sandbox_id(none);
  EXPECT_EQ(rt_->PodSandboxStatus(sreq)->status().network().ip(), "");

  std::string b = RunSandbox("b", "", {}, "10.1.2.2");
  sreq.set_pod_sandbox_id(b);
  EXPECT_EQ(rt_->PodSandboxStatus(sreq)->status().network().ip(), "10.1.2.2");
  EXPECT_EQ(rt_->PodSandboxStatus(sreq)->status().annotations().at(kPodIpAnnotation), "10.1.2.2");

  cri::RunPodSandboxRequest req;
  auto* md = req.mutable_config()->mutable_metadata();
  md->set_name("c");
  md->set_namespace_("default");
  md->set_uid("uid-c");
  // An address a ready sandbox holds is refused.
  (*req.mutable_config()->mutable_annotations())[kPodIpAnnotation] = "10.1.2.2";
  auto dup = rt_->RunPodSandbox(req);
  EXPECT_EQ(dup.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(dup.status().message().find(b), std::string::npos) << dup.status();
  // Not an IPv4 address.
  for (const char* bad : {"10.1.2", "10.1.2.300", "fd00::1", "10.1.2.x", ""}) {
    (*req.mutable_config()->mutable_annotations())[kPodIpAnnotation] = bad;
    EXPECT_EQ(rt_->RunPodSandbox(req).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  // Stopped, b's address is free for another sandbox.
  cri::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(b);
  ASSERT_TRUE(rt_->StopPodSandbox(stop).ok());
  (*req.mutable_config()->mutable_annotations())[kPodIpAnnotation] = "10.1.2.2";
  EXPECT_TRUE(rt_->RunPodSandbox(req).ok());
}

TEST_F(RuntimeTest, ListPodSandboxFilters) {
  std::string a = RunSandbox("a", "", {{"app", "web"}});
  std::string b = RunSandbox("b", "", {{"app", "db"}});
  cri::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(b);
  ASSERT_TRUE(rt_->StopPodSandbox(stop).ok());
  cri::ListPodSandboxRequest req;
  EXPECT_EQ(rt_->ListPodSandbox(req)->items_size(), 2);
  EXPECT_EQ(rt_->ListPodSandbox(req)->items(0).id(), a);  // creation order
  req.mutable_filter()->mutable_state()->set_state(cri::SANDBOX_READY);
  ASSERT_EQ(rt_->ListPodSandbox(req)->items_size(), 1);
  EXPECT_EQ(rt_->ListPodSandbox(req)->items(0).id(), a);
  req.Clear();
  (*req.mutable_filter()->mutable_label_selector())["app"] = "db";
  ASSERT_EQ(rt_->ListPodSandbox(req)->items_size(), 1);
  EXPECT_EQ(rt_->ListPodSandbox(req)->items(0).id(), b);
  req.Clear();
  req.mutable_filter()->set_id(a.substr(0, 12));
  EXPECT_EQ(rt_->ListPodSandbox(req)->items_size(), 1);
}

// ---------------------------------------------------------------- containers

TEST_F(RuntimeTest, CreateContainerChecks) {
  std::string sb = RunSandbox();
  auto r = Create(sb, "app", {});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);  // image not pulled
  ASSERT_TRUE(PullNow("busybox:1.36").ok());
  EXPECT_EQ(Create("nosuch", "app", {}).status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(Create(sb, "app", {}).ok());
  EXPECT_EQ(Create(sb, "app", {}).status().code(), absl::StatusCode::kAlreadyExists);
  auto bad = Create(sb, "crashy", {}, {{"MINIK8S_SIM_CRASH_AFTER", "later"}});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("MINIK8S_SIM_CRASH_AFTER"), std::string::npos);
  // By image id, as the kubelet passes it.
  std::string ref = PullNow("busybox:1.36")->image_ref();
  auto by_id = Create(sb, "byid", {}, {}, ref);
  ASSERT_TRUE(by_id.ok()) << by_id.status();
  EXPECT_EQ(Status(*by_id).image().image(), "docker.io/library/busybox:1.36");
  EXPECT_EQ(Status(*by_id).image_ref().rfind("docker.io/library/busybox@sha256:", 0), 0u);
}

TEST_F(RuntimeTest, StatesAndTimestampsOfASleepingContainer) {
  std::string sb = RunSandbox();
  ASSERT_TRUE(PullNow("busybox:1.36").ok());
  int64_t created = NowNanos();
  std::string id = *Create(sb, "sleeper", {"sleep", "5"});
  cri::ContainerStatus s = Status(id);
  EXPECT_EQ(s.state(), cri::CONTAINER_CREATED);
  EXPECT_EQ(s.created_at(), created);
  EXPECT_EQ(s.started_at(), 0);
  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(rt_->StartContainer([&] {
                   cri::StartContainerRequest r;
                   r.set_container_id(id);
                   return r;
                 }())
                  .ok());
  int64_t started = NowNanos();
  s = Status(id);
  EXPECT_EQ(s.state(), cri::CONTAINER_RUNNING);
  EXPECT_EQ(s.started_at(), started);
  clock_.Advance(absl::Seconds(4));
  EXPECT_EQ(Status(id).state(), cri::CONTAINER_RUNNING);
  clock_.Advance(absl::Seconds(1));
  s = Status(id);
  EXPECT_EQ(s.state(), cri::CONTAINER_EXITED);
  EXPECT_EQ(s.exit_code(), 0);
  EXPECT_EQ(s.reason(), "Completed");
  EXPECT_EQ(s.finished_at(), started + absl::ToInt64Nanoseconds(absl::Seconds(5)));
  // Only a CREATED container starts.
  Result<cri::StartContainerResponse> again;
  cri::StartContainerRequest req;
  req.set_container_id(id);
  rt_->StartContainer(req, again.done());
  ASSERT_TRUE(again.value);
  EXPECT_EQ(again.value->status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(RuntimeTest, ContainerStartDelay) {
  RuntimeOptions o;
  o.container_start_delay = absl::Seconds(2);
  Make(o);
  std::string sb = RunSandbox();
  ASSERT_TRUE(PullNow("busybox:1.36").ok());
  std::string id = *Create(sb, "app", {});
  Result<cri::StartContainerResponse> started;
  cri::StartContainerRequest req;
  req.set_container_id(id);
  rt_->StartContainer(req, started.done());
  EXPECT_FALSE(started.value);
  EXPECT_EQ(Status(id).state(), cri::CONTAINER_CREATED);
  clock_.Advance(absl::Seconds(2));
  ASSERT_TRUE(started.value && started.value->ok());
  EXPECT_EQ(Status(id).state(), cri::CONTAINER_RUNNING);
  EXPECT_EQ(Status(id).started_at(), NowNanos());
}

TEST_F(RuntimeTest, EchoExitAndSequencingCommands) {
  std::string sb = RunSandbox();
  std::string echo = RunContainer(sb, "echo", {"echo", "hello world"});
  EXPECT_EQ(Status(echo).state(), cri::CONTAINER_EXITED);
  EXPECT_EQ(Status(echo).reason(), "Completed");
  EXPECT_EQ(Logs(echo), std::vector<std::string>{"hello world"});

  std::string script = RunContainer(
      sb, "script", {"/bin/sh", "-c", "echo start; sleep 2 && echo slept || echo never; exit 3"});
  EXPECT_EQ(Logs(script), std::vector<std::string>{"start"});
  EXPECT_EQ(Status(script).state(), cri::CONTAINER_RUNNING);
  clock_.Advance(absl::Seconds(2));
  cri::ContainerStatus s = Status(script);
  EXPECT_EQ(s.state(), cri::CONTAINER_EXITED);
  EXPECT_EQ(s.exit_code(), 3);
  EXPECT_EQ(s.reason(), "Error");
  EXPECT_EQ(Logs(script), (std::vector<std::string>{"start", "slept"}));
}

TEST_F(RuntimeTest, ForeverForms) {
  std::string sb = RunSandbox();
  std::vector<std::string> ids = {
      RunContainer(sb, "default", {}),
      RunContainer(sb, "tail", {"tail", "-f", "/dev/null"}),
      RunContainer(sb, "loop", {"sh", "-c", "while true; do echo tick; sleep 10; done"}),
      RunContainer(sb, "unknown", {"/usr/bin/my-server", "--port=80"}),
      RunContainer(sb, "inf", {"sleep", "infinity"}),
  };
  clock_.Advance(absl::Hours(1));
  for (const auto& id : ids) EXPECT_EQ(Status(id).state(), cri::CONTAINER_RUNNING) << id;
  EXPECT_EQ(Logs(ids[2]).size(), 361u);  // at 0s, 10s, ..., 3600s
}

// ---------------------------------------------------------------- failure modes

TEST_F(RuntimeTest, CrashAfterWithExitCode) {
  std::string sb = RunSandbox();
  std::string id = RunContainer(
      sb, "crash", {}, {{"MINIK8S_SIM_CRASH_AFTER", "5s"}, {"MINIK8S_SIM_EXIT_CODE", "2"}});
  clock_.Advance(absl::Milliseconds(4999));
  EXPECT_EQ(Status(id).state(), cri::CONTAINER_RUNNING);
  clock_.Advance(absl::Milliseconds(1));
  cri::ContainerStatus s = Status(id);
  EXPECT_EQ(s.state(), cri::CONTAINER_EXITED);
  EXPECT_EQ(s.exit_code(), 2);
  EXPECT_EQ(s.reason(), "Error");
  EXPECT_EQ(s.finished_at() - s.started_at(), absl::ToInt64Nanoseconds(absl::Seconds(5)));
}

TEST_F(RuntimeTest, ExitCodeAloneCrashesRightAfterStart) {
  std::string sb = RunSandbox();
  std::string id = RunContainer(sb, "crash", {}, {{"MINIK8S_SIM_EXIT_CODE", "1"}});
  clock_.Advance(absl::ZeroDuration());
  EXPECT_EQ(Status(id).state(), cri::CONTAINER_EXITED);
  EXPECT_EQ(Status(id).exit_code(), 1);
}

TEST_F(RuntimeTest, OomKill) {
  std::string sb = RunSandbox();
  std::string id = RunContainer(sb, "oom", {"sleep", "60"}, {{"MINIK8S_SIM_OOM_AFTER", "3s"}});
  clock_.Advance(absl::Seconds(3));
  cri::ContainerStatus s = Status(id);
  EXPECT_EQ(s.state(), cri::CONTAINER_EXITED);
  EXPECT_EQ(s.exit_code(), 137);
  EXPECT_EQ(s.reason(), "OOMKilled");
  clock_.Advance(absl::Minutes(5));  // the script's sleep timer does nothing now
  EXPECT_EQ(Status(id).reason(), "OOMKilled");
  EXPECT_EQ(clock_.PendingTimers(), 0u);
}

TEST_F(RuntimeTest, ReadinessLivenessAndStartupProbes) {
  std::string sb = RunSandbox("web", "", {}, "10.244.0.2");
  std::string id = RunContainer(sb, "app", {},
                                {{"MINIK8S_SIM_READY_AFTER", "10s"},
                                 {"MINIK8S_SIM_LIVENESS_FAIL_AFTER", "20s"},
                                 {"MINIK8S_SIM_STARTUP_AFTER", "5s"}});
  auto ready = Probe(id, cri::READINESS);
  ASSERT_TRUE(ready.ok());
  EXPECT_FALSE(ready->success());
  EXPECT_EQ(ready->http_status_code(), 503);
  EXPECT_EQ(ready->message(), "HTTP probe failed with statuscode: 503");
  EXPECT_FALSE(Probe(id, cri::STARTUP)->success());
  EXPECT_TRUE(Probe(id, cri::LIVENESS)->success());
  clock_.Advance(absl::Seconds(10));
  EXPECT_TRUE(Probe(id, cri::READINESS)->success());
  EXPECT_EQ(Probe(id, cri::READINESS)->http_status_code(), 200);
  EXPECT_TRUE(Probe(id, cri::STARTUP)->success());
  clock_.Advance(absl::Seconds(10));
  auto live = Probe(id, cri::LIVENESS, cri::TCP_SOCKET);
  EXPECT_FALSE(live->success());
  EXPECT_EQ(live->message(), "dial tcp 10.244.0.2:8080: connect: connection refused");
  // Exec probes follow the same rules through ExecSync.
  auto exec = Exec(id, {"cat", "/tmp/healthy"}, cri::LIVENESS);
  ASSERT_TRUE(exec.ok());
  EXPECT_EQ(exec->exit_code(), 1);
  EXPECT_NE(exec->stderr().find("MINIK8S_SIM_LIVENESS_FAIL_AFTER"), std::string::npos);
  EXPECT_EQ(Exec(id, {"true"}, cri::READINESS)->exit_code(), 0);
  // Bad requests.
  EXPECT_EQ(Probe(id, cri::PROBE_KIND_UNSPECIFIED).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Probe(id, cri::READINESS, cri::PROBE_HANDLER_UNSPECIFIED).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Probe("nosuch", cri::READINESS).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(RuntimeTest, AlwaysFailingProbesAndStoppedContainers) {
  std::string sb = RunSandbox();
  std::string id = RunContainer(
      sb, "app", {}, {{"MINIK8S_SIM_READINESS", "fail"}, {"MINIK8S_SIM_LIVENESS", "fail"}});
  clock_.Advance(absl::Hours(1));
  EXPECT_FALSE(Probe(id, cri::READINESS, cri::GRPC)->success());
  EXPECT_FALSE(Probe(id, cri::LIVENESS)->success());
  std::string ok = RunContainer(sb, "ok", {"sleep", "1"});
  EXPECT_TRUE(Probe(ok, cri::READINESS)->success());
  clock_.Advance(absl::Seconds(1));
  auto r = Probe(ok, cri::READINESS);
  EXPECT_FALSE(r->success());
  EXPECT_EQ(r->message(), "container is not running");
}

// ---------------------------------------------------------------- stop

TEST_F(RuntimeTest, StopIsGracefulByDefault) {
  std::string sb = RunSandbox();
  std::string id = RunContainer(sb, "app", {"sleep", "3600"});
  Result<cri::StopContainerResponse> stopped;
  StopAsync(id, 30, &stopped);
  ASSERT_TRUE(stopped.value && stopped.value->ok());
  cri::ContainerStatus s = Status(id);
  EXPECT_EQ(s.state(), cri::CONTAINER_EXITED);
  EXPECT_EQ(s.exit_code(), 0);
  EXPECT_EQ(s.reason(), "Completed");
  EXPECT_EQ(s.finished_at(), NowNanos());
  // Stopping an exited container is fine; an unknown one is NotFound.
  Result<cri::StopContainerResponse> again, unknown;
  StopAsync(id, 30, &again);
  EXPECT_TRUE(again.value && again.value->ok());
  StopAsync("nosuch", 30, &unknown);
  ASSERT_TRUE(unknown.value);
  EXPECT_EQ(unknown.value->status().code(), absl::StatusCode::kNotFound);
}

TEST_F(RuntimeTest, StopKillsASigtermIgnoringContainerAtTheEndOfTheGracePeriod) {
  std::string sb = RunSandbox();
  std::string id = RunContainer(sb, "stubborn", {}, {{"MINIK8S_SIM_IGNORE_SIGTERM", "1"}});
  Result<cri::StopContainerResponse> stopped;
  StopAsync(id, 30, &stopped);
  EXPECT_FALSE(stopped.value);
  clock_.Advance(absl::Seconds(29));
  EXPECT_FALSE(stopped.value);
  EXPECT_EQ(Status(id).state(), cri::CONTAINER_RUNNING);
  // A second stop with a shorter grace period brings the kill forward.
  Result<cri::StopContainerResponse> second;
  StopAsync(id, 0, &second);
  ASSERT_TRUE(stopped.value && stopped.value->ok());
  ASSERT_TRUE(second.value && second.value->ok());
  EXPECT_EQ(Status(id).exit_code(), 137);
  EXPECT_EQ(Status(id).reason(), "Error");

  std::string other = RunContainer(sb, "stubborn2", {}, {{"MINIK8S_SIM_IGNORE_SIGTERM", "1"}});
  Result<cri::StopContainerResponse> s2;
  StopAsync(other, 10, &s2);
  clock_.Advance(absl::Seconds(10));
  ASSERT_TRUE(s2.value && s2.value->ok());
  EXPECT_EQ(Status(other).exit_code(), 137);
  EXPECT_EQ(Status(other).finished_at() - Status(other).started_at(),
            absl::ToInt64Nanoseconds(absl::Seconds(10)));
}

TEST_F(RuntimeTest, StopWithZeroTimeoutKillsAtOnce) {
  std::string sb = RunSandbox();
  std::string id = RunContainer(sb, "app", {});
  Result<cri::StopContainerResponse> stopped;
  StopAsync(id, 0, &stopped);
  ASSERT_TRUE(stopped.value && stopped.value->ok());
  EXPECT_EQ(Status(id).exit_code(), 137);
}

// ---------------------------------------------------------------- logs

TEST_F(RuntimeTest, NginxPrintsStartupAndShutdownLines) {
  std::string sb = RunSandbox();
  std::string id = RunContainer(sb, "nginx", {}, {}, "nginx:1.14.2");
  std::vector<std::string> logs = Logs(id);
  ASSERT_EQ(logs.size(), 5u);
  EXPECT_NE(logs[3].find("nginx/1.14.2"), std::string::npos);
  Result<cri::StopContainerResponse> stopped;
  StopAsync(id, 30, &stopped);
  logs = Logs(id);
  EXPECT_NE(logs[5].find("SIGTERM"), std::string::npos);
  EXPECT_EQ(Status(id).exit_code(), 0);
}

TEST_F(RuntimeTest, LogTailAndFile) {
  testing::TempDir dir;
  std::string sb = RunSandbox("web", dir.path());
  std::string id = RunContainer(
      sb, "app", {"sh", "-c", "echo one; echo two; sleep 1; echo three >&2; echo four"});
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(Logs(id), (std::vector<std::string>{"one", "two", "three", "four"}));
  EXPECT_EQ(Logs(id, 2), (std::vector<std::string>{"three", "four"}));
  EXPECT_EQ(Logs(id, 0), std::vector<std::string>{});
  EXPECT_EQ(Logs(id, 100).size(), 4u);

  std::string path = Status(id).log_path();
  EXPECT_EQ(path, dir.Join("app/0.log"));
  std::ifstream in(path);
  std::vector<cri::LogEntry> lines;
  for (std::string line; std::getline(in, line);) {
    auto e = ParseCriLogLine(line);
    ASSERT_TRUE(e.ok()) << e.status();
    lines.push_back(*e);
  }
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0].text(), "one");
  EXPECT_EQ(lines[0].timestamp(), Status(id).started_at());
  EXPECT_EQ(lines[3].timestamp(), Status(id).finished_at());
  cri::ReadLogsRequest req;
  req.set_container_id("nosuch");
  EXPECT_EQ(rt_->ReadLogs(req).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(RuntimeTest, FollowDeliversNewLinesUntilTheContainerExits) {
  std::string sb = RunSandbox();
  std::string id =
      RunContainer(sb, "app", {"sh", "-c", "echo a; sleep 1; echo b; sleep 1; echo c"});
  std::vector<std::string> got;
  int ends = 0;
  cri::ReadLogsRequest req;
  req.set_container_id(id);
  req.set_follow(true);
  auto fid = rt_->FollowLogs(req, [&](std::vector<cri::LogEntry> entries, bool end) {
    for (auto& e : entries) got.push_back(e.text());
    ends += end;
  });
  ASSERT_TRUE(fid.ok());
  EXPECT_EQ(got, std::vector<std::string>{"a"});
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(got, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(ends, 0);
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(got, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(ends, 1);
  rt_->StopFollowing(*fid);  // harmless after the end

  // Following an exited container: everything at once, then the end.
  got.clear();
  ends = 0;
  req.set_tail_lines(1);
  auto fid2 = rt_->FollowLogs(req, [&](std::vector<cri::LogEntry> entries, bool end) {
    for (auto& e : entries) got.push_back(e.text());
    ends += end;
  });
  ASSERT_TRUE(fid2.ok());
  EXPECT_EQ(*fid2, 0u);
  EXPECT_EQ(got, std::vector<std::string>{"c"});
  EXPECT_EQ(ends, 1);
}

TEST_F(RuntimeTest, StopFollowingStopsDelivery) {
  std::string sb = RunSandbox();
  std::string id = RunContainer(sb, "app", {"sh", "-c", "while true; do echo x; sleep 1; done"});
  int count = 0;
  cri::ReadLogsRequest req;
  req.set_container_id(id);
  req.set_follow(true);
  auto fid = rt_->FollowLogs(req, [&](std::vector<cri::LogEntry> e, bool) { count += e.size(); });
  ASSERT_TRUE(fid.ok());
  clock_.Advance(absl::Seconds(2));
  EXPECT_EQ(count, 3);
  rt_->StopFollowing(*fid);
  clock_.Advance(absl::Seconds(2));
  EXPECT_EQ(count, 3);
}

TEST_F(RuntimeTest, InMemoryLogIsCapped) {
  RuntimeOptions o;
  o.max_log_lines = 3;
  Make(o);
  std::string sb = RunSandbox();
  std::string id = RunContainer(sb, "app", {"sh", "-c", "echo 1; echo 2; echo 3; echo 4; echo 5"});
  EXPECT_EQ(Logs(id), (std::vector<std::string>{"3", "4", "5"}));
}

// ---------------------------------------------------------------- lists

TEST_F(RuntimeTest, ListContainersFilters) {
  std::string sa = RunSandbox("a");
  std::string sbx = RunSandbox("b");
  ASSERT_TRUE(PullNow("busybox:1.36").ok());
  std::string created = *Create(sa, "created", {}, {}, "busybox:1.36", {{"tier", "web"}});
  std::string running = RunContainer(sa, "running", {});
  std::string exited = RunContainer(sbx, "exited", {"true"});
  cri::ListContainersRequest req;
  auto ids = [&] {
    std::vector<std::string> out;
    auto listed = rt_->ListContainers(req);
    EXPECT_TRUE(listed.ok());
    for (const auto& c : listed->containers()) out.push_back(c.id());
    return out;
  };
  EXPECT_EQ(ids(), (std::vector<std::string>{created, running, exited}));
  req.mutable_filter()->mutable_state()->set_state(cri::CONTAINER_RUNNING);
  EXPECT_EQ(ids(), std::vector<std::string>{running});
  req.mutable_filter()->mutable_state()->set_state(cri::CONTAINER_EXITED);
  EXPECT_EQ(ids(), std::vector<std::string>{exited});
  req.Clear();
  req.mutable_filter()->set_pod_sandbox_id(sa);
  EXPECT_EQ(ids(), (std::vector<std::string>{created, running}));
  req.Clear();
  (*req.mutable_filter()->mutable_label_selector())["tier"] = "web";
  EXPECT_EQ(ids(), std::vector<std::string>{created});
  req.Clear();
  req.mutable_filter()->set_id(running);
  EXPECT_EQ(ids(), std::vector<std::string>{running});
  auto listed = rt_->ListContainers(req);
  ASSERT_TRUE(listed.ok());
  const cri::Container& c = listed->containers(0);
  EXPECT_EQ(c.pod_sandbox_id(), sa);
  EXPECT_EQ(c.metadata().name(), "running");
  EXPECT_EQ(c.image().image(), "docker.io/library/busybox:1.36");
}

// ---------------------------------------------------------------- exec

TEST_F(RuntimeTest, ExecSyncRunsSimpleCommands) {
  std::string sb = RunSandbox();
  std::string id = RunContainer(sb, "app",
                                {"sh", "-c",
                                 "touch /tmp/healthy; sleep 30; "
                                 "rm -f /tmp/healthy; sleep 600"});
  auto r = Exec(id, {"echo", "hi"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->stdout(), "hi\n");
  EXPECT_EQ(r->exit_code(), 0);
  EXPECT_EQ(Exec(id, {"sh", "-c", "exit 7"})->exit_code(), 7);
  EXPECT_EQ(Exec(id, {"cat", "/tmp/healthy"}, cri::LIVENESS)->exit_code(), 0);
  EXPECT_EQ(Exec(id, {"pg_isready"})->exit_code(), 0);  // unknown tools succeed
  EXPECT_EQ(Exec(id, {"tail", "-f", "/dev/null"}).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  clock_.Advance(absl::Seconds(30));
  auto gone = Exec(id, {"cat", "/tmp/healthy"}, cri::LIVENESS);
  EXPECT_EQ(gone->exit_code(), 1);
  EXPECT_EQ(gone->stderr(), "cat: /tmp/healthy: No such file or directory\n");
  // Exec changes files too.
  EXPECT_EQ(Exec(id, {"touch", "/tmp/healthy"})->exit_code(), 0);
  EXPECT_EQ(Exec(id, {"cat", "/tmp/healthy"})->exit_code(), 0);
  EXPECT_EQ(Exec(id, {}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Exec("nosuch", {"true"}).status().code(), absl::StatusCode::kNotFound);
  std::string done = RunContainer(sb, "done", {"true"});
  EXPECT_EQ(Exec(done, {"true"}).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(RuntimeTest, ExecSyncOutsideProbesSleepsOnTheClock) {
  std::string sb = RunSandbox();
  std::string id = RunContainer(sb, "app", {"sleep", "3600"});
  cri::ExecSyncRequest req;
  req.set_container_id(id);
  for (const char* arg : {"sh", "-c", "echo draining; sleep 5; echo done"}) req.add_cmd(arg);
  Result<cri::ExecSyncResponse> hook;
  rt_->ExecSync(req, hook.done());
  EXPECT_FALSE(hook.value.has_value());
  clock_.Advance(absl::Seconds(4));
  EXPECT_FALSE(hook.value.has_value());
  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(hook.value.has_value());
  ASSERT_TRUE(hook.value->ok()) << hook.value->status();
  EXPECT_EQ((*hook.value)->stdout(), "draining\ndone\n");
  EXPECT_EQ((*hook.value)->exit_code(), 0);

  // A probe's command takes no time, sleep or not.
  req.set_probe_kind(cri::LIVENESS);
  Result<cri::ExecSyncResponse> probe;
  rt_->ExecSync(req, probe.done());
  ASSERT_TRUE(probe.value.has_value());
  EXPECT_EQ((*probe.value)->exit_code(), 0);
}

TEST_F(RuntimeTest, ASleepingExecEndsAtItsTimeoutOrWithTheContainer) {
  std::string sb = RunSandbox();
  std::string id = RunContainer(sb, "app", {"sleep", "3600"});
  cri::ExecSyncRequest req;
  req.set_container_id(id);
  for (const char* arg : {"sleep", "60"}) req.add_cmd(arg);
  req.set_timeout(2);
  Result<cri::ExecSyncResponse> timed;
  rt_->ExecSync(req, timed.done());
  clock_.Advance(absl::Seconds(2));
  ASSERT_TRUE(timed.value.has_value());
  EXPECT_EQ(timed.value->status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(absl::StrContains(timed.value->status().message(), "timed out after 2s"))
      << timed.value->status();

  req.set_timeout(0);
  Result<cri::ExecSyncResponse> cut;
  rt_->ExecSync(req, cut.done());
  cri::StopContainerRequest stop;
  stop.set_container_id(id);
  stop.set_timeout(0);
  Result<cri::StopContainerResponse> stopped;
  rt_->StopContainer(stop, stopped.done());
  ASSERT_TRUE(cut.value.has_value());
  EXPECT_EQ(cut.value->status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(clock_.PendingTimers(), 0u);
}

// ---------------------------------------------------------------- removal

TEST_F(RuntimeTest, RemovingARunningContainerKillsItAndEndsFollowers) {
  std::string sb = RunSandbox();
  std::string id = RunContainer(sb, "app", {}, {{"MINIK8S_SIM_IGNORE_SIGTERM", "1"}});
  Result<cri::StopContainerResponse> stopping;
  StopAsync(id, 60, &stopping);
  bool ended = false;
  cri::ReadLogsRequest lreq;
  lreq.set_container_id(id);
  lreq.set_follow(true);
  ASSERT_TRUE(
      rt_->FollowLogs(lreq, [&](std::vector<cri::LogEntry>, bool end) { ended |= end; }).ok());
  cri::RemoveContainerRequest rm;
  rm.set_container_id(id);
  ASSERT_TRUE(rt_->RemoveContainer(rm).ok());
  EXPECT_TRUE(ended);
  ASSERT_TRUE(stopping.value && stopping.value->ok());  // the pending stop completes
  EXPECT_TRUE(rt_->RemoveContainer(rm).ok());           // idempotent
  EXPECT_EQ(rt_->ListContainers({})->containers_size(), 0);
  EXPECT_EQ(clock_.PendingTimers(), 0u);
}

TEST_F(RuntimeTest, RemovingAContainerThatIsStartingFailsTheStart) {
  RuntimeOptions o;
  o.container_start_delay = absl::Seconds(5);
  Make(o);
  std::string sb = RunSandbox();
  ASSERT_TRUE(PullNow("busybox:1.36").ok());
  std::string id = *Create(sb, "app", {});
  Result<cri::StartContainerResponse> started;
  cri::StartContainerRequest req;
  req.set_container_id(id);
  rt_->StartContainer(req, started.done());
  cri::RemoveContainerRequest rm;
  rm.set_container_id(id);
  ASSERT_TRUE(rt_->RemoveContainer(rm).ok());
  ASSERT_TRUE(started.value);
  EXPECT_EQ(started.value->status().code(), absl::StatusCode::kNotFound);
  clock_.Advance(absl::Seconds(5));  // the start timer finds nothing to do
}

TEST_F(RuntimeTest, RemovingASandboxRemovesItsContainers) {
  std::string sb = RunSandbox("a");
  std::string other = RunSandbox("b");
  RunContainer(sb, "one", {});
  RunContainer(sb, "two", {"sleep", "10"});
  std::string keep = RunContainer(other, "keep", {});
  cri::RemovePodSandboxRequest rm;
  rm.set_pod_sandbox_id(sb);
  ASSERT_TRUE(rt_->RemovePodSandbox(rm).ok());
  auto list = rt_->ListContainers({});
  ASSERT_EQ(list->containers_size(), 1);
  EXPECT_EQ(list->containers(0).id(), keep);
}

TEST_F(RuntimeTest, DestroyingTheRuntimeCompletesPendingCalls) {
  std::string sb = RunSandbox();
  std::string id = RunContainer(sb, "app", {}, {{"MINIK8S_SIM_IGNORE_SIGTERM", "1"}});
  Result<cri::StopContainerResponse> stopping;
  StopAsync(id, 60, &stopping);
  rt_.reset();
  ASSERT_TRUE(stopping.value);
  EXPECT_EQ(stopping.value->status().code(), absl::StatusCode::kUnavailable);
  clock_.Advance(absl::Minutes(2));  // late timers find no runtime
}

TEST_F(RuntimeTest, InProcessClientFollowsLogs) {
  // A real clock, as the kubelet's scale mode uses it.
  rt_.reset();
  auto rt = Runtime::Create(RuntimeOptions());
  ASSERT_TRUE(rt.ok());
  std::unique_ptr<RuntimeClient> client = NewInProcessRuntimeClient(rt->get());
  cri::RunPodSandboxRequest sreq;
  sreq.mutable_config()->mutable_metadata()->set_name("p");
  sreq.mutable_config()->mutable_metadata()->set_namespace_("default");
  sreq.mutable_config()->mutable_metadata()->set_uid("u");
  auto sb = client->RunPodSandbox(sreq);
  ASSERT_TRUE(sb.ok());
  cri::PullImageRequest preq;
  preq.mutable_image()->set_image("busybox");
  ASSERT_TRUE(client->PullImage(preq).ok());
  cri::CreateContainerRequest creq;
  creq.set_pod_sandbox_id(sb->pod_sandbox_id());
  creq.mutable_config()->mutable_metadata()->set_name("c");
  creq.mutable_config()->mutable_image()->set_image("busybox");
  for (const char* a : {"sh", "-c", "echo a; sleep 0.05; echo b"})
    creq.mutable_config()->add_command(a);
  auto c = client->CreateContainer(creq);
  ASSERT_TRUE(c.ok());
  cri::StartContainerRequest start;
  start.set_container_id(c->container_id());
  ASSERT_TRUE(client->StartContainer(start).ok());
  std::vector<std::string> got;
  cri::ReadLogsRequest lreq;
  lreq.set_container_id(c->container_id());
  lreq.set_follow(true);
  ASSERT_TRUE(client
                  ->ReadLogs(lreq,
                             [&](const cri::LogEntry& e) {
                               got.push_back(e.text());
                               return true;
                             })
                  .ok());
  EXPECT_EQ(got, (std::vector<std::string>{"a", "b"}));
  cri::ContainerStatusRequest st;
  st.set_container_id(c->container_id());
  EXPECT_EQ(client->ContainerStatus(st)->status().state(), cri::CONTAINER_EXITED);
}

}  // namespace
}  // namespace minik8s::runtime
