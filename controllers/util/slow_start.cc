#include "controllers/util/slow_start.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <thread>

#include "absl/synchronization/mutex.h"

namespace minik8s::controllers {
namespace {

// min(2 × batch, remaining), doubled in int64: 2 × batch overflows an int
// once batch passes 2^30 (a count near INT32_MAX gets there).
int NextBatch(int batch, int remaining) {
  return static_cast<int>(std::min<int64_t>(2 * int64_t{batch}, remaining));
}

}  // namespace

std::vector<int> SlowStartBatchSizes(int count, int initial_batch_size) {
  std::vector<int> sizes;
  int remaining = count;
  for (int batch = std::min(remaining, initial_batch_size); batch > 0;
       batch = NextBatch(batch, remaining)) {
    sizes.push_back(batch);
    remaining -= batch;
  }
  return sizes;
}

std::pair<int, absl::Status> SlowStartBatch(int count, int initial_batch_size,
                                            const std::function<absl::Status()>& fn) {
  int successes = 0;
  int remaining = count;
  for (int batch = std::min(remaining, initial_batch_size); batch > 0;
       batch = NextBatch(batch, remaining)) {
    std::atomic<int> next{0};
    std::atomic<int> ok{0};
    absl::Mutex mu;
    absl::Status first_error;
    auto run = [&] {
      while (next.fetch_add(1) < batch) {
        absl::Status s = fn();
        if (s.ok()) {
          ok.fetch_add(1);
        } else {
          absl::MutexLock lock(&mu);
          if (first_error.ok()) first_error = s;
        }
      }
    };
    const int threads = std::min(batch, kSlowStartMaxParallel);
    if (threads == 1) {
      run();
    } else {
      std::vector<std::thread> pool;
      pool.reserve(threads);
      for (int i = 0; i < threads; ++i) pool.emplace_back(run);
      for (std::thread& t : pool) t.join();
    }
    successes += ok.load();
    if (!first_error.ok()) return {successes, first_error};
    remaining -= batch;
  }
  return {successes, absl::OkStatus()};
}

}  // namespace minik8s::controllers
