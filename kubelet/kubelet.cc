#include "kubelet/kubelet.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "api/errors.h"
#include "api/time.h"
#include "spdlog/spdlog.h"

namespace minik8s::kubelet {

namespace core = ::minik8s::core::v1;
namespace cri = ::minik8s::cri::v1;

Kubelet::Kubelet(const client::Clientset* clientset, runtime::RuntimeClient* runtime,
                 client::EventSink* events, KubeletOptions options)
    : clientset_(clientset),
      runtime_(runtime),
      options_(std::move(options)),
      clock_(options_.clock ? options_.clock : common::RealClock::Get()) {
  pod_workers_ = std::make_unique<PodWorkers>(
      [this](const std::string& key, absl::Duration* requeue_after) {
        return SyncPod(key, requeue_after);
      },
      PodWorkersOptions{.threads = options_.workers, .clock = clock_});
  volume_api_ = NewApiVolumeObjectApi(clientset_->api());
  client::ServiceAccountTokenRequester* requester = options_.token_requester;
  if (requester == nullptr) {
    token_client_ = std::make_unique<client::ServiceAccountTokenClient>(clientset_->api());
    requester = token_client_.get();
  }
  tokens_ = std::make_unique<TokenManager>(requester, clock_);
  volumes_ = std::make_unique<VolumeManager>(
      volume_api_.get(), tokens_.get(), clock_,
      VolumeManagerOptions{.root_dir = options_.root_dir,
                           .object_ttl = options_.volume_object_ttl});
  syncer_ = std::make_unique<PodSyncer>(
      runtime_, clock_, static_cast<PodSyncHost*>(this),
      PodSyncerOptions{.crash_loop_backoff_reset = options_.crash_loop_backoff_reset,
                       .image_pull_backoff_initial = options_.image_pull_backoff_initial,
                       .volumes = volumes_.get(),
                       .volume_resync_period = options_.volume_resync_period});
  for (const NodeConfig& c : options_.nodes) {
    auto n = std::make_unique<NodeState>();
    n->config = c;
    n->status_sync = std::make_unique<NodeStatusSync>(c, static_cast<NodeStatusApi*>(this),
                                                      options_.node_status_report_frequency);
    nodes_[c.name] = std::move(n);
  }
  std::vector<std::string> names;
  for (const auto& [name, n] : nodes_) names.push_back(name);
  heartbeat_ = std::make_unique<NodeHeartbeat>(
      static_cast<NodeApi*>(this), clock_, std::move(names),
      NodeHeartbeatOptions{.node_status_update_frequency = options_.node_status_update_frequency,
                           .node_lease_renew_interval = options_.node_lease_renew_interval,
                           .workers = options_.heartbeat_workers});
  client::EventRecorderOptions eo;
  eo.component = "kubelet";
  eo.queue_size = options_.event_queue_size;
  eo.clock = clock_;
  client::EventSink* sink = events;
  if (nodes_.size() == 1) {
    eo.host = nodes_.begin()->first;
  } else {
    // A little more than the queue holds, so every queued Event finds its node.
    node_events_ = std::make_unique<NodeEventSink>(events, options_.event_queue_size + 1024);
    sink = node_events_.get();
  }
  recorder_ = std::make_unique<client::EventRecorder>(sink, eo);
}

Kubelet::~Kubelet() { Stop(); }

Kubelet::NodeState* Kubelet::FindNode(const std::string& name) const {
  auto it = nodes_.find(name);
  return it == nodes_.end() ? nullptr : it->second.get();
}

absl::Status Kubelet::Start() {
  if (nodes_.empty()) return absl::InvalidArgumentError("no node to run");
  {
    absl::MutexLock lock(&mu_);
    for (auto& [name, n] : nodes_) {
      auto ips = IpAllocator::Create(n->config.pod_cidr);
      if (!ips.ok()) return ips.status();
      n->ips.emplace(*std::move(ips));
    }
  }
  if (!CheckRuntime()) {
    spdlog::warn("the container runtime is not ready at start: {}", RuntimeError());
  }
  absl::Status adopted = Adopt();
  if (!adopted.ok()) {
    // The runtime may come up later; the relister picks its containers up.
    spdlog::warn("could not list the runtime to adopt running pods: {}", adopted.ToString());
  }

  client::InformerOptions io;
  io.name = "pods";
  if (nodes_.size() == 1) {
    io.field_selector = absl::StrCat("spec.nodeName=", nodes_.begin()->first);
  } else {
    io.field_selector = "spec.nodeName!=";
  }
  io.initial_backoff = absl::Milliseconds(200);
  io.max_backoff = absl::Seconds(5);
  io.clock = clock_;
  informer_ = std::make_unique<client::Informer<core::Pod>>(clientset_->api(), io);
  informer_->AddEventHandler({
      .on_add = [this](const std::shared_ptr<const core::Pod>& p) { EnqueuePod(*p); },
      .on_update =
          [this](const std::shared_ptr<const core::Pod>& old,
                 const std::shared_ptr<const core::Pod>& p) {
            // Our own status writes come back as updates; spec/metadata
            // changes need a sync, and so does a status someone else wrote
            // (it is not the one the StatusManager holds).
            if (old->metadata().resource_version() != p->metadata().resource_version() &&
                (old->metadata().generation() != p->metadata().generation() ||
                 old->metadata().has_deletion_timestamp() !=
                     p->metadata().has_deletion_timestamp() ||
                 old->metadata().uid() != p->metadata().uid() ||
                 syncer_->status_manager().NeedsReconcile(*p))) {
              EnqueuePod(*p);
            }
          },
      .on_delete = [this](const std::shared_ptr<const core::Pod>& p, bool) { EnqueuePod(*p); },
  });
  informer_->Start();

  client::InformerOptions no;
  no.name = "nodes";
  if (nodes_.size() == 1) {
    no.field_selector = absl::StrCat("metadata.name=", nodes_.begin()->first);
  }
  no.initial_backoff = absl::Milliseconds(200);
  no.max_backoff = absl::Seconds(5);
  no.clock = clock_;
  node_informer_ = std::make_unique<client::Informer<core::Node>>(clientset_->api(), no);
  node_informer_->Start();

  heartbeat_->Start();
  pod_workers_->Start();
  threads_.emplace_back([this] { RelistLoop(); });
  threads_.emplace_back([this] { StatusSyncLoop(); });
  // Adopted pods are checked against the apiserver once the informer synced.
  threads_.emplace_back([this] {
    while (true) {
      {
        absl::MutexLock lock(&stop_mu_);
        if (clock_->AwaitWithDeadline(&stop_mu_, absl::Condition(&stopping_),
                                      clock_->Now() + absl::Milliseconds(100))) {
          return;
        }
      }
      if (informer_->HasSynced()) break;
    }
    for (const auto& k : pod_workers_->Keys()) pod_workers_->Enqueue(k);
  });
  started_ = true;
  spdlog::info("kubelet started for {} node(s), {} pod(s) adopted", nodes_.size(), NumPodWorkers());
  return absl::OkStatus();
}

void Kubelet::Stop() {
  {
    absl::MutexLock lock(&stop_mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  pod_workers_->Stop();
  heartbeat_->Stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  if (informer_) informer_->Stop();
  if (node_informer_) node_informer_->Stop();
  // Writes what is queued for a bounded time, then drops the rest.
  recorder_->Shutdown();
}

void Kubelet::FlushEvents() { recorder_->Flush(); }

bool Kubelet::Stopping() const {
  absl::MutexLock lock(&stop_mu_);
  return stopping_;
}

int Kubelet::NumPodWorkers() const { return pod_workers_->Size(); }

bool Kubelet::HasSynced() const { return informer_ && informer_->HasSynced(); }

void Kubelet::EnqueueAllPods() {
  std::vector<std::string> keys = pod_workers_->Keys();
  if (informer_) {
    for (const auto& p : informer_->GetLister().List()) {
      if (FindNode(p->spec().node_name()) != nullptr) {
        keys.push_back(absl::StrCat(p->metadata().namespace_(), "/", p->metadata().name()));
      }
    }
  }
  for (const auto& k : keys) pod_workers_->Enqueue(k);
}

void Kubelet::StatusSyncLoop() {
  while (true) {
    {
      absl::MutexLock lock(&stop_mu_);
      if (clock_->AwaitWithDeadline(&stop_mu_, absl::Condition(&stopping_),
                                    clock_->Now() + options_.status_sync_period)) {
        return;
      }
    }
    if (!informer_->HasSynced()) continue;
    int enqueued = 0;
    absl::flat_hash_set<std::string> live;
    for (const auto& p : informer_->GetLister().List()) {
      if (FindNode(p->spec().node_name()) == nullptr) continue;
      live.insert(p->metadata().uid());
      if (!syncer_->status_manager().NeedsReconcile(*p)) continue;
      EnqueuePod(*p);
      ++enqueued;
    }
    if (enqueued > 0) {
      spdlog::debug("status sync: {} pod(s) whose status differs from the kubelet's", enqueued);
    }
    // Volume folders of pods deleted while this kubelet was away; not in
    // Kubernetes' default root, which a real kubelet on this machine may
    // share.
    if (options_.root_dir == kDefaultRootDir) continue;
    if (int swept = volumes_->SweepOrphans(live); swept > 0) {
      spdlog::info("removed the volume folders of {} pod(s) that are gone", swept);
    }
  }
}

void Kubelet::EnqueuePod(const core::Pod& pod) {
  pod_workers_->Enqueue(absl::StrCat(pod.metadata().namespace_(), "/", pod.metadata().name()));
}

// ---------------------------------------------------------------- heartbeats

absl::Status Kubelet::RegisterNode(const std::string& name) {
  NodeState* node_state = FindNode(name);
  if (node_state == nullptr) return absl::OkStatus();  // not ours: nothing to do
  NodeState& n = *node_state;
  core::Node want = BuildNode(n.config);
  auto created = clientset_->Nodes().Create(want);
  if (created.ok()) {
    SetUid(n, created->metadata().uid());
    spdlog::info("node {} registered", n.config.name);
    return absl::OkStatus();
  }
  if (!api::IsAlreadyExists(created.status())) return created.status();
  // Re-registration: keep the object, bring our labels, taints and CIDR.
  auto got = clientset_->Nodes().Get("", n.config.name);
  if (!got.ok()) return got.status();
  core::Node node = *got;
  for (const auto& [k, v] : want.metadata().labels())
    (*node.mutable_metadata()->mutable_labels())[k] = v;
  if (node.spec().pod_cidr().empty()) {
    node.mutable_spec()->set_pod_cidr(want.spec().pod_cidr());
    *node.mutable_spec()->mutable_pod_cidrs() = want.spec().pod_cidrs();
  }
  for (const auto& t : want.spec().taints()) {
    bool have = false;
    for (const auto& e : node.spec().taints()) {
      if (e.key() == t.key() && e.effect() == t.effect()) have = true;
    }
    if (!have) *node.mutable_spec()->add_taints() = t;
  }
  auto updated = clientset_->Nodes().Update(node);
  if (!updated.ok()) return updated.status();
  SetUid(n, updated->metadata().uid());
  spdlog::info("node {} already registered; updated", n.config.name);
  return absl::OkStatus();
}

absl::Status Kubelet::SyncNodeStatus(const std::string& name) {
  NodeState* node_state = FindNode(name);
  if (node_state == nullptr) return absl::OkStatus();
  return node_state->status_sync->Sync(clock_->Now(), RuntimeError());
}

absl::StatusOr<core::Node> Kubelet::CachedNode(const std::string& name) {
  if (!node_informer_ || !node_informer_->HasSynced()) {
    return absl::UnavailableError("the node informer has not synced");
  }
  std::shared_ptr<const core::Node> node = node_informer_->GetLister().Get("", name);
  if (node == nullptr) return absl::NotFoundError(absl::StrCat("node ", name, " not cached"));
  return *node;
}

absl::StatusOr<core::Node> Kubelet::GetNode(const std::string& name) {
  return clientset_->Nodes().Get("", name);
}

absl::StatusOr<core::Node> Kubelet::UpdateNodeStatus(const core::Node& node) {
  NodeState* node_state = FindNode(node.metadata().name());
  auto updated = clientset_->Nodes().UpdateStatus(node);
  if (updated.ok() && node_state != nullptr) SetUid(*node_state, updated->metadata().uid());
  return updated;
}

absl::Status Kubelet::RenewLease(const std::string& name) {
  NodeState* node_state = FindNode(name);
  if (node_state == nullptr) return absl::OkStatus();
  NodeState& n = *node_state;
  const std::string uid = UidOf(n);
  absl::Time now = clock_->Now();
  auto leases = clientset_->Leases();
  if (!n.lease.has_value()) {
    auto got = leases.Get(kNodeLeaseNamespace, n.config.name);
    if (api::IsNotFound(got.status())) {
      auto created =
          leases.Create(BuildLease(n.config.name, uid, options_.node_lease_duration_seconds, now));
      if (!created.ok()) return created.status();
      n.lease = *created;
      return absl::OkStatus();
    }
    if (!got.ok()) return got.status();
    n.lease = *got;
  }
  minik8s::coordination::v1::Lease lease = *n.lease;
  lease.mutable_spec()->set_holder_identity(n.config.name);
  lease.mutable_spec()->set_lease_duration_seconds(options_.node_lease_duration_seconds);
  *lease.mutable_spec()->mutable_renew_time() = api::ToProtoMicroTime(now);
  if (lease.metadata().owner_references().empty() && !uid.empty()) {
    *lease.mutable_metadata()->mutable_owner_references() =
        BuildLease(n.config.name, uid, 0, now).metadata().owner_references();
  }
  auto updated = leases.Update(lease);
  if (!updated.ok()) {
    n.lease.reset();  // re-read on the next attempt
    return updated.status();
  }
  n.lease = *std::move(updated);
  return absl::OkStatus();
}

void Kubelet::SetUid(NodeState& n, const std::string& uid) {
  absl::MutexLock lock(&n.uid_mu);
  n.uid = uid;
}

std::string Kubelet::UidOf(const NodeState& n) {
  absl::MutexLock lock(&n.uid_mu);
  return n.uid;
}

// ---------------------------------------------------------------- runtime

absl::Status Kubelet::Adopt() {
  auto sandboxes = runtime_->ListPodSandbox({});
  if (!sandboxes.ok()) return sandboxes.status();
  auto containers = runtime_->ListContainers({});
  if (!containers.ok()) return containers.status();

  absl::MutexLock lock(&mu_);
  absl::flat_hash_map<std::string, PodWorker*> by_uid;
  for (const cri::PodSandbox& sb : sandboxes->items()) {
    auto label = [&](const char* k) {
      auto it = sb.labels().find(k);
      return it == sb.labels().end() ? std::string() : it->second;
    };
    NodeState* node = FindNode(label(kLabelNodeName));
    if (node == nullptr) continue;
    std::string key = absl::StrCat(label(kLabelPodNamespace), "/", label(kLabelPodName));
    if (sb.state() != cri::SANDBOX_READY) {
      // Left over from a teardown that did not finish.
      (void)runtime_->RemovePodSandbox([&] {
        cri::RemovePodSandboxRequest r;
        r.set_pod_sandbox_id(sb.id());
        return r;
      }());
      continue;
    }
    auto w = std::make_unique<PodWorker>(
        options_.crash_loop_backoff_initial, options_.crash_loop_backoff_max,
        options_.image_pull_backoff_initial, options_.image_pull_backoff_max);
    w->key = key;
    w->uid = label(kLabelPodUid);
    w->node = node->config.name;
    w->sandbox_id = sb.id();
    w->start_time = absl::FromUnixNanos(sb.created_at());
    auto ip = sb.annotations().find(kAnnotationPodIp);
    if (ip != sb.annotations().end()) {
      w->pod_ip = ip->second;
      node->ips->Reserve(w->pod_ip);
    }
    w->last_pod.mutable_metadata()->set_namespace_(label(kLabelPodNamespace));
    w->last_pod.mutable_metadata()->set_name(label(kLabelPodName));
    w->last_pod.mutable_metadata()->set_uid(w->uid);
    syncer_->SandboxAdopted();
    by_uid[w->uid] = w.get();
    pod_workers_->Put(key, std::move(w));
  }
  // Containers in creation order: the latest attempt of a name wins, the one
  // before it becomes lastState.
  int adopted_containers = 0;
  for (const cri::Container& c : containers->containers()) {
    auto uid = c.labels().find(kLabelPodUid);
    auto name = c.labels().find(kLabelContainerName);
    if (uid == c.labels().end() || name == c.labels().end()) continue;
    auto wit = by_uid.find(uid->second);
    if (wit == by_uid.end()) continue;
    PodWorker& w = *wit->second;
    ContainerRecord& r = w.containers[name->second];
    int attempt = static_cast<int>(c.metadata().attempt());
    if (attempt < r.attempt) continue;
    cri::ContainerStatusRequest req;
    req.set_container_id(c.id());
    auto st = runtime_->ContainerStatus(req);
    if (!st.ok()) continue;
    if (r.status.has_value() && r.status->state() == cri::CONTAINER_EXITED) {
      const auto& p = *r.status;
      r.last_terminated = TerminatedView{p.exit_code(),
                                         p.reason(),
                                         p.message(),
                                         absl::FromUnixNanos(p.started_at()),
                                         absl::FromUnixNanos(p.finished_at()),
                                         p.id()};
    }
    r.id = c.id();
    r.attempt = attempt;
    r.image_id = st->status().image_ref();
    r.status = st->status();
    ++adopted_containers;
  }
  if (pod_workers_->Size() > 0) {
    spdlog::info("adopted {} pod(s) and {} container(s) from the runtime", pod_workers_->Size(),
                 adopted_containers);
  }
  return absl::OkStatus();
}

void Kubelet::RelistLoop() {
  while (true) {
    {
      absl::MutexLock lock(&stop_mu_);
      if (clock_->AwaitWithDeadline(&stop_mu_, absl::Condition(&stopping_),
                                    clock_->Now() + options_.relist_period)) {
        return;
      }
    }
    // While the runtime is down, one Status call per period and nothing else.
    if (CheckRuntime()) Relist();
  }
}

std::string Kubelet::RuntimeError() const {
  absl::MutexLock lock(&runtime_mu_);
  return runtime_error_;
}

bool Kubelet::RuntimeUnreachable(const absl::Status& s) {
  if (s.code() != absl::StatusCode::kUnavailable) return false;
  {
    absl::MutexLock lock(&runtime_mu_);
    runtime_error_ = "container runtime is down";
  }
  if (runtime_ready_.exchange(false)) {
    spdlog::warn("container runtime is down: {}; pod syncs pause until it is back", s.ToString());
  }
  return true;
}

bool Kubelet::CheckRuntime() {
  auto st = runtime_->Status({});
  std::string error, detail, boot;
  if (!st.ok()) {
    error = "container runtime is down";
    detail = st.status().ToString();
  } else {
    for (const cri::RuntimeCondition& c : st->status().conditions()) {
      if (c.type() == "RuntimeReady" && !c.status()) {
        error = absl::StrCat("container runtime not ready: RuntimeReady=false reason:", c.reason(),
                             " message:", c.message());
      }
    }
    auto it = st->info().find(runtime::kBootIdInfoKey);
    if (it != st->info().end()) boot = it->second;
  }
  if (!error.empty()) {
    {
      absl::MutexLock lock(&runtime_mu_);
      runtime_error_ = error;
    }
    if (runtime_ready_.exchange(false)) {
      spdlog::warn("{}{}{}; pod syncs pause until it is back", error, detail.empty() ? "" : ": ",
                   detail);
    }
    return false;
  }
  const bool restarted = !boot.empty() && !boot_id_.empty() && boot != boot_id_;
  if (!boot.empty()) boot_id_ = boot;
  if (restarted) runtime_epoch_.fetch_add(1);
  {
    absl::MutexLock lock(&runtime_mu_);
    runtime_error_.clear();
  }
  const bool was_down = !runtime_ready_.exchange(true);
  if (restarted) {
    spdlog::warn(
        "the container runtime restarted (boot id {}): its sandboxes and containers are gone; "
        "pods get new sandboxes and are restarted by their restartPolicy",
        boot);
  } else if (was_down) {
    spdlog::info("the container runtime is back");
  }
  if (restarted || was_down) EnqueueAllPods();
  return true;
}

void Kubelet::Relist() {
  auto list = runtime_->ListContainers({});
  if (!list.ok()) {
    spdlog::debug("relist failed: {}", list.status().ToString());
    RuntimeUnreachable(list.status());
    return;
  }
  absl::flat_hash_map<std::string, SeenContainer> now;
  now.reserve(list->containers_size());
  for (const cri::Container& c : list->containers()) {
    auto node = c.labels().find(kLabelNodeName);
    auto ns = c.labels().find(kLabelPodNamespace);
    auto name = c.labels().find(kLabelPodName);
    if (node == c.labels().end() || ns == c.labels().end() || name == c.labels().end() ||
        FindNode(node->second) == nullptr) {
      continue;
    }
    auto seen = seen_containers_.find(c.id());
    if (seen == seen_containers_.end() || seen->second.state != c.state()) {
      pod_workers_->Enqueue(absl::StrCat(ns->second, "/", name->second));
    }
    if (seen != seen_containers_.end()) {
      SeenContainer entry = std::move(seen->second);
      entry.state = c.state();
      now.emplace(c.id(), std::move(entry));
    } else {
      now.emplace(c.id(), SeenContainer{c.state(), absl::StrCat(ns->second, "/", name->second)});
    }
  }
  // Containers that disappeared (removed behind our back, runtime restarted).
  for (const auto& [id, seen] : seen_containers_) {
    if (!now.contains(id)) {
      spdlog::debug("relist: container {} of pod {} is gone", id.substr(0, 13), seen.pod_key);
      pod_workers_->Enqueue(seen.pod_key);
    }
  }
  seen_containers_ = std::move(now);
}

}  // namespace minik8s::kubelet
