#include "scheduler/scheduler.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "api/selector/labels.h"
#include "api/time.h"
#include "common/proto_equal.h"
#include "scheduler/metrics.h"
#include "spdlog/spdlog.h"

namespace minik8s::scheduler {
namespace {

bool Terminal(const Pod& pod) {
  return pod.status().phase() == "Succeeded" || pod.status().phase() == "Failed";
}

}  // namespace

bool NodeSchedulingPropertiesChanged(const Node& a, const Node& b) {
  if (!common::ProtoEqual(a.spec(), b.spec())) return true;
  if (a.metadata().labels().size() != b.metadata().labels().size()) return true;
  for (const auto& [k, v] : a.metadata().labels()) {
    auto it = b.metadata().labels().find(k);
    if (it == b.metadata().labels().end() || it->second != v) return true;
  }
  const auto& aa = a.status().allocatable();
  const auto& ba = b.status().allocatable();
  if (aa.size() != ba.size()) return true;
  for (const auto& [k, v] : aa) {
    auto it = ba.find(k);
    if (it == ba.end() || it->second.SerializeAsString() != v.SerializeAsString()) return true;
  }
  if (a.status().conditions_size() != b.status().conditions_size()) return true;
  for (int i = 0; i < a.status().conditions_size(); ++i) {
    if (a.status().conditions(i).type() != b.status().conditions(i).type() ||
        a.status().conditions(i).status() != b.status().conditions(i).status()) {
      return true;
    }
  }
  return false;
}

std::optional<Pod> PodWithUnschedulableCondition(const Pod& pod, const std::string& message) {
  Pod out = pod;
  minik8s::core::v1::PodCondition* cond = nullptr;
  for (auto& c : *out.mutable_status()->mutable_conditions()) {
    if (c.type() == "PodScheduled") cond = &c;
  }
  if (cond != nullptr && cond->status() == "False" && cond->reason() == "Unschedulable" &&
      cond->message() == message) {
    return std::nullopt;
  }
  if (cond == nullptr) {
    cond = out.mutable_status()->add_conditions();
    cond->set_type("PodScheduled");
  }
  if (cond->status() != "False") *cond->mutable_last_transition_time() = minik8s::api::NowTime();
  cond->set_status("False");
  cond->set_reason("Unschedulable");
  cond->set_message(message);
  cond->clear_last_probe_time();
  if (out.status().phase().empty()) out.mutable_status()->set_phase("Pending");
  return out;
}

absl::StatusOr<std::unique_ptr<Scheduler>> Scheduler::Create(ApiWriter* writer,
                                                             SchedulerOptions options) {
  auto fw = Framework::Create(options.profile);
  if (!fw.ok()) return fw.status();
  return std::unique_ptr<Scheduler>(new Scheduler(writer, std::move(options), *std::move(fw)));
}

Scheduler::Scheduler(ApiWriter* writer, SchedulerOptions options,
                     std::unique_ptr<Framework> framework)
    : writer_(writer),
      options_(std::move(options)),
      framework_(std::move(framework)),
      parallelizer_(options_.parallelism),
      queue_(options_.queue),
      algorithm_(framework_.get(), &parallelizer_, options_.percentage_of_nodes_to_score,
                 options_.seed != 0 ? options_.seed : std::random_device{}()),
      binders_(options_.bind_workers) {}

Scheduler::~Scheduler() { Stop(); }

void Scheduler::OnPodAdd(const std::shared_ptr<const Pod>& pod) {
  if (!pod->spec().node_name().empty()) {
    if (!Terminal(*pod)) {
      cache_.AddPod(*pod);
      queue_.MoveInterPodToActiveOrBackoffQueue("AssignedPodAdd");
    }
    return;
  }
  if (Responsible(*pod) && !pod->metadata().has_deletion_timestamp()) queue_.Add(pod);
}

void Scheduler::OnPodUpdate(const std::shared_ptr<const Pod>& old_pod,
                            const std::shared_ptr<const Pod>& new_pod) {
  const std::string key = PodKey(*new_pod);
  if (!new_pod->spec().node_name().empty()) {
    if (old_pod->spec().node_name().empty()) queue_.Delete(key);  // bound
    if (Terminal(*new_pod)) {
      if (cache_.Contains(key)) {
        cache_.RemovePod(key);
        queue_.MoveAllToActiveOrBackoffQueue("AssignedPodTerminated");
      }
    } else {
      cache_.UpdatePod(*new_pod);
      // Newly bound, or its labels changed: pods waiting for other pods
      // may fit now.
      if (old_pod->spec().node_name().empty() ||
          !api::LabelsEqual(old_pod->metadata().labels(), new_pod->metadata().labels())) {
        queue_.MoveInterPodToActiveOrBackoffQueue("AssignedPodUpdate");
      }
    }
    return;
  }
  if (!Responsible(*new_pod)) {
    queue_.Delete(key);
    return;
  }
  if (new_pod->metadata().has_deletion_timestamp()) {
    queue_.Delete(key);
    return;
  }
  queue_.Update(old_pod, new_pod);
}

void Scheduler::OnPodDelete(const std::shared_ptr<const Pod>& pod) {
  const std::string key = PodKey(*pod);
  bool counted = cache_.Contains(key);
  cache_.RemovePod(key);
  queue_.Delete(key);
  if (counted) queue_.MoveAllToActiveOrBackoffQueue("AssignedPodDelete");
}

void Scheduler::OnNodeAdd(const std::shared_ptr<const Node>& node) {
  cache_.AddNode(node);
  queue_.MoveAllToActiveOrBackoffQueue("NodeAdd");
}

void Scheduler::OnNodeUpdate(const std::shared_ptr<const Node>& old_node,
                             const std::shared_ptr<const Node>& new_node) {
  cache_.UpdateNode(new_node);
  if (NodeSchedulingPropertiesChanged(*old_node, *new_node)) {
    queue_.MoveAllToActiveOrBackoffQueue("NodeUpdate");
  }
}

void Scheduler::OnNodeDelete(const std::shared_ptr<const Node>& node) {
  cache_.RemoveNode(node->metadata().name());
}

bool Scheduler::ScheduleOne() {
  std::optional<QueuedPodInfo> popped = queue_.Pop();
  if (!popped) return false;
  QueuedPodInfo info = std::move(*popped);
  const int64_t cycle = queue_.SchedulingCycle();
  const Pod& pod = *info.pod;
  if (pod.metadata().has_deletion_timestamp() || cache_.Contains(info.key)) {
    queue_.Done(info.key);  // deleted, or assumed/bound already
    return true;
  }
  ++attempts_;
  const absl::Time start = absl::Now();
  PodInfo pod_info = MakePodInfo(info.pod);
  cache_.UpdateSnapshot(&snapshot_);
  ScheduleResult result = algorithm_.Schedule(pod_info, snapshot_);
  if (!result.ok()) {
    ++unschedulable_;
    RecordSchedulingAttempt(kResultUnschedulable, options_.scheduler_name, absl::Now() - start);
    std::string message = result.FailureMessage();
    SPDLOG_DEBUG("unable to schedule {}: {}", info.key, message);
    HandleFailure(std::move(info), cycle, message);
    return true;
  }
  absl::Status s = cache_.AssumePod(pod_info, result.suggested_host);
  if (!s.ok()) {
    // Cannot happen after the Contains check above unless a handler raced;
    // retry later.
    SPDLOG_WARN("assume {}: {}", info.key, std::string(s.message()));
    RecordSchedulingAttempt(kResultError, options_.scheduler_name, absl::Now() - start);
    queue_.AddUnschedulableIfNotPresent(std::move(info), cycle, /*error=*/true);
    return true;
  }
  queue_.Done(info.key);
  std::string node = result.suggested_host;
  binders_.Submit([this, info = std::move(info), pod_info = std::move(pod_info),
                   node = std::move(node), cycle, start]() mutable {
    Bind(std::move(info), std::move(pod_info), std::move(node), cycle, start);
  });
  return true;
}

void Scheduler::HandleFailure(QueuedPodInfo info, int64_t cycle, const std::string& message) {
  std::shared_ptr<const Pod> pod = info.pod;
  queue_.AddUnschedulableIfNotPresent(std::move(info), cycle);
  binders_.Submit([this, pod, message] {
    writer_->Event(*pod, "Warning", "FailedScheduling", message);
    std::optional<Pod> updated = PodWithUnschedulableCondition(*pod, message);
    if (!updated) return;
    absl::Status s = writer_->UpdatePodStatus(*updated);
    if (!s.ok() && !api::IsConflict(s) && !api::IsNotFound(s)) {
      SPDLOG_WARN("updating the PodScheduled condition of {}: {}", PodKey(*pod),
                  std::string(s.message()));
    }
  });
}

void Scheduler::Bind(QueuedPodInfo info, PodInfo pod_info, std::string node, int64_t cycle,
                     absl::Time start) {
  absl::Status s = writer_->Bind(*info.pod, node);
  RecordSchedulingAttempt(s.ok() ? kResultScheduled : kResultError, options_.scheduler_name,
                          absl::Now() - start);
  if (s.ok()) {
    cache_.FinishBinding(info.key);
    ++scheduled_;
    writer_->Event(*info.pod, "Normal", "Scheduled",
                   absl::StrCat("Successfully assigned ", info.key, " to ", node));
    return;
  }
  ++bind_errors_;
  (void)cache_.ForgetPod(info.key);
  SPDLOG_WARN("binding {} to {}: {}", info.key, node, std::string(s.message()));
  if (api::IsNotFound(s) || api::IsConflict(s)) {
    // Gone, or bound by someone else: the informer tells the rest.
    return;
  }
  writer_->Event(*info.pod, "Warning", "FailedScheduling",
                 absl::StrCat("Binding rejected: ", std::string(s.message())));
  queue_.AddUnschedulableIfNotPresent(std::move(info), cycle, /*error=*/true);
}

void Scheduler::Run() {
  loop_ = std::thread([this] {
    while (ScheduleOne()) {
    }
  });
}

void Scheduler::Stop() {
  if (stopped_.exchange(true)) return;
  queue_.Close();
  if (loop_.joinable()) loop_.join();
  binders_.Shutdown();
}

SchedulerStats Scheduler::stats() const {
  return {attempts_.load(), scheduled_.load(), unschedulable_.load(), bind_errors_.load()};
}

}  // namespace minik8s::scheduler
