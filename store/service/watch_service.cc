#include "store/service/watch_service.h"

#include <memory>
#include <optional>

#include "absl/synchronization/mutex.h"

namespace minik8s::store {

using etcdserverpb::WatchRequest;
using etcdserverpb::WatchResponse;

// One stream. Outstanding at once: at most one read and one write; Finish
// only once reads are done and the WatchStream has nothing left to write,
// so its event is the last, and deletes the object.
class WatchService::Call {
 public:
  static void Ask(WatchService* service) {
    service->queue_->CallCreated();
    auto* call = new Call(service);
    grpc::ServerCompletionQueue* cq = service->queue_->cq();
    service->RequestWatch(&call->ctx_, &call->stream_, cq, cq, &call->started_);
  }

 private:
  explicit Call(WatchService* service)
      : service_(service),
        stream_(&ctx_),
        started_(this, &Call::OnStarted),
        read_(this, &Call::OnRead),
        write_(this, &Call::OnWrite),
        finished_tag_(this, &Call::OnFinished) {}

  void Destroy() {
    AsyncQueue* queue = service_->queue_;
    delete this;
    queue->CallDestroyed();
  }

  void OnStarted(bool ok) {
    if (!ok) return Destroy();  // server shut down before a stream came
    Ask(service_);
    watch_ = service_->store_->NewStream([this](WatchResponse&& resp) {
      // At most one write is outstanding: the stream only calls this when idle.
      current_ = std::move(resp);
      stream_.Write(current_, &write_);
    });
    stream_.Read(&request_, &read_);
  }

  void OnRead(bool ok) {
    if (!ok) {
      watch_->Close();
      {
        absl::MutexLock lock(&mu_);
        reads_done_ = true;
      }
      MaybeFinish();
      return;
    }
    switch (request_.request_union_case()) {
      case WatchRequest::kCreateRequest:
        watch_->Create(request_.create_request());
        break;
      case WatchRequest::kCancelRequest:
        watch_->Cancel(request_.cancel_request().watch_id());
        break;
      case WatchRequest::kProgressRequest:
        watch_->RequestProgress();
        break;
      default:
        break;
    }
    stream_.Read(&request_, &read_);
  }

  void OnWrite(bool ok) {
    if (!ok) watch_->Close();
    std::optional<WatchResponse> next = watch_->NextToSend();
    if (next.has_value()) {
      current_ = std::move(*next);
      stream_.Write(current_, &write_);
      return;
    }
    MaybeFinish();
  }

  void MaybeFinish() {
    absl::MutexLock lock(&mu_);
    if (finished_ || !reads_done_ || watch_->Writing()) return;
    finished_ = true;
    stream_.Finish(grpc::Status::OK, &finished_tag_);
  }

  void OnFinished(bool) { Destroy(); }

  WatchService* const service_;
  grpc::ServerContext ctx_;
  grpc::ServerAsyncReaderWriter<WatchResponse, WatchRequest> stream_;
  MemberTag<Call> started_;
  MemberTag<Call> read_;
  MemberTag<Call> write_;
  MemberTag<Call> finished_tag_;
  std::unique_ptr<WatchStream> watch_;
  WatchRequest request_;
  WatchResponse current_;
  absl::Mutex mu_;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

void WatchService::Start() { Call::Ask(this); }

}  // namespace minik8s::store
