#include "scheduler/cache/cache.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "scheduler/framework/affinity_terms.h"

namespace minik8s::scheduler {

void Cache::TouchLocked(const std::string& node) { node_generation_[node] = ++generation_; }

void Cache::AddNode(std::shared_ptr<const Node> node) {
  absl::MutexLock l(&mu_);
  std::string name = node->metadata().name();
  NodeInfo& info = nodes_[name];
  if (info.node() == nullptr) structure_generation_ = generation_ + 1;
  info.SetNode(std::move(node));
  TouchLocked(name);
}

void Cache::RemoveNode(const std::string& name) {
  absl::MutexLock l(&mu_);
  auto it = nodes_.find(name);
  if (it == nodes_.end()) return;
  if (it->second.node() != nullptr) structure_generation_ = generation_ + 1;
  if (it->second.num_pods() == 0) {
    nodes_.erase(it);
    node_generation_.erase(name);
    ++generation_;
  } else {
    it->second.ClearNode();
    TouchLocked(name);
  }
}

void Cache::CountLocked(const PodState& s) {
  nodes_[s.node].AddPod(s.requests, s.non_zero, s.owner_uid, s.ref);
  TouchLocked(s.node);
  CountAffinityLocked(s, 1);
}

void Cache::CountAffinityLocked(const PodState& s, int delta) {
  if (s.ref == nullptr || s.ref->affinity == nullptr) return;
  pods_with_affinity_ += delta;
  if (!s.ref->affinity->required_anti_affinity.empty()) pods_with_required_anti_affinity_ += delta;
}

void Cache::UncountLocked(const PodState& s) {
  CountAffinityLocked(s, -1);
  auto it = nodes_.find(s.node);
  if (it == nodes_.end()) return;
  it->second.RemovePod(s.requests, s.non_zero, s.owner_uid, s.ref.get());
  if (it->second.node() == nullptr && it->second.num_pods() == 0) {
    nodes_.erase(it);
    node_generation_.erase(s.node);
    ++generation_;
  } else {
    TouchLocked(s.node);
  }
}

absl::Status Cache::AssumePod(const PodInfo& pod, const std::string& node_name) {
  absl::MutexLock l(&mu_);
  if (pods_.contains(pod.key)) {
    return absl::AlreadyExistsError(absl::StrCat("pod ", pod.key, " is already in the cache"));
  }
  PodState s{node_name, pod.requests, pod.non_zero_requests, pod.owner_uid,
             true,      false,        MakePodRef(pod.get())};
  CountLocked(s);
  pods_.emplace(pod.key, std::move(s));
  return absl::OkStatus();
}

void Cache::FinishBinding(const std::string& key) {
  absl::MutexLock l(&mu_);
  auto it = pods_.find(key);
  if (it != pods_.end() && it->second.assumed) it->second.binding_finished = true;
}

absl::Status Cache::ForgetPod(const std::string& key) {
  absl::MutexLock l(&mu_);
  auto it = pods_.find(key);
  if (it == pods_.end()) return absl::NotFoundError(absl::StrCat("pod ", key, " not in cache"));
  if (!it->second.assumed) {
    return absl::FailedPreconditionError(absl::StrCat("pod ", key, " is bound, not assumed"));
  }
  UncountLocked(it->second);
  pods_.erase(it);
  return absl::OkStatus();
}

void Cache::AddPod(const Pod& pod) {
  PodState s{pod.spec().node_name(),
             PodRequests(pod),
             PodNonZeroRequests(pod),
             ControllerUid(pod),
             false,
             false};
  std::string key = PodKey(pod);
  absl::MutexLock l(&mu_);
  auto it = pods_.find(key);
  if (it != pods_.end()) {
    const PodState& old = it->second;
    const bool same_ref = old.ref != nullptr && PodRefMatches(*old.ref, pod);
    if (old.node == s.node && old.requests == s.requests && old.non_zero == s.non_zero &&
        old.owner_uid == s.owner_uid && same_ref) {
      it->second.assumed = false;  // confirmed; accounting unchanged
      return;
    }
    if (same_ref) s.ref = old.ref;
    UncountLocked(old);
    pods_.erase(it);
  }
  if (s.ref == nullptr) s.ref = MakePodRef(pod);
  CountLocked(s);
  pods_.emplace(std::move(key), std::move(s));
}

void Cache::RemovePod(const std::string& key) {
  absl::MutexLock l(&mu_);
  auto it = pods_.find(key);
  if (it == pods_.end()) return;
  UncountLocked(it->second);
  pods_.erase(it);
}

bool Cache::IsAssumed(const std::string& key) const {
  absl::MutexLock l(&mu_);
  auto it = pods_.find(key);
  return it != pods_.end() && it->second.assumed;
}

bool Cache::Contains(const std::string& key) const {
  absl::MutexLock l(&mu_);
  return pods_.contains(key);
}

size_t Cache::NumPods() const {
  absl::MutexLock l(&mu_);
  return pods_.size();
}

size_t Cache::NumNodes() const {
  absl::MutexLock l(&mu_);
  size_t n = 0;
  for (const auto& [name, info] : nodes_) n += info.node() != nullptr;
  return n;
}

std::optional<NodeInfo> Cache::GetNodeInfo(const std::string& name) const {
  absl::MutexLock l(&mu_);
  auto it = nodes_.find(name);
  if (it == nodes_.end()) return std::nullopt;
  return it->second;
}

void Cache::UpdateSnapshot(Snapshot* snapshot) const {
  absl::MutexLock l(&mu_);
  if (snapshot->generation_ == generation_ && generation_ != 0) return;
  if (structure_generation_ > snapshot->generation_ || snapshot->generation_ == 0) {
    // The set of nodes changed: rebuild in name order.
    std::vector<const NodeInfo*> infos;
    infos.reserve(nodes_.size());
    for (const auto& [name, info] : nodes_) {
      if (info.node() != nullptr) infos.push_back(&info);
    }
    std::sort(infos.begin(), infos.end(),
              [](const NodeInfo* a, const NodeInfo* b) { return a->name() < b->name(); });
    snapshot->nodes_.clear();
    snapshot->index_.clear();
    snapshot->nodes_.reserve(infos.size());
    for (const NodeInfo* info : infos) {
      snapshot->index_[info->name()] = snapshot->nodes_.size();
      snapshot->nodes_.push_back(*info);
    }
  } else {
    for (const auto& [name, gen] : node_generation_) {
      if (gen <= snapshot->generation_) continue;
      auto idx = snapshot->index_.find(name);
      if (idx == snapshot->index_.end()) continue;  // no Node object: not scheduled on
      snapshot->nodes_[idx->second] = nodes_.at(name);
    }
  }
  snapshot->generation_ = generation_;
  snapshot->pods_with_affinity_ = pods_with_affinity_;
  snapshot->pods_with_required_anti_affinity_ = pods_with_required_anti_affinity_;
}

}  // namespace minik8s::scheduler
