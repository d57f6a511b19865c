#include "apiserver/rest/kubelet_logs.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/pod_logs.h"
#include "spdlog/spdlog.h"

namespace minik8s::apiserver::rest {

namespace kv1 = ::minik8s::kubelet::v1;

// ---------------------------------------------------------------- stream set

// The streams whose gRPC call runs, so that the reader's destructor can end
// them, and the finished ones waiting to be dropped on an apiserver thread
// (see KubeletLogStream). Shared by the reader and its streams.
//
// Lock order: KubeletLogStreamSet::mu_, then KubeletLogStream::mu_.
class KubeletLogStreamSet {
 public:
  void Add(const std::shared_ptr<KubeletLogStream>& stream) {
    absl::MutexLock lock(&mu_);
    live_[stream.get()] = stream;
  }

  // From the stream's OnDone: it is no longer running, and its own
  // reference `self` is kept until Drain(). `stream` may be destroyed by a
  // Drain() on another thread as soon as this returns.
  void Finish(KubeletLogStream* stream, std::shared_ptr<KubeletLogStream> self) {
    absl::MutexLock lock(&mu_);
    live_.erase(stream);
    {
      absl::MutexLock stream_lock(&stream->mu_);
      stream->done_ = true;
    }
    if (self != nullptr) buried_.push_back(std::move(self));
  }

  // Drops the references of finished streams (the caller's thread is not
  // one of gRPC's).
  void Drain() {
    std::vector<std::shared_ptr<KubeletLogStream>> buried;
    {
      absl::MutexLock lock(&mu_);
      buried.swap(buried_);
    }
  }

  size_t size() const {
    absl::MutexLock lock(&mu_);
    return live_.size();
  }

  // Aborts every stream and waits until gRPC has finished each. Aborting
  // happens without mu_ held: cancelling may run a stream's reactions (and
  // so Finish) on this thread.
  void AbortAllAndWait() {
    std::vector<std::shared_ptr<KubeletLogStream>> live;
    {
      absl::MutexLock lock(&mu_);
      for (const auto& [raw, weak] : live_) {
        if (auto stream = weak.lock()) live.push_back(std::move(stream));
      }
    }
    for (const auto& stream : live) stream->Abort();
    live.clear();
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](absl::flat_hash_map<const KubeletLogStream*, std::weak_ptr<KubeletLogStream>>* m) {
          return m->empty();
        },
        &live_));
  }

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_map<const KubeletLogStream*, std::weak_ptr<KubeletLogStream>> live_
      ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<KubeletLogStream>> buried_ ABSL_GUARDED_BY(mu_);
};

// ---------------------------------------------------------------- reader

KubeletLogReader::KubeletLogReader(Options options)
    : options_(options), streams_(std::make_shared<KubeletLogStreamSet>()) {}

KubeletLogReader::~KubeletLogReader() {
  streams_->AbortAllAndWait();
  streams_->Drain();
}

size_t KubeletLogReader::running() const { return streams_->size(); }

absl::StatusOr<std::shared_ptr<grpc::Channel>> KubeletLogReader::Channel(
    const std::string& address) {
  absl::MutexLock lock(&mu_);
  auto it = channels_.find(address);
  if (it != channels_.end()) {
    // A channel that failed to connect waits out a growing back-off before
    // it tries again; a fresh one dials now (the kubelet may be back).
    if (it->second->GetState(false) != GRPC_CHANNEL_TRANSIENT_FAILURE) return it->second;
    channels_.erase(it);
  }
  if (channels_.size() >= options_.max_channels) channels_.clear();
  grpc::ChannelArguments args;
  // Subchannels of its own: otherwise a fresh channel would share the
  // failed one's connection and its back-off.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      MakeChannelCredentialsOrPlaintext(options_.kubelet_tls);
  if (!credentials.ok()) {
    return absl::InternalError(
        absl::StrCat("the kubelet client certificate: ", credentials.status().message()));
  }
  std::shared_ptr<grpc::Channel> channel = grpc::CreateCustomChannel(address, *credentials, args);
  channels_[address] = channel;
  return channel;
}

absl::StatusOr<std::shared_ptr<KubeletLogStream>> KubeletLogReader::Open(
    const std::string& address, KubeletLogRequest request) {
  streams_->Drain();
  const std::string pod = request.kubelet.pod();
  const std::string node = request.node;
  absl::StatusOr<std::shared_ptr<grpc::Channel>> dialled = Channel(address);
  if (!dialled.ok()) return dialled.status();
  const std::shared_ptr<grpc::Channel> channel = *std::move(dialled);
  auto stream = std::make_shared<KubeletLogStream>(std::move(request), options_.max_buffered_bytes);
  streams_->Add(stream);
  stream->Begin(kv1::Kubelet::NewStub(channel), streams_);

  // Wait for the kubelet's first answer; a followed log that stays quiet is
  // started once the connection is up and first_answer_wait has passed.
  const absl::Time start = absl::Now();
  const absl::Time quiet_from = start + options_.first_answer_wait;
  const absl::Time dial_deadline = start + options_.dial_timeout;
  while (!stream->AwaitAnswer(std::min(absl::Now() + absl::Milliseconds(20), dial_deadline))) {
    const absl::Time now = absl::Now();
    if (channel->GetState(false) == GRPC_CHANNEL_READY) {
      if (now >= quiet_from || now >= dial_deadline) return stream;
      continue;
    }
    if (now >= dial_deadline) {
      stream->Abort();
      stream->AwaitDone();
      {
        absl::MutexLock lock(&mu_);
        auto it = channels_.find(address);
        if (it != channels_.end() && it->second == channel) channels_.erase(it);
      }
      return client::KubeletLogsError(
          grpc::Status(
              grpc::StatusCode::UNAVAILABLE,
              absl::StrCat("no connection within ", absl::FormatDuration(options_.dial_timeout))),
          pod, node, address);
    }
  }
  if (std::optional<grpc::Status> failed = stream->FailedBeforeText()) {
    stream->AwaitDone();  // it finished: a failed Open leaves nothing running
    return client::KubeletLogsError(*failed, pod, node, address);
  }
  return stream;
}

// ---------------------------------------------------------------- stream

KubeletLogStream::KubeletLogStream(KubeletLogRequest request, size_t max_buffered_bytes)
    : request_(std::move(request)),
      max_buffered_bytes_(std::max<size_t>(max_buffered_bytes, 1)),
      since_nanos_(request_.since.has_value() ? absl::ToUnixNanos(*request_.since) : 0) {}

KubeletLogStream::~KubeletLogStream() = default;

void KubeletLogStream::Begin(std::unique_ptr<kv1::Kubelet::Stub> stub,
                             std::shared_ptr<KubeletLogStreamSet> set) {
  stub_ = std::move(stub);
  {
    absl::MutexLock lock(&mu_);
    self_ = shared_from_this();
    set_ = std::move(set);
    reading_ = true;
    hold_ = true;
  }
  stub_->async()->ContainerLogs(&context_, &request_.kubelet, this);
  // Reads are also started by Pull(), outside the reactions: the hold keeps
  // the call (and OnDone) from finishing while one may still come.
  AddHold();
  StartRead(&response_);
  StartCall();
}

bool KubeletLogStream::AwaitAnswer(absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithDeadline(absl::Condition(
                                   +[](KubeletLogStream* s) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                                     return s->answered_ || s->Stopping();
                                   },
                                   this),
                               deadline);
}

std::optional<grpc::Status> KubeletLogStream::FailedBeforeText() {
  absl::MutexLock lock(&mu_);
  if (finished_ && !status_.ok() && !any_text_ && !cancelled_ && !aborted_) return status_;
  return std::nullopt;
}

void KubeletLogStream::AwaitDone() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(&done_));
}

grpc::Status KubeletLogStream::status() const {
  absl::MutexLock lock(&mu_);
  return status_;
}

bool KubeletLogStream::ReleaseHoldLocked() {
  if (hold_ && !reading_ && (read_closed_ || Stopping())) {
    hold_ = false;
    return true;
  }
  return false;
}

void KubeletLogStream::TakeLines(const kv1::ContainerLogsResponse& response) {
  for (const kv1::LogLine& line : response.lines()) {
    if (since_nanos_ != 0 && line.timestamp() < since_nanos_) continue;
    std::string text = absl::StrCat(line.text(), "\n");
    if (request_.limit_bytes.has_value()) {
      const int64_t room = *request_.limit_bytes - taken_bytes_;
      if (static_cast<int64_t>(text.size()) >= room) {
        text.resize(static_cast<size_t>(std::max<int64_t>(room, 0)));
        limit_reached_ = true;
      }
    }
    taken_bytes_ += static_cast<int64_t>(text.size());
    if (!text.empty()) {
      any_text_ = true;
      pending_ += text;
    }
    if (limit_reached_) break;
  }
}

void KubeletLogStream::OnReadDone(bool ok) {
  bool read_more = false;
  bool release = false;
  bool limit_now = false;
  std::function<void()> wake;
  {
    absl::MutexLock lock(&mu_);
    reading_ = false;
    if (ok) {
      answered_ = true;
      const bool limited_before = limit_reached_;
      if (!Stopping()) TakeLines(response_);
      limit_now = limit_reached_ && !limited_before;
      if (!Stopping() && pending_.size() < max_buffered_bytes_) read_more = reading_ = true;
    } else {
      read_closed_ = true;
    }
    release = ReleaseHoldLocked();
    wake = wake_;
  }
  // The body is complete: the kubelet need not read on.
  if (limit_now) context_.TryCancel();
  if (read_more) StartRead(&response_);
  if (release) RemoveHold();
  if (wake) wake();
}

void KubeletLogStream::OnDone(const grpc::Status& status) {
  std::function<void()> wake;
  std::shared_ptr<KubeletLogStream> self;
  std::shared_ptr<KubeletLogStreamSet> set;
  {
    absl::MutexLock lock(&mu_);
    finished_ = true;
    status_ = status;
    answered_ = true;
    if (!status.ok() && !cancelled_ && !aborted_ && !limit_reached_) {
      spdlog::debug("pods/log {}/{} container {}: the kubelet's stream ended: {}",
                    request_.kubelet.namespace_(), request_.kubelet.pod(),
                    request_.kubelet.container(), status.error_message());
    }
    wake = wake_;
    self = std::move(self_);
    set = set_;
  }
  // The last use of `this`: the set may drop the stream from here on.
  set->Finish(this, std::move(self));
  if (wake) wake();
}

void KubeletLogStream::Start(std::function<void()> wake) {
  {
    absl::MutexLock lock(&mu_);
    if (cancelled_) return;
    wake_ = wake;
  }
  // Whatever came before the connection was ready to pull.
  wake();
}

StreamSource::Next KubeletLogStream::Pull(std::string* out) {
  Next next;
  bool read_more = false;
  {
    absl::MutexLock lock(&mu_);
    if (cancelled_) return Next::kEnd;
    if (!pending_.empty()) {
      out->append(pending_);
      pending_.clear();
      next = Next::kData;
    } else if (read_closed_ || Stopping() || finished_) {
      return Next::kEnd;
    } else {
      next = Next::kEmpty;
    }
    // Reads paused while the buffer was full go on now that it is empty.
    if (hold_ && !reading_ && !read_closed_ && !Stopping()) read_more = reading_ = true;
  }
  if (read_more) StartRead(&response_);
  return next;
}

void KubeletLogStream::Cancel() {
  bool release = false;
  {
    absl::MutexLock lock(&mu_);
    if (cancelled_) return;
    cancelled_ = true;
    wake_ = nullptr;
    pending_.clear();
    release = ReleaseHoldLocked();
  }
  context_.TryCancel();
  if (release) RemoveHold();
}

void KubeletLogStream::Abort() {
  bool release = false;
  std::function<void()> wake;
  {
    absl::MutexLock lock(&mu_);
    if (cancelled_ || aborted_) return;
    aborted_ = true;
    release = ReleaseHoldLocked();
    wake = wake_;
  }
  context_.TryCancel();
  if (release) RemoveHold();
  if (wake) wake();
}

}  // namespace minik8s::apiserver::rest
