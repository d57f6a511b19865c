#include "kubectl/printers/trace_service.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/time.h"
#include "kubectl/printers/table.h"
#include "printers/duration.h"

namespace minik8s::kubectl {
namespace {

namespace core = minik8s::core::v1;
namespace discovery = minik8s::discovery::v1;

constexpr char kTriggerTime[] = "endpoints.kubernetes.io/last-change-trigger-time";

// Chain order for ties.
constexpr int kRankService = 0;
constexpr int kRankPod = 10;
constexpr int kRankSlice = 20;
constexpr int kRankProxy = 30;

int64_t Revision(const std::string& rv) {
  int64_t r = 0;
  return absl::SimpleAtoi(rv, &r) ? r : 0;
}

std::string EndpointName(const discovery::Endpoint& e) {
  if (e.target_ref().kind() == "Pod" && !e.target_ref().name().empty()) {
    return absl::StrCat("pod/", e.target_ref().name());
  }
  return absl::StrCat("address/", e.addresses().empty() ? std::string("?") : e.addresses(0));
}

bool IsReady(const discovery::Endpoint& e) {
  return !e.conditions().has_ready() || e.conditions().ready();
}

std::set<std::string> ReadySet(const discovery::EndpointSlice& s) {
  std::set<std::string> out;
  for (const auto& e : s.endpoints()) {
    if (IsReady(e)) out.insert(EndpointName(e));
  }
  return out;
}

std::vector<std::string> Minus(const std::set<std::string>& a, const std::set<std::string>& b) {
  std::vector<std::string> out;
  for (const std::string& x : a) {
    if (!b.contains(x)) out.push_back(x);
  }
  return out;
}

std::string Changes(const std::vector<std::string>& added,
                    const std::vector<std::string>& removed) {
  std::vector<std::string> parts;
  for (const std::string& a : added) parts.push_back(absl::StrCat("+", a));
  for (const std::string& r : removed) parts.push_back(absl::StrCat("-", r));
  return parts.empty() ? std::string("no change in ready endpoints") : absl::StrJoin(parts, " ");
}

std::string FormatClock(absl::Time t, bool precise) {
  return absl::FormatTime(precise ? "%H:%M:%E3S" : "%H:%M:%S", t, absl::UTCTimeZone());
}

std::string ProxyObject(const proxy::ProgrammingReport& r) {
  if (r.nodes.empty()) return "node/?";
  if (r.nodes.size() == 1) return absl::StrCat("node/", r.nodes[0]);
  return absl::StrCat("node/", r.nodes[0], " (+", r.nodes.size() - 1, " more)");
}

// The observed versions of each slice, by name, oldest first.
using Versions = std::map<std::string, std::vector<const discovery::EndpointSlice*>>;

Versions ByName(const ServiceTraceInput& input) {
  Versions out;
  for (const auto& s : input.slice_versions) out[s.metadata().name()].push_back(&s);
  for (auto& [name, v] : out) {
    std::stable_sort(v.begin(), v.end(), [](const auto* a, const auto* b) {
      return Revision(a->metadata().resource_version()) <
             Revision(b->metadata().resource_version());
    });
    v.erase(std::unique(v.begin(), v.end(),
                        [](const auto* a, const auto* b) {
                          return a->metadata().resource_version() ==
                                 b->metadata().resource_version();
                        }),
            v.end());
  }
  return out;
}

// The newest observed version at or before `rv`; null when none is known.
const discovery::EndpointSlice* StateAt(const std::vector<const discovery::EndpointSlice*>& v,
                                        int64_t rv) {
  const discovery::EndpointSlice* out = nullptr;
  for (const auto* s : v) {
    if (Revision(s->metadata().resource_version()) <= rv) out = s;
  }
  return out;
}

struct Built {
  std::vector<TraceStep> steps;
  // endpoint -> node -> when its proxy last programmed it (still there).
  std::map<std::string, std::map<std::string, absl::Time>> programmed;
  // endpoint -> the slice and revision that first carried it as ready in
  // its current run.
  std::map<std::string, std::string> carried_by;
  std::set<std::string> reporting_nodes;
  int approximate = 0;
};

Built Build(const ServiceTraceInput& input) {
  Built b;
  const core::Service& svc = input.service;
  const std::string svc_object = absl::StrCat("service/", svc.metadata().name());
  absl::Time created = absl::InfinitePast();
  if (svc.metadata().has_creation_timestamp()) {
    created = api::FromProtoTime(svc.metadata().creation_timestamp());
    TraceStep s;
    s.time = created;
    s.rank = kRankService;
    s.object = svc_object;
    s.step = "Created";
    s.by = "-";
    std::vector<std::string> ports;
    for (const auto& p : svc.spec().ports()) {
      ports.push_back(absl::StrCat(p.name().empty() ? "" : p.name() + " ", p.port(), "/",
                                   p.protocol().empty() ? "TCP" : p.protocol()));
    }
    const std::string& ip = svc.spec().cluster_ip();
    s.detail = ip.empty() || ip == "None"
                   ? absl::StrCat("headless (no clusterIP); ", svc.spec().type())
                   : absl::StrCat("clusterIP ", ip, " allocated; ",
                                  svc.spec().type().empty() ? "ClusterIP" : svc.spec().type());
    if (!ports.empty()) absl::StrAppend(&s.detail, "; ports ", absl::StrJoin(ports, ", "));
    b.steps.push_back(std::move(s));
  }

  for (const core::Pod& pod : input.pods) {
    for (const auto& c : pod.status().conditions()) {
      if (c.type() != "Ready" || !c.has_last_transition_time()) continue;
      TraceStep s;
      s.time = api::FromProtoTime(c.last_transition_time());
      s.rank = kRankPod;
      s.object = absl::StrCat("pod/", pod.metadata().name());
      s.step = "Condition Ready";
      s.by = "kubelet";
      s.detail = c.status().empty() ? "Unknown" : c.status();
      if (c.status() != "True" && !c.reason().empty()) absl::StrAppend(&s.detail, ": ", c.reason());
      if (!pod.spec().node_name().empty()) {
        absl::StrAppend(&s.detail, " (on ", pod.spec().node_name(),
                        pod.status().pod_ip().empty() ? "" : ", IP " + pod.status().pod_ip(), ")");
      }
      b.steps.push_back(std::move(s));
    }
  }

  const Versions versions = ByName(input);
  for (const auto& [name, v] : versions) {
    const bool seen_created = input.slices_created.contains(name);
    std::set<std::string> prev;
    absl::Time last = created;
    for (size_t i = 0; i < v.size(); ++i) {
      const discovery::EndpointSlice& slice = *v[i];
      const std::set<std::string> ready = ReadySet(slice);
      const std::vector<std::string> added = Minus(ready, prev);
      const std::vector<std::string> removed = Minus(prev, ready);
      const std::string where =
          absl::StrCat("endpointslice/", name, " revision ", slice.metadata().resource_version());
      for (const std::string& a : added) b.carried_by[a] = where;
      for (const std::string& r : removed) b.carried_by.erase(r);
      TraceStep s;
      s.rank = kRankSlice;
      s.revision = Revision(slice.metadata().resource_version());
      s.object = absl::StrCat("endpointslice/", name);
      s.step = i == 0 && seen_created ? "Created" : "Updated";
      s.by = "endpointslice-controller";
      auto trigger = slice.metadata().annotations().find(kTriggerTime);
      absl::StatusOr<absl::Time> at = trigger == slice.metadata().annotations().end()
                                          ? absl::NotFoundError("")
                                          : api::ParseRfc3339(trigger->second);
      if (at.ok()) {
        s.time = *at;
        s.precise = *at != absl::FromUnixSeconds(absl::ToUnixSeconds(*at));
      } else {
        s.time = last;
        ++b.approximate;
      }
      last = std::max(last, s.time);
      s.detail = absl::StrCat("revision ", slice.metadata().resource_version(), ", ", ready.size(),
                              "/", slice.endpoints_size(), " ready: ");
      if (i == 0 && !seen_created) {
        absl::StrAppend(&s.detail, ready.empty() ? "none" : absl::StrJoin(ready, " "),
                        " (earlier versions not in the history)");
      } else {
        absl::StrAppend(&s.detail, Changes(added, removed));
      }
      if (!at.ok()) absl::StrAppend(&s.detail, " (no last-change-trigger-time)");
      b.steps.push_back(std::move(s));
      prev = ready;
    }
  }

  for (const auto& [name, rv] : input.slices_deleted) {
    absl::Time at = created;
    for (const TraceStep& s : b.steps) {
      if (s.rank == kRankSlice && s.revision > 0 && s.revision < rv) at = std::max(at, s.time);
    }
    TraceStep s;
    s.time = at;
    s.rank = kRankSlice;
    s.revision = rv;
    s.object = absl::StrCat("endpointslice/", name);
    s.step = "Deleted";
    s.by = "endpointslice-controller";
    s.detail =
        absl::StrCat("revision ", rv, " (no write time: placed after the slice writes before it)");
    b.steps.push_back(std::move(s));
  }

  for (const proxy::ProgrammingReport& r : input.reports) {
    for (const std::string& n : r.nodes) b.reporting_nodes.insert(n);
    for (const auto& [name, sp] : r.slices) {
      auto v = versions.find(name);
      std::set<std::string> prev;
      bool first = true;
      for (const proxy::ProgrammedVersion& pv : sp.versions) {
        const discovery::EndpointSlice* state =
            v == versions.end() ? nullptr : StateAt(v->second, pv.resource_version);
        if (state == nullptr) continue;  // older than the history: contents unknown
        const std::set<std::string> ready = ReadySet(*state);
        const std::vector<std::string> added = Minus(ready, prev);
        const std::vector<std::string> removed = Minus(prev, ready);
        for (const std::string& a : added) {
          for (const std::string& n : r.nodes) b.programmed[a][n] = pv.at;
        }
        for (const std::string& x : removed) {
          for (const std::string& n : r.nodes) b.programmed[x].erase(n);
        }
        if (first || !added.empty() || !removed.empty()) {
          TraceStep s;
          s.time = pv.at;
          s.precise = true;
          s.rank = kRankProxy;
          s.revision = pv.resource_version;
          s.object = ProxyObject(r);
          s.step = "Programmed";
          s.by = "kube-proxy";
          s.detail = absl::StrCat("endpointslice/", name, " revision ", pv.resource_version, ": ");
          if (first && sp.truncated) {
            absl::StrAppend(&s.detail, ready.size(),
                            " ready by then: ", ready.empty() ? "none" : absl::StrJoin(ready, " "));
          } else {
            absl::StrAppend(&s.detail, Changes(added, removed), " (", ready.size(), " ready)");
          }
          b.steps.push_back(std::move(s));
        }
        prev = ready;
        first = false;
      }
    }
  }

  std::stable_sort(b.steps.begin(), b.steps.end(), [](const TraceStep& a, const TraceStep& c) {
    if (a.time != c.time) return a.time < c.time;
    if (a.rank != c.rank) return a.rank < c.rank;
    return a.revision < c.revision;
  });
  return b;
}

}  // namespace

std::vector<TraceStep> ServiceTraceSteps(const ServiceTraceInput& input) {
  return Build(input).steps;
}

std::string RenderServiceTrace(const ServiceTraceInput& input, absl::Time now) {
  const Built b = Build(input);
  const core::Service& svc = input.service;
  std::string out =
      absl::StrCat("Service ", svc.metadata().name(), " (namespace ", svc.metadata().namespace_(),
                   "): ", svc.spec().type().empty() ? "ClusterIP" : svc.spec().type(), " ",
                   svc.spec().cluster_ip().empty() ? "<none>" : svc.spec().cluster_ip(), ", ",
                   input.pods.size(), " selected pod(s), age ",
                   printers::TimestampSince(svc.metadata().creation_timestamp(), now), "\n");

  out += "\n";
  if (b.steps.empty()) {
    out += "No steps recorded.\n";
  } else {
    std::string text = "#\tTIME (UTC)\tAFTER\tOBJECT\tSTEP\tBY\tDETAIL\n";
    absl::Time latest = b.steps.front().time;
    for (size_t i = 0; i < b.steps.size(); ++i) {
      const TraceStep& s = b.steps[i];
      const std::string after = i == 0 ? "-" : FormatDelta(s.time - latest);
      latest = std::max(latest, s.time);
      absl::StrAppend(&text, i + 1, "\t", FormatClock(s.time, s.precise), "\t", after, "\t",
                      s.object, "\t", s.step, "\t", s.by, "\t", s.detail, "\n");
    }
    absl::StrAppend(&out, TabAlign(text, 0, 3));
    absl::StrAppend(&out, "\n", b.steps.size(), " steps over ",
                    FormatDelta(latest - b.steps.front().time).substr(1), "\n");
  }

  // The summary per endpoint: the ready pods, and any other endpoint the
  // latest slices hold as ready.
  std::set<std::string> nodes(input.nodes.begin(), input.nodes.end());
  if (nodes.empty()) nodes = b.reporting_nodes;
  std::map<std::string, absl::Time> ready_since;  // endpoint -> Ready transition
  std::set<std::string> endpoints;
  for (const core::Pod& pod : input.pods) {
    const std::string name = absl::StrCat("pod/", pod.metadata().name());
    for (const auto& c : pod.status().conditions()) {
      if (c.type() == "Ready" && c.status() == "True") {
        endpoints.insert(name);
        if (c.has_last_transition_time()) {
          ready_since[name] = api::FromProtoTime(c.last_transition_time());
        }
      }
    }
  }
  for (const auto& [name, v] : ByName(input)) {
    for (const std::string& e : ReadySet(*v.back())) endpoints.insert(e);
  }
  if (!endpoints.empty()) {
    std::string text = "ENDPOINT\tREADY SINCE\tCARRIED BY\tPROGRAMMED BY\tLAST AFTER READY\n";
    for (const std::string& e : endpoints) {
      auto since = ready_since.find(e);
      auto carried = b.carried_by.find(e);
      auto prog = b.programmed.find(e);
      int count = 0;
      absl::Time last = absl::InfinitePast();
      std::vector<std::string> missing;
      for (const std::string& n : nodes) {
        if (prog != b.programmed.end()) {
          auto t = prog->second.find(n);
          if (t != prog->second.end()) {
            ++count;
            last = std::max(last, t->second);
            continue;
          }
        }
        missing.push_back(n);
      }
      std::string by = absl::StrCat(count, "/", nodes.size(), " nodes");
      if (!missing.empty() && missing.size() <= 5) {
        absl::StrAppend(&by, " (not ", absl::StrJoin(missing, ","), ")");
      }
      const std::string after = count == 0 || since == ready_since.end()
                                    ? "-"
                                    : FormatDelta(last - since->second).substr(1);
      absl::StrAppend(
          &text, e, "\t", since == ready_since.end() ? "-" : FormatClock(since->second, false),
          "\t", carried == b.carried_by.end() ? "-" : carried->second, "\t", by, "\t", after, "\n");
    }
    absl::StrAppend(&out, "\n", TabAlign(text, 0, 3));
  }
  std::vector<std::string> silent;
  for (const std::string& n : nodes) {
    if (!b.reporting_nodes.contains(n)) silent.push_back(n);
  }
  if (!silent.empty()) {
    absl::StrAppend(
        &out, "No programming report from the proxy of ", silent.size(),
        silent.size() == 1 ? " node: " : " nodes: ",
        absl::StrJoin(silent.begin(), silent.begin() + std::min<size_t>(silent.size(), 10), ", "),
        silent.size() > 10 ? ", ..." : "", "\n");
  }
  if (b.approximate > 0 || !input.note.empty()) {
    absl::StrAppend(&out, "Order approximate: ",
                    input.note.empty() ? absl::StrCat(b.approximate,
                                                      " slice version(s) without "
                                                      "last-change-trigger-time, placed after the "
                                                      "previous step of their slice")
                                       : input.note,
                    "\n");
  }
  return out;
}

}  // namespace minik8s::kubectl
