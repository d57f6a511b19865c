// Lease: the scheme entry.
#include "k8s/coordination/v1/coordination.pb.h"
#include "kinds/scheme_entry.h"

namespace minik8s::api {

KindInfo LeaseScheme() {
  return ResourceKind<coordination::v1::Lease, coordination::v1::LeaseList>(
      "coordination.k8s.io", "Lease", "leases", "lease", {}, true);
}

}  // namespace minik8s::api
