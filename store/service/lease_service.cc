#include "store/service/lease_service.h"

#include <deque>

#include "absl/synchronization/mutex.h"

namespace minik8s::store {

using etcdserverpb::LeaseKeepAliveRequest;
using etcdserverpb::LeaseKeepAliveResponse;

// One keep-alive stream: each request is answered in order, one write at a
// time, the answers waiting meanwhile queued.
class LeaseService::KeepAliveCall final
    : public BidiCall<KeepAliveCall, LeaseKeepAliveRequest, LeaseKeepAliveResponse> {
 public:
  KeepAliveCall(LeaseService* service, rpc::CallRef ref) : BidiCall(ref), service_(service) {}

 private:
  friend class BidiCall<KeepAliveCall, LeaseKeepAliveRequest, LeaseKeepAliveResponse>;

  void Started() {}
  void ReadsDone() {}

  void Received(const LeaseKeepAliveRequest& request) {
    LeaseKeepAliveResponse resp;
    service_->store_->LeaseKeepAlive(request, &resp);
    absl::MutexLock lock(&mu_);
    if (writing_) {
      queue_.push_back(std::move(resp));
    } else {
      writing_ = true;
      current_ = std::move(resp);
      Write(current_);
    }
  }

  void Written(bool ok) {
    absl::MutexLock lock(&mu_);
    if (!ok) queue_.clear();
    if (!queue_.empty()) {
      current_ = std::move(queue_.front());
      queue_.pop_front();
      Write(current_);
      return;
    }
    writing_ = false;
    MaybeFinishLocked();
  }

  bool WritingLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return writing_; }

  LeaseService* const service_;
  LeaseKeepAliveResponse current_ ABSL_GUARDED_BY(mu_);
  std::deque<LeaseKeepAliveResponse> queue_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
};

LeaseService::LeaseService(KvStore* store, rpc::Server* server) : store_(store) {
  constexpr KvStore::ApplyOnCaller kNever = KvStore::ApplyOnCaller::kNever;
  GrantCall::Register(server, "/etcdserverpb.Lease/LeaseGrant", [this](GrantCall* call) {
    store_->LeaseGrant(
        &call->req, &call->resp, [call](absl::Status s) { call->Reply(s); }, kNever);
  });
  RevokeCall::Register(server, "/etcdserverpb.Lease/LeaseRevoke", [this](RevokeCall* call) {
    store_->LeaseRevoke(
        &call->req, &call->resp, [call](absl::Status s) { call->Reply(s); }, kNever);
  });
  TimeToLiveCall::Register(server, "/etcdserverpb.Lease/LeaseTimeToLive",
                           [this](TimeToLiveCall* call) {
                             store_->LeaseTimeToLive(call->req, &call->resp);
                             call->Reply(absl::OkStatus());
                           });
  LeasesCall::Register(server, "/etcdserverpb.Lease/LeaseLeases", [this](LeasesCall* call) {
    store_->LeaseLeases(&call->resp);
    call->Reply(absl::OkStatus());
  });
  KeepAliveCall::Register(server, "/etcdserverpb.Lease/LeaseKeepAlive", this);
}

}  // namespace minik8s::store
