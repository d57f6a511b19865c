// Secret: the table columns and rows, as Kubernetes' printers define them
// (NAME TYPE DATA AGE; DATA counts the keys, values are never shown).
#include "k8s/core/v1/core.pb.h"
#include "kinds/printer_entry.h"
#include "printers/duration.h"

namespace minik8s::printers {
namespace {

Row SecretRow(const core::v1::Secret& secret, absl::Time now) {
  Row row;
  row.cells = {secret.metadata().name(), secret.type(), static_cast<int64_t>(secret.data_size()),
               TimestampSince(secret.metadata().creation_timestamp(), now)};
  return row;
}

}  // namespace

KindPrinter SecretPrinter() {
  return {{NameColumn(),
           {"Type", "string", "", "The type of the secret", 0},
           {"Data", "string", "", "The number of entries in the data", 0},
           AgeColumn()},
          &TypedRow<core::v1::Secret, &SecretRow>};
}

}  // namespace minik8s::printers
