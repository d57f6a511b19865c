// EndpointSlice: the table columns and rows, as Kubernetes' printers
// (pkg/printers/internalversion printEndpointSlice) define them: the first
// three ports and addresses, `+ N more...`, `<unset>` for none.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "k8s/discovery/v1/discovery.pb.h"
#include "kinds/printer_entry.h"
#include "printers/duration.h"

namespace minik8s::printers {
namespace {

namespace discovery = minik8s::discovery::v1;
constexpr int kMax = 3;

std::string ListWithMore(const std::vector<std::string>& list, bool more, int count) {
  std::string out = absl::StrJoin(list, ",");
  if (more) return absl::StrCat(out, " + ", count - kMax, " more...");
  return out.empty() ? "<unset>" : out;
}

std::string Ports(const discovery::EndpointSlice& slice) {
  std::vector<std::string> list;
  bool more = false;
  int count = 0;
  for (const auto& port : slice.ports()) {
    if (static_cast<int>(list.size()) < kMax) {
      std::string number = "*";
      if (port.has_port()) {
        number = absl::StrCat(port.port());
      } else if (port.has_name()) {
        number = port.name();
      }
      list.push_back(number);
    } else {
      more = true;
    }
    ++count;
  }
  return ListWithMore(list, more, count);
}

std::string Endpoints(const discovery::EndpointSlice& slice) {
  std::vector<std::string> list;
  bool more = false;
  int count = 0;
  for (const auto& endpoint : slice.endpoints()) {
    for (const std::string& address : endpoint.addresses()) {
      if (static_cast<int>(list.size()) < kMax) {
        list.push_back(address);
      } else {
        more = true;
      }
      ++count;
    }
  }
  return ListWithMore(list, more, count);
}

Row EndpointSliceRow(const discovery::EndpointSlice& slice, absl::Time now) {
  Row row;
  row.cells = {slice.metadata().name(), slice.address_type(), Ports(slice), Endpoints(slice),
               TimestampSince(slice.metadata().creation_timestamp(), now)};
  return row;
}

}  // namespace

KindPrinter EndpointSlicePrinter() {
  return {{NameColumn(),
           {"AddressType", "string", "", "The type of address held by the EndpointSlice.", 0},
           {"Ports", "string", "", "Ports held by the EndpointSlice.", 0},
           {"Endpoints", "string", "", "Addresses of the endpoints.", 0},
           AgeColumn()},
          &TypedRow<discovery::EndpointSlice, &EndpointSliceRow>};
}

}  // namespace minik8s::printers
