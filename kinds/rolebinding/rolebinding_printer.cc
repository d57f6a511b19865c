// RoleBinding: the table kinds/rolebinding/subjects.h defines for both binding
// kinds.
#include "k8s/rbac/v1/rbac.pb.h"
#include "kinds/printer_entry.h"
#include "kinds/rolebinding/subjects.h"

namespace minik8s::printers {

KindPrinter RoleBindingPrinter() { return BindingPrinter<rbac::v1::RoleBinding>(); }

}  // namespace minik8s::printers
