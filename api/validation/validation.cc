#include "api/validation/validation.h"

#include <algorithm>
#include <cstdint>
#include <limits>
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
#include "google/protobuf/util/message_differencer.h"


namespace minik8s::validation {
namespace {

using minik8s::apps::v1::Deployment;
using minik8s::apps::v1::ReplicaSet;
using minik8s::coordination::v1::Lease;
using minik8s::core::v1::Binding;
using minik8s::core::v1::Event;
using minik8s::core::v1::Namespace;
using minik8s::core::v1::Node;
using minik8s::core::v1::Pod;

}  // namespace

// ------------------------------------------------------------------ dispatch

std::string_view QualifiedKind(const google::protobuf::Message& obj) {
  const auto* d = obj.GetDescriptor();
  if (d == Pod::descriptor()) return "Pod";
  if (d == Node::descriptor()) return "Node";
  if (d == Namespace::descriptor()) return "Namespace";
  if (d == Event::descriptor()) return "Event";
  if (d == Binding::descriptor()) return "Binding";
  if (d == Deployment::descriptor()) return "Deployment.apps";
  if (d == ReplicaSet::descriptor()) return "ReplicaSet.apps";
  if (d == Lease::descriptor()) return "Lease.coordination.k8s.io";
  return "";
}

FieldErrors ValidateObject(const google::protobuf::Message& obj) {
  const auto* d = obj.GetDescriptor();
  if (d == Pod::descriptor()) return ValidatePod(static_cast<const Pod&>(obj));
  if (d == Node::descriptor()) return ValidateNode(static_cast<const Node&>(obj));
  if (d == Namespace::descriptor()) return ValidateNamespace(static_cast<const Namespace&>(obj));
  if (d == Event::descriptor()) return ValidateEvent(static_cast<const Event&>(obj));
  if (d == Binding::descriptor()) return ValidateBinding(static_cast<const Binding&>(obj));
  if (d == Deployment::descriptor()) return ValidateDeployment(static_cast<const Deployment&>(obj));
  if (d == ReplicaSet::descriptor()) return ValidateReplicaSet(static_cast<const ReplicaSet&>(obj));
  if (d == Lease::descriptor()) return ValidateLease(static_cast<const Lease&>(obj));
  return {};
}

FieldErrors ValidateObjectUpdate(const google::protobuf::Message& obj,
                                 const google::protobuf::Message& old) {
  const auto* d = obj.GetDescriptor();
  if (d != old.GetDescriptor()) return {};
  if (d == Pod::descriptor()) {
    return ValidatePodUpdate(static_cast<const Pod&>(obj), static_cast<const Pod&>(old));
  }
  if (d == Node::descriptor()) {
    return ValidateNodeUpdate(static_cast<const Node&>(obj), static_cast<const Node&>(old));
  }
  if (d == Namespace::descriptor()) {
    return ValidateNamespaceUpdate(static_cast<const Namespace&>(obj),
                                   static_cast<const Namespace&>(old));
  }
  if (d == Event::descriptor()) {
    return ValidateEventUpdate(static_cast<const Event&>(obj), static_cast<const Event&>(old));
  }
  if (d == Deployment::descriptor()) {
    return ValidateDeploymentUpdate(static_cast<const Deployment&>(obj),
                                    static_cast<const Deployment&>(old));
  }
  if (d == ReplicaSet::descriptor()) {
    return ValidateReplicaSetUpdate(static_cast<const ReplicaSet&>(obj),
                                    static_cast<const ReplicaSet&>(old));
  }
  if (d == Lease::descriptor()) {
    return ValidateLeaseUpdate(static_cast<const Lease&>(obj), static_cast<const Lease&>(old));
  }
  return {};
}

}  // namespace minik8s::validation
