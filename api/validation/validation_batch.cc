// Defaulting and validation of the batch group (pkg/apis/batch): Jobs.
#include "api/validation/validation_batch.h"

#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/selector/labels.h"
#include "api/validation/defaults.h"
#include "api/validation/validation.h"
#include "api/validation/validation_internal.h"
#include "google/protobuf/util/message_differencer.h"

namespace minik8s::validation {

using google::protobuf::util::MessageDifferencer;
using internal::Append;
using internal::kImmutableMsg;
using internal::NonNegative;
using internal::PrintLabels;
using internal::ValidateAnnotations;
using minik8s::batch::v1::Job;
using minik8s::batch::v1::JobSpec;

namespace {

constexpr char kNonIndexed[] = "NonIndexed";
constexpr char kTerminatingOrFailed[] = "TerminatingOrFailed";

void ValidateJobSpec(const Job& job, FieldErrors* errs) {
  const JobSpec& spec = job.spec();
  const FieldPath sp("spec");
  if (spec.has_parallelism()) NonNegative(spec.parallelism(), sp.Child("parallelism"), errs);
  if (spec.has_completions()) NonNegative(spec.completions(), sp.Child("completions"), errs);
  if (spec.has_active_deadline_seconds()) {
    NonNegative(spec.active_deadline_seconds(), sp.Child("activeDeadlineSeconds"), errs);
  }
  if (spec.has_backoff_limit()) NonNegative(spec.backoff_limit(), sp.Child("backoffLimit"), errs);
  if (spec.has_ttl_seconds_after_finished()) {
    NonNegative(spec.ttl_seconds_after_finished(), sp.Child("ttlSecondsAfterFinished"), errs);
  }
  if (spec.has_completion_mode() && spec.completion_mode() != kNonIndexed) {
    // Kubernetes also accepts Indexed; the job controller here does not
    // implement it.
    errs->push_back(
        NotSupported(sp.Child("completionMode"), spec.completion_mode(), {kNonIndexed}));
  }
  if (spec.has_pod_replacement_policy() && spec.pod_replacement_policy() != "Failed" &&
      spec.pod_replacement_policy() != kTerminatingOrFailed) {
    errs->push_back(NotSupported(sp.Child("podReplacementPolicy"), spec.pod_replacement_policy(),
                                 {"Failed", kTerminatingOrFailed}));
  }
  if (!spec.has_selector()) {
    errs->push_back(Required(sp.Child("selector"), ""));
  } else {
    Append(errs, ValidateLabelSelector(spec.selector(), sp.Child("selector")));
    auto selector = api::LabelSelector::FromProto(spec.selector());
    if (selector.ok() && !selector->Matches(spec.template_().metadata().labels())) {
      errs->push_back(InvalidPrinted(sp.Child("template").Child("metadata").Child("labels"),
                                     PrintLabels(spec.template_().metadata().labels()),
                                     "`selector` does not match template `labels`"));
    }
  }
  const FieldPath tp = sp.Child("template");
  const auto& tmpl = spec.template_();
  Append(errs, ValidateLabels(tmpl.metadata().labels(), tp.Child("labels")));
  Append(errs, ValidateAnnotations(tmpl.metadata().annotations(), tp.Child("annotations")));
  Append(errs, ValidatePodSpec(tmpl.spec(), tp.Child("spec")));
  const std::string& restart = tmpl.spec().restart_policy();
  if (restart != "OnFailure" && restart != "Never") {
    errs->push_back(
        NotSupported(tp.Child("spec").Child("restartPolicy"), restart, {"OnFailure", "Never"}));
  }
}

// Kubernetes' validateGeneratedSelector: without manualSelector the
// selector must be the generated one.
void ValidateGeneratedSelector(const Job& job, FieldErrors* errs) {
  if (job.spec().has_manual_selector() && job.spec().manual_selector()) return;
  if (job.metadata().uid().empty()) {
    errs->push_back(Required(FieldPath("metadata").Child("uid"), ""));
  }
  if (!job.spec().has_selector()) return;  // reported by ValidateJobSpec
  google::protobuf::Map<std::string, std::string> generated;
  generated[kJobControllerUidLabel] = job.metadata().uid();
  auto selector = api::LabelSelector::FromProto(job.spec().selector());
  if (selector.ok() && !selector->Matches(generated)) {
    errs->push_back(InvalidPrinted(FieldPath("spec").Child("selector"),
                                   PrintLabelSelector(job.spec().selector()),
                                   "`selector` not auto-generated"));
  }
}

}  // namespace

void SetJobDefaults(Job* job) {
  JobSpec* spec = job->mutable_spec();
  if (!spec->has_completions() && !spec->has_parallelism()) {
    spec->set_completions(1);
    spec->set_parallelism(1);
  }
  if (!spec->has_parallelism()) spec->set_parallelism(1);
  if (!spec->has_backoff_limit()) spec->set_backoff_limit(6);
  if (!spec->has_completion_mode()) spec->set_completion_mode(kNonIndexed);
  if (!spec->has_suspend()) spec->set_suspend(false);
  if (!spec->has_pod_replacement_policy()) spec->set_pod_replacement_policy(kTerminatingOrFailed);
  SetPodSpecDefaults(spec->mutable_template_()->mutable_spec());
}

void GenerateJobSelector(Job* job) {
  JobSpec* spec = job->mutable_spec();
  if (spec->has_manual_selector() && spec->manual_selector()) return;
  const std::string& uid = job->metadata().uid();
  if (uid.empty()) return;
  spec->set_manual_selector(false);
  auto* labels = spec->mutable_template_()->mutable_metadata()->mutable_labels();
  const std::string& name = job->metadata().name();
  for (const auto& [key, value] :
       {std::pair<const char*, const std::string*>{kJobControllerUidLabel, &uid},
        {kJobNameLabel, &name},
        {kLegacyJobControllerUidLabel, &uid},
        {kLegacyJobNameLabel, &name}}) {
    if (labels->find(key) == labels->end()) (*labels)[key] = *value;
  }
  if (!spec->has_selector()) {
    (*spec->mutable_selector()->mutable_match_labels())[kJobControllerUidLabel] = uid;
  }
}

FieldErrors ValidateJob(const Job& job) {
  FieldErrors errs =
      ValidateObjectMeta(job.metadata(), true, NameRule::kDNS1123Subdomain, FieldPath("metadata"));
  ValidateGeneratedSelector(job, &errs);
  ValidateJobSpec(job, &errs);
  return errs;
}

FieldErrors ValidateJobUpdate(const Job& job, const Job& old) {
  FieldErrors errs =
      ValidateObjectMetaUpdate(job.metadata(), old.metadata(), FieldPath("metadata"));
  for (FieldError& e : ValidateJob(job)) {
    if (!absl::StartsWith(e.field, "metadata")) errs.push_back(std::move(e));
  }
  const JobSpec& now = job.spec();
  const JobSpec& was = old.spec();
  const FieldPath sp("spec");
  if (now.has_selector() != was.has_selector() ||
      !MessageDifferencer::Equals(now.selector(), was.selector())) {
    errs.push_back(InvalidPrinted(sp.Child("selector"),
                                  now.has_selector() ? PrintLabelSelector(now.selector()) : "nil",
                                  kImmutableMsg));
  }
  if (!MessageDifferencer::Equals(now.template_(), was.template_())) {
    errs.push_back(
        InvalidPrinted(sp.Child("template"), "core.PodTemplateSpec{...}", kImmutableMsg));
  }
  if (now.has_completions() != was.has_completions() || now.completions() != was.completions()) {
    errs.push_back(InvalidPrinted(
        sp.Child("completions"), now.has_completions() ? std::to_string(now.completions()) : "null",
        kImmutableMsg));
  }
  if (now.completion_mode() != was.completion_mode()) {
    errs.push_back(Invalid(sp.Child("completionMode"), now.completion_mode(), kImmutableMsg));
  }
  if (now.managed_by() != was.managed_by()) {
    errs.push_back(Invalid(sp.Child("managedBy"), now.managed_by(), kImmutableMsg));
  }
  return errs;
}

}  // namespace minik8s::validation
