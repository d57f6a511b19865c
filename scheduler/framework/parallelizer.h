// Parallelizer: runs fn(i) for i in [0, n) on a fixed pool of threads plus
// the calling thread (Kubernetes' parallelize.Until with --parallelism
// workers). Work is handed out in chunks of `chunk` indices through an
// atomic counter, so fn must be safe to call concurrently for different i.
//
// Thread safety: Until() may be called from one thread at a time (the
// scheduling loop); it returns only after every fn(i) has finished. The
// destructor joins the workers.
#ifndef MINIK8S_SCHEDULER_FRAMEWORK_PARALLELIZER_H_
#define MINIK8S_SCHEDULER_FRAMEWORK_PARALLELIZER_H_

#include <atomic>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace minik8s::scheduler {

class Parallelizer {
 public:
  // parallelism <= 1: everything runs on the calling thread.
  explicit Parallelizer(int parallelism);
  ~Parallelizer();
  Parallelizer(const Parallelizer&) = delete;
  Parallelizer& operator=(const Parallelizer&) = delete;

  void Until(int n, int chunk, const std::function<void(int)>& fn);
  int parallelism() const { return static_cast<int>(workers_.size()) + 1; }

 private:
  void WorkerLoop();
  void RunChunks();

  absl::Mutex mu_;
  uint64_t job_ ABSL_GUARDED_BY(mu_) = 0;
  int active_ ABSL_GUARDED_BY(mu_) = 0;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  // The current job; written only while no worker runs one.
  const std::function<void(int)>* fn_ = nullptr;
  int n_ = 0;
  int chunk_ = 1;
  std::atomic<int> next_{0};
  std::vector<std::thread> workers_;
};

}  // namespace minik8s::scheduler

#endif  // MINIK8S_SCHEDULER_FRAMEWORK_PARALLELIZER_H_
