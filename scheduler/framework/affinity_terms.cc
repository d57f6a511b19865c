#include "scheduler/framework/affinity_terms.h"

#include <utility>

namespace minik8s::scheduler {
namespace {

using minik8s::core::v1::PodAffinityTerm;

AffinityTerm Compile(const PodAffinityTerm& t, const Pod& owner, int32_t weight) {
  AffinityTerm out;
  out.topology_key = t.topology_key();
  out.weight = weight;
  for (const std::string& ns : t.namespaces()) out.namespaces.insert(ns);
  if (t.has_namespace_selector()) {
    const auto& ns_selector = t.namespace_selector();
    out.all_namespaces =
        ns_selector.match_labels().empty() && ns_selector.match_expressions().empty();
  } else if (t.namespaces().empty()) {
    out.namespaces.insert(owner.metadata().namespace_());
  }
  // A term without a labelSelector matches no pod, as in Kubernetes.
  auto selector = api::LabelSelector::FromProtoOrNothing(
      t.has_label_selector() ? &t.label_selector() : nullptr);
  out.selector = selector.ok() ? *std::move(selector) : api::LabelSelector::Nothing();
  const auto& labels = owner.metadata().labels();
  auto add = [&](const std::string& key, api::LabelRequirement::Operator op) {
    auto it = labels.find(key);
    if (it == labels.end()) return;
    auto req = api::LabelRequirement::Make(key, op, {it->second});
    if (req.ok()) out.selector.Add(*std::move(req));
  };
  for (const std::string& key : t.match_label_keys())
    add(key, api::LabelRequirement::Operator::kIn);
  for (const std::string& key : t.mismatch_label_keys()) {
    add(key, api::LabelRequirement::Operator::kNotIn);
  }
  return out;
}

}  // namespace

bool AffinityTerm::Matches(const PodRef& pod) const {
  if (!all_namespaces && !namespaces.contains(pod.namespace_name)) return false;
  return selector.Matches(pod.labels);
}

std::shared_ptr<const AffinityTerms> CompileAffinityTerms(const Pod& pod) {
  const auto& affinity = pod.spec().affinity();
  if (!affinity.has_pod_affinity() && !affinity.has_pod_anti_affinity()) return nullptr;
  auto terms = std::make_shared<AffinityTerms>();
  const auto& a = affinity.pod_affinity();
  for (const auto& t : a.required_during_scheduling_ignored_during_execution()) {
    terms->required_affinity.push_back(Compile(t, pod, 0));
  }
  for (const auto& w : a.preferred_during_scheduling_ignored_during_execution()) {
    terms->preferred_affinity.push_back(Compile(w.pod_affinity_term(), pod, w.weight()));
  }
  const auto& anti = affinity.pod_anti_affinity();
  for (const auto& t : anti.required_during_scheduling_ignored_during_execution()) {
    terms->required_anti_affinity.push_back(Compile(t, pod, 0));
  }
  for (const auto& w : anti.preferred_during_scheduling_ignored_during_execution()) {
    terms->preferred_anti_affinity.push_back(Compile(w.pod_affinity_term(), pod, w.weight()));
  }
  return terms;
}

}  // namespace minik8s::scheduler
