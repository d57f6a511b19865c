// Validation of the rbac.authorization.k8s.io group (pkg/apis/rbac/validation).
#include "api/validation/validation_rbac.h"

#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/validation/names.h"
#include "api/validation/validation.h"
#include "api/validation/validation_internal.h"

namespace minik8s::validation {

using internal::Append;
using minik8s::rbac::v1::ClusterRole;
using minik8s::rbac::v1::ClusterRoleBinding;
using minik8s::rbac::v1::PolicyRule;
using minik8s::rbac::v1::Role;
using minik8s::rbac::v1::RoleBinding;
using minik8s::rbac::v1::RoleRef;
using minik8s::rbac::v1::Subject;

namespace {

// Kubernetes' path.IsValidPathSegmentName: RBAC names appear in URLs.
std::vector<std::string> PathSegmentNameErrors(std::string_view name) {
  if (name == ".") return {"may not be '.'"};
  if (name == "..") return {"may not be '..'"};
  std::vector<std::string> errs;
  for (const char* illegal : {"/", "%"}) {
    if (name.find(illegal) != std::string_view::npos) {
      errs.push_back(absl::StrCat("may not contain '", illegal, "'"));
    }
  }
  return errs;
}

FieldErrors ValidateRbacMeta(const minik8s::meta::v1::ObjectMeta& meta, bool namespaced) {
  FieldPath path("metadata");
  FieldErrors errs = ValidateObjectMeta(meta, namespaced, NameRule::kNone, path);
  if (!meta.name().empty()) {
    for (const std::string& msg : PathSegmentNameErrors(meta.name())) {
      errs.push_back(Invalid(path.Child("name"), meta.name(), msg));
    }
  } else if (!meta.generate_name().empty()) {
    for (const std::string& msg : PathSegmentNameErrors(meta.generate_name())) {
      errs.push_back(Invalid(path.Child("generateName"), meta.generate_name(), msg));
    }
  }
  return errs;
}

std::vector<std::string> ToVector(const google::protobuf::RepeatedPtrField<std::string>& list) {
  return {list.begin(), list.end()};
}

FieldErrors ValidatePolicyRule(const PolicyRule& rule, bool namespaced, const FieldPath& path) {
  FieldErrors errs;
  if (rule.verbs().empty()) {
    errs.push_back(Required(path.Child("verbs"), "verbs must contain at least one value"));
  }
  if (!rule.non_resource_urls().empty()) {
    const std::string urls = PrintStringSlice(ToVector(rule.non_resource_urls()));
    if (namespaced) {
      errs.push_back(InvalidPrinted(path.Child("nonResourceURLs"), urls,
                                    "namespaced rules cannot apply to non-resource URLs"));
    }
    if (!rule.api_groups().empty() || !rule.resources().empty() || !rule.resource_names().empty()) {
      errs.push_back(
          InvalidPrinted(path.Child("nonResourceURLs"), urls,
                         "rules cannot apply to both regular resources and non-resource URLs"));
    }
    return errs;
  }
  if (rule.api_groups().empty()) {
    errs.push_back(
        Required(path.Child("apiGroups"), "resource rules must supply at least one api group"));
  }
  if (rule.resources().empty()) {
    errs.push_back(
        Required(path.Child("resources"), "resource rules must supply at least one resource"));
  }
  return errs;
}

FieldErrors ValidateRules(const google::protobuf::RepeatedPtrField<PolicyRule>& rules,
                          bool namespaced) {
  FieldErrors errs;
  FieldPath path("rules");
  for (int i = 0; i < rules.size(); ++i) {
    Append(&errs, ValidatePolicyRule(rules[i], namespaced, path.Index(i)));
  }
  return errs;
}

// Kubernetes' ValidateServiceAccountName: a DNS-1123 subdomain.
FieldErrors ValidateSubject(const Subject& subject, bool namespaced, const FieldPath& path) {
  FieldErrors errs;
  if (subject.name().empty()) errs.push_back(Required(path.Child("name"), ""));
  if (subject.kind() == "ServiceAccount") {
    if (!subject.name().empty()) {
      for (const std::string& msg : IsDNS1123Subdomain(subject.name())) {
        errs.push_back(Invalid(path.Child("name"), subject.name(), msg));
      }
    }
    if (!subject.api_group().empty()) {
      errs.push_back(NotSupported(path.Child("apiGroup"), subject.api_group(), {""}));
    }
    if (!namespaced && subject.namespace_().empty()) {
      errs.push_back(Required(path.Child("namespace"), ""));
    }
  } else if (subject.kind() == "User" || subject.kind() == "Group") {
    if (subject.api_group() != kRbacGroup) {
      errs.push_back(NotSupported(path.Child("apiGroup"), subject.api_group(), {kRbacGroup}));
    }
  } else {
    errs.push_back(
        NotSupported(path.Child("kind"), subject.kind(), {"ServiceAccount", "User", "Group"}));
  }
  return errs;
}

FieldErrors ValidateBinding(const RoleRef& ref,
                            const google::protobuf::RepeatedPtrField<Subject>& subjects,
                            bool namespaced) {
  FieldErrors errs;
  FieldPath ref_path("roleRef");
  if (ref.api_group() != kRbacGroup) {
    errs.push_back(NotSupported(ref_path.Child("apiGroup"), ref.api_group(), {kRbacGroup}));
  }
  if (namespaced) {
    if (ref.kind() != "Role" && ref.kind() != "ClusterRole") {
      errs.push_back(NotSupported(ref_path.Child("kind"), ref.kind(), {"Role", "ClusterRole"}));
    }
  } else if (ref.kind() != "ClusterRole") {
    errs.push_back(NotSupported(ref_path.Child("kind"), ref.kind(), {"ClusterRole"}));
  }
  if (ref.name().empty()) {
    errs.push_back(Required(ref_path.Child("name"), ""));
  } else {
    for (const std::string& msg : PathSegmentNameErrors(ref.name())) {
      errs.push_back(Invalid(ref_path.Child("name"), ref.name(), msg));
    }
  }
  FieldPath subjects_path("subjects");
  for (int i = 0; i < subjects.size(); ++i) {
    Append(&errs, ValidateSubject(subjects[i], namespaced, subjects_path.Index(i)));
  }
  return errs;
}

// Go's %#v of the internal rbac.RoleRef, the bad value Kubernetes prints.
std::string PrintRoleRef(const RoleRef& ref) {
  return absl::StrCat("rbac.RoleRef{APIGroup:", QuoteValue(ref.api_group()),
                      ", Kind:", QuoteValue(ref.kind()), ", Name:", QuoteValue(ref.name()), "}");
}

FieldErrors ValidateRoleRefUnchanged(const RoleRef& ref, const RoleRef& old) {
  if (ref.api_group() == old.api_group() && ref.kind() == old.kind() && ref.name() == old.name()) {
    return {};
  }
  return {InvalidPrinted(FieldPath("roleRef"), PrintRoleRef(ref), "cannot change roleRef")};
}

template <typename Binding>
void DefaultBinding(Binding* binding) {
  if (binding->role_ref().api_group().empty()) {
    binding->mutable_role_ref()->set_api_group(kRbacGroup);
  }
  for (Subject& subject : *binding->mutable_subjects()) {
    if (subject.api_group().empty() && (subject.kind() == "User" || subject.kind() == "Group")) {
      subject.set_api_group(kRbacGroup);
    }
  }
}

}  // namespace

void SetRoleBindingDefaults(RoleBinding* binding) { DefaultBinding(binding); }
void SetClusterRoleBindingDefaults(ClusterRoleBinding* binding) { DefaultBinding(binding); }

FieldErrors ValidateRole(const Role& role) {
  FieldErrors errs = ValidateRbacMeta(role.metadata(), true);
  Append(&errs, ValidateRules(role.rules(), true));
  return errs;
}

FieldErrors ValidateRoleUpdate(const Role& role, const Role& old) {
  FieldErrors errs = ValidateRole(role);
  Append(&errs, ValidateObjectMetaUpdate(role.metadata(), old.metadata(), FieldPath("metadata")));
  return errs;
}

FieldErrors ValidateClusterRole(const ClusterRole& role) {
  FieldErrors errs = ValidateRbacMeta(role.metadata(), false);
  Append(&errs, ValidateRules(role.rules(), false));
  if (role.has_aggregation_rule()) {
    FieldPath path = FieldPath("aggregationRule").Child("clusterRoleSelectors");
    const auto& selectors = role.aggregation_rule().cluster_role_selectors();
    if (selectors.empty()) {
      errs.push_back(Required(
          path, "at least one clusterRoleSelector required if aggregationRule is non-nil"));
    }
    for (int i = 0; i < selectors.size(); ++i) {
      Append(&errs, ValidateLabelSelector(selectors[i], path.Index(i)));
    }
  }
  return errs;
}

FieldErrors ValidateClusterRoleUpdate(const ClusterRole& role, const ClusterRole& old) {
  FieldErrors errs = ValidateClusterRole(role);
  Append(&errs, ValidateObjectMetaUpdate(role.metadata(), old.metadata(), FieldPath("metadata")));
  return errs;
}

FieldErrors ValidateRoleBinding(const RoleBinding& binding) {
  FieldErrors errs = ValidateRbacMeta(binding.metadata(), true);
  Append(&errs, ValidateBinding(binding.role_ref(), binding.subjects(), true));
  return errs;
}

FieldErrors ValidateRoleBindingUpdate(const RoleBinding& binding, const RoleBinding& old) {
  FieldErrors errs = ValidateRoleBinding(binding);
  Append(&errs,
         ValidateObjectMetaUpdate(binding.metadata(), old.metadata(), FieldPath("metadata")));
  Append(&errs, ValidateRoleRefUnchanged(binding.role_ref(), old.role_ref()));
  return errs;
}

FieldErrors ValidateClusterRoleBinding(const ClusterRoleBinding& binding) {
  FieldErrors errs = ValidateRbacMeta(binding.metadata(), false);
  Append(&errs, ValidateBinding(binding.role_ref(), binding.subjects(), false));
  return errs;
}

FieldErrors ValidateClusterRoleBindingUpdate(const ClusterRoleBinding& binding,
                                             const ClusterRoleBinding& old) {
  FieldErrors errs = ValidateClusterRoleBinding(binding);
  Append(&errs,
         ValidateObjectMetaUpdate(binding.metadata(), old.metadata(), FieldPath("metadata")));
  Append(&errs, ValidateRoleRefUnchanged(binding.role_ref(), old.role_ref()));
  return errs;
}

}  // namespace minik8s::validation
