#include "apiserver/service.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "apiserver/errors.h"
#include "apiserver/object_meta.h"

namespace minik8s::apiserver {

grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()),
                      ToApiStatus(status).SerializeAsString());
}

template <typename Fn>
grpc::ServerUnaryReactor* ApiServerService::Unary(grpc::CallbackServerContext* context, Fn fn) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  pool_->Schedule([reactor, fn = std::move(fn)]() mutable { reactor->Finish(ToGrpc(fn())); });
  return reactor;
}

grpc::ServerUnaryReactor* ApiServerService::Create(grpc::CallbackServerContext* context,
                                                   const apiv1::CreateRequest* request,
                                                   apiv1::ObjectResponse* response) {
  return Unary(context, [=, this] { return handler_->Create(*request, response); });
}

grpc::ServerUnaryReactor* ApiServerService::Get(grpc::CallbackServerContext* context,
                                                const apiv1::GetRequest* request,
                                                apiv1::ObjectResponse* response) {
  return Unary(context, [=, this] { return handler_->Get(*request, response); });
}

grpc::ServerUnaryReactor* ApiServerService::List(grpc::CallbackServerContext* context,
                                                 const apiv1::ListRequest* request,
                                                 apiv1::ListResponse* response) {
  return Unary(context, [=, this] { return handler_->List(*request, response); });
}

grpc::ServerUnaryReactor* ApiServerService::Update(grpc::CallbackServerContext* context,
                                                   const apiv1::UpdateRequest* request,
                                                   apiv1::ObjectResponse* response) {
  return Unary(context, [=, this] { return handler_->Update(*request, response); });
}

grpc::ServerUnaryReactor* ApiServerService::Patch(grpc::CallbackServerContext* context,
                                                  const apiv1::PatchRequest* request,
                                                  apiv1::ObjectResponse* response) {
  return Unary(context, [=, this] { return handler_->Patch(*request, response); });
}

grpc::ServerUnaryReactor* ApiServerService::Delete(grpc::CallbackServerContext* context,
                                                   const apiv1::DeleteRequest* request,
                                                   apiv1::DeleteResponse* response) {
  return Unary(context, [=, this] { return handler_->Delete(*request, response); });
}

grpc::ServerUnaryReactor* ApiServerService::Bind(grpc::CallbackServerContext* context,
                                                 const apiv1::BindRequest* request,
                                                 apiv1::BindResponse* response) {
  return Unary(context, [=, this] { return handler_->Bind(*request, response); });
}

grpc::ServerUnaryReactor* ApiServerService::ListResources(
    grpc::CallbackServerContext* context, const apiv1::ListResourcesRequest* request,
    apiv1::ListResourcesResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpc(handler_->ListResources(*request, response)));
  return reactor;
}

grpc::ServerUnaryReactor* ApiServerService::Version(grpc::CallbackServerContext* context,
                                                    const apiv1::VersionRequest* request,
                                                    apiv1::VersionResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpc(handler_->Version(*request, response)));
  return reactor;
}

namespace {

// One client watch stream. Lock order: WatchReactor::mu_ before
// Watcher::mu_ (Pop); the watch cache calls Notify() with its own lock held
// and no Watcher lock, so WatchCache::mu_ → WatchReactor::mu_ → Watcher::mu_.
//
// Registration runs on the worker pool, not on gRPC's callback thread: a
// watch from a resourceVersion newer than the cache waits for it (see
// WatchCache::WaitUntilFresh). The reactor lives until Finish() is called and
// OnDone() follows, so the pooled registration may use it.
class WatchReactor : public grpc::ServerWriteReactor<apiv1::WatchEvent> {
 public:
  WatchReactor(Handler* handler, WorkerPool* pool, const apiv1::WatchRequest& request) {
    kind_ = handler->registry().scheme().FindByResource(request.resource());
    pool->Schedule([this, handler, request] { Register(handler, request); });
  }

  void OnWriteDone(bool ok) override {
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (!ok) {
        FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the client went away"));
        return;
      }
    }
    TryWrite();
  }

  // The client went away (or the server is shutting down): close the
  // watcher; the next TryWrite() (here, or after the write in flight) sees
  // it closed and finishes the call.
  void OnCancel() override {
    Unregister();
    TryWrite();
  }

  void OnDone() override {
    Unregister();
    delete this;
  }

 private:
  void Register(Handler* handler, const apiv1::WatchRequest& request) {
    absl::StatusOr<Handler::WatchStream> stream =
        handler->Watch(request, [this] { TryWrite(); });
    if (!stream.ok()) {
      absl::MutexLock lock(&mu_);
      FinishLocked(ToGrpc(stream.status()));
      return;
    }
    bool cancelled = false;
    {
      absl::MutexLock lock(&mu_);
      stream_ = *stream;
      // Unregister() ran already (the client went away meanwhile).
      cancelled = unregistered_;
      // The watch is established: tell the client now rather than with the
      // first event (which may be long in coming).
      if (!cancelled) StartSendInitialMetadata();
    }
    if (cancelled) stream->cache->Unregister(stream->watcher);
    TryWrite();
  }

  void Unregister() {
    Handler::WatchStream stream;
    {
      absl::MutexLock lock(&mu_);
      if (unregistered_) return;
      unregistered_ = true;
      stream = stream_;
    }
    if (stream.cache != nullptr) stream.cache->Unregister(stream.watcher);
  }

  void FinishLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    Finish(status);
  }

  void TryWrite() {
    absl::MutexLock lock(&mu_);
    if (writing_ || finished_ || stream_.watcher == nullptr) return;
    Delivery delivery;
    absl::Status error;
    bool more = false;
    switch (stream_.watcher->Pop(&delivery, &error, &more)) {
      case Watcher::Next::kEmpty:
        return;
      case Watcher::Next::kClosed:
        FinishLocked(ToGrpc(error));
        return;
      case Watcher::Next::kEvent:
        break;
    }
    event_.Clear();
    event_.set_type(EventTypeName(delivery.type));
    event_.set_resource_version(absl::StrCat(delivery.revision));
    if (delivery.object != nullptr) {
      event_.set_object(delivery.object->serialized);
    } else if (kind_ != nullptr) {
      MessagePtr bookmark = kind_->New();
      if (meta::v1::ObjectMeta* meta = MutableMeta(bookmark.get()); meta != nullptr) {
        meta->set_resource_version(absl::StrCat(delivery.revision));
      }
      event_.set_object(bookmark->SerializeAsString());
    }
    writing_ = true;
    // More events queued: let gRPC coalesce this one with the next write
    // (the last of a burst goes out without the hint, flushing them all).
    StartWrite(&event_, more ? grpc::WriteOptions().set_buffer_hint() : grpc::WriteOptions());
  }

  const api::KindInfo* kind_ = nullptr;
  absl::Mutex mu_;
  Handler::WatchStream stream_ ABSL_GUARDED_BY(mu_);
  apiv1::WatchEvent event_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool unregistered_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

grpc::ServerWriteReactor<apiv1::WatchEvent>* ApiServerService::Watch(
    grpc::CallbackServerContext* context, const apiv1::WatchRequest* request) {
  return new WatchReactor(handler_, pool_, *request);
}

}  // namespace minik8s::apiserver
