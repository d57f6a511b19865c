// Lease: defaulting and validation.
#include "k8s/coordination/v1/coordination.pb.h"
#include "kinds/validation_entry.h"

namespace minik8s::validation {

KindRules LeaseRules() {
  return RulesOf<coordination::v1::Lease, nullptr, ValidateLease, ValidateLeaseUpdate>(
      "Lease.coordination.k8s.io");
}

}  // namespace minik8s::validation
