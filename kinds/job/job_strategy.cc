// Jobs (batch/v1): status subresource (the job controller owns status,
// cleared on create), generation on spec change, the "all" discovery
// category, and Kubernetes' selector generation (pkg/registry/batch/job
// strategy.go generateSelector): unless spec.manualSelector is true, a
// created Job gets the selector batch.kubernetes.io/controller-uid=<uid>
// and its pod template the labels batch.kubernetes.io/controller-uid,
// batch.kubernetes.io/job-name and their legacy unprefixed forms
// controller-uid and job-name; manualSelector is set to false. It runs
// after defaulting (the uid is set by then) and before validation, which
// checks the generated selector against the template.
#ifdef MINIK8S_APISERVER_HAVE_VALIDATION
#include "api/validation/validation_batch.h"
#endif
#include "k8s/batch/v1/batch.pb.h"
#include "kinds/strategy_entry.h"

namespace minik8s::apiserver {
namespace {

using batch::v1::Job;

class JobStrategy : public Strategy {
 public:
  explicit JobStrategy(const api::KindInfo* kind)
      : Strategy(kind, Traits{.status_subresource = true,
                              .clear_status_on_create = true,
                              .generation = true,
                              .categories = {"all"}}) {}

  absl::Status Admit(google::protobuf::Message* object, const google::protobuf::Message* old,
                     const AdmissionOptions& options) const override {
#ifdef MINIK8S_APISERVER_HAVE_VALIDATION
    if (old == nullptr) validation::GenerateJobSelector(static_cast<Job*>(object));
#endif
    return absl::OkStatus();
  }
};

}  // namespace

std::unique_ptr<Strategy> NewJobStrategy(const api::KindInfo* kind) {
  return std::make_unique<JobStrategy>(kind);
}

}  // namespace minik8s::apiserver
