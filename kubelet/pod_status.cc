#include "kubelet/pod_status.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/time.h"
#include "common/proto_equal.h"

namespace minik8s::kubelet {

namespace core = ::minik8s::core::v1;

std::string RestartPolicyOf(const core::PodSpec& spec) {
  if (spec.restart_policy() == "OnFailure" || spec.restart_policy() == "Never") {
    return spec.restart_policy();
  }
  return "Always";
}

bool ShouldRestart(const std::string& restart_policy, int exit_code) {
  if (restart_policy == "Never") return false;
  if (restart_policy == "OnFailure") return exit_code != 0;
  return true;
}

std::string ImagePullPolicyOf(const core::Container& c) {
  if (!c.image_pull_policy().empty()) return c.image_pull_policy();
  const std::string& image = c.image();
  if (image.find('@') != std::string::npos) return "IfNotPresent";
  size_t slash = image.rfind('/');
  size_t colon = image.rfind(':');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) return "Always";
  return image.substr(colon + 1) == "latest" ? "Always" : "IfNotPresent";
}

namespace {

bool InitDone(const ContainerView& v) {
  return v.state == ContainerView::State::kTerminated && v.terminated.exit_code == 0;
}

// An init container that failed and will not be retried.
bool InitFailedForGood(const std::string& policy, const ContainerView& v) {
  if (policy != "Never") return false;
  if (v.state == ContainerView::State::kTerminated && v.terminated.exit_code != 0) return true;
  return v.state == ContainerView::State::kWaiting && v.last_terminated.has_value() &&
         v.last_terminated->exit_code != 0;
}

}  // namespace

std::string ComputePhase(const core::PodSpec& spec, const std::vector<ContainerView>& init,
                         const std::vector<ContainerView>& containers) {
  const std::string policy = RestartPolicyOf(spec);
  bool pending_init = false;
  for (const ContainerView& v : init) {
    if (InitFailedForGood(policy, v)) return "Failed";
    if (!InitDone(v)) pending_init = true;
  }
  int running = 0, waiting = 0, stopped = 0, succeeded = 0;
  for (const ContainerView& v : containers) {
    switch (v.state) {
      case ContainerView::State::kRunning:
        ++running;
        break;
      case ContainerView::State::kTerminated:
        ++stopped;
        if (v.terminated.exit_code == 0) ++succeeded;
        break;
      case ContainerView::State::kWaiting:
        // A container waiting to be restarted has run before: it counts as
        // stopped, not as not-yet-started.
        if (v.last_terminated.has_value()) {
          ++stopped;
          if (v.last_terminated->exit_code == 0) ++succeeded;
        } else {
          ++waiting;
        }
        break;
    }
  }
  if (pending_init) return "Pending";
  if (waiting > 0) return "Pending";
  if (running > 0) return "Running";
  if (stopped > 0) {
    if (policy == "Always") return "Running";
    if (stopped == succeeded) return "Succeeded";
    if (policy == "OnFailure") return "Running";
    return "Failed";
  }
  return "Pending";
}

std::string QosClassOf(const core::PodSpec& spec) {
  bool any = false;
  bool guaranteed = true;
  auto visit = [&](const core::Container& c) {
    const auto& req = c.resources().requests();
    const auto& lim = c.resources().limits();
    if (!req.empty() || !lim.empty()) any = true;
    for (const char* r : {"cpu", "memory"}) {
      auto l = lim.find(r);
      if (l == lim.end()) {
        guaranteed = false;
        continue;
      }
      auto q = req.find(r);
      if (q != req.end() && q->second.value() != l->second.value()) guaranteed = false;
    }
  };
  for (const auto& c : spec.init_containers()) visit(c);
  for (const auto& c : spec.containers()) visit(c);
  if (!any) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

namespace {

void FillTerminated(const TerminatedView& t, core::ContainerStateTerminated* out) {
  out->set_exit_code(t.exit_code);
  out->set_reason(t.reason.empty() ? (t.exit_code == 0 ? "Completed" : "Error") : t.reason);
  if (!t.message.empty()) out->set_message(t.message);
  if (t.started_at != absl::Time()) *out->mutable_started_at() = api::ToProtoTime(t.started_at);
  if (t.finished_at != absl::Time()) *out->mutable_finished_at() = api::ToProtoTime(t.finished_at);
  if (!t.container_id.empty()) out->set_container_id(kContainerIdScheme + t.container_id);
}

}  // namespace

core::ContainerStatus ToContainerStatus(const ContainerView& v) {
  core::ContainerStatus cs;
  cs.set_name(v.name);
  cs.set_image(v.image);
  cs.set_image_id(v.image_id);
  cs.set_restart_count(v.restart_count);
  cs.set_ready(v.ready);
  cs.set_started(v.started);
  switch (v.state) {
    case ContainerView::State::kWaiting: {
      auto* w = cs.mutable_state()->mutable_waiting();
      w->set_reason(v.waiting_reason);
      if (!v.waiting_message.empty()) w->set_message(v.waiting_message);
      // A container waiting for its restart still names its last instance.
      if (v.last_terminated.has_value() && !v.last_terminated->container_id.empty()) {
        cs.set_container_id(kContainerIdScheme + v.last_terminated->container_id);
      }
      break;
    }
    case ContainerView::State::kRunning:
      *cs.mutable_state()->mutable_running()->mutable_started_at() = api::ToProtoTime(v.started_at);
      cs.set_container_id(kContainerIdScheme + v.container_id);
      break;
    case ContainerView::State::kTerminated:
      FillTerminated(v.terminated, cs.mutable_state()->mutable_terminated());
      cs.set_container_id(kContainerIdScheme + v.terminated.container_id);
      break;
  }
  if (v.last_terminated.has_value()) {
    FillTerminated(*v.last_terminated, cs.mutable_last_state()->mutable_terminated());
  }
  return cs;
}

bool PodConditionByKubelet(std::string_view type) {
  return type == "PodScheduled" || type == "PodReadyToStartContainers" || type == "Initialized" ||
         type == "ContainersReady" || type == "Ready";
}

namespace {

// Adds a condition, keeping the old lastTransitionTime when the status did
// not change.
void SetCondition(const core::PodStatus& old, core::PodStatus* out, const std::string& type,
                  bool status, const std::string& reason, const std::string& message,
                  absl::Time now) {
  core::PodCondition* c = out->add_conditions();
  c->set_type(type);
  c->set_status(status ? "True" : "False");
  if (!reason.empty()) c->set_reason(reason);
  if (!message.empty()) c->set_message(message);
  for (const auto& oc : old.conditions()) {
    if (oc.type() == type && oc.status() == c->status() && oc.has_last_transition_time()) {
      *c->mutable_last_transition_time() = oc.last_transition_time();
      return;
    }
  }
  *c->mutable_last_transition_time() = api::ToProtoTime(now);
}

std::string NameList(const std::vector<std::string>& names) {
  return absl::StrCat("[", absl::StrJoin(names, " "), "]");
}

// Kubernetes' readiness gate messages for the gates whose condition in
// `conditions` is missing or not True; empty when all are True.
std::string UnreadyGates(const core::PodSpec& spec, const core::PodStatus& conditions) {
  std::vector<std::string> messages;
  for (const core::PodReadinessGate& gate : spec.readiness_gates()) {
    const core::PodCondition* found = nullptr;
    for (const core::PodCondition& c : conditions.conditions()) {
      if (c.type() == gate.condition_type()) {
        found = &c;
        break;
      }
    }
    if (found == nullptr) {
      messages.push_back(absl::StrCat("corresponding condition of pod readiness gate \"",
                                      gate.condition_type(), "\" does not exist."));
    } else if (found->status() != "True") {
      messages.push_back(absl::StrCat("the status of pod readiness gate \"", gate.condition_type(),
                                      "\" is not \"True\", but ", found->status()));
    }
  }
  return absl::StrJoin(messages, ", ");
}

}  // namespace

core::PodStatus ComputePodStatus(const PodStatusInput& in) {
  const core::Pod& pod = *in.pod;
  const core::PodStatus& old = pod.status();
  core::PodStatus st;
  st.set_phase(ComputePhase(pod.spec(), in.init_containers, in.containers));
  const bool terminal = st.phase() == "Succeeded" || st.phase() == "Failed";

  // Conditions others own first, as the apiserver has them; then the
  // kubelet's, in the order kubectl describe shows them.
  const core::PodStatus& api_status = in.api_status != nullptr ? *in.api_status : old;
  for (const core::PodCondition& c : api_status.conditions()) {
    if (!PodConditionByKubelet(c.type())) *st.add_conditions() = c;
  }
  SetCondition(old, &st, "PodReadyToStartContainers", in.sandbox_ready, "", "", in.now);

  std::vector<std::string> incomplete;
  for (const ContainerView& v : in.init_containers) {
    if (!InitDone(v)) incomplete.push_back(v.name);
  }
  if (incomplete.empty()) {
    SetCondition(old, &st, "Initialized", true, "", "", in.now);
  } else {
    SetCondition(old, &st, "Initialized", false, "ContainersNotInitialized",
                 absl::StrCat("containers with incomplete status: ", NameList(incomplete)), in.now);
  }

  std::vector<std::string> unready;
  for (const ContainerView& v : in.containers) {
    if (!v.ready) unready.push_back(v.name);
  }
  if (st.phase() == "Succeeded") {
    SetCondition(old, &st, "Ready", false, "PodCompleted", "", in.now);
    SetCondition(old, &st, "ContainersReady", false, "PodCompleted", "", in.now);
  } else if (!incomplete.empty()) {
    std::string msg = absl::StrCat("containers with incomplete status: ", NameList(incomplete));
    SetCondition(old, &st, "Ready", false, "ContainersNotInitialized", msg, in.now);
    SetCondition(old, &st, "ContainersReady", false, "ContainersNotInitialized", msg, in.now);
  } else if (unready.empty() && !terminal) {
    const std::string gates = UnreadyGates(pod.spec(), st);
    if (gates.empty()) {
      SetCondition(old, &st, "Ready", true, "", "", in.now);
    } else {
      SetCondition(old, &st, "Ready", false, "ReadinessGatesNotReady", gates, in.now);
    }
    SetCondition(old, &st, "ContainersReady", true, "", "", in.now);
  } else {
    std::string msg = absl::StrCat("containers with unready status: ", NameList(unready));
    SetCondition(old, &st, "Ready", false, "ContainersNotReady", msg, in.now);
    SetCondition(old, &st, "ContainersReady", false, "ContainersNotReady", msg, in.now);
  }
  // PodScheduled is the scheduler's; keep it as it was (True for a pod
  // created with spec.nodeName).
  bool kept_scheduled = false;
  for (const auto& oc : old.conditions()) {
    if (oc.type() == "PodScheduled") {
      *st.add_conditions() = oc;
      kept_scheduled = true;
    }
  }
  if (!kept_scheduled) SetCondition(old, &st, "PodScheduled", true, "", "", in.now);

  if (!in.host_ip.empty()) {
    st.set_host_ip(in.host_ip);
    st.add_host_ips()->set_ip(in.host_ip);
  }
  if (!in.pod_ip.empty()) {
    st.set_pod_ip(in.pod_ip);
    st.add_pod_ips()->set_ip(in.pod_ip);
  }
  if (in.start_time != absl::Time()) *st.mutable_start_time() = api::ToProtoTime(in.start_time);
  for (const ContainerView& v : in.init_containers) {
    *st.add_init_container_statuses() = ToContainerStatus(v);
  }
  for (const ContainerView& v : in.containers) {
    *st.add_container_statuses() = ToContainerStatus(v);
  }
  st.set_qos_class(QosClassOf(pod.spec()));
  if (!old.nominated_node_name().empty()) st.set_nominated_node_name(old.nominated_node_name());
  return st;
}

bool SameStatus(const core::PodStatus& a, const core::PodStatus& b) {
  return common::ProtoEqual(a, b);
}

}  // namespace minik8s::kubelet
