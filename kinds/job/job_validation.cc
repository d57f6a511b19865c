// Job: defaulting and validation (api/validation/validation_batch.h).
#include "api/validation/validation_batch.h"
#include "k8s/batch/v1/batch.pb.h"
#include "kinds/validation_entry.h"

namespace minik8s::validation {

KindRules JobRules() {
  return RulesOf<batch::v1::Job, SetJobDefaults, ValidateJob, ValidateJobUpdate>("Job.batch");
}

}  // namespace minik8s::validation
