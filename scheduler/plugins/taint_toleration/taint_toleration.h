// TaintToleration: filters out nodes with a NoSchedule or NoExecute taint the
// pod does not tolerate (this covers the node lifecycle taints
// node.kubernetes.io/not-ready and node.kubernetes.io/unreachable), and
// scores nodes lower the more PreferNoSchedule taints the pod does not
// tolerate. Kubernetes: pkg/scheduler/framework/plugins/tainttoleration.
#ifndef MINIK8S_SCHEDULER_PLUGINS_TAINT_TOLERATION_TAINT_TOLERATION_H_
#define MINIK8S_SCHEDULER_PLUGINS_TAINT_TOLERATION_TAINT_TOLERATION_H_

#include <memory>
#include <string>
#include <string_view>

#include "google/protobuf/repeated_ptr_field.h"
#include "scheduler/framework/interface.h"

namespace minik8s::scheduler::plugins {

inline constexpr char kTaintTolerationName[] = "TaintToleration";

inline constexpr char kEffectNoSchedule[] = "NoSchedule";
inline constexpr char kEffectPreferNoSchedule[] = "PreferNoSchedule";
inline constexpr char kEffectNoExecute[] = "NoExecute";

using Taints = google::protobuf::RepeatedPtrField<minik8s::core::v1::Taint>;
using Tolerations = google::protobuf::RepeatedPtrField<minik8s::core::v1::Toleration>;

// Kubernetes' Toleration.ToleratesTaint: effects match (an empty toleration
// effect matches all), keys match (an empty key with Exists matches all),
// and operator Exists, or Equal/"" with equal values.
bool ToleratesTaint(const minik8s::core::v1::Toleration& toleration,
                    const minik8s::core::v1::Taint& taint);
bool TaintToleratedByTolerations(const minik8s::core::v1::Taint& taint,
                                 const Tolerations& tolerations);
// The first taint with effect NoSchedule or NoExecute not tolerated, or null.
const minik8s::core::v1::Taint* FindUntoleratedTaint(const Taints& taints,
                                                     const Tolerations& tolerations);
// "node(s) had untolerated taint {key: value}".
std::string UntoleratedTaintReason(const minik8s::core::v1::Taint& taint);
// Number of PreferNoSchedule taints not tolerated by the tolerations whose
// effect is empty or PreferNoSchedule.
int64_t CountIntolerablePreferNoSchedule(const Taints& taints, const Tolerations& tolerations);

class TaintToleration : public FilterPlugin, public ScorePlugin {
 public:
  std::string_view Name() const override { return kTaintTolerationName; }
  FilterStatus Filter(const CycleState& state, const PodInfo& pod,
                      const NodeInfo& node) const override;
  int64_t Score(const CycleState& state, const PodInfo& pod, const NodeInfo& node) const override;
  // Fewer intolerable taints → higher score (reversed default normalize).
  void NormalizeScore(const PodInfo& pod, std::vector<int64_t>& scores) const override;
};

std::unique_ptr<Plugin> NewTaintToleration();

}  // namespace minik8s::scheduler::plugins

#endif  // MINIK8S_SCHEDULER_PLUGINS_TAINT_TOLERATION_TAINT_TOLERATION_H_
