#include "store/service/lease_service.h"

#include <deque>

#include "absl/synchronization/mutex.h"

namespace minik8s::store {

using etcdserverpb::LeaseKeepAliveRequest;
using etcdserverpb::LeaseKeepAliveResponse;

// One keep-alive stream: each request is answered in order. Outstanding at
// once: at most one read and one write; Finish only once reads are done and
// nothing is left to write, so its event is the last, and deletes the object.
class LeaseService::KeepAliveCall {
 public:
  static void Ask(LeaseService* service) {
    service->queue_->CallCreated();
    auto* call = new KeepAliveCall(service);
    grpc::ServerCompletionQueue* cq = service->queue_->cq();
    service->RequestLeaseKeepAlive(&call->ctx_, &call->stream_, cq, cq, &call->started_);
  }

 private:
  explicit KeepAliveCall(LeaseService* service)
      : service_(service),
        stream_(&ctx_),
        started_(this, &KeepAliveCall::OnStarted),
        read_(this, &KeepAliveCall::OnRead),
        write_(this, &KeepAliveCall::OnWrite),
        finished_tag_(this, &KeepAliveCall::OnFinished) {}

  void Destroy() {
    AsyncQueue* queue = service_->queue_;
    delete this;
    queue->CallDestroyed();
  }

  void OnStarted(bool ok) {
    if (!ok) return Destroy();  // server shut down before a stream came
    Ask(service_);
    stream_.Read(&request_, &read_);
  }

  void OnRead(bool ok) {
    if (!ok) {
      absl::MutexLock lock(&mu_);
      reads_done_ = true;
      MaybeFinishLocked();
      return;
    }
    LeaseKeepAliveResponse resp;
    service_->store_->LeaseKeepAlive(request_, &resp);
    {
      absl::MutexLock lock(&mu_);
      if (writing_) {
        queue_.push_back(std::move(resp));
      } else {
        writing_ = true;
        current_ = std::move(resp);
        stream_.Write(current_, &write_);
      }
    }
    stream_.Read(&request_, &read_);
  }

  void OnWrite(bool ok) {
    absl::MutexLock lock(&mu_);
    if (!ok) queue_.clear();
    if (!queue_.empty()) {
      current_ = std::move(queue_.front());
      queue_.pop_front();
      stream_.Write(current_, &write_);
      return;
    }
    writing_ = false;
    MaybeFinishLocked();
  }

  void MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || !reads_done_ || writing_) return;
    finished_ = true;
    stream_.Finish(grpc::Status::OK, &finished_tag_);
  }

  void OnFinished(bool) { Destroy(); }

  LeaseService* const service_;
  grpc::ServerContext ctx_;
  grpc::ServerAsyncReaderWriter<LeaseKeepAliveResponse, LeaseKeepAliveRequest> stream_;
  MemberTag<KeepAliveCall> started_;
  MemberTag<KeepAliveCall> read_;
  MemberTag<KeepAliveCall> write_;
  MemberTag<KeepAliveCall> finished_tag_;
  LeaseKeepAliveRequest request_;
  absl::Mutex mu_;
  LeaseKeepAliveResponse current_ ABSL_GUARDED_BY(mu_);
  std::deque<LeaseKeepAliveResponse> queue_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
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
