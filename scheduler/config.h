// The scheduler's optional configuration file (--config), YAML:
//
//   schedulerName: default-scheduler     # optional
//   percentageOfNodesToScore: 0          # optional; 0 = adaptive
//   plugins:                             # optional; a missing list = defaults
//     filter:                            # run in this order
//       - NodeUnschedulable
//       - NodeName
//       - TaintToleration
//       - NodeAffinity
//       - NodeResourcesFit
//     score:                             # name + weight (default 1)
//       - name: NodeResourcesLeastAllocated
//         weight: 1
//       - name: SelectorSpread
//         weight: 2
//
// Filter entries may also be written `- name: X`. Unknown keys and unknown
// plugin names are errors (the plugin check happens in Framework::Create).
#ifndef MINIK8S_SCHEDULER_CONFIG_H_
#define MINIK8S_SCHEDULER_CONFIG_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "scheduler/framework/framework.h"

namespace minik8s::scheduler {

struct SchedulerConfig {
  std::optional<std::string> scheduler_name;
  std::optional<int> percentage_of_nodes_to_score;
  Profile profile;
};

absl::StatusOr<SchedulerConfig> ParseSchedulerConfig(std::string_view yaml);
absl::StatusOr<SchedulerConfig> LoadSchedulerConfig(const std::string& path);

}  // namespace minik8s::scheduler

#endif  // MINIK8S_SCHEDULER_CONFIG_H_
