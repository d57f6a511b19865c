#include "controllers/podgc/pod_gc_controller.h"

#include <vector>

#include "absl/container/flat_hash_set.h"
#include "api/errors.h"
#include "spdlog/spdlog.h"

namespace minik8s::controllers {
namespace {

using minik8s::core::v1::Node;
using minik8s::core::v1::Pod;

class ApiPodGCClient : public PodGCClient {
 public:
  explicit ApiPodGCClient(const client::Clientset* cs) : cs_(cs) {}
  absl::Status GetNode(absl::string_view name) override {
    return cs_->Nodes().Get("", name).status();
  }
  absl::Status ForceDeletePod(absl::string_view ns, absl::string_view name) override {
    return cs_->Pods().Delete(ns, name, {.grace_period_seconds = 0}).status();
  }

 private:
  const client::Clientset* cs_;
};

}  // namespace

std::unique_ptr<PodGCClient> NewApiPodGCClient(const client::Clientset* clientset) {
  return std::make_unique<ApiPodGCClient>(clientset);
}

PodGCController::PodGCController(client::Lister<Pod> pods, client::Lister<Node> nodes,
                                 std::unique_ptr<PodGCClient> client, PodGCOptions options)
    : pods_(pods),
      nodes_(nodes),
      client_(std::move(client)),
      options_(options),
      clock_(options.clock != nullptr ? options.clock : common::RealClock::Get()) {}

PodGCController::~PodGCController() { Stop(); }

void PodGCController::Run() {
  thread_ = std::thread([this] {
    absl::MutexLock lock(&mu_);
    while (!stopping_) {
      mu_.Unlock();
      absl::Status s = GcOnce();
      if (!s.ok()) spdlog::warn("podgc: {}", s.ToString());
      mu_.Lock();
      clock_->AwaitWithDeadline(&mu_, absl::Condition(&stopping_), clock_->Now() + options_.period);
    }
  });
}

void PodGCController::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

absl::Status PodGCController::GcOnce() {
  const absl::Time now = clock_->Now();
  absl::Status first;
  auto note = [&first](const absl::Status& s) {
    if (!s.ok() && first.ok()) first = s;
  };
  const std::vector<std::shared_ptr<const Pod>> pods = pods_.List();

  // 1. Node names pods are bound to that the informer does not know.
  absl::flat_hash_map<std::string, absl::Time> missing;
  for (const auto& pod : pods) {
    const std::string& node = pod->spec().node_name();
    if (node.empty() || missing.contains(node) || nodes_.Get("", node) != nullptr) continue;
    auto it = missing_since_.find(node);
    missing[node] = it != missing_since_.end() ? it->second : now;
  }
  missing_since_ = std::move(missing);  // forget nodes that came back

  // 2. Out of quarantine: ask the apiserver; only NotFound means deleted.
  absl::flat_hash_set<std::string> deleted;
  for (const auto& [node, since] : missing_since_) {
    if (now - since < options_.quarantine) continue;
    absl::Status s = client_->GetNode(node);
    if (api::IsNotFound(s)) {
      deleted.insert(node);
    } else if (!s.ok()) {
      note(s);
    }
  }

  // 3. Orphaned pods, and terminating pods that were never scheduled.
  for (const auto& pod : pods) {
    const std::string& node = pod->spec().node_name();
    const bool orphaned = !node.empty() && deleted.contains(node);
    const bool unscheduled_terminating = node.empty() && pod->metadata().has_deletion_timestamp();
    if (!orphaned && !unscheduled_terminating) continue;
    const std::string& ns = pod->metadata().namespace_();
    const std::string& name = pod->metadata().name();
    absl::Status s = client_->ForceDeletePod(ns, name);
    if (!s.ok() && !api::IsNotFound(s)) {
      note(s);
      continue;
    }
    if (orphaned) {
      spdlog::info("podgc: force-deleted orphaned pod {}/{} (node {} is gone)", ns, name, node);
    } else {
      spdlog::info("podgc: force-deleted unscheduled terminating pod {}/{}", ns, name);
    }
  }
  return first;
}

}  // namespace minik8s::controllers
