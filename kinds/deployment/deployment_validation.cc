// Deployment: defaulting and validation.
#include "k8s/apps/v1/apps.pb.h"
#include "kinds/validation_entry.h"

namespace minik8s::validation {

KindRules DeploymentRules() {
  return RulesOf<apps::v1::Deployment, SetDeploymentDefaults, ValidateDeployment,
                 ValidateDeploymentUpdate>("Deployment.apps");
}

}  // namespace minik8s::validation
