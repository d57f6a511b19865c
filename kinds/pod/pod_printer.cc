// Pod: the table columns and rows, as Kubernetes' printers
// (pkg/printers/internalversion) define them; kube-apiserver serves them
// as a Table and a client hides the priority-1 columns without -o wide.
#include <string>

#include "absl/strings/str_cat.h"
#include "k8s/core/v1/core.pb.h"
#include "kinds/printer_entry.h"
#include "printers/duration.h"
#include "printers/format.h"
#include "printers/pod_status.h"

namespace minik8s::printers {
namespace {

namespace core = minik8s::core::v1;

// "<none>", or the readiness gates whose condition is True out of all.
std::string ReadinessGates(const core::Pod& pod) {
  if (pod.spec().readiness_gates().empty()) return "<none>";
  int true_conditions = 0;
  for (const core::PodReadinessGate& gate : pod.spec().readiness_gates()) {
    for (const core::PodCondition& c : pod.status().conditions()) {
      if (c.type() == gate.condition_type()) {
        if (c.status() == "True") ++true_conditions;
        break;
      }
    }
  }
  return absl::StrCat(true_conditions, "/", pod.spec().readiness_gates_size());
}

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
               ReadinessGates(pod)};
  // Finished pods carry a Completed condition, as Kubernetes marks them.
  if (pod.status().phase() == "Succeeded") {
    row.conditions.push_back(
        {"Completed", "True", "Succeeded", "The pod has completed successfully."});
  } else if (pod.status().phase() == "Failed") {
    row.conditions.push_back({"Completed", "True", "Failed", "The pod failed."});
  }
  return row;
}

}  // namespace

KindPrinter PodPrinter() {
  return {
      {NameColumn(),
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

}  // namespace minik8s::printers
