// The table of a RoleBinding or ClusterRoleBinding, as Kubernetes' printers
// (pkg/printers/internalversion printRoleBinding, printClusterRoleBinding)
// define it: NAME, ROLE (`<kind>/<name>` of the roleRef), AGE, and with
// -o wide the subjects (Kubernetes' rbac.SubjectsStrings: user names, group
// names, and `namespace/name` of service accounts, each joined with ", ").
//
// Thread safety: pure functions.
#ifndef MINIK8S_KINDS_ROLEBINDING_SUBJECTS_H_
#define MINIK8S_KINDS_ROLEBINDING_SUBJECTS_H_

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "k8s/rbac/v1/rbac.pb.h"
#include "printers/builtin_printers.h"
#include "printers/duration.h"

namespace minik8s::printers {

struct SubjectStrings {
  std::string users;
  std::string groups;
  std::string service_accounts;
};

inline SubjectStrings SubjectsStrings(
    const google::protobuf::RepeatedPtrField<rbac::v1::Subject>& subjects) {
  std::vector<std::string> users, groups, service_accounts;
  for (const rbac::v1::Subject& subject : subjects) {
    if (subject.kind() == "User") {
      users.push_back(subject.name());
    } else if (subject.kind() == "Group") {
      groups.push_back(subject.name());
    } else if (subject.kind() == "ServiceAccount") {
      service_accounts.push_back(absl::StrCat(subject.namespace_(), "/", subject.name()));
    }
  }
  return {absl::StrJoin(users, ", "), absl::StrJoin(groups, ", "),
          absl::StrJoin(service_accounts, ", ")};
}

// The row of either binding kind.
template <typename Binding>
Row BindingRow(const Binding& binding, absl::Time now) {
  Row row;
  const SubjectStrings subjects = SubjectsStrings(binding.subjects());
  row.cells = {binding.metadata().name(),
               binding.role_ref().kind() + "/" + binding.role_ref().name(),
               TimestampSince(binding.metadata().creation_timestamp(), now),
               subjects.users,
               subjects.groups,
               subjects.service_accounts};
  return row;
}

template <typename Binding>
KindPrinter BindingPrinter() {
  return {{NameColumn(),
           {"Role", "string", "",
            "RoleRef can reference a Role in the current namespace or a ClusterRole in the global "
            "namespace.",
            0},
           AgeColumn(),
           {"Users", "string", "", "Users in the roleBinding", 1},
           {"Groups", "string", "", "Groups in the roleBinding", 1},
           {"ServiceAccounts", "string", "", "ServiceAccounts in the roleBinding", 1}},
          &TypedRow<Binding, &BindingRow<Binding>>};
}

}  // namespace minik8s::printers

#endif  // MINIK8S_KINDS_ROLEBINDING_SUBJECTS_H_
