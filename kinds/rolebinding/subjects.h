// The subjects of a RoleBinding or ClusterRoleBinding as the wide columns
// print them (Kubernetes' rbac.SubjectsStrings): user names, group names,
// and `namespace/name` of service accounts, each joined with ", ".
//
// Thread safety: a pure function.
#ifndef MINIK8S_KINDS_ROLEBINDING_SUBJECTS_H_
#define MINIK8S_KINDS_ROLEBINDING_SUBJECTS_H_

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "k8s/rbac/v1/rbac.pb.h"

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

}  // namespace minik8s::printers

#endif  // MINIK8S_KINDS_ROLEBINDING_SUBJECTS_H_
