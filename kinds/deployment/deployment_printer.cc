// Deployment: the table columns and rows, as Kubernetes' printers
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

}  // namespace

KindPrinter DeploymentPrinter() {
  // Kubernetes declares READY, UP-TO-DATE and AVAILABLE as string columns
  // although the last two hold integers.
  return {
      {NameColumn(),
       {"Ready", "string", "", "Ready replicas out of the desired replicas.", 0},
       {"Up-to-date", "string", "",
        "Replicas that run the current pod template (status.updatedReplicas).", 0},
       {"Available", "string", "", "Replicas available to serve (status.availableReplicas).", 0},
       AgeColumn(),
       ContainersColumn(),
       ImagesColumn(),
       SelectorColumn()},
      &TypedRow<apps::Deployment, &DeploymentRow>};
}

}  // namespace minik8s::printers
