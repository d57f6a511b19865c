// ServiceAccount: the scheme entry.
#include "k8s/core/v1/core.pb.h"
#include "kinds/scheme_entry.h"

namespace minik8s::api {

KindInfo ServiceAccountScheme() {
  return ResourceKind<core::v1::ServiceAccount, core::v1::ServiceAccountList>(
      "", "ServiceAccount", "serviceaccounts", "serviceaccount", {"sa"}, true);
}

}  // namespace minik8s::api
