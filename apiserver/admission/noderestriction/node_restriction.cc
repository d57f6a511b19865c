#include "apiserver/admission/noderestriction/node_restriction.h"

#include <set>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/errors.h"
#include "apiserver/authz/node_authorizer.h"
#include "apiserver/object_meta.h"
#include "k8s/authentication/v1/authentication.pb.h"
#include "k8s/coordination/v1/coordination.pb.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::apiserver::admission {

namespace {

using google::protobuf::Map;

// admission.NewForbidden: the request's resource and name (the object's on
// create), `<resource> is forbidden: ...` without one.
absl::Status Forbidden(const Attributes& a, absl::string_view detail) {
  std::string name = a.name;
  if (name.empty() && a.object != nullptr) name = Meta(*a.object).name();
  if (!name.empty()) return api::NewForbidden(*a.kind, name, detail);
  return api::NewApiError(absl::StatusCode::kFailedPrecondition, api::kReasonForbidden, 403,
                          absl::StrCat(a.kind->GroupResource(), " is forbidden: ", detail));
}

absl::Status Unexpected(const Attributes& a) {
  return Forbidden(a, absl::StrCat("unexpected operation \"", OperationName(a.operation), "\""));
}

absl::string_view LabelNamespace(absl::string_view key) {
  const size_t slash = key.find('/');
  return slash == absl::string_view::npos ? absl::string_view() : key.substr(0, slash);
}

bool InDomain(absl::string_view ns, absl::string_view domain) {
  return ns == domain || absl::EndsWith(ns, absl::StrCat(".", domain));
}

// The labels whose value differs between `a` and `b` (or that only one has).
std::set<std::string> ModifiedLabels(const Map<std::string, std::string>& a,
                                     const Map<std::string, std::string>* b) {
  std::set<std::string> modified;
  for (const auto& [k, v] : a) {
    if (b == nullptr) {
      modified.insert(k);
      continue;
    }
    auto it = b->find(k);
    if (it == b->end() || it->second != v) modified.insert(k);
  }
  if (b != nullptr) {
    for (const auto& [k, v] : *b) {
      if (!a.contains(k)) modified.insert(k);
    }
  }
  return modified;
}

std::vector<std::string> ForbiddenLabels(const std::set<std::string>& modified) {
  std::vector<std::string> forbidden;  // sorted: `modified` is
  for (const std::string& key : modified) {
    if (!NodeMayChangeLabel(key)) forbidden.push_back(key);
  }
  return forbidden;
}

bool SameTaints(const core::v1::Node& a, const core::v1::Node& b) {
  if (a.spec().taints_size() != b.spec().taints_size()) return false;
  for (int i = 0; i < a.spec().taints_size(); ++i) {
    if (a.spec().taints(i).SerializeAsString() != b.spec().taints(i).SerializeAsString()) {
      return false;
    }
  }
  return true;
}

bool SameLabels(const Map<std::string, std::string>& a, const Map<std::string, std::string>& b) {
  return ModifiedLabels(a, &b).empty();
}

// Does the pod name a secret or a configmap (volumes, env valueFrom)?
struct References {
  bool secrets = false;
  bool config_maps = false;
};

References ReferencesOf(const core::v1::Pod& pod) {
  References refs;
  for (const auto& volume : pod.spec().volumes()) {
    if (volume.has_secret()) refs.secrets = true;
    if (volume.has_config_map()) refs.config_maps = true;
  }
  auto containers = [&](const auto& list) {
    for (const auto& container : list) {
      for (const auto& env : container.env()) {
        if (!env.has_value_from()) continue;
        if (env.value_from().has_secret_key_ref()) refs.secrets = true;
        if (env.value_from().has_config_map_key_ref()) refs.config_maps = true;
      }
    }
  };
  containers(pod.spec().init_containers());
  containers(pod.spec().containers());
  return refs;
}

absl::Status AdmitNode(const std::string& node, const Attributes& a) {
  const std::string requested =
      a.operation == Operation::kCreate && a.object != nullptr ? Meta(*a.object).name() : a.name;
  if (requested != node) {
    return Forbidden(
        a, absl::StrCat("node \"", node, "\" is not allowed to modify node \"", requested, "\""));
  }
  if (a.operation == Operation::kCreate) {
    const auto* object = dynamic_cast<const core::v1::Node*>(a.object);
    if (object == nullptr) return Forbidden(a, "unexpected type");
    std::vector<std::string> forbidden =
        ForbiddenLabels(ModifiedLabels(object->metadata().labels(), nullptr));
    if (!forbidden.empty()) {
      return Forbidden(
          a, absl::StrCat("node \"", node, "\" is not allowed to set the following labels: ",
                          absl::StrJoin(forbidden, ", ")));
    }
  }
  if (a.operation == Operation::kUpdate) {
    const auto* object = dynamic_cast<const core::v1::Node*>(a.object);
    const auto* old = dynamic_cast<const core::v1::Node*>(a.old_object);
    if (object == nullptr || old == nullptr) return Forbidden(a, "unexpected type");
    if (!SameTaints(*object, *old)) {
      return Forbidden(a, absl::StrCat("node \"", node, "\" is not allowed to modify taints"));
    }
    std::vector<std::string> forbidden =
        ForbiddenLabels(ModifiedLabels(object->metadata().labels(), &old->metadata().labels()));
    if (!forbidden.empty()) {
      return Forbidden(
          a, absl::StrCat("is not allowed to modify labels: ", absl::StrJoin(forbidden, ", ")));
    }
  }
  return absl::OkStatus();
}

absl::Status AdmitPodStatus(const std::string& node, const Attributes& a) {
  if (a.operation != Operation::kUpdate) return Unexpected(a);
  const auto* old = dynamic_cast<const core::v1::Pod*>(a.old_object);
  if (old == nullptr) return Forbidden(a, "unexpected type");
  if (old->spec().node_name() != node) {
    return Forbidden(a, absl::StrCat("node \"", node,
                                     "\" can only update pod status for pods with spec.nodeName "
                                     "set to itself"));
  }
  const auto* object = dynamic_cast<const core::v1::Pod*>(a.object);
  if (object == nullptr) return Forbidden(a, "unexpected type");
  if (!SameLabels(old->metadata().labels(), object->metadata().labels())) {
    return Forbidden(a,
                     absl::StrCat("node \"", node, "\" cannot update labels through pod status"));
  }
  return absl::OkStatus();
}

absl::Status AdmitLease(const std::string& node, const Attributes& a) {
  if (a.namespace_ != authz::kNodeLeaseNamespace) {
    return Forbidden(a, absl::StrCat("can only access leases in the \"", authz::kNodeLeaseNamespace,
                                     "\" system namespace"));
  }
  const std::string name =
      a.operation == Operation::kCreate && a.object != nullptr ? Meta(*a.object).name() : a.name;
  if (name != node) {
    return Forbidden(a, "can only access node lease with the same name as the requesting node");
  }
  return absl::OkStatus();
}

}  // namespace

bool NodeMayChangeLabel(absl::string_view key) {
  const absl::string_view ns = LabelNamespace(key);
  if (InDomain(ns, "node-restriction.kubernetes.io")) return false;
  const bool kubernetes = InDomain(ns, "kubernetes.io") || InDomain(ns, "k8s.io");
  if (!kubernetes) return true;
  // kubeletapis.IsKubeletLabel.
  static const std::set<absl::string_view>* const kKubeletLabels =
      new std::set<absl::string_view>{"kubernetes.io/hostname",
                                      "topology.kubernetes.io/zone",
                                      "topology.kubernetes.io/region",
                                      "failure-domain.beta.kubernetes.io/zone",
                                      "failure-domain.beta.kubernetes.io/region",
                                      "node.kubernetes.io/instance-type",
                                      "beta.kubernetes.io/instance-type",
                                      "kubernetes.io/os",
                                      "kubernetes.io/arch",
                                      "beta.kubernetes.io/os",
                                      "beta.kubernetes.io/arch"};
  if (kKubeletLabels->contains(key)) return true;
  return InDomain(ns, "kubelet.kubernetes.io") || InDomain(ns, "node.kubernetes.io");
}

absl::Status NodeRestriction::Admit(const Attributes& a) const {
  const authz::NodeIdentity identity = authz::NodeIdentityOf(a.user);
  if (!identity.is_node || a.kind == nullptr) return absl::OkStatus();
  if (identity.name.empty()) {
    return Forbidden(a, absl::StrCat("could not determine node from user \"", a.user->name, "\""));
  }
  const std::string& node = identity.name;
  const api::KindInfo& kind = *a.kind;
  if (kind.group.empty() && kind.resource == "pods") {
    if (a.subresource.empty()) return AdmitPod(node, a);
    if (a.subresource == "status") return AdmitPodStatus(node, a);
    return Forbidden(a, absl::StrCat("unexpected pod subresource \"", a.subresource,
                                     "\", only 'status' and 'eviction' are allowed"));
  }
  if (kind.group.empty() && kind.resource == "nodes") return AdmitNode(node, a);
  if (kind.group == "coordination.k8s.io" && kind.resource == "leases") return AdmitLease(node, a);
  if (kind.group.empty() && kind.resource == "serviceaccounts") {
    return AdmitServiceAccount(node, a);
  }
  return absl::OkStatus();
}

absl::Status NodeRestriction::AdmitServiceAccount(const std::string& node,
                                                  const Attributes& a) const {
  if (a.operation != Operation::kCreate || a.subresource != "token") return absl::OkStatus();
  const auto* request = dynamic_cast<const authentication::v1::TokenRequest*>(a.object);
  if (request == nullptr) return Forbidden(a, "unexpected type");
  // A token a node asks for must be bound to one of its pods.
  const authentication::v1::BoundObjectReference& ref = request->spec().bound_object_ref();
  if (!request->spec().has_bound_object_ref() || ref.api_version() != "v1" || ref.kind() != "Pod" ||
      ref.name().empty()) {
    return Forbidden(a, "node requested token not bound to a pod");
  }
  if (ref.uid().empty()) {
    return Forbidden(a, "node requested token with a pod binding without a uid");
  }
  if (!pods_) return Forbidden(a, "pods cannot be read here");
  absl::StatusOr<core::v1::Pod> pod = pods_(a.namespace_, ref.name());
  if (api::IsNotFound(pod.status())) return pod.status();
  if (!pod.ok()) return Forbidden(a, pod.status().message());
  if (ref.uid() != pod->metadata().uid()) {
    return Forbidden(a, absl::StrCat("the UID in the bound object reference (", ref.uid(),
                                     ") does not match the UID in record. The object might "
                                     "have been deleted and then recreated"));
  }
  if (pod->spec().node_name() != node) {
    return Forbidden(a, "node requested token bound to a pod scheduled on a different node");
  }
  return absl::OkStatus();
}

absl::Status NodeRestriction::AdmitPod(const std::string& node, const Attributes& a) const {
  switch (a.operation) {
    case Operation::kCreate:
      return AdmitPodCreate(node, a);
    case Operation::kDelete: {
      const auto* existing = dynamic_cast<const core::v1::Pod*>(a.old_object);
      if (existing == nullptr) return Forbidden(a, "unexpected type");
      if (existing->spec().node_name() != node) {
        return Forbidden(a, absl::StrCat("node \"", node,
                                         "\" can only delete pods with spec.nodeName set to "
                                         "itself"));
      }
      return absl::OkStatus();
    }
    default:
      return Forbidden(
          a, absl::StrCat("unexpected operation \"", OperationName(a.operation), "\", node \"",
                          node, "\" can only create and delete mirror pods"));
  }
}

absl::Status NodeRestriction::AdmitPodCreate(const std::string& node, const Attributes& a) const {
  const auto* pod = dynamic_cast<const core::v1::Pod*>(a.object);
  if (pod == nullptr) return Forbidden(a, "unexpected type");
  const std::string quoted = absl::StrCat("\"", node, "\"");
  if (!pod->metadata().annotations().contains(kMirrorPodAnnotation)) {
    return Forbidden(
        a, absl::StrCat("pod does not have \"", kMirrorPodAnnotation, "\" annotation, node ",
                        quoted, " can only create mirror pods"));
  }
  if (pod->spec().node_name() != node) {
    return Forbidden(
        a, absl::StrCat("node ", quoted, " can only create pods with spec.nodeName set to itself"));
  }
  const auto& owners = pod->metadata().owner_references();
  if (owners.size() > 1) {
    return Forbidden(a, absl::StrCat("node ", quoted,
                                     " can only create pods with a single owner reference set to "
                                     "itself"));
  }
  if (owners.empty()) {
    return Forbidden(a,
                     absl::StrCat("node ", quoted,
                                  " can only create pods with an owner reference set to itself"));
  }
  const auto& owner = owners[0];
  if (owner.api_version() != "v1" || owner.kind() != "Node" || owner.name() != node) {
    return Forbidden(a,
                     absl::StrCat("node ", quoted,
                                  " can only create pods with an owner reference set to itself"));
  }
  if (!owner.has_controller() || !owner.controller()) {
    return Forbidden(a, absl::StrCat("node ", quoted,
                                     " can only create pods with a controller owner reference set "
                                     "to itself"));
  }
  if (owner.has_block_owner_deletion() && owner.block_owner_deletion()) {
    return Forbidden(
        a, absl::StrCat("node ", quoted, " must not set blockOwnerDeletion on an owner reference"));
  }
  absl::StatusOr<std::string> uid = node_uid_ ? node_uid_(node) : absl::NotFoundError("no nodes");
  if (absl::IsNotFound(uid.status())) return uid.status();
  if (!uid.ok()) {
    return Forbidden(a, absl::StrCat("error looking up node ", node,
                                     " to verify uid: ", uid.status().message()));
  }
  if (owner.uid() != *uid) {
    return Forbidden(
        a, absl::StrCat("node ", node, " UID mismatch: expected ", owner.uid(), " got ", *uid));
  }
  if (!pod->spec().service_account_name().empty()) {
    return Forbidden(
        a, absl::StrCat("node ", quoted, " can not create pods that reference a service account"));
  }
  const References refs = ReferencesOf(*pod);
  if (refs.secrets) {
    return Forbidden(a,
                     absl::StrCat("node ", quoted, " can not create pods that reference secrets"));
  }
  if (refs.config_maps) {
    return Forbidden(
        a, absl::StrCat("node ", quoted, " can not create pods that reference configmaps"));
  }
  return absl::OkStatus();
}

}  // namespace minik8s::apiserver::admission
