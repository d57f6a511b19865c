// FakeKubelet: plays the kubelet for end-to-end tests that run a control
// plane without nodes. A background thread lists the pods of one namespace
// every `period` and reports each live pod Running and Ready through the
// status subresource, as a kubelet would once its containers started; with
// `remove_terminating`, it also removes a terminating pod bound to a node at
// once (a kubelet stops the containers, then deletes the pod with grace 0).
//
// Thread-safe: Start and Stop from the owning thread; the clientset must
// outlive the FakeKubelet (the destructor stops the thread).
#ifndef MINIK8S_TESTING_FAKE_KUBELET_H_
#define MINIK8S_TESTING_FAKE_KUBELET_H_

#include <string>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "client/clientset.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::testing {

// True when the pod has the condition Ready=True.
bool IsPodReady(const core::v1::Pod& pod);

class FakeKubelet {
 public:
  struct Options {
    std::string namespace_ = "default";
    // Only pods a scheduler bound to a node (spec.nodeName set).
    bool bound_only = false;
    // Delete terminating bound pods with grace period 0.
    bool remove_terminating = false;
    absl::Duration period = absl::Milliseconds(50);
  };

  FakeKubelet(client::Clientset* clientset, Options options);
  ~FakeKubelet();
  FakeKubelet(const FakeKubelet&) = delete;
  FakeKubelet& operator=(const FakeKubelet&) = delete;

  // Starts the loop (once).
  void Start();
  // Stops the loop and joins the thread; idempotent.
  void Stop();

 private:
  void SyncOnce();

  client::Clientset* const clientset_;
  const Options options_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace minik8s::testing

#endif  // MINIK8S_TESTING_FAKE_KUBELET_H_
