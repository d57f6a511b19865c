// Endpoints: the table columns and rows, as Kubernetes' printers
// (pkg/printers/internalversion printEndpoints, formatEndpoints) define
// them: the first three ready `ip:port` pairs, then `+ N more...`.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "k8s/core/v1/core.pb.h"
#include "kinds/printer_entry.h"
#include "printers/duration.h"

namespace minik8s::printers {
namespace {

namespace core = minik8s::core::v1;

std::string FormatEndpoints(const core::Endpoints& endpoints) {
  if (endpoints.subsets().empty()) return "<none>";
  constexpr int kMax = 3;
  std::vector<std::string> list;
  bool more = false;
  int count = 0;
  for (const auto& subset : endpoints.subsets()) {
    if (subset.ports().empty()) {
      // A headless Service may have no ports.
      count += subset.addresses_size();
      for (const auto& address : subset.addresses()) {
        if (list.size() == kMax) {
          more = true;
          break;
        }
        list.push_back(address.ip());
      }
      continue;
    }
    for (const auto& port : subset.ports()) {
      count += subset.addresses_size();
      for (const auto& address : subset.addresses()) {
        if (list.size() == kMax) {
          more = true;
          break;
        }
        const bool v6 = address.ip().find(':') != std::string::npos;
        list.push_back(v6 ? absl::StrCat("[", address.ip(), "]:", port.port())
                          : absl::StrCat(address.ip(), ":", port.port()));
      }
    }
  }
  std::string out = absl::StrJoin(list, ",");
  if (more) absl::StrAppend(&out, " + ", count - kMax, " more...");
  return out;
}

Row EndpointsRow(const core::Endpoints& endpoints, absl::Time now) {
  Row row;
  row.cells = {endpoints.metadata().name(), FormatEndpoints(endpoints),
               TimestampSince(endpoints.metadata().creation_timestamp(), now)};
  return row;
}

}  // namespace

KindPrinter EndpointsPrinter() {
  return {{NameColumn(), {"Endpoints", "string", "", "Endpoints of the service.", 0}, AgeColumn()},
          &TypedRow<core::Endpoints, &EndpointsRow>};
}

}  // namespace minik8s::printers
