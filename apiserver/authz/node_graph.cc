#include "apiserver/authz/node_graph.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace minik8s::apiserver::authz {

namespace {

// One reference as an index key: the vertex, the namespace and the name,
// separated by characters no name holds.
std::string ReferenceKey(GraphVertex vertex, absl::string_view ns, absl::string_view name) {
  return absl::StrCat(static_cast<int>(vertex), "\n", ns, "\n", name);
}

std::string PodKey(const core::v1::Pod& pod) {
  return absl::StrCat(pod.metadata().namespace_(), "/", pod.metadata().name());
}

// What `pod` references, each once.
std::vector<std::string> References(const core::v1::Pod& pod) {
  const std::string& ns = pod.metadata().namespace_();
  absl::flat_hash_set<std::string> seen;
  std::vector<std::string> out;
  auto add = [&](GraphVertex vertex, const std::string& name) {
    if (name.empty()) return;
    std::string key = ReferenceKey(vertex, ns, name);
    if (seen.insert(key).second) out.push_back(std::move(key));
  };
  const core::v1::PodSpec& spec = pod.spec();
  add(GraphVertex::kServiceAccount, spec.service_account_name());
  for (const core::v1::LocalObjectReference& pull : spec.image_pull_secrets()) {
    add(GraphVertex::kSecret, pull.name());
  }
  for (const core::v1::Volume& volume : spec.volumes()) {
    if (volume.has_secret()) add(GraphVertex::kSecret, volume.secret().secret_name());
    if (volume.has_config_map()) add(GraphVertex::kConfigMap, volume.config_map().name());
    for (const core::v1::VolumeProjection& source : volume.projected().sources()) {
      if (source.has_secret()) add(GraphVertex::kSecret, source.secret().name());
      if (source.has_config_map()) add(GraphVertex::kConfigMap, source.config_map().name());
    }
  }
  for (const auto* containers : {&spec.init_containers(), &spec.containers()}) {
    for (const core::v1::Container& container : *containers) {
      for (const core::v1::EnvVar& env : container.env()) {
        const core::v1::EnvVarSource& from = env.value_from();
        if (from.has_secret_key_ref()) add(GraphVertex::kSecret, from.secret_key_ref().name());
        if (from.has_config_map_key_ref()) {
          add(GraphVertex::kConfigMap, from.config_map_key_ref().name());
        }
      }
      for (const core::v1::EnvFromSource& from : container.env_from()) {
        if (from.has_secret_ref()) add(GraphVertex::kSecret, from.secret_ref().name());
        if (from.has_config_map_ref()) add(GraphVertex::kConfigMap, from.config_map_ref().name());
      }
    }
  }
  return out;
}

}  // namespace

void NodeGraph::Unlink(const PodEntry& entry) {
  if (entry.node.empty()) return;
  auto node = by_node_.find(entry.node);
  if (node == by_node_.end()) return;
  for (const std::string& reference : entry.references) {
    auto it = node->second.find(reference);
    if (it != node->second.end() && --it->second <= 0) node->second.erase(it);
  }
  if (node->second.empty()) by_node_.erase(node);
}

void NodeGraph::Link(const PodEntry& entry) {
  if (entry.node.empty() || entry.tombstone) return;
  auto& references = by_node_[entry.node];
  for (const std::string& reference : entry.references) ++references[reference];
}

void NodeGraph::SetPodLocked(const core::v1::Pod& pod, int64_t revision) {
  PodEntry& entry = pods_[PodKey(pod)];
  if (entry.revision > revision || (entry.tombstone && entry.revision == revision)) return;
  Unlink(entry);
  entry.revision = revision;
  entry.tombstone = false;
  entry.node = pod.spec().node_name();
  entry.references = entry.node.empty() ? std::vector<std::string>() : References(pod);
  Link(entry);
}

void NodeGraph::SetPod(const core::v1::Pod& pod, int64_t revision) {
  absl::MutexLock lock(&mu_);
  SetPodLocked(pod, revision);
}

void NodeGraph::DeletePod(const core::v1::Pod& pod, int64_t revision) {
  absl::MutexLock lock(&mu_);
  auto it = pods_.find(PodKey(pod));
  if (it == pods_.end()) {
    if (merging_) pods_[PodKey(pod)] = PodEntry{.revision = revision, .tombstone = true};
    return;
  }
  if (it->second.revision > revision) return;
  Unlink(it->second);
  if (merging_) {
    it->second = PodEntry{.revision = revision, .tombstone = true};
  } else {
    pods_.erase(it);
  }
}

bool NodeGraph::HasPath(const std::string& node, GraphVertex vertex, const std::string& ns,
                        const std::string& name) const {
  absl::MutexLock lock(&mu_);
  auto it = by_node_.find(node);
  return it != by_node_.end() && it->second.contains(ReferenceKey(vertex, ns, name));
}

size_t NodeGraph::pod_count() const {
  absl::MutexLock lock(&mu_);
  size_t count = 0;
  for (const auto& [key, entry] : pods_) count += entry.tombstone ? 0 : 1;
  return count;
}

void NodeGraph::BeginMerge() {
  absl::MutexLock lock(&mu_);
  merging_ = true;
}

void NodeGraph::EndMerge(const std::vector<std::pair<const core::v1::Pod*, int64_t>>& pods,
                         int64_t revision) {
  absl::MutexLock lock(&mu_);
  absl::flat_hash_set<std::string> listed;
  for (const auto& [pod, pod_revision] : pods) {
    SetPodLocked(*pod, pod_revision);
    listed.insert(PodKey(*pod));
  }
  for (auto it = pods_.begin(); it != pods_.end();) {
    const bool gone =
        it->second.tombstone || (!listed.contains(it->first) && it->second.revision <= revision);
    if (gone) {
      Unlink(it->second);
      pods_.erase(it++);
    } else {
      ++it;
    }
  }
  merging_ = false;
}

CacheNodeGraph::CacheNodeGraph(WatchCache* pods) : pods_(pods) {
  listener_ = pods_->AddChangeListener([this](EventType type, const CachedObject* object) {
    if (object == nullptr) {
      relists_.fetch_add(1);  // anything may have changed: list again
      return;
    }
    if (object->object->GetDescriptor() != core::v1::Pod::descriptor()) return;
    const auto& pod = static_cast<const core::v1::Pod&>(*object->object);
    if (type == EventType::kDeleted) {
      DeletePod(pod, object->revision);
    } else if (type == EventType::kAdded || type == EventType::kModified) {
      SetPod(pod, object->revision);
    }
  });
}

CacheNodeGraph::~CacheNodeGraph() { pods_->RemoveChangeListener(listener_); }

bool CacheNodeGraph::Refresh() const {
  if (merged_.load() == relists_.load()) return true;
  absl::MutexLock lock(&rebuild_mu_);
  const uint64_t relists = relists_.load();
  if (merged_.load() == relists) return true;
  if (!pods_->WaitReady(kReadyTimeout)) return false;
  // The graph is a cache of the pods cache: merging changes it, not what
  // it answers.
  auto* self = const_cast<CacheNodeGraph*>(this);
  self->BeginMerge();
  WatchCache::ListResult listed = pods_->List(Filter{}, "", 0);
  std::vector<std::pair<const core::v1::Pod*, int64_t>> pods;
  pods.reserve(listed.items.size());
  for (const CachedObjectPtr& item : listed.items) {
    if (item->object->GetDescriptor() != core::v1::Pod::descriptor()) continue;
    pods.emplace_back(static_cast<const core::v1::Pod*>(item->object.get()), item->revision);
  }
  self->EndMerge(pods, listed.revision);
  merged_.store(relists);
  spdlog::debug("node authorizer graph: {} pods at revision {}", pods.size(), listed.revision);
  return true;
}

bool CacheNodeGraph::HasPath(const std::string& node, GraphVertex vertex, const std::string& ns,
                             const std::string& name) const {
  if (!Refresh()) return false;
  return NodeGraph::HasPath(node, vertex, ns, name);
}

}  // namespace minik8s::apiserver::authz
