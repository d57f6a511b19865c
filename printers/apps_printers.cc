// Columns shared by the kinds that keep pod replicas (apps/v1 Deployment and
// ReplicaSet, kinds/deployment/ and kinds/replicaset/): the pod template's
// containers and images, and the selector; all shown only with -o wide.
#include "printers/builtin_printers.h"

namespace minik8s::printers {

ColumnDefinition ContainersColumn() {
  return {"Containers", "string", "", "Names of the containers in the pod template.", 1};
}
ColumnDefinition ImagesColumn() {
  return {"Images", "string", "", "Images of the containers in the pod template.", 1};
}
ColumnDefinition SelectorColumn() {
  return {"Selector", "string", "", "Label selector of the pods it manages (spec.selector).", 1};
}

}  // namespace minik8s::printers
