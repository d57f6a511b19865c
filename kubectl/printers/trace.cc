#include "kubectl/printers/trace.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "api/time.h"
#include "kubectl/printers/rollout.h"
#include "kubectl/printers/table.h"
#include "printers/duration.h"
#include "printers/pod_status.h"

namespace minik8s::kubectl {
namespace {

namespace core = minik8s::core::v1;
namespace apps = minik8s::apps::v1;
using printers::HumanDuration;
using printers::IsZero;
using printers::PodSummary;
using printers::SummarizePod;
using printers::TimestampSince;

bool ControlledBy(const minik8s::meta::v1::ObjectMeta& meta, const std::string& uid) {
  for (const auto& ref : meta.owner_references()) {
    if (ref.uid() == uid && ref.has_controller() && ref.controller()) return true;
  }
  return false;
}

std::string OwnerOf(const minik8s::meta::v1::ObjectMeta& meta) {
  for (const auto& ref : meta.owner_references()) {
    if (ref.has_controller() && ref.controller()) return absl::StrCat(ref.kind(), "/", ref.name());
  }
  return "";
}

std::string FormatClock(absl::Time t, bool precise) {
  return absl::FormatTime(precise ? "%H:%M:%E3S" : "%H:%M:%S", t, absl::UTCTimeZone());
}

void AddEventSteps(const TraceInput& input, const std::string& uid, const std::string& kind,
                   const std::string& name, const std::string& object, int rank,
                   std::vector<TraceStep>* steps) {
  for (const core::Event& e : input.events) {
    const auto& io = e.involved_object();
    const bool match =
        !io.uid().empty() ? io.uid() == uid : (io.kind() == kind && io.name() == name);
    if (!match) continue;
    TraceStep s;
    if (!IsZero(e.event_time())) {
      s.time = api::FromProtoMicroTime(e.event_time());
      s.precise = true;
    } else if (!IsZero(e.first_timestamp())) {
      s.time = api::FromProtoTime(e.first_timestamp());
    } else {
      s.time = api::FromProtoTime(e.last_timestamp());
    }
    s.rank = rank + 1;
    s.object = object;
    s.step = e.reason();
    s.by = !e.source().component().empty()    ? e.source().component()
           : !e.reporting_component().empty() ? e.reporting_component()
                                              : "-";
    s.detail = e.message();
    const int count = e.has_series() ? e.series().count() : e.count();
    if (count > 1) absl::StrAppend(&s.detail, " (x", count, ")");
    if (e.type() == "Warning") s.detail = absl::StrCat("Warning: ", s.detail);
    steps->push_back(std::move(s));
  }
}

void AddCreated(const minik8s::meta::v1::ObjectMeta& meta, const std::string& object, int rank,
                std::vector<TraceStep>* steps) {
  if (IsZero(meta.creation_timestamp())) return;
  TraceStep s;
  s.time = api::FromProtoTime(meta.creation_timestamp());
  s.rank = rank;
  s.object = object;
  s.step = "Created";
  s.by = "-";
  const std::string owner = OwnerOf(meta);
  s.detail = owner.empty() ? "stored by the apiserver" : absl::StrCat("owned by ", owner);
  steps->push_back(std::move(s));
}

// The last transition of a pod condition, whatever its status: True, or
// False/Unknown with the reason and message that say why (a pod that is not
// ready yet, or cannot be scheduled, shows where it stopped).
TraceStep ConditionStep(const core::Pod& pod, const core::PodCondition& c,
                        const std::string& object, int rank) {
  const bool scheduled = c.type() == "PodScheduled";
  TraceStep s;
  s.time = api::FromProtoTime(c.last_transition_time());
  s.rank = rank;
  s.object = object;
  s.step = absl::StrCat("Condition ", c.type());
  if (c.status() == "True") {
    // The binding sets PodScheduled=True; the kubelet sets the others.
    s.by = scheduled ? "-" : "kubelet";
    s.detail =
        scheduled ? absl::StrCat("bound to ",
                                 pod.spec().node_name().empty() ? "<none>" : pod.spec().node_name())
                  : "True";
    return s;
  }
  // The scheduler writes PodScheduled=False (Unschedulable).
  s.by = scheduled ? "scheduler" : "kubelet";
  s.detail = c.status().empty() ? "Unknown" : c.status();
  if (!c.reason().empty()) absl::StrAppend(&s.detail, ": ", c.reason());
  if (!c.message().empty()) {
    absl::StrAppend(&s.detail, c.reason().empty() ? ": " : " (", c.message(),
                    c.reason().empty() ? "" : ")");
  }
  return s;
}

std::string PodLine(const core::Pod& pod) {
  const PodSummary s = SummarizePod(pod);
  std::string line = absl::StrCat("Pod ", pod.metadata().name(), ": ", s.status, ", ",
                                  s.ready_containers, "/", s.total_containers, " ready");
  if (!pod.spec().node_name().empty()) absl::StrAppend(&line, ", on ", pod.spec().node_name());
  if (s.restarts > 0) absl::StrAppend(&line, ", ", s.restarts, " restarts");
  return line;
}

}  // namespace

std::string FormatDelta(absl::Duration d) {
  if (d < absl::ZeroDuration()) d = absl::ZeroDuration();
  if (d < absl::Seconds(1)) return absl::StrCat("+", absl::ToInt64Milliseconds(d), "ms");
  if (d < absl::Seconds(60)) return absl::StrFormat("+%.1fs", absl::ToDoubleSeconds(d));
  return absl::StrCat("+", HumanDuration(d));
}

std::vector<TraceStep> TraceSteps(const TraceInput& input) {
  std::vector<TraceStep> steps;
  int rank = 0;
  for (const auto& d : input.deployments) {
    const std::string object = absl::StrCat("deployment/", d.metadata().name());
    AddCreated(d.metadata(), object, rank, &steps);
    AddEventSteps(input, d.metadata().uid(), "Deployment", d.metadata().name(), object, rank,
                  &steps);
    rank += 10;
  }
  for (const auto& rs : input.replica_sets) {
    const std::string object = absl::StrCat("replicaset/", rs.metadata().name());
    AddCreated(rs.metadata(), object, rank, &steps);
    AddEventSteps(input, rs.metadata().uid(), "ReplicaSet", rs.metadata().name(), object, rank,
                  &steps);
    rank += 10;
  }
  for (const auto& pod : input.pods) {
    const std::string object = absl::StrCat("pod/", pod.metadata().name());
    AddCreated(pod.metadata(), object, rank, &steps);
    AddEventSteps(input, pod.metadata().uid(), "Pod", pod.metadata().name(), object, rank, &steps);
    static const char* kConditions[] = {"PodScheduled", "Initialized", "ContainersReady", "Ready"};
    int crank = rank + 2;
    for (const char* type : kConditions) {
      for (const auto& c : pod.status().conditions()) {
        if (c.type() != type || IsZero(c.last_transition_time())) continue;
        steps.push_back(ConditionStep(pod, c, object, crank));
      }
      ++crank;
    }
    for (const auto& cs : pod.status().container_statuses()) {
      if (!cs.state().has_running() || IsZero(cs.state().running().started_at())) continue;
      TraceStep s;
      s.time = api::FromProtoTime(cs.state().running().started_at());
      s.rank = rank + 4;
      s.object = object;
      s.step = "Running";
      s.by = "kubelet";
      s.detail = absl::StrCat("container ", cs.name(), " (", cs.image(), ") running");
      steps.push_back(std::move(s));
    }
    rank += 10;
  }
  // A time known only to the second counts as the start of that second: a
  // creation then sorts before the events it caused within the same second.
  std::stable_sort(steps.begin(), steps.end(), [](const TraceStep& a, const TraceStep& b) {
    if (a.time != b.time) return a.time < b.time;
    return a.rank < b.rank;
  });
  return steps;
}

std::string RenderTrace(const TraceInput& input, absl::Time now) {
  std::string out;
  // The tree.
  std::string indent;
  for (const auto& d : input.deployments) {
    const auto& s = d.status();
    absl::StrAppend(&out, "Deployment ", d.metadata().name(), " (namespace ",
                    d.metadata().namespace_(), "): ", s.ready_replicas(), "/",
                    d.spec().has_replicas() ? d.spec().replicas() : 0, " ready, ",
                    s.updated_replicas(), " up-to-date, revision ", RevisionOf(d.metadata()),
                    ", age ", TimestampSince(d.metadata().creation_timestamp(), now), "\n");
    indent = "  ";
  }
  for (const auto& rs : input.replica_sets) {
    absl::StrAppend(&out, indent, "ReplicaSet ", rs.metadata().name(), ": ",
                    rs.status().ready_replicas(), "/",
                    rs.spec().has_replicas() ? rs.spec().replicas() : 0, " ready, revision ",
                    RevisionOf(rs.metadata()), "\n");
    for (const auto& pod : input.pods) {
      if (ControlledBy(pod.metadata(), rs.metadata().uid())) {
        absl::StrAppend(&out, indent, "  ", PodLine(pod), "\n");
      }
    }
  }
  if (input.replica_sets.empty()) {
    for (const auto& pod : input.pods) {
      absl::StrAppend(&out, PodLine(pod), "\n");
      const std::string owner = OwnerOf(pod.metadata());
      if (!owner.empty()) absl::StrAppend(&out, "  controlled by ", owner, "\n");
    }
  }
  // The timeline.
  const std::vector<TraceStep> steps = TraceSteps(input);
  out += "\n";
  if (steps.empty()) {
    out += "No steps recorded.\n";
    return out;
  }
  std::string text = "#\tTIME (UTC)\tAFTER\tOBJECT\tSTEP\tBY\tDETAIL\n";
  for (size_t i = 0; i < steps.size(); ++i) {
    const TraceStep& s = steps[i];
    const std::string after = i == 0 ? "-" : FormatDelta(s.time - steps[i - 1].time);
    absl::StrAppend(&text, i + 1, "\t", FormatClock(s.time, s.precise), "\t", after, "\t", s.object,
                    "\t", s.step, "\t", s.by, "\t", s.detail, "\n");
  }
  absl::StrAppend(&out, TabAlign(text, 0, 3));
  const absl::Duration total = steps.back().time - steps.front().time;
  absl::StrAppend(&out, "\n", steps.size(), " steps over ", FormatDelta(total).substr(1), "\n");
  return out;
}

}  // namespace minik8s::kubectl
