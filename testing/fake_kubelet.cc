#include "testing/fake_kubelet.h"

#include "api/time.h"

namespace minik8s::testing {

bool IsPodReady(const core::v1::Pod& pod) {
  for (const auto& c : pod.status().conditions()) {
    if (c.type() == "Ready" && c.status() == "True") return true;
  }
  return false;
}

FakeKubelet::FakeKubelet(client::Clientset* clientset, Options options)
    : clientset_(clientset), options_(std::move(options)) {}

FakeKubelet::~FakeKubelet() { Stop(); }

void FakeKubelet::Start() {
  if (thread_.joinable() || stop_.HasBeenNotified()) return;
  thread_ = std::thread([this] {
    do {
      SyncOnce();
    } while (!stop_.WaitForNotificationWithTimeout(options_.period));
  });
}

void FakeKubelet::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

void FakeKubelet::SyncOnce() {
  auto pods = clientset_->Pods().List(options_.namespace_);
  if (!pods.ok()) return;  // the apiserver may be restarting; try next period
  for (core::v1::Pod p : pods->items) {
    const bool bound = !p.spec().node_name().empty();
    if (p.metadata().has_deletion_timestamp()) {
      if (options_.remove_terminating && bound) {
        client::DeleteOptions now;
        now.grace_period_seconds = 0;
        (void)clientset_->Pods().Delete(options_.namespace_, p.metadata().name(), now);
      }
      continue;
    }
    if (IsPodReady(p) || (options_.bound_only && !bound)) continue;
    p.mutable_status()->set_phase("Running");
    auto* c = p.mutable_status()->add_conditions();
    c->set_type("Ready");
    c->set_status("True");
    *c->mutable_last_transition_time() = api::NowTime();
    // A conflict or an outage is retried on the next pass.
    (void)clientset_->Pods().UpdateStatus(p);
  }
}

}  // namespace minik8s::testing
