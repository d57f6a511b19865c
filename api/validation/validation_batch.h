// Defaulting, selector generation and validation of batch/v1 Jobs, with
// Kubernetes' rules and messages (pkg/apis/batch/v1/defaults.go,
// pkg/registry/batch/job/strategy.go, pkg/apis/batch/validation).
//
// Not modelled (the fields are not in our Job): podFailurePolicy,
// successPolicy, backoffLimitPerIndex, maxFailedIndexes. completionMode
// Indexed is refused: the job controller runs NonIndexed jobs only.
//
// Thread safety: pure functions.
#ifndef MINIK8S_API_VALIDATION_VALIDATION_BATCH_H_
#define MINIK8S_API_VALIDATION_VALIDATION_BATCH_H_

#include "api/validation/field_error.h"
#include "k8s/batch/v1/batch.pb.h"

namespace minik8s::validation {

// The labels the apiserver puts on a Job's pod template (and the job
// controller on its pods), and the finalizer-less tracking annotation names.
inline constexpr char kJobControllerUidLabel[] = "batch.kubernetes.io/controller-uid";
inline constexpr char kJobNameLabel[] = "batch.kubernetes.io/job-name";
inline constexpr char kLegacyJobControllerUidLabel[] = "controller-uid";
inline constexpr char kLegacyJobNameLabel[] = "job-name";

// completions and parallelism 1 when both are unset, else parallelism 1
// when unset; backoffLimit 6; completionMode NonIndexed; suspend false;
// podReplacementPolicy TerminatingOrFailed; the pod template's spec
// defaults (restartPolicy Always when unset, which validation refuses, as
// Kubernetes does).
void SetJobDefaults(minik8s::batch::v1::Job* job);

// Unless spec.manualSelector is true: manualSelector false, selector
// matchLabels {batch.kubernetes.io/controller-uid: <uid>} and the four
// labels above on the pod template (kept when already set: validation then
// reports a mismatch). Needs metadata.uid; does nothing without one.
void GenerateJobSelector(minik8s::batch::v1::Job* job);

FieldErrors ValidateJob(const minik8s::batch::v1::Job& job);
// Immutable: selector, template, completions, completionMode, managedBy.
FieldErrors ValidateJobUpdate(const minik8s::batch::v1::Job& job,
                              const minik8s::batch::v1::Job& old);

}  // namespace minik8s::validation

#endif  // MINIK8S_API_VALIDATION_VALIDATION_BATCH_H_
