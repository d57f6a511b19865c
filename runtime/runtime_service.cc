#include "runtime/runtime_service.h"

#include "absl/synchronization/mutex.h"
#include "common/grpc_status.h"

namespace minik8s::runtime {
namespace {

template <typename Resp>
grpc::ServerUnaryReactor* Reply(grpc::CallbackServerContext* ctx, absl::StatusOr<Resp> result,
                                Resp* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (result.ok()) {
    *resp = *std::move(result);
    reactor->Finish(grpc::Status::OK);
  } else {
    reactor->Finish(ToGrpcStatus(result.status()));
  }
  return reactor;
}

// A `done` callback that finishes the RPC (the response stays valid until
// Finish, so the callback may come later, on another thread).
template <typename Resp>
Done<Resp> ReplyLater(grpc::ServerUnaryReactor* reactor, Resp* resp) {
  return [reactor, resp](absl::StatusOr<Resp> result) {
    if (result.ok()) {
      *resp = *std::move(result);
      reactor->Finish(grpc::Status::OK);
    } else {
      reactor->Finish(ToGrpcStatus(result.status()));
    }
  };
}

// Streams a container's log. The core calls the follow sink with its lock
// held, and a gRPC operation may run reactions inline, so the sink only
// buffers; writes are started from gRPC reactions or from a "kick" run on
// the Runtime's clock thread (never inline, no locks held).
//
// Lifetime: deleted once gRPC is done with it (OnDone) and no kick is queued.
class LogsReactor : public grpc::ServerWriteReactor<cri::ReadLogsResponse> {
 public:
  LogsReactor(Runtime* rt, const cri::ReadLogsRequest& req) : rt_(rt) {
    if (!req.follow()) {
      absl::StatusOr<cri::ReadLogsResponse> r = rt_->ReadLogs(req);
      if (!r.ok()) {
        Finish(ToGrpcStatus(r.status()));
        return;
      }
      absl::MutexLock lock(&mu_);
      pending_ = *std::move(r);
      ended_ = true;
    } else {
      absl::StatusOr<FollowId> id =
          rt_->FollowLogs(req, [this](std::vector<cri::LogEntry> entries, bool end) {
            OnEntries(std::move(entries), end);
          });
      if (!id.ok()) {
        Finish(ToGrpcStatus(id.status()));
        return;
      }
      absl::MutexLock lock(&mu_);
      follow_id_ = *id;
    }
    Step();
  }

  void OnWriteDone(bool ok) override {
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (!ok) cancelled_ = true;
    }
    Step();
  }

  void OnCancel() override {
    {
      absl::MutexLock lock(&mu_);
      cancelled_ = true;
    }
    Step();
  }

  void OnDone() override {
    FollowId id;
    {
      absl::MutexLock lock(&mu_);
      id = follow_id_;
    }
    if (id != 0) rt_->StopFollowing(id);  // no sink call after this
    bool del;
    {
      absl::MutexLock lock(&mu_);
      done_ = true;
      del = !kick_queued_;
    }
    if (del) delete this;
  }

 private:
  // Called by the core with its lock held: buffer, and let the clock thread
  // start the write.
  void OnEntries(std::vector<cri::LogEntry> entries, bool end) {
    absl::MutexLock lock(&mu_);
    for (auto& e : entries) *pending_.add_entries() = std::move(e);
    if (end) ended_ = true;
    if (kick_queued_ || writing_ || finished_) return;
    kick_queued_ = true;
    common::Clock* clock = rt_->clock();
    clock->RunAt(clock->Now(), [this] {
      bool del;
      {
        absl::MutexLock lock(&mu_);
        kick_queued_ = false;
        del = done_;
      }
      if (del) {
        delete this;
        return;
      }
      Step();
    });
  }

  // Starts the next write, or finishes the stream. Must be called without
  // mu_ held; touches nothing after the gRPC call (which may end the RPC).
  void Step() {
    enum { kNothing, kWrite, kFinishOk, kFinishCancelled } action = kNothing;
    {
      absl::MutexLock lock(&mu_);
      if (writing_ || finished_) return;
      if (cancelled_) {
        finished_ = true;
        action = kFinishCancelled;
      } else if (pending_.entries_size() > 0) {
        current_ = std::move(pending_);
        pending_.Clear();
        writing_ = true;
        action = kWrite;
      } else if (ended_) {
        finished_ = true;
        action = kFinishOk;
      }
    }
    switch (action) {
      case kWrite:
        StartWrite(&current_);
        break;
      case kFinishOk:
        Finish(grpc::Status::OK);
        break;
      case kFinishCancelled:
        Finish(grpc::Status::CANCELLED);
        break;
      case kNothing:
        break;
    }
  }

  Runtime* const rt_;
  absl::Mutex mu_;
  FollowId follow_id_ ABSL_GUARDED_BY(mu_) = 0;
  cri::ReadLogsResponse pending_ ABSL_GUARDED_BY(mu_);
  cri::ReadLogsResponse current_;  // owned by the write in flight
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool kick_queued_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

#define MINIK8S_UNARY(Service, Name)                                        \
  grpc::ServerUnaryReactor* Service::Name(grpc::CallbackServerContext* ctx, \
                                          const cri::Name##Request* req,    \
                                          cri::Name##Response* resp) {      \
    return Reply(ctx, rt_->Name(*req), resp);                               \
  }
#define MINIK8S_UNARY_ASYNC(Service, Name)                                  \
  grpc::ServerUnaryReactor* Service::Name(grpc::CallbackServerContext* ctx, \
                                          const cri::Name##Request* req,    \
                                          cri::Name##Response* resp) {      \
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();              \
    rt_->Name(*req, ReplyLater(reactor, resp));                             \
    return reactor;                                                         \
  }

MINIK8S_UNARY(RuntimeServiceImpl, Version)
MINIK8S_UNARY(RuntimeServiceImpl, Status)
MINIK8S_UNARY(RuntimeServiceImpl, RunPodSandbox)
MINIK8S_UNARY(RuntimeServiceImpl, StopPodSandbox)
MINIK8S_UNARY(RuntimeServiceImpl, RemovePodSandbox)
MINIK8S_UNARY(RuntimeServiceImpl, PodSandboxStatus)
MINIK8S_UNARY(RuntimeServiceImpl, ListPodSandbox)
MINIK8S_UNARY(RuntimeServiceImpl, CreateContainer)
MINIK8S_UNARY_ASYNC(RuntimeServiceImpl, StartContainer)
MINIK8S_UNARY_ASYNC(RuntimeServiceImpl, StopContainer)
MINIK8S_UNARY(RuntimeServiceImpl, RemoveContainer)
MINIK8S_UNARY(RuntimeServiceImpl, ListContainers)
MINIK8S_UNARY(RuntimeServiceImpl, ContainerStatus)
MINIK8S_UNARY_ASYNC(RuntimeServiceImpl, ExecSync)
MINIK8S_UNARY(RuntimeServiceImpl, Probe)
MINIK8S_UNARY(ImageServiceImpl, ListImages)
MINIK8S_UNARY(ImageServiceImpl, ImageStatus)
MINIK8S_UNARY_ASYNC(ImageServiceImpl, PullImage)
MINIK8S_UNARY(ImageServiceImpl, RemoveImage)
#undef MINIK8S_UNARY
#undef MINIK8S_UNARY_ASYNC

grpc::ServerWriteReactor<cri::ReadLogsResponse>* RuntimeServiceImpl::ReadLogs(
    grpc::CallbackServerContext* ctx, const cri::ReadLogsRequest* req) {
  return new LogsReactor(rt_, *req);
}

}  // namespace minik8s::runtime
