// The store's gRPC services run on gRPC's asynchronous completion-queue API:
// one queue, polled by threads of the store (AsyncQueue), and one object per
// call (AsyncUnaryCall, or a stream class of the service) whose tags come
// back on that queue. The server then has no callback-API method, so gRPC
// 1.51 starts none of its callback-queue ("nexting") threads, which would
// otherwise take turns polling the network with ours and hand every request
// over (issue 16, store/README.md "CPU per put at 1,000 connections").
//
// Thread safety: AsyncQueue is thread-safe. A call object's tags run on the
// polling threads; Reply() may be called from any thread, once.
#ifndef MINIK8S_STORE_SERVICE_ASYNC_CALL_H_
#define MINIK8S_STORE_SERVICE_ASYNC_CALL_H_

#include <grpcpp/grpcpp.h>
#include <pthread.h>

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/grpc_status.h"

namespace minik8s::store {

// A tag on the queue: Proceed runs on a polling thread with the event's ok.
class AsyncTag {
 public:
  virtual ~AsyncTag() = default;
  virtual void Proceed(bool ok) = 0;
};

// The completion queue the services are served from, its threads, and the
// count of live calls, which decides when the queue may be shut down.
class AsyncQueue {
 public:
  AsyncQueue() = default;
  AsyncQueue(const AsyncQueue&) = delete;
  AsyncQueue& operator=(const AsyncQueue&) = delete;
  // Shutdown() must have returned if Start() was called.
  ~AsyncQueue() { Shutdown(); }

  // Before grpc::ServerBuilder::BuildAndStart.
  void AddTo(grpc::ServerBuilder* builder) { cq_ = builder->AddCompletionQueue(); }
  grpc::ServerCompletionQueue* cq() const { return cq_.get(); }

  // Once the server is started and the services have asked for their first
  // calls: starts `threads` threads polling the queue.
  void Start(int threads) {
    for (int i = 0; i < threads; ++i) {
      threads_.emplace_back([this] {
        pthread_setname_np(pthread_self(), "grpc-cq");
        void* tag;
        bool ok;
        while (cq_->Next(&tag, &ok)) static_cast<AsyncTag*>(tag)->Proceed(ok);
      });
    }
  }

  // After grpc::Server::Shutdown has returned (the threads poll meanwhile,
  // as gRPC requires): waits until every live call is gone (calls asked for
  // come back failed from the shut-down server; calls in the store are
  // answered when their writes are done), then shuts the queue down, drains
  // it and joins the threads. Idempotent.
  void Shutdown() {
    {
      absl::MutexLock lock(&mu_);
      if (shut_down_) return;
      while (live_calls_.load(std::memory_order_acquire) != 0) drained_.Wait(&mu_);
      shut_down_ = true;
    }
    if (cq_ == nullptr) return;
    cq_->Shutdown();
    for (std::thread& t : threads_) t.join();
    threads_.clear();
    void* tag;
    bool ok;
    while (cq_->Next(&tag, &ok)) {
    }
  }

  // A call object counts from before it is asked for until it is deleted, so
  // the count never drops to 0 while a thread holding a live call may still
  // ask for another.
  void CallCreated() { live_calls_.fetch_add(1, std::memory_order_acq_rel); }
  void CallDestroyed() {
    if (live_calls_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      absl::MutexLock lock(&mu_);
      drained_.SignalAll();
    }
  }

 private:
  std::unique_ptr<grpc::ServerCompletionQueue> cq_;
  std::vector<std::thread> threads_;
  std::atomic<int64_t> live_calls_{0};
  absl::Mutex mu_;
  absl::CondVar drained_;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
};

// Calls asked for per unary method at once: each arriving call is replaced
// at once; a call arriving while none is asked for waits in gRPC's queue of
// pending calls until the next is.
inline constexpr int kUnaryCallsAskedFor = 16;

// One call of a unary method: asked for, handled, answered with Reply().
// Its address is the tag of both of its queue events (arrival, answer sent).
template <typename Req, typename Resp>
class AsyncUnaryCall final : public AsyncTag {
 public:
  using Writer = grpc::ServerAsyncResponseWriter<Resp>;
  // A method: how to ask gRPC for a call (the generated RequestX), and how to
  // handle one, which must call Reply() exactly once, from any thread.
  struct Method {
    AsyncQueue* queue;
    std::function<void(grpc::ServerContext*, Req*, Writer*, grpc::ServerCompletionQueue*, void*)>
        request;
    std::function<void(AsyncUnaryCall*)> handle;
  };

  // Asks for the next call of `method`, which must outlive its calls.
  static void Ask(const Method* method) {
    method->queue->CallCreated();
    auto* call = new AsyncUnaryCall(method);
    method->request(&call->ctx_, &call->req, &call->writer_, method->queue->cq(), call);
  }

  void Proceed(bool ok) override {
    if (!answering_ && ok) {
      answering_ = true;
      Ask(method_);  // the next call of this method
      method_->handle(this);
      return;
    }
    // Answer sent, or the call never arrived (server shut down).
    AsyncQueue* queue = method_->queue;
    delete this;
    queue->CallDestroyed();
  }

  void Reply(const absl::Status& status) { writer_.Finish(resp, ToGrpcStatus(status), this); }

  Req req;
  Resp resp;

 private:
  explicit AsyncUnaryCall(const Method* method) : method_(method), writer_(&ctx_) {}

  const Method* const method_;
  grpc::ServerContext ctx_;
  Writer writer_;
  bool answering_ = false;
};

// A tag that calls a member function of a stream object.
template <typename T>
class MemberTag final : public AsyncTag {
 public:
  MemberTag(T* object, void (T::*fn)(bool)) : object_(object), fn_(fn) {}
  void Proceed(bool ok) override { (object_->*fn_)(ok); }

 private:
  T* const object_;
  void (T::*const fn_)(bool);
};

// One bidirectional stream of a stream class `Derived` (CRTP), whose tags
// come back on the queue. Outstanding at once: at most one read and one
// write; Finish only once the reads are done and Derived has nothing left
// to write, so that its event is the last; it deletes the object. Derived
// provides, all called on the polling threads unless said otherwise:
//   static void Ask(...)      a new Derived, then its service's RequestX
//                             with context(), stream(), cq() and started_tag()
//   void AskNext()            Ask() for the stream after this one
//   void Started()            the stream came; the first read follows
//   void Received(const Req&) a request arrived; the next read follows
//   void ReadsDone()          the client is done sending, or gone
//   void Written(bool ok)     the outstanding Write() completed; Derived
//                             writes again or calls MaybeFinishLocked()
//   bool WritingLocked()      a write is outstanding or due (under mu_)
template <typename Derived, typename Req, typename Resp>
class AsyncBidiCall {
 public:
  using Stream = grpc::ServerAsyncReaderWriter<Resp, Req>;

  AsyncBidiCall(const AsyncBidiCall&) = delete;
  AsyncBidiCall& operator=(const AsyncBidiCall&) = delete;

 protected:
  explicit AsyncBidiCall(AsyncQueue* queue)
      : queue_(queue),
        stream_(&ctx_),
        started_(this, &AsyncBidiCall::OnStarted),
        read_(this, &AsyncBidiCall::OnRead),
        write_(this, &AsyncBidiCall::OnWrite),
        finished_tag_(this, &AsyncBidiCall::OnFinished) {
    queue_->CallCreated();
  }
  ~AsyncBidiCall() = default;

  grpc::ServerContext* context() { return &ctx_; }
  Stream* stream() { return &stream_; }
  grpc::ServerCompletionQueue* cq() const { return queue_->cq(); }
  void* started_tag() { return &started_; }

  // Sends `resp`, which must stay alive until Written(); from any thread,
  // with no other write outstanding.
  void Write(const Resp& resp) { stream_.Write(resp, &write_); }

  // Finishes the stream when the reads are done and nothing is written.
  void MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || !reads_done_ || static_cast<Derived*>(this)->WritingLocked()) return;
    finished_ = true;
    stream_.Finish(grpc::Status::OK, &finished_tag_);
  }

  absl::Mutex mu_;  // also guards Derived's write state

 private:
  Derived* derived() { return static_cast<Derived*>(this); }

  void OnStarted(bool ok) {
    if (!ok) return Destroy();  // server shut down before a stream came
    derived()->AskNext();
    derived()->Started();
    stream_.Read(&request_, &read_);
  }

  void OnRead(bool ok) {
    if (!ok) {
      derived()->ReadsDone();
      absl::MutexLock lock(&mu_);
      reads_done_ = true;
      MaybeFinishLocked();
      return;
    }
    derived()->Received(request_);
    stream_.Read(&request_, &read_);
  }

  void OnWrite(bool ok) { derived()->Written(ok); }
  void OnFinished(bool) { Destroy(); }

  void Destroy() {
    AsyncQueue* queue = queue_;
    delete derived();
    queue->CallDestroyed();
  }

  AsyncQueue* const queue_;
  grpc::ServerContext ctx_;
  Stream stream_;
  Req request_;
  MemberTag<AsyncBidiCall> started_;
  MemberTag<AsyncBidiCall> read_;
  MemberTag<AsyncBidiCall> write_;
  MemberTag<AsyncBidiCall> finished_tag_;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace minik8s::store

#endif  // MINIK8S_STORE_SERVICE_ASYNC_CALL_H_
