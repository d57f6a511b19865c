#include "proxy/programming_report.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "api/time.h"

namespace minik8s::proxy {
namespace {

using minik8s::core::v1::Event;
using minik8s::discovery::v1::EndpointSlice;

constexpr char kServiceNameLabel[] = "kubernetes.io/service-name";

// A JSON string literal (names and times need no escapes but are quoted
// safely anyway).
std::string Json(absl::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out += c;
  }
  out += '"';
  return out;
}

std::string Message(const ProgrammingReport& r) {
  std::vector<std::string> parts;
  for (const auto& [name, s] : r.slices) {
    if (s.versions.empty()) continue;
    parts.push_back(absl::StrCat(name, " at resourceVersion ", s.versions.back().resource_version));
  }
  const std::string where = r.nodes.size() == 1 ? r.nodes[0]
                                                : absl::StrCat(r.nodes.size(), " nodes (",
                                                               r.nodes.empty() ? "" : r.nodes[0],
                                                               r.nodes.size() > 1 ? ", ...)" : ")");
  return absl::StrCat("Rules of ", r.service_namespace, "/", r.service_name, " programmed on ",
                      where, " from EndpointSlice ",
                      parts.empty() ? std::string("none") : absl::StrJoin(parts, ", "));
}

}  // namespace

std::string FormatProgrammed(const std::map<std::string, SliceProgramming>& slices) {
  std::vector<std::string> out;
  for (const auto& [name, s] : slices) {
    std::vector<std::string> versions;
    if (s.truncated) versions.push_back("...");
    for (const ProgrammedVersion& v : s.versions) {
      versions.push_back(absl::StrCat(v.resource_version, "@", api::FormatRfc3339Micro(v.at)));
    }
    out.push_back(absl::StrCat(name, "=", absl::StrJoin(versions, ",")));
  }
  return absl::StrJoin(out, ";");
}

absl::StatusOr<std::map<std::string, SliceProgramming>> ParseProgrammed(absl::string_view text) {
  std::map<std::string, SliceProgramming> out;
  for (absl::string_view slice : absl::StrSplit(text, ';', absl::SkipEmpty())) {
    const size_t eq = slice.find('=');
    if (eq == absl::string_view::npos || eq == 0) {
      return absl::InvalidArgumentError(absl::StrCat("no slice name in \"", slice, "\""));
    }
    SliceProgramming& s = out[std::string(slice.substr(0, eq))];
    for (absl::string_view v : absl::StrSplit(slice.substr(eq + 1), ',', absl::SkipEmpty())) {
      if (v == "...") {
        s.truncated = true;
        continue;
      }
      const size_t at = v.find('@');
      ProgrammedVersion pv;
      if (at == absl::string_view::npos ||
          !absl::SimpleAtoi(v.substr(0, at), &pv.resource_version)) {
        return absl::InvalidArgumentError(absl::StrCat("bad version \"", v, "\""));
      }
      absl::StatusOr<absl::Time> t = api::ParseRfc3339(std::string(v.substr(at + 1)));
      if (!t.ok()) return t.status();
      pv.at = *t;
      s.versions.push_back(pv);
    }
  }
  return out;
}

std::string ReportEventName(const ProgrammingReport& report) {
  return absl::StrCat(report.service_name, ".proxy.",
                      report.nodes.empty() ? std::string("unknown") : report.nodes[0]);
}

Event ReportEvent(const ProgrammingReport& report, absl::Time now) {
  Event e;
  e.set_api_version("v1");
  e.set_kind("Event");
  auto* meta = e.mutable_metadata();
  meta->set_name(ReportEventName(report));
  meta->set_namespace_(report.service_namespace);
  (*meta->mutable_annotations())[kAnnotationProgrammedNodes] = absl::StrJoin(report.nodes, ",");
  (*meta->mutable_annotations())[kAnnotationProgrammed] = FormatProgrammed(report.slices);
  auto* io = e.mutable_involved_object();
  io->set_kind("Service");
  io->set_api_version("v1");
  io->set_namespace_(report.service_namespace);
  io->set_name(report.service_name);
  io->set_uid(report.service_uid);
  e.set_reason(kReasonEndpointsProgrammed);
  e.set_message(Message(report));
  e.set_type("Normal");
  e.mutable_source()->set_component(kProxyComponent);
  if (!report.nodes.empty()) e.mutable_source()->set_host(report.nodes[0]);
  e.set_reporting_component(kProxyComponent);
  if (!report.nodes.empty()) e.set_reporting_instance(report.nodes[0]);
  *e.mutable_first_timestamp() = api::ToProtoTime(now);
  *e.mutable_last_timestamp() = api::ToProtoTime(now);
  e.set_count(1);
  return e;
}

std::string ReportPatch(const ProgrammingReport& report, int32_t count, absl::Time now) {
  return absl::StrCat(R"({"metadata":{"annotations":{)", Json(kAnnotationProgrammedNodes), ":",
                      Json(absl::StrJoin(report.nodes, ",")), ",", Json(kAnnotationProgrammed), ":",
                      Json(FormatProgrammed(report.slices)), R"(}},"involvedObject":{"uid":)",
                      Json(report.service_uid), R"(},"message":)", Json(Message(report)),
                      R"(,"count":)", count, R"(,"lastTimestamp":)", Json(api::FormatRfc3339(now)),
                      "}");
}

absl::StatusOr<ProgrammingReport> ReportFromEvent(const Event& event) {
  const auto& annotations = event.metadata().annotations();
  auto programmed = annotations.find(kAnnotationProgrammed);
  if (event.reason() != kReasonEndpointsProgrammed || programmed == annotations.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("event ", event.metadata().name(), " is not a proxy's programming report"));
  }
  ProgrammingReport r;
  r.service_namespace = event.involved_object().namespace_();
  r.service_name = event.involved_object().name();
  r.service_uid = event.involved_object().uid();
  auto nodes = annotations.find(kAnnotationProgrammedNodes);
  if (nodes != annotations.end()) {
    r.nodes = absl::StrSplit(nodes->second, ',', absl::SkipEmpty());
  }
  if (r.nodes.empty() && !event.source().host().empty()) r.nodes.push_back(event.source().host());
  absl::StatusOr<std::map<std::string, SliceProgramming>> slices =
      ParseProgrammed(programmed->second);
  if (!slices.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("event ", event.metadata().name(), ": ", slices.status().message()));
  }
  r.slices = *std::move(slices);
  return r;
}

void ProgrammingLog::Record(const std::map<std::string, std::string>& services,
                            const std::vector<const EndpointSlice*>& slices, absl::Time at) {
  for (auto it = services_.begin(); it != services_.end();) {
    auto now = services.find(it->first);
    if (now == services.end() || now->second != it->second.uid) {
      it = services_.erase(it);
    } else {
      ++it;
    }
  }
  std::map<std::string, std::map<std::string, int64_t>> seen;  // service -> slice -> rv
  for (const EndpointSlice* slice : slices) {
    auto label = slice->metadata().labels().find(kServiceNameLabel);
    if (label == slice->metadata().labels().end()) continue;
    const std::string key = absl::StrCat(slice->metadata().namespace_(), "/", label->second);
    auto service = services.find(key);
    if (service == services.end()) continue;
    int64_t rv = 0;
    if (!absl::SimpleAtoi(slice->metadata().resource_version(), &rv)) continue;
    seen[key][slice->metadata().name()] = rv;
    Entry& entry = services_[key];
    entry.uid = service->second;
    SliceProgramming& s = entry.slices[slice->metadata().name()];
    if (!s.versions.empty() && s.versions.back().resource_version == rv) continue;
    s.versions.push_back({rv, at});
    if (s.versions.size() > max_versions_) {
      s.versions.erase(s.versions.begin());
      s.truncated = true;
    }
    entry.changed = true;
  }
  for (auto& [key, entry] : services_) {
    const auto& now = seen[key];
    for (auto it = entry.slices.begin(); it != entry.slices.end();) {
      it = now.contains(it->first) ? std::next(it) : entry.slices.erase(it);
    }
  }
}

std::vector<ProgrammingReport> ProgrammingLog::TakeChanged(const std::vector<std::string>& nodes) {
  std::vector<ProgrammingReport> out;
  for (auto& [key, entry] : services_) {
    if (!entry.changed) continue;
    entry.changed = false;
    ProgrammingReport r;
    const size_t slash = key.find('/');
    r.service_namespace = key.substr(0, slash);
    r.service_name = key.substr(slash + 1);
    r.service_uid = entry.uid;
    r.nodes = nodes;
    r.slices = entry.slices;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace minik8s::proxy
