// A fixed pool of threads running queued closures, so that request handling
// (which waits on the store) never blocks gRPC's own callback threads.
//
// Thread safety: Schedule() is safe from any thread. The destructor runs the
// queued closures, then joins the threads.
#ifndef MINIK8S_APISERVER_WORKER_POOL_H_
#define MINIK8S_APISERVER_WORKER_POOL_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace minik8s::apiserver {

class WorkerPool {
 public:
  explicit WorkerPool(int threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void Schedule(std::function<void()> work);

 private:
  void Run();

  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace minik8s::apiserver

#endif  // MINIK8S_APISERVER_WORKER_POOL_H_
