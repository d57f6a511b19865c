#include "store/service/watch_service.h"

#include "absl/synchronization/mutex.h"

namespace minik8s::store {

namespace {

using etcdserverpb::WatchRequest;
using etcdserverpb::WatchResponse;

class WatchReactor final : public grpc::ServerBidiReactor<WatchRequest, WatchResponse> {
 public:
  explicit WatchReactor(WatchableStore* store) {
    stream_ = store->NewStream([this](WatchResponse&& resp) {
      // At most one write is outstanding: the stream only calls this when idle.
      current_ = std::move(resp);
      StartWrite(&current_);
    });
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      stream_->Close();
      {
        absl::MutexLock lock(&mu_);
        reads_done_ = true;
      }
      MaybeFinish();
      return;
    }
    switch (request_.request_union_case()) {
      case WatchRequest::kCreateRequest:
        stream_->Create(request_.create_request());
        break;
      case WatchRequest::kCancelRequest:
        stream_->Cancel(request_.cancel_request().watch_id());
        break;
      case WatchRequest::kProgressRequest:
        stream_->RequestProgress();
        break;
      default:
        break;
    }
    StartRead(&request_);
  }

  void OnWriteDone(bool ok) override {
    if (!ok) stream_->Close();
    std::optional<WatchResponse> next = stream_->NextToSend();
    if (next.has_value()) {
      current_ = std::move(*next);
      StartWrite(&current_);
      return;
    }
    MaybeFinish();
  }

  void OnDone() override { delete this; }

 private:
  void MaybeFinish() {
    absl::MutexLock lock(&mu_);
    if (finished_ || !reads_done_ || stream_->Writing()) return;
    finished_ = true;
    Finish(grpc::Status::OK);
  }

  std::unique_ptr<WatchStream> stream_;
  WatchRequest request_;
  WatchResponse current_;
  absl::Mutex mu_;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

grpc::ServerBidiReactor<WatchRequest, WatchResponse>* WatchService::Watch(
    grpc::CallbackServerContext* ctx) {
  return new WatchReactor(store_);
}

}  // namespace minik8s::store
