// A Strategy holds what differs between kinds when the apiserver creates,
// updates and deletes their objects (Kubernetes' RESTCreateStrategy,
// RESTUpdateStrategy, RESTDeleteStrategy and subresource strategies). The
// handler (handler.h) drives the verbs; a kind's strategy fills in the
// kind-specific steps.
//
// Where a kind lives. Everything about a kind is in its folder kinds/<name>/,
// one file per layer, and it is registered by one line in kinds/kinds.def:
// the scheme entry (<name>_scheme.cc, in minik8s_api, because every client
// needs it), defaulting and validation (<name>_validation.cc, naming the
// functions of its API group's file in api/validation/), table columns
// (<name>_printer.cc, in minik8s_printers, shared with mkctl) and its
// server side here (<name>_strategy.cc, New<Name>Strategy(), in this
// library). Each library compiles its pieces by file suffix and registers
// them from kinds.def, so no switch, if-chain or table elsewhere names a
// kind. Every kind-specific decision of the handler, the namespace
// finalizer, discovery and OpenAPI goes through the Strategy: its Traits
// (subresources, TTL, graceful deletion, discovery categories) and its
// hooks (create/update preparation, admission, grace period,
// MarkForDeletion, scale). Shared behaviour of similar kinds goes into a
// helper in kinds/ (replicated_strategy.h for Deployment and ReplicaSet),
// not into copies.
//
// The base class implements the common behaviour, driven by Traits:
//   - PrepareForCreate: clears status where the kind has a status
//     subresource and Kubernetes clears it on create, sets generation 1.
//   - PrepareForUpdate (main resource): keeps the stored status, keeps the
//     system metadata (uid, creationTimestamp, deletionTimestamp, ...),
//     generation + 1 when the spec changed.
//   - PrepareForStatusUpdate ("status"): keeps the stored spec and metadata,
//     takes only the new status.
//   - PrepareForApprovalUpdate ("approval"): as "status".
// Defaulting, validation and the admission steps go through admission.h;
// Admit is where a kind calls its admission steps.
//
// Thread safety: strategies are immutable after construction.
#ifndef MINIK8S_APISERVER_REGISTRY_STRATEGY_H_
#define MINIK8S_APISERVER_REGISTRY_STRATEGY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "api/scheme.h"
#include "apiserver/authn/authenticator.h"
#include "apiserver/registry/admission.h"
#include "apiserver/registry/service_allocator.h"
#include "google/protobuf/message.h"
#include "k8s/autoscaling/v1/autoscaling.pb.h"

namespace minik8s::apiserver {

// The pools the server hands values out of (borrowed; null when the server
// keeps none), for the kinds whose objects hold some: Services take cluster
// IPs and node ports.
struct ServerPools {
  ServiceAllocators* services = nullptr;
};

class Strategy {
 public:
  struct Traits {
    // A status subresource: status is written only through "status".
    bool status_subresource = false;
    // Clear status on create (the kind's controllers own it).
    bool clear_status_on_create = false;
    // metadata.generation: 1 on create, +1 on every spec change.
    bool generation = false;
    // Stored with a TTL (--event-ttl); objects expire.
    bool ttl = false;
    // Pods: deletion waits the grace period for the kubelet.
    bool graceful_deletion = false;
    // Served subresources beyond status and scale, as discovery and the
    // OpenAPI documents list them: "binding" (POST a Binding to assign a
    // node) and "log" (GET the containers' logs as text).
    bool binding_subresource = false;
    bool log_subresource = false;
    // "approval" (CertificateSigningRequests): get, update and patch of the
    // object where only the approval conditions change
    // (PrepareForApprovalUpdate).
    bool approval_subresource = false;
    // "token" (ServiceAccounts): create a TokenRequest, answered with a
    // signed token for the account (apiserver/serviceaccount/).
    bool token_subresource = false;
    // A delete that removes the object at once answers with the object
    // (Kubernetes' ReturnDeletedObject, set for pods) rather than a
    // Success Status.
    bool return_deleted_object = false;
    // Discovery categories (Kubernetes' "all": what `kubectl get all`
    // lists).
    std::vector<std::string> categories;
  };

  Strategy(const api::KindInfo* kind, Traits traits) : kind_(kind), traits_(traits) {}
  virtual ~Strategy() = default;

  const api::KindInfo& kind() const { return *kind_; }
  const Traits& traits() const { return traits_; }
  bool namespaced() const { return kind_->namespaced; }

  virtual void PrepareForCreate(google::protobuf::Message* object) const;
  virtual void PrepareForUpdate(google::protobuf::Message* object,
                                const google::protobuf::Message& old) const;
  virtual void PrepareForStatusUpdate(google::protobuf::Message* object,
                                      const google::protobuf::Message& old) const;
  // "approval" (Traits::approval_subresource): as a status update by
  // default; a kind with the subresource keeps what approval may not change.
  virtual void PrepareForApprovalUpdate(google::protobuf::Message* object,
                                        const google::protobuf::Message& old) const;

  // Records the caller of a create in the object, after PrepareForCreate:
  // CertificateSigningRequests take spec.username, uid, groups and extra
  // from it, whatever the client sent. `user` is null for the apiserver's
  // own writes. Nothing by default.
  virtual void PrepareForCreateBy(google::protobuf::Message* object,
                                  const authn::UserInfo* user) const {}

  // Validation of an update through `subresource` ("" for the object
  // itself, "status", "approval"), after the Prepare step: the kind's
  // update rules (ValidateForStorage) by default; a kind whose subresources
  // allow different changes validates each its own way.
  virtual absl::Status ValidateUpdate(const google::protobuf::Message& object,
                                      const google::protobuf::Message& old,
                                      const std::string& subresource,
                                      const AdmissionOptions& options) const;

  // Mutating admission of a create (`old` nullptr) or of an update of the
  // main resource (`old` the stored object; status updates are not
  // admitted). Runs after defaulting, before validation. OK and no change
  // by default.
  virtual absl::Status Admit(google::protobuf::Message* object,
                             const google::protobuf::Message* old,
                             const AdmissionOptions& options) const;

  // Graceful deletion: the grace period to use when the client gave none
  // (`requested` < 0) or gave one; 0 means delete at once.
  virtual int64_t GracePeriod(const google::protobuf::Message& object, int64_t requested) const;

  // Deletion as a state change: a kind whose objects are not removed by a
  // delete but marked (namespaces: phase Terminating, emptied and removed
  // later by the namespace finalizer) marks `object` and returns true; the
  // handler then stores it as is, without finalizers or grace periods.
  // False (a normal deletion) by default.
  virtual bool MarkForDeletion(google::protobuf::Message* object) const { return false; }

  // Room an object must keep in the store for the status written to it
  // later (by the kubelet, a controller), checked when it is created: an
  // object whose status could never be stored is refused at once with
  // RequestEntityTooLarge rather than accepted and left stuck. `why` is
  // worded for the error ("with room for the status of its 3 containers").
  // No reserve by default.
  struct StatusReserve {
    int64_t bytes = 0;
    std::string why;
  };
  virtual StatusReserve ReserveForStatus(const google::protobuf::Message& object) const {
    return {};
  }

  // Values from the server's pools. After a create (`old` nullptr) or an
  // update of the main resource has passed validation, the handler calls
  // Allocate, which may fill fields of `object` (a Service's clusterIP and
  // nodePorts) or refuse the write; then exactly one of Commit (the object
  // was written) or Abort (it was not: a failed write, a dry run) on the
  // returned Allocation. nullptr: nothing taken (the default).
  class Allocation {
   public:
    virtual ~Allocation() = default;
    virtual void Commit() = 0;
    virtual void Abort() = 0;
  };
  virtual absl::StatusOr<std::unique_ptr<Allocation>> Allocate(google::protobuf::Message* object,
                                                               const google::protobuf::Message* old,
                                                               const ServerPools& pools) const {
    return nullptr;
  }
  // `removed` has left the store: give back what it held.
  virtual void Release(const google::protobuf::Message& removed, const ServerPools& pools) const {}

  // Scale subresource. Unimplemented (MethodNotAllowed) by default.
  virtual bool has_scale() const { return false; }
  virtual absl::StatusOr<autoscaling::v1::Scale> ToScale(
      const google::protobuf::Message& object) const;
  // Sets the object's desired replicas from `scale`.
  virtual absl::Status ApplyScale(const autoscaling::v1::Scale& scale,
                                  google::protobuf::Message* object) const;

 private:
  const api::KindInfo* kind_;
  const Traits traits_;
};

// Shared by deployments and replicasets: a Scale built from the object's
// spec.replicas, status.replicas and spec.selector.
absl::StatusOr<autoscaling::v1::Scale> ScaleFromReplicas(const google::protobuf::Message& object,
                                                         int32_t spec_replicas,
                                                         int32_t status_replicas,
                                                         const meta::v1::LabelSelector* selector);

// Copies the fields only the server sets (uid, creationTimestamp,
// deletionTimestamp, deletionGracePeriodSeconds, generation, name,
// namespace) from `old` into `object`.
void KeepSystemMetadata(const meta::v1::ObjectMeta& old, meta::v1::ObjectMeta* object);

}  // namespace minik8s::apiserver

#endif  // MINIK8S_APISERVER_REGISTRY_STRATEGY_H_
