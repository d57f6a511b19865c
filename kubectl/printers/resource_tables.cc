#include "kubectl/printers/resource_tables.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "printers/kind_printer.h"
#include "printers/registry.h"

namespace minik8s::kubectl {

std::string KindPrefix(const api::KindInfo& kind) {
  const std::string lower = absl::AsciiStrToLower(kind.kind);
  if (kind.group.empty()) return lower;
  return absl::StrCat(lower, ".", kind.group);
}

std::string QualifiedName(const api::KindInfo& kind, const std::string& name) {
  return absl::StrCat(KindPrefix(kind), "/", name);
}

Table ResourceTable(const api::KindInfo& kind,
                    const std::vector<const google::protobuf::Message*>& objects,
                    const TableOptions& options) {
  const printers::KindPrinter& printer = printers::PrinterFor(kind);
  // The columns shown: all of them with -o wide, else priority 0 only (as
  // kubectl shows a server-side Table).
  std::vector<size_t> shown;
  for (size_t i = 0; i < printer.columns.size(); ++i) {
    if (options.wide || printer.columns[i].priority == 0) shown.push_back(i);
  }
  const int name_column = printers::NameColumnIndex(printer);

  Table table;
  if (options.with_namespace) table.headers.push_back("NAMESPACE");
  for (size_t i : shown) table.headers.push_back(absl::AsciiStrToUpper(printer.columns[i].name));
  for (const std::string& key : options.label_columns) {
    const size_t slash = key.rfind('/');
    table.headers.push_back(
        absl::AsciiStrToUpper(slash == std::string::npos ? key : key.substr(slash + 1)));
  }
  if (options.show_labels) table.headers.push_back("LABELS");

  for (const google::protobuf::Message* m : objects) {
    const printers::Row row = printers::PrintRow(printer, *m, options.now);
    const minik8s::meta::v1::ObjectMeta& meta = printers::MetadataOf(*m);
    std::vector<std::string> cells;
    cells.reserve(table.headers.size());
    if (options.with_namespace) cells.push_back(meta.namespace_());
    for (size_t i : shown) {
      std::string text = printers::CellText(row.cells[i]);
      if (options.with_kind && static_cast<int>(i) == name_column) {
        text = QualifiedName(kind, text);
      }
      cells.push_back(std::move(text));
    }
    for (const std::string& key : options.label_columns) {
      auto it = meta.labels().find(key);
      cells.push_back(it == meta.labels().end() ? "" : it->second);
    }
    if (options.show_labels) cells.push_back(LabelsColumn(meta.labels()));
    table.rows.push_back(std::move(cells));
  }
  return table;
}

}  // namespace minik8s::kubectl
