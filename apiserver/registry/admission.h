// Defaulting and validation of objects on their way into storage, through
// the shared api/validation library (the same rules every client can run):
// SetDefaults, ValidateObject and ValidateObjectUpdate. Validation errors
// become one Invalid error: `Deployment.apps "x" is invalid: <field errors>`
// with a StatusCause per field error.
//
// Admission: the mutating steps of Kubernetes' default admission plugins
// that concern the kinds minik8s serves, on pods only (other kinds have
// none). On create (AdmitPodCreate), in Kubernetes' order:
//   - ServiceAccount: an empty spec.serviceAccountName becomes "default".
//     Unlike Kubernetes' plugin, the account is not looked up (a pod naming
//     one that does not exist is admitted) and no token volume is mounted.
//   - DefaultTolerationSeconds: the not-ready and unreachable NoExecute
//     tolerations (validation::AddDefaultTolerations) with the seconds of
//     --default-not-ready-toleration-seconds and
//     --default-unreachable-toleration-seconds.
//   - Priority: spec.priority from spec.priorityClassName. minik8s has no
//     PriorityClass kind and no default class: no name gives 0, the two
//     built-in classes system-cluster-critical (2000000000) and
//     system-node-critical (2000001000) give theirs, any other name is
//     Forbidden `pods "x" is forbidden: no PriorityClass with name y was
//     found`. A spec.priority other than the computed one, or a
//     spec.preemptionPolicy other than PreemptLowerPriority, is Forbidden
//     too; both are then set.
// On an update of the main resource (AdmitPodUpdate; not of status):
// DefaultTolerationSeconds again, and Priority keeps the stored priority and
// preemptionPolicy when the new object leaves them out (update validation
// forbids changing either).
//
// With AdmissionOptions::allow_loopback_endpoints, ValidateForStorage drops
// the loopback-range errors (validation::kLoopbackRangeMsg) of Endpoints and
// EndpointSlices, so that minik8s' 127.244.x.y pod addresses can be
// endpoints; every other check stays.
//
// When the binary is built without api/validation (MINIK8S_APISERVER_HAVE_
// VALIDATION undefined), objects are stored without defaulting, validation
// or the default tolerations; HaveValidation() tells which.
//
// Thread safety: pure functions.
#ifndef MINIK8S_APISERVER_REGISTRY_ADMISSION_H_
#define MINIK8S_APISERVER_REGISTRY_ADMISSION_H_

#include <cstdint>

#include "absl/status/status.h"
#include "api/scheme.h"
#include "google/protobuf/message.h"
#include "k8s/core/v1/core.pb.h"

#ifdef MINIK8S_APISERVER_HAVE_VALIDATION
#include "api/validation/field_error.h"
#endif

namespace minik8s::apiserver {

// The apiserver flags of the admission steps.
struct AdmissionOptions {
  // --default-not-ready-toleration-seconds
  int64_t default_not_ready_toleration_seconds = 300;
  // --default-unreachable-toleration-seconds
  int64_t default_unreachable_toleration_seconds = 300;
  // --allow-loopback-endpoints: Endpoints and EndpointSlices may hold
  // 127.0.0.0/8 addresses (minik8s' rootless pod network), which Kubernetes'
  // validation refuses ("may not be in the loopback range").
  bool allow_loopback_endpoints = false;
};

// Built-in PriorityClasses (Kubernetes creates them at startup).
inline constexpr char kSystemClusterCritical[] = "system-cluster-critical";
inline constexpr int32_t kSystemClusterCriticalPriority = 2000000000;
inline constexpr char kSystemNodeCritical[] = "system-node-critical";
inline constexpr int32_t kSystemNodeCriticalPriority = 2000001000;
inline constexpr char kPreemptLowerPriority[] = "PreemptLowerPriority";
inline constexpr char kDefaultServiceAccountName[] = "default";

// `kind` is the pods kind, for the Forbidden error.
absl::Status AdmitPodCreate(const api::KindInfo& kind, core::v1::Pod* pod,
                            const AdmissionOptions& options);
void AdmitPodUpdate(core::v1::Pod* pod, const core::v1::Pod& old, const AdmissionOptions& options);

bool HaveValidation();
void ApplyDefaults(google::protobuf::Message* object);
// `old` is nullptr on create. `options` only for allow_loopback_endpoints.
absl::Status ValidateForStorage(const api::KindInfo& kind, const google::protobuf::Message& object,
                                const google::protobuf::Message* old,
                                const AdmissionOptions& options = {});

#ifdef MINIK8S_APISERVER_HAVE_VALIDATION
// The Invalid error ValidateForStorage makes of `errors` about `object` (a
// StatusCause per field error); OK for none. For strategies that run rules
// of their own (Strategy::ValidateUpdate).
absl::Status InvalidObjectStatus(const api::KindInfo& kind, const google::protobuf::Message& object,
                                 const validation::FieldErrors& errors);
#endif

}  // namespace minik8s::apiserver

#endif  // MINIK8S_APISERVER_REGISTRY_ADMISSION_H_
