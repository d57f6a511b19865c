#include "kubelet/prober_manager.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace minik8s::kubelet {

namespace core = ::minik8s::core::v1;

ProberManager::PodProbes* ProberManager::Find(const std::string& uid, bool create) const {
  absl::MutexLock lock(&mu_);
  auto it = pods_.find(uid);
  if (it != pods_.end()) return &it->second;
  if (!create) return nullptr;
  return &pods_[uid];
}

ProberManager::Verdict ProberManager::Probe(const core::Pod& pod, const core::Container& c,
                                            const std::string& container_id,
                                            const std::string& pod_ip, absl::Time started,
                                            absl::Time now, absl::Time* wake) {
  Probes& p = (*Find(pod.metadata().uid(), /*create=*/true))[c.name()];
  if (p.instance != container_id) {
    if (started == absl::Time()) started = now;
    p.liveness.reset();
    p.readiness.reset();
    p.startup.reset();
    if (c.has_liveness_probe()) {
      p.liveness =
          std::make_unique<ProbeState>(ProbeKind::kLiveness, TimingOf(c.liveness_probe()), started);
    }
    if (c.has_readiness_probe()) {
      p.readiness = std::make_unique<ProbeState>(ProbeKind::kReadiness,
                                                 TimingOf(c.readiness_probe()), started);
    }
    if (c.has_startup_probe()) {
      p.startup =
          std::make_unique<ProbeState>(ProbeKind::kStartup, TimingOf(c.startup_probe()), started);
    }
    p.instance = container_id;
  }
  // One check and its bookkeeping; false when the runtime did not answer.
  auto check = [&](const core::Probe& spec, ProbeState& state) {
    absl::StatusOr<ProbeCheck> result = RunProbe(runtime_, container_id, spec, state.kind(),
                                                 state.timing().timeout, ProbeTarget{pod_ip, &c});
    if (!result.ok() && health_->RuntimeUnreachable(result.status())) return false;
    ProbeCheck r =
        result.ok() ? *result : ProbeCheck{false, std::string(result.status().message())};
    if (!r.success) {
      events_->Event(pod, c.name(), "Warning", "Unhealthy",
                     absl::StrCat(ProbeKindName(state.kind()), " probe failed: ", r.message));
    }
    state.Record(r.success, now);
    return true;
  };

  if (p.startup && p.startup->result() != ProbeResult::kSuccess) {
    if (p.startup->Due(now)) {
      if (!check(c.startup_probe(), *p.startup)) return Verdict::kNoAnswer;
      if (p.startup->result() == ProbeResult::kFailure) return Verdict::kStartupFailed;
      if (p.startup->result() == ProbeResult::kSuccess) p.startup->Stop();
    }
    if (p.startup->result() != ProbeResult::kSuccess) {
      *wake = std::min(*wake, p.startup->next_probe());
      return Verdict::kOk;
    }
  }
  if (p.liveness) {
    if (p.liveness->Due(now)) {
      if (!check(c.liveness_probe(), *p.liveness)) return Verdict::kNoAnswer;
      if (p.liveness->result() == ProbeResult::kFailure) return Verdict::kLivenessFailed;
    }
    *wake = std::min(*wake, p.liveness->next_probe());
  }
  if (p.readiness) {
    if (p.readiness->Due(now)) {
      if (!check(c.readiness_probe(), *p.readiness)) return Verdict::kNoAnswer;
    }
    *wake = std::min(*wake, p.readiness->next_probe());
  }
  return Verdict::kOk;
}

ProberManager::ContainerProbes ProberManager::Results(const std::string& uid,
                                                      const core::Container& c) const {
  const ProbeState* startup = nullptr;
  const ProbeState* readiness = nullptr;
  if (PodProbes* pod = Find(uid, /*create=*/false)) {
    auto it = pod->find(c.name());
    if (it != pod->end()) {
      startup = it->second.startup.get();
      readiness = it->second.readiness.get();
    }
  }
  ContainerProbes r;
  r.started = c.has_startup_probe() ? startup && startup->result() == ProbeResult::kSuccess
                                    : !startup || startup->result() == ProbeResult::kSuccess;
  r.ready = r.started && (!c.has_readiness_probe() ||
                          (readiness && readiness->result() == ProbeResult::kSuccess));
  return r;
}

void ProberManager::RemoveContainer(const std::string& uid, const std::string& container) {
  if (PodProbes* pod = Find(uid, /*create=*/false)) pod->erase(container);
}

void ProberManager::RemovePod(const std::string& uid) {
  absl::MutexLock lock(&mu_);
  pods_.erase(uid);
}

size_t ProberManager::NumPods() const {
  absl::MutexLock lock(&mu_);
  return pods_.size();
}

}  // namespace minik8s::kubelet
