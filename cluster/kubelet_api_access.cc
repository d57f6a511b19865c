#include "cluster/kubelet_api_access.h"

#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "k8s/rbac/v1/rbac.pb.h"

namespace minik8s::cluster {

absl::Status EnsureKubeletApiAccess(client::ApiClient* admin) {
  rbac::v1::ClusterRoleBinding binding;
  binding.mutable_metadata()->set_name(kKubeletApiAdminBinding);
  (*binding.mutable_metadata()->mutable_labels())["app.kubernetes.io/managed-by"] = "minik8s";
  binding.mutable_role_ref()->set_api_group("rbac.authorization.k8s.io");
  binding.mutable_role_ref()->set_kind("ClusterRole");
  binding.mutable_role_ref()->set_name("system:kubelet-api-admin");
  auto* subject = binding.add_subjects();
  subject->set_kind("User");
  subject->set_api_group("rbac.authorization.k8s.io");
  subject->set_name(kApiserverKubeletClientUser);
  rbac::v1::ClusterRoleBinding out;
  absl::Status s = admin->Create("clusterrolebindings", "", binding, &out);
  if (s.ok() || api::IsAlreadyExists(s)) return absl::OkStatus();
  return absl::Status(
      s.code(), absl::StrCat("ClusterRoleBinding ", kKubeletApiAdminBinding, ": ", s.message()));
}

}  // namespace minik8s::cluster
