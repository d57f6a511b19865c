#include "scheduler/plugins/taint_toleration/taint_toleration.h"

#include "absl/strings/str_cat.h"

namespace minik8s::scheduler::plugins {

bool ToleratesTaint(const minik8s::core::v1::Toleration& toleration,
                    const minik8s::core::v1::Taint& taint) {
  if (!toleration.effect().empty() && toleration.effect() != taint.effect()) return false;
  if (!toleration.key().empty() && toleration.key() != taint.key()) return false;
  const std::string& op = toleration.operator_();
  if (op == "Exists") return true;
  if (op.empty() || op == "Equal") return toleration.value() == taint.value();
  return false;
}

bool TaintToleratedByTolerations(const minik8s::core::v1::Taint& taint,
                                 const Tolerations& tolerations) {
  for (const auto& t : tolerations) {
    if (ToleratesTaint(t, taint)) return true;
  }
  return false;
}

const minik8s::core::v1::Taint* FindUntoleratedTaint(const Taints& taints,
                                                     const Tolerations& tolerations) {
  for (const auto& taint : taints) {
    if (taint.effect() != kEffectNoSchedule && taint.effect() != kEffectNoExecute) continue;
    if (!TaintToleratedByTolerations(taint, tolerations)) return &taint;
  }
  return nullptr;
}

std::string UntoleratedTaintReason(const minik8s::core::v1::Taint& taint) {
  return absl::StrCat("node(s) had untolerated taint {", taint.key(), ": ", taint.value(), "}");
}

int64_t CountIntolerablePreferNoSchedule(const Taints& taints, const Tolerations& tolerations) {
  Tolerations relevant;
  for (const auto& t : tolerations) {
    if (t.effect().empty() || t.effect() == kEffectPreferNoSchedule) *relevant.Add() = t;
  }
  int64_t count = 0;
  for (const auto& taint : taints) {
    if (taint.effect() != kEffectPreferNoSchedule) continue;
    if (!TaintToleratedByTolerations(taint, relevant)) ++count;
  }
  return count;
}

FilterStatus TaintToleration::Filter(const CycleState& state, const PodInfo& pod,
                                     const NodeInfo& node) const {
  const auto* taint =
      FindUntoleratedTaint(node.node()->spec().taints(), pod.get().spec().tolerations());
  if (taint == nullptr) return FilterStatus::Success();
  return FilterStatus::Unresolvable(UntoleratedTaintReason(*taint));
}

int64_t TaintToleration::Score(const CycleState& state, const PodInfo& pod,
                               const NodeInfo& node) const {
  return CountIntolerablePreferNoSchedule(node.node()->spec().taints(),
                                          pod.get().spec().tolerations());
}

void TaintToleration::NormalizeScore(const PodInfo& pod, std::vector<int64_t>& scores) const {
  DefaultNormalizeScore(kMaxNodeScore, /*reverse=*/true, scores);
}

std::unique_ptr<Plugin> NewTaintToleration() { return std::make_unique<TaintToleration>(); }

}  // namespace minik8s::scheduler::plugins
