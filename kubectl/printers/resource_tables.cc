#include "kubectl/printers/resource_tables.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/selector/labels.h"
#include "k8s/apps/v1/apps.pb.h"
#include "k8s/coordination/v1/coordination.pb.h"
#include "k8s/core/v1/core.pb.h"
#include "kubectl/printers/duration.h"
#include "kubectl/printers/pod_status.h"

namespace minik8s::kubectl {
namespace {

namespace core = minik8s::core::v1;
namespace apps = minik8s::apps::v1;
namespace coordination = minik8s::coordination::v1;
using google::protobuf::Message;

const minik8s::meta::v1::ObjectMeta& Meta(const Message& m) {
  const auto* field = m.GetDescriptor()->FindFieldByName("metadata");
  return static_cast<const minik8s::meta::v1::ObjectMeta&>(
      m.GetReflection()->GetMessage(m, field));
}

std::string OrNone(const std::string& s) { return s.empty() ? "<none>" : s; }

std::vector<std::string> PodRow(const core::Pod& pod, const TableOptions& o) {
  const PodSummary s = SummarizePod(pod);
  std::vector<std::string> row = {
      pod.metadata().name(), absl::StrCat(s.ready_containers, "/", s.total_containers),
      s.status, RestartsColumn(s, o.now), TimestampSince(pod.metadata().creation_timestamp(), o.now)};
  if (o.wide) {
    row.push_back(OrNone(pod.status().pod_ip()));
    row.push_back(OrNone(pod.spec().node_name()));
    row.push_back(OrNone(pod.status().nominated_node_name()));
    row.push_back("<none>");  // readiness gates
  }
  return row;
}

void ContainersAndImages(const core::PodSpec& spec, std::vector<std::string>* row) {
  std::vector<std::string> names, images;
  for (const auto& c : spec.containers()) {
    names.push_back(c.name());
    images.push_back(c.image());
  }
  row->push_back(absl::StrJoin(names, ","));
  row->push_back(absl::StrJoin(images, ","));
}

std::vector<std::string> DeploymentRow(const apps::Deployment& d, const TableOptions& o) {
  const int desired = d.spec().has_replicas() ? d.spec().replicas() : 0;
  std::vector<std::string> row = {d.metadata().name(),
                                  absl::StrCat(d.status().ready_replicas(), "/", desired),
                                  absl::StrCat(d.status().updated_replicas()),
                                  absl::StrCat(d.status().available_replicas()),
                                  TimestampSince(d.metadata().creation_timestamp(), o.now)};
  if (o.wide) {
    ContainersAndImages(d.spec().template_().spec(), &row);
    row.push_back(SelectorString(d.spec().selector()));
  }
  return row;
}

std::vector<std::string> ReplicaSetRow(const apps::ReplicaSet& rs, const TableOptions& o) {
  const int desired = rs.spec().has_replicas() ? rs.spec().replicas() : 0;
  std::vector<std::string> row = {rs.metadata().name(), absl::StrCat(desired),
                                  absl::StrCat(rs.status().replicas()),
                                  absl::StrCat(rs.status().ready_replicas()),
                                  TimestampSince(rs.metadata().creation_timestamp(), o.now)};
  if (o.wide) {
    ContainersAndImages(rs.spec().template_().spec(), &row);
    row.push_back(SelectorString(rs.spec().selector()));
  }
  return row;
}

std::string NodeStatus(const core::Node& node) {
  std::vector<std::string> status;
  bool found = false;
  for (const auto& c : node.status().conditions()) {
    if (c.type() != "Ready") continue;
    found = true;
    status.push_back(c.status() == "True" ? "Ready" : "NotReady");
  }
  if (!found) status.push_back("Unknown");
  if (node.spec().unschedulable()) status.push_back("SchedulingDisabled");
  return absl::StrJoin(status, ",");
}

std::string NodeRoles(const core::Node& node) {
  std::set<std::string> roles;
  constexpr absl::string_view kPrefix = "node-role.kubernetes.io/";
  for (const auto& [key, value] : node.metadata().labels()) {
    if (absl::StartsWith(key, kPrefix)) {
      const std::string role = key.substr(kPrefix.size());
      if (!role.empty()) roles.insert(role);
    } else if (key == "kubernetes.io/role" && !value.empty()) {
      roles.insert(value);
    }
  }
  if (roles.empty()) return "<none>";
  return absl::StrJoin(roles, ",");
}

std::string NodeAddress(const core::Node& node, absl::string_view type) {
  for (const auto& a : node.status().addresses()) {
    if (a.type() == type) return a.address();
  }
  return "<none>";
}

std::vector<std::string> NodeRow(const core::Node& node, const TableOptions& o) {
  std::vector<std::string> row = {node.metadata().name(), NodeStatus(node), NodeRoles(node),
                                  TimestampSince(node.metadata().creation_timestamp(), o.now),
                                  node.status().node_info().kubelet_version()};
  if (o.wide) {
    const auto& info = node.status().node_info();
    row.push_back(NodeAddress(node, "InternalIP"));
    row.push_back(NodeAddress(node, "ExternalIP"));
    row.push_back(OrNone(info.os_image()));
    row.push_back(OrNone(info.kernel_version()));
    row.push_back(OrNone(info.container_runtime_version()));
  }
  return row;
}

std::string EventSource(const core::Event& e) {
  const std::string component =
      e.source().component().empty() ? e.reporting_component() : e.source().component();
  const std::string host =
      e.source().host().empty() ? e.reporting_instance() : e.source().host();
  if (host.empty()) return component;
  return absl::StrCat(component, ", ", host);
}

std::vector<std::string> EventRow(const core::Event& e, const TableOptions& o) {
  std::string first = TimestampSince(e.first_timestamp(), o.now);
  if (IsZero(e.first_timestamp())) first = MicroTimestampSince(e.event_time(), o.now);
  std::string last = TimestampSince(e.last_timestamp(), o.now);
  if (IsZero(e.last_timestamp())) last = first;
  int count = e.count();
  if (e.has_series()) {
    last = MicroTimestampSince(e.series().last_observed_time(), o.now);
    count = e.series().count();
  } else if (count == 0) {
    count = 1;
  }
  const std::string kind = absl::AsciiStrToLower(e.involved_object().kind());
  const std::string target =
      e.involved_object().name().empty() ? kind : absl::StrCat(kind, "/", e.involved_object().name());
  // The apiserver's table (kubectl get events): LAST SEEN is the last time
  // alone, also with -o wide (COUNT and FIRST SEEN are columns there).
  std::vector<std::string> row = {last, e.type(), e.reason(), target};
  if (o.wide) {
    row.push_back(e.involved_object().field_path());
    row.push_back(EventSource(e));
  }
  row.push_back(e.message());
  if (o.wide) {
    row.push_back(first);
    row.push_back(absl::StrCat(count));
    row.push_back(e.metadata().name());
  }
  return row;
}

std::vector<std::string> NamespaceRow(const core::Namespace& ns, const TableOptions& o) {
  return {ns.metadata().name(), ns.status().phase(),
          TimestampSince(ns.metadata().creation_timestamp(), o.now)};
}

std::vector<std::string> LeaseRow(const coordination::Lease& lease, const TableOptions& o) {
  return {lease.metadata().name(), lease.spec().holder_identity(),
          TimestampSince(lease.metadata().creation_timestamp(), o.now)};
}

std::vector<std::string> Headers(const api::KindInfo& kind, bool wide) {
  const std::string& k = kind.kind;
  if (k == "Pod") {
    if (wide) {
      return {"NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE",
              "READINESS GATES"};
    }
    return {"NAME", "READY", "STATUS", "RESTARTS", "AGE"};
  }
  if (k == "Deployment") {
    if (wide) {
      return {"NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES",
              "SELECTOR"};
    }
    return {"NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"};
  }
  if (k == "ReplicaSet") {
    if (wide) {
      return {"NAME", "DESIRED", "CURRENT", "READY", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"};
    }
    return {"NAME", "DESIRED", "CURRENT", "READY", "AGE"};
  }
  if (k == "Node") {
    if (wide) {
      return {"NAME",        "STATUS",      "ROLES",    "AGE",           "VERSION",
              "INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"};
    }
    return {"NAME", "STATUS", "ROLES", "AGE", "VERSION"};
  }
  if (k == "Event") {
    if (wide) {
      return {"LAST SEEN", "TYPE",       "REASON", "OBJECT", "SUBOBJECT",
              "SOURCE",    "MESSAGE",    "FIRST SEEN", "COUNT", "NAME"};
    }
    return {"LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"};
  }
  if (k == "Namespace") return {"NAME", "STATUS", "AGE"};
  if (k == "Lease") return {"NAME", "HOLDER", "AGE"};
  return {"NAME", "AGE"};
}

std::vector<std::string> Row(const api::KindInfo& kind, const Message& m, const TableOptions& o) {
  const std::string& k = kind.kind;
  if (k == "Pod") return PodRow(static_cast<const core::Pod&>(m), o);
  if (k == "Deployment") return DeploymentRow(static_cast<const apps::Deployment&>(m), o);
  if (k == "ReplicaSet") return ReplicaSetRow(static_cast<const apps::ReplicaSet&>(m), o);
  if (k == "Node") return NodeRow(static_cast<const core::Node&>(m), o);
  if (k == "Event") return EventRow(static_cast<const core::Event&>(m), o);
  if (k == "Namespace") return NamespaceRow(static_cast<const core::Namespace&>(m), o);
  if (k == "Lease") return LeaseRow(static_cast<const coordination::Lease&>(m), o);
  return {Meta(m).name(), TimestampSince(Meta(m).creation_timestamp(), o.now)};
}

}  // namespace

std::string KindPrefix(const api::KindInfo& kind) {
  const std::string lower = absl::AsciiStrToLower(kind.kind);
  if (kind.group.empty()) return lower;
  return absl::StrCat(lower, ".", kind.group);
}

std::string QualifiedName(const api::KindInfo& kind, const std::string& name) {
  return absl::StrCat(KindPrefix(kind), "/", name);
}

std::string LabelsColumn(const google::protobuf::Map<std::string, std::string>& labels) {
  if (labels.empty()) return "<none>";
  std::map<std::string, std::string> sorted(labels.begin(), labels.end());
  return absl::StrJoin(sorted, ",", absl::PairFormatter("="));
}

std::string SelectorString(const minik8s::meta::v1::LabelSelector& selector) {
  absl::StatusOr<api::LabelSelector> parsed = api::LabelSelector::FromProto(selector);
  if (!parsed.ok()) return "<error>";
  return parsed->ToString();
}

Table ResourceTable(const api::KindInfo& kind, const std::vector<const Message*>& objects,
                    const TableOptions& options) {
  Table table;
  table.headers = Headers(kind, options.wide);
  // The NAME column is the first one except for events (LAST SEEN first);
  // kubectl prefixes whichever column holds the name.
  const bool name_first = kind.kind != "Event";
  if (options.with_namespace) table.headers.insert(table.headers.begin(), "NAMESPACE");
  if (options.show_labels) table.headers.push_back("LABELS");
  for (const Message* m : objects) {
    std::vector<std::string> row = Row(kind, *m, options);
    if (options.with_kind && name_first) row[0] = QualifiedName(kind, row[0]);
    if (options.with_namespace) row.insert(row.begin(), Meta(*m).namespace_());
    if (options.show_labels) row.push_back(LabelsColumn(Meta(*m).labels()));
    table.rows.push_back(std::move(row));
  }
  return table;
}

}  // namespace minik8s::kubectl
