// Namespace: the scheme entry.
#include "k8s/core/v1/core.pb.h"
#include "kinds/scheme_entry.h"

namespace minik8s::api {

KindInfo NamespaceScheme() {
  return ResourceKind<core::v1::Namespace, core::v1::NamespaceList>("", "Namespace", "namespaces",
                                                                    "namespace", {"ns"}, false);
}

}  // namespace minik8s::api
