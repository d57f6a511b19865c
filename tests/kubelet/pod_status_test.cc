#include "kubelet/pod_status.h"

#include "api/time.h"
#include "gtest/gtest.h"

namespace minik8s::kubelet {
namespace {

namespace core = ::minik8s::core::v1;
const absl::Time kNow = absl::FromUnixSeconds(1700000100);

ContainerView Running(const std::string& name, bool ready = true) {
  ContainerView v;
  v.name = name;
  v.image = "nginx:1.14.2";
  v.state = ContainerView::State::kRunning;
  v.started_at = kNow - absl::Seconds(10);
  v.container_id = "c-" + name;
  v.ready = ready;
  v.started = true;
  return v;
}
ContainerView Waiting(const std::string& name, const std::string& reason,
                      std::optional<int> last_exit = std::nullopt) {
  ContainerView v;
  v.name = name;
  v.state = ContainerView::State::kWaiting;
  v.waiting_reason = reason;
  if (last_exit) v.last_terminated = TerminatedView{*last_exit, "", "", kNow, kNow, "old"};
  return v;
}
ContainerView Exited(const std::string& name, int code) {
  ContainerView v;
  v.name = name;
  v.state = ContainerView::State::kTerminated;
  v.terminated = TerminatedView{code, "", "", kNow - absl::Seconds(5), kNow, "c-" + name};
  return v;
}

struct PhaseCase {
  std::string name;
  std::string policy;
  std::vector<ContainerView> init;
  std::vector<ContainerView> containers;
  std::string want;
};

TEST(ComputePhase, Table) {
  std::vector<PhaseCase> cases = {
      {"creating", "Always", {}, {Waiting("a", "ContainerCreating")}, "Pending"},
      {"running", "Always", {}, {Running("a")}, "Running"},
      {"one running one creating",
       "Always",
       {},
       {Running("a"), Waiting("b", "ErrImagePull")},
       "Pending"},
      {"crashloop counts as restarting",
       "Always",
       {},
       {Waiting("a", "CrashLoopBackOff", 1)},
       "Running"},
      {"exit 0 under Always restarts", "Always", {}, {Exited("a", 0)}, "Running"},
      {"exit 0 under Never", "Never", {}, {Exited("a", 0)}, "Succeeded"},
      {"exit 0 under OnFailure", "OnFailure", {}, {Exited("a", 0)}, "Succeeded"},
      {"exit 1 under Never", "Never", {}, {Exited("a", 1)}, "Failed"},
      {"exit 1 under OnFailure restarts", "OnFailure", {}, {Exited("a", 1)}, "Running"},
      {"mixed Never", "Never", {}, {Exited("a", 0), Exited("b", 2)}, "Failed"},
      {"one still running", "Never", {}, {Exited("a", 1), Running("b")}, "Running"},
      {"init running", "Always", {Running("init")}, {Waiting("a", "PodInitializing")}, "Pending"},
      {"init done", "Always", {Exited("init", 0)}, {Running("a")}, "Running"},
      {"init failed Never",
       "Never",
       {Exited("init", 1)},
       {Waiting("a", "PodInitializing")},
       "Failed"},
      {"init failed Always retries",
       "Always",
       {Exited("init", 1)},
       {Waiting("a", "PodInitializing")},
       "Pending"},
  };
  for (const auto& c : cases) {
    core::PodSpec spec;
    spec.set_restart_policy(c.policy);
    EXPECT_EQ(ComputePhase(spec, c.init, c.containers), c.want) << c.name;
  }
}

TEST(ShouldRestart, PerPolicy) {
  EXPECT_TRUE(ShouldRestart("Always", 0));
  EXPECT_TRUE(ShouldRestart("Always", 1));
  EXPECT_FALSE(ShouldRestart("OnFailure", 0));
  EXPECT_TRUE(ShouldRestart("OnFailure", 137));
  EXPECT_FALSE(ShouldRestart("Never", 0));
  EXPECT_FALSE(ShouldRestart("Never", 1));
  core::PodSpec spec;
  EXPECT_EQ(RestartPolicyOf(spec), "Always");
}

TEST(ImagePullPolicyOf, ExplicitOrKubernetesDefault) {
  auto policy = [](const std::string& image, const std::string& set = "") {
    core::Container c;
    c.set_image(image);
    c.set_image_pull_policy(set);
    return ImagePullPolicyOf(c);
  };
  EXPECT_EQ(policy("nginx"), "Always");
  EXPECT_EQ(policy("nginx:latest"), "Always");
  EXPECT_EQ(policy("localhost:5000/app"), "Always");  // the colon is the registry port
  EXPECT_EQ(policy("nginx:1.14.2"), "IfNotPresent");
  EXPECT_EQ(policy("localhost:5000/app:v2"), "IfNotPresent");
  EXPECT_EQ(policy("nginx@sha256:0123abcd"), "IfNotPresent");
  EXPECT_EQ(policy("nginx:latest", "Never"), "Never");
  EXPECT_EQ(policy("nginx:1.14.2", "Always"), "Always");
}

const core::PodCondition* Cond(const core::PodStatus& s, const std::string& type) {
  for (const auto& c : s.conditions()) {
    if (c.type() == type) return &c;
  }
  return nullptr;
}

TEST(ComputePodStatus, RunningAndReady) {
  core::Pod pod;
  pod.mutable_spec()->add_containers()->set_name("nginx");
  PodStatusInput in;
  in.pod = &pod;
  in.containers = {Running("nginx")};
  in.sandbox_ready = true;
  in.pod_ip = "10.244.0.2";
  in.host_ip = "127.0.0.1";
  in.start_time = kNow - absl::Seconds(20);
  in.now = kNow;
  core::PodStatus st = ComputePodStatus(in);
  EXPECT_EQ(st.phase(), "Running");
  EXPECT_EQ(st.pod_ip(), "10.244.0.2");
  ASSERT_EQ(st.pod_ips_size(), 1);
  EXPECT_EQ(st.host_ip(), "127.0.0.1");
  EXPECT_EQ(st.qos_class(), "BestEffort");
  for (const char* t :
       {"PodReadyToStartContainers", "Initialized", "ContainersReady", "Ready", "PodScheduled"}) {
    ASSERT_NE(Cond(st, t), nullptr) << t;
    EXPECT_EQ(Cond(st, t)->status(), "True") << t;
  }
  ASSERT_EQ(st.container_statuses_size(), 1);
  const auto& cs = st.container_statuses(0);
  EXPECT_TRUE(cs.ready());
  EXPECT_TRUE(cs.started());
  EXPECT_EQ(cs.container_id(), "minik8s://c-nginx");
  EXPECT_TRUE(cs.state().has_running());
}

core::PodCondition* AddCondition(core::PodStatus* status, const std::string& type,
                                 const std::string& value) {
  core::PodCondition* c = status->add_conditions();
  c->set_type(type);
  c->set_status(value);
  return c;
}

// Kubernetes' GeneratePodReadyCondition: with ready containers, Ready waits
// for every readiness gate's condition to be True.
TEST(ComputePodStatus, ReadinessGatesHoldReadyUntilTrue) {
  core::Pod pod;
  pod.mutable_spec()->add_containers()->set_name("nginx");
  pod.mutable_spec()->add_readiness_gates()->set_condition_type("example.com/lb");
  pod.mutable_spec()->add_readiness_gates()->set_condition_type("example.com/dns");
  core::PodStatus api;
  AddCondition(&api, "example.com/lb", "False")->set_reason("Pending");
  PodStatusInput in;
  in.pod = &pod;
  in.api_status = &api;
  in.containers = {Running("nginx")};
  in.sandbox_ready = true;
  in.now = kNow;

  core::PodStatus st = ComputePodStatus(in);
  ASSERT_NE(Cond(st, "Ready"), nullptr);
  EXPECT_EQ(Cond(st, "Ready")->status(), "False");
  EXPECT_EQ(Cond(st, "Ready")->reason(), "ReadinessGatesNotReady");
  EXPECT_EQ(Cond(st, "Ready")->message(),
            "the status of pod readiness gate \"example.com/lb\" is not \"True\", but False, "
            "corresponding condition of pod readiness gate \"example.com/dns\" does not exist.");
  EXPECT_EQ(Cond(st, "ContainersReady")->status(), "True");
  // The gate's condition is kept as the apiserver has it, before the
  // kubelet's own.
  EXPECT_EQ(st.conditions(0).type(), "example.com/lb");
  EXPECT_EQ(st.conditions(0).reason(), "Pending");
  EXPECT_EQ(st.conditions(1).type(), "PodReadyToStartContainers");

  api.mutable_conditions(0)->set_status("True");
  AddCondition(&api, "example.com/dns", "True");
  st = ComputePodStatus(in);
  EXPECT_EQ(Cond(st, "Ready")->status(), "True");
  EXPECT_EQ(Cond(st, "Ready")->reason(), "");
  EXPECT_EQ(Cond(st, "example.com/dns")->status(), "True");

  // Unready containers decide first, as without gates.
  in.containers = {Running("nginx", false)};
  st = ComputePodStatus(in);
  EXPECT_EQ(Cond(st, "Ready")->reason(), "ContainersNotReady");
}

TEST(ComputePodStatus, KeepsConditionsOthersOwnAndDropsStaleOwnOnes) {
  core::Pod pod;
  pod.mutable_spec()->add_containers()->set_name("nginx");
  AddCondition(pod.mutable_status(), "DisruptionTarget", "True");
  AddCondition(pod.mutable_status(), "Ready", "Unknown");  // the kubelet's: recomputed
  PodStatusInput in;
  in.pod = &pod;  // no api_status: the pod's own status
  in.containers = {Running("nginx")};
  in.sandbox_ready = true;
  in.now = kNow;
  core::PodStatus st = ComputePodStatus(in);
  EXPECT_EQ(st.conditions(0).type(), "DisruptionTarget");
  EXPECT_EQ(Cond(st, "Ready")->status(), "True");
  int ready = 0;
  for (const auto& c : st.conditions()) ready += c.type() == "Ready";
  EXPECT_EQ(ready, 1);
}

TEST(ComputePodStatus, NotReadyNamesContainers) {
  core::Pod pod;
  PodStatusInput in;
  in.pod = &pod;
  in.containers = {Running("nginx", false), Running("side", true),
                   Waiting("log", "ContainerCreating")};
  in.sandbox_ready = true;
  in.now = kNow;
  core::PodStatus st = ComputePodStatus(in);
  EXPECT_EQ(st.phase(), "Pending");
  const auto* ready = Cond(st, "Ready");
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(ready->status(), "False");
  EXPECT_EQ(ready->reason(), "ContainersNotReady");
  EXPECT_EQ(ready->message(), "containers with unready status: [nginx log]");
  EXPECT_EQ(Cond(st, "ContainersReady")->message(), "containers with unready status: [nginx log]");
  EXPECT_EQ(st.container_statuses(2).state().waiting().reason(), "ContainerCreating");
}

TEST(ComputePodStatus, CrashLoopShowsLastState) {
  core::Pod pod;
  PodStatusInput in;
  in.pod = &pod;
  ContainerView v = Waiting("app", "CrashLoopBackOff", 1);
  v.waiting_message = "back-off 10s restarting failed container=app pod=x_default(u)";
  v.restart_count = 2;
  in.containers = {v};
  in.sandbox_ready = true;
  in.now = kNow;
  core::PodStatus st = ComputePodStatus(in);
  EXPECT_EQ(st.phase(), "Running");
  const auto& cs = st.container_statuses(0);
  EXPECT_EQ(cs.state().waiting().reason(), "CrashLoopBackOff");
  EXPECT_EQ(cs.last_state().terminated().exit_code(), 1);
  EXPECT_EQ(cs.last_state().terminated().reason(), "Error");
  EXPECT_EQ(cs.restart_count(), 2);
  EXPECT_EQ(cs.container_id(), "minik8s://old");
}

TEST(ComputePodStatus, SucceededIsNotReadyPodCompleted) {
  core::Pod pod;
  pod.mutable_spec()->set_restart_policy("Never");
  PodStatusInput in;
  in.pod = &pod;
  in.containers = {Exited("job", 0)};
  in.sandbox_ready = true;
  in.now = kNow;
  core::PodStatus st = ComputePodStatus(in);
  EXPECT_EQ(st.phase(), "Succeeded");
  EXPECT_EQ(Cond(st, "Ready")->reason(), "PodCompleted");
  EXPECT_EQ(st.container_statuses(0).state().terminated().reason(), "Completed");
}

TEST(ComputePodStatus, InitContainersPending) {
  core::Pod pod;
  PodStatusInput in;
  in.pod = &pod;
  in.init_containers = {Running("setup")};
  in.containers = {Waiting("app", "PodInitializing")};
  in.sandbox_ready = true;
  in.now = kNow;
  core::PodStatus st = ComputePodStatus(in);
  EXPECT_EQ(st.phase(), "Pending");
  EXPECT_EQ(Cond(st, "Initialized")->status(), "False");
  EXPECT_EQ(Cond(st, "Initialized")->reason(), "ContainersNotInitialized");
  EXPECT_EQ(Cond(st, "Initialized")->message(), "containers with incomplete status: [setup]");
  EXPECT_EQ(st.init_container_statuses_size(), 1);
}

TEST(ComputePodStatus, TransitionTimesKeptWhileUnchanged) {
  core::Pod pod;
  PodStatusInput in;
  in.pod = &pod;
  in.containers = {Running("a")};
  in.sandbox_ready = true;
  in.now = kNow;
  core::PodStatus first = ComputePodStatus(in);
  *pod.mutable_status() = first;
  in.now = kNow + absl::Seconds(30);
  core::PodStatus second = ComputePodStatus(in);
  EXPECT_TRUE(SameStatus(first, second));
  EXPECT_EQ(api::FromProtoTime(Cond(second, "Ready")->last_transition_time()), kNow);
  in.containers = {Running("a", false)};
  core::PodStatus third = ComputePodStatus(in);
  EXPECT_FALSE(SameStatus(first, third));
  EXPECT_EQ(api::FromProtoTime(Cond(third, "Ready")->last_transition_time()),
            kNow + absl::Seconds(30));
  EXPECT_EQ(api::FromProtoTime(Cond(third, "Initialized")->last_transition_time()), kNow);
}

TEST(QosClass, Classes) {
  core::PodSpec spec;
  auto* c = spec.add_containers();
  EXPECT_EQ(QosClassOf(spec), "BestEffort");
  (*c->mutable_resources()->mutable_requests())["cpu"].set_value("100m");
  EXPECT_EQ(QosClassOf(spec), "Burstable");
  (*c->mutable_resources()->mutable_limits())["cpu"].set_value("100m");
  (*c->mutable_resources()->mutable_limits())["memory"].set_value("64Mi");
  EXPECT_EQ(QosClassOf(spec), "Guaranteed");
}

}  // namespace
}  // namespace minik8s::kubelet
