// The pure parts of `mkctl logs` over several pods or containers
// (`-l SELECTOR`, `--all-containers`, `--prefix`, `--max-log-requests`),
// as kubectl v1.32 defines them:
// - with a selector and no --tail, each container shows its last 10 lines;
// - --prefix starts every line with `[pod/NAME/CONTAINER] `;
// - without -f the logs are printed one container after the other; with -f
//   and more than one stream they are followed at once, and more streams
//   than --max-log-requests (default 5) is an error.
#ifndef MINIK8S_KUBECTL_LOGS_MULTI_LOGS_H_
#define MINIK8S_KUBECTL_LOGS_MULTI_LOGS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::kubectl {

// kubectl's default --max-log-requests.
inline constexpr int kDefaultMaxLogRequests = 5;
// The --tail kubectl applies when a selector is given and --tail is not.
inline constexpr int64_t kSelectorDefaultTail = 10;

// `-l` and a POD argument exclude each other.
absl::Status CheckLogsSelection(bool has_pod_argument, absl::string_view selector);

// The --tail to send: `tail` as given, or 10 lines with a selector when
// --tail was left at -1.
int64_t EffectiveTail(int64_t tail, bool has_selector);

// Following more than one stream needs one request per stream at once;
// more than `max_log_requests` of them is refused, as kubectl does.
absl::Status CheckFollowConcurrency(bool follow, size_t streams, int max_log_requests);

// `[pod/NAME/CONTAINER] `.
std::string LogPrefix(absl::string_view pod, absl::string_view container);

// The containers --all-containers reads, in kubectl's order: the init
// containers, then the containers.
std::vector<std::string> AllContainerNames(const core::v1::Pod& pod);

// Puts a prefix at the start of every line of a stream that arrives in
// chunks which need not end at a line's end.
class LinePrefixer {
 public:
  explicit LinePrefixer(std::string prefix) : prefix_(std::move(prefix)) {}
  std::string Apply(absl::string_view chunk);

 private:
  const std::string prefix_;
  bool at_line_start_ = true;
};

}  // namespace minik8s::kubectl

#endif  // MINIK8S_KUBECTL_LOGS_MULTI_LOGS_H_
