// Deployment: the scheme entry.
#include "k8s/apps/v1/apps.pb.h"
#include "kinds/scheme_entry.h"

namespace minik8s::api {

KindInfo DeploymentScheme() {
  return ResourceKind<apps::v1::Deployment, apps::v1::DeploymentList>(
      "apps", "Deployment", "deployments", "deployment", {"deploy"}, true);
}

}  // namespace minik8s::api
