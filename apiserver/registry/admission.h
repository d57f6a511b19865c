// Defaulting and validation of objects on their way into storage, through
// the shared api/validation library (the same rules every client can run):
// SetDefaults, ValidateObject and ValidateObjectUpdate. Validation errors
// become one Invalid error: `Deployment.apps "x" is invalid: <field errors>`
// with a StatusCause per field error.
//
// Admission: the mutating steps of Kubernetes' default admission plugins
// that concern the kinds minik8s serves, on pods only (other kinds have
// none). On create (AdmitPodCreate), in Kubernetes' order:
//   - ServiceAccount (Kubernetes' plugin/pkg/admission/serviceaccount): an
//     empty spec.serviceAccountName becomes "default". With
//     AdmissionOptions::service_accounts set (the apiserver issues tokens:
//     --service-account-signing-key-file) the account is looked up, in the
//     watch cache and then in storage; for "default", which the
//     controller-manager makes just after its namespace, storage is asked
//     again every 100-200 ms for up to default_service_account_wait. A
//     missing account is Forbidden `pods "x" is forbidden: error looking up
//     service account NS/NAME: serviceaccount "NAME" not found`. When
//     automount applies (the pod's automountServiceAccountToken, else the
//     account's, else true) every container and init container that does
//     not already mount /var/run/secrets/kubernetes.io/serviceaccount gets
//     a read-only mount of the projected volume `kube-api-access-<5
//     random>` (a token of 3607 s for the account, the ConfigMap
//     kube-root-ca.crt's ca.crt and the namespace; defaultMode 0644), added
//     unless the pod already has a `kube-api-access-` volume. Without
//     service_accounts (an apiserver with no signing key) the account is
//     not looked up and nothing is mounted: there is no token to mount.
//     Mirror pods (annotation kubernetes.io/config.mirror) are never
//     changed, and may not name an account, a secret or a token projection
//     (`a mirror pod may not reference service accounts`).
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
#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api/scheme.h"
#include "google/protobuf/message.h"
#include "k8s/core/v1/core.pb.h"

#ifdef MINIK8S_APISERVER_HAVE_VALIDATION
#include "api/validation/field_error.h"
#endif

namespace minik8s::apiserver {

// Where ServiceAccount admission finds accounts (both must be safe to call
// concurrently).
struct ServiceAccountSource {
  // The account ns/name as the apiserver's watch cache holds it; nullopt
  // when it does not (yet). Must not block.
  std::function<std::optional<core::v1::ServiceAccount>(const std::string& ns,
                                                        const std::string& name)>
      cached;
  // The account as storage holds it (NotFound when there is none); blocks.
  std::function<absl::StatusOr<core::v1::ServiceAccount>(const std::string& ns,
                                                         const std::string& name)>
      stored;
};

// The apiserver flags of the admission steps.
struct AdmissionOptions {
  // ServiceAccount admission looks accounts up and mounts their tokens
  // when `service_accounts.cached` is set (see above).
  ServiceAccountSource service_accounts;
  // How long a pod naming "default" waits for the account to appear
  // (Kubernetes asks ten times, 100-200 ms apart).
  absl::Duration default_service_account_wait = absl::Seconds(3);
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
// The token volume ServiceAccount admission adds (a name prefix: a random
// suffix follows) and where containers see it.
inline constexpr char kServiceAccountVolumePrefix[] = "kube-api-access-";
inline constexpr char kServiceAccountTokenMountPath[] =
    "/var/run/secrets/kubernetes.io/serviceaccount";
// The lifetime of the volume's token: Kubernetes' 3607 s (an hour and
// seven seconds), which its TokenRequest recognises as a kubelet's.
inline constexpr int64_t kServiceAccountVolumeTokenSeconds = 3607;
inline constexpr char kRootCaConfigMapName[] = "kube-root-ca.crt";
inline constexpr char kMirrorPodAnnotationKey[] = "kubernetes.io/config.mirror";

// The projected source of the kube-api-access- volume (defaultMode 0644).
core::v1::ProjectedVolumeSource ServiceAccountTokenVolumeSource();

// Whether AdmitPodCreate of a `kind` object in namespace `ns` may run on a
// thread that must not wait: false for a pod when ServiceAccount admission
// is on and the cache does not hold `ns`/default (the lookup then asks
// storage, perhaps several times); the handler then runs the create off
// gRPC's threads. (A pod naming another account the cache lacks still
// reads storage once, on the thread the create runs on.)
bool AdmissionRunsWithoutWaiting(const api::KindInfo& kind, const std::string& ns,
                                 const AdmissionOptions& options);

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
