#include "controllers/nodelifecycle/node_lifecycle_controller.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "api/time.h"
#include "client/indexer.h"
#include "controllers/util/pod_util.h"
#include "spdlog/spdlog.h"

namespace minik8s::controllers {
namespace {

using minik8s::core::v1::Node;
using minik8s::core::v1::NodeCondition;
using minik8s::core::v1::Pod;
using minik8s::core::v1::Taint;
using minik8s::core::v1::Toleration;

class ApiNodeLifecycleClient : public NodeLifecycleClient {
 public:
  explicit ApiNodeLifecycleClient(const client::Clientset* cs) : cs_(cs) {}
  absl::StatusOr<Node> UpdateNode(const Node& n) override { return cs_->Nodes().Update(n); }
  absl::StatusOr<Node> UpdateNodeStatus(const Node& n) override {
    return cs_->Nodes().UpdateStatus(n);
  }
  absl::StatusOr<Pod> UpdatePodStatus(const Pod& p) override { return cs_->Pods().UpdateStatus(p); }
  absl::Status DeletePod(absl::string_view ns, absl::string_view name) override {
    return cs_->Pods().Delete(ns, name).status();
  }

 private:
  const client::Clientset* cs_;
};

bool Tolerates(const Toleration& t, const Taint& taint) {
  if (!t.effect().empty() && t.effect() != taint.effect()) return false;
  if (t.operator_() == "Exists") return t.key().empty() || t.key() == taint.key();
  return t.key() == taint.key() && t.value() == taint.value();
}

const NodeCondition* ReadyCondition(const Node& node) {
  for (const NodeCondition& c : node.status().conditions()) {
    if (c.type() == "Ready") return &c;
  }
  return nullptr;
}

}  // namespace

std::unique_ptr<NodeLifecycleClient> NewApiNodeLifecycleClient(const client::Clientset* clientset) {
  return std::make_unique<ApiNodeLifecycleClient>(clientset);
}

std::optional<absl::Duration> TolerationDelay(const Pod& pod, const Taint& taint,
                                              int64_t default_seconds) {
  bool matched = false;
  std::optional<int64_t> min_seconds;
  for (const Toleration& t : pod.spec().tolerations()) {
    if (!Tolerates(t, taint)) continue;
    if (!t.has_toleration_seconds()) {
      matched = true;  // forever, unless another toleration bounds it
      continue;
    }
    matched = true;
    min_seconds = std::min(min_seconds.value_or(t.toleration_seconds()), t.toleration_seconds());
  }
  if (!matched) return absl::Seconds(default_seconds);
  if (!min_seconds.has_value()) return std::nullopt;
  return absl::Seconds(std::max<int64_t>(0, *min_seconds));
}

NodeLifecycleController::NodeLifecycleController(client::Lister<Node> nodes,
                                                 client::Lister<coordination::v1::Lease> leases,
                                                 client::Lister<Pod> pods,
                                                 std::unique_ptr<NodeLifecycleClient> client,
                                                 client::EventRecorder* recorder,
                                                 NodeLifecycleOptions options)
    : nodes_(nodes),
      leases_(leases),
      pods_(pods),
      client_(std::move(client)),
      recorder_(recorder),
      options_(options),
      clock_(options.clock != nullptr ? options.clock : common::RealClock::Get()) {}

NodeLifecycleController::~NodeLifecycleController() { Stop(); }

void NodeLifecycleController::Run() {
  thread_ = std::thread([this] {
    absl::MutexLock lock(&mu_);
    while (!stopping_) {
      mu_.Unlock();
      absl::Status s = MonitorOnce();
      if (!s.ok()) spdlog::warn("nodelifecycle: {}", s.ToString());
      mu_.Lock();
      clock_->AwaitWithDeadline(&mu_, absl::Condition(&stopping_),
                                clock_->Now() + options_.monitor_period);
    }
  });
}

void NodeLifecycleController::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

absl::Status NodeLifecycleController::MonitorOnce() {
  const absl::Time now = clock_->Now();
  absl::Status first;
  absl::flat_hash_map<std::string, Health> seen;
  for (const auto& node : nodes_.List()) {
    absl::Status s = MonitorNode(*node, now);
    if (!s.ok() && first.ok()) first = s;
    seen[node->metadata().name()] = health_[node->metadata().name()];
  }
  health_ = std::move(seen);  // forget deleted nodes
  return first;
}

absl::Status NodeLifecycleController::MonitorNode(const Node& cached, absl::Time now) {
  const std::string& name = cached.metadata().name();
  const NodeCondition* ready = ReadyCondition(cached);

  // 1. Heartbeats, timed on our clock.
  auto [it, inserted] = health_.try_emplace(name);
  Health& h = it->second;
  std::string renew;
  if (auto lease = leases_.Get(kNodeLeaseNamespace, name)) {
    renew =
        absl::StrCat(lease->spec().renew_time().seconds(), ".", lease->spec().renew_time().nanos(),
                     "/", lease->metadata().resource_version());
  }
  const int64_t heartbeat = ready != nullptr ? ready->last_heartbeat_time().seconds() : 0;
  if (inserted || renew != h.lease_renew || heartbeat != h.heartbeat_seconds) {
    h.probe = now;
    h.lease_renew = renew;
    h.heartbeat_seconds = heartbeat;
  }
  const absl::Duration grace =
      ready == nullptr ? options_.startup_grace_period : options_.grace_period;

  Node node = cached;
  // 2. Silent for too long: Ready (and the other conditions) become Unknown.
  if (now - h.probe > grace && (ready == nullptr || ready->status() != "Unknown")) {
    const bool was_ready = ready != nullptr && ready->status() == "True";
    NodeCondition* cond = nullptr;
    for (NodeCondition& c : *node.mutable_status()->mutable_conditions()) {
      if (c.type() == "Ready") cond = &c;
    }
    if (cond == nullptr) {
      cond = node.mutable_status()->add_conditions();
      cond->set_type("Ready");
    }
    cond->set_status("Unknown");
    cond->set_reason("NodeStatusUnknown");
    cond->set_message("Kubelet stopped posting node status.");
    *cond->mutable_last_transition_time() = api::ToProtoTime(now);
    for (NodeCondition& c : *node.mutable_status()->mutable_conditions()) {
      if (c.type() == "Ready" || c.status() == "Unknown") continue;
      c.set_status("Unknown");
      c.set_reason("NodeStatusUnknown");
      c.set_message("Kubelet stopped posting node status.");
      *c.mutable_last_transition_time() = api::ToProtoTime(now);
    }
    auto updated = client_->UpdateNodeStatus(node);
    if (!updated.ok()) return updated.status();
    node = *std::move(updated);
    ready = ReadyCondition(node);
    spdlog::info("nodelifecycle: node {} stopped posting status; Ready=Unknown", name);
    if (was_ready) {
      recorder_->Event(node, client::kEventTypeNormal, "NodeNotReady",
                       absl::StrCat("Node ", name, " status is now: NodeNotReady"));
    }
    if (absl::Status s = MarkPodsNotReady(name); !s.ok()) return s;
  }

  // 3. Taints follow the Ready condition.
  const std::string status = ready != nullptr ? ready->status() : "Unknown";
  std::string want;
  if (status == "Unknown" && ready != nullptr) want = kTaintUnreachable;
  if (status == "False") want = kTaintNotReady;
  // Both effects: NoSchedule keeps new pods off (Kubernetes' NoSchedule
  // tainting pass), NoExecute evicts the running ones (step 4).
  bool changed = false;
  auto* taints = node.mutable_spec()->mutable_taints();
  for (int i = taints->size() - 1; i >= 0; --i) {
    const Taint& t = taints->Get(i);
    if ((t.key() == kTaintUnreachable || t.key() == kTaintNotReady) &&
        (t.effect() == "NoExecute" || t.effect() == "NoSchedule") && t.key() != want) {
      taints->DeleteSubrange(i, 1);
      changed = true;
    }
  }
  if (!want.empty()) {
    for (const char* effect : {"NoSchedule", "NoExecute"}) {
      bool present = false;
      for (const Taint& t : *taints) present |= t.key() == want && t.effect() == effect;
      if (present) continue;
      Taint* t = taints->Add();
      t->set_key(want);
      t->set_effect(effect);
      *t->mutable_time_added() = api::ToProtoTime(now);
      changed = true;
    }
  }
  if (changed) {
    auto updated = client_->UpdateNode(node);
    if (!updated.ok()) return updated.status();
    node = *std::move(updated);
  }
  // 4. Evict what no longer tolerates the taints.
  return EvictPods(node, now);
}

absl::Status NodeLifecycleController::MarkPodsNotReady(const std::string& node_name) {
  absl::Status first;
  for (const auto& cached : pods_.ListByIndex(client::kIndexPodNodeName, node_name)) {
    if (!IsPodReady(*cached)) continue;
    Pod pod = *cached;
    for (auto& c : *pod.mutable_status()->mutable_conditions()) {
      if (c.type() != "Ready") continue;
      c.set_status("False");
      *c.mutable_last_transition_time() = api::ToProtoTime(clock_->Now());
    }
    auto updated = client_->UpdatePodStatus(pod);
    if (!updated.ok() && !api::IsNotFound(updated.status())) {
      if (first.ok()) first = updated.status();
      continue;
    }
    recorder_->Event(pod, client::kEventTypeWarning, "NodeNotReady", "Node is not ready");
  }
  return first;
}

absl::Status NodeLifecycleController::EvictPods(const Node& node, absl::Time now) {
  std::vector<const Taint*> no_execute;
  for (const Taint& t : node.spec().taints()) {
    if (t.effect() == "NoExecute") no_execute.push_back(&t);
  }
  if (no_execute.empty()) return absl::OkStatus();
  absl::Status first;
  for (const auto& pod : pods_.ListByIndex(client::kIndexPodNodeName, node.metadata().name())) {
    if (pod->metadata().has_deletion_timestamp()) continue;
    // The pod goes when the first taint's toleration runs out.
    std::optional<absl::Time> deadline;
    for (const Taint* t : no_execute) {
      auto delay = TolerationDelay(*pod, *t, options_.default_toleration_seconds);
      if (!delay.has_value()) continue;
      const absl::Time added = TimeOrZero(t->time_added(), t->has_time_added());
      const absl::Time at = (IsZero(added) ? now : added) + *delay;
      deadline = deadline.has_value() ? std::min(*deadline, at) : at;
    }
    if (!deadline.has_value() || now < *deadline) continue;
    absl::Status s = client_->DeletePod(pod->metadata().namespace_(), pod->metadata().name());
    if (!s.ok() && !api::IsNotFound(s)) {
      if (first.ok()) first = s;
      continue;
    }
    recorder_->Event(*pod, client::kEventTypeNormal, "TaintManagerEviction",
                     absl::StrCat("Marking for deletion Pod ", pod->metadata().namespace_(), "/",
                                  pod->metadata().name()));
  }
  return first;
}

}  // namespace minik8s::controllers
