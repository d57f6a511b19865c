#include "api/validation/validation.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
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

// The validation of one kind, type-erased. `update` is null for kinds that
// are only created (Binding).
struct KindValidation {
  std::string_view qualified_kind;
  FieldErrors (*validate)(const google::protobuf::Message&);
  FieldErrors (*update)(const google::protobuf::Message&, const google::protobuf::Message&);
};

template <typename T, FieldErrors (*F)(const T&)>
FieldErrors Erased(const google::protobuf::Message& obj) {
  return F(static_cast<const T&>(obj));
}

template <typename T, FieldErrors (*F)(const T&, const T&)>
FieldErrors ErasedUpdate(const google::protobuf::Message& obj, const google::protobuf::Message& old) {
  return F(static_cast<const T&>(obj), static_cast<const T&>(old));
}

template <typename T, FieldErrors (*F)(const T&), FieldErrors (*U)(const T&, const T&)>
std::pair<const google::protobuf::Descriptor*, KindValidation> Entry(std::string_view qualified) {
  return {T::descriptor(), KindValidation{qualified, &Erased<T, F>, &ErasedUpdate<T, U>}};
}

// Every kind's validation, by message type: one line per kind, the functions
// in the kind's group file (validation_core.cc, validation_apps.cc,
// validation_coordination.cc).
const absl::flat_hash_map<const google::protobuf::Descriptor*, KindValidation>& Kinds() {
  static const auto* const kinds =
      new absl::flat_hash_map<const google::protobuf::Descriptor*, KindValidation>({
          Entry<Pod, ValidatePod, ValidatePodUpdate>("Pod"),
          Entry<Node, ValidateNode, ValidateNodeUpdate>("Node"),
          Entry<Namespace, ValidateNamespace, ValidateNamespaceUpdate>("Namespace"),
          Entry<Event, ValidateEvent, ValidateEventUpdate>("Event"),
          {Binding::descriptor(),
           KindValidation{"Binding", &Erased<Binding, ValidateBinding>, nullptr}},
          Entry<Deployment, ValidateDeployment, ValidateDeploymentUpdate>("Deployment.apps"),
          Entry<ReplicaSet, ValidateReplicaSet, ValidateReplicaSetUpdate>("ReplicaSet.apps"),
          Entry<Lease, ValidateLease, ValidateLeaseUpdate>("Lease.coordination.k8s.io"),
      });
  return *kinds;
}

const KindValidation* Find(const google::protobuf::Message& obj) {
  auto it = Kinds().find(obj.GetDescriptor());
  return it == Kinds().end() ? nullptr : &it->second;
}

}  // namespace

std::string_view QualifiedKind(const google::protobuf::Message& obj) {
  const KindValidation* kind = Find(obj);
  return kind == nullptr ? "" : kind->qualified_kind;
}

FieldErrors ValidateObject(const google::protobuf::Message& obj) {
  const KindValidation* kind = Find(obj);
  return kind == nullptr ? FieldErrors{} : kind->validate(obj);
}

FieldErrors ValidateObjectUpdate(const google::protobuf::Message& obj,
                                 const google::protobuf::Message& old) {
  if (obj.GetDescriptor() != old.GetDescriptor()) return {};
  const KindValidation* kind = Find(obj);
  return kind == nullptr || kind->update == nullptr ? FieldErrors{} : kind->update(obj, old);
}

}  // namespace minik8s::validation
