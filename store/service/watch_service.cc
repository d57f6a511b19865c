#include "store/service/watch_service.h"

#include <memory>
#include <optional>

#include "absl/synchronization/mutex.h"
#include "store/service/call.h"

namespace minik8s::store {

using etcdserverpb::WatchRequest;
using etcdserverpb::WatchResponse;

// One Watch stream: the WatchStream's responses, one write at a time.
class WatchService::Call final : public BidiCall<Call, WatchRequest, WatchResponse> {
 public:
  Call(WatchService* service, rpc::CallRef ref) : BidiCall(ref), service_(service) {}

 private:
  friend class BidiCall<Call, WatchRequest, WatchResponse>;

  void Started() {
    watch_ = service_->store_->NewStream([this](WatchResponse&& resp) {
      // At most one write is outstanding: the stream only calls this when idle.
      current_ = std::move(resp);
      Write(current_);
    });
  }

  void Received(const WatchRequest& request) {
    switch (request.request_union_case()) {
      case WatchRequest::kCreateRequest:
        watch_->Create(request.create_request());
        break;
      case WatchRequest::kCancelRequest:
        watch_->Cancel(request.cancel_request().watch_id());
        break;
      case WatchRequest::kProgressRequest:
        watch_->RequestProgress();
        break;
      default:
        break;
    }
  }

  void ReadsDone() { watch_->Close(); }

  void Written(bool ok) {
    if (!ok) watch_->Close();
    std::optional<WatchResponse> next = watch_->NextToSend();
    if (next.has_value()) {
      current_ = std::move(*next);
      Write(current_);
      return;
    }
    absl::MutexLock lock(&mu_);
    MaybeFinishLocked();
  }

  bool WritingLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return watch_->Writing(); }

  WatchService* const service_;
  std::unique_ptr<WatchStream> watch_;
  WatchResponse current_;
};

WatchService::WatchService(WatchableStore* store, rpc::Server* server) : store_(store) {
  Call::Register(server, "/etcdserverpb.Watch/Watch", this);
}

}  // namespace minik8s::store
