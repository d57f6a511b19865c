// Validation of the coordination.k8s.io group (pkg/apis/coordination/validation):
// leases.
#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "api/quantity.h"
#include "api/selector/labels.h"
#include "api/validation/names.h"
#include "api/validation/validation.h"
#include "api/validation/validation_internal.h"
#include "google/protobuf/util/message_differencer.h"

namespace minik8s::validation {

using internal::Append;
using internal::kNegativeMsg;
using minik8s::coordination::v1::Lease;
namespace {
FieldErrors ValidateLeaseSpec(const Lease& lease) {
  FieldErrors errs;
  FieldPath sp("spec");
  if (lease.spec().has_lease_duration_seconds() && lease.spec().lease_duration_seconds() <= 0) {
    errs.push_back(Invalid(sp.Child("leaseDurationSeconds"),
                           static_cast<int64_t>(lease.spec().lease_duration_seconds()),
                           "must be greater than 0"));
  }
  if (lease.spec().has_lease_transitions() && lease.spec().lease_transitions() < 0) {
    errs.push_back(Invalid(sp.Child("leaseTransitions"),
                           static_cast<int64_t>(lease.spec().lease_transitions()), kNegativeMsg));
  }
  return errs;
}
}  // namespace

FieldErrors ValidateLease(const Lease& lease) {
  FieldErrors errs = ValidateObjectMeta(lease.metadata(), true, NameRule::kDNS1123Subdomain,
                                        FieldPath("metadata"));
  Append(&errs, ValidateLeaseSpec(lease));
  return errs;
}

FieldErrors ValidateLeaseUpdate(const Lease& lease, const Lease& old) {
  FieldErrors errs =
      ValidateObjectMetaUpdate(lease.metadata(), old.metadata(), FieldPath("metadata"));
  Append(&errs, ValidateLeaseSpec(lease));
  return errs;
}

}  // namespace minik8s::validation
