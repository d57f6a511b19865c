// Finishes namespace deletion inside the apiserver: for every namespace in
// phase Terminating it deletes each namespaced object in it (default
// options: pods on a node still get their grace period), and once nothing is
// left it removes the namespace itself. It rescans every `interval`.
//
// Thread safety: Start()/Stop() from one owner thread; runs on its own thread.
#ifndef MINIK8S_APISERVER_NAMESPACE_FINALIZER_H_
#define MINIK8S_APISERVER_NAMESPACE_FINALIZER_H_

#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "apiserver/handler.h"

namespace minik8s::apiserver {

class NamespaceFinalizer {
 public:
  // `handler` must outlive the finalizer.
  NamespaceFinalizer(Handler* handler, absl::Duration interval);
  ~NamespaceFinalizer();

  void Start();
  void Stop();
  // One pass over all terminating namespaces (tests call it directly).
  void RunOnce();

 private:
  // True when the namespace is empty and was removed.
  absl::StatusOr<bool> Finalize(const std::string& ns);

  Handler* const handler_;
  const absl::Duration interval_;
  std::thread thread_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace minik8s::apiserver

#endif  // MINIK8S_APISERVER_NAMESPACE_FINALIZER_H_
