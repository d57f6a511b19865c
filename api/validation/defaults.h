// Kubernetes' defaulting (pkg/apis/core/v1/defaults.go,
// pkg/apis/apps/v1/defaults.go) for the kinds minik8s serves, and the
// DefaultTolerationSeconds admission step.
//
// Contract: each function fills only fields that are unset (or empty), so
// applying it twice changes nothing. SetDefaults dispatches on the message
// type through the built-in KindRulesTable (kind_rules.h: each kind's
// rules name its defaulting, in kinds/<name>/<name>_validation.cc);
// unknown types are left alone. Defaults applied:
//   Pod: restartPolicy Always, terminationGracePeriodSeconds 30,
//     dnsPolicy ClusterFirst, schedulerName default-scheduler,
//     securityContext {}, enableServiceLinks true; per container (and init
//     container): imagePullPolicy Always for a `:latest` or untagged image,
//     else IfNotPresent; terminationMessagePath /dev/termination-log;
//     terminationMessagePolicy File; resources {}; port protocol TCP; probes timeoutSeconds
//     1, periodSeconds 10, successThreshold 1, failureThreshold 3; httpGet
//     path / and scheme HTTP; requests copied from limits where missing.
//   Deployment: replicas 1, strategy RollingUpdate with maxUnavailable and
//     maxSurge 25%, revisionHistoryLimit 10, progressDeadlineSeconds 600, and
//     the pod template's spec defaults (not the pod-only ones).
//   ReplicaSet: replicas 1 and the template's spec defaults.
//   Namespace: status.phase Active. Node: allocatable = capacity if unset.
//   Lease, Event, Binding: nothing.
// AddDefaultTolerations is separate because Kubernetes does it at admission
// (pods only, on create), not in defaulting.
//
// Thread safety: functions mutate only their argument.
#ifndef MINIK8S_API_VALIDATION_DEFAULTS_H_
#define MINIK8S_API_VALIDATION_DEFAULTS_H_

#include <cstdint>

#include "google/protobuf/message.h"
#include "k8s/apps/v1/apps.pb.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::validation {

inline constexpr int64_t kDefaultTerminationGracePeriodSeconds = 30;
inline constexpr int64_t kDefaultTolerationSeconds = 300;

void SetDefaults(google::protobuf::Message* obj);

void SetPodDefaults(minik8s::core::v1::Pod* pod);
// The part shared by pods and pod templates.
void SetPodSpecDefaults(minik8s::core::v1::PodSpec* spec);
void SetContainerDefaults(minik8s::core::v1::Container* container);
void SetProbeDefaults(minik8s::core::v1::Probe* probe);
void SetDeploymentDefaults(minik8s::apps::v1::Deployment* d);
void SetReplicaSetDefaults(minik8s::apps::v1::ReplicaSet* rs);
void SetNamespaceDefaults(minik8s::core::v1::Namespace* ns);
void SetNodeDefaults(minik8s::core::v1::Node* node);

// Always for an image with tag `latest` or no tag (and no digest), else
// IfNotPresent.
const char* DefaultImagePullPolicy(std::string_view image);

// The DefaultTolerationSeconds admission plugin: unless the pod already
// tolerates them (a toleration whose key is that taint's or empty and whose
// effect is NoExecute or empty), adds
//   node.kubernetes.io/not-ready:NoExecute op=Exists for <not_ready_seconds>s
//   node.kubernetes.io/unreachable:NoExecute op=Exists for <unreachable_seconds>s
// (kube-apiserver's --default-not-ready-toleration-seconds and
// --default-unreachable-toleration-seconds, 300 each by default).
void AddDefaultTolerations(minik8s::core::v1::Pod* pod,
                           int64_t not_ready_seconds = kDefaultTolerationSeconds,
                           int64_t unreachable_seconds = kDefaultTolerationSeconds);

}  // namespace minik8s::validation

#endif  // MINIK8S_API_VALIDATION_DEFAULTS_H_
