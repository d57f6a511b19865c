// ReplicaSet: the table columns and rows, as Kubernetes' printers
// (pkg/printers/internalversion) define them; kube-apiserver serves them
// as a Table and a client hides the priority-1 columns without -o wide.
#include <string>

#include "absl/strings/str_cat.h"
#include "k8s/apps/v1/apps.pb.h"
#include "kinds/printer_entry.h"
#include "printers/duration.h"
#include "printers/format.h"

namespace minik8s::printers {
namespace {

namespace apps = minik8s::apps::v1;

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

KindPrinter ReplicaSetPrinter() {
  return {{NameColumn(),
           {"Desired", "integer", "", "Desired replicas (spec.replicas).", 0},
           {"Current", "integer", "", "Replicas that exist (status.replicas).", 0},
           {"Ready", "integer", "", "Ready replicas (status.readyReplicas).", 0},
           AgeColumn(),
           ContainersColumn(),
           ImagesColumn(),
           SelectorColumn()},
          &TypedRow<apps::ReplicaSet, &ReplicaSetRow>};
}

}  // namespace minik8s::printers
