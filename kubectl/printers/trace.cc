#include "kubectl/printers/trace.h"

#include <algorithm>
#include <functional>

#include "absl/strings/numbers.h"
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

int64_t Revision(const std::string& resource_version) {
  int64_t r = 0;
  return absl::SimpleAtoi(resource_version, &r) && r > 0 ? r : 0;
}

// The causal stages of a pod (trace.h): a step cannot precede a step of the
// same pod with a lower stage.
constexpr int kPhaseCreated = 0;
constexpr int kPhaseScheduled = 1;
constexpr int kPhaseStarting = 2;  // Initialized, image pulls, container created/started
constexpr int kPhaseRunning = 3;
constexpr int kPhaseContainersReady = 4;
constexpr int kPhaseReady = 5;

int EventPhase(const std::string& reason) {
  if (reason == "Scheduled") return kPhaseScheduled;
  if (reason == "Pulling" || reason == "Pulled" || reason == "Created" || reason == "Started") {
    return kPhaseStarting;
  }
  return -1;
}

int ConditionPhase(const std::string& type) {
  if (type == "PodScheduled") return kPhaseScheduled;
  if (type == "Initialized") return kPhaseStarting;
  if (type == "ContainersReady") return kPhaseContainersReady;
  if (type == "Ready") return kPhaseReady;
  return -1;
}

// The revision of the first observed pod version for which `has` holds, when
// the replay saw the pod's creation (so every later write too); else 0.
int64_t FirstRevisionWith(const TraceHistory& history, const std::string& uid,
                          const std::function<bool(const core::Pod&)>& has) {
  if (history.created.count(uid) == 0) return 0;
  for (const core::Pod& v : history.pod_versions) {
    if (v.metadata().uid() == uid && has(v)) return Revision(v.metadata().resource_version());
  }
  return 0;
}

int64_t CreatedRevision(const TraceHistory& history, const std::string& uid) {
  auto it = history.created.find(uid);
  return it == history.created.end() ? 0 : it->second;
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
    const int count = e.has_series() ? e.series().count() : e.count();
    // An event written once sits at its revision; a repeated one was
    // rewritten since its first time (its resourceVersion is the last write).
    if (count <= 1) s.revision = Revision(e.metadata().resource_version());
    if (kind == "Pod") s.phase = EventPhase(e.reason());
    s.by = !e.source().component().empty()    ? e.source().component()
           : !e.reporting_component().empty() ? e.reporting_component()
                                              : "-";
    s.detail = e.message();
    if (count > 1) absl::StrAppend(&s.detail, " (x", count, ")");
    if (e.type() == "Warning") s.detail = absl::StrCat("Warning: ", s.detail);
    steps->push_back(std::move(s));
  }
}

void AddCreated(const minik8s::meta::v1::ObjectMeta& meta, const TraceHistory& history,
                const std::string& object, int rank, std::vector<TraceStep>* steps) {
  if (IsZero(meta.creation_timestamp())) return;
  TraceStep s;
  s.time = api::FromProtoTime(meta.creation_timestamp());
  s.rank = rank;
  s.revision = CreatedRevision(history, meta.uid());
  s.phase = kPhaseCreated;
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
  s.phase = ConditionPhase(c.type());
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
  const TraceHistory& history = input.history;
  std::vector<TraceStep> steps;
  int rank = 0;
  for (const auto& d : input.deployments) {
    const std::string object = absl::StrCat("deployment/", d.metadata().name());
    AddCreated(d.metadata(), history, object, rank, &steps);
    AddEventSteps(input, d.metadata().uid(), "Deployment", d.metadata().name(), object, rank,
                  &steps);
    rank += 10;
  }
  for (const auto& rs : input.replica_sets) {
    const std::string object = absl::StrCat("replicaset/", rs.metadata().name());
    AddCreated(rs.metadata(), history, object, rank, &steps);
    AddEventSteps(input, rs.metadata().uid(), "ReplicaSet", rs.metadata().name(), object, rank,
                  &steps);
    rank += 10;
  }
  for (const auto& pod : input.pods) {
    const std::string& uid = pod.metadata().uid();
    const std::string object = absl::StrCat("pod/", pod.metadata().name());
    AddCreated(pod.metadata(), history, object, rank, &steps);
    AddEventSteps(input, uid, "Pod", pod.metadata().name(), object, rank, &steps);
    // Chain order within the pod: created 0, events 1, then these; a
    // container runs (rank 4) before the pod's containers are ready.
    static const std::pair<const char*, int> kConditions[] = {
        {"PodScheduled", 2}, {"Initialized", 3}, {"ContainersReady", 5}, {"Ready", 6}};
    for (const auto& [type, offset] : kConditions) {
      for (const auto& c : pod.status().conditions()) {
        if (c.type() != type || IsZero(c.last_transition_time())) continue;
        TraceStep s = ConditionStep(pod, c, object, rank + offset);
        // The write that made the condition what it is now.
        s.revision = FirstRevisionWith(history, uid, [&c](const core::Pod& v) {
          for (const auto& vc : v.status().conditions()) {
            if (vc.type() == c.type()) {
              return vc.status() == c.status() &&
                     vc.last_transition_time().seconds() == c.last_transition_time().seconds();
            }
          }
          return false;
        });
        steps.push_back(std::move(s));
      }
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
      s.phase = kPhaseRunning;
      const int64_t started = cs.state().running().started_at().seconds();
      s.revision = FirstRevisionWith(history, uid, [&cs, started](const core::Pod& v) {
        for (const auto& vcs : v.status().container_statuses()) {
          if (vcs.name() == cs.name()) {
            return vcs.state().has_running() &&
                   vcs.state().running().started_at().seconds() == started;
          }
        }
        return false;
      });
      steps.push_back(std::move(s));
    }
    rank += 10;
  }

  // Each step's place in time, `at`. An event is at its eventTime (its
  // write lags: recorders send events asynchronously). An object write
  // (creation, condition, container start) carries whole seconds, so it is
  // placed no earlier than: its second; the previous write in revision
  // order; every event written at a lower revision (it happened before
  // that write, so before this one); and the steps of the same pod at an
  // earlier stage.
  std::vector<absl::Time> at(steps.size());
  std::vector<bool> done(steps.size(), false);
  std::vector<std::pair<int64_t, absl::Time>> marks;  // events: (revision, eventTime)
  for (const TraceStep& s : steps) {
    if (s.precise && s.revision > 0) marks.emplace_back(s.revision, s.time);
  }
  std::sort(marks.begin(), marks.end());
  for (size_t i = 1; i < marks.size(); ++i) {
    marks[i].second = std::max(marks[i].second, marks[i - 1].second);
  }
  auto stage_bound = [&](size_t k, absl::Time t) {
    const TraceStep& s = steps[k];
    if (s.phase <= kPhaseCreated) return t;
    for (size_t o = 0; o < steps.size(); ++o) {
      const TraceStep& x = steps[o];
      if (x.object != s.object || x.phase < 0 || x.phase >= s.phase) continue;
      t = std::max(t, done[o] ? at[o] : x.time);
    }
    return t;
  };
  std::vector<size_t> writes;
  for (size_t k = 0; k < steps.size(); ++k) {
    if (steps[k].precise) {
      at[k] = steps[k].time;
      done[k] = true;
    } else if (steps[k].revision > 0) {
      writes.push_back(k);
    }
  }
  std::stable_sort(writes.begin(), writes.end(), [&](size_t a, size_t b) {
    if (steps[a].revision != steps[b].revision) return steps[a].revision < steps[b].revision;
    return steps[a].rank < steps[b].rank;
  });
  absl::Time previous = absl::InfinitePast();
  for (size_t k : writes) {
    absl::Time t = std::max(steps[k].time, previous);
    auto it = std::lower_bound(marks.begin(), marks.end(),
                               std::make_pair(steps[k].revision, absl::InfinitePast()));
    if (it != marks.begin()) t = std::max(t, std::prev(it)->second);
    t = stage_bound(k, t);
    at[k] = previous = t;
    done[k] = true;
  }
  for (size_t k = 0; k < steps.size(); ++k) {
    if (done[k]) continue;
    at[k] = stage_bound(k, steps[k].time);
    done[k] = true;
  }
  std::vector<size_t> order(steps.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = k;
  // Ties: an event before the write it bounds; writes by revision; else
  // the chain order.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (at[a] != at[b]) return at[a] < at[b];
    if (steps[a].precise != steps[b].precise) return steps[a].precise;
    if (!steps[a].precise && steps[a].revision > 0 && steps[b].revision > 0 &&
        steps[a].revision != steps[b].revision) {
      return steps[a].revision < steps[b].revision;
    }
    return steps[a].rank < steps[b].rank;
  });
  std::vector<TraceStep> out;
  out.reserve(steps.size());
  for (size_t k : order) out.push_back(std::move(steps[k]));
  return out;
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
  // AFTER counts from the latest time shown so far: a whole-second time
  // after a precise one in the same second shows +0ms.
  absl::Time latest = steps.front().time;
  int approximate = 0;
  for (size_t i = 0; i < steps.size(); ++i) {
    const TraceStep& s = steps[i];
    const std::string after = i == 0 ? "-" : FormatDelta(s.time - latest);
    latest = std::max(latest, s.time);
    if (s.revision == 0 && !s.precise) ++approximate;
    absl::StrAppend(&text, i + 1, "\t", FormatClock(s.time, s.precise), "\t", after, "\t", s.object,
                    "\t", s.step, "\t", s.by, "\t", s.detail, "\n");
  }
  absl::StrAppend(&out, TabAlign(text, 0, 3));
  const absl::Duration total = latest - steps.front().time;
  absl::StrAppend(&out, "\n", steps.size(), " steps over ", FormatDelta(total).substr(1), "\n");
  if (approximate > 0) {
    absl::StrAppend(&out, "Order approximate for ", approximate,
                    approximate == 1 ? " step" : " steps",
                    " known only to the second, placed by time (",
                    input.history.note.empty() ? "their writes were not seen in the store's history"
                                               : input.history.note,
                    ")\n");
  }
  return out;
}

}  // namespace minik8s::kubectl
