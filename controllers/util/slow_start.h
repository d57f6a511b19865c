// SlowStartBatch (Kubernetes' slowStartBatch in replica_set.go): calls `fn`
// `count` times in batches of growing size — initial_batch_size, then
// double, ... — running each batch concurrently, and stops after the first
// batch in which any call failed, so a systematic failure (quota, webhook,
// invalid template) costs one call rather than hundreds.
//
// Returns the number of successful calls and the first error seen (OK when
// all `count` calls succeeded).
//
// Thread safety: `fn` is called from several threads at once (at most
// kMaxParallel); it must be thread-safe. Returns after all calls ended.
#ifndef MINIK8S_CONTROLLERS_UTIL_SLOW_START_H_
#define MINIK8S_CONTROLLERS_UTIL_SLOW_START_H_

#include <functional>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace minik8s::controllers {

inline constexpr int kSlowStartMaxParallel = 16;

// The batch sizes SlowStartBatch uses when every call succeeds.
std::vector<int> SlowStartBatchSizes(int count, int initial_batch_size);

std::pair<int, absl::Status> SlowStartBatch(int count, int initial_batch_size,
                                            const std::function<absl::Status()>& fn);

}  // namespace minik8s::controllers

#endif  // MINIK8S_CONTROLLERS_UTIL_SLOW_START_H_
