// `kubectl get` tables for each kind: the columns and cell formats of
// Kubernetes' printers (pkg/printers/internalversion), plus the options that
// add columns (-o wide, -A, --show-labels) or prefix names with the kind
// (several resource types in one get).
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

namespace minik8s::kubectl {

struct TableOptions {
  bool wide = false;
  bool with_namespace = false;  // -A: NAMESPACE first
  bool show_labels = false;     // LABELS last
  bool with_kind = false;       // NAME is `deployment.apps/x`
  absl::Time now = absl::UnixEpoch();
};

// The table for `objects`, all of kind `kind` (pods, deployments,
// replicasets, nodes, events, namespaces, leases; other kinds get NAME AGE).
Table ResourceTable(const api::KindInfo& kind,
                    const std::vector<const google::protobuf::Message*>& objects,
                    const TableOptions& options);

// `deployment.apps/x`, `pod/x` (the `-o name` form).
std::string QualifiedName(const api::KindInfo& kind, const std::string& name);
// `deployment.apps`, `pod`.
std::string KindPrefix(const api::KindInfo& kind);

// `a=b,c=d` sorted by key, `<none>` when empty.
std::string LabelsColumn(const google::protobuf::Map<std::string, std::string>& labels);
// A label selector in Kubernetes' canonical string form (`app=web,tier in (a,b)`).
std::string SelectorString(const minik8s::meta::v1::LabelSelector& selector);

}  // namespace minik8s::kubectl

#endif  // MINIK8S_KUBECTL_PRINTERS_RESOURCE_TABLES_H_
