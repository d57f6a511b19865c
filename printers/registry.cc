#include "printers/registry.h"

#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "kinds/printer_entry.h"
#include "kinds/scheme_entry.h"
#include "printers/builtin_printers.h"

namespace minik8s::printers {
namespace {

std::string Key(std::string_view group, std::string_view kind) {
  std::string key(group);
  key.push_back('/');
  key.append(kind);
  return key;
}

struct Registry {
  absl::flat_hash_map<std::string, KindPrinter> by_kind;  // "apps/Deployment"
  KindPrinter fallback;
};

const Registry& TheRegistry() {
  static const Registry* registry = [] {
    auto* r = new Registry();
    // Every kind of kinds/kinds.def, keyed by the group and kind of its
    // scheme entry (kinds/<name>/<name>_scheme.cc); each printer is defined
    // in kinds/<name>/<name>_printer.cc.
#define MINIK8S_KIND(Name)                                           \
  {                                                                  \
    const api::KindInfo kind = api::Name##Scheme();                  \
    r->by_kind.emplace(Key(kind.group, kind.kind), Name##Printer()); \
  }
#include "kinds/kinds.def"
#undef MINIK8S_KIND
    r->fallback = MetadataPrinter();
    return r;
  }();
  return *registry;
}

}  // namespace

const KindPrinter& PrinterFor(std::string_view group, std::string_view kind) {
  const Registry& r = TheRegistry();
  auto it = r.by_kind.find(Key(group, kind));
  return it == r.by_kind.end() ? r.fallback : it->second;
}

const KindPrinter& PrinterFor(const api::KindInfo& kind) {
  return PrinterFor(kind.group, kind.kind);
}

int NameColumnIndex(const KindPrinter& printer) {
  for (size_t i = 0; i < printer.columns.size(); ++i) {
    if (printer.columns[i].format == "name") return static_cast<int>(i);
  }
  return -1;
}

Row PrintRow(const KindPrinter& printer, const google::protobuf::Message& object, absl::Time now) {
  Row row = printer.row != nullptr ? printer.row(object, now) : Row{};
  row.cells.resize(printer.columns.size(), Cell(std::string()));
  return row;
}

}  // namespace minik8s::printers
