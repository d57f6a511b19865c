#include "controllers/replicaset/replica_set_controller.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "api/errors.h"
#include "client/resource.h"
#include "controllers/replicaset/replica_set_status.h"
#include "controllers/util/claim_pods.h"
#include "controllers/util/owner_refs.h"
#include "controllers/util/pod_util.h"
#include "controllers/util/replica_math.h"
#include "controllers/util/slow_start.h"
#include "spdlog/spdlog.h"

namespace minik8s::controllers {
namespace {

using minik8s::apps::v1::ReplicaSet;
using minik8s::apps::v1::ReplicaSetStatus;
using minik8s::core::v1::Pod;

constexpr char kKind[] = "ReplicaSet";
constexpr char kApiVersion[] = "apps/v1";
constexpr int kStatusUpdateRetries = 1;

client::WorkQueueOptions QueueOptions(common::Clock* clock) {
  client::WorkQueueOptions o;
  o.name = "replicaset";
  o.clock = clock;
  return o;
}

// The pod a ReplicaSet creates from its template.
Pod PodFromTemplate(const ReplicaSet& rs) {
  Pod pod;
  const auto& tmpl = rs.spec().template_();
  auto* meta = pod.mutable_metadata();
  *meta->mutable_labels() = tmpl.metadata().labels();
  *meta->mutable_annotations() = tmpl.metadata().annotations();
  *meta->mutable_finalizers() = tmpl.metadata().finalizers();
  meta->set_generate_name(absl::StrCat(rs.metadata().name(), "-"));
  meta->set_namespace_(rs.metadata().namespace_());
  *meta->add_owner_references() = NewControllerRef(rs.metadata(), kApiVersion, kKind);
  *pod.mutable_spec() = tmpl.spec();
  return pod;
}

}  // namespace

ReplicaSetController::ReplicaSetController(client::Lister<ReplicaSet> rs_lister,
                                           client::Lister<Pod> pod_lister, ReplicaSetClient* client,
                                           client::EventRecorder* recorder,
                                           ReplicaSetControllerOptions options)
    : rs_lister_(rs_lister),
      pod_lister_(pod_lister),
      client_(client),
      recorder_(recorder),
      options_(options),
      clock_(options.clock != nullptr ? options.clock : common::RealClock::Get()),
      expectations_(clock_),
      queue_(QueueOptions(clock_)) {}

ReplicaSetController::~ReplicaSetController() { Stop(); }

void ReplicaSetController::RegisterHandlers(client::Informer<ReplicaSet>* rs_informer,
                                            client::Informer<Pod>* pod_informer) {
  rs_informer->AddEventHandler({
      .on_add = [this](const ReplicaSetPtr& rs) { OnReplicaSetAdd(rs); },
      .on_update = [this](const ReplicaSetPtr& a,
                          const ReplicaSetPtr& b) { OnReplicaSetUpdate(a, b); },
      .on_delete = [this](const ReplicaSetPtr& rs, bool) { OnReplicaSetDelete(rs); },
  });
  pod_informer->AddEventHandler({
      .on_add = [this](const PodPtr& p) { OnPodAdd(p); },
      .on_update = [this](const PodPtr& a, const PodPtr& b) { OnPodUpdate(a, b); },
      .on_delete = [this](const PodPtr& p, bool) { OnPodDelete(p); },
  });
}

void ReplicaSetController::Run(int workers) {
  workers_.Start(
      &queue_, workers, [this](const std::string& key) { return Sync(key); }, "replicaset");
}

void ReplicaSetController::Stop() {
  queue_.ShutDown();
  workers_.Join();
}

void ReplicaSetController::Enqueue(const ReplicaSet& rs) { queue_.Add(client::KeyOf(rs)); }

void ReplicaSetController::EnqueueAfter(const ReplicaSet& rs, absl::Duration d) {
  queue_.AddAfter(client::KeyOf(rs), d);
}

ReplicaSetController::ReplicaSetPtr ReplicaSetController::ResolveControllerRef(
    const std::string& ns, const minik8s::meta::v1::OwnerReference& ref) const {
  if (ref.kind() != kKind) return nullptr;
  ReplicaSetPtr rs = rs_lister_.Get(ns, ref.name());
  if (rs == nullptr || rs->metadata().uid() != ref.uid()) return nullptr;
  return rs;
}

std::vector<ReplicaSetController::ReplicaSetPtr> ReplicaSetController::ReplicaSetsForPod(
    const Pod& pod) const {
  std::vector<ReplicaSetPtr> out;
  if (pod.metadata().labels().empty()) return out;
  for (const ReplicaSetPtr& rs : rs_lister_.ListNamespace(pod.metadata().namespace_())) {
    auto selector = api::LabelSelector::FromProto(rs->spec().selector());
    if (!selector.ok() || selector->Empty()) continue;
    if (selector->Matches(pod.metadata().labels())) out.push_back(rs);
  }
  return out;
}

void ReplicaSetController::OnReplicaSetAdd(const ReplicaSetPtr& rs) { Enqueue(*rs); }

void ReplicaSetController::OnReplicaSetUpdate(const ReplicaSetPtr&, const ReplicaSetPtr& cur) {
  Enqueue(*cur);
}

void ReplicaSetController::OnReplicaSetDelete(const ReplicaSetPtr& rs) {
  expectations_.DeleteExpectations(client::KeyOf(*rs));
  Enqueue(*rs);
}

void ReplicaSetController::OnPodAdd(const PodPtr& pod) {
  if (pod->metadata().has_deletion_timestamp()) {
    // Restarted controller: a pod already being deleted counts as deleted.
    OnPodDelete(pod);
    return;
  }
  if (const auto* ref = GetControllerOf(pod->metadata())) {
    ReplicaSetPtr rs = ResolveControllerRef(pod->metadata().namespace_(), *ref);
    if (rs == nullptr) return;
    expectations_.CreationObserved(client::KeyOf(*rs));
    Enqueue(*rs);
    return;
  }
  // An orphan: every matching ReplicaSet may want to adopt it.
  for (const ReplicaSetPtr& rs : ReplicaSetsForPod(*pod)) Enqueue(*rs);
}

void ReplicaSetController::OnPodUpdate(const PodPtr& old_pod, const PodPtr& cur) {
  if (old_pod->metadata().resource_version() == cur->metadata().resource_version()) {
    return;  // a resync: nothing changed
  }
  const bool labels_changed = !LabelsEqual(old_pod->metadata().labels(), cur->metadata().labels());
  if (cur->metadata().has_deletion_timestamp()) {
    // Graceful deletion: count it now so the replacement starts at once.
    OnPodDelete(cur);
    if (labels_changed) OnPodDelete(old_pod);
    return;
  }
  const auto* cur_ref = GetControllerOf(cur->metadata());
  const auto* old_ref = GetControllerOf(old_pod->metadata());
  const bool ref_changed = (cur_ref == nullptr) != (old_ref == nullptr) ||
                           (cur_ref != nullptr && cur_ref->uid() != old_ref->uid());
  if (ref_changed && old_ref != nullptr) {
    if (ReplicaSetPtr rs = ResolveControllerRef(old_pod->metadata().namespace_(), *old_ref)) {
      Enqueue(*rs);
    }
  }
  if (cur_ref != nullptr) {
    ReplicaSetPtr rs = ResolveControllerRef(cur->metadata().namespace_(), *cur_ref);
    if (rs == nullptr) return;
    Enqueue(*rs);
    // Became ready: check availability again once minReadySeconds passed.
    if (!IsPodReady(*old_pod) && IsPodReady(*cur) && rs->spec().min_ready_seconds() > 0) {
      EnqueueAfter(*rs, absl::Seconds(rs->spec().min_ready_seconds()) + absl::Seconds(1));
    }
    return;
  }
  if (labels_changed || ref_changed) {
    for (const ReplicaSetPtr& rs : ReplicaSetsForPod(*cur)) Enqueue(*rs);
  }
}

void ReplicaSetController::OnPodDelete(const PodPtr& pod) {
  const auto* ref = GetControllerOf(pod->metadata());
  if (ref == nullptr) return;
  ReplicaSetPtr rs = ResolveControllerRef(pod->metadata().namespace_(), *ref);
  if (rs == nullptr) return;
  const std::string key = client::KeyOf(*rs);
  expectations_.DeletionObserved(key, client::KeyOf(*pod));
  queue_.Add(key);
}

absl::StatusOr<std::vector<PodPtr>> ReplicaSetController::ClaimPods(
    const ReplicaSet& rs, const api::LabelSelector& selector, const std::vector<PodPtr>& pods) {
  return controllers::ClaimPods(
      rs.metadata(), kApiVersion, kKind, selector, pods,
      PodClaimer{.owner_is_live =
                     [&] {
                       auto fresh =
                           client_->GetReplicaSet(rs.metadata().namespace_(), rs.metadata().name());
                       return fresh.ok() && fresh->metadata().uid() == rs.metadata().uid() &&
                              !fresh->metadata().has_deletion_timestamp();
                     },
                 .update_pod = [&](const Pod& pod) { return client_->UpdatePod(pod); }});
}

std::vector<PodPtr> ReplicaSetController::RelatedPods(const ReplicaSet& rs,
                                                      const std::vector<PodPtr>& own) const {
  const auto* owner = GetControllerOf(rs.metadata());
  if (owner == nullptr) return own;
  std::vector<PodPtr> related;
  for (const ReplicaSetPtr& sibling :
       rs_lister_.ListByIndex(client::kIndexControllerUid, owner->uid())) {
    for (PodPtr& p :
         pod_lister_.ListByIndex(client::kIndexControllerUid, sibling->metadata().uid())) {
      if (IsPodActive(*p)) related.push_back(std::move(p));
    }
  }
  return related;
}

absl::Status ReplicaSetController::ManageReplicas(const std::vector<PodPtr>& pods,
                                                  const ReplicaSet& rs, const std::string& key,
                                                  int* diff_out) {
  const int replicas = rs.spec().has_replicas() ? rs.spec().replicas() : 1;
  // In int64: spec.replicas may be INT32_MAX (replica_math.h); the burst
  // bounds what one sync does.
  const int64_t diff = static_cast<int64_t>(pods.size()) - replicas;
  *diff_out = ClampInt32(diff);
  if (diff < 0) {
    const int count = static_cast<int>(std::min<int64_t>(-diff, options_.burst_replicas));
    // Expect first: the pods' ADD events may arrive before the calls return.
    expectations_.ExpectCreations(key, count);
    const Pod pod = PodFromTemplate(rs);
    auto [created, err] = SlowStartBatch(count, 1, [&]() -> absl::Status {
      auto result = client_->CreatePod(pod);
      if (!result.ok()) {
        recorder_->Event(rs, client::kEventTypeWarning, "FailedCreate",
                         absl::StrCat("Error creating: ", result.status().message()));
        return result.status();
      }
      recorder_->Event(rs, client::kEventTypeNormal, "SuccessfulCreate",
                       absl::StrCat("Created pod: ", result->metadata().name()));
      return absl::OkStatus();
    });
    if (const int skipped = count - created; skipped > 0) {
      spdlog::info("replicaset {}: slow-start failure, skipping {} pod creations", key, skipped);
      expectations_.LowerExpectations(key, skipped, {});
    }
    return err;
  }
  if (diff > 0) {
    const int count = static_cast<int>(std::min<int64_t>(diff, options_.burst_replicas));
    std::vector<PodPtr> victims = PodsToDelete(pods, RelatedPods(rs, pods), count, clock_->Now());
    std::vector<std::string> victim_keys;
    for (const PodPtr& p : victims) victim_keys.push_back(client::KeyOf(*p));
    expectations_.ExpectDeletions(key, victim_keys);
    std::atomic<size_t> next{0};
    absl::Mutex mu;
    absl::Status first_error;
    auto work = [&] {
      for (size_t i = next.fetch_add(1); i < victims.size(); i = next.fetch_add(1)) {
        const Pod& p = *victims[i];
        absl::Status s = client_->DeletePod(p.metadata().namespace_(), p.metadata().name());
        if (s.ok()) {
          recorder_->Event(rs, client::kEventTypeNormal, "SuccessfulDelete",
                           absl::StrCat("Deleted pod: ", p.metadata().name()));
          continue;
        }
        // Never reached the server's state: the informer will not report it.
        expectations_.DeletionObserved(key, victim_keys[i]);
        if (api::IsNotFound(s)) continue;
        recorder_->Event(rs, client::kEventTypeWarning, "FailedDelete",
                         absl::StrCat("Error deleting: ", s.message()));
        absl::MutexLock lock(&mu);
        if (first_error.ok()) first_error = s;
      }
    };
    const int threads = std::min<int>(victims.size(), kSlowStartMaxParallel);
    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i) pool.emplace_back(work);
    work();
    for (std::thread& t : pool) t.join();
    return first_error;
  }
  return absl::OkStatus();
}

absl::StatusOr<ReplicaSet> ReplicaSetController::UpdateStatus(const ReplicaSet& rs,
                                                              ReplicaSetStatus status) {
  status.set_observed_generation(rs.metadata().generation());
  if (ReplicaSetStatusEqual(rs.status(), status)) return rs;
  ReplicaSet copy = rs;
  for (int attempt = 0;; ++attempt) {
    *copy.mutable_status() = status;
    auto updated = client_->UpdateReplicaSetStatus(copy);
    if (updated.ok() || attempt == kStatusUpdateRetries) return updated;
    auto fresh = client_->GetReplicaSet(rs.metadata().namespace_(), rs.metadata().name());
    if (!fresh.ok()) return updated;
    copy = *std::move(fresh);
  }
}

absl::Status ReplicaSetController::Sync(const std::string& key) {
  std::string ns, name;
  client::SplitKey(key, &ns, &name);
  ReplicaSetPtr cached = rs_lister_.Get(ns, name);
  if (cached == nullptr) {
    expectations_.DeleteExpectations(key);
    return absl::OkStatus();
  }
  const ReplicaSet& rs = *cached;
  const bool needs_sync = expectations_.SatisfiedExpectations(key);
  auto selector = api::LabelSelector::FromProto(rs.spec().selector());
  if (!selector.ok()) {
    spdlog::error("replicaset {}: invalid selector: {}", key, selector.status().ToString());
    return absl::OkStatus();  // nothing a retry can fix
  }
  std::vector<PodPtr> active;
  for (PodPtr& p : pod_lister_.ListNamespace(ns)) {
    if (IsPodActive(*p)) active.push_back(std::move(p));
  }
  auto claimed = ClaimPods(rs, *selector, active);
  if (!claimed.ok()) return claimed.status();

  absl::Status manage_error;
  int diff = 0;
  if (needs_sync && !rs.metadata().has_deletion_timestamp()) {
    manage_error = ManageReplicas(*claimed, rs, key, &diff);
  }
  ReplicaSetStatus status =
      CalculateReplicaSetStatus(rs, *claimed, manage_error, diff, clock_->Now());
  auto updated = UpdateStatus(rs, std::move(status));
  if (!updated.ok()) {
    if (api::IsNotFound(updated.status())) return manage_error;
    return updated.status();
  }
  // Pods ready but not yet available: look again when they should be.
  const int replicas = updated->spec().has_replicas() ? updated->spec().replicas() : 1;
  if (manage_error.ok() && updated->spec().min_ready_seconds() > 0 &&
      updated->status().ready_replicas() == replicas &&
      updated->status().available_replicas() != replicas) {
    queue_.AddAfter(key, absl::Seconds(updated->spec().min_ready_seconds()));
  }
  return manage_error;
}

}  // namespace minik8s::controllers
