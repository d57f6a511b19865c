// How one kind prints as a table: the column definitions and a function that
// turns one object into a row of typed cells. This is the data model of
// Kubernetes' server-side printers (pkg/printers/internalversion, served as a
// meta.k8s.io/v1 Table): the apiserver sends every column, and a client shows
// the `priority: 1` ones only with `-o wide`.
//
// A kind's printer lives in its folder (kinds/<name>/<name>_printer.cc);
// registry.cc registers the printer of every kind of kinds/kinds.def.
//
// Thread safety: KindPrinter values are immutable once registered; RowFunction
// implementations are pure and may be called concurrently.
#ifndef MINIK8S_PRINTERS_KIND_PRINTER_H_
#define MINIK8S_PRINTERS_KIND_PRINTER_H_

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "k8s/meta/v1/meta.pb.h"

namespace minik8s::printers {

// One column (meta.k8s.io/v1 TableColumnDefinition).
struct ColumnDefinition {
  // Kubernetes' spelling ("Name", "Up-to-date", "Nominated Node"); kubectl
  // prints it upper-cased.
  std::string name;
  // OpenAPI type of the column: "string", "integer", "number", "boolean",
  // "date". Kubernetes' declared type does not always match the cells (the
  // Deployment's "Up-to-date" is a "string" column of integer cells); the
  // declarations here follow Kubernetes, not the cells.
  std::string type = "string";
  // "name" marks the column that holds the object's name (kubectl prefixes
  // it with the kind for `get a,b`); empty otherwise.
  std::string format;
  std::string description;
  // 0: always shown; 1: shown only with `-o wide`.
  int priority = 0;
};

// A cell as Kubernetes' printers fill it: a string or an integer (int64 in
// Go, a JSON number on the wire).
using Cell = std::variant<std::string, int64_t>;

// The cell as kubectl prints it (integers in decimal).
std::string CellText(const Cell& cell);

// meta.k8s.io/v1 TableRowCondition (Kubernetes marks finished pods with
// type "Completed").
struct RowCondition {
  std::string type;
  std::string status;
  std::string reason;
  std::string message;
};

struct Row {
  // One cell per column of the kind's printer, in column order, wide
  // (priority 1) columns included.
  std::vector<Cell> cells;
  std::vector<RowCondition> conditions;
};

// Builds the row of `object`, a message of the kind the function is
// registered for; relative times (AGE, LAST SEEN, RESTARTS) are computed at
// `now`, as Kubernetes computes them when it prints.
using RowFunction = Row (*)(const google::protobuf::Message& object, absl::Time now);

struct KindPrinter {
  std::vector<ColumnDefinition> columns;
  RowFunction row = nullptr;
};

// The object's metadata (its `metadata` field), or an empty ObjectMeta for a
// message without one. The reference lives as long as `object`.
const minik8s::meta::v1::ObjectMeta& MetadataOf(const google::protobuf::Message& object);

}  // namespace minik8s::printers

#endif  // MINIK8S_PRINTERS_KIND_PRINTER_H_
