// A pod's inter-pod (anti-)affinity terms, compiled once against the pod
// that carries them (Kubernetes' framework.AffinityTerm): the namespaces a
// term looks at, its label selector with the carrying pod's matchLabelKeys
// (`key in (value)`) and mismatchLabelKeys (`key notin (value)`) added, and
// its topology key.
//
// Namespaces: the term's `namespaces`, or the carrying pod's own when that
// list is empty and there is no namespaceSelector; an empty
// namespaceSelector ({}) selects every namespace. Validation refuses a
// namespaceSelector with requirements (the scheduler keeps no namespace
// labels).
#ifndef MINIK8S_SCHEDULER_FRAMEWORK_AFFINITY_TERMS_H_
#define MINIK8S_SCHEDULER_FRAMEWORK_AFFINITY_TERMS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "api/selector/labels.h"
#include "scheduler/framework/types.h"

namespace minik8s::scheduler {

struct AffinityTerm {
  absl::flat_hash_set<std::string> namespaces;
  bool all_namespaces = false;
  api::LabelSelector selector;
  std::string topology_key;
  int32_t weight = 0;  // preferred terms only

  // Whether `pod` is one of the pods this term is about.
  bool Matches(const PodRef& pod) const;
};

struct AffinityTerms {
  std::vector<AffinityTerm> required_affinity;
  std::vector<AffinityTerm> required_anti_affinity;
  std::vector<AffinityTerm> preferred_affinity;
  std::vector<AffinityTerm> preferred_anti_affinity;
};

// Null when `pod` has neither podAffinity nor podAntiAffinity.
std::shared_ptr<const AffinityTerms> CompileAffinityTerms(const Pod& pod);

}  // namespace minik8s::scheduler

#endif  // MINIK8S_SCHEDULER_FRAMEWORK_AFFINITY_TERMS_H_
