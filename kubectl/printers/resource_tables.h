// `kubectl get` tables for each kind, rendered from the shared printers
// (printers/registry.h, the same columns and cells the apiserver serves as a
// meta.k8s.io/v1 Table) the way kubectl renders a server-side Table:
// column names upper-cased, priority-1 columns only with -o wide, plus the
// options that add columns (-A, --show-labels) or prefix the name column
// with the kind (several resource types in one get).
//
// Thread safety: pure functions.
#ifndef MINIK8S_KUBECTL_PRINTERS_RESOURCE_TABLES_H_
#define MINIK8S_KUBECTL_PRINTERS_RESOURCE_TABLES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api/scheme.h"
#include "google/protobuf/message.h"
#include "k8s/meta/v1/meta.pb.h"
#include "kubectl/printers/table.h"
#include "printers/format.h"

namespace minik8s::kubectl {

struct TableOptions {
  bool wide = false;
  bool with_namespace = false;  // -A: NAMESPACE first
  bool show_labels = false;     // LABELS last
  bool with_kind = false;       // NAME is `deployment.apps/x`
  // -L: one column per label key, after the kind's columns and before
  // LABELS, headed by the key's last `/` segment upper-cased.
  std::vector<std::string> label_columns;
  absl::Time now = absl::UnixEpoch();
};

// The table for `objects`, all of kind `kind` (pods, deployments,
// replicasets, nodes, events, namespaces, leases; other kinds get NAME AGE).
// With `with_kind`, the column whose format is "name" is prefixed (kubectl
// leaves tables without a shown name column, such as events without -o
// wide, unprefixed).
Table ResourceTable(const api::KindInfo& kind,
                    const std::vector<const google::protobuf::Message*>& objects,
                    const TableOptions& options);

// `deployment.apps/x`, `pod/x` (the `-o name` form).
std::string QualifiedName(const api::KindInfo& kind, const std::string& name);
// `deployment.apps`, `pod`.
std::string KindPrefix(const api::KindInfo& kind);

// The LABELS column and selector text come from the shared printers.
using printers::LabelsColumn;
using printers::SelectorString;

}  // namespace minik8s::kubectl

#endif  // MINIK8S_KUBECTL_PRINTERS_RESOURCE_TABLES_H_
