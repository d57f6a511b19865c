#include "kubelet/node_status_sync.h"

#include "api/errors.h"
#include "spdlog/spdlog.h"

namespace minik8s::kubelet {

namespace core = ::minik8s::core::v1;

namespace {

// "Ready=False" from a status, for logs.
std::string ReadyOf(const core::NodeStatus& status) {
  for (const auto& c : status.conditions()) {
    if (c.type() == "Ready") return "Ready=" + c.status();
  }
  return "no Ready condition";
}

}  // namespace

absl::Status NodeStatusSync::Sync(absl::Time now, const std::string& runtime_error) {
  const std::string& name = config_.name;
  const bool due = !posted_.has_value() || now - posted_at_ >= report_frequency_;
  if (!due) {
    absl::StatusOr<core::Node> cached = api_->CachedNode(name);
    if (cached.ok()) {
      // The apiserver's copy (as the informer has it) already says it all.
      if (SameNodeStatusIgnoringHeartbeat(
              cached->status(), BuildNodeStatus(config_, cached->status(), now, runtime_error))) {
        return absl::OkStatus();
      }
    } else if (!api::IsNotFound(cached.status())) {
      // No informer copy to go by yet: compare with what was last written.
      if (SameNodeStatusIgnoringHeartbeat(*posted_,
                                          BuildNodeStatus(config_, *posted_, now, runtime_error))) {
        return absl::OkStatus();
      }
    }
    // A differing copy, or none in a synced informer (deleted?): ask the
    // apiserver itself.
  }
  ++reads_;
  absl::StatusOr<core::Node> got = api_->GetNode(name);
  if (api::IsNotFound(got.status())) {
    posted_.reset();  // deleted under us: registered again, then written in full
    return got.status();
  }
  if (!got.ok()) return got.status();
  core::Node node = *std::move(got);
  core::NodeStatus want = BuildNodeStatus(config_, node.status(), now, runtime_error);
  if (!due) {
    if (SameNodeStatusIgnoringHeartbeat(node.status(), want)) {
      return absl::OkStatus();  // the informer was behind; the apiserver agrees
    }
    if (SameNodeStatusIgnoringHeartbeat(*posted_,
                                        BuildNodeStatus(config_, *posted_, now, runtime_error))) {
      // Nothing changed on our side: someone else wrote the status.
      spdlog::warn(
          "node {}: its status was changed behind the kubelet's back ({}); writing the "
          "kubelet's ({})",
          name, ReadyOf(node.status()), ReadyOf(want));
    }
  }
  *node.mutable_status() = want;
  ++writes_;
  absl::StatusOr<core::Node> updated = api_->UpdateNodeStatus(node);
  if (!updated.ok()) return updated.status();
  posted_ = std::move(want);
  posted_at_ = now;
  return absl::OkStatus();
}

}  // namespace minik8s::kubelet
