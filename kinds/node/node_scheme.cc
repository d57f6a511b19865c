// Node: the scheme entry.
#include "k8s/core/v1/core.pb.h"
#include "kinds/scheme_entry.h"

namespace minik8s::api {

KindInfo NodeScheme() {
  return ResourceKind<core::v1::Node, core::v1::NodeList>("", "Node", "nodes", "node", {"no"},
                                                          false);
}

}  // namespace minik8s::api
