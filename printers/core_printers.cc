// Printers of the core/v1 kinds: Pod, Node, Event, Namespace. Columns, cell
// types and cell formats follow Kubernetes' pkg/printers/internalversion
// (the table kube-apiserver serves; a client hides priority-1 columns
// without -o wide).
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "k8s/core/v1/core.pb.h"
#include "printers/builtin_printers.h"
#include "printers/duration.h"
#include "printers/format.h"
#include "printers/pod_status.h"

namespace minik8s::printers {
namespace {

namespace core = minik8s::core::v1;

// ---- Pod

Row PodRow(const core::Pod& pod, absl::Time now) {
  const PodSummary s = SummarizePod(pod);
  std::string ip;
  if (pod.status().pod_ips_size() > 0) ip = pod.status().pod_ips(0).ip();
  if (ip.empty()) ip = pod.status().pod_ip();
  Row row;
  row.cells = {pod.metadata().name(),
               absl::StrCat(s.ready_containers, "/", s.total_containers),
               s.status,
               RestartsColumn(s, now),
               TimestampSince(pod.metadata().creation_timestamp(), now),
               OrNone(ip),
               OrNone(pod.spec().node_name()),
               OrNone(pod.status().nominated_node_name()),
               // Pod readiness gates are not part of our PodSpec.
               std::string("<none>")};
  // Finished pods carry a Completed condition, as Kubernetes marks them.
  if (pod.status().phase() == "Succeeded") {
    row.conditions.push_back(
        {"Completed", "True", "Succeeded", "The pod has completed successfully."});
  } else if (pod.status().phase() == "Failed") {
    row.conditions.push_back({"Completed", "True", "Failed", "The pod failed."});
  }
  return row;
}

// ---- Node

std::string NodeStatus(const core::Node& node) {
  std::vector<std::string> status;
  // Kubernetes looks at the Ready condition only (the last one wins when
  // there are several).
  const core::NodeCondition* ready = nullptr;
  for (const auto& c : node.status().conditions()) {
    if (c.type() == "Ready") ready = &c;
  }
  if (ready == nullptr) {
    status.push_back("Unknown");
  } else {
    status.push_back(ready->status() == "True" ? "Ready" : "NotReady");
  }
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

std::string OrUnknown(const std::string& s) { return s.empty() ? "<unknown>" : s; }

Row NodeRow(const core::Node& node, absl::Time now) {
  const auto& info = node.status().node_info();
  Row row;
  row.cells = {node.metadata().name(),
               NodeStatus(node),
               NodeRoles(node),
               TimestampSince(node.metadata().creation_timestamp(), now),
               info.kubelet_version(),
               NodeAddress(node, "InternalIP"),
               NodeAddress(node, "ExternalIP"),
               OrUnknown(info.os_image()),
               OrUnknown(info.kernel_version()),
               OrUnknown(info.container_runtime_version())};
  return row;
}

// ---- Event

std::string EventSource(const core::Event& e) {
  const std::string& component =
      e.source().component().empty() ? e.reporting_component() : e.source().component();
  const std::string& host = e.source().host().empty() ? e.reporting_instance() : e.source().host();
  if (host.empty()) return component;
  return absl::StrCat(component, ", ", host);
}

Row EventRow(const core::Event& e, absl::Time now) {
  std::string first = TimestampSince(e.first_timestamp(), now);
  if (IsZero(e.first_timestamp())) first = MicroTimestampSince(e.event_time(), now);
  std::string last = TimestampSince(e.last_timestamp(), now);
  if (IsZero(e.last_timestamp())) last = first;
  int64_t count = e.count();
  if (e.has_series()) {
    last = MicroTimestampSince(e.series().last_observed_time(), now);
    count = e.series().count();
  } else if (count == 0) {
    count = 1;  // events of the events.k8s.io API leave count unset
  }
  const std::string kind = absl::AsciiStrToLower(e.involved_object().kind());
  std::string target =
      e.involved_object().name().empty() ? kind : absl::StrCat(kind, "/", e.involved_object().name());
  Row row;
  row.cells = {last,
               e.type(),
               e.reason(),
               std::move(target),
               e.involved_object().field_path(),
               EventSource(e),
               std::string(absl::StripAsciiWhitespace(e.message())),
               first,
               count,
               e.metadata().name()};
  return row;
}

// ---- Namespace

Row NamespaceRow(const core::Namespace& ns, absl::Time now) {
  Row row;
  row.cells = {ns.metadata().name(), ns.status().phase(),
               TimestampSince(ns.metadata().creation_timestamp(), now)};
  return row;
}

}  // namespace

KindPrinter PodPrinter() {
  return {{NameColumn(),
           {"Ready", "string", "", "Ready containers out of all containers of the pod.", 0},
           {"Status", "string", "",
            "The pod's phase, or the reason of the container state that explains it best.", 0},
           {"Restarts", "string", "",
            "Container restarts in the pod, and how long ago the last restarted container ended.", 0},
           AgeColumn(),
           {"IP", "string", "", "The pod's first IP address (status.podIPs).", 1},
           {"Node", "string", "", "The node the pod is bound to (spec.nodeName).", 1},
           {"Nominated Node", "string", "",
            "The node the scheduler nominated for the pod when it preempted others "
            "(status.nominatedNodeName).",
            1},
           {"Readiness Gates", "string", "",
            "Readiness gates whose condition is True, out of all readiness gates.", 1}},
          &TypedRow<core::Pod, &PodRow>};
}

KindPrinter NodePrinter() {
  return {{NameColumn(),
           {"Status", "string", "", "Ready, NotReady or Unknown from the Ready condition, "
                                    "and SchedulingDisabled for a cordoned node.", 0},
           {"Roles", "string", "", "Roles from the node-role.kubernetes.io/<role> labels.", 0},
           AgeColumn(),
           {"Version", "string", "", "Kubelet version (status.nodeInfo.kubeletVersion).", 0},
           {"Internal-IP", "string", "", "The node's InternalIP address.", 1},
           {"External-IP", "string", "", "The node's ExternalIP address.", 1},
           {"OS-Image", "string", "", "Operating system image (status.nodeInfo.osImage).", 1},
           {"Kernel-Version", "string", "", "Kernel version (status.nodeInfo.kernelVersion).", 1},
           {"Container-Runtime", "string", "",
            "Container runtime and version (status.nodeInfo.containerRuntimeVersion).", 1}},
          &TypedRow<core::Node, &NodeRow>};
}

KindPrinter EventPrinter() {
  ColumnDefinition name = NameColumn();
  name.priority = 1;
  return {{{"Last Seen", "string", "", "Time since the event was last observed.", 0},
           {"Type", "string", "", "Normal or Warning.", 0},
           {"Reason", "string", "", "Short, machine-readable reason for the event.", 0},
           {"Object", "string", "", "The object the event is about (involvedObject).", 0},
           {"Subobject", "string", "", "The part of the object (involvedObject.fieldPath).", 1},
           {"Source", "string", "", "The component, and host, that reported the event.", 1},
           {"Message", "string", "", "Human-readable description of the event.", 0},
           {"First Seen", "string", "", "Time since the event was first observed.", 1},
           {"Count", "string", "", "How many times the event was observed.", 1},
           std::move(name)},
          &TypedRow<core::Event, &EventRow>};
}

KindPrinter NamespacePrinter() {
  return {{NameColumn(), {"Status", "string", "", "Active or Terminating (status.phase).", 0},
           AgeColumn()},
          &TypedRow<core::Namespace, &NamespaceRow>};
}

}  // namespace minik8s::printers
