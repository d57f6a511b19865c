// The pod half of the kubelet: PodSyncer and the steps it takes on the
// runtime. See pod_syncer.h and kubelet.h for the model.
#include "kubelet/pod_syncer.h"

#include <algorithm>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "api/codec.h"
#include "api/errors.h"
#include "api/resource_field.h"
#include "api/time.h"
#include "api/validation/names.h"
#include "common/duration.h"
#include "common/metrics.h"
#include "kubelet/expansion.h"
#include "kubelet/lifecycle_hooks.h"
#include "runtime/container_ports.h"
#include "spdlog/spdlog.h"

namespace minik8s::kubelet {

namespace core = ::minik8s::core::v1;
namespace cri = ::minik8s::cri::v1;

namespace {

constexpr char kSandboxChanged[] = "Pod sandbox changed, it will be killed and re-created.";

absl::Time FromNanos(int64_t n) { return n == 0 ? absl::Time() : absl::FromUnixNanos(n); }

TerminatedView TerminatedOf(const cri::ContainerStatus& s) {
  return TerminatedView{
      s.exit_code(), s.reason(), s.message(), FromNanos(s.started_at()), FromNanos(s.finished_at()),
      s.id()};
}

std::string PodRef(const core::Pod& pod) {
  return absl::StrCat(pod.metadata().name(), "_", pod.metadata().namespace_(), "(",
                      pod.metadata().uid(), ")");
}

int64_t GraceOf(const core::Pod& pod) {
  if (pod.metadata().has_deletion_grace_period_seconds()) {
    return pod.metadata().deletion_grace_period_seconds();
  }
  if (pod.spec().has_termination_grace_period_seconds()) {
    return pod.spec().termination_grace_period_seconds();
  }
  return kDefaultTerminationGraceSeconds;
}

// The kubelet's metrics in the process-wide registry, with Kubernetes' names,
// help texts and buckets (pkg/kubelet/metrics). Every kubelet of the process
// (scale mode, tests) feeds the same series.
metrics::Histogram& PodStartDuration() {
  static metrics::Histogram* h = [] {
    auto family = metrics::NewHistogram(
        metrics::Registry::Default(), "kubelet_pod_start_duration_seconds",
        "Duration in seconds from kubelet seeing a pod for the first time to the pod starting to "
        "run",
        {}, {0.5, 1,   2,   3,   4,   5,   6,   8,   10,   20,   30,   45,  60,
             120, 180, 240, 300, 360, 480, 600, 900, 1200, 1800, 2700, 3600});
    return &(*family)->WithLabelValues({});
  }();
  return *h;
}

metrics::Gauge& RunningPods() {
  static metrics::Gauge* g = [] {
    auto family = metrics::NewGauge(metrics::Registry::Default(), "kubelet_running_pods",
                                    "Number of pods that have a running pod sandbox");
    return &(*family)->WithLabelValues({});
  }();
  return *g;
}

}  // namespace

PodSyncer::PodSyncer(runtime::RuntimeClient* runtime, common::Clock* clock, PodSyncHost* host,
                     PodSyncerOptions options)
    : runtime_(runtime),
      clock_(clock),
      host_(host),
      options_(options),
      status_(host),
      prober_(runtime, host, host),
      images_(runtime, clock, host, host, options.image_pull_backoff_initial) {
  RunningPods();  // exposed (as 0) from the start
  PodStartDuration();
}

PodSyncer::~PodSyncer() { RunningPods().Add(-static_cast<double>(running_pods_.load())); }

void PodSyncer::SandboxCreated() {
  running_pods_.fetch_add(1);
  RunningPods().Inc();
}

void PodSyncer::SandboxRemoved() {
  running_pods_.fetch_sub(1);
  RunningPods().Dec();
}

void PodSyncer::SandboxAdopted() { SandboxCreated(); }

void PodSyncer::ForgetPod(const PodWorker& w) {
  status_.RemovePod(w.uid);
  prober_.RemovePod(w.uid);
  if (options_.volumes != nullptr) options_.volumes->CleanupPod(w.uid);
}

bool PodSyncer::SetUpVolumes(PodWorker& w, const core::Pod& pod, absl::Time now, absl::Time* wake) {
  const bool written = w.volumes_set_up_at != absl::Time();
  if (written && now - w.volumes_set_up_at < options_.volume_resync_period) {
    *wake = std::min(*wake, w.volumes_set_up_at + options_.volume_resync_period);
    return true;
  }
  if (now < w.volume_retry_at) {
    *wake = std::min(*wake, w.volume_retry_at);
    return written;
  }
  VolumePaths dirs;
  absl::Status s = options_.volumes->SetUpPod(pod, &dirs);
  if (s.ok()) {
    w.volume_dirs = std::move(dirs);
    w.volumes_set_up_at = now;
    w.volume_retry_delay = absl::ZeroDuration();
    w.volume_retry_at = absl::Time();
    *wake = std::min(*wake, now + options_.volume_resync_period);
    return true;
  }
  host_->Event(pod, "", "Warning", "FailedMount", std::string(s.message()));
  w.volume_retry_delay = w.volume_retry_delay == absl::ZeroDuration()
                             ? options_.volume_retry_initial
                             : std::min(w.volume_retry_delay * 2, options_.volume_retry_max);
  w.volume_retry_at = now + w.volume_retry_delay;
  *wake = std::min(*wake, w.volume_retry_at);
  return written;
}

void PodSyncer::ObservePodStart(PodWorker& w) {
  if (w.start_observed) return;
  std::optional<core::PodStatus> reported = status_.GetPodStatus(w.uid);
  if (!reported.has_value() || reported->phase() != "Running") return;
  w.start_observed = true;
  // An adopted pod was first seen by an earlier kubelet: no figure.
  if (w.first_seen == absl::Time()) return;
  PodStartDuration().Observe(absl::ToDoubleSeconds(clock_->Now() - w.first_seen));
}

bool PodSyncer::EnsureSandbox(PodWorker& w, const core::Pod& pod) {
  if (!w.sandbox_id.empty()) return true;
  absl::StatusOr<std::string> ip = host_->AllocatePodIp(w.node);
  if (!ip.ok()) {
    host_->Event(pod, "", "Warning", "FailedCreatePodSandBox",
                 absl::StrCat("Failed to create pod sandbox: ", ip.status().message()));
    return false;
  }
  cri::RunPodSandboxRequest req;
  auto* cfg = req.mutable_config();
  cfg->mutable_metadata()->set_name(pod.metadata().name());
  cfg->mutable_metadata()->set_uid(pod.metadata().uid());
  cfg->mutable_metadata()->set_namespace_(pod.metadata().namespace_());
  cfg->set_hostname(pod.spec().hostname().empty() ? pod.metadata().name() : pod.spec().hostname());
  auto& labels = *cfg->mutable_labels();
  labels[kLabelPodUid] = pod.metadata().uid();
  labels[kLabelPodName] = pod.metadata().name();
  labels[kLabelPodNamespace] = pod.metadata().namespace_();
  labels[kLabelNodeName] = w.node;
  (*cfg->mutable_annotations())[kAnnotationPodIp] = *ip;
  auto resp = runtime_->RunPodSandbox(req);
  if (!resp.ok()) {
    host_->ReleasePodIp(w.node, *ip);
    if (!host_->RuntimeUnreachable(resp.status())) {
      host_->Event(pod, "", "Warning", "FailedCreatePodSandBox",
                   absl::StrCat("Failed to create pod sandbox: ", resp.status().message()));
    }
    return false;
  }
  w.sandbox_id = resp->pod_sandbox_id();
  SandboxCreated();
  w.pod_ip = *ip;
  w.runtime_epoch = host_->RuntimeEpoch();
  // A new sandbox for a pod that ran before: its init containers run again
  // (their last run becomes lastState).
  for (const core::Container& c : pod.spec().init_containers()) {
    auto it = w.containers.find(c.name());
    if (it == w.containers.end() || !it->second.status.has_value()) continue;
    ContainerRecord& r = it->second;
    if (r.status->state() == cri::CONTAINER_EXITED) r.last_terminated = TerminatedOf(*r.status);
    r.status.reset();
    r.id.clear();
    r.lost = false;
  }
  return true;
}

bool PodSyncer::SandboxAlive(PodWorker& w, bool suspect) {
  if (w.sandbox_id.empty()) return false;
  const uint64_t epoch = host_->RuntimeEpoch();
  if (!suspect && w.runtime_epoch == epoch) return true;
  cri::PodSandboxStatusRequest req;
  req.set_pod_sandbox_id(w.sandbox_id);
  auto st = runtime_->PodSandboxStatus(req);
  if (!st.ok()) {
    if (st.status().code() == absl::StatusCode::kNotFound) return false;
    host_->RuntimeUnreachable(st.status());
    return true;  // cannot tell; the caller checks runtime_ready_
  }
  if (st->status().state() != cri::SANDBOX_READY) return false;
  w.runtime_epoch = epoch;
  return true;
}

void PodSyncer::ResetSandbox(PodWorker& w, const core::Pod& pod) {
  spdlog::info("pod {}: sandbox {} is gone or not ready", w.key, w.sandbox_id.substr(0, 13));
  for (auto& [name, r] : w.containers) {
    if (r.lost || !r.status.has_value() || r.status->state() == cri::CONTAINER_EXITED) continue;
    cri::StopContainerRequest stop;
    stop.set_container_id(r.id);
    stop.set_timeout(0);
    (void)runtime_->StopContainer(stop);
    RefreshContainer(r);
  }
  cri::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(w.sandbox_id);
  (void)runtime_->StopPodSandbox(stop);
  cri::RemovePodSandboxRequest rm;
  rm.set_pod_sandbox_id(w.sandbox_id);
  (void)runtime_->RemovePodSandbox(rm);
  SandboxRemoved();
  if (!w.pod_ip.empty()) host_->ReleasePodIp(w.node, w.pod_ip);
  w.sandbox_id.clear();
  w.pod_ip.clear();
}

void PodSyncer::RefreshContainer(ContainerRecord& r) {
  if (r.id.empty() || r.lost) return;
  cri::ContainerStatusRequest req;
  req.set_container_id(r.id);
  auto st = runtime_->ContainerStatus(req);
  if (!st.ok()) {
    spdlog::debug("container {}: status: {}", r.id.substr(0, 13), st.status().ToString());
  }
  if (st.ok()) {
    r.status = st->status();
    if (!st->status().image_ref().empty()) r.image_id = st->status().image_ref();
  } else if (st.status().code() == absl::StatusCode::kNotFound) {
    MarkLost(r);
  } else {
    host_->RuntimeUnreachable(st.status());  // otherwise keep the last status
  }
}

void PodSyncer::MarkLost(ContainerRecord& r) {
  r.lost = true;
  if (r.status.has_value() && r.status->state() == cri::CONTAINER_EXITED)
    return;  // its end is known
  // What Kubernetes reports for a container the runtime cannot locate
  // (kubelet_pods.go, convertToAPIContainerStatuses).
  cri::ContainerStatus s = r.status.value_or(cri::ContainerStatus());
  s.set_id(r.id);
  s.set_state(cri::CONTAINER_EXITED);
  s.set_exit_code(137);
  s.set_reason("ContainerStatusUnknown");
  s.set_message("The container could not be located when the pod was terminated");
  s.set_finished_at(absl::ToUnixNanos(clock_->Now()));
  r.status = std::move(s);
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> PodSyncer::ContainerEnv(
    const PodWorker& w, const core::Pod& pod, const core::Container& c) {
  std::vector<std::pair<std::string, std::string>> out;
  absl::flat_hash_map<std::string, size_t> index;  // name -> its place in out
  auto set = [&](const std::string& name, std::string value) {
    auto [it, added] = index.try_emplace(name, out.size());
    if (added) {
      out.emplace_back(name, std::move(value));
    } else {
      out[it->second].second = std::move(value);
    }
  };
  // envFrom first, each key (prefixed) that makes a valid name; env after,
  // overriding.
  for (const core::EnvFromSource& from : c.env_from()) {
    if (options_.volumes == nullptr) {
      return absl::FailedPreconditionError(
          "this kubelet reads no ConfigMaps or Secrets (no volume manager)");
    }
    absl::StatusOr<std::optional<std::map<std::string, std::string>>> got =
        options_.volumes->EnvFromValues(pod.metadata().namespace_(), from);
    if (!got.ok()) return got.status();
    if (!got->has_value()) continue;  // optional and missing
    std::vector<std::string> invalid;
    for (auto& [key, value] : **got) {
      const std::string name = from.prefix() + key;
      if (!validation::IsEnvVarName(name).empty()) {
        invalid.push_back(key);
        continue;
      }
      set(name, std::move(value));
    }
    if (!invalid.empty()) {
      const bool config_map = from.has_config_map_ref();
      host_->Event(
          pod, "", "Warning", "InvalidEnvironmentVariableNames",
          absl::StrCat("Keys [", absl::StrJoin(invalid, ", "), "] from the EnvFrom ",
                       config_map ? "configMap " : "secret ", pod.metadata().namespace_(), "/",
                       config_map ? from.config_map_ref().name() : from.secret_ref().name(),
                       " were skipped since they are considered invalid environment variable "
                       "names."));
    }
  }
  // $(NAME) in a value: a variable defined before it (envFrom's, or an
  // earlier env entry), as Kubernetes expands them.
  auto defined = [&](std::string_view name) -> std::optional<std::string> {
    auto it = index.find(absl::string_view(name.data(), name.size()));
    if (it == index.end()) return std::nullopt;
    return out[it->second].second;
  };
  for (const core::EnvVar& e : c.env()) {
    std::string value = ExpandReferences(e.value(), defined);
    if (e.value().empty() && e.has_value_from()) {
      const core::EnvVarSource& from = e.value_from();
      if (from.has_field_ref()) {
        const std::string& f = from.field_ref().field_path();
        if (f == "status.podIP" || f == "status.podIPs") {
          value = w.pod_ip;
        } else if (f == "status.hostIP" || f == "status.hostIPs") {
          value = host_->HostIp(w.node);
        } else {
          absl::StatusOr<std::string> got = PodFieldValue(pod, f);
          if (!got.ok()) return got.status();
          value = *std::move(got);
        }
      } else if (from.has_resource_field_ref()) {
        // The container named, by default this one.
        const core::ResourceFieldSelector& ref = from.resource_field_ref();
        const core::Container* target = &c;
        if (!ref.container_name().empty() && ref.container_name() != c.name()) {
          target = nullptr;
          for (const auto* list : {&pod.spec().containers(), &pod.spec().init_containers()}) {
            for (const core::Container& other : *list) {
              if (other.name() == ref.container_name()) target = &other;
            }
          }
          if (target == nullptr) {
            return absl::InvalidArgumentError(absl::StrCat("container ", ref.container_name(),
                                                           " not found for resourceFieldRef"));
          }
        }
        const std::string& r = ref.resource();
        absl::StatusOr<std::string> got = api::ContainerResourceValue(
            *target, ref, host_->NodeAllocatable(w.node, r.substr(r.find('.') + 1)));
        if (!got.ok()) return got.status();
        value = *std::move(got);
      } else if (from.has_config_map_key_ref() || from.has_secret_key_ref()) {
        if (options_.volumes == nullptr) {
          return absl::FailedPreconditionError(
              "this kubelet reads no ConfigMaps or Secrets (no volume manager)");
        }
        absl::StatusOr<std::optional<std::string>> got =
            options_.volumes->EnvValue(pod.metadata().namespace_(), from);
        if (!got.ok()) return got.status();
        if (!got->has_value()) continue;  // optional and missing: left out
        value = **std::move(got);
      }
    }
    set(e.name(), std::move(value));
  }
  return out;
}

bool PodSyncer::StartContainer(PodWorker& w, const core::Pod& pod, const core::Container& c,
                               bool init, ContainerRecord& r, absl::Time now, absl::Time* wake) {
  r.waiting_reason.clear();
  r.waiting_message.clear();
  // As Kubernetes does, the pod shows its containers waiting in
  // ContainerCreating while an absent image downloads (written only when
  // that changes the status).
  auto before_pull = [&] {
    absl::Status s = ReportStatus(w, pod, /*sandbox_ready=*/true, "");
    if (!s.ok()) {
      spdlog::debug("pod {}: status before pulling \"{}\" not written: {}", w.key, c.image(),
                    s.ToString());
    }
  };
  if (!images_.EnsureImage(pod, c, w.pull_backoff, r, now, wake, before_pull)) return false;

  // The environment, as Kubernetes makes it once the image is there: a
  // missing ConfigMap, Secret or key keeps the container waiting in
  // CreateContainerConfigError, asked again a second later.
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> env = ContainerEnv(w, pod, c);
  if (!env.ok()) {
    r.waiting_reason = "CreateContainerConfigError";
    r.waiting_message = std::string(env.status().message());
    host_->Event(pod, c.name(), "Warning", "Failed", absl::StrCat("Error: ", r.waiting_message));
    *wake = std::min(*wake, now + absl::Seconds(1));
    return false;
  }

  cri::CreateContainerRequest req;
  req.set_pod_sandbox_id(w.sandbox_id);
  auto* cfg = req.mutable_config();
  cfg->mutable_metadata()->set_name(c.name());
  cfg->mutable_metadata()->set_attempt(static_cast<uint32_t>(r.attempt + 1));
  cfg->mutable_image()->set_image(c.image());
  // $(NAME) in command and args: the container's variables (indexed only
  // when a reference is there to expand).
  absl::flat_hash_map<absl::string_view, absl::string_view> vars;
  bool references = false;
  for (const auto* list : {&c.command(), &c.args()}) {
    for (const std::string& arg : *list) references = references || absl::StrContains(arg, "$(");
  }
  if (references) {
    for (const auto& [key, value] : *env) vars[key] = value;
  }
  auto lookup = [&](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(absl::string_view(name.data(), name.size()));
    if (it == vars.end()) return std::nullopt;
    return std::string(it->second);
  };
  for (const auto& s : c.command()) cfg->add_command(ExpandReferences(s, lookup));
  for (const auto& s : c.args()) cfg->add_args(ExpandReferences(s, lookup));
  cfg->set_working_dir(c.working_dir());
  for (cri::Mount& m : VolumeManager::MountsFor(c, w.volume_dirs)) {
    *cfg->add_mounts() = std::move(m);
  }
  for (auto& [key, value] : *env) {
    auto* kv = cfg->add_envs();
    kv->set_key(std::move(key));
    kv->set_value(std::move(value));
  }
  auto& labels = *cfg->mutable_labels();
  labels[kLabelPodUid] = pod.metadata().uid();
  labels[kLabelPodName] = pod.metadata().name();
  labels[kLabelPodNamespace] = pod.metadata().namespace_();
  labels[kLabelContainerName] = c.name();
  labels[kLabelNodeName] = w.node;
  if (init) labels[kLabelInitContainer] = "true";
  if (c.ports_size() > 0) {
    // The Kubernetes kubelet's annotation: the runtime answers on these
    // ports at the pod's address (runtime/port_listeners.h).
    std::string ports = "[";
    for (int i = 0; i < c.ports_size(); ++i) {
      absl::StrAppend(&ports, i > 0 ? "," : "", api::EncodeJson(c.ports(i)));
    }
    (*cfg->mutable_annotations())[runtime::kContainerPortsAnnotation] = ports + "]";
  }
  auto created = runtime_->CreateContainer(req);
  if (!created.ok() && host_->RuntimeUnreachable(created.status())) return false;
  if (!created.ok() &&
      (created.status().code() == absl::StatusCode::kNotFound ||
       created.status().code() == absl::StatusCode::kFailedPrecondition) &&
      !SandboxAlive(w, true)) {
    // The sandbox is gone (the runtime restarted) or stopped: make a new one.
    if (!host_->RuntimeReady()) return false;
    ResetSandbox(w, pod);
    host_->Event(pod, "", "Normal", "SandboxChanged", kSandboxChanged);
    *wake = std::min(*wake, now + absl::Milliseconds(100));
    return false;
  }
  if (!created.ok()) {
    r.waiting_reason = "CreateContainerError";
    r.waiting_message = std::string(created.status().message());
    host_->Event(pod, c.name(), "Warning", "Failed", absl::StrCat("Error: ", r.waiting_message));
    *wake = std::min(*wake, now + absl::Seconds(1));
    return false;
  }
  host_->Event(pod, c.name(), "Normal", "Created", absl::StrCat("Created container ", c.name()));

  // The instance being replaced becomes lastState; the one before it goes.
  if (r.status.has_value() && r.status->state() == cri::CONTAINER_EXITED) {
    if (r.last_terminated.has_value() && !r.last_terminated->container_id.empty()) {
      cri::RemoveContainerRequest rm;
      rm.set_container_id(r.last_terminated->container_id);
      (void)runtime_->RemoveContainer(rm);
    }
    r.last_terminated = TerminatedOf(*r.status);
  }
  r.id = created->container_id();
  r.attempt += 1;
  r.lost = false;
  r.status.reset();
  prober_.RemoveContainer(w.uid, c.name());

  cri::StartContainerRequest sreq;
  sreq.set_container_id(r.id);
  auto started = runtime_->StartContainer(sreq);
  if (!started.ok() && host_->RuntimeUnreachable(started.status())) return false;
  if (!started.ok()) {
    r.waiting_reason = "RunContainerError";
    r.waiting_message = std::string(started.status().message());
    host_->Event(pod, c.name(), "Warning", "Failed", absl::StrCat("Error: ", r.waiting_message));
    RefreshContainer(r);
    return false;
  }
  host_->Event(pod, c.name(), "Normal", "Started", absl::StrCat("Started container ", c.name()));
  if (c.has_lifecycle() && c.lifecycle().has_post_start()) {
    std::optional<std::string> failed = RunLifecycleHook(
        runtime_, clock_, c.lifecycle().post_start(),
        HookTarget{.pod = &pod, .container = &c, .container_id = r.id, .pod_ip = w.pod_ip},
        absl::InfiniteDuration());
    if (failed.has_value()) {
      // As Kubernetes: the Event, then the container is killed and waits
      // to be started again (by its restart policy, with back-off).
      host_->Event(pod, c.name(), "Warning", "FailedPostStartHook", *failed);
      host_->Event(pod, c.name(), "Normal", "Killing", "FailedPostStartHook");
      KillContainer(pod, &c, r, w.pod_ip, clock_->Now() + absl::Seconds(GraceOf(pod)));
      r.waiting_reason = "PostStartHookError";
      r.waiting_message = *failed;
      return false;
    }
  }
  RefreshContainer(r);
  return true;
}

void PodSyncer::KillContainer(const core::Pod& pod, const core::Container* spec, ContainerRecord& r,
                              const std::string& pod_ip, absl::Time deadline) {
  // Whole seconds left until `deadline`, rounded up.
  auto seconds_left = [&] { return CeilSeconds(deadline - clock_->Now()); };
  int64_t grace = seconds_left();
  if (spec != nullptr && spec->has_lifecycle() && spec->lifecycle().has_pre_stop() && grace > 0) {
    std::optional<std::string> failed = RunLifecycleHook(
        runtime_, clock_, spec->lifecycle().pre_stop(),
        HookTarget{.pod = &pod, .container = spec, .container_id = r.id, .pod_ip = pod_ip},
        absl::Seconds(grace));
    if (failed.has_value()) {
      host_->Event(pod, spec->name(), "Warning", "FailedPreStopHook", *failed);
    }
    // Kubernetes' minimum shutdown window after a hook, so that a hook
    // that used the whole grace period does not make it a SIGKILL.
    constexpr int64_t kMinimumGraceSeconds = 2;
    grace = std::max(seconds_left(), kMinimumGraceSeconds);
  }
  cri::StopContainerRequest req;
  req.set_container_id(r.id);
  req.set_timeout(grace);
  auto stopped = runtime_->StopContainer(req);
  if (!stopped.ok() && stopped.status().code() != absl::StatusCode::kNotFound) {
    spdlog::warn("pod {}/{}: stopping container {}: {}", pod.metadata().namespace_(),
                 pod.metadata().name(), spec != nullptr ? spec->name() : r.id.substr(0, 13),
                 stopped.status().ToString());
  }
  RefreshContainer(r);
}

bool PodSyncer::RunProbes(const core::Pod& pod, const core::Container& c, ContainerRecord& r,
                          const std::string& pod_ip, absl::Time now, absl::Time* wake) {
  const ProberManager::Verdict verdict =
      prober_.Probe(pod, c, r.id, pod_ip, FromNanos(r.status->started_at()), now, wake);
  if (verdict != ProberManager::Verdict::kLivenessFailed &&
      verdict != ProberManager::Verdict::kStartupFailed) {
    return false;
  }
  const char* why = verdict == ProberManager::Verdict::kLivenessFailed ? "liveness" : "startup";
  host_->Event(pod, c.name(), "Normal", "Killing",
               absl::StrCat("Container ", c.name(), " failed ", why, " probe, will be restarted"));
  const int64_t grace = pod.spec().has_termination_grace_period_seconds()
                            ? pod.spec().termination_grace_period_seconds()
                            : kDefaultTerminationGraceSeconds;
  KillContainer(pod, &c, r, pod_ip, clock_->Now() + absl::Seconds(grace));
  return true;
}

ContainerView PodSyncer::ViewOf(const PodWorker& w, const core::Container& c,
                                const ContainerRecord& r, bool init, bool init_pending) const {
  ContainerView v;
  v.name = c.name();
  v.image = c.image();
  v.image_id = r.image_id;
  v.restart_count = std::max(r.attempt, 0);
  // Like Kubernetes, a lost running instance counts as a restart at once
  // (the restarted one then has attempt + 1: the same count).
  if (r.lost && r.status.has_value() && r.status->reason() == "ContainerStatusUnknown") {
    v.restart_count += 1;
  }
  if (!r.status.has_value()) {
    v.state = ContainerView::State::kWaiting;
    v.waiting_reason = !r.waiting_reason.empty() ? r.waiting_reason
                       : (!init && init_pending) ? "PodInitializing"
                                                 : "ContainerCreating";
    v.waiting_message = r.waiting_message;
    v.last_terminated = r.last_terminated;
    return v;
  }
  const cri::ContainerStatus& s = *r.status;
  switch (s.state()) {
    case cri::CONTAINER_RUNNING: {
      v.state = ContainerView::State::kRunning;
      v.started_at = FromNanos(s.started_at());
      v.container_id = s.id();
      v.last_terminated = r.last_terminated;
      const ProberManager::ContainerProbes probes = prober_.Results(w.uid, c);
      v.started = probes.started;
      v.ready = probes.ready;
      if (init) v.ready = false;
      break;
    }
    case cri::CONTAINER_EXITED:
      if (!r.waiting_reason.empty()) {
        v.state = ContainerView::State::kWaiting;
        v.waiting_reason = r.waiting_reason;
        v.waiting_message = r.waiting_message;
        v.last_terminated = TerminatedOf(s);
      } else {
        v.state = ContainerView::State::kTerminated;
        v.terminated = TerminatedOf(s);
        v.last_terminated = r.last_terminated;
        // A completed init container counts as ready (as in Kubernetes).
        if (init && s.exit_code() == 0) v.ready = true;
      }
      break;
    default:
      v.state = ContainerView::State::kWaiting;
      v.waiting_reason = r.waiting_reason.empty() ? "ContainerCreating" : r.waiting_reason;
      v.waiting_message = r.waiting_message;
      v.last_terminated = r.last_terminated;
      break;
  }
  return v;
}

absl::Status PodSyncer::SyncRunningPod(PodWorker& w, const core::Pod& pod,
                                       absl::Duration* requeue_after) {
  const absl::Time now = clock_->Now();
  absl::Time wake = absl::InfiniteFuture();
  const std::optional<core::PodStatus> reported = status_.GetPodStatus(w.uid);
  // The first start time reported wins (also over an adopted sandbox's).
  if (!reported.has_value() && pod.status().has_start_time()) {
    w.start_time = api::FromProtoTime(pod.status().start_time());
  }
  if (w.start_time == absl::Time()) w.start_time = now;
  const std::string policy = RestartPolicyOf(pod.spec());
  const std::string phase_before = reported ? reported->phase() : pod.status().phase();
  const bool finished = phase_before == "Succeeded" || phase_before == "Failed";

  for (auto& [name, r] : w.containers) RefreshContainer(r);
  if (!host_->RuntimeReady()) return absl::OkStatus();  // went away: learn nothing now
  bool any_lost = false;
  for (const auto& [name, r] : w.containers) any_lost |= r.lost;
  bool sandbox_lost = false;
  if (!finished && !w.sandbox_id.empty() && !SandboxAlive(w, any_lost)) {
    if (!host_->RuntimeReady()) return absl::OkStatus();
    ResetSandbox(w, pod);
    sandbox_lost = true;
  }
  // A new sandbox only if a container is to run in it: not for a pod whose
  // containers all ended for good (e.g. a Never pod the runtime lost).
  bool needs_sandbox = !w.sandbox_id.empty();
  for (const core::Container& c : pod.spec().containers()) {
    auto it = w.containers.find(c.name());
    if (it == w.containers.end() || it->second.attempt < 0 || !it->second.status.has_value() ||
        it->second.status->state() != cri::CONTAINER_EXITED ||
        ShouldRestart(policy, it->second.status->exit_code())) {
      needs_sandbox = true;
    }
  }
  // Kubernetes announces the new sandbox only when it makes one.
  if (sandbox_lost && needs_sandbox)
    host_->Event(pod, "", "Normal", "SandboxChanged", kSandboxChanged);
  // Volumes come before the sandbox (Kubernetes waits for them before
  // making it); a pod already running keeps running when a refresh fails.
  bool volumes_ready = true;
  if (!finished && needs_sandbox && options_.volumes != nullptr &&
      VolumeManager::HasMaterializedVolumes(pod)) {
    volumes_ready = SetUpVolumes(w, pod, now, &wake);
  }
  bool sandbox_ready = !finished && needs_sandbox && (volumes_ready || !w.sandbox_id.empty()) &&
                       EnsureSandbox(w, pod);
  if (!host_->RuntimeReady()) return absl::OkStatus();
  if (!finished && needs_sandbox && !sandbox_ready && volumes_ready) {
    wake = now + absl::Seconds(1);
  }

  // Restarts an exited container when the policy says so and its back-off
  // allows; otherwise records why it waits.
  auto handle_exited = [&](const core::Container& c, bool init, ContainerRecord& r) {
    r.waiting_reason.clear();
    r.waiting_message.clear();
    if (!ShouldRestart(policy, r.status->exit_code())) return;
    if (r.lost) {
      // The runtime lost it; it did not crash. As in Kubernetes (no exited
      // instance in the runtime to back off from) it starts again at once.
      StartContainer(w, pod, c, init, r, now, &wake);
      return;
    }
    const std::string bkey = c.name();
    absl::Time started = FromNanos(r.status->started_at());
    absl::Time finished_at = FromNanos(r.status->finished_at());
    if (finished_at == absl::Time()) finished_at = now;
    if (started != absl::Time() && finished_at - started >= options_.crash_loop_backoff_reset) {
      w.crash_backoff.Reset(bkey);
    }
    if (w.crash_backoff.IsInBackOffSince(bkey, finished_at, now)) {
      absl::Duration delay = w.crash_backoff.Get(bkey);
      r.waiting_reason = "CrashLoopBackOff";
      r.waiting_message =
          absl::StrCat("back-off ", FormatGoDuration(delay),
                       " restarting failed container=", c.name(), " pod=", PodRef(pod));
      if (r.backoff_event_for != finished_at) {
        host_->Event(pod, c.name(), "Warning", "BackOff",
                     absl::StrCat("Back-off restarting failed container ", c.name(), " in pod ",
                                  PodRef(pod)));
        r.backoff_event_for = finished_at;
      }
      wake = std::min(wake, finished_at + delay);
      return;
    }
    w.crash_backoff.Next(bkey, now);
    StartContainer(w, pod, c, init, r, now, &wake);
  };

  bool init_pending = false;
  if (sandbox_ready) {
    for (const core::Container& c : pod.spec().init_containers()) {
      ContainerRecord& r = w.containers[c.name()];
      if (r.status && r.status->state() == cri::CONTAINER_EXITED && r.status->exit_code() == 0) {
        continue;
      }
      init_pending = true;
      if (!r.status) {
        StartContainer(w, pod, c, true, r, now, &wake);
      } else if (r.status->state() == cri::CONTAINER_EXITED) {
        handle_exited(c, true, r);
      } else if (r.status->state() == cri::CONTAINER_CREATED) {
        cri::StartContainerRequest s;
        s.set_container_id(r.id);
        (void)runtime_->StartContainer(s);
        RefreshContainer(r);
      }
      break;
    }
    if (!init_pending) {
      for (const core::Container& c : pod.spec().containers()) {
        ContainerRecord& r = w.containers[c.name()];
        if (!r.status) {
          if (r.attempt < 0 ||
              ShouldRestart(policy, r.last_terminated ? r.last_terminated->exit_code : 1)) {
            StartContainer(w, pod, c, false, r, now, &wake);
          }
          continue;
        }
        if (r.status->state() == cri::CONTAINER_CREATED) {
          cri::StartContainerRequest s;
          s.set_container_id(r.id);
          (void)runtime_->StartContainer(s);
          RefreshContainer(r);
        }
        if (r.status && r.status->state() == cri::CONTAINER_RUNNING) {
          if (!RunProbes(pod, c, r, w.pod_ip, now, &wake)) continue;
        }
        if (r.status && r.status->state() == cri::CONTAINER_EXITED) handle_exited(c, false, r);
      }
    }
  }

  // The runtime went away during the sync: what was seen is not worth
  // reporting; everything is synced again when it is back.
  if (!host_->RuntimeReady()) return absl::OkStatus();

  absl::Status written = ReportStatus(w, pod, sandbox_ready, finished ? phase_before : "");
  if (written.ok()) ObservePodStart(w);
  if (wake != absl::InfiniteFuture())
    *requeue_after = std::max(wake - clock_->Now(), absl::ZeroDuration());
  return written;
}

absl::Status PodSyncer::ReportStatus(PodWorker& w, const core::Pod& pod, bool sandbox_ready,
                                     const std::string& finished_phase) {
  PodStatusInput in;
  core::Pod old = pod;
  if (std::optional<core::PodStatus> reported = status_.GetPodStatus(w.uid)) {
    *old.mutable_status() = *std::move(reported);
  }
  in.pod = &old;
  in.api_status = &pod.status();
  bool init_blocking = false;
  for (const core::Container& c : pod.spec().init_containers()) {
    const ContainerRecord& r = w.containers[c.name()];
    in.init_containers.push_back(ViewOf(w, c, r, true, false));
    if (!(r.status && r.status->state() == cri::CONTAINER_EXITED && r.status->exit_code() == 0)) {
      init_blocking = true;
    }
  }
  for (const core::Container& c : pod.spec().containers()) {
    in.containers.push_back(ViewOf(w, c, w.containers[c.name()], false, init_blocking));
  }
  in.sandbox_ready = sandbox_ready;
  in.pod_ip = w.pod_ip;
  in.host_ip = host_->HostIp(w.node);
  in.start_time = w.start_time;
  // Condition transitions are stamped when the status is built, after any
  // pull or start of this sync, not when the sync began.
  in.now = clock_->Now();
  core::PodStatus status = ComputePodStatus(in);
  if (!finished_phase.empty()) status.set_phase(finished_phase);  // a finished pod stays finished
  return status_.SetPodStatus(pod, status);
}

void PodSyncer::TeardownPod(PodWorker& w, int64_t grace_seconds, bool record_events) {
  const absl::Time deadline = clock_->Now() + absl::Seconds(std::max<int64_t>(grace_seconds, 0));
  // The running containers, each with its spec (for its preStop hook).
  std::vector<std::pair<const core::Container*, ContainerRecord*>> running;
  bool hooks = false;
  for (auto& [name, r] : w.containers) {
    RefreshContainer(r);
    if (!r.status || r.status->state() == cri::CONTAINER_EXITED) continue;
    const core::Container* spec = nullptr;
    for (const auto* list :
         {&w.last_pod.spec().containers(), &w.last_pod.spec().init_containers()}) {
      for (const core::Container& c : *list) {
        if (c.name() == name) spec = &c;
      }
    }
    hooks = hooks || (spec != nullptr && spec->lifecycle().has_pre_stop());
    if (record_events) {
      host_->Event(w.last_pod, name, "Normal", "Killing",
                   absl::StrCat("Stopping container ", name));
    }
    running.emplace_back(spec, &r);
  }
  auto kill = [&](const core::Container* spec, ContainerRecord* r) {
    KillContainer(w.last_pod, spec, *r, w.pod_ip, deadline);
  };
  if (hooks && running.size() > 1) {
    // As Kubernetes: the containers stop in parallel, so that one's preStop
    // hook does not hold up another's stop.
    std::vector<std::thread> threads;
    threads.reserve(running.size());
    for (const auto& [spec, r] : running) threads.emplace_back(kill, spec, r);
    for (std::thread& t : threads) t.join();
  } else {
    // One after another; each gets what is left of the grace period.
    for (const auto& [spec, r] : running) kill(spec, r);
  }
  if (!w.sandbox_id.empty()) {
    cri::StopPodSandboxRequest stop;
    stop.set_pod_sandbox_id(w.sandbox_id);
    (void)runtime_->StopPodSandbox(stop);
    cri::RemovePodSandboxRequest rm;
    rm.set_pod_sandbox_id(w.sandbox_id);
    auto s = runtime_->RemovePodSandbox(rm);
    if (s.ok() || s.status().code() == absl::StatusCode::kNotFound) {
      w.sandbox_id.clear();
      SandboxRemoved();
    }
  }
  if (!w.pod_ip.empty()) {
    host_->ReleasePodIp(w.node, w.pod_ip);
    w.pod_ip.clear();
  }
}

absl::Status PodSyncer::TerminatePod(PodWorker& w, const core::Pod& pod) {
  w.last_pod = pod;  // the spec of the containers' preStop hooks
  TeardownPod(w, GraceOf(pod), true);
  absl::Status deleted = host_->DeletePod(pod);
  if (!deleted.ok() && !api::IsNotFound(deleted) && !api::IsConflict(deleted)) {
    return deleted;
  }
  return absl::OkStatus();
}

}  // namespace minik8s::kubelet
