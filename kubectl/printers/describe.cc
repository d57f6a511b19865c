#include "kubectl/printers/describe.h"

#include <google/protobuf/util/message_differencer.h>

#include <algorithm>
#include <map>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "api/intstr.h"
#include "api/quantity.h"
#include "api/resource_field.h"
#include "api/time.h"
#include "kubectl/printers/resource_tables.h"
#include "kubectl/printers/table.h"
#include "printers/duration.h"
#include "printers/format.h"

namespace minik8s::kubectl {
namespace {

namespace core = minik8s::core::v1;
namespace apps = minik8s::apps::v1;
using google::protobuf::Map;
using printers::IsZero;
using printers::MicroTimestampSince;
using printers::SelectorString;
using printers::TimestampSince;

constexpr size_t kMaxAnnotationLen = 140;
constexpr char kLastApplied[] = "kubectl.kubernetes.io/last-applied-configuration";

// Accumulates describe text; Write(level, ...) indents by two spaces a level.
class Writer {
 public:
  template <typename... Args>
  void Write(int level, const Args&... args) {
    out_.append(2 * level, ' ');
    absl::StrAppend(&out_, args...);
  }
  // Aligns and returns everything written so far, and starts a new block.
  void Flush() {
    done_ += TabAlign(out_, 0, 2);
    out_.clear();
  }
  std::string Done() {
    Flush();
    return done_;
  }

 private:
  std::string out_;
  std::string done_;
};

std::string OrNone(const std::string& s) { return s.empty() ? "<none>" : s; }

void PrintLabelsMultiline(Writer& w, const std::string& title,
                          const Map<std::string, std::string>& labels) {
  w.Write(0, title, ":\t");
  if (labels.empty()) {
    w.Write(0, "<none>\n");
    return;
  }
  std::map<std::string, std::string> sorted(labels.begin(), labels.end());
  bool first = true;
  for (const auto& [k, v] : sorted) {
    if (!first) w.Write(0, "\t");
    first = false;
    w.Write(0, k, "=", v, "\n");
  }
}

std::string Shorten(const std::string& s, size_t max) {
  if (s.size() > max) return s.substr(0, max) + "...";
  return s;
}

void PrintAnnotationsMultiline(Writer& w, const std::string& title,
                               const Map<std::string, std::string>& annotations) {
  w.Write(0, title, ":\t");
  std::map<std::string, std::string> sorted;
  for (const auto& [k, v] : annotations) {
    if (k != kLastApplied) sorted[k] = v;
  }
  if (sorted.empty()) {
    w.Write(0, "<none>\n");
    return;
  }
  bool first = true;
  for (const auto& [k, raw] : sorted) {
    if (!first) w.Write(0, "\t");
    first = false;
    std::string value(absl::StripSuffix(raw, "\n"));
    if (value.size() + k.size() + 2 > kMaxAnnotationLen || value.find('\n') != std::string::npos) {
      w.Write(0, k, ":\n");
      for (absl::string_view line : absl::StrSplit(value, '\n')) {
        w.Write(0, "  ", Shorten(std::string(line), kMaxAnnotationLen - 2), "\n");
      }
    } else {
      w.Write(0, k, ": ", value, "\n");
    }
  }
}

void PrintTolerations(Writer& w, const std::string& title,
                      const google::protobuf::RepeatedPtrField<core::Toleration>& tolerations) {
  w.Write(0, title, ":\t");
  if (tolerations.empty()) {
    w.Write(0, "<none>\n");
    return;
  }
  bool first = true;
  for (const auto& t : tolerations) {
    if (!first) w.Write(0, "\t");
    first = false;
    std::string line = t.key();
    if (!t.value().empty()) absl::StrAppend(&line, "=", t.value());
    if (!t.effect().empty()) absl::StrAppend(&line, ":", t.effect());
    if (!t.operator_().empty()) absl::StrAppend(&line, " op=", t.operator_());
    if (t.has_toleration_seconds()) absl::StrAppend(&line, " for ", t.toleration_seconds(), "s");
    w.Write(0, line, "\n");
  }
}

// kubectl's describeTopologySpreadConstraints: nothing without constraints;
// otherwise one line each, sorted by topology key.
void PrintTopologySpreadConstraints(
    Writer& w, const google::protobuf::RepeatedPtrField<core::TopologySpreadConstraint>& list,
    const std::string& space) {
  if (list.empty()) return;
  std::vector<const core::TopologySpreadConstraint*> sorted;
  for (const auto& c : list) sorted.push_back(&c);
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) {
    return a->topology_key() < b->topology_key();
  });
  w.Write(0, space, "Topology Spread Constraints:\t");
  for (size_t i = 0; i < sorted.size(); ++i) {
    const auto& c = *sorted[i];
    if (i != 0) w.Write(0, space, "\t");
    std::string line = absl::StrCat(c.topology_key(), ":", c.when_unsatisfiable(),
                                    " when max skew ", c.max_skew(), " is exceeded");
    if (c.has_label_selector()) {
      absl::StrAppend(&line, " for selector ", SelectorString(c.label_selector()));
    }
    w.Write(0, line, "\n");
  }
}

std::string PortsString(const core::Container& c, bool host) {
  std::vector<std::string> ports;
  for (const auto& p : c.ports()) {
    const std::string proto = p.protocol().empty() ? "TCP" : p.protocol();
    ports.push_back(absl::StrCat(host ? p.host_port() : p.container_port(), "/", proto));
  }
  return absl::StrJoin(ports, ", ");
}

void DescribeState(Writer& w, const std::string& name, const core::ContainerState& state) {
  if (state.has_running()) {
    w.Write(2, name, ":\tRunning\n");
    w.Write(3, "Started:\t", FormatRfc1123z(state.running().started_at()), "\n");
  } else if (state.has_waiting()) {
    w.Write(2, name, ":\tWaiting\n");
    if (!state.waiting().reason().empty()) w.Write(3, "Reason:\t", state.waiting().reason(), "\n");
  } else if (state.has_terminated()) {
    const auto& t = state.terminated();
    w.Write(2, name, ":\tTerminated\n");
    if (!t.reason().empty()) w.Write(3, "Reason:\t", t.reason(), "\n");
    if (!t.message().empty()) w.Write(3, "Message:\t", t.message(), "\n");
    w.Write(3, "Exit Code:\t", t.exit_code(), "\n");
    if (t.signal() > 0) w.Write(3, "Signal:\t", t.signal(), "\n");
    w.Write(3, "Started:\t", FormatRfc1123z(t.started_at()), "\n");
    w.Write(3, "Finished:\t", FormatRfc1123z(t.finished_at()), "\n");
  } else {
    w.Write(2, name, ":\tWaiting\n");
  }
}

void DescribeResourceMap(Writer& w, const std::string& title,
                         const Map<std::string, minik8s::meta::v1::Quantity>& m) {
  if (m.empty()) return;
  w.Write(2, title, ":\n");
  std::map<std::string, std::string> sorted;
  for (const auto& [k, v] : m) sorted[k] = v.value();
  for (const auto& [k, v] : sorted) w.Write(3, k, ":\t", v, "\n");
}

// The value of a pod field an env var names, as kubectl's
// EnvValueRetriever shows it ("" for fields it does not resolve).
std::string PodFieldText(const core::Pod& pod, const std::string& path) {
  const auto& meta = pod.metadata();
  auto subscript = [&](absl::string_view field) -> std::optional<std::string> {
    const std::string prefix = absl::StrCat(field, "['");
    if (!absl::StartsWith(path, prefix) || !absl::EndsWith(path, "']")) return std::nullopt;
    return path.substr(prefix.size(), path.size() - prefix.size() - 2);
  };
  if (path == "metadata.name") return meta.name();
  if (path == "metadata.namespace") return meta.namespace_();
  if (path == "metadata.uid") return meta.uid();
  if (path == "spec.nodeName") return pod.spec().node_name();
  if (path == "spec.serviceAccountName") return pod.spec().service_account_name();
  if (path == "status.hostIP") return pod.status().host_ip();
  if (path == "status.podIP") return pod.status().pod_ip();
  if (auto key = subscript("metadata.labels")) {
    auto it = meta.labels().find(*key);
    return it == meta.labels().end() ? "" : it->second;
  }
  if (auto key = subscript("metadata.annotations")) {
    auto it = meta.annotations().find(*key);
    return it == meta.annotations().end() ? "" : it->second;
  }
  return "";
}

// `pod`: the pod whose containers these are (null for a template).
void DescribeContainers(Writer& w, const std::string& label,
                        const google::protobuf::RepeatedPtrField<core::Container>& containers,
                        const google::protobuf::RepeatedPtrField<core::ContainerStatus>* statuses,
                        const std::string& space, const core::Pod* pod = nullptr) {
  w.Write(0, space, label, ":", containers.empty() ? " <none>" : "", "\n");
  for (const auto& c : containers) {
    const core::ContainerStatus* status = nullptr;
    if (statuses != nullptr) {
      for (const auto& s : *statuses) {
        if (s.name() == c.name()) status = &s;
      }
    }
    w.Write(1, space.empty() ? "" : " ", c.name(), ":\n");
    if (status != nullptr) w.Write(2, "Container ID:\t", status->container_id(), "\n");
    w.Write(2, "Image:\t", c.image(), "\n");
    if (status != nullptr) w.Write(2, "Image ID:\t", status->image_id(), "\n");
    const std::string ports = PortsString(c, false);
    if (ports.find(',') != std::string::npos) {
      w.Write(2, "Ports:\t", ports, "\n");
    } else {
      w.Write(2, "Port:\t", OrNone(ports), "\n");
    }
    const std::string host_ports = PortsString(c, true);
    if (host_ports.find(',') != std::string::npos) {
      w.Write(2, "Host Ports:\t", host_ports, "\n");
    } else {
      w.Write(2, "Host Port:\t", OrNone(host_ports), "\n");
    }
    if (!c.command().empty()) {
      w.Write(2, "Command:\n");
      for (const auto& s : c.command()) w.Write(3, s, "\n");
    }
    if (!c.args().empty()) {
      w.Write(2, "Args:\n");
      for (const auto& s : c.args()) w.Write(3, s, "\n");
    }
    if (status != nullptr) {
      DescribeState(w, "State", status->state());
      if (status->last_state().has_terminated())
        DescribeState(w, "Last State", status->last_state());
      w.Write(2, "Ready:\t", status->ready() ? "True" : "False", "\n");
      w.Write(2, "Restart Count:\t", status->restart_count(), "\n");
    }
    DescribeResourceMap(w, "Limits", c.resources().limits());
    DescribeResourceMap(w, "Requests", c.resources().requests());
    if (!c.env_from().empty()) w.Write(2, "Environment Variables from:\n");
    for (const auto& from : c.env_from()) {
      const bool config_map = from.has_config_map_ref();
      const std::string& name =
          config_map ? from.config_map_ref().name() : from.secret_ref().name();
      const bool optional =
          config_map ? from.config_map_ref().optional() : from.secret_ref().optional();
      const char* kind = config_map ? "ConfigMap" : "Secret";
      if (from.prefix().empty()) {
        w.Write(3, name, "\t", kind, "\tOptional: ", optional ? "true" : "false", "\n");
      } else {
        w.Write(3, name, "\t", kind, " with prefix '", from.prefix(),
                "'\tOptional: ", optional ? "true" : "false", "\n");
      }
    }
    if (c.env().empty()) {
      w.Write(2, "Environment:\t<none>\n");
    } else {
      w.Write(2, "Environment:\n");
      for (const auto& e : c.env()) {
        if (e.has_value_from()) {
          // As kubectl's describeContainerEnvVars: a pod's field with its
          // value (a template's without), a resource with its value.
          const auto& vf = e.value_from();
          std::string source = "<set from a reference>";
          if (vf.has_field_ref()) {
            source = absl::StrCat(
                pod != nullptr ? PodFieldText(*pod, vf.field_ref().field_path()) : "", " (",
                vf.field_ref().api_version(), ":", vf.field_ref().field_path(), ")");
          } else if (vf.has_resource_field_ref()) {
            const std::string& resource = vf.resource_field_ref().resource();
            std::string value =
                api::ContainerResourceValue(c, vf.resource_field_ref()).value_or("");
            if (value == "0" && (resource == "limits.cpu" || resource == "limits.memory")) {
              value = "node allocatable";
            }
            source = absl::StrCat(value, " (", resource, ")");
          } else if (vf.has_config_map_key_ref()) {
            const auto& ref = vf.config_map_key_ref();
            source = absl::StrCat("<set to the key '", ref.key(), "' of config map '", ref.name(),
                                  "'>\tOptional: ", ref.optional() ? "true" : "false");
          } else if (vf.has_secret_key_ref()) {
            const auto& ref = vf.secret_key_ref();
            source = absl::StrCat("<set to the key '", ref.key(), "' in secret '", ref.name(),
                                  "'>\tOptional: ", ref.optional() ? "true" : "false");
          }
          w.Write(3, e.name(), ":\t", source, "\n");
        } else {
          w.Write(3, e.name(), ":\t", e.value(), "\n");
        }
      }
    }
    if (c.volume_mounts().empty()) {
      w.Write(2, "Mounts:\t<none>\n");
    } else {
      w.Write(2, "Mounts:\n");
      for (const auto& m : c.volume_mounts()) {
        w.Write(3, m.mount_path(), " from ", m.name(), " (", m.read_only() ? "ro" : "rw", ")\n");
      }
    }
  }
}

// kubectl prints an optional ConfigMap or Secret projection's `optional`
// with Go's %v of a *bool: <nil> when unset.
std::string OptionalText(bool has, bool value) {
  if (!has) return "<nil>";
  return value ? "true" : "false";
}

void DescribeDownwardApiItems(
    Writer& w, const google::protobuf::RepeatedPtrField<core::DownwardAPIVolumeFile>& items) {
  for (const auto& item : items) {
    if (item.has_field_ref()) w.Write(3, item.field_ref().field_path(), " -> ", item.path(), "\n");
    if (item.has_resource_field_ref()) {
      w.Write(3, item.resource_field_ref().resource(), " -> ", item.path(), "\n");
    }
  }
}

// As kubectl's printProjectedVolumeSource: one or two lines per source.
void DescribeProjectedVolume(Writer& w, const core::ProjectedVolumeSource& projected) {
  w.Write(2, "Type:\tProjected (a volume that contains injected data from multiple sources)\n");
  for (const auto& source : projected.sources()) {
    if (source.has_secret()) {
      w.Write(2, "SecretName:\t", source.secret().name(), "\n");
      w.Write(2, "SecretOptionalName:\t",
              OptionalText(source.secret().has_optional(), source.secret().optional()), "\n");
    } else if (source.has_downward_api()) {
      w.Write(2, "DownwardAPI:\ttrue\n");
    } else if (source.has_config_map()) {
      w.Write(2, "ConfigMapName:\t", source.config_map().name(), "\n");
      w.Write(2, "ConfigMapOptional:\t",
              OptionalText(source.config_map().has_optional(), source.config_map().optional()),
              "\n");
    } else if (source.has_service_account_token()) {
      w.Write(2, "TokenExpirationSeconds:\t", source.service_account_token().expiration_seconds(),
              "\n");
    }
  }
}

void DescribeVolumes(Writer& w, const google::protobuf::RepeatedPtrField<core::Volume>& volumes,
                     const std::string& space) {
  if (volumes.empty()) {
    w.Write(0, space, "Volumes:\t<none>\n");
    return;
  }
  w.Write(0, space, "Volumes:\n");
  for (const auto& v : volumes) {
    w.Write(1, v.name(), ":\n");
    if (v.has_empty_dir()) {
      w.Write(2, "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n");
      w.Write(2, "Medium:\t", v.empty_dir().medium(), "\n");
      w.Write(2, "SizeLimit:\t",
              v.empty_dir().size_limit().value().empty() ? "<unset>"
                                                         : v.empty_dir().size_limit().value(),
              "\n");
    } else if (v.has_config_map()) {
      w.Write(2, "Type:\tConfigMap (a volume populated by a ConfigMap)\n");
      w.Write(2, "Name:\t", v.config_map().name(), "\n");
      w.Write(2, "Optional:\t", v.config_map().optional() ? "true" : "false", "\n");
    } else if (v.has_secret()) {
      w.Write(2, "Type:\tSecret (a volume populated by a Secret)\n");
      w.Write(2, "SecretName:\t", v.secret().secret_name(), "\n");
      w.Write(2, "Optional:\t", v.secret().optional() ? "true" : "false", "\n");
    } else if (v.has_host_path()) {
      w.Write(2, "Type:\tHostPath (bare host directory volume)\n");
      w.Write(2, "Path:\t", v.host_path().path(), "\n");
      w.Write(2, "HostPathType:\t", v.host_path().type(), "\n");
    } else if (v.has_projected()) {
      DescribeProjectedVolume(w, v.projected());
    } else if (v.has_downward_api()) {
      w.Write(2, "Type:\tDownwardAPI (a volume populated by information about the pod)\n");
      w.Write(2, "Items:\n");
      DescribeDownwardApiItems(w, v.downward_api().items());
    } else {
      w.Write(2, "<unknown>\n");
    }
  }
}

void DescribePodTemplate(Writer& w, const core::PodTemplateSpec& t) {
  w.Write(0, "Pod Template:\n");
  PrintLabelsMultiline(w, "  Labels", t.metadata().labels());
  if (!t.metadata().annotations().empty()) {
    PrintAnnotationsMultiline(w, "  Annotations", t.metadata().annotations());
  }
  if (!t.spec().service_account_name().empty()) {
    w.Write(1, "Service Account:\t", t.spec().service_account_name(), "\n");
  }
  if (!t.spec().init_containers().empty()) {
    DescribeContainers(w, "Init Containers", t.spec().init_containers(), nullptr, "  ");
  }
  DescribeContainers(w, "Containers", t.spec().containers(), nullptr, "  ");
  DescribeVolumes(w, t.spec().volumes(), "  ");
  PrintTopologySpreadConstraints(w, t.spec().topology_spread_constraints(), "  ");
  if (!t.spec().priority_class_name().empty()) {
    w.Write(0, "  Priority Class Name:\t", t.spec().priority_class_name(), "\n");
  }
  PrintLabelsMultiline(w, "  Node-Selectors", t.spec().node_selector());
  PrintTolerations(w, "  Tolerations", t.spec().tolerations());
}

std::string ControlledBy(const minik8s::meta::v1::ObjectMeta& meta) {
  for (const auto& ref : meta.owner_references()) {
    if (ref.has_controller() && ref.controller()) return absl::StrCat(ref.kind(), "/", ref.name());
  }
  return "";
}

std::string QosClass(const core::Pod& pod) {
  if (!pod.status().qos_class().empty()) return pod.status().qos_class();
  bool any = false, guaranteed = true;
  for (const auto& c : pod.spec().containers()) {
    const auto& r = c.resources();
    if (!r.requests().empty() || !r.limits().empty()) any = true;
    for (const char* name : {"cpu", "memory"}) {
      auto lim = r.limits().find(name);
      if (lim == r.limits().end()) {
        guaranteed = false;
        continue;
      }
      auto req = r.requests().find(name);
      if (req != r.requests().end() &&
          !(api::QuantityOrZero(req->second) == api::QuantityOrZero(lim->second))) {
        guaranteed = false;
      }
    }
  }
  if (!any) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

absl::Time EventSortTime(const core::Event& e) {
  if (!IsZero(e.last_timestamp())) return api::FromProtoTime(e.last_timestamp());
  if (!IsZero(e.event_time())) return api::FromProtoMicroTime(e.event_time());
  return api::FromProtoTime(e.first_timestamp());
}

void DescribeEventsTo(Writer& w, const std::vector<core::Event>& events, absl::Time now) {
  if (events.empty()) {
    w.Write(0, "Events:\t<none>\n");
    return;
  }
  w.Flush();
  std::vector<core::Event> sorted = events;
  std::stable_sort(sorted.begin(), sorted.end(), [](const core::Event& a, const core::Event& b) {
    return EventSortTime(a) < EventSortTime(b);
  });
  w.Write(0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n");
  w.Write(1, "----\t------\t----\t----\t-------\n");
  for (const auto& e : sorted) {
    // As kubectl: the first time from eventTime when set (microseconds),
    // else firstTimestamp; repeats from the series, else count.
    const std::string first = !IsZero(e.event_time()) ? MicroTimestampSince(e.event_time(), now)
                                                      : TimestampSince(e.first_timestamp(), now);
    std::string interval = first;
    if (e.has_series()) {
      interval = absl::StrCat(MicroTimestampSince(e.series().last_observed_time(), now), " (x",
                              e.series().count(), " over ", first, ")");
    } else if (e.count() > 1) {
      interval = absl::StrCat(TimestampSince(e.last_timestamp(), now), " (x", e.count(), " over ",
                              first, ")");
    }
    const std::string source =
        e.source().component().empty() ? e.reporting_component() : e.source().component();
    w.Write(1, e.type(), "\t", e.reason(), "\t", interval, "\t", source, "\t",
            absl::StripAsciiWhitespace(e.message()), "\n");
  }
}

std::string ReplicaSetsByLabels(const std::vector<const apps::ReplicaSet*>& sets) {
  std::vector<std::string> parts;
  for (const auto* rs : sets) {
    parts.push_back(absl::StrCat(rs->metadata().name(), " (", rs->status().replicas(), "/",
                                 rs->spec().has_replicas() ? rs->spec().replicas() : 0,
                                 " replicas created)"));
  }
  if (parts.empty()) return "<none>";
  return absl::StrJoin(parts, ", ");
}

// Percent of `part` in `total` (integer, as kubectl prints it).
int64_t Percent(int64_t part, int64_t total) {
  if (total == 0) return 0;
  return part * 100 / total;
}

}  // namespace

std::string FormatRfc1123z(const minik8s::meta::v1::Time& t) {
  // An unset time is Go's zero time in kubectl's output.
  if (IsZero(t)) return "Mon, 01 Jan 0001 00:00:00 +0000";
  return absl::FormatTime("%a, %d %b %Y %H:%M:%S %z", api::FromProtoTime(t), absl::UTCTimeZone());
}

std::string DescribePodTemplateText(const core::PodTemplateSpec& t) {
  Writer w;
  DescribePodTemplate(w, t);
  return w.Done();
}

std::string DescribeEvents(const std::vector<core::Event>& events, absl::Time now) {
  Writer w;
  DescribeEventsTo(w, events, now);
  return w.Done();
}

std::string DescribePod(const core::Pod& pod, const std::vector<core::Event>& events,
                        absl::Time now) {
  Writer w;
  const auto& meta = pod.metadata();
  w.Write(0, "Name:\t", meta.name(), "\n");
  w.Write(0, "Namespace:\t", meta.namespace_(), "\n");
  if (pod.spec().has_priority()) w.Write(0, "Priority:\t", pod.spec().priority(), "\n");
  if (!pod.spec().priority_class_name().empty()) {
    w.Write(0, "Priority Class Name:\t", pod.spec().priority_class_name(), "\n");
  }
  w.Write(0, "Service Account:\t", pod.spec().service_account_name(), "\n");
  if (pod.spec().node_name().empty()) {
    w.Write(0, "Node:\t<none>\n");
  } else {
    w.Write(0, "Node:\t", pod.spec().node_name(), "/", pod.status().host_ip(), "\n");
  }
  if (pod.status().has_start_time()) {
    w.Write(0, "Start Time:\t", FormatRfc1123z(pod.status().start_time()), "\n");
  }
  PrintLabelsMultiline(w, "Labels", meta.labels());
  PrintAnnotationsMultiline(w, "Annotations", meta.annotations());
  const std::string& phase = pod.status().phase();
  if (meta.has_deletion_timestamp() && phase != "Failed" && phase != "Succeeded") {
    w.Write(0, "Status:\tTerminating (lasts ", TimestampSince(meta.deletion_timestamp(), now),
            ")\n");
    w.Write(0, "Termination Grace Period:\t", meta.deletion_grace_period_seconds(), "s\n");
  } else {
    w.Write(0, "Status:\t", phase, "\n");
  }
  if (!pod.status().reason().empty()) w.Write(0, "Reason:\t", pod.status().reason(), "\n");
  if (!pod.status().message().empty()) w.Write(0, "Message:\t", pod.status().message(), "\n");
  w.Write(0, "IP:\t", pod.status().pod_ip(), "\n");
  if (pod.status().pod_ips().empty()) {
    w.Write(0, "IPs:\t<none>\n");
  } else {
    w.Write(0, "IPs:\n");
    for (const auto& ip : pod.status().pod_ips()) w.Write(1, "IP:\t", ip.ip(), "\n");
  }
  const std::string controller = ControlledBy(meta);
  if (!controller.empty()) w.Write(0, "Controlled By:\t", controller, "\n");
  if (!pod.status().nominated_node_name().empty()) {
    w.Write(0, "NominatedNodeName:\t", pod.status().nominated_node_name(), "\n");
  }
  if (!pod.spec().init_containers().empty()) {
    DescribeContainers(w, "Init Containers", pod.spec().init_containers(),
                       &pod.status().init_container_statuses(), "", &pod);
  }
  DescribeContainers(w, "Containers", pod.spec().containers(), &pod.status().container_statuses(),
                     "", &pod);
  if (!pod.spec().readiness_gates().empty()) {
    w.Write(0, "Readiness Gates:\n  Type\tStatus\n");
    for (const auto& gate : pod.spec().readiness_gates()) {
      std::string status = "<none>";
      for (const auto& c : pod.status().conditions()) {
        if (c.type() == gate.condition_type()) {
          status = c.status();
          break;
        }
      }
      w.Write(1, gate.condition_type(), " \t", status, " \n");
    }
  }
  if (!pod.status().conditions().empty()) {
    w.Write(0, "Conditions:\n  Type\tStatus\n");
    for (const auto& c : pod.status().conditions()) w.Write(1, c.type(), " \t", c.status(), " \n");
  }
  DescribeVolumes(w, pod.spec().volumes(), "");
  w.Write(0, "QoS Class:\t", QosClass(pod), "\n");
  PrintLabelsMultiline(w, "Node-Selectors", pod.spec().node_selector());
  PrintTolerations(w, "Tolerations", pod.spec().tolerations());
  PrintTopologySpreadConstraints(w, pod.spec().topology_spread_constraints(), "");
  DescribeEventsTo(w, events, now);
  return w.Done();
}

void SplitReplicaSets(const apps::Deployment& d, const std::vector<const apps::ReplicaSet*>& owned,
                      std::vector<const apps::ReplicaSet*>* old_rs,
                      const apps::ReplicaSet** new_rs) {
  // Compared as messages: serialized bytes of maps (labels, resources)
  // have no fixed order.
  auto without_hash = [](core::PodTemplateSpec t) {
    t.mutable_metadata()->mutable_labels()->erase("pod-template-hash");
    return t;
  };
  const core::PodTemplateSpec want = without_hash(d.spec().template_());
  std::vector<const apps::ReplicaSet*> sorted = owned;
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) {
    const auto& ta = a->metadata().creation_timestamp();
    const auto& tb = b->metadata().creation_timestamp();
    if (ta.seconds() != tb.seconds()) return ta.seconds() < tb.seconds();
    return a->metadata().name() < b->metadata().name();
  });
  *new_rs = nullptr;
  old_rs->clear();
  for (const auto* rs : sorted) {
    if (*new_rs == nullptr && google::protobuf::util::MessageDifferencer::Equals(
                                  without_hash(rs->spec().template_()), want)) {
      *new_rs = rs;
    } else {
      old_rs->push_back(rs);
    }
  }
}

std::string DescribeDeployment(const apps::Deployment& d,
                               const std::vector<const apps::ReplicaSet*>& old_rs,
                               const apps::ReplicaSet* new_rs,
                               const std::vector<core::Event>& events, absl::Time now) {
  Writer w;
  const auto& meta = d.metadata();
  w.Write(0, "Name:\t", meta.name(), "\n");
  w.Write(0, "Namespace:\t", meta.namespace_(), "\n");
  w.Write(0, "CreationTimestamp:\t", FormatRfc1123z(meta.creation_timestamp()), "\n");
  PrintLabelsMultiline(w, "Labels", meta.labels());
  PrintAnnotationsMultiline(w, "Annotations", meta.annotations());
  w.Write(0, "Selector:\t", SelectorString(d.spec().selector()), "\n");
  const auto& s = d.status();
  w.Write(0, "Replicas:\t", d.spec().has_replicas() ? d.spec().replicas() : 0, " desired | ",
          s.updated_replicas(), " updated | ", s.replicas(), " total | ", s.available_replicas(),
          " available | ", s.unavailable_replicas(), " unavailable\n");
  w.Write(0, "StrategyType:\t", d.spec().strategy().type(), "\n");
  w.Write(0, "MinReadySeconds:\t", d.spec().min_ready_seconds(), "\n");
  if (d.spec().strategy().has_rolling_update()) {
    const auto& ru = d.spec().strategy().rolling_update();
    w.Write(0, "RollingUpdateStrategy:\t", api::IntOrStringToString(ru.max_unavailable()),
            " max unavailable, ", api::IntOrStringToString(ru.max_surge()), " max surge\n");
  }
  DescribePodTemplate(w, d.spec().template_());
  if (!s.conditions().empty()) {
    w.Write(0, "Conditions:\n  Type\tStatus\tReason\n");
    w.Write(1, "----\t------\t------\n");
    for (const auto& c : s.conditions()) {
      w.Write(1, c.type(), " \t", c.status(), "\t", c.reason(), "\n");
    }
  }
  w.Write(0, "OldReplicaSets:\t", ReplicaSetsByLabels(old_rs), "\n");
  std::vector<const apps::ReplicaSet*> news;
  if (new_rs != nullptr) news.push_back(new_rs);
  w.Write(0, "NewReplicaSet:\t", ReplicaSetsByLabels(news), "\n");
  DescribeEventsTo(w, events, now);
  return w.Done();
}

std::string DescribeReplicaSet(const apps::ReplicaSet& rs,
                               const std::vector<const core::Pod*>& pods,
                               const std::vector<core::Event>& events, absl::Time now) {
  Writer w;
  const auto& meta = rs.metadata();
  w.Write(0, "Name:\t", meta.name(), "\n");
  w.Write(0, "Namespace:\t", meta.namespace_(), "\n");
  w.Write(0, "Selector:\t", SelectorString(rs.spec().selector()), "\n");
  PrintLabelsMultiline(w, "Labels", meta.labels());
  PrintAnnotationsMultiline(w, "Annotations", meta.annotations());
  const std::string controller = ControlledBy(meta);
  if (!controller.empty()) w.Write(0, "Controlled By:\t", controller, "\n");
  w.Write(0, "Replicas:\t", rs.status().replicas(), " current / ",
          rs.spec().has_replicas() ? rs.spec().replicas() : 0, " desired\n");
  int running = 0, waiting = 0, succeeded = 0, failed = 0;
  for (const auto* p : pods) {
    const std::string& phase = p->status().phase();
    if (phase == "Running")
      ++running;
    else if (phase == "Pending")
      ++waiting;
    else if (phase == "Succeeded")
      ++succeeded;
    else if (phase == "Failed")
      ++failed;
  }
  w.Write(0, "Pods Status:\t", running, " Running / ", waiting, " Waiting / ", succeeded,
          " Succeeded / ", failed, " Failed\n");
  DescribePodTemplate(w, rs.spec().template_());
  if (!rs.status().conditions().empty()) {
    w.Write(0, "Conditions:\n  Type\tStatus\tReason\n");
    w.Write(1, "----\t------\t------\n");
    for (const auto& c : rs.status().conditions()) {
      w.Write(1, c.type(), " \t", c.status(), "\t", c.reason(), "\n");
    }
  }
  DescribeEventsTo(w, events, now);
  return w.Done();
}

std::string DescribeNode(const core::Node& node, const coordination::v1::Lease* lease,
                         const std::vector<const core::Pod*>& pods,
                         const std::vector<core::Event>& events, absl::Time now) {
  Writer w;
  const auto& meta = node.metadata();
  w.Write(0, "Name:\t", meta.name(), "\n");
  {
    std::vector<std::string> roles;
    for (const auto& [k, v] : meta.labels()) {
      if (absl::StartsWith(k, "node-role.kubernetes.io/")) roles.push_back(k.substr(24));
    }
    std::sort(roles.begin(), roles.end());
    w.Write(0, "Roles:\t", roles.empty() ? "<none>" : absl::StrJoin(roles, ","), "\n");
  }
  PrintLabelsMultiline(w, "Labels", meta.labels());
  PrintAnnotationsMultiline(w, "Annotations", meta.annotations());
  w.Write(0, "CreationTimestamp:\t", FormatRfc1123z(meta.creation_timestamp()), "\n");
  w.Write(0, "Taints:\t");
  if (node.spec().taints().empty()) {
    w.Write(0, "<none>\n");
  } else {
    bool first = true;
    for (const auto& t : node.spec().taints()) {
      if (!first) w.Write(0, "\t");
      first = false;
      w.Write(0, t.key(), t.value().empty() ? "" : "=", t.value(), ":", t.effect(), "\n");
    }
  }
  w.Write(0, "Unschedulable:\t", node.spec().unschedulable() ? "true" : "false", "\n");
  if (lease != nullptr) {
    w.Write(0, "Lease:\n");
    w.Write(1, "HolderIdentity:\t",
            lease->spec().has_holder_identity() ? lease->spec().holder_identity() : "<unset>",
            "\n");
    auto micro = [](const minik8s::meta::v1::MicroTime& t, bool set) -> std::string {
      if (!set) return "<unset>";
      return absl::FormatTime("%a, %d %b %Y %H:%M:%S %z", api::FromProtoMicroTime(t),
                              absl::UTCTimeZone());
    };
    w.Write(1, "AcquireTime:\t",
            micro(lease->spec().acquire_time(), lease->spec().has_acquire_time()), "\n");
    w.Write(1, "RenewTime:\t", micro(lease->spec().renew_time(), lease->spec().has_renew_time()),
            "\n");
  }
  if (!node.status().conditions().empty()) {
    w.Write(
        0, "Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n");
    w.Write(1, "----\t------\t-----------------\t------------------\t------\t-------\n");
    for (const auto& c : node.status().conditions()) {
      w.Write(1, c.type(), " \t", c.status(), " \t", FormatRfc1123z(c.last_heartbeat_time()), " \t",
              FormatRfc1123z(c.last_transition_time()), " \t", c.reason(), " \t", c.message(),
              "\n");
    }
  }
  w.Write(0, "Addresses:\n");
  for (const auto& a : node.status().addresses()) w.Write(1, a.type(), ":\t", a.address(), "\n");
  auto resources = [&w](const std::string& title,
                        const Map<std::string, minik8s::meta::v1::Quantity>& m) {
    if (m.empty()) return;
    w.Write(0, title, ":\n");
    std::map<std::string, std::string> sorted;
    for (const auto& [k, v] : m) sorted[k] = v.value();
    for (const auto& [k, v] : sorted) w.Write(1, k, ":\t", v, "\n");
  };
  resources("Capacity", node.status().capacity());
  resources("Allocatable", node.status().allocatable());
  const auto& info = node.status().node_info();
  w.Write(0, "System Info:\n");
  w.Write(1, "Machine ID:\t", info.machine_id(), "\n");
  w.Write(1, "System UUID:\t", info.system_uuid(), "\n");
  w.Write(1, "Boot ID:\t", info.boot_id(), "\n");
  w.Write(1, "Kernel Version:\t", info.kernel_version(), "\n");
  w.Write(1, "OS Image:\t", info.os_image(), "\n");
  w.Write(1, "Operating System:\t", info.operating_system(), "\n");
  w.Write(1, "Architecture:\t", info.architecture(), "\n");
  w.Write(1, "Container Runtime Version:\t", info.container_runtime_version(), "\n");
  w.Write(1, "Kubelet Version:\t", info.kubelet_version(), "\n");
  w.Write(1, "Kube-Proxy Version:\t", info.kube_proxy_version(), "\n");
  if (!node.spec().pod_cidr().empty()) w.Write(0, "PodCIDR:\t", node.spec().pod_cidr(), "\n");
  if (!node.spec().pod_cidrs().empty()) {
    w.Write(0, "PodCIDRs:\t", absl::StrJoin(node.spec().pod_cidrs(), ","), "\n");
  }
  if (!node.spec().provider_id().empty())
    w.Write(0, "ProviderID:\t", node.spec().provider_id(), "\n");

  // Requests and limits of the pods on the node against its allocatable.
  auto alloc = [&node](const char* name) {
    auto it = node.status().allocatable().find(name);
    return it == node.status().allocatable().end() ? api::Quantity()
                                                   : api::QuantityOrZero(it->second);
  };
  const api::Quantity alloc_cpu = alloc("cpu"), alloc_mem = alloc("memory");
  auto pod_sum = [](const core::Pod& p, bool limits, const char* name) {
    api::Quantity total;
    for (const auto& c : p.spec().containers()) {
      const auto& m = limits ? c.resources().limits() : c.resources().requests();
      auto it = m.find(name);
      if (it != m.end()) total.Add(api::QuantityOrZero(it->second));
    }
    return total;
  };
  auto cpu_cell = [&](const api::Quantity& q) {
    return absl::StrCat(q.String(), " (", Percent(q.MilliValue(), alloc_cpu.MilliValue()), "%)");
  };
  auto mem_cell = [&](const api::Quantity& q) {
    return absl::StrCat(q.String(), " (", Percent(q.Value(), alloc_mem.Value()), "%)");
  };
  w.Write(0, "Non-terminated Pods:\t(", pods.size(), " in total)\n");
  w.Write(1, "Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n");
  w.Write(1, "---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n");
  api::Quantity cpu_req, cpu_lim, mem_req, mem_lim;
  for (const auto* p : pods) {
    const api::Quantity cr = pod_sum(*p, false, "cpu"), cl = pod_sum(*p, true, "cpu");
    const api::Quantity mr = pod_sum(*p, false, "memory"), ml = pod_sum(*p, true, "memory");
    cpu_req.Add(cr);
    cpu_lim.Add(cl);
    mem_req.Add(mr);
    mem_lim.Add(ml);
    w.Write(1, p->metadata().namespace_(), "\t", p->metadata().name(), "\t\t", cpu_cell(cr), "\t",
            cpu_cell(cl), "\t", mem_cell(mr), "\t", mem_cell(ml), "\t",
            TimestampSince(p->metadata().creation_timestamp(), now), "\n");
  }
  w.Write(0,
          "Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n");
  w.Write(1, "Resource\tRequests\tLimits\n");
  w.Write(1, "--------\t--------\t------\n");
  w.Write(1, "cpu\t", cpu_cell(cpu_req), "\t", cpu_cell(cpu_lim), "\n");
  w.Write(1, "memory\t", mem_cell(mem_req), "\t", mem_cell(mem_lim), "\n");
  DescribeEventsTo(w, events, now);
  return w.Done();
}

std::string FormatEndpoints(const std::vector<discovery::v1::EndpointSlice>& slices,
                            const std::optional<std::string>& port_name) {
  if (slices.empty()) return "<none>";
  constexpr int kMax = 3;
  std::vector<std::string> list;
  bool more = false;
  int count = 0;  // every ready endpoint, listed or not
  // As kubectl: "more" is set as soon as the list is full when another
  // endpoint comes up, ready or not.
  auto visit = [&](const discovery::v1::Endpoint& e, const std::optional<int32_t>& port) {
    if (static_cast<int>(list.size()) == kMax) more = true;
    // No condition is an unknown state, read as ready.
    if (e.conditions().has_ready() && !e.conditions().ready()) return;
    if (e.addresses().empty()) return;
    if (!more) {
      const std::string& ip = e.addresses(0);
      if (!port.has_value()) {
        list.push_back(ip);
      } else {
        const std::string host = absl::StrContains(ip, ':') ? absl::StrCat("[", ip, "]") : ip;
        list.push_back(absl::StrCat(host, ":", *port));
      }
    }
    ++count;
  };
  for (const discovery::v1::EndpointSlice& slice : slices) {
    if (slice.ports().empty()) {
      // A headless Service may have no ports: the bare addresses.
      for (const discovery::v1::Endpoint& e : slice.endpoints()) visit(e, std::nullopt);
      continue;
    }
    for (const discovery::v1::EndpointPort& port : slice.ports()) {
      if (port_name.has_value() && port.name() != *port_name) continue;
      for (const discovery::v1::Endpoint& e : slice.endpoints()) visit(e, port.port());
    }
  }
  std::string out = absl::StrJoin(list, ",");
  if (more) absl::StrAppend(&out, " + ", count - kMax, " more...");
  return out;
}

std::string DescribeService(const core::Service& service,
                            const std::vector<discovery::v1::EndpointSlice>& slices,
                            const std::vector<core::Event>& events, absl::Time now) {
  Writer w;
  const auto& meta = service.metadata();
  const auto& spec = service.spec();
  w.Write(0, "Name:\t", meta.name(), "\n");
  w.Write(0, "Namespace:\t", meta.namespace_(), "\n");
  PrintLabelsMultiline(w, "Labels", meta.labels());
  PrintAnnotationsMultiline(w, "Annotations", meta.annotations());
  std::map<std::string, std::string> selector(spec.selector().begin(), spec.selector().end());
  std::vector<std::string> pairs;
  for (const auto& [k, v] : selector) pairs.push_back(absl::StrCat(k, "=", v));
  w.Write(0, "Selector:\t", pairs.empty() ? "<none>" : absl::StrJoin(pairs, ","), "\n");
  w.Write(0, "Type:\t", spec.type(), "\n");
  if (spec.has_ip_family_policy()) w.Write(0, "IP Family Policy:\t", spec.ip_family_policy(), "\n");
  w.Write(0, "IP Families:\t",
          spec.ip_families().empty() ? "<none>" : absl::StrJoin(spec.ip_families(), ","), "\n");
  w.Write(0, "IP:\t", spec.cluster_ip(), "\n");
  w.Write(0, "IPs:\t",
          spec.cluster_ips().empty() ? "<none>" : absl::StrJoin(spec.cluster_ips(), ","), "\n");
  if (!spec.external_ips().empty()) {
    w.Write(0, "External IPs:\t", absl::StrJoin(spec.external_ips(), ","), "\n");
  }
  if (!spec.load_balancer_ip().empty()) {
    w.Write(0, "IP:\t", spec.load_balancer_ip(), "\n");
  }
  if (!spec.external_name().empty()) {
    w.Write(0, "External Name:\t", spec.external_name(), "\n");
  }
  std::vector<std::string> ingress;
  for (const auto& i : service.status().load_balancer().ingress()) {
    ingress.push_back(!i.ip().empty() ? i.ip() : i.hostname());
  }
  if (!ingress.empty()) w.Write(0, "LoadBalancer Ingress:\t", absl::StrJoin(ingress, ", "), "\n");
  for (const core::ServicePort& port : spec.ports()) {
    const std::string name = port.name().empty() ? "<unset>" : port.name();
    w.Write(0, "Port:\t", name, "\t", port.port(), "/", port.protocol(), "\n");
    if (port.target_port().value_case() == minik8s::meta::v1::IntOrString::kStrVal) {
      w.Write(0, "TargetPort:\t", port.target_port().str_val(), "/", port.protocol(), "\n");
    } else {
      w.Write(0, "TargetPort:\t", port.target_port().int_val(), "/", port.protocol(), "\n");
    }
    if (port.node_port() != 0) {
      w.Write(0, "NodePort:\t", name, "\t", port.node_port(), "/", port.protocol(), "\n");
    }
    w.Write(0, "Endpoints:\t", FormatEndpoints(slices, port.name()), "\n");
  }
  w.Write(0, "Session Affinity:\t", spec.session_affinity(), "\n");
  if (!spec.external_traffic_policy().empty()) {
    w.Write(0, "External Traffic Policy:\t", spec.external_traffic_policy(), "\n");
  }
  if (spec.has_internal_traffic_policy()) {
    w.Write(0, "Internal Traffic Policy:\t", spec.internal_traffic_policy(), "\n");
  }
  if (spec.health_check_node_port() != 0) {
    w.Write(0, "HealthCheck NodePort:\t", spec.health_check_node_port(), "\n");
  }
  if (!spec.load_balancer_source_ranges().empty()) {
    w.Write(0, "LoadBalancer Source Ranges:\t",
            absl::StrJoin(spec.load_balancer_source_ranges(), ","), "\n");
  }
  DescribeEventsTo(w, events, now);
  return w.Done();
}

std::string DescribeEndpoints(const core::Endpoints& endpoints,
                              const std::vector<core::Event>& events, absl::Time now) {
  Writer w;
  const auto& meta = endpoints.metadata();
  w.Write(0, "Name:\t", meta.name(), "\n");
  w.Write(0, "Namespace:\t", meta.namespace_(), "\n");
  PrintLabelsMultiline(w, "Labels", meta.labels());
  PrintAnnotationsMultiline(w, "Annotations", meta.annotations());
  w.Write(0, "Subsets:\n");
  for (const core::EndpointSubset& subset : endpoints.subsets()) {
    std::vector<std::string> ready, not_ready;
    for (const auto& a : subset.addresses()) ready.push_back(a.ip());
    for (const auto& a : subset.not_ready_addresses()) not_ready.push_back(a.ip());
    w.Write(0, "  Addresses:\t", ready.empty() ? "<none>" : absl::StrJoin(ready, ","), "\n");
    w.Write(0, "  NotReadyAddresses:\t",
            not_ready.empty() ? "<none>" : absl::StrJoin(not_ready, ","), "\n");
    if (!subset.ports().empty()) {
      w.Write(0, "  Ports:\n");
      w.Write(0, "    Name\tPort\tProtocol\n");
      w.Write(0, "    ----\t----\t--------\n");
      for (const auto& port : subset.ports()) {
        w.Write(0, "    ", port.name().empty() ? "<unset>" : port.name(), "\t", port.port(), "\t",
                port.protocol(), "\n");
      }
    }
    w.Write(0, "\n");
  }
  DescribeEventsTo(w, events, now);
  return w.Done();
}

}  // namespace minik8s::kubectl

namespace minik8s::kubectl {

std::string DescribeJob(const batch::v1::Job& job, const std::vector<core::Event>& events,
                        absl::Time now) {
  Writer w;
  const auto& meta = job.metadata();
  const auto& spec = job.spec();
  const auto& status = job.status();
  w.Write(0, "Name:\t", meta.name(), "\n");
  w.Write(0, "Namespace:\t", meta.namespace_(), "\n");
  w.Write(0, "Selector:\t", SelectorString(spec.selector()), "\n");
  PrintLabelsMultiline(w, "Labels", meta.labels());
  PrintAnnotationsMultiline(w, "Annotations", meta.annotations());
  const std::string controller = ControlledBy(meta);
  if (!controller.empty()) w.Write(0, "Controlled By:\t", controller, "\n");
  if (spec.has_parallelism()) w.Write(0, "Parallelism:\t", spec.parallelism(), "\n");
  if (spec.has_completions()) {
    w.Write(0, "Completions:\t", spec.completions(), "\n");
  } else {
    w.Write(0, "Completions:\t<unset>\n");
  }
  if (spec.has_completion_mode()) w.Write(0, "Completion Mode:\t", spec.completion_mode(), "\n");
  if (spec.has_suspend()) w.Write(0, "Suspend:\t", spec.suspend() ? "true" : "false", "\n");
  if (spec.has_backoff_limit()) w.Write(0, "Backoff Limit:\t", spec.backoff_limit(), "\n");
  if (spec.has_ttl_seconds_after_finished()) {
    w.Write(0, "TTL Seconds After Finished:\t", spec.ttl_seconds_after_finished(), "\n");
  }
  if (status.has_start_time()) {
    w.Write(0, "Start Time:\t", FormatRfc1123z(status.start_time()), "\n");
  }
  if (status.has_completion_time()) {
    w.Write(0, "Completed At:\t", FormatRfc1123z(status.completion_time()), "\n");
  }
  if (status.has_start_time() && status.has_completion_time()) {
    w.Write(0, "Duration:\t",
            printers::HumanDuration(api::FromProtoTime(status.completion_time()) -
                                    api::FromProtoTime(status.start_time())),
            "\n");
  }
  if (spec.has_active_deadline_seconds()) {
    w.Write(0, "Active Deadline Seconds:\t", spec.active_deadline_seconds(), "s\n");
  }
  if (status.has_ready()) {
    w.Write(0, "Pods Statuses:\t", status.active(), " Active (", status.ready(), " Ready) / ",
            status.succeeded(), " Succeeded / ", status.failed(), " Failed\n");
  } else {
    w.Write(0, "Pods Statuses:\t", status.active(), " Active / ", status.succeeded(),
            " Succeeded / ", status.failed(), " Failed\n");
  }
  DescribePodTemplate(w, spec.template_());
  DescribeEventsTo(w, events, now);
  return w.Done();
}

}  // namespace minik8s::kubectl
