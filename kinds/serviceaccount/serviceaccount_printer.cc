// ServiceAccount: the table columns and rows, as Kubernetes' printers define
// them (NAME SECRETS AGE; SECRETS counts the listed token Secrets).
#include "k8s/core/v1/core.pb.h"
#include "kinds/printer_entry.h"
#include "printers/duration.h"

namespace minik8s::printers {
namespace {

Row ServiceAccountRow(const core::v1::ServiceAccount& account, absl::Time now) {
  Row row;
  row.cells = {account.metadata().name(), static_cast<int64_t>(account.secrets_size()),
               TimestampSince(account.metadata().creation_timestamp(), now)};
  return row;
}

}  // namespace

KindPrinter ServiceAccountPrinter() {
  return {{NameColumn(),
           {"Secrets", "string", "", "Secrets is a list of the secrets in the same namespace", 0},
           AgeColumn()},
          &TypedRow<core::v1::ServiceAccount, &ServiceAccountRow>};
}

}  // namespace minik8s::printers
