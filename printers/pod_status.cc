#include "printers/pod_status.h"

#include "absl/strings/str_cat.h"
#include "api/time.h"
#include "printers/duration.h"

namespace minik8s::printers {
namespace {

using minik8s::core::v1::ContainerStatus;
using minik8s::core::v1::Pod;

void NoteRestart(const ContainerStatus& c, absl::Time* last) {
  if (!c.last_state().has_terminated()) return;
  const auto& finished = c.last_state().terminated().finished_at();
  if (IsZero(finished)) return;
  const absl::Time t = api::FromProtoTime(finished);
  if (t > *last) *last = t;
}

bool HasPodReadyCondition(const Pod& pod) {
  for (const auto& c : pod.status().conditions()) {
    if (c.type() == "Ready" && c.status() == "True") return true;
  }
  return false;
}

bool IsInitializedConditionTrue(const Pod& pod) {
  for (const auto& c : pod.status().conditions()) {
    if (c.type() == "Initialized" && c.status() == "True") return true;
  }
  return false;
}

}  // namespace

PodSummary SummarizePod(const Pod& pod) {
  PodSummary s;
  s.total_containers = pod.spec().containers_size();
  std::string reason = pod.status().phase();
  if (!pod.status().reason().empty()) reason = pod.status().reason();
  for (const auto& c : pod.status().conditions()) {
    if (c.type() == "PodScheduled" && c.status() == "False" && c.reason() == "SchedulingGated") {
      reason = "SchedulingGated";
    }
  }

  bool initializing = false;
  const auto& inits = pod.status().init_container_statuses();
  for (int i = 0; i < inits.size(); ++i) {
    const ContainerStatus& c = inits[i];
    s.restarts += c.restart_count();
    NoteRestart(c, &s.last_restart);
    const auto& state = c.state();
    if (state.has_terminated() && state.terminated().exit_code() == 0) continue;
    if (state.has_terminated()) {
      const auto& t = state.terminated();
      if (t.reason().empty()) {
        reason = t.signal() != 0 ? absl::StrCat("Init:Signal:", t.signal())
                                 : absl::StrCat("Init:ExitCode:", t.exit_code());
      } else {
        reason = absl::StrCat("Init:", t.reason());
      }
    } else if (state.has_waiting() && !state.waiting().reason().empty() &&
               state.waiting().reason() != "PodInitializing") {
      reason = absl::StrCat("Init:", state.waiting().reason());
    } else {
      reason = absl::StrCat("Init:", i, "/", pod.spec().init_containers_size());
    }
    initializing = true;
    break;
  }

  if (!initializing || IsInitializedConditionTrue(pod)) {
    s.restarts = 0;
    s.last_restart = absl::InfinitePast();
    bool has_running = false;
    const auto& statuses = pod.status().container_statuses();
    for (int i = statuses.size() - 1; i >= 0; --i) {
      const ContainerStatus& c = statuses[i];
      s.restarts += c.restart_count();
      NoteRestart(c, &s.last_restart);
      const auto& state = c.state();
      if (state.has_waiting() && !state.waiting().reason().empty()) {
        reason = state.waiting().reason();
      } else if (state.has_terminated() && !state.terminated().reason().empty()) {
        reason = state.terminated().reason();
      } else if (state.has_terminated()) {
        reason = state.terminated().signal() != 0
                     ? absl::StrCat("Signal:", state.terminated().signal())
                     : absl::StrCat("ExitCode:", state.terminated().exit_code());
      } else if (c.ready() && state.has_running()) {
        has_running = true;
        ++s.ready_containers;
      }
    }
    if (reason == "Completed" && has_running) {
      reason = HasPodReadyCondition(pod) ? "Running" : "NotReady";
    }
  }

  if (pod.metadata().has_deletion_timestamp()) {
    const std::string& phase = pod.status().phase();
    if (pod.status().reason() == "NodeLost") {
      reason = "Unknown";
    } else if (phase != "Succeeded" && phase != "Failed") {
      reason = "Terminating";
    }
  }
  s.status = reason;
  return s;
}

std::string RestartsColumn(const PodSummary& summary, absl::Time now) {
  if (summary.restarts != 0 && summary.last_restart != absl::InfinitePast()) {
    return absl::StrCat(summary.restarts, " (", HumanDuration(now - summary.last_restart), " ago)");
  }
  return absl::StrCat(summary.restarts);
}

}  // namespace minik8s::printers
