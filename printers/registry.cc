#include "printers/registry.h"

#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
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
    // One entry per kind with columns of its own; a new kind adds a line.
    r->by_kind.emplace(Key("", "Pod"), PodPrinter());
    r->by_kind.emplace(Key("", "Node"), NodePrinter());
    r->by_kind.emplace(Key("", "Event"), EventPrinter());
    r->by_kind.emplace(Key("", "Namespace"), NamespacePrinter());
    r->by_kind.emplace(Key("apps", "Deployment"), DeploymentPrinter());
    r->by_kind.emplace(Key("apps", "ReplicaSet"), ReplicaSetPrinter());
    r->by_kind.emplace(Key("coordination.k8s.io", "Lease"), LeasePrinter());
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
