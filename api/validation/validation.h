// API validation with Kubernetes' rules and messages
// (pkg/apis/core/validation, pkg/apis/apps/validation,
// pkg/apis/coordination/validation, apimachinery's ObjectMeta validation).
//
// Contract
//   - Validate* functions check an object that has already been defaulted
//     (defaults.h); they return every problem found, in Kubernetes' order
//     as far as practical, each with its field path and exact message.
//     An empty list means valid.
//   - *Update functions take the new object and the stored one and add the
//     immutability rules (name, namespace, uid, pod spec, selectors).
//   - ValidateObject / ValidateObjectUpdate dispatch on the message type
//     through the built-in KindRulesTable (kind_rules.h; each kind's rules
//     are in kinds/<name>/<name>_validation.cc); an unknown type yields no
//     errors.
//   - Status is not validated here (the status subresource owns it).
//
// Thread safety: all functions are pure.
#ifndef MINIK8S_API_VALIDATION_VALIDATION_H_
#define MINIK8S_API_VALIDATION_VALIDATION_H_

#include <string_view>

#include "api/validation/field_error.h"
#include "google/protobuf/message.h"
#include "k8s/apps/v1/apps.pb.h"
#include "k8s/coordination/v1/coordination.pb.h"
#include "k8s/core/v1/core.pb.h"
#include "k8s/meta/v1/meta.pb.h"

namespace minik8s::validation {

FieldErrors ValidateObject(const google::protobuf::Message& obj);
FieldErrors ValidateObjectUpdate(const google::protobuf::Message& obj,
                                 const google::protobuf::Message& old);

// "Deployment.apps", "Pod", "Lease.coordination.k8s.io" for InvalidMessage;
// "" for an unknown type.
std::string_view QualifiedKind(const google::protobuf::Message& obj);

// ---------------------------------------------------------------- per kind
FieldErrors ValidatePod(const minik8s::core::v1::Pod& pod);
FieldErrors ValidatePodUpdate(const minik8s::core::v1::Pod& pod, const minik8s::core::v1::Pod& old);
FieldErrors ValidateDeployment(const minik8s::apps::v1::Deployment& d);
FieldErrors ValidateDeploymentUpdate(const minik8s::apps::v1::Deployment& d,
                                     const minik8s::apps::v1::Deployment& old);
FieldErrors ValidateReplicaSet(const minik8s::apps::v1::ReplicaSet& rs);
FieldErrors ValidateReplicaSetUpdate(const minik8s::apps::v1::ReplicaSet& rs,
                                     const minik8s::apps::v1::ReplicaSet& old);
FieldErrors ValidateNode(const minik8s::core::v1::Node& node);
FieldErrors ValidateNodeUpdate(const minik8s::core::v1::Node& node,
                               const minik8s::core::v1::Node& old);
FieldErrors ValidateNamespace(const minik8s::core::v1::Namespace& ns);
FieldErrors ValidateNamespaceUpdate(const minik8s::core::v1::Namespace& ns,
                                    const minik8s::core::v1::Namespace& old);
FieldErrors ValidateEvent(const minik8s::core::v1::Event& event);
FieldErrors ValidateEventUpdate(const minik8s::core::v1::Event& event,
                                const minik8s::core::v1::Event& old);
FieldErrors ValidateLease(const minik8s::coordination::v1::Lease& lease);
FieldErrors ValidateLeaseUpdate(const minik8s::coordination::v1::Lease& lease,
                                const minik8s::coordination::v1::Lease& old);
FieldErrors ValidateBinding(const minik8s::core::v1::Binding& binding);

// ---------------------------------------------------------------- pieces
// Shared by the kinds above and usable on their own.

// How metadata.name is checked.
enum class NameRule { kDNS1123Subdomain, kDNS1123Label, kNone };

// name/generateName, namespace (required iff `namespaced`), labels,
// annotations, ownerReferences, finalizers.
FieldErrors ValidateObjectMeta(const minik8s::meta::v1::ObjectMeta& meta, bool namespaced,
                               NameRule rule, const FieldPath& path);
// Immutable name, namespace, uid, creationTimestamp, plus the create checks.
FieldErrors ValidateObjectMetaUpdate(const minik8s::meta::v1::ObjectMeta& meta,
                                     const minik8s::meta::v1::ObjectMeta& old,
                                     const FieldPath& path);
FieldErrors ValidateLabels(const google::protobuf::Map<std::string, std::string>& labels,
                           const FieldPath& path);
FieldErrors ValidateLabelSelector(const minik8s::meta::v1::LabelSelector& selector,
                                  const FieldPath& path);
FieldErrors ValidatePodSpec(const minik8s::core::v1::PodSpec& spec, const FieldPath& path);
FieldErrors ValidateTolerations(
    const google::protobuf::RepeatedPtrField<minik8s::core::v1::Toleration>& tolerations,
    const FieldPath& path);
FieldErrors ValidateResourceRequirements(const minik8s::core::v1::ResourceRequirements& r,
                                         const FieldPath& path);
// A ReplicaSet/Deployment template: pod template checks, the selector must
// match the template labels, restartPolicy Always, no activeDeadlineSeconds.
FieldErrors ValidatePodTemplateSpecForReplicaSet(const minik8s::core::v1::PodTemplateSpec& tmpl,
                                                 const minik8s::meta::v1::LabelSelector* selector,
                                                 const FieldPath& path);

// Kubernetes' %#v of a LabelSelector, used as the bad value of selector
// errors: v1.LabelSelector{MatchLabels:map[string]string{"app":"x"},
// MatchExpressions:[]v1.LabelSelectorRequirement(nil)}
std::string PrintLabelSelector(const minik8s::meta::v1::LabelSelector& selector);

}  // namespace minik8s::validation

#endif  // MINIK8S_API_VALIDATION_VALIDATION_H_
