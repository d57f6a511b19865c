#include "store/service/lease_service.h"

#include <deque>

#include "absl/synchronization/mutex.h"

namespace minik8s::store {

using etcdserverpb::LeaseKeepAliveRequest;
using etcdserverpb::LeaseKeepAliveResponse;

// One keep-alive stream: each request is answered in order, one write at a
// time, the answers waiting meanwhile queued.
class LeaseService::KeepAliveCall final
    : public AsyncBidiCall<KeepAliveCall, LeaseKeepAliveRequest, LeaseKeepAliveResponse> {
 public:
  static void Ask(LeaseService* service) {
    auto* call = new KeepAliveCall(service);
    service->RequestLeaseKeepAlive(call->context(), call->stream(), call->cq(), call->cq(),
                                   call->started_tag());
  }

 private:
  friend class AsyncBidiCall<KeepAliveCall, LeaseKeepAliveRequest, LeaseKeepAliveResponse>;

  explicit KeepAliveCall(LeaseService* service)
      : AsyncBidiCall(service->queue_), service_(service) {}

  void AskNext() { Ask(service_); }
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

LeaseService::LeaseService(KvStore* store, AsyncQueue* queue) : store_(store), queue_(queue) {
  constexpr KvStore::ApplyOnCaller kNever = KvStore::ApplyOnCaller::kNever;
  grant_ = {queue,
            [this](grpc::ServerContext* ctx, etcdserverpb::LeaseGrantRequest* req,
                   GrantCall::Writer* w, grpc::ServerCompletionQueue* cq,
                   void* tag) { RequestLeaseGrant(ctx, req, w, cq, cq, tag); },
            [this](GrantCall* call) {
              store_->LeaseGrant(
                  &call->req, &call->resp, [call](absl::Status s) { call->Reply(s); }, kNever);
            }};
  revoke_ = {queue,
             [this](grpc::ServerContext* ctx, etcdserverpb::LeaseRevokeRequest* req,
                    RevokeCall::Writer* w, grpc::ServerCompletionQueue* cq,
                    void* tag) { RequestLeaseRevoke(ctx, req, w, cq, cq, tag); },
             [this](RevokeCall* call) {
               store_->LeaseRevoke(
                   &call->req, &call->resp, [call](absl::Status s) { call->Reply(s); }, kNever);
             }};
  time_to_live_ = {queue,
                   [this](grpc::ServerContext* ctx, etcdserverpb::LeaseTimeToLiveRequest* req,
                          TimeToLiveCall::Writer* w, grpc::ServerCompletionQueue* cq,
                          void* tag) { RequestLeaseTimeToLive(ctx, req, w, cq, cq, tag); },
                   [this](TimeToLiveCall* call) {
                     store_->LeaseTimeToLive(call->req, &call->resp);
                     call->Reply(absl::OkStatus());
                   }};
  leases_ = {queue,
             [this](grpc::ServerContext* ctx, etcdserverpb::LeaseLeasesRequest* req,
                    LeasesCall::Writer* w, grpc::ServerCompletionQueue* cq,
                    void* tag) { RequestLeaseLeases(ctx, req, w, cq, cq, tag); },
             [this](LeasesCall* call) {
               store_->LeaseLeases(&call->resp);
               call->Reply(absl::OkStatus());
             }};
}

void LeaseService::Start() {
  GrantCall::Ask(&grant_);
  RevokeCall::Ask(&revoke_);
  TimeToLiveCall::Ask(&time_to_live_);
  LeasesCall::Ask(&leases_);
  KeepAliveCall::Ask(this);
}

}  // namespace minik8s::store
