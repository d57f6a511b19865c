#include "api/resource_field.h"

#include <cmath>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "api/quantity.h"

namespace minik8s::api {

absl::StatusOr<std::string> ContainerResourceValue(const core::v1::Container& c,
                                                   const core::v1::ResourceFieldSelector& ref,
                                                   const std::string& allocatable) {
  const std::string& r = ref.resource();
  const size_t dot = r.find('.');
  if (dot == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("unsupported container resource: ", r));
  }
  const bool limit = r.compare(0, dot, "limits") == 0;
  const std::string name = r.substr(dot + 1);
  const auto& m = limit ? c.resources().limits() : c.resources().requests();
  Quantity amount;
  if (auto it = m.find(name); it != m.end()) {
    absl::StatusOr<Quantity> q = Quantity::FromProto(it->second);
    if (!q.ok()) return q.status();
    amount = *q;
  } else if (limit && !allocatable.empty()) {
    // An unset limit is the node's allocatable, as Kubernetes merges it.
    absl::StatusOr<Quantity> q = Quantity::Parse(allocatable);
    if (!q.ok()) return q.status();
    amount = *q;
  }
  Quantity divisor = Quantity::FromInt(1);
  if (ref.has_divisor() && !ref.divisor().value().empty()) {
    absl::StatusOr<Quantity> d = Quantity::FromProto(ref.divisor());
    if (!d.ok()) return d.status();
    if (!d->IsZero()) divisor = *d;
  }
  // As Kubernetes' convertResource*ToString: rounded up, CPU in
  // thousandths, the rest in whole units.
  const double value =
      name == "cpu"
          ? static_cast<double>(amount.MilliValue()) / static_cast<double>(divisor.MilliValue())
          : static_cast<double>(amount.Value()) / static_cast<double>(divisor.Value());
  return absl::StrCat(static_cast<int64_t>(std::ceil(value)));
}

}  // namespace minik8s::api
