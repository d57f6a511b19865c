// Validation of the apps group (pkg/apis/apps/validation): deployments,
// replicasets and the pod template they share.
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

using google::protobuf::util::MessageDifferencer;
using internal::Append;
using internal::kImmutableMsg;
using internal::kMaxInt32;
using internal::NonNegative;
using internal::PrintLabels;
using internal::ValidateAnnotations;
using minik8s::apps::v1::Deployment;
using minik8s::apps::v1::ReplicaSet;
using minik8s::meta::v1::IntOrString;
using minik8s::meta::v1::LabelSelector;
namespace {

std::string PrintIntOrString(const IntOrString& v) {
  if (v.has_str_val()) return v.str_val();
  return std::to_string(v.int_val());
}

void ValidatePositiveIntOrPercent(const IntOrString& v, const FieldPath& path, FieldErrors* errs) {
  if (v.has_str_val()) {
    const std::string& s = v.str_val();
    bool ok = s.size() >= 2 && s.back() == '%' &&
              std::all_of(s.begin(), s.end() - 1, [](char c) { return c >= '0' && c <= '9'; });
    if (!ok) {
      errs->push_back(InvalidPrinted(
          path, PrintIntOrString(v),
          RegexError("a valid percent string must be a numeric string followed by an ending '%'",
                     "[0-9]+%", {"1%", "93%"})));
    }
  } else {
    NonNegative(v.int_val(), path, errs);
  }
}

// The number in `25%` or the int; -1 when it is neither.
int64_t IntOrPercentValue(const IntOrString& v, bool* is_percent) {
  *is_percent = false;
  if (!v.has_str_val()) return v.int_val();
  const std::string& s = v.str_val();
  if (s.size() < 2 || s.back() != '%') return -1;
  int64_t n = 0;
  for (size_t i = 0; i + 1 < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    n = n * 10 + (s[i] - '0');
    if (n > kMaxInt32) return -1;
  }
  *is_percent = true;
  return n;
}

void ValidateDeploymentStrategy(const minik8s::apps::v1::DeploymentStrategy& strategy,
                                const FieldPath& path, FieldErrors* errs) {
  if (strategy.type() == "Recreate") {
    if (strategy.has_rolling_update()) {
      errs->push_back(Forbidden(path.Child("rollingUpdate"),
                                "may not be specified when strategy `type` is 'Recreate'"));
    }
    return;
  }
  if (strategy.type() != "RollingUpdate") {
    errs->push_back(
        NotSupported(path.Child("type"), strategy.type(), {"Recreate", "RollingUpdate"}));
    return;
  }
  if (!strategy.has_rolling_update()) {
    errs->push_back(
        Required(path.Child("rollingUpdate"), "this should be defaulted and never be nil"));
    return;
  }
  FieldPath rp = path.Child("rollingUpdate");
  const auto& ru = strategy.rolling_update();
  ValidatePositiveIntOrPercent(ru.max_unavailable(), rp.Child("maxUnavailable"), errs);
  ValidatePositiveIntOrPercent(ru.max_surge(), rp.Child("maxSurge"), errs);
  bool unavailable_percent, surge_percent;
  int64_t unavailable = IntOrPercentValue(ru.max_unavailable(), &unavailable_percent);
  int64_t surge = IntOrPercentValue(ru.max_surge(), &surge_percent);
  if (unavailable == 0 && surge == 0) {
    errs->push_back(InvalidPrinted(rp.Child("maxUnavailable"),
                                   PrintIntOrString(ru.max_unavailable()),
                                   "may not be 0 when `maxSurge` is 0"));
  }
  if (unavailable_percent && unavailable > 100) {
    errs->push_back(InvalidPrinted(rp.Child("maxUnavailable"),
                                   PrintIntOrString(ru.max_unavailable()),
                                   "must not be greater than 100%"));
  }
}

// The shared part of Deployment and ReplicaSet specs: selector and template.
void ValidateSelectorAndTemplate(bool has_selector, const LabelSelector& selector,
                                 const minik8s::core::v1::PodTemplateSpec& tmpl,
                                 const FieldPath& spec_path, FieldErrors* errs) {
  FieldPath sp = spec_path.Child("selector");
  if (!has_selector) {
    errs->push_back(Required(sp, ""));
  } else {
    Append(errs, ValidateLabelSelector(selector, sp));
    if (selector.match_labels_size() + selector.match_expressions_size() == 0) {
      errs->push_back(InvalidPrinted(sp, PrintLabelSelector(selector),
                                     "empty selector is invalid for deployment"));
    }
  }
  auto parsed = api::LabelSelector::FromProtoOrNothing(has_selector ? &selector : nullptr);
  if (!parsed.ok()) {
    errs->push_back(InvalidPrinted(sp, PrintLabelSelector(selector), "invalid label selector"));
    return;
  }
  Append(errs, ValidatePodTemplateSpecForReplicaSet(tmpl, has_selector ? &selector : nullptr,
                                                    spec_path.Child("template")));
}

FieldErrors ImmutableSelector(bool has_new, const LabelSelector& now, bool has_old,
                              const LabelSelector& old, const FieldPath& path) {
  FieldErrors errs;
  if (has_new != has_old || !MessageDifferencer::Equals(now, old)) {
    errs.push_back(InvalidPrinted(path, has_new ? PrintLabelSelector(now) : "nil", kImmutableMsg));
  }
  return errs;
}

FieldErrors ValidatePodTemplateSpec(const minik8s::core::v1::PodTemplateSpec& tmpl,
                                    const FieldPath& path) {
  FieldErrors errs = ValidateLabels(tmpl.metadata().labels(), path.Child("labels"));
  Append(&errs, ValidateAnnotations(tmpl.metadata().annotations(), path.Child("annotations")));
  Append(&errs, ValidatePodSpec(tmpl.spec(), path.Child("spec")));
  return errs;
}

}  // namespace

FieldErrors ValidatePodTemplateSpecForReplicaSet(const minik8s::core::v1::PodTemplateSpec& tmpl,
                                                 const LabelSelector* selector,
                                                 const FieldPath& path) {
  FieldErrors errs;
  auto parsed = api::LabelSelector::FromProtoOrNothing(selector);
  if (parsed.ok() && !parsed->Empty() && !parsed->Matches(tmpl.metadata().labels())) {
    errs.push_back(InvalidPrinted(path.Child("metadata").Child("labels"),
                                  PrintLabels(tmpl.metadata().labels()),
                                  "`selector` does not match template `labels`"));
  }
  Append(&errs, ValidatePodTemplateSpec(tmpl, path));
  if (tmpl.spec().restart_policy() != "Always") {
    errs.push_back(NotSupported(path.Child("spec").Child("restartPolicy"),
                                tmpl.spec().restart_policy(), {"Always"}));
  }
  if (tmpl.spec().has_active_deadline_seconds()) {
    errs.push_back(Invalid(path.Child("spec").Child("activeDeadlineSeconds"),
                           tmpl.spec().active_deadline_seconds(),
                           "activeDeadlineSeconds in ReplicaSet is not Supported"));
  }
  return errs;
}

FieldErrors ValidateDeployment(const Deployment& d) {
  FieldErrors errs =
      ValidateObjectMeta(d.metadata(), true, NameRule::kDNS1123Subdomain, FieldPath("metadata"));
  FieldPath sp("spec");
  const auto& spec = d.spec();
  NonNegative(spec.replicas(), sp.Child("replicas"), &errs);
  ValidateSelectorAndTemplate(spec.has_selector(), spec.selector(), spec.template_(), sp, &errs);
  ValidateDeploymentStrategy(spec.strategy(), sp.Child("strategy"), &errs);
  NonNegative(spec.min_ready_seconds(), sp.Child("minReadySeconds"), &errs);
  if (spec.has_revision_history_limit()) {
    NonNegative(spec.revision_history_limit(), sp.Child("revisionHistoryLimit"), &errs);
  }
  if (spec.has_progress_deadline_seconds()) {
    NonNegative(spec.progress_deadline_seconds(), sp.Child("progressDeadlineSeconds"), &errs);
    if (spec.progress_deadline_seconds() <= spec.min_ready_seconds()) {
      errs.push_back(Invalid(sp.Child("progressDeadlineSeconds"),
                             static_cast<int64_t>(spec.progress_deadline_seconds()),
                             "must be greater than minReadySeconds"));
    }
  }
  return errs;
}

FieldErrors ValidateDeploymentUpdate(const Deployment& d, const Deployment& old) {
  FieldErrors errs = ValidateObjectMetaUpdate(d.metadata(), old.metadata(), FieldPath("metadata"));
  FieldErrors create = ValidateDeployment(d);
  // The metadata part was checked above with the update rules.
  for (FieldError& e : create) {
    if (!absl::StartsWith(e.field, "metadata")) errs.push_back(std::move(e));
  }
  Append(&errs,
         ImmutableSelector(d.spec().has_selector(), d.spec().selector(), old.spec().has_selector(),
                           old.spec().selector(), FieldPath("spec").Child("selector")));
  return errs;
}

FieldErrors ValidateReplicaSet(const ReplicaSet& rs) {
  FieldErrors errs =
      ValidateObjectMeta(rs.metadata(), true, NameRule::kDNS1123Subdomain, FieldPath("metadata"));
  FieldPath sp("spec");
  NonNegative(rs.spec().replicas(), sp.Child("replicas"), &errs);
  NonNegative(rs.spec().min_ready_seconds(), sp.Child("minReadySeconds"), &errs);
  ValidateSelectorAndTemplate(rs.spec().has_selector(), rs.spec().selector(), rs.spec().template_(),
                              sp, &errs);
  return errs;
}

FieldErrors ValidateReplicaSetUpdate(const ReplicaSet& rs, const ReplicaSet& old) {
  FieldErrors errs = ValidateObjectMetaUpdate(rs.metadata(), old.metadata(), FieldPath("metadata"));
  for (FieldError& e : ValidateReplicaSet(rs)) {
    if (!absl::StartsWith(e.field, "metadata")) errs.push_back(std::move(e));
  }
  Append(&errs, ImmutableSelector(rs.spec().has_selector(), rs.spec().selector(),
                                  old.spec().has_selector(), old.spec().selector(),
                                  FieldPath("spec").Child("selector")));
  return errs;
}

}  // namespace minik8s::validation
