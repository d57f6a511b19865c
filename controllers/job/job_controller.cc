#include "controllers/job/job_controller.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "api/time.h"
#include "client/indexer.h"
#include "client/resource.h"
#include "controllers/util/claim_pods.h"
#include "controllers/util/owner_refs.h"
#include "controllers/util/pod_util.h"
#include "controllers/util/slow_start.h"
#include "google/protobuf/util/message_differencer.h"
#include "spdlog/spdlog.h"

namespace minik8s::controllers {
namespace {

using minik8s::batch::v1::Job;
using minik8s::batch::v1::JobCondition;
using minik8s::batch::v1::JobSpec;
using minik8s::batch::v1::JobStatus;
using minik8s::core::v1::Pod;

constexpr char kKind[] = "Job";
constexpr char kApiVersion[] = "batch/v1";
constexpr char kOrphanPrefix[] = "pod:";
// spec.managedBy of the Jobs this controller reconciles (or unset).
constexpr char kJobControllerName[] = "kubernetes.io/job-controller";

constexpr char kComplete[] = "Complete";
constexpr char kFailed[] = "Failed";
constexpr char kFailureTarget[] = "FailureTarget";
constexpr char kSuccessCriteriaMet[] = "SuccessCriteriaMet";
constexpr char kSuspended[] = "Suspended";

constexpr char kBackoffLimitExceeded[] = "BackoffLimitExceeded";
constexpr char kBackoffLimitMessage[] = "Job has reached the specified backoff limit";
constexpr char kDeadlineExceeded[] = "DeadlineExceeded";
constexpr char kDeadlineMessage[] = "Job was active longer than specified deadline";
constexpr char kCompletionsReached[] = "CompletionsReached";
constexpr char kCompletionsMessage[] = "Reached expected number of succeeded pods";

client::WorkQueueOptions QueueOptions(common::Clock* clock) {
  client::WorkQueueOptions o;
  o.name = "job";
  o.clock = clock;
  return o;
}

bool HasTrackingFinalizer(const Pod& pod) {
  for (const std::string& f : pod.metadata().finalizers()) {
    if (f == kJobTrackingFinalizer) return true;
  }
  return false;
}

bool IsTerminal(const Pod& pod) {
  return pod.status().phase() == "Succeeded" || pod.status().phase() == "Failed";
}

// The pod the Job creates from its template: the template's labels,
// annotations and spec, the tracking finalizer and a controllerRef.
Pod PodFromTemplate(const Job& job) {
  Pod pod;
  const auto& tmpl = job.spec().template_();
  auto* meta = pod.mutable_metadata();
  *meta->mutable_labels() = tmpl.metadata().labels();
  *meta->mutable_annotations() = tmpl.metadata().annotations();
  *meta->mutable_finalizers() = tmpl.metadata().finalizers();
  meta->add_finalizers(kJobTrackingFinalizer);
  meta->set_generate_name(absl::StrCat(job.metadata().name(), "-"));
  meta->set_namespace_(job.metadata().namespace_());
  *meta->add_owner_references() = NewControllerRef(job.metadata(), kApiVersion, kKind);
  *pod.mutable_spec() = job.spec().template_().spec();
  return pod;
}

JobCondition* MutableCondition(JobStatus* status, absl::string_view type) {
  for (JobCondition& c : *status->mutable_conditions()) {
    if (c.type() == type) return &c;
  }
  return nullptr;
}

// Sets condition `type` (Kubernetes' ensureJobConditionStatus): appended
// when missing, updated when its status, reason or message differ (with a
// new transition time when the status changed). True when it changed.
bool SetCondition(JobStatus* status, absl::string_view type, absl::string_view value,
                  absl::string_view reason, absl::string_view message, absl::Time now) {
  JobCondition* c = MutableCondition(status, type);
  if (c == nullptr) {
    if (value != "True") return false;  // Kubernetes adds only True conditions
    c = status->add_conditions();
    c->set_type(std::string(type));
  } else if (c->status() == value && c->reason() == reason && c->message() == message) {
    return false;
  }
  const bool transition = c->status() != value;
  c->set_status(std::string(value));
  c->set_reason(std::string(reason));
  c->set_message(std::string(message));
  *c->mutable_last_probe_time() = api::ToProtoTime(now);
  if (transition || !c->has_last_transition_time()) {
    *c->mutable_last_transition_time() = api::ToProtoTime(now);
  }
  return true;
}

// Kubernetes' pastBackoffLimitOnFailure: with restartPolicy OnFailure the
// container restarts of the active pods count against backoffLimit.
bool PastBackoffLimitOnFailure(const Job& job, const std::vector<PodPtr>& active) {
  if (job.spec().template_().spec().restart_policy() != "OnFailure") return false;
  int64_t restarts = 0;
  for (const PodPtr& p : active) {
    for (const auto& s : p->status().container_statuses()) restarts += s.restart_count();
    for (const auto& s : p->status().init_container_statuses()) restarts += s.restart_count();
  }
  const int32_t limit = job.spec().has_backoff_limit() ? job.spec().backoff_limit() : 6;
  if (limit == 0) return restarts > 0;
  return restarts >= limit;
}

}  // namespace

int32_t WantActivePods(const JobSpec& spec, int32_t succeeded, int32_t active) {
  const int32_t parallelism = spec.has_parallelism() ? spec.parallelism() : 1;
  if (!spec.has_completions()) return succeeded > 0 ? active : parallelism;
  const int64_t remaining = static_cast<int64_t>(spec.completions()) - succeeded;
  return static_cast<int32_t>(std::clamp<int64_t>(remaining, 0, parallelism));
}

absl::Duration JobPodBackoff(int32_t failed, absl::Duration base, absl::Duration max) {
  if (failed <= 0) return absl::ZeroDuration();
  absl::Duration d = base;
  for (int32_t i = 1; i < failed && d < max; ++i) d *= 2;
  return std::min(d, max);
}

const JobCondition* FindJobCondition(const Job& job, absl::string_view type) {
  for (const JobCondition& c : job.status().conditions()) {
    if (c.type() == type && c.status() == "True") return &c;
  }
  return nullptr;
}

bool IsJobFinished(const Job& job) {
  return FindJobCondition(job, kComplete) != nullptr || FindJobCondition(job, kFailed) != nullptr;
}

JobController::JobController(client::Lister<Job> job_lister, client::Lister<Pod> pod_lister,
                             JobClient* client, client::EventRecorder* recorder,
                             JobControllerOptions options)
    : job_lister_(job_lister),
      pod_lister_(pod_lister),
      client_(client),
      recorder_(recorder),
      options_(options),
      clock_(options.clock != nullptr ? options.clock : common::RealClock::Get()),
      expectations_(clock_),
      queue_(QueueOptions(clock_)) {}

JobController::~JobController() { Stop(); }

void JobController::RegisterHandlers(client::Informer<Job>* job_informer,
                                     client::Informer<Pod>* pod_informer) {
  job_informer->AddEventHandler({
      .on_add = [this](const JobPtr& j) { OnJobAdd(j); },
      .on_update = [this](const JobPtr& a, const JobPtr& b) { OnJobUpdate(a, b); },
      .on_delete = [this](const JobPtr& j, bool) { OnJobDelete(j); },
  });
  pod_informer->AddEventHandler({
      .on_add = [this](const PodPtr& p) { OnPodAdd(p); },
      .on_update = [this](const PodPtr& a, const PodPtr& b) { OnPodUpdate(a, b); },
      .on_delete = [this](const PodPtr& p, bool) { OnPodDelete(p); },
  });
}

void JobController::Run(int workers) {
  workers_.Start(
      &queue_, workers, [this](const std::string& key) { return Sync(key); }, "job");
}

void JobController::Stop() {
  queue_.ShutDown();
  workers_.Join();
}

void JobController::Enqueue(const Job& job) { queue_.Add(client::KeyOf(job)); }

JobController::JobPtr JobController::ResolveControllerRef(
    const std::string& ns, const minik8s::meta::v1::OwnerReference& ref) const {
  if (ref.kind() != kKind) return nullptr;
  JobPtr job = job_lister_.Get(ns, ref.name());
  if (job == nullptr || job->metadata().uid() != ref.uid()) return nullptr;
  return job;
}

void JobController::EnqueueForPod(const Pod& pod) {
  const std::string& ns = pod.metadata().namespace_();
  if (const auto* ref = GetControllerOf(pod.metadata())) {
    if (JobPtr job = ResolveControllerRef(ns, *ref)) {
      Enqueue(*job);
      return;
    }
  } else if (!pod.metadata().labels().empty()) {
    // An orphan: a Job whose selector matches may adopt it.
    for (const JobPtr& job : job_lister_.ListNamespace(ns)) {
      auto selector = api::LabelSelector::FromProto(job->spec().selector());
      if (selector.ok() && !selector->Empty() && selector->Matches(pod.metadata().labels())) {
        Enqueue(*job);
      }
    }
  }
  if (HasTrackingFinalizer(pod)) queue_.Add(absl::StrCat(kOrphanPrefix, client::KeyOf(pod)));
}

void JobController::OnJobAdd(const JobPtr& job) { Enqueue(*job); }

void JobController::OnJobUpdate(const JobPtr&, const JobPtr& cur) { Enqueue(*cur); }

void JobController::OnJobDelete(const JobPtr& job) {
  const std::string key = client::KeyOf(*job);
  expectations_.DeleteExpectations(key);
  {
    absl::MutexLock lock(&mu_);
    backoff_.erase(key);
    written_.erase(key);
  }
  // Its pods keep the tracking finalizer until someone removes it.
  for (const PodPtr& p :
       pod_lister_.ListByIndex(client::kIndexControllerUid, job->metadata().uid())) {
    if (HasTrackingFinalizer(*p)) queue_.Add(absl::StrCat(kOrphanPrefix, client::KeyOf(*p)));
  }
}

void JobController::OnPodAdd(const PodPtr& pod) {
  if (const auto* ref = GetControllerOf(pod->metadata())) {
    if (JobPtr job = ResolveControllerRef(pod->metadata().namespace_(), *ref)) {
      if (pod->metadata().has_deletion_timestamp()) {
        expectations_.DeletionObserved(client::KeyOf(*job), client::KeyOf(*pod));
      } else {
        expectations_.CreationObserved(client::KeyOf(*job));
      }
    }
  }
  EnqueueForPod(*pod);
}

void JobController::OnPodUpdate(const PodPtr& old_pod, const PodPtr& cur) {
  if (old_pod->metadata().resource_version() == cur->metadata().resource_version()) return;
  if (!HasTrackingFinalizer(*cur)) {
    absl::MutexLock lock(&mu_);
    removing_finalizer_.erase(cur->metadata().uid());
  }
  if (cur->metadata().has_deletion_timestamp() && !old_pod->metadata().has_deletion_timestamp()) {
    if (const auto* ref = GetControllerOf(cur->metadata())) {
      if (JobPtr job = ResolveControllerRef(cur->metadata().namespace_(), *ref)) {
        expectations_.DeletionObserved(client::KeyOf(*job), client::KeyOf(*cur));
      }
    }
  }
  const auto* cur_ref = GetControllerOf(cur->metadata());
  const auto* old_ref = GetControllerOf(old_pod->metadata());
  if (old_ref != nullptr && (cur_ref == nullptr || cur_ref->uid() != old_ref->uid())) {
    EnqueueForPod(*old_pod);
  }
  EnqueueForPod(*cur);
}

void JobController::OnPodDelete(const PodPtr& pod) {
  {
    absl::MutexLock lock(&mu_);
    removing_finalizer_.erase(pod->metadata().uid());
  }
  const auto* ref = GetControllerOf(pod->metadata());
  if (ref == nullptr) return;
  JobPtr job = ResolveControllerRef(pod->metadata().namespace_(), *ref);
  if (job == nullptr) return;
  const std::string key = client::KeyOf(*job);
  expectations_.DeletionObserved(key, client::KeyOf(*pod));
  queue_.Add(key);
}

void JobController::Event(const Job& job, absl::string_view type, absl::string_view reason,
                          absl::string_view message) {
  recorder_->Event(job, type, reason, message);
}

absl::Status JobController::Sync(const std::string& key) {
  if (absl::StartsWith(key, kOrphanPrefix)) {
    std::string ns, name;
    client::SplitKey(key.substr(sizeof(kOrphanPrefix) - 1), &ns, &name);
    return SyncOrphanPod(ns, name);
  }
  return SyncJob(key);
}

absl::Status JobController::SyncOrphanPod(const std::string& ns, const std::string& name) {
  PodPtr pod = pod_lister_.Get(ns, name);
  if (pod == nullptr || !HasTrackingFinalizer(*pod)) return absl::OkStatus();
  if (const auto* ref = GetControllerOf(pod->metadata()); ref != nullptr && ref->kind() == kKind) {
    if (JobPtr job = ResolveControllerRef(ns, *ref)) {
      Enqueue(*job);  // the Job's own sync takes care of it
      return absl::OkStatus();
    }
    absl::StatusOr<Job> fresh = client_->GetJob(ns, ref->name());
    if (fresh.ok() && fresh->metadata().uid() == ref->uid()) return absl::OkStatus();  // cache lag
    if (!fresh.ok() && !api::IsNotFound(fresh.status())) return fresh.status();
  }
  return RemoveTrackingFinalizer(*pod);
}

bool JobController::RemovingFinalizer(const Pod& pod) {
  absl::MutexLock lock(&mu_);
  return removing_finalizer_.contains(pod.metadata().uid());
}

absl::Status JobController::RemoveTrackingFinalizer(const Pod& pod) {
  {
    absl::MutexLock lock(&mu_);
    removing_finalizer_.insert(pod.metadata().uid());
  }
  absl::Status s = client_->RemovePodFinalizer(pod.metadata().namespace_(), pod.metadata().name(),
                                               pod.metadata().uid(), kJobTrackingFinalizer);
  if (!s.ok()) {
    absl::MutexLock lock(&mu_);
    removing_finalizer_.erase(pod.metadata().uid());
  }
  return s;
}

absl::StatusOr<std::vector<PodPtr>> JobController::ClaimPods(const Job& job,
                                                             const api::LabelSelector& selector,
                                                             const std::vector<PodPtr>& pods) {
  return controllers::ClaimPods(
      job.metadata(), kApiVersion, kKind, selector, pods,
      PodClaimer{.owner_is_live =
                     [&] {
                       auto fresh =
                           client_->GetJob(job.metadata().namespace_(), job.metadata().name());
                       return fresh.ok() && fresh->metadata().uid() == job.metadata().uid() &&
                              !fresh->metadata().has_deletion_timestamp();
                     },
                 // A finished pod is not adopted: it would count again.
                 .may_adopt = [](const Pod& pod) { return !IsTerminal(pod); },
                 .update_pod = [&](const Pod& pod) { return client_->UpdatePod(pod); }});
}

absl::Status JobController::TrackFinishedPods(Job* job, const std::vector<PodPtr>& pods) {
  JobStatus* status = job->mutable_status();
  auto* uncounted = status->mutable_uncounted_terminated_pods();
  absl::flat_hash_set<std::string> known(uncounted->succeeded().begin(),
                                         uncounted->succeeded().end());
  known.insert(uncounted->failed().begin(), uncounted->failed().end());
  absl::flat_hash_set<std::string> removing;
  {
    absl::MutexLock lock(&mu_);
    for (const PodPtr& p : pods) {
      if (removing_finalizer_.contains(p->metadata().uid())) removing.insert(p->metadata().uid());
    }
  }
  std::vector<PodPtr> to_remove;
  bool added = false;
  for (const PodPtr& p : pods) {
    const std::string& uid = p->metadata().uid();
    if (!HasTrackingFinalizer(*p) || removing.contains(uid)) continue;
    if (known.contains(uid)) {
      to_remove.push_back(p);
      continue;
    }
    const bool succeeded = p->status().phase() == "Succeeded";
    const bool failed =
        !succeeded && (p->status().phase() == "Failed" || p->metadata().has_deletion_timestamp());
    if (!succeeded && !failed) continue;
    (succeeded ? uncounted->add_succeeded() : uncounted->add_failed())->assign(uid);
    known.insert(uid);
    to_remove.push_back(p);
    added = true;
  }
  if (added) {
    // Step 1: the uids are recorded before any finalizer goes.
    absl::StatusOr<Job> written = client_->UpdateJobStatus(*job);
    if (!written.ok()) return written.status();
    RememberWritten(*written);
    // Only the resourceVersion changes (the status is what was sent); the
    // caller's references into `job` stay valid.
    job->mutable_metadata()->set_resource_version(written->metadata().resource_version());
  }
  // Step 2: the finalizers.
  absl::Status first_error;
  absl::flat_hash_set<std::string> kept;
  for (const PodPtr& p : to_remove) {
    absl::Status s = RemoveTrackingFinalizer(*p);
    if (!s.ok()) {
      kept.insert(p->metadata().uid());
      if (first_error.ok()) first_error = s;
    }
  }
  // Step 3: into the counters (written with the rest of the status).
  auto move = [&](google::protobuf::RepeatedPtrField<std::string>* uids, int32_t* counter) {
    google::protobuf::RepeatedPtrField<std::string> left;
    for (const std::string& uid : *uids) {
      if (kept.contains(uid)) {
        *left.Add() = uid;
      } else {
        ++*counter;
      }
    }
    *uids = std::move(left);
  };
  int32_t succeeded = status->succeeded();
  int32_t failed = status->failed();
  move(uncounted->mutable_succeeded(), &succeeded);
  move(uncounted->mutable_failed(), &failed);
  status->set_succeeded(succeeded);
  status->set_failed(failed);
  return first_error;
}

absl::Status JobController::CreatePods(const Job& job, const std::string& key, int count) {
  expectations_.ExpectCreations(key, count);
  const Pod pod = PodFromTemplate(job);
  auto [created, err] = SlowStartBatch(count, 1, [&]() -> absl::Status {
    auto result = client_->CreatePod(pod);
    if (!result.ok()) {
      Event(job, client::kEventTypeWarning, "FailedCreate",
            absl::StrCat("Error creating: ", result.status().message()));
      return result.status();
    }
    Event(job, client::kEventTypeNormal, "SuccessfulCreate",
          absl::StrCat("Created pod: ", result->metadata().name()));
    return absl::OkStatus();
  });
  if (const int skipped = count - created; skipped > 0) {
    expectations_.LowerExpectations(key, skipped, {});
  }
  return err;
}

absl::Status JobController::DeletePods(const Job& job, const std::string& key,
                                       const std::vector<PodPtr>& pods) {
  if (pods.empty()) return absl::OkStatus();
  std::vector<std::string> pod_keys;
  for (const PodPtr& p : pods) pod_keys.push_back(client::KeyOf(*p));
  expectations_.ExpectDeletions(key, pod_keys);
  absl::Status first_error;
  for (size_t i = 0; i < pods.size(); ++i) {
    const Pod& p = *pods[i];
    absl::Status s = client_->DeletePod(p.metadata().namespace_(), p.metadata().name());
    if (s.ok()) {
      Event(job, client::kEventTypeNormal, "SuccessfulDelete",
            absl::StrCat("Deleted pod: ", p.metadata().name()));
      continue;
    }
    expectations_.DeletionObserved(key, pod_keys[i]);
    if (api::IsNotFound(s)) continue;
    Event(job, client::kEventTypeWarning, "FailedDelete",
          absl::StrCat("Error deleting: ", s.message()));
    if (first_error.ok()) first_error = s;
  }
  return first_error;
}

absl::Status JobController::WriteStatus(const Job& job, const JobStatus& before) {
  if (google::protobuf::util::MessageDifferencer::Equals(job.status(), before)) {
    return absl::OkStatus();
  }
  absl::StatusOr<Job> written = client_->UpdateJobStatus(job);
  if (!written.ok() && api::IsNotFound(written.status())) return absl::OkStatus();
  if (written.ok()) RememberWritten(*written);
  return written.status();
}

void JobController::RememberWritten(const Job& job) {
  absl::MutexLock lock(&mu_);
  written_[client::KeyOf(job)] = job;
}

absl::Status JobController::HandleFinished(const Job& job, const std::string& key) {
  if (!job.spec().has_ttl_seconds_after_finished() || job.metadata().has_deletion_timestamp()) {
    return absl::OkStatus();
  }
  absl::Time finished = absl::InfinitePast();
  if (job.status().has_completion_time()) {
    finished = api::FromProtoTime(job.status().completion_time());
  } else if (const JobCondition* c = FindJobCondition(job, kFailed)) {
    finished = api::FromProtoTime(c->last_transition_time());
  } else if (const JobCondition* c = FindJobCondition(job, kComplete)) {
    finished = api::FromProtoTime(c->last_transition_time());
  }
  const absl::Time expire = finished + absl::Seconds(job.spec().ttl_seconds_after_finished());
  const absl::Time now = clock_->Now();
  if (now < expire) {
    queue_.AddAfter(key, expire - now);
    return absl::OkStatus();
  }
  spdlog::info("job {}: deleting, finished {}s ago with ttlSecondsAfterFinished {}", key,
               absl::ToInt64Seconds(now - finished), job.spec().ttl_seconds_after_finished());
  absl::Status s =
      client_->DeleteJob(job.metadata().namespace_(), job.metadata().name(), job.metadata().uid());
  if (api::IsNotFound(s) || api::IsConflict(s)) return absl::OkStatus();
  return s;
}

absl::Status JobController::SyncJob(const std::string& key) {
  std::string ns, name;
  client::SplitKey(key, &ns, &name);
  JobPtr cached = job_lister_.Get(ns, name);
  if (cached == nullptr) {
    expectations_.DeleteExpectations(key);
    return absl::OkStatus();
  }
  if (cached->spec().has_managed_by() && cached->spec().managed_by() != kJobControllerName) {
    return absl::OkStatus();
  }
  Job job = *cached;
  {
    absl::MutexLock lock(&mu_);
    auto it = written_.find(key);
    if (it != written_.end()) {
      int64_t cached_rv = 0, written_rv = 0;
      if (it->second.metadata().uid() == job.metadata().uid() &&
          absl::SimpleAtoi(job.metadata().resource_version(), &cached_rv) &&
          absl::SimpleAtoi(it->second.metadata().resource_version(), &written_rv) &&
          written_rv > cached_rv) {
        job = it->second;  // the cache has not caught up with our last write
      } else {
        written_.erase(it);
      }
    }
  }
  const bool needs_sync = expectations_.SatisfiedExpectations(key);
  auto selector = api::LabelSelector::FromProto(job.spec().selector());
  if (!selector.ok()) {
    spdlog::error("job {}: invalid selector: {}", key, selector.status().ToString());
    return absl::OkStatus();  // nothing a retry can fix
  }
  auto claimed = ClaimPods(job, *selector, pod_lister_.ListNamespace(ns));
  if (!claimed.ok()) return claimed.status();
  const std::vector<PodPtr>& pods = *claimed;

  // A finished job, or one being deleted, only lets its pods go.
  if (IsJobFinished(job) || job.metadata().has_deletion_timestamp()) {
    absl::Status first_error;
    for (const PodPtr& p : pods) {
      if (!HasTrackingFinalizer(*p) || RemovingFinalizer(*p)) continue;
      absl::Status s = RemoveTrackingFinalizer(*p);
      if (!s.ok() && first_error.ok()) first_error = s;
    }
    if (!first_error.ok() || !IsJobFinished(job)) return first_error;
    return HandleFinished(job, key);
  }

  const absl::Time now = clock_->Now();
  const JobStatus before = job.status();
  const JobSpec& spec = job.spec();
  JobStatus* status = job.mutable_status();
  status->mutable_uncounted_terminated_pods();  // `{}` while the job runs, as Kubernetes writes
  const bool suspended = spec.has_suspend() && spec.suspend();
  if (!suspended && !status->has_start_time())
    *status->mutable_start_time() = api::ToProtoTime(now);

  const bool failing = FindJobCondition(job, kFailureTarget) != nullptr;
  if (absl::Status s = TrackFinishedPods(&job, pods); !s.ok()) return s;
  status = job.mutable_status();

  std::vector<PodPtr> active;
  int32_t ready = 0;
  int32_t terminating = 0;
  for (const PodPtr& p : pods) {
    if (IsTerminal(*p)) continue;
    if (p->metadata().has_deletion_timestamp()) {
      ++terminating;
      continue;
    }
    active.push_back(p);
    if (IsPodReady(*p)) ++ready;
  }

  // Step 3: the outcome.
  if (!failing && FindJobCondition(job, kSuccessCriteriaMet) == nullptr) {
    const int32_t limit = spec.has_backoff_limit() ? spec.backoff_limit() : 6;
    const bool succeeded_all = spec.has_completions() ? status->succeeded() >= spec.completions()
                                                      : status->succeeded() > 0 && active.empty();
    absl::Time deadline = absl::InfiniteFuture();
    if (spec.has_active_deadline_seconds() && status->has_start_time() && !suspended) {
      deadline =
          api::FromProtoTime(status->start_time()) + absl::Seconds(spec.active_deadline_seconds());
    }
    if (status->failed() > limit || PastBackoffLimitOnFailure(job, active)) {
      SetCondition(status, kFailureTarget, "True", kBackoffLimitExceeded, kBackoffLimitMessage,
                   now);
    } else if (now >= deadline) {
      SetCondition(status, kFailureTarget, "True", kDeadlineExceeded, kDeadlineMessage, now);
    } else if (succeeded_all) {
      SetCondition(status, kSuccessCriteriaMet, "True", kCompletionsReached, kCompletionsMessage,
                   now);
    } else if (deadline != absl::InfiniteFuture()) {
      queue_.AddAfter(key, deadline - now);
    }
  }

  absl::Status manage_error;
  const JobCondition* failure = nullptr;
  const JobCondition* success = nullptr;
  for (const JobCondition& c : status->conditions()) {
    if (c.status() != "True") continue;
    if (c.type() == kFailureTarget) failure = &c;
    if (c.type() == kSuccessCriteriaMet) success = &c;
  }
  if (failure != nullptr || success != nullptr) {
    // Lingering pods go; the terminal condition waits until none is left.
    if (needs_sync) manage_error = DeletePods(job, key, active);
    const bool settled = active.empty() && terminating == 0 &&
                         status->uncounted_terminated_pods().succeeded().empty() &&
                         status->uncounted_terminated_pods().failed().empty();
    if (settled) {
      if (failure != nullptr) {
        const std::string reason = failure->reason();
        const std::string message = failure->message();
        SetCondition(status, kFailed, "True", reason, message, now);
        Event(job, client::kEventTypeWarning, reason, message);
      } else {
        SetCondition(status, kComplete, "True", kCompletionsReached, kCompletionsMessage, now);
        *status->mutable_completion_time() = api::ToProtoTime(now);
        Event(job, client::kEventTypeNormal, "Completed", "Job completed");
      }
    }
  } else if (suspended) {
    if (SetCondition(status, kSuspended, "True", "JobSuspended", "Job suspended", now)) {
      Event(job, client::kEventTypeNormal, "Suspended", "Job suspended");
    }
    if (needs_sync) manage_error = DeletePods(job, key, active);
  } else {
    if (FindJobCondition(job, kSuspended) != nullptr) {
      SetCondition(status, kSuspended, "False", "JobResumed", "Job resumed", now);
      *status->mutable_start_time() = api::ToProtoTime(now);
      Event(job, client::kEventTypeNormal, "Resumed", "Job resumed");
    }
    if (needs_sync) {
      const int32_t want =
          WantActivePods(spec, status->succeeded(), static_cast<int32_t>(active.size()));
      // podReplacementPolicy Failed: a terminating pod is replaced only once
      // it has stopped.
      const int64_t occupied = static_cast<int64_t>(active.size()) +
                               (spec.pod_replacement_policy() == "Failed" ? terminating : 0);
      const int64_t diff = occupied - want;
      if (diff < 0) {
        absl::Time not_before = now;
        {
          absl::MutexLock lock(&mu_);
          Backoff& b = backoff_[key];
          if (status->failed() > b.failed) {
            b.failed = status->failed();
            b.not_before =
                now + JobPodBackoff(status->failed(), options_.backoff_base, options_.backoff_max);
          }
          not_before = b.not_before;
        }
        if (now < not_before) {
          queue_.AddAfter(key, not_before - now);
        } else {
          const int count = static_cast<int>(std::min<int64_t>(-diff, options_.burst_pods));
          manage_error = CreatePods(job, key, count);
        }
      } else if (static_cast<int64_t>(active.size()) > want) {
        // The newest pods go first.
        std::vector<PodPtr> victims = active;
        std::sort(victims.begin(), victims.end(), [](const PodPtr& a, const PodPtr& b) {
          return api::FromProtoTime(a->metadata().creation_timestamp()) >
                 api::FromProtoTime(b->metadata().creation_timestamp());
        });
        victims.resize(
            std::min<int64_t>(static_cast<int64_t>(active.size()) - want, options_.burst_pods));
        manage_error = DeletePods(job, key, victims);
      }
    }
  }

  const bool finished = IsJobFinished(job);
  status->set_active(finished ? 0 : static_cast<int32_t>(active.size()));
  status->set_ready(finished ? 0 : ready);
  status->set_terminating(terminating);
  absl::Status write_error = WriteStatus(job, before);
  if (!write_error.ok()) return write_error;
  if (finished) return HandleFinished(job, key);
  return manage_error;
}

}  // namespace minik8s::controllers
