#include "controllers/deployment/deployment_controller.h"

#include <utility>

#include "api/errors.h"
#include "api/selector/labels.h"
#include "client/resource.h"
#include "controllers/util/owner_refs.h"
#include "spdlog/spdlog.h"

namespace minik8s::controllers::deployment {
namespace {

using minik8s::core::v1::Pod;

constexpr char kKind[] = "Deployment";
constexpr char kApiVersion[] = "apps/v1";

client::WorkQueueOptions QueueOptions(common::Clock* clock) {
  client::WorkQueueOptions o;
  o.name = "deployment";
  o.clock = clock;
  return o;
}

}  // namespace

DeploymentController::DeploymentController(client::Lister<Deployment> d_lister,
                                           client::Lister<ReplicaSet> rs_lister,
                                           client::Lister<Pod> pod_lister, DeploymentClient* client,
                                           client::EventRecorder* recorder,
                                           DeploymentControllerOptions options)
    : d_lister_(d_lister),
      rs_lister_(rs_lister),
      pod_lister_(pod_lister),
      client_(client),
      recorder_(recorder),
      clock_(options.clock != nullptr ? options.clock : common::RealClock::Get()),
      queue_(QueueOptions(clock_)) {}

DeploymentController::~DeploymentController() { Stop(); }

void DeploymentController::RegisterHandlers(client::Informer<Deployment>* d_informer,
                                            client::Informer<ReplicaSet>* rs_informer,
                                            client::Informer<Pod>* pod_informer) {
  d_informer->AddEventHandler({
      .on_add = [this](const DeploymentPtr& d) { OnDeploymentAdd(d); },
      .on_update = [this](const DeploymentPtr& a,
                          const DeploymentPtr& b) { OnDeploymentUpdate(a, b); },
      .on_delete = [this](const DeploymentPtr& d, bool) { OnDeploymentDelete(d); },
  });
  rs_informer->AddEventHandler({
      .on_add = [this](const ReplicaSetPtr& rs) { OnReplicaSetAdd(rs); },
      .on_update = [this](const ReplicaSetPtr& a,
                          const ReplicaSetPtr& b) { OnReplicaSetUpdate(a, b); },
      .on_delete = [this](const ReplicaSetPtr& rs, bool) { OnReplicaSetDelete(rs); },
  });
  pod_informer->AddEventHandler({
      .on_delete = [this](const PodPtr& p, bool) { OnPodDelete(p); },
  });
}

void DeploymentController::Run(int workers) {
  workers_.Start(
      &queue_, workers, [this](const std::string& key) { return Sync(key); }, "deployment");
}

void DeploymentController::Stop() {
  queue_.ShutDown();
  workers_.Join();
}

void DeploymentController::Enqueue(const Deployment& d) { queue_.Add(client::KeyOf(d)); }

DeploymentController::DeploymentPtr DeploymentController::ResolveControllerRef(
    const std::string& ns, const minik8s::meta::v1::OwnerReference& ref) const {
  if (ref.kind() != kKind) return nullptr;
  DeploymentPtr d = d_lister_.Get(ns, ref.name());
  if (d == nullptr || d->metadata().uid() != ref.uid()) return nullptr;
  return d;
}

std::vector<DeploymentController::DeploymentPtr> DeploymentController::DeploymentsForReplicaSet(
    const ReplicaSet& rs) const {
  std::vector<DeploymentPtr> out;
  if (rs.metadata().labels().empty()) return out;
  for (const DeploymentPtr& d : d_lister_.ListNamespace(rs.metadata().namespace_())) {
    auto selector = api::LabelSelector::FromProto(d->spec().selector());
    if (!selector.ok() || selector->Empty()) continue;
    if (selector->Matches(rs.metadata().labels())) out.push_back(d);
  }
  return out;
}

void DeploymentController::OnDeploymentAdd(const DeploymentPtr& d) { Enqueue(*d); }
void DeploymentController::OnDeploymentUpdate(const DeploymentPtr&, const DeploymentPtr& cur) {
  Enqueue(*cur);
}
void DeploymentController::OnDeploymentDelete(const DeploymentPtr& d) { Enqueue(*d); }

void DeploymentController::OnReplicaSetAdd(const ReplicaSetPtr& rs) {
  if (rs->metadata().has_deletion_timestamp()) {
    OnReplicaSetDelete(rs);
    return;
  }
  if (const auto* ref = GetControllerOf(rs->metadata())) {
    if (DeploymentPtr d = ResolveControllerRef(rs->metadata().namespace_(), *ref)) Enqueue(*d);
    return;
  }
  for (const DeploymentPtr& d : DeploymentsForReplicaSet(*rs)) Enqueue(*d);
}

void DeploymentController::OnReplicaSetUpdate(const ReplicaSetPtr& old_rs,
                                              const ReplicaSetPtr& cur) {
  if (old_rs->metadata().resource_version() == cur->metadata().resource_version()) return;
  const auto* cur_ref = GetControllerOf(cur->metadata());
  const auto* old_ref = GetControllerOf(old_rs->metadata());
  const bool ref_changed = (cur_ref == nullptr) != (old_ref == nullptr) ||
                           (cur_ref != nullptr && cur_ref->uid() != old_ref->uid());
  if (ref_changed && old_ref != nullptr) {
    if (DeploymentPtr d = ResolveControllerRef(old_rs->metadata().namespace_(), *old_ref)) {
      Enqueue(*d);
    }
  }
  if (cur_ref != nullptr) {
    if (DeploymentPtr d = ResolveControllerRef(cur->metadata().namespace_(), *cur_ref)) {
      Enqueue(*d);
    }
    return;
  }
  if (ref_changed || !LabelsEqual(old_rs->metadata().labels(), cur->metadata().labels())) {
    for (const DeploymentPtr& d : DeploymentsForReplicaSet(*cur)) Enqueue(*d);
  }
}

void DeploymentController::OnReplicaSetDelete(const ReplicaSetPtr& rs) {
  const auto* ref = GetControllerOf(rs->metadata());
  if (ref == nullptr) return;
  if (DeploymentPtr d = ResolveControllerRef(rs->metadata().namespace_(), *ref)) Enqueue(*d);
}

void DeploymentController::OnPodDelete(const PodPtr& pod) {
  // Recreate waits for every old pod to be gone before scaling up.
  const auto* rs_ref = GetControllerOf(pod->metadata());
  if (rs_ref == nullptr || rs_ref->kind() != "ReplicaSet") return;
  ReplicaSetPtr rs = rs_lister_.Get(pod->metadata().namespace_(), rs_ref->name());
  if (rs == nullptr || rs->metadata().uid() != rs_ref->uid()) return;
  const auto* d_ref = GetControllerOf(rs->metadata());
  if (d_ref == nullptr) return;
  DeploymentPtr d = ResolveControllerRef(rs->metadata().namespace_(), *d_ref);
  if (d != nullptr && d->spec().strategy().type() == "Recreate") Enqueue(*d);
}

absl::StatusOr<RsList> DeploymentController::ClaimReplicaSets(const Deployment& d) {
  auto selector = api::LabelSelector::FromProto(d.spec().selector());
  if (!selector.ok()) return selector.status();
  RsList claimed;
  bool checked_fresh = false, can_adopt = false;
  absl::Status first_error;
  for (const ReplicaSetPtr& rs : rs_lister_.ListNamespace(d.metadata().namespace_())) {
    switch (DecideClaim(d.metadata(), *selector, rs->metadata())) {
      case ClaimAction::kIgnore:
        break;
      case ClaimAction::kKeep:
        claimed.push_back(std::make_shared<ReplicaSet>(*rs));
        break;
      case ClaimAction::kAdopt: {
        if (!checked_fresh) {
          checked_fresh = true;
          auto fresh = client_->GetDeployment(d.metadata().namespace_(), d.metadata().name());
          can_adopt = fresh.ok() && fresh->metadata().uid() == d.metadata().uid() &&
                      !fresh->metadata().has_deletion_timestamp();
        }
        if (!can_adopt) break;
        ReplicaSet copy = *rs;
        *copy.mutable_metadata()->add_owner_references() =
            NewControllerRef(d.metadata(), kApiVersion, kKind);
        auto updated = client_->UpdateReplicaSet(copy);
        if (updated.ok()) {
          claimed.push_back(std::make_shared<ReplicaSet>(*std::move(updated)));
        } else if (!api::IsNotFound(updated.status()) && first_error.ok()) {
          first_error = updated.status();
        }
        break;
      }
      case ClaimAction::kRelease: {
        ReplicaSet copy = *rs;
        RemoveOwnerReference(copy.mutable_metadata(), d.metadata().uid());
        auto updated = client_->UpdateReplicaSet(copy);
        if (!updated.ok() && !api::IsNotFound(updated.status()) && first_error.ok()) {
          first_error = updated.status();
        }
        break;
      }
    }
  }
  if (!first_error.ok()) return first_error;
  return claimed;
}

std::map<std::string, std::vector<DeploymentController::PodPtr>> DeploymentController::PodMap(
    const RsList& rs_list) const {
  std::map<std::string, std::vector<PodPtr>> out;
  for (const RsPtr& rs : rs_list) {
    out[rs->metadata().uid()] =
        pod_lister_.ListByIndex(client::kIndexControllerUid, rs->metadata().uid());
  }
  return out;
}

absl::Status DeploymentController::Sync(const std::string& key) {
  std::string ns, name;
  client::SplitKey(key, &ns, &name);
  DeploymentPtr cached = d_lister_.Get(ns, name);
  if (cached == nullptr) return absl::OkStatus();  // deleted: the GC removes the rest
  Deployment d = *cached;

  auto selector = api::LabelSelector::FromProto(d.spec().selector());
  if (!selector.ok() || selector->Empty()) {
    recorder_->Event(d, client::kEventTypeWarning, "SelectingAll",
                     "This deployment is selecting all pods. A non-empty selector is required.");
    if (d.status().observed_generation() < d.metadata().generation()) {
      DeploymentStatus status = d.status();
      status.set_observed_generation(d.metadata().generation());
      return WriteStatus(&d, status);
    }
    return absl::OkStatus();
  }

  auto rs_list = ClaimReplicaSets(d);
  if (!rs_list.ok()) return rs_list.status();

  if (d.metadata().has_deletion_timestamp()) {
    RsList old_rss;
    auto new_rs = GetAllReplicaSetsAndSyncRevision(&d, *rs_list, false, &old_rss);
    if (!new_rs.ok()) return new_rs.status();
    RsList all = old_rss;
    if (*new_rs != nullptr) all.push_back(*new_rs);
    return SyncDeploymentStatus(all, *new_rs, &d);
  }

  if (absl::Status s = CheckPausedConditions(&d); !s.ok()) return s;
  if (d.spec().paused()) return SyncScaleOnly(&d, *rs_list);

  auto scaling = IsScalingEvent(&d, *rs_list);
  if (!scaling.ok()) return scaling.status();
  if (*scaling) return SyncScaleOnly(&d, *rs_list);

  if (d.spec().strategy().type() == "Recreate") {
    return RolloutRecreate(&d, *rs_list, PodMap(*rs_list));
  }
  return RolloutRolling(&d, *rs_list);
}

}  // namespace minik8s::controllers::deployment
