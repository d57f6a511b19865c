// End-to-end: minik8s-store + minik8s-apiserver + minik8s-runtime +
// minik8s-kubelet as real processes on free loopback ports and a unix socket
// in a temp dir. Pods are created with spec.nodeName set (no scheduler).
// Skips with a message when a binary is not built.
#include <grpcpp/create_channel.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "api/errors.h"
#include "api/time.h"
#include "client/clientset.h"
#include "common/net.h"
#include "common/version.h"
#include "gtest/gtest.h"
#include "kubelet/pod_worker.h"
#include "kubelet/v1/kubelet.grpc.pb.h"
#include "runtime/grpc_runtime_client.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace minik8s::kubelet {
namespace {

namespace core = ::minik8s::core::v1;
using ::minik8s::testing::BinPath;
using ::minik8s::testing::PortAcceptsConnections;
using ::minik8s::testing::Subprocess;
using ::minik8s::testing::TempDir;
using ::minik8s::testing::WaitFor;

constexpr char kNode[] = "node-e2e";

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class KubeletE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* bin :
         {"minik8s-store", "minik8s-apiserver", "minik8s-runtime", "minik8s-kubelet"}) {
      if (!Exists(BinPath(bin))) {
        GTEST_SKIP() << bin << " is not built in " << BinPath("")
                     << "; build it to run the kubelet e2e tests";
      }
    }
    auto store_port = PickFreeLoopbackPort();
    auto api_port = PickFreeLoopbackPort();
    ASSERT_TRUE(store_port.ok() && api_port.ok());
    store_port_ = *store_port;
    api_port_ = *api_port;
    ASSERT_TRUE(
        store_
            .Start({BinPath("minik8s-store"), "--name", "default", "--data-dir", dir_.Join("store"),
                    "--listen-client-urls", absl::StrCat("http://127.0.0.1:", store_port_)},
                   dir_.Join("store.log"))
            .ok());
    ASSERT_TRUE(WaitFor([&] { return PortAcceptsConnections(store_port_); }, absl::Seconds(20)));
    ASSERT_TRUE(api_.Start({BinPath("minik8s-apiserver"), "--etcd-servers",
                            absl::StrCat("http://127.0.0.1:", store_port_), "--bind-address",
                            "127.0.0.1", "--port", std::to_string(api_port_)},
                           dir_.Join("apiserver.log"))
                    .ok());
    ASSERT_TRUE(WaitFor([&] { return PortAcceptsConnections(api_port_); }, absl::Seconds(20)))
        << ReadFile(dir_.Join("apiserver.log"));
    socket_ = "unix://" + dir_.Join("runtime.sock");
    auto rt = runtime::NewGrpcRuntimeClient(socket_);
    ASSERT_TRUE(rt.ok());
    runtime_ = *std::move(rt);
    StartRuntime();

    client::ApiClientOptions options;
    options.server = absl::StrCat("127.0.0.1:", api_port_);
    options.timeout = absl::Seconds(5);
    auto cs = client::Clientset::Connect(options);
    ASSERT_TRUE(cs.ok()) << cs.status();
    cs_ = *std::move(cs);
    ASSERT_TRUE(WaitFor(
        [&] {
          auto ns = cs_->Namespaces().Get("", "default");
          if (ns.ok()) return true;
          core::Namespace n;
          n.mutable_metadata()->set_name("default");
          return cs_->Namespaces().Create(n).ok();
        },
        absl::Seconds(10)));
    StartKubelet();
  }

  void TearDown() override {
    if (kubelet_.running()) kubelet_.Stop(SIGTERM);
    if (HasFailure()) {
      std::cerr << "---- kubelet log\n" << ReadFile(dir_.Join("kubelet.log")) << "\n";
    }
  }

  void StartRuntime() {
    ASSERT_TRUE(runtime_proc_
                    .Start({BinPath("minik8s-runtime"), "--listen", socket_,
                            "--image-pull-delay-for=nginx:1.14.2=200ms",
                            "--image-pull-delay-for=example.com/slow:v1=2s"},
                           dir_.Join("runtime.log"))
                    .ok());
    ASSERT_TRUE(WaitFor([&] { return runtime_->Version({}).ok(); }, absl::Seconds(20)));
  }

  // The node's Ready condition (type, status, reason, message), or null.
  std::optional<core::NodeCondition> NodeReady() {
    auto n = cs_->Nodes().Get("", kNode);
    if (!n.ok()) return std::nullopt;
    for (const auto& c : n->status().conditions()) {
      if (c.type() == "Ready") return c;
    }
    return std::nullopt;
  }

  void StartKubelet() {
    ASSERT_TRUE(kubelet_
                    .Start({BinPath("minik8s-kubelet"),
                            "--server",
                            absl::StrCat("127.0.0.1:", api_port_),
                            "--node-name",
                            kNode,
                            "--container-runtime-endpoint",
                            socket_,
                            "--port",
                            "0",
                            "--node-lease-renew-interval",
                            "1s",
                            "--node-status-update-frequency",
                            "1s",
                            "--relist-period",
                            "200ms",
                            "--crash-loop-backoff-initial",
                            "1s",
                            "--crash-loop-backoff-max",
                            "4s",
                            "--image-pull-backoff-initial",
                            "1s",
                            "--image-pull-backoff-max",
                            "4s",
                            "--register-with-taints",
                            "example.com/e2e=yes:PreferNoSchedule",
                            "--node-labels",
                            "zone=e2e",
                            "--log-level",
                            "debug"},
                           dir_.Join("kubelet.log"))
                    .ok());
    ASSERT_TRUE(WaitFor([&] { return cs_->Nodes().Get("", kNode).ok(); }, absl::Seconds(20)))
        << ReadFile(dir_.Join("kubelet.log"));
  }

  core::Pod MakePod(const std::string& name, const std::string& image,
                    const std::vector<std::string>& command = {}) {
    core::Pod p;
    p.mutable_metadata()->set_namespace_("default");
    p.mutable_metadata()->set_name(name);
    p.mutable_spec()->set_node_name(kNode);
    auto* c = p.mutable_spec()->add_containers();
    c->set_name("main");
    c->set_image(image);
    for (const auto& s : command) c->add_command(s);
    return p;
  }

  core::Pod Create(const core::Pod& pod) {
    auto created = cs_->Pods().Create(pod);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? *created : pod;
  }

  // Polls the pod until `pred` holds; returns the last version seen.
  bool WaitPod(const std::string& name, const std::function<bool(const core::Pod&)>& pred,
               absl::Duration timeout, core::Pod* last = nullptr) {
    core::Pod seen;
    bool ok = WaitFor(
        [&] {
          auto p = cs_->Pods().Get("default", name);
          if (!p.ok()) return false;
          seen = *p;
          return pred(*p);
        },
        timeout);
    if (last) *last = seen;
    if (!ok) ADD_FAILURE() << "pod " << name << " last seen: " << seen.status().DebugString();
    return ok;
  }

  static const core::PodCondition* Cond(const core::Pod& p, const std::string& type) {
    for (const auto& c : p.status().conditions()) {
      if (c.type() == type) return &c;
    }
    return nullptr;
  }

  std::vector<core::Event> EventsFor(const std::string& pod) {
    std::vector<core::Event> out;
    auto list = cs_->Events().List("default");
    if (!list.ok()) return out;
    for (auto& e : list->items) {
      if (e.involved_object().name() == pod) out.push_back(e);
    }
    return out;
  }
  bool HasEvent(const std::string& pod, const std::string& reason, const std::string& fragment) {
    for (const auto& e : EventsFor(pod)) {
      if (e.reason() == reason && absl::StrContains(e.message(), fragment)) return true;
    }
    return false;
  }

  int RuntimeContainersFor(const std::string& uid) {
    cri::v1::ListContainersRequest req;
    (*req.mutable_filter()->mutable_label_selector())[kLabelPodUid] = uid;
    auto list = runtime_->ListContainers(req);
    return list.ok() ? list->containers_size() : -1;
  }

  TempDir dir_;
  int store_port_ = 0;
  int api_port_ = 0;
  std::string socket_;
  Subprocess store_, api_, runtime_proc_, kubelet_;
  std::unique_ptr<runtime::RuntimeClient> runtime_;
  std::unique_ptr<client::Clientset> cs_;
};

TEST_F(KubeletE2eTest, NodeRegistersReadyAndLeaseRenews) {
  core::Node node;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto n = cs_->Nodes().Get("", kNode);
        if (!n.ok()) return false;
        node = *n;
        for (const auto& c : n->status().conditions()) {
          if (c.type() == "Ready" && c.status() == "True") return true;
        }
        return false;
      },
      absl::Seconds(20)));
  EXPECT_EQ(node.metadata().labels().at("kubernetes.io/hostname"), kNode);
  EXPECT_EQ(node.metadata().labels().at("kubernetes.io/os"), "linux");
  EXPECT_EQ(node.metadata().labels().at("zone"), "e2e");
  ASSERT_EQ(node.spec().taints_size(), 1);
  EXPECT_EQ(node.spec().taints(0).key(), "example.com/e2e");
  EXPECT_EQ(node.status().capacity().at("pods").value(), "110");
  EXPECT_EQ(node.status().node_info().kubelet_version(), version::kGitVersion);
  EXPECT_TRUE(absl::StartsWith(node.status().node_info().container_runtime_version(),
                               "minik8s-runtime://"));
  EXPECT_GT(node.status().daemon_endpoints().kubelet_endpoint().port(), 0);
  EXPECT_EQ(node.spec().pod_cidr(), "10.244.0.0/24");

  absl::Time first;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto l = cs_->Leases().Get("kube-node-lease", kNode);
        if (!l.ok()) return false;
        first = api::FromProtoMicroTime(l->spec().renew_time());
        EXPECT_EQ(l->spec().holder_identity(), kNode);
        EXPECT_EQ(l->spec().lease_duration_seconds(), 40);
        return true;
      },
      absl::Seconds(20)));
  EXPECT_TRUE(WaitFor(
      [&] {
        auto l = cs_->Leases().Get("kube-node-lease", kNode);
        return l.ok() && api::FromProtoMicroTime(l->spec().renew_time()) > first;
      },
      absl::Seconds(10)));
}

TEST_F(KubeletE2eTest, PodRunsAndIsReady) {
  core::Pod created = Create(MakePod("web", "nginx:1.14.2"));
  core::Pod pod;
  ASSERT_TRUE(WaitPod(
      "web",
      [](const core::Pod& p) {
        const auto* r = Cond(p, "Ready");
        return p.status().phase() == "Running" && r && r->status() == "True";
      },
      absl::Seconds(30), &pod));
  for (const char* t :
       {"PodReadyToStartContainers", "Initialized", "ContainersReady", "PodScheduled"}) {
    ASSERT_NE(Cond(pod, t), nullptr) << t;
    EXPECT_EQ(Cond(pod, t)->status(), "True") << t;
  }
  EXPECT_TRUE(absl::StartsWith(pod.status().pod_ip(), "10.244.0.")) << pod.status().pod_ip();
  EXPECT_EQ(pod.status().host_ip(), "127.0.0.1");
  EXPECT_TRUE(pod.status().has_start_time());
  ASSERT_EQ(pod.status().container_statuses_size(), 1);
  const auto& cs = pod.status().container_statuses(0);
  EXPECT_TRUE(cs.ready());
  EXPECT_TRUE(cs.started());
  EXPECT_TRUE(cs.state().has_running());
  EXPECT_EQ(cs.restart_count(), 0);
  EXPECT_TRUE(absl::StartsWith(cs.container_id(), "minik8s://"));
  EXPECT_TRUE(absl::StrContains(cs.image_id(), "nginx@sha256:")) << cs.image_id();
  EXPECT_TRUE(WaitFor(
      [&] {
        return HasEvent("web", "Pulling", "Pulling image \"nginx:1.14.2\"") &&
               HasEvent("web", "Pulled", "Successfully pulled image \"nginx:1.14.2\" in ") &&
               HasEvent("web", "Created", "Created container main") &&
               HasEvent("web", "Started", "Started container main");
      },
      absl::Seconds(10)));
  EXPECT_EQ(RuntimeContainersFor(created.metadata().uid()), 1);
  for (const auto& e : EventsFor("web")) {
    EXPECT_EQ(e.source().component(), "kubelet") << e.reason();
    EXPECT_EQ(e.source().host(), kNode) << e.reason();
    EXPECT_EQ(e.involved_object().kind(), "Pod");
    EXPECT_EQ(e.involved_object().uid(), created.metadata().uid());
    if (e.reason() == "Started") {
      EXPECT_EQ(e.involved_object().field_path(), "spec.containers{main}");
    }
  }
}

// As in Kubernetes, a watcher sees the pod Pending with its container
// waiting in ContainerCreating while the image downloads, then Running; the
// Ready condition turns True no earlier than the container started.
TEST_F(KubeletE2eTest, PodShowsContainerCreatingWhileTheImagePulls) {
  auto list = cs_->Pods().List("default", {.label_selector = "app=slow"});
  ASSERT_TRUE(list.ok()) << list.status();
  auto watch = cs_->Pods().Watch(
      "default", {.label_selector = "app=slow", .resource_version = list->resource_version});
  ASSERT_TRUE(watch.ok()) << watch.status();
  absl::Mutex mu;
  std::vector<core::Pod> seen;  // every version of the pod, in order
  bool running = false;
  std::thread watcher([&] {
    client::WatchEvent ev;
    while ((*watch)->Next(&ev)) {
      if (ev.type == client::WatchEventType::kBookmark) continue;
      auto pod = client::ObjectAs<core::Pod>(ev);
      if (pod == nullptr) continue;
      absl::MutexLock lock(&mu);
      seen.push_back(*pod);
      if (pod->status().phase() == "Running") {
        running = true;
        return;
      }
    }
  });
  core::Pod pod = MakePod("slow", "example.com/slow:v1");
  (*pod.mutable_metadata()->mutable_labels())["app"] = "slow";
  Create(pod);
  bool saw_running = WaitFor(
      [&] {
        absl::MutexLock lock(&mu);
        return running;
      },
      absl::Seconds(30));
  if (!saw_running) (*watch)->Cancel();
  watcher.join();
  ASSERT_TRUE(saw_running);

  absl::MutexLock lock(&mu);
  std::optional<core::Pod> creating;
  for (const core::Pod& p : seen) {
    if (p.status().container_statuses_size() == 1 &&
        p.status().container_statuses(0).state().waiting().reason() == "ContainerCreating") {
      creating = p;
      break;
    }
  }
  ASSERT_TRUE(creating.has_value()) << "no ContainerCreating status among " << seen.size()
                                    << " versions; last: " << seen.back().status().DebugString();
  EXPECT_EQ(creating->status().phase(), "Pending");
  const auto& waiting = creating->status().container_statuses(0);
  EXPECT_FALSE(waiting.ready());
  EXPECT_FALSE(waiting.started());
  EXPECT_EQ(waiting.restart_count(), 0);
  EXPECT_EQ(waiting.image(), "example.com/slow:v1");
  for (const char* t : {"PodScheduled", "Initialized"}) {
    ASSERT_NE(Cond(*creating, t), nullptr) << t;
    EXPECT_EQ(Cond(*creating, t)->status(), "True") << t;
  }
  for (const char* t : {"Ready", "ContainersReady"}) {
    ASSERT_NE(Cond(*creating, t), nullptr) << t;
    EXPECT_EQ(Cond(*creating, t)->status(), "False") << t;
    EXPECT_EQ(Cond(*creating, t)->reason(), "ContainersNotReady") << t;
  }

  const core::Pod& last = seen.back();
  ASSERT_EQ(last.status().container_statuses_size(), 1);
  const auto& cs = last.status().container_statuses(0);
  ASSERT_TRUE(cs.state().has_running());
  const auto* ready = Cond(last, "Ready");
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(ready->status(), "True");
  // Stamped when the status was built, after the 2 s pull and the start.
  EXPECT_GE(ready->last_transition_time().seconds(), cs.state().running().started_at().seconds())
      << last.status().DebugString();
}

TEST_F(KubeletE2eTest, ContainerExitingZeroCompletes) {
  core::Pod never = MakePod("job-never", "busybox:1.36", {"sh", "-c", "echo done; exit 0"});
  never.mutable_spec()->set_restart_policy("Never");
  Create(never);
  core::Pod onfail = MakePod("job-onfailure", "busybox:1.36", {"sh", "-c", "sleep 0.2; exit 0"});
  onfail.mutable_spec()->set_restart_policy("OnFailure");
  Create(onfail);
  core::Pod failed = MakePod("job-failed", "busybox:1.36", {"sh", "-c", "exit 3"});
  failed.mutable_spec()->set_restart_policy("Never");
  Create(failed);
  // The runtime's OOM kill on purpose (MINIK8S_SIM_OOM_AFTER).
  core::Pod oom = MakePod("job-oom", "busybox:1.36", {"sleep", "60"});
  oom.mutable_spec()->set_restart_policy("Never");
  auto* env = oom.mutable_spec()->mutable_containers(0)->add_env();
  env->set_name("MINIK8S_SIM_OOM_AFTER");
  env->set_value("200ms");
  Create(oom);
  core::Pod pod;
  ASSERT_TRUE(WaitPod(
      "job-never", [](const core::Pod& p) { return p.status().phase() == "Succeeded"; },
      absl::Seconds(30), &pod));
  EXPECT_EQ(pod.status().container_statuses(0).state().terminated().reason(), "Completed");
  EXPECT_EQ(Cond(pod, "Ready")->reason(), "PodCompleted");
  ASSERT_TRUE(WaitPod(
      "job-onfailure", [](const core::Pod& p) { return p.status().phase() == "Succeeded"; },
      absl::Seconds(30)));
  ASSERT_TRUE(WaitPod(
      "job-failed", [](const core::Pod& p) { return p.status().phase() == "Failed"; },
      absl::Seconds(30), &pod));
  EXPECT_EQ(pod.status().container_statuses(0).state().terminated().exit_code(), 3);
  EXPECT_EQ(pod.status().container_statuses(0).state().terminated().reason(), "Error");
  EXPECT_EQ(pod.status().container_statuses(0).restart_count(), 0);
  ASSERT_TRUE(WaitPod(
      "job-oom", [](const core::Pod& p) { return p.status().phase() == "Failed"; },
      absl::Seconds(30), &pod));
  EXPECT_EQ(pod.status().container_statuses(0).state().terminated().reason(), "OOMKilled");
  EXPECT_EQ(pod.status().container_statuses(0).state().terminated().exit_code(), 137);
}

TEST_F(KubeletE2eTest, CrashingContainerGoesToCrashLoopBackOff) {
  Create(MakePod("crasher", "busybox:1.36", {"sh", "-c", "sleep 0.1; exit 1"}));
  bool saw_backoff = false;
  core::Pod pod;
  ASSERT_TRUE(WaitPod(
      "crasher",
      [&](const core::Pod& p) {
        if (p.status().container_statuses_size() != 1) return false;
        const auto& cs = p.status().container_statuses(0);
        if (cs.state().waiting().reason() == "CrashLoopBackOff") {
          saw_backoff = true;
          EXPECT_TRUE(absl::StrContains(cs.state().waiting().message(),
                                        "restarting failed container=main pod=crasher_default("));
          EXPECT_EQ(cs.last_state().terminated().exit_code(), 1);
          EXPECT_EQ(p.status().phase(), "Running");
        }
        // The back-off's growth and reset are unit-tested on a fake clock
        // (pod_syncer_test.cc); here one wait through it is enough.
        return saw_backoff && cs.restart_count() >= 2;
      },
      absl::Seconds(30), &pod));
  EXPECT_TRUE(WaitFor(
      [&] {
        return HasEvent("crasher", "BackOff",
                        "Back-off restarting failed container main in pod crasher_default(");
      },
      absl::Seconds(10)));
  // Repeats are aggregated into one Event with a count (client EventRecorder).
  EXPECT_TRUE(WaitFor(
      [&] {
        int backoffs = 0, most = 0;
        for (const auto& e : EventsFor("crasher")) {
          if (e.reason() != "BackOff") continue;
          ++backoffs;
          most = std::max(most, e.count());
        }
        return backoffs == 1 && most >= 2;
      },
      absl::Seconds(20)));
  // Old instances are removed: at most the current and the previous remain.
  EXPECT_LE(RuntimeContainersFor(pod.metadata().uid()), 2);
}

TEST_F(KubeletE2eTest, MissingImageGoesToImagePullBackOff) {
  Create(MakePod("noimage", "nginx:doesnotexist"));
  bool saw_err = false, saw_backoff = false;
  ASSERT_TRUE(WaitPod(
      "noimage",
      [&](const core::Pod& p) {
        if (p.status().container_statuses_size() != 1) return false;
        const std::string& r = p.status().container_statuses(0).state().waiting().reason();
        saw_err |= r == "ErrImagePull";
        saw_backoff |= r == "ImagePullBackOff";
        EXPECT_EQ(p.status().phase(), "Pending");
        return saw_err && saw_backoff;
      },
      absl::Seconds(30)));
  EXPECT_TRUE(WaitFor(
      [&] {
        return HasEvent("noimage", "Failed", "Failed to pull image \"nginx:doesnotexist\"") &&
               HasEvent("noimage", "Failed", "Error: ErrImagePull") &&
               HasEvent("noimage", "BackOff", "Back-off pulling image \"nginx:doesnotexist\"");
      },
      absl::Seconds(10)));
}

TEST_F(KubeletE2eTest, ImagePullPolicies) {
  // Never, image absent: ErrImageNeverPull until another pod brings it.
  core::Pod never = MakePod("never-pull", "busybox:1.36", {"sleep", "3600"});
  never.mutable_spec()->mutable_containers(0)->set_image_pull_policy("Never");
  Create(never);
  core::Pod pod;
  ASSERT_TRUE(WaitPod(
      "never-pull",
      [](const core::Pod& p) {
        return p.status().container_statuses_size() == 1 &&
               p.status().container_statuses(0).state().waiting().reason() == "ErrImageNeverPull";
      },
      absl::Seconds(20), &pod));
  EXPECT_EQ(pod.status().phase(), "Pending");
  EXPECT_EQ(pod.status().container_statuses(0).state().waiting().message(),
            "Container image \"busybox:1.36\" is not present with pull policy of Never");
  EXPECT_TRUE(WaitFor(
      [&] {
        return HasEvent(
            "never-pull", "ErrImageNeverPull",
            "Container image \"busybox:1.36\" is not present with pull policy of Never");
      },
      absl::Seconds(10)));
  EXPECT_FALSE(HasEvent("never-pull", "Pulling", ""));

  Create(MakePod("puller", "busybox:1.36", {"sleep", "3600"}));  // IfNotPresent: pulls it
  ASSERT_TRUE(WaitPod(
      "puller", [](const core::Pod& p) { return p.status().phase() == "Running"; },
      absl::Seconds(20)));
  ASSERT_TRUE(WaitPod(
      "never-pull", [](const core::Pod& p) { return p.status().phase() == "Running"; },
      absl::Seconds(20)));
  EXPECT_TRUE(WaitFor(
      [&] {
        return HasEvent("puller", "Pulling", "Pulling image \"busybox:1.36\"") &&
               HasEvent("never-pull", "Pulled",
                        "Container image \"busybox:1.36\" already present on machine");
      },
      absl::Seconds(10)));

  // IfNotPresent with the image there: no pull. Always: pulls anyway.
  Create(MakePod("if-not-present", "busybox:1.36", {"sleep", "3600"}));
  core::Pod always = MakePod("always-pull", "busybox:1.36", {"sleep", "3600"});
  always.mutable_spec()->mutable_containers(0)->set_image_pull_policy("Always");
  Create(always);
  ASSERT_TRUE(WaitPod(
      "if-not-present", [](const core::Pod& p) { return p.status().phase() == "Running"; },
      absl::Seconds(20)));
  ASSERT_TRUE(WaitPod(
      "always-pull", [](const core::Pod& p) { return p.status().phase() == "Running"; },
      absl::Seconds(20)));
  EXPECT_TRUE(WaitFor(
      [&] {
        return HasEvent("always-pull", "Pulling", "Pulling image \"busybox:1.36\"") &&
               HasEvent("always-pull", "Pulled", "Successfully pulled image \"busybox:1.36\"") &&
               HasEvent("if-not-present", "Pulled", "already present on machine");
      },
      absl::Seconds(10)));
  EXPECT_FALSE(HasEvent("if-not-present", "Pulling", ""));
}

TEST_F(KubeletE2eTest, FailingLivenessProbeRestartsContainer) {
  core::Pod p = MakePod("sick", "nginx:1.14.2");
  auto* c = p.mutable_spec()->mutable_containers(0);
  auto* env = c->add_env();
  env->set_name("MINIK8S_SIM_LIVENESS");
  env->set_value("fail");
  auto* probe = c->mutable_liveness_probe();
  probe->mutable_http_get()->set_path("/healthz");
  probe->mutable_http_get()->mutable_port()->set_int_val(80);
  probe->set_period_seconds(1);
  probe->set_failure_threshold(2);
  p.mutable_spec()->set_termination_grace_period_seconds(1);
  Create(p);
  ASSERT_TRUE(WaitPod(
      "sick",
      [](const core::Pod& p) {
        return p.status().container_statuses_size() == 1 &&
               p.status().container_statuses(0).restart_count() >= 1;
      },
      absl::Seconds(30)));
  EXPECT_TRUE(WaitFor(
      [&] {
        return HasEvent("sick", "Unhealthy", "Liveness probe failed: ") &&
               HasEvent("sick", "Killing",
                        "Container main failed liveness probe, will be restarted");
      },
      absl::Seconds(10)));
}

TEST_F(KubeletE2eTest, ReadinessProbeGatesReady) {
  // Ready once the container has written /tmp/ready (an exec probe).
  core::Pod p =
      MakePod("slow", "busybox:1.36", {"sh", "-c", "sleep 2; touch /tmp/ready; sleep 3600"});
  auto* c = p.mutable_spec()->mutable_containers(0);
  auto* probe = c->mutable_readiness_probe();
  probe->mutable_exec()->add_command("cat");
  probe->mutable_exec()->add_command("/tmp/ready");
  probe->set_period_seconds(1);
  Create(p);
  core::Pod pod;
  ASSERT_TRUE(WaitPod(
      "slow", [](const core::Pod& p) { return p.status().phase() == "Running"; }, absl::Seconds(20),
      &pod));
  const auto* ready = Cond(pod, "Ready");
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(ready->status(), "False");
  EXPECT_EQ(ready->reason(), "ContainersNotReady");
  EXPECT_EQ(ready->message(), "containers with unready status: [main]");
  ASSERT_TRUE(WaitPod(
      "slow",
      [](const core::Pod& p) {
        const auto* r = Cond(p, "Ready");
        return r && r->status() == "True";
      },
      absl::Seconds(20)));
}

TEST_F(KubeletE2eTest, GracefulDeleteWaitsThenRemoves) {
  core::Pod p = MakePod("stubborn", "nginx:1.14.2");
  auto* env = p.mutable_spec()->mutable_containers(0)->add_env();
  env->set_name("MINIK8S_SIM_IGNORE_SIGTERM");
  env->set_value("1");
  p.mutable_spec()->set_termination_grace_period_seconds(2);
  core::Pod created = Create(p);
  ASSERT_TRUE(WaitPod(
      "stubborn", [](const core::Pod& p) { return p.status().phase() == "Running"; },
      absl::Seconds(20)));
  absl::Time t0 = absl::Now();
  auto deleted = cs_->Pods().Delete("default", "stubborn");
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_FALSE(deleted->deleted);
  ASSERT_TRUE(
      WaitFor([&] { return api::IsNotFound(cs_->Pods().Get("default", "stubborn").status()); },
              absl::Seconds(20)));
  absl::Duration took = absl::Now() - t0;
  EXPECT_GE(took, absl::Milliseconds(1500)) << "the grace period was not honoured";
  EXPECT_EQ(RuntimeContainersFor(created.metadata().uid()), 0);
  EXPECT_TRUE(HasEvent("stubborn", "Killing", "Stopping container main"));
}

TEST_F(KubeletE2eTest, RestartedKubeletAdoptsWithoutDuplicates) {
  core::Pod created = Create(MakePod("survivor", "nginx:1.14.2"));
  core::Pod before;
  ASSERT_TRUE(WaitPod(
      "survivor", [](const core::Pod& p) { return p.status().phase() == "Running"; },
      absl::Seconds(20), &before));
  kubelet_.Stop(SIGTERM);
  // Created while the kubelet is down: started once it is back.
  Create(MakePod("latecomer", "nginx:1.14.2"));
  StartKubelet();
  ASSERT_TRUE(WaitPod(
      "latecomer", [](const core::Pod& p) { return p.status().phase() == "Running"; },
      absl::Seconds(20)));
  core::Pod after;
  ASSERT_TRUE(WaitPod(
      "survivor", [](const core::Pod& p) { return p.status().phase() == "Running"; },
      absl::Seconds(5), &after));
  EXPECT_EQ(after.status().container_statuses(0).container_id(),
            before.status().container_statuses(0).container_id());
  EXPECT_EQ(after.status().container_statuses(0).restart_count(), 0);
  EXPECT_EQ(after.status().pod_ip(), before.status().pod_ip());
  EXPECT_EQ(RuntimeContainersFor(created.metadata().uid()), 1);
  // A pod deleted while the kubelet was down is torn down after a restart.
  kubelet_.Stop(SIGTERM);
  client::DeleteOptions force;
  force.grace_period_seconds = 0;
  ASSERT_TRUE(cs_->Pods().Delete("default", "survivor", force).ok());
  StartKubelet();
  EXPECT_TRUE(WaitFor([&] { return RuntimeContainersFor(created.metadata().uid()) == 0; },
                      absl::Seconds(20)));
}

// A runtime restart loses every sandbox and container, like a node reboot.
TEST_F(KubeletE2eTest, RestartedRuntimeGetsPodsBackByRestartPolicy) {
  core::Pod always = Create(MakePod("reborn", "nginx:1.14.2"));
  core::Pod onfail_spec = MakePod("reborn-onfailure", "busybox:1.36", {"sleep", "3600"});
  onfail_spec.mutable_spec()->set_restart_policy("OnFailure");
  core::Pod onfail = Create(onfail_spec);
  core::Pod never_spec = MakePod("reborn-never", "busybox:1.36", {"sleep", "3600"});
  never_spec.mutable_spec()->set_restart_policy("Never");
  core::Pod never = Create(never_spec);
  auto running_ready = [](const core::Pod& p) {
    const auto* r = Cond(p, "Ready");
    return p.status().phase() == "Running" && r && r->status() == "True";
  };
  core::Pod before;
  ASSERT_TRUE(WaitPod("reborn", running_ready, absl::Seconds(30), &before));
  ASSERT_TRUE(WaitPod("reborn-onfailure", running_ready, absl::Seconds(30)));
  ASSERT_TRUE(WaitPod("reborn-never", running_ready, absl::Seconds(30)));
  ASSERT_TRUE(WaitFor(
      [&] {
        auto r = NodeReady();
        return r && r->status() == "True";
      },
      absl::Seconds(20)));

  runtime_proc_.Stop(SIGKILL);
  // The node says why it is not ready, as Kubernetes' kubelet does.
  ASSERT_TRUE(WaitFor(
      [&] {
        auto r = NodeReady();
        return r && r->status() == "False";
      },
      absl::Seconds(20)))
      << NodeReady()->DebugString();
  auto down = NodeReady();
  EXPECT_EQ(down->reason(), "KubeletNotReady");
  EXPECT_EQ(down->message(), "container runtime is down");
  // A pod bound while the runtime is away waits for it.
  core::Pod late = Create(MakePod("reborn-late", "busybox:1.36", {"sleep", "3600"}));
  // The kubelet is still alive and renewing its Lease.
  absl::Time renewed;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto l = cs_->Leases().Get("kube-node-lease", kNode);
        if (!l.ok()) return false;
        renewed = api::FromProtoMicroTime(l->spec().renew_time());
        return true;
      },
      absl::Seconds(5)));
  EXPECT_TRUE(WaitFor(
      [&] {
        auto l = cs_->Leases().Get("kube-node-lease", kNode);
        return l.ok() && api::FromProtoMicroTime(l->spec().renew_time()) > renewed;
      },
      absl::Seconds(10)));
  EXPECT_TRUE(kubelet_.running());

  // Back on the same socket, empty.
  StartRuntime();
  core::Pod after;
  ASSERT_TRUE(WaitPod(
      "reborn",
      [&](const core::Pod& p) {
        return running_ready(p) && p.status().container_statuses(0).restart_count() == 1;
      },
      absl::Seconds(30), &after));
  const auto& cs = after.status().container_statuses(0);
  EXPECT_TRUE(cs.state().has_running());
  EXPECT_NE(cs.container_id(), before.status().container_statuses(0).container_id());
  ASSERT_TRUE(cs.last_state().has_terminated());
  EXPECT_EQ(cs.last_state().terminated().reason(), "ContainerStatusUnknown");
  EXPECT_EQ(cs.last_state().terminated().exit_code(), 137);
  EXPECT_EQ(cs.last_state().terminated().message(),
            "The container could not be located when the pod was terminated");
  EXPECT_TRUE(absl::StartsWith(after.status().pod_ip(), "10.244.0.")) << after.status().pod_ip();

  core::Pod onfail_after;
  ASSERT_TRUE(WaitPod(
      "reborn-onfailure",
      [&](const core::Pod& p) {
        return running_ready(p) && p.status().container_statuses(0).restart_count() == 1;
      },
      absl::Seconds(30), &onfail_after));
  EXPECT_EQ(onfail_after.status().container_statuses(0).last_state().terminated().reason(),
            "ContainerStatusUnknown");

  // restartPolicy Never: the container is gone for good, so is the pod.
  core::Pod never_after;
  ASSERT_TRUE(WaitPod(
      "reborn-never", [](const core::Pod& p) { return p.status().phase() == "Failed"; },
      absl::Seconds(30), &never_after));
  const auto& ncs = never_after.status().container_statuses(0);
  ASSERT_TRUE(ncs.state().has_terminated()) << ncs.DebugString();
  EXPECT_EQ(ncs.state().terminated().reason(), "ContainerStatusUnknown");
  EXPECT_EQ(ncs.state().terminated().exit_code(), 137);
  EXPECT_EQ(ncs.restart_count(), 1);  // Kubernetes counts the lost instance
  EXPECT_FALSE(ncs.ready());

  ASSERT_TRUE(WaitPod("reborn-late", running_ready, absl::Seconds(30)));
  ASSERT_TRUE(WaitFor(
      [&] {
        auto r = NodeReady();
        return r && r->status() == "True";
      },
      absl::Seconds(20)));
  EXPECT_EQ(NodeReady()->reason(), "KubeletReady");

  // One container per restarted pod, none for the failed one: nothing was
  // started twice.
  EXPECT_EQ(RuntimeContainersFor(always.metadata().uid()), 1);
  EXPECT_EQ(RuntimeContainersFor(onfail.metadata().uid()), 1);
  EXPECT_EQ(RuntimeContainersFor(never.metadata().uid()), 0);
  EXPECT_EQ(RuntimeContainersFor(late.metadata().uid()), 1);
  auto sandboxes = runtime_->ListPodSandbox({});
  ASSERT_TRUE(sandboxes.ok());
  EXPECT_EQ(sandboxes->items_size(), 3);
  EXPECT_TRUE(WaitFor(
      [&] {
        return HasEvent("reborn", "SandboxChanged",
                        "Pod sandbox changed, it will be killed and re-created.") &&
               HasEvent("reborn", "Started", "Started container main");
      },
      absl::Seconds(10)));
  // The Never pod gets no new sandbox, so no SandboxChanged either.
  EXPECT_FALSE(HasEvent("reborn-never", "SandboxChanged", ""));

  // A restart quicker than the kubelet can see the runtime missing: the new
  // boot id (or the vanished containers) still tells.
  runtime_proc_.Stop(SIGKILL);
  StartRuntime();
  ASSERT_TRUE(WaitPod(
      "reborn",
      [&](const core::Pod& p) {
        return running_ready(p) && p.status().container_statuses(0).restart_count() == 2;
      },
      absl::Seconds(30), &after));
  EXPECT_EQ(after.status().container_statuses(0).last_state().terminated().reason(),
            "ContainerStatusUnknown");
  ASSERT_TRUE(WaitPod(
      "reborn-late",
      [&](const core::Pod& p) {
        return running_ready(p) && p.status().container_statuses(0).restart_count() == 1;
      },
      absl::Seconds(30)));
  EXPECT_EQ(RuntimeContainersFor(always.metadata().uid()), 1);
  EXPECT_EQ(RuntimeContainersFor(late.metadata().uid()), 1);
  EXPECT_EQ(RuntimeContainersFor(never.metadata().uid()), 0);
}

// The kubelet owns pod and node status: a client that forges a Running
// pod's phase to Failed, or the node's Ready condition to False, is
// overwritten within one period (node status every second here), and a
// status the apiserver already holds is not written again.
TEST_F(KubeletE2eTest, ForgedPodAndNodeStatusAreWrittenBack) {
  Create(MakePod("forged", "nginx:1.14.2"));
  core::Pod pod;
  ASSERT_TRUE(WaitPod(
      "forged",
      [](const core::Pod& p) {
        const auto* r = Cond(p, "Ready");
        return p.status().phase() == "Running" && r && r->status() == "True";
      },
      absl::Seconds(30), &pod));
  ASSERT_TRUE(WaitFor(
      [&] {
        auto n = NodeReady();
        return n && n->status() == "True";
      },
      absl::Seconds(20)));

  // Steady: a few node-status periods and relists write neither object.
  auto node = cs_->Nodes().Get("", kNode);
  ASSERT_TRUE(node.ok()) << node.status();
  absl::SleepFor(absl::Seconds(3));
  auto pod_now = cs_->Pods().Get("default", "forged");
  auto node_now = cs_->Nodes().Get("", kNode);
  ASSERT_TRUE(pod_now.ok() && node_now.ok());
  EXPECT_EQ(pod_now->metadata().resource_version(), pod.metadata().resource_version());
  EXPECT_EQ(node_now->metadata().resource_version(), node->metadata().resource_version());

  // Forge the pod's phase.
  core::Pod forged = *pod_now;
  forged.mutable_status()->set_phase("Failed");
  forged.mutable_status()->set_reason("Forged");
  forged.mutable_status()->set_message("written by a test, not the kubelet");
  auto written = cs_->Pods().UpdateStatus(forged);
  ASSERT_TRUE(written.ok()) << written.status();
  ASSERT_EQ(written->status().phase(), "Failed");
  const absl::Time pod_forged_at = absl::Now();
  EXPECT_TRUE(WaitPod(
      "forged",
      [](const core::Pod& p) {
        return p.status().phase() == "Running" && p.status().reason().empty();
      },
      absl::Seconds(10)));
  std::cerr << "pod status written back after " << absl::Now() - pod_forged_at << "\n";

  // Forge the node's Ready condition.
  core::Node forged_node = *node_now;
  for (auto& c : *forged_node.mutable_status()->mutable_conditions()) {
    if (c.type() != "Ready") continue;
    c.set_status("False");
    c.set_reason("Forged");
    c.set_message("written by a test, not the kubelet");
  }
  auto node_written = cs_->Nodes().UpdateStatus(forged_node);
  ASSERT_TRUE(node_written.ok()) << node_written.status();
  const absl::Time node_forged_at = absl::Now();
  EXPECT_TRUE(WaitFor(
      [&] {
        auto r = NodeReady();
        return r && r->status() == "True" && r->reason() == "KubeletReady";
      },
      absl::Seconds(10)))
      << "Ready is " << (NodeReady() ? NodeReady()->DebugString() : "missing");
  std::cerr << "node Ready written back after " << absl::Now() - node_forged_at << "\n";

  // Nothing flaps afterwards: the pod stays Running and neither object is
  // written again while nothing changes.
  auto pod_after = cs_->Pods().Get("default", "forged");
  auto node_after = cs_->Nodes().Get("", kNode);
  ASSERT_TRUE(pod_after.ok() && node_after.ok());
  absl::SleepFor(absl::Seconds(3));
  auto pod_later = cs_->Pods().Get("default", "forged");
  auto node_later = cs_->Nodes().Get("", kNode);
  ASSERT_TRUE(pod_later.ok() && node_later.ok());
  EXPECT_EQ(pod_later->status().phase(), "Running");
  EXPECT_EQ(pod_later->metadata().resource_version(), pod_after->metadata().resource_version());
  EXPECT_EQ(node_later->metadata().resource_version(), node_after->metadata().resource_version());
  EXPECT_EQ(RuntimeContainersFor(pod.metadata().uid()), 1);  // never restarted
}

// A readiness gate: the containers are ready, but the pod is not until
// someone else sets the gate's condition True through pods/status; the
// kubelet keeps that condition in every status it writes.
TEST_F(KubeletE2eTest, ReadinessGateHoldsReadyUntilItsConditionIsTrue) {
  core::Pod pod = MakePod("gated", "nginx:1.14.2");
  pod.mutable_spec()->add_readiness_gates()->set_condition_type("example.com/lb");
  Create(pod);
  core::Pod seen;
  ASSERT_TRUE(WaitPod(
      "gated",
      [](const core::Pod& p) {
        const auto* r = Cond(p, "Ready");
        const auto* c = Cond(p, "ContainersReady");
        return p.status().phase() == "Running" && c && c->status() == "True" && r &&
               r->reason() == "ReadinessGatesNotReady";
      },
      absl::Seconds(30), &seen));
  EXPECT_EQ(Cond(seen, "Ready")->status(), "False");
  EXPECT_EQ(Cond(seen, "Ready")->message(),
            "corresponding condition of pod readiness gate \"example.com/lb\" does not exist.");

  // A controller reports False, then True.
  for (const char* status : {"False", "True"}) {
    bool written = WaitFor(
        [&] {
          auto current = cs_->Pods().Get("default", "gated");
          if (!current.ok()) return false;
          core::Pod update = *current;
          core::PodCondition* gate = nullptr;
          for (auto& c : *update.mutable_status()->mutable_conditions()) {
            if (c.type() == "example.com/lb") gate = &c;
          }
          if (gate == nullptr) {
            gate = update.mutable_status()->add_conditions();
            gate->set_type("example.com/lb");
          }
          gate->set_status(status);
          gate->set_reason("LoadBalancer");
          return cs_->Pods().UpdateStatus(update).ok();  // a conflict: read and try again
        },
        absl::Seconds(10));
    ASSERT_TRUE(written) << status;
    if (std::string(status) == "False") {
      ASSERT_TRUE(WaitPod(
          "gated",
          [](const core::Pod& p) {
            const auto* r = Cond(p, "Ready");
            return r && r->message() ==
                            "the status of pod readiness gate \"example.com/lb\" is not "
                            "\"True\", but False";
          },
          absl::Seconds(10)));
    }
  }
  ASSERT_TRUE(WaitPod(
      "gated",
      [](const core::Pod& p) {
        const auto* r = Cond(p, "Ready");
        return r && r->status() == "True";
      },
      absl::Seconds(10), &seen));
  const auto* gate = Cond(seen, "example.com/lb");
  ASSERT_NE(gate, nullptr);
  EXPECT_EQ(gate->status(), "True");
  EXPECT_EQ(gate->reason(), "LoadBalancer");

  // Steady afterwards: the kubelet neither drops the condition nor rewrites.
  absl::SleepFor(absl::Seconds(2));
  auto later = cs_->Pods().Get("default", "gated");
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(later->metadata().resource_version(), seen.metadata().resource_version());
  ASSERT_NE(Cond(*later, "example.com/lb"), nullptr);
}

// As Kubernetes' kubelet: a pod for another OS is rejected at admission,
// never started, and Failed with reason PodOSNotSupported.
TEST_F(KubeletE2eTest, PodForAnotherOSIsRejected) {
  core::Pod pod = MakePod("windows-only", "nginx:1.14.2");
  pod.mutable_spec()->mutable_os()->set_name("windows");
  core::Pod created = Create(pod);
  core::Pod seen;
  ASSERT_TRUE(WaitPod(
      "windows-only", [](const core::Pod& p) { return p.status().phase() == "Failed"; },
      absl::Seconds(20), &seen));
  EXPECT_EQ(seen.status().reason(), "PodOSNotSupported");
  EXPECT_EQ(seen.status().message(),
            "Pod was rejected: Failed to admit pod as the OS field doesn't match node OS");
  EXPECT_TRUE(WaitFor(
      [&] {
        return HasEvent("windows-only", "PodOSNotSupported",
                        "Failed to admit pod as the OS field doesn't match node OS");
      },
      absl::Seconds(10)));
  EXPECT_EQ(RuntimeContainersFor(created.metadata().uid()), 0);
}

TEST_F(KubeletE2eTest, LogsThroughTheKubeletApi) {
  Create(MakePod("talker", "busybox:1.36", {"sh", "-c", "echo hello; echo world; sleep 3600"}));
  ASSERT_TRUE(WaitPod(
      "talker", [](const core::Pod& p) { return p.status().phase() == "Running"; },
      absl::Seconds(20)));
  auto node = cs_->Nodes().Get("", kNode);
  ASSERT_TRUE(node.ok());
  int port = node->status().daemon_endpoints().kubelet_endpoint().port();
  auto channel =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
  auto stub = minik8s::kubelet::v1::Kubelet::NewStub(channel);
  minik8s::kubelet::v1::ContainerLogsRequest req;
  req.set_namespace_("default");
  req.set_pod("talker");
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  auto reader = stub->ContainerLogs(&ctx, req);
  std::vector<std::string> lines;
  minik8s::kubelet::v1::ContainerLogsResponse resp;
  while (reader->Read(&resp)) {
    for (const auto& l : resp.lines()) lines.push_back(l.text());
  }
  grpc::Status s = reader->Finish();
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(lines, (std::vector<std::string>{"hello", "world"}));
}

TEST_F(KubeletE2eTest, PodsKeepRunningWhileApiserverIsAwayAndStatusCatchesUp) {
  core::Pod steady = Create(MakePod("steady", "nginx:1.14.2"));
  core::Pod job = MakePod("short-job", "busybox:1.36", {"sh", "-c", "sleep 2; exit 0"});
  job.mutable_spec()->set_restart_policy("Never");
  core::Pod job_created = Create(job);
  ASSERT_TRUE(WaitPod(
      "short-job", [](const core::Pod& p) { return p.status().phase() == "Running"; },
      absl::Seconds(20)));
  api_.Stop(SIGKILL);
  // The job finishes while nobody can be told.
  auto state_of = [&](const std::string& uid) {
    cri::v1::ListContainersRequest req;
    (*req.mutable_filter()->mutable_label_selector())[kLabelPodUid] = uid;
    auto list = runtime_->ListContainers(req);
    return list.ok() && list->containers_size() == 1 ? list->containers(0).state()
                                                     : cri::v1::CONTAINER_UNKNOWN;
  };
  ASSERT_TRUE(
      WaitFor([&] { return state_of(job_created.metadata().uid()) == cri::v1::CONTAINER_EXITED; },
              absl::Seconds(10)));
  EXPECT_EQ(state_of(steady.metadata().uid()), cri::v1::CONTAINER_RUNNING);
  ASSERT_TRUE(api_.Start({BinPath("minik8s-apiserver"), "--etcd-servers",
                          absl::StrCat("http://127.0.0.1:", store_port_), "--bind-address",
                          "127.0.0.1", "--port", std::to_string(api_port_)},
                         dir_.Join("apiserver.log"))
                  .ok());
  ASSERT_TRUE(WaitFor([&] { return PortAcceptsConnections(api_port_); }, absl::Seconds(20)));
  ASSERT_TRUE(WaitPod(
      "short-job", [](const core::Pod& p) { return p.status().phase() == "Succeeded"; },
      absl::Seconds(30)));
  core::Pod pod;
  ASSERT_TRUE(WaitPod(
      "steady", [](const core::Pod& p) { return p.status().phase() == "Running"; },
      absl::Seconds(5), &pod));
  EXPECT_EQ(pod.status().container_statuses(0).restart_count(), 0);
}

// Scale mode of the binary: N simulated nodes on an in-process runtime.
TEST_F(KubeletE2eTest, ScaleModeSimulatesNodes) {
  Subprocess sim;
  ASSERT_TRUE(
      sim.Start({BinPath("minik8s-kubelet"), "--server", absl::StrCat("127.0.0.1:", api_port_),
                 "--nodes", "3", "--node-name-prefix", "sim-", "--port", "0",
                 "--node-lease-renew-interval", "1s", "--relist-period", "200ms"},
                dir_.Join("kubelet-sim.log"))
          .ok());
  for (const char* name : {"sim-0", "sim-1", "sim-2"}) {
    ASSERT_TRUE(
        WaitFor([&] { return cs_->Leases().Get("kube-node-lease", name).ok(); }, absl::Seconds(20)))
        << name << "\n"
        << ReadFile(dir_.Join("kubelet-sim.log"));
  }
  auto n1 = cs_->Nodes().Get("", "sim-1");
  ASSERT_TRUE(n1.ok());
  EXPECT_EQ(n1->spec().pod_cidr(), "10.128.1.0/24");
  core::Pod p = MakePod("on-sim", "nginx:1.14.2");
  p.mutable_spec()->set_node_name("sim-1");
  Create(p);
  core::Pod pod;
  ASSERT_TRUE(WaitPod(
      "on-sim", [](const core::Pod& p) { return p.status().phase() == "Running"; },
      absl::Seconds(20), &pod));
  EXPECT_TRUE(absl::StartsWith(pod.status().pod_ip(), "10.128.1.")) << pod.status().pod_ip();
  // The real kubelet (node-e2e) leaves pods of other nodes alone.
  EXPECT_EQ(RuntimeContainersFor(pod.metadata().uid()), 0);
  // One recorder for every simulated node; each Event names its pod's node.
  EXPECT_TRUE(WaitFor([&] { return HasEvent("on-sim", "Started", "Started container main"); },
                      absl::Seconds(10)));
  for (const auto& e : EventsFor("on-sim")) {
    EXPECT_EQ(e.source().component(), "kubelet") << e.reason();
    EXPECT_EQ(e.source().host(), "sim-1") << e.reason();
  }
  sim.Stop(SIGTERM);
}

}  // namespace
}  // namespace minik8s::kubelet
