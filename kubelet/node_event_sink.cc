#include "kubelet/node_event_sink.h"

#include <algorithm>

namespace minik8s::kubelet {

NodeEventSink::NodeEventSink(client::EventSink* inner, size_t capacity)
    : inner_(inner), capacity_(std::max<size_t>(capacity, 1)) {}

void NodeEventSink::Remember(const std::string& pod_uid, const std::string& node) {
  if (pod_uid.empty() || node.empty()) return;
  absl::MutexLock lock(&mu_);
  auto it = nodes_.find(pod_uid);
  if (it != nodes_.end()) {
    it->second.node = node;
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return;
  }
  lru_.push_front(pod_uid);
  nodes_[pod_uid] = Entry{node, lru_.begin()};
  while (nodes_.size() > capacity_) {
    nodes_.erase(lru_.back());
    lru_.pop_back();
  }
}

std::string NodeEventSink::NodeOf(const std::string& pod_uid) const {
  absl::MutexLock lock(&mu_);
  auto it = nodes_.find(pod_uid);
  return it == nodes_.end() ? std::string() : it->second.node;
}

absl::StatusOr<minik8s::core::v1::Event> NodeEventSink::Create(
    const minik8s::core::v1::Event& event) {
  if (!event.source().host().empty()) return inner_->Create(event);
  std::string node = NodeOf(event.involved_object().uid());
  if (node.empty()) return inner_->Create(event);
  minik8s::core::v1::Event out = event;
  out.mutable_source()->set_host(node);
  out.set_reporting_instance(node);
  return inner_->Create(out);
}

absl::StatusOr<minik8s::core::v1::Event> NodeEventSink::Patch(absl::string_view ns,
                                                              absl::string_view name,
                                                              absl::string_view merge_patch_json) {
  return inner_->Patch(ns, name, merge_patch_json);
}

}  // namespace minik8s::kubelet
