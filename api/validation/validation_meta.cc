// Validation of the meta group: ObjectMeta (names, namespace, labels,
// annotations, ownerReferences, finalizers) and label selectors
// (apimachinery's ObjectMeta and LabelSelector validation).
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
using internal::kNegativeMsg;
using internal::NonNegative;
using internal::PrintLabels;
using internal::Sorted;
using internal::ValidateAnnotations;
using internal::ValidateLabelName;
using minik8s::meta::v1::LabelSelector;
using minik8s::meta::v1::ObjectMeta;

namespace internal {
namespace {
constexpr int64_t kTotalAnnotationSizeLimit = 256 * 1024;
}  // namespace

void Append(FieldErrors* out, FieldErrors more) {
  out->insert(out->end(), std::make_move_iterator(more.begin()),
              std::make_move_iterator(more.end()));
}

// Go-like iteration over a proto map in key order (deterministic errors).
std::map<std::string, std::string> Sorted(
    const google::protobuf::Map<std::string, std::string>& m) {
  return std::map<std::string, std::string>(m.begin(), m.end());
}

void NonNegative(int64_t value, const FieldPath& path, FieldErrors* errs) {
  if (value < 0) errs->push_back(Invalid(path, value, kNegativeMsg));
}

void ValidateLabelName(std::string_view key, const FieldPath& path, FieldErrors* errs) {
  for (const std::string& msg : IsQualifiedName(key)) errs->push_back(Invalid(path, key, msg));
}

FieldErrors ValidateAnnotations(const google::protobuf::Map<std::string, std::string>& annotations,
                                const FieldPath& path) {
  FieldErrors errs;
  int64_t total = 0;
  for (const auto& [k, v] : Sorted(annotations)) {
    for (const std::string& msg : IsQualifiedName(absl::AsciiStrToLower(k))) {
      errs.push_back(Invalid(path, k, msg));
    }
    total += static_cast<int64_t>(k.size() + v.size());
  }
  if (total > kTotalAnnotationSizeLimit) {
    errs.push_back(TooLong(path, static_cast<int>(kTotalAnnotationSizeLimit)));
  }
  return errs;
}

// The version part of an apiVersion ("apps/v1" → "v1", "v1" → "v1").

std::string PrintLabels(const google::protobuf::Map<std::string, std::string>& labels) {
  if (labels.empty()) return "map[string]string(nil)";
  return PrintStringMap(Sorted(labels));
}

}  // namespace internal

namespace {

// Replaces a trailing '-' so a generateName prefix can be checked as a name.
std::string MaskTrailingDash(std::string_view name) {
  std::string s(name);
  if (s.size() > 1 && s.back() == '-') s.back() = 'a';
  return s;
}

std::vector<std::string> CheckName(NameRule rule, std::string_view name, bool prefix) {
  std::string n = prefix ? MaskTrailingDash(name) : std::string(name);
  switch (rule) {
    case NameRule::kDNS1123Subdomain:
      return IsDNS1123Subdomain(n);
    case NameRule::kDNS1123Label:
      return IsDNS1123Label(n);
    case NameRule::kNone:
      return {};
  }
  return {};
}

std::string VersionOf(std::string_view api_version) {
  size_t slash = api_version.find('/');
  if (slash == std::string_view::npos) return std::string(api_version);
  if (api_version.find('/', slash + 1) != std::string_view::npos) return "";
  return std::string(api_version.substr(slash + 1));
}

FieldErrors ValidateOwnerReferences(
    const google::protobuf::RepeatedPtrField<minik8s::meta::v1::OwnerReference>& refs,
    const FieldPath& path) {
  FieldErrors errs;
  std::vector<std::string> controllers;
  for (const auto& ref : refs) {
    if (VersionOf(ref.api_version()).empty()) {
      errs.push_back(
          Invalid(path.Child("apiVersion"), ref.api_version(), "version must not be empty"));
    }
    if (ref.kind().empty()) {
      errs.push_back(Invalid(path.Child("kind"), ref.kind(), "kind must not be empty"));
    }
    if (ref.name().empty()) {
      errs.push_back(Invalid(path.Child("name"), ref.name(), "name must not be empty"));
    }
    if (ref.uid().empty()) {
      errs.push_back(Invalid(path.Child("uid"), ref.uid(), "uid must not be empty"));
    }
    if (ref.has_controller() && ref.controller()) {
      controllers.push_back(ref.kind() + "/" + ref.name());
    }
  }
  if (controllers.size() > 1) {
    errs.push_back(InvalidPrinted(
        path, "[]v1.OwnerReference{...}",
        "Only one reference can have Controller set to true. Found \"true\" in references for " +
            absl::StrJoin(controllers, " and ")));
  }
  return errs;
}

FieldErrors ValidateFinalizers(const google::protobuf::RepeatedPtrField<std::string>& finalizers,
                               const FieldPath& path) {
  FieldErrors errs;
  for (const std::string& f : finalizers) {
    for (const std::string& msg : IsQualifiedName(f)) errs.push_back(Invalid(path, f, msg));
  }
  return errs;
}

std::string PrintTime(const minik8s::meta::v1::Time& t) {
  return "v1.Time{seconds:" + std::to_string(t.seconds()) + "}";
}

}  // namespace

std::string PrintLabelSelector(const LabelSelector& selector) {
  std::string out = "v1.LabelSelector{MatchLabels:" + PrintLabels(selector.match_labels()) +
                    ", MatchExpressions:";
  if (selector.match_expressions().empty()) {
    out += "[]v1.LabelSelectorRequirement(nil)";
  } else {
    out += "[]v1.LabelSelectorRequirement{";
    for (int i = 0; i < selector.match_expressions_size(); ++i) {
      const auto& e = selector.match_expressions(i);
      if (i > 0) out += ", ";
      std::vector<std::string> values(e.values().begin(), e.values().end());
      out += "v1.LabelSelectorRequirement{Key:" + QuoteValue(e.key()) +
             ", Operator:" + QuoteValue(e.operator_()) + ", Values:" +
             (values.empty() ? std::string("[]string(nil)") : PrintStringSlice(values)) + "}";
    }
    out += "}";
  }
  return out + "}";
}

FieldErrors ValidateLabels(const google::protobuf::Map<std::string, std::string>& labels,
                           const FieldPath& path) {
  FieldErrors errs;
  for (const auto& [k, v] : Sorted(labels)) {
    ValidateLabelName(k, path, &errs);
    for (const std::string& msg : IsValidLabelValue(v)) errs.push_back(Invalid(path, v, msg));
  }
  return errs;
}

FieldErrors ValidateLabelSelector(const LabelSelector& selector, const FieldPath& path) {
  FieldErrors errs;
  for (int i = 0; i < selector.match_expressions_size(); ++i) {
    const auto& e = selector.match_expressions(i);
    FieldPath ep = path.Child("matchExpressions").Index(i);
    const std::string& op = e.operator_();
    if (op == "In" || op == "NotIn") {
      if (e.values().empty()) {
        errs.push_back(
            Required(ep.Child("values"), "must be specified when `operator` is 'In' or 'NotIn'"));
      }
    } else if (op == "Exists" || op == "DoesNotExist") {
      if (!e.values().empty()) {
        errs.push_back(
            Forbidden(ep.Child("values"),
                      "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      }
    } else {
      errs.push_back(Invalid(ep.Child("operator"), op, "not a valid selector operator"));
    }
    ValidateLabelName(e.key(), ep.Child("key"), &errs);
    for (int j = 0; j < e.values_size(); ++j) {
      for (const std::string& msg : IsValidLabelValue(e.values(j))) {
        errs.push_back(Invalid(ep.Child("values").Index(j), e.values(j), msg));
      }
    }
  }
  Append(&errs, ValidateLabels(selector.match_labels(), path.Child("matchLabels")));
  return errs;
}

FieldErrors ValidateObjectMeta(const ObjectMeta& meta, bool namespaced, NameRule rule,
                               const FieldPath& path) {
  FieldErrors errs;
  if (!meta.generate_name().empty()) {
    for (const std::string& msg : CheckName(rule, meta.generate_name(), true)) {
      errs.push_back(Invalid(path.Child("generateName"), meta.generate_name(), msg));
    }
  }
  if (meta.name().empty()) {
    // The apiserver turns generateName into a name before validating; a
    // name-less object with generateName is accepted here for that reason.
    if (meta.generate_name().empty()) {
      errs.push_back(Required(path.Child("name"), "name or generateName is required"));
    }
  } else {
    for (const std::string& msg : CheckName(rule, meta.name(), false)) {
      errs.push_back(Invalid(path.Child("name"), meta.name(), msg));
    }
  }
  if (namespaced) {
    if (meta.namespace_().empty()) {
      errs.push_back(Required(path.Child("namespace"), ""));
    } else {
      for (const std::string& msg : IsDNS1123Label(meta.namespace_())) {
        errs.push_back(Invalid(path.Child("namespace"), meta.namespace_(), msg));
      }
    }
  } else if (!meta.namespace_().empty()) {
    errs.push_back(Forbidden(path.Child("namespace"), "not allowed on this type"));
  }
  NonNegative(meta.generation(), path.Child("generation"), &errs);
  Append(&errs, ValidateLabels(meta.labels(), path.Child("labels")));
  Append(&errs, ValidateAnnotations(meta.annotations(), path.Child("annotations")));
  Append(&errs, ValidateOwnerReferences(meta.owner_references(), path.Child("ownerReferences")));
  Append(&errs, ValidateFinalizers(meta.finalizers(), path.Child("finalizers")));
  return errs;
}

FieldErrors ValidateObjectMetaUpdate(const ObjectMeta& meta, const ObjectMeta& old,
                                     const FieldPath& path) {
  FieldErrors errs;
  if (meta.name() != old.name()) {
    errs.push_back(Invalid(path.Child("name"), meta.name(), kImmutableMsg));
  }
  if (meta.namespace_() != old.namespace_()) {
    errs.push_back(Invalid(path.Child("namespace"), meta.namespace_(), kImmutableMsg));
  }
  if (meta.uid() != old.uid()) {
    errs.push_back(Invalid(path.Child("uid"), meta.uid(), kImmutableMsg));
  }
  if (!MessageDifferencer::Equals(meta.creation_timestamp(), old.creation_timestamp())) {
    errs.push_back(InvalidPrinted(path.Child("creationTimestamp"),
                                  PrintTime(meta.creation_timestamp()), kImmutableMsg));
  }
  NonNegative(meta.generation(), path.Child("generation"), &errs);
  Append(&errs, ValidateLabels(meta.labels(), path.Child("labels")));
  Append(&errs, ValidateAnnotations(meta.annotations(), path.Child("annotations")));
  Append(&errs, ValidateOwnerReferences(meta.owner_references(), path.Child("ownerReferences")));
  Append(&errs, ValidateFinalizers(meta.finalizers(), path.Child("finalizers")));
  return errs;
}

}  // namespace minik8s::validation
