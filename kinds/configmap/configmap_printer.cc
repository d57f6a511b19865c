// ConfigMap: the table columns and rows, as Kubernetes' printers define them
// (NAME DATA AGE; DATA counts the keys of data and binaryData together).
#include "k8s/core/v1/core.pb.h"
#include "kinds/printer_entry.h"
#include "printers/duration.h"

namespace minik8s::printers {
namespace {

Row ConfigMapRow(const core::v1::ConfigMap& config_map, absl::Time now) {
  Row row;
  row.cells = {config_map.metadata().name(),
               static_cast<int64_t>(config_map.data_size() + config_map.binary_data_size()),
               TimestampSince(config_map.metadata().creation_timestamp(), now)};
  return row;
}

}  // namespace

KindPrinter ConfigMapPrinter() {
  return {
      {NameColumn(), {"Data", "string", "", "The number of entries in the data", 0}, AgeColumn()},
      &TypedRow<core::v1::ConfigMap, &ConfigMapRow>};
}

}  // namespace minik8s::printers
