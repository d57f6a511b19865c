// Node: the table columns and rows, as Kubernetes' printers
// (pkg/printers/internalversion) define them; kube-apiserver serves them
// as a Table and a client hides the priority-1 columns without -o wide.
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "k8s/core/v1/core.pb.h"
#include "kinds/printer_entry.h"
#include "printers/duration.h"

namespace minik8s::printers {
namespace {

namespace core = minik8s::core::v1;

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

}  // namespace

KindPrinter NodePrinter() {
  return {{NameColumn(),
           {"Status", "string", "",
            "Ready, NotReady or Unknown from the Ready condition, "
            "and SchedulingDisabled for a cordoned node.",
            0},
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

}  // namespace minik8s::printers
