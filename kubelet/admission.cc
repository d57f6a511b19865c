#include "kubelet/admission.h"

#include "absl/strings/str_cat.h"
#include "kubelet/pod_status.h"

namespace minik8s::kubelet {

namespace core = ::minik8s::core::v1;

PodAdmitResult AdmitPod(const core::Pod& pod, std::string_view node_os) {
  PodAdmitResult result;
  // Validation allows only linux and windows; a pod without os runs anywhere.
  if (pod.spec().has_os() && pod.spec().os().name() != node_os) {
    result.admit = false;
    result.reason = "PodOSNotSupported";
    result.message = "Failed to admit pod as the OS field doesn't match node OS";
  }
  return result;
}

core::PodStatus RejectedPodStatus(const core::Pod& pod, const PodAdmitResult& result) {
  core::PodStatus status;
  status.set_phase("Failed");
  status.set_reason(result.reason);
  status.set_message(absl::StrCat("Pod was rejected: ", result.message));
  status.set_qos_class(pod.status().qos_class().empty() ? QosClassOf(pod.spec())
                                                        : pod.status().qos_class());
  // Conditions others own stay; the kubelet's own are not reported.
  for (const core::PodCondition& c : pod.status().conditions()) {
    if (!PodConditionByKubelet(c.type())) *status.add_conditions() = c;
  }
  return status;
}

}  // namespace minik8s::kubelet
