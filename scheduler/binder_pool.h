// BinderPool: a few threads that run the scheduler's API writes (bindings,
// condition updates) so the scheduling loop never waits on the network.
// Tasks run in submission order per thread; there is no ordering between
// threads.
//
// Thread safety: Submit is safe from any thread. Shutdown() (also run by the
// destructor) runs every task already submitted, then joins the threads;
// tasks submitted afterwards are dropped.
#ifndef MINIK8S_SCHEDULER_BINDER_POOL_H_
#define MINIK8S_SCHEDULER_BINDER_POOL_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace minik8s::scheduler {

class BinderPool {
 public:
  explicit BinderPool(int threads);
  ~BinderPool();
  BinderPool(const BinderPool&) = delete;
  BinderPool& operator=(const BinderPool&) = delete;

  void Submit(std::function<void()> task);
  // Blocks until no task is queued or running.
  void Drain();
  void Shutdown();

 private:
  void Loop();

  absl::Mutex mu_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace minik8s::scheduler

#endif  // MINIK8S_SCHEDULER_BINDER_POOL_H_
