#include "apiserver/service.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "apiserver/object_meta.h"
#include "apiserver/watch_encoding.h"

namespace minik8s::apiserver {

grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()),
                      api::ToApiStatus(status).SerializeAsString());
}

template <typename Fn>
grpc::ServerUnaryReactor* ApiServerService::Unary(grpc::CallbackServerContext* context, Fn fn) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  pool_->Schedule([reactor, fn = std::move(fn)]() mutable { reactor->Finish(ToGrpc(fn())); });
  return reactor;
}

// Create never holds a thread during its store write: the call finishes
// from the store's answer, on a gRPC thread. Its checks run right here on
// gRPC's thread when they need no store read (the common case: the
// namespace is in the cache), else on the pool.
grpc::ServerUnaryReactor* ApiServerService::Create(grpc::CallbackServerContext* context,
                                                   const apiv1::CreateRequest* request,
                                                   apiv1::ObjectResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto create = [=, this] {
    handler_->CreateAsync(*request, response,
                          [reactor](absl::Status status) { reactor->Finish(ToGrpc(status)); });
  };
  if (handler_->CreateRunsWithoutWaiting(*request)) {
    create();
  } else {
    pool_->Schedule(create);
  }
  return reactor;
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
// Watcher::mu_ (PopBatch); the watch cache calls Notify() with its own lock
// held and no Watcher lock, so WatchCache::mu_ → WatchReactor::mu_ →
// Watcher::mu_.
//
// Registration runs on the worker pool, not on gRPC's callback thread: a
// watch from a resourceVersion newer than the cache waits for it (see
// WatchCache::WaitUntilFresh). The reactor lives until Finish() is called and
// OnDone() follows, so the pooled registration may use it.
class WatchReactor : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  // A request that does not parse is answered at once.
  static WatchReactor* Start(Handler* handler, WorkerPool* pool,
                             const grpc::ByteBuffer& request_bytes) {
    auto* reactor = new WatchReactor;
    apiv1::WatchRequest request;
    if (!ParseRequest(request_bytes, &request)) {
      absl::MutexLock lock(&reactor->mu_);
      reactor->FinishLocked(
          ToGrpc(api::NewBadRequest("the request is not a valid serialized "
                                    "minik8s.apiserver.v1.WatchRequest")));
      return reactor;
    }
    reactor->kind_ = handler->registry().scheme().FindByResource(request.resource());
    reactor->batches_ = request.allow_event_batches();
    pool->Schedule(
        [reactor, handler, request = std::move(request)] { reactor->Register(handler, request); });
    return reactor;
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
  WatchReactor() = default;

  static bool ParseRequest(const grpc::ByteBuffer& bytes, apiv1::WatchRequest* request) {
    std::vector<grpc::Slice> slices;
    if (!bytes.Dump(&slices).ok()) return false;
    std::string flat;
    flat.reserve(bytes.Length());
    for (const grpc::Slice& slice : slices) {
      flat.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    }
    return request->ParseFromString(flat);
  }

  void Register(Handler* handler, const apiv1::WatchRequest& request) {
    absl::StatusOr<Handler::WatchStream> stream = handler->Watch(request, [this] { TryWrite(); });
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
    absl::Status error;
    bool more = false;
    batch_.clear();
    switch (stream_.watcher->PopBatch(batches_ ? ApiServerService::kMaxBatchEvents : 1,
                                      ApiServerService::kMaxBatchBytes, &batch_, &error, &more)) {
      case Watcher::Next::kEmpty:
        return;
      case Watcher::Next::kClosed:
        FinishLocked(ToGrpc(error));
        return;
      case Watcher::Next::kEvent:
        break;
    }
    // The message: the events' shared encodings copied into one buffer that
    // the slice owns (a batch is their concatenation; a single event drops
    // the frame header).
    auto* bytes = new std::string;
    std::string unshared;
    if (batches_) {
      size_t total = 0;
      for (const Delivery& delivery : batch_) {
        total += delivery.object != nullptr ? delivery.object->serialized.size() + 64 : 64;
      }
      bytes->reserve(total);
      for (const Delivery& delivery : batch_) {
        absl::string_view framed = FramedDelivery(kind_, delivery, &unshared);
        bytes->append(framed.data(), framed.size());
      }
    } else {
      absl::string_view framed = FramedDelivery(kind_, batch_.front(), &unshared);
      framed.remove_prefix(FrameHeaderSize(framed));
      bytes->assign(framed.data(), framed.size());
    }
    batch_.clear();
    grpc::Slice slice(
        bytes->data(), bytes->size(), [](void* p) { delete static_cast<std::string*>(p); }, bytes);
    message_ = grpc::ByteBuffer(&slice, 1);
    writing_ = true;
    // More events queued: let gRPC coalesce this message with the next
    // (the last of a burst goes out without the hint, flushing them all).
    StartWrite(&message_, more ? grpc::WriteOptions().set_buffer_hint() : grpc::WriteOptions());
  }

  const api::KindInfo* kind_ = nullptr;
  bool batches_ = false;
  absl::Mutex mu_;
  Handler::WatchStream stream_ ABSL_GUARDED_BY(mu_);
  std::vector<Delivery> batch_ ABSL_GUARDED_BY(mu_);
  grpc::ByteBuffer message_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool unregistered_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

grpc::ServerWriteReactor<grpc::ByteBuffer>* ApiServerService::Watch(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) {
  return WatchReactor::Start(handler_, pool_, *request);
}

}  // namespace minik8s::apiserver
