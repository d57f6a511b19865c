// Job (batch/v1): the scheme entry.
#include "k8s/batch/v1/batch.pb.h"
#include "kinds/scheme_entry.h"

namespace minik8s::api {

KindInfo JobScheme() {
  return ResourceKind<batch::v1::Job, batch::v1::JobList>("batch", "Job", "jobs", "job", {}, true);
}

}  // namespace minik8s::api
