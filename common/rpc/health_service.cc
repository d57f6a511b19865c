#include "common/rpc/health_service.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"

namespace minik8s::rpc {

namespace {

// HealthCheckResponse.ServingStatus.
enum ServingStatus : char {
  kNone = 0,  // (UNKNOWN on the wire; never sent here)
  kServing = 1,
  kNotServing = 2,
  kServiceUnknown = 3,
};

// HealthCheckResponse{status} framed.
std::string Response(ServingStatus status) {
  const char bytes[2] = {0x08, status};  // field 1, varint
  return FrameBytes(std::string_view(bytes, 2));
}

// HealthCheckRequest.service (field 1) of a serialized request; false if the
// bytes are not a well-formed message.
bool ServiceName(std::string_view bytes, std::string* service) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  service->clear();
  while (uint32_t tag = in.ReadTag()) {
    if (tag == 10) {  // field 1, length-delimited
      if (!google::protobuf::internal::WireFormatLite::ReadString(&in, service)) return false;
    } else if (!google::protobuf::internal::WireFormatLite::SkipField(&in, tag)) {
      return false;
    }
  }
  return in.ConsumedEntireMessage();
}

}  // namespace

// The status of "" and the watches of "" open (the ones SetServing tells).
// Shared by the service, its methods and its watches: whichever goes last
// frees it.
class HealthService::State {
 public:
  explicit State(bool serving) : serving_(serving) {}

  absl::Mutex mu;

  ServingStatus status() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    return serving_ ? kServing : kNotServing;
  }
  // False when unchanged.
  bool Set(bool serving) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (serving_ == serving) return false;
    serving_ = serving;
    return true;
  }

  absl::flat_hash_set<WatchCall*> watches ABSL_GUARDED_BY(mu);

 private:
  bool serving_ ABSL_GUARDED_BY(mu);
};

// One Watch. Its callbacks run on its connection's worker, SetServing's
// Send on any thread: everything here is guarded by the state's mutex. At
// most one write outstanding; a status that comes meanwhile waits in
// `pending_` (only the latest). The call ends when it is cancelled (the
// client went, or the server is stopping), or at once on a bad request.
class HealthService::WatchCall final : public StreamCallbacks {
 public:
  WatchCall(std::shared_ptr<State> state, CallRef ref) : state_(std::move(state)), ref_(ref) {}

  // Send from SetServing, which holds the mutex of the state every watch in
  // the set belongs to (the analysis cannot see that it is this one's).
  static void SendFromState(WatchCall* watch, ServingStatus status) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    watch->Send(status);
  }

  // The status of the watched name is now `status`.
  void Send(ServingStatus status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(state_->mu) {
    if (finished_ || cancelled_ || broken_) return;
    if (writing_) {
      pending_ = status;
      return;
    }
    if (status == sent_) return;
    writing_ = true;
    sent_ = status;
    ref_.Write(Response(status));
  }

 private:
  bool OnMessage(std::string_view message) override {
    absl::MutexLock lock(&state_->mu);
    if (got_request_) return true;  // one request; more are ignored
    got_request_ = true;
    std::string service;
    if (!ServiceName(message, &service)) {
      Finish(absl::InvalidArgumentError("could not parse request"));
    } else if (!service.empty()) {
      Send(kServiceUnknown);  // and never changes
    } else {
      state_->watches.insert(this);
      Send(state_->status());
    }
    return true;
  }

  void OnReadsDone() override {
    // A server-streaming client half-closes after its one request.
    absl::MutexLock lock(&state_->mu);
    if (!got_request_) Finish(absl::InternalError("grpc: no request message"));
  }

  void OnCancelled() override {
    absl::MutexLock lock(&state_->mu);
    cancelled_ = true;
    state_->watches.erase(this);
    if (!writing_) Finish(absl::CancelledError("the call ended"));
  }

  void OnWritten(bool ok) override {
    absl::MutexLock lock(&state_->mu);
    writing_ = false;
    if (!ok) broken_ = true;  // the call ended: OnCancelled comes, or came
    if (cancelled_) return Finish(absl::CancelledError("the call ended"));
    const ServingStatus next = pending_;
    pending_ = kNone;
    if (next != kNone) Send(next);
  }

  void OnFinished() override {
    {
      absl::MutexLock lock(&state_->mu);
      state_->watches.erase(this);
    }
    delete this;
  }

  // With no write outstanding.
  void Finish(const absl::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(state_->mu) {
    if (finished_) return;
    finished_ = true;
    state_->watches.erase(this);
    ref_.Finish(status);
  }

  const std::shared_ptr<State> state_;
  const CallRef ref_;
  bool got_request_ = false;
  bool writing_ = false;
  bool cancelled_ = false;
  bool broken_ = false;  // a write failed: nothing more goes out
  bool finished_ = false;
  ServingStatus sent_ = kNone;     // the last status written
  ServingStatus pending_ = kNone;  // to write once the write outstanding is done
};

HealthService::HealthService(Server* server, bool serving)
    : state_(std::make_shared<State>(serving)) {
  Method check;
  check.unary = [state = state_](std::string_view message, CallRef call, const CallInfo&) {
    std::string service;
    if (!ServiceName(message, &service)) {
      return call.Reply(absl::InvalidArgumentError("could not parse request"), {});
    }
    if (!service.empty()) return call.Reply(absl::NotFoundError("service name unknown"), {});
    ServingStatus status;
    {
      absl::MutexLock lock(&state->mu);
      status = state->status();
    }
    call.Reply(absl::OkStatus(), Response(status));
  };
  server->AddMethod("/grpc.health.v1.Health/Check", std::move(check));
  Method watch;
  watch.streaming = [state = state_](CallRef call, const CallInfo&) -> StreamCallbacks* {
    return new WatchCall(state, call);
  };
  server->AddMethod("/grpc.health.v1.Health/Watch", std::move(watch));
}

HealthService::~HealthService() = default;

void HealthService::SetServing(bool serving) {
  absl::MutexLock lock(&state_->mu);
  if (!state_->Set(serving)) return;
  const ServingStatus status = state_->status();
  for (WatchCall* watch : state_->watches) WatchCall::SendFromState(watch, status);
}

}  // namespace minik8s::rpc
