// Printers of the apps/v1 kinds: Deployment, ReplicaSet (Kubernetes'
// pkg/printers/internalversion columns and cell types).
#include <string>

#include "absl/strings/str_cat.h"
#include "k8s/apps/v1/apps.pb.h"
#include "printers/builtin_printers.h"
#include "printers/duration.h"
#include "printers/format.h"

namespace minik8s::printers {
namespace {

namespace apps = minik8s::apps::v1;

ColumnDefinition ContainersColumn() {
  return {"Containers", "string", "", "Names of the containers in the pod template.", 1};
}
ColumnDefinition ImagesColumn() {
  return {"Images", "string", "", "Images of the containers in the pod template.", 1};
}
ColumnDefinition SelectorColumn() {
  return {"Selector", "string", "", "Label selector of the pods it manages (spec.selector).", 1};
}

Row DeploymentRow(const apps::Deployment& d, absl::Time now) {
  const int64_t desired = d.spec().has_replicas() ? d.spec().replicas() : 0;
  const ContainerCells containers = LayoutContainerCells(d.spec().template_().spec());
  // Kubernetes prints an unparsable deployment selector as `<invalid>` and an
  // empty one as nothing (the replica set column says `<none>`).
  std::string selector_cell = SelectorString(d.spec().selector());
  if (selector_cell == "<error>") selector_cell = "<invalid>";
  Row row;
  row.cells = {d.metadata().name(),
               absl::StrCat(d.status().ready_replicas(), "/", desired),
               int64_t{d.status().updated_replicas()},
               int64_t{d.status().available_replicas()},
               TimestampSince(d.metadata().creation_timestamp(), now),
               containers.names,
               containers.images,
               std::move(selector_cell)};
  return row;
}

Row ReplicaSetRow(const apps::ReplicaSet& rs, absl::Time now) {
  const int64_t desired = rs.spec().has_replicas() ? rs.spec().replicas() : 0;
  const ContainerCells containers = LayoutContainerCells(rs.spec().template_().spec());
  Row row;
  row.cells = {rs.metadata().name(),
               desired,
               int64_t{rs.status().replicas()},
               int64_t{rs.status().ready_replicas()},
               TimestampSince(rs.metadata().creation_timestamp(), now),
               containers.names,
               containers.images,
               FormatLabelSelector(rs.spec().selector())};
  return row;
}

}  // namespace

KindPrinter DeploymentPrinter() {
  // Kubernetes declares READY, UP-TO-DATE and AVAILABLE as string columns
  // although the last two hold integers.
  return {{NameColumn(),
           {"Ready", "string", "", "Ready replicas out of the desired replicas.", 0},
           {"Up-to-date", "string", "",
            "Replicas that run the current pod template (status.updatedReplicas).", 0},
           {"Available", "string", "",
            "Replicas available to serve (status.availableReplicas).", 0},
           AgeColumn(), ContainersColumn(), ImagesColumn(), SelectorColumn()},
          &TypedRow<apps::Deployment, &DeploymentRow>};
}

KindPrinter ReplicaSetPrinter() {
  return {{NameColumn(),
           {"Desired", "integer", "", "Desired replicas (spec.replicas).", 0},
           {"Current", "integer", "", "Replicas that exist (status.replicas).", 0},
           {"Ready", "integer", "", "Ready replicas (status.readyReplicas).", 0},
           AgeColumn(), ContainersColumn(), ImagesColumn(), SelectorColumn()},
          &TypedRow<apps::ReplicaSet, &ReplicaSetRow>};
}

}  // namespace minik8s::printers
