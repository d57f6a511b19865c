// The shapes of the store's calls on its RPC server (rpc/h2_server.h): a
// unary call object holding the parsed request and the response to fill,
// answered once with Reply() from any thread; and a base for bidirectional
// streams (Watch, LeaseKeepAlive) with at most one write outstanding, which
// finishes once the client is done sending and nothing is left to write.
//
// Thread safety: Reply() may be called from any thread, once. A stream's
// callbacks run on its connection's worker; Write() may be called from any
// thread, with no other write outstanding.
#ifndef MINIK8S_STORE_SERVICE_CALL_H_
#define MINIK8S_STORE_SERVICE_CALL_H_

#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/rpc/h2_server.h"

namespace minik8s::store {

// One call of a unary method. Req and Resp are protobuf messages, or
// std::string for a method that parses and serializes its messages itself.
template <typename Req, typename Resp>
class UnaryCall {
 public:
  // Handles a call: must lead to exactly one Reply(), from any thread.
  using Handler = std::function<void(UnaryCall*)>;

  // Serves `path` ("/etcdserverpb.KV/Put") with `handle`.
  static void Register(rpc::Server* server, std::string path, Handler handle) {
    rpc::Method method;
    method.unary = [handle = std::move(handle)](std::string_view message, rpc::CallRef ref,
                                                const rpc::CallInfo&) {
      auto* call = new UnaryCall(ref);
      if constexpr (std::is_same_v<Req, std::string>) {
        call->req.assign(message);
      } else if (!call->req.ParseFromArray(message.data(), static_cast<int>(message.size()))) {
        return call->Reply(absl::InternalError("grpc: error unmarshalling request"));
      }
      handle(call);
    };
    server->AddMethod(std::move(path), std::move(method));
  }

  // Answers with `resp` when `status` is OK, else with the status alone;
  // deletes the call.
  void Reply(const absl::Status& status) {
    std::string framed;
    if (status.ok()) {
      if constexpr (std::is_same_v<Resp, std::string>) {
        framed = rpc::FrameBytes(resp);
      } else {
        framed = rpc::Frame(resp);
      }
    }
    ref_.Reply(status, std::move(framed));
    delete this;
  }

  Req req;
  Resp resp;

 private:
  explicit UnaryCall(rpc::CallRef ref) : ref_(ref) {}
  const rpc::CallRef ref_;
};

// One bidirectional stream of a stream class `Derived` (CRTP). Outstanding
// at once: at most one write; Finish only once the reads are done and
// Derived has nothing left to write. Derived provides, all called on the
// connection's worker unless said otherwise:
//   Derived(Service*, rpc::CallRef)  made for each new stream
//   void Started()                   the stream came
//   void Received(const Req&)        a request arrived
//   void ReadsDone()                 the client is done sending, or gone
//   void Written(bool ok)            the outstanding Write() went out (or
//                                    the call ended first); Derived writes
//                                    again or calls MaybeFinishLocked()
//   bool WritingLocked()             a write is outstanding or due (under mu_)
template <typename Derived, typename Req, typename Resp>
class BidiCall : public rpc::StreamCallbacks {
 public:
  BidiCall(const BidiCall&) = delete;
  BidiCall& operator=(const BidiCall&) = delete;

  // Serves `path` with a new Derived(service, ref) per stream.
  template <typename Service>
  static void Register(rpc::Server* server, std::string path, Service* service) {
    rpc::Method method;
    method.streaming = [service](rpc::CallRef ref, const rpc::CallInfo&) -> rpc::StreamCallbacks* {
      auto* call = new Derived(service, ref);
      call->Started();
      return call;
    };
    server->AddMethod(std::move(path), std::move(method));
  }

 protected:
  explicit BidiCall(rpc::CallRef ref) : ref_(ref) {}
  ~BidiCall() override = default;

  // Sends `resp`; from any thread, with no other write outstanding.
  void Write(const Resp& resp) { ref_.Write(rpc::Frame(resp)); }

  // Finishes the stream when the reads are done and nothing is written.
  void MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || !reads_done_ || static_cast<Derived*>(this)->WritingLocked()) return;
    finished_ = true;
    ref_.Finish(absl::OkStatus());
  }

  absl::Mutex mu_;  // also guards Derived's write state

 private:
  Derived* derived() { return static_cast<Derived*>(this); }

  bool OnMessage(std::string_view message) final {
    Req request;
    if (!request.ParseFromArray(message.data(), static_cast<int>(message.size()))) return false;
    derived()->Received(request);
    return true;
  }

  void OnReadsDone() final {
    derived()->ReadsDone();
    absl::MutexLock lock(&mu_);
    reads_done_ = true;
    MaybeFinishLocked();
  }

  void OnWritten(bool ok) final { derived()->Written(ok); }
  void OnFinished() final { delete derived(); }

  const rpc::CallRef ref_;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace minik8s::store

#endif  // MINIK8S_STORE_SERVICE_CALL_H_
