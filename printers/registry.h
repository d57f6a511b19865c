// The registry of kind printers: which columns and rows each kind prints.
// Both the apiserver (meta.k8s.io/v1 Table responses, table_json.h) and mkctl
// (`get` tables) print through it, so a kind's columns live in one place, its
// folder (kinds/<name>/<name>_printer.cc); registry.cc registers every kind
// of kinds/kinds.def, and a kind without a printer prints Kubernetes'
// fallback, NAME and AGE.
//
// Thread safety: the registry is built once on first use and immutable
// afterwards; every function is safe to call concurrently.
#ifndef MINIK8S_PRINTERS_REGISTRY_H_
#define MINIK8S_PRINTERS_REGISTRY_H_

#include <string_view>

#include "absl/time/time.h"
#include "api/scheme.h"
#include "google/protobuf/message.h"
#include "printers/kind_printer.h"

namespace minik8s::printers {

// The printer registered for `kind` (by API group and kind), else the NAME/AGE
// printer. The reference stays valid for the life of the process.
const KindPrinter& PrinterFor(const api::KindInfo& kind);
const KindPrinter& PrinterFor(std::string_view group, std::string_view kind);

// The index of the column whose format is "name", or -1 (none).
int NameColumnIndex(const KindPrinter& printer);

// The row of `object` with exactly one cell per column of `printer` (a row
// function that returns fewer cells, e.g. for a message of another type, is
// padded with empty strings). Ages are relative to `now`.
Row PrintRow(const KindPrinter& printer, const google::protobuf::Message& object, absl::Time now);

}  // namespace minik8s::printers

#endif  // MINIK8S_PRINTERS_REGISTRY_H_
