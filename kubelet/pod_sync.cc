// The pod half of the Kubelet: SyncPod, what PodWorkers run for a pod key
// (which pod, which PodWorker), and the PodSyncHost the PodSyncer works
// through. See kubelet.h for the model and pod_syncer.h for the steps on the
// runtime.
#include <algorithm>
#include <cmath>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "api/errors.h"
#include "api/time.h"
#include "kubelet/kubelet.h"
#include "spdlog/spdlog.h"

namespace minik8s::kubelet {

namespace core = ::minik8s::core::v1;
namespace cri = ::minik8s::cri::v1;

void Kubelet::Event(const core::Pod& pod, const std::string& container, const std::string& type,
                    const std::string& reason, const std::string& message) {
  core::ObjectReference ref = client::ReferenceTo(pod);
  if (!container.empty()) {
    bool init = false;
    for (const auto& c : pod.spec().init_containers()) init |= c.name() == container;
    ref.set_field_path(
        absl::StrCat(init ? "spec.initContainers{" : "spec.containers{", container, "}"));
  }
  if (node_events_) node_events_->Remember(pod.metadata().uid(), pod.spec().node_name());
  recorder_->Event(ref, type, reason, message);
}

absl::Status Kubelet::SyncPod(const std::string& key, absl::Duration* requeue_after) {
  size_t slash = key.find('/');
  if (slash == std::string::npos) return absl::OkStatus();
  // Nothing can be done or learned without the runtime; CheckRuntime
  // enqueues every pod when it is back.
  if (!runtime_ready_.load()) return absl::OkStatus();
  const bool synced = informer_->HasSynced();
  std::shared_ptr<const core::Pod> pod =
      informer_->GetLister().Get(key.substr(0, slash), key.substr(slash + 1));
  if (pod && FindNode(pod->spec().node_name()) == nullptr) pod.reset();

  PodWorker* w = pod_workers_->Find(key);
  if (w != nullptr && (pod ? pod->metadata().uid() != w->uid : synced)) {
    // Gone from the apiserver (or replaced by a new pod of the same name).
    spdlog::info("pod {} ({}) is gone from the apiserver; tearing it down", key, w->uid);
    syncer_->TeardownPod(*w, 0, false);
    syncer_->ForgetPod(*w);
    pod_workers_->Remove(key);
    w = nullptr;
  }
  if (!pod) return absl::OkStatus();
  if (w == nullptr) {
    const std::string& phase = pod->status().phase();
    if ((phase == "Succeeded" || phase == "Failed") && !pod->metadata().has_deletion_timestamp()) {
      return absl::OkStatus();  // finished before we knew it; never rerun
    }
    if (!pod->metadata().has_deletion_timestamp()) {
      const PodAdmitResult admit = AdmitPod(*pod);
      if (!admit.admit) return RejectPod(*pod, admit);
    }
    auto nw = std::make_unique<PodWorker>(
        options_.crash_loop_backoff_initial, options_.crash_loop_backoff_max,
        options_.image_pull_backoff_initial, options_.image_pull_backoff_max);
    nw->key = key;
    nw->uid = pod->metadata().uid();
    nw->node = pod->spec().node_name();
    nw->first_seen = clock_->Now();
    w = pod_workers_->Put(key, std::move(nw));
  }
  w->last_pod = *pod;
  if (pod->metadata().has_deletion_timestamp()) {
    absl::Status s = syncer_->TerminatePod(*w, *pod);
    if (s.ok()) {
      syncer_->ForgetPod(*w);
      pod_workers_->Remove(key);
    }
    return s;
  }
  return syncer_->SyncRunningPod(*w, *pod, requeue_after);
}

absl::Status Kubelet::RejectPod(const core::Pod& pod, const PodAdmitResult& admit) {
  spdlog::warn("pod {}/{} rejected: {}: {}", pod.metadata().namespace_(), pod.metadata().name(),
               admit.reason, admit.message);
  Event(pod, "", "Warning", admit.reason, admit.message);
  core::Pod out = pod;
  *out.mutable_status() = RejectedPodStatus(pod, admit);
  out.mutable_metadata()->clear_resource_version();
  absl::Status written = UpdatePodStatus(out);
  return api::IsNotFound(written) ? absl::OkStatus() : written;
}

absl::StatusOr<std::string> Kubelet::AllocatePodIp(const std::string& node) {
  NodeState* n = FindNode(node);
  if (n == nullptr) return absl::NotFoundError(absl::StrCat("node ", node, " is not run here"));
  absl::MutexLock lock(&mu_);
  return n->ips->Allocate();
}

void Kubelet::ReleasePodIp(const std::string& node, const std::string& ip) {
  NodeState* n = FindNode(node);
  if (n == nullptr) return;
  absl::MutexLock lock(&mu_);
  n->ips->Release(ip);
}

std::string Kubelet::HostIp(const std::string& node) {
  NodeState* n = FindNode(node);
  return n ? n->config.internal_ip : "";
}

std::string Kubelet::NodeAllocatable(const std::string& node, const std::string& resource) {
  NodeState* n = FindNode(node);
  if (n == nullptr) return "";
  if (resource == "cpu") return n->config.cpu;
  if (resource == "memory") return n->config.memory;
  return "";
}

absl::Status Kubelet::UpdatePodStatus(const core::Pod& pod) {
  return clientset_->Pods().UpdateStatus(pod).status();
}

absl::StatusOr<core::Pod> Kubelet::GetPod(const std::string& ns, const std::string& name) {
  return clientset_->Pods().Get(ns, name);
}

absl::Status Kubelet::DeletePod(const core::Pod& pod) {
  client::DeleteOptions opts;
  opts.grace_period_seconds = 0;
  opts.precondition_uid = pod.metadata().uid();
  return clientset_->Pods()
      .Delete(pod.metadata().namespace_(), pod.metadata().name(), opts)
      .status();
}

}  // namespace minik8s::kubelet
