#include "kubectl/logs/multi_logs.h"

#include "absl/strings/str_cat.h"

namespace minik8s::kubectl {

absl::Status CheckLogsSelection(bool has_pod_argument, absl::string_view selector) {
  if (has_pod_argument && !selector.empty()) {
    return absl::InvalidArgumentError("only a selector (-l) or a POD name is allowed");
  }
  return absl::OkStatus();
}

int64_t EffectiveTail(int64_t tail, bool has_selector) {
  if (tail == -1 && has_selector) return kSelectorDefaultTail;
  return tail;
}

absl::Status CheckFollowConcurrency(bool follow, size_t streams, int max_log_requests) {
  if (!follow || streams <= 1) return absl::OkStatus();
  if (max_log_requests < 0 || streams > static_cast<size_t>(max_log_requests)) {
    return absl::InvalidArgumentError(
        absl::StrCat("you are attempting to follow ", streams,
                     " log streams, but maximum allowed concurrency is ", max_log_requests,
                     ", use --max-log-requests to increase the limit"));
  }
  return absl::OkStatus();
}

std::string LogPrefix(absl::string_view pod, absl::string_view container) {
  return absl::StrCat("[pod/", pod, "/", container, "] ");
}

std::vector<std::string> AllContainerNames(const core::v1::Pod& pod) {
  std::vector<std::string> names;
  for (const auto& c : pod.spec().init_containers()) names.push_back(c.name());
  for (const auto& c : pod.spec().containers()) names.push_back(c.name());
  return names;
}

std::string LinePrefixer::Apply(absl::string_view chunk) {
  std::string out;
  out.reserve(chunk.size() + prefix_.size());
  for (char c : chunk) {
    if (at_line_start_) {
      out += prefix_;
      at_line_start_ = false;
    }
    out += c;
    if (c == '\n') at_line_start_ = true;
  }
  return out;
}

}  // namespace minik8s::kubectl
