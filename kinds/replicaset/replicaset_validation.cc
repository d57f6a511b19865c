// ReplicaSet: defaulting and validation.
#include "k8s/apps/v1/apps.pb.h"
#include "kinds/validation_entry.h"

namespace minik8s::validation {

KindRules ReplicaSetRules() {
  return RulesOf<apps::v1::ReplicaSet, SetReplicaSetDefaults, ValidateReplicaSet,
                 ValidateReplicaSetUpdate>("ReplicaSet.apps");
}

}  // namespace minik8s::validation
