#include "bench/store/rpc_floor.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grpcpp/alarm.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "etcd/etcdserverpb/rpc.grpc.pb.h"

namespace minik8s::bench {
namespace {

constexpr char kPutPath[] = "/etcdserverpb.KV/Put";
// As minik8s-store's default --max-request-bytes.
constexpr int64_t kMaxRequestBytes = 1572864;

void FillAnswer(int64_t revision, etcdserverpb::PutResponse* response) {
  etcdserverpb::ResponseHeader* header = response->mutable_header();
  header->set_cluster_id(1);
  header->set_member_id(1);
  header->set_revision(revision);
  header->set_raft_term(1);
}

// SIGTERM and SIGINT, blocked so that they can be waited for.
sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

// ---------------------------------------------------------------------------
// gRPC's asynchronous API.

// KV with Put alone, asynchronous, as the generated KV::AsyncService
// registers it: the other methods are then unknown to the server, which
// answers them UNIMPLEMENTED itself (the generated service would hold their
// calls until asked for).
class PutOnlyService : public grpc::Service {
 public:
  PutOnlyService() {
    AddMethod(new grpc::internal::RpcServiceMethod(kPutPath, grpc::internal::RpcMethod::NORMAL_RPC,
                                                   nullptr));
    MarkMethodAsync(0);
  }
  void RequestPut(grpc::ServerContext* context, etcdserverpb::PutRequest* request,
                  grpc::ServerAsyncResponseWriter<etcdserverpb::PutResponse>* responder,
                  grpc::ServerCompletionQueue* queue, void* tag) {
    RequestAsyncUnary(0, context, request, responder, queue, queue, tag);
  }
};

class GrpcPutCall;

// What the gRPC floor's calls share.
struct GrpcFloor {
  GrpcShape shape = GrpcShape::kInline;
  absl::Duration hand_off_wait;
  PutOnlyService service;
  std::unique_ptr<grpc::ServerCompletionQueue> queue;
  std::atomic<int64_t> revision{0};
  absl::Mutex mu;
  std::vector<GrpcPutCall*> handed_off ABSL_GUARDED_BY(mu);
  bool stopping ABSL_GUARDED_BY(mu) = false;
};

// A tag on the floor's queue.
class FloorTag {
 public:
  virtual ~FloorTag() = default;
  virtual void Proceed(bool ok) = 0;
};

class GrpcPutCall final : public FloorTag {
 public:
  explicit GrpcPutCall(GrpcFloor* floor) : floor_(floor), responder_(&context_) {
    floor_->service.RequestPut(&context_, &request_, &responder_, floor_->queue.get(), this);
  }

  // One event of the queue for this call: its arrival, then its answer
  // written. Runs on the one polling thread.
  void Proceed(bool ok) override {
    if (answered_ || !ok) {
      delete this;
      return;
    }
    new GrpcPutCall(floor_);  // the next one
    answered_ = true;
    if (floor_->shape == GrpcShape::kInline) {
      Answer();
      return;
    }
    absl::MutexLock lock(&floor_->mu);
    floor_->handed_off.push_back(this);
  }

  void Answer() {
    FillAnswer(floor_->revision.fetch_add(1, std::memory_order_relaxed) + 1, &response_);
    responder_.Finish(response_, grpc::Status::OK, this);
  }

 private:
  GrpcFloor* const floor_;
  grpc::ServerContext context_;
  etcdserverpb::PutRequest request_;
  etcdserverpb::PutResponse response_;
  grpc::ServerAsyncResponseWriter<etcdserverpb::PutResponse> responder_;
  bool answered_ = false;
};

// Answers handed-off calls on the polling thread, woken by an alarm that
// is due at once.
class RelayedAnswers final : public FloorTag {
 public:
  RelayedAnswers(GrpcFloor* floor, std::vector<GrpcPutCall*> calls) : calls_(std::move(calls)) {
    alarm_.Set(floor->queue.get(), gpr_inf_past(GPR_CLOCK_MONOTONIC), this);
  }
  void Proceed(bool) override {
    for (GrpcPutCall* call : calls_) call->Answer();
    delete this;
  }

 private:
  std::vector<GrpcPutCall*> calls_;
  grpc::Alarm alarm_;
};

// The hand-off thread: takes every call handed off so far, waits as a
// group commit's sync would, then answers them (or relays them back).
void HandOffLoop(GrpcFloor* floor) {
  for (;;) {
    std::vector<GrpcPutCall*> batch;
    {
      absl::MutexLock lock(&floor->mu);
      floor->mu.Await(absl::Condition(
          +[](GrpcFloor* f) ABSL_EXCLUSIVE_LOCKS_REQUIRED(f->mu) {
            return !f->handed_off.empty() || f->stopping;
          },
          floor));
      if (floor->handed_off.empty()) return;
      batch.swap(floor->handed_off);
    }
    if (floor->hand_off_wait > absl::ZeroDuration()) absl::SleepFor(floor->hand_off_wait);
    if (floor->shape == GrpcShape::kHandOffRelay) {
      new RelayedAnswers(floor, std::move(batch));
    } else {
      for (GrpcPutCall* call : batch) call->Answer();
    }
  }
}

// The server settings minik8s-store ran gRPC 1.51 with, before it served
// on its own server (store/rpc): etcd's message size limits, etcd's
// keepalive policy, and the per-call tuning of issue 16 (no BDP probe, no
// server-side deadline timer, no channelz; store/README.md, "CPU per put at
// 1,000 connections").
void ApplyStoreGrpcSettings(int64_t max_request_bytes, grpc::ServerBuilder* builder) {
  builder->SetMaxReceiveMessageSize(static_cast<int>(max_request_bytes + 512 * 1024));
  builder->SetMaxSendMessageSize(std::numeric_limits<int>::max());
  builder->AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 1000);
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder->AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  builder->AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, 1 << 20);
  builder->AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder->AddChannelArgument(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  builder->AddChannelArgument(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES,
                              static_cast<int>(max_request_bytes + 512 * 1024));
  builder->AddChannelArgument(GRPC_ARG_ENABLE_DEADLINE_CHECKS, 0);
  builder->AddChannelArgument(GRPC_ARG_ENABLE_CHANNELZ, 0);
}

// ---------------------------------------------------------------------------
// nghttp2.

// One request stream: its path and body as they arrive, then the framed
// answer being handed to nghttp2.
struct Http2Stream {
  std::string path;
  std::string body;
  std::string answer;  // 5-byte gRPC prefix + serialized message
  size_t answered = 0;
};

class Http2Connection {
 public:
  Http2Connection(int fd, int64_t* revision) : fd_(fd), revision_(revision) {}
  ~Http2Connection() {
    if (session_ != nullptr) nghttp2_session_del(session_);
    close(fd_);
  }

  // False when the connection could not be set up.
  bool Start(const nghttp2_session_callbacks* callbacks) {
    if (nghttp2_session_server_new(&session_, callbacks, this) != 0) return false;
    const nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 1u << 20},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<uint32_t>(kMaxRequestBytes)},
    };
    return nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, 2) == 0;
  }

  int fd() const { return fd_; }

  // Reads what the socket holds and feeds it to the session; false when the
  // connection is over (closed by the peer, an error, a protocol error).
  bool OnReadable() {
    char buffer[64 * 1024];
    for (;;) {
      const ssize_t n = read(fd_, buffer, sizeof buffer);
      if (n > 0) {
        if (nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(buffer), n) < 0) {
          return false;
        }
        if (static_cast<size_t>(n) < sizeof buffer) return true;
        continue;
      }
      if (n == 0) return false;
      if (errno == EINTR) continue;
      return errno == EAGAIN || errno == EWOULDBLOCK;
    }
  }

  // Gathers every frame the session has to send and writes them with one
  // write(); false when the connection is over. `*want_out` says whether
  // bytes are left for when the socket can take them.
  bool Flush(bool* want_out) {
    while (pending_.size() < 256 * 1024) {
      const uint8_t* data = nullptr;
      const ssize_t n = nghttp2_session_mem_send(session_, &data);
      if (n < 0) return false;
      if (n == 0) break;
      pending_.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
    }
    while (!pending_.empty()) {
      const ssize_t n = write(fd_, pending_.data(), pending_.size());
      if (n > 0) {
        pending_.erase(0, static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      return false;
    }
    *want_out = !pending_.empty() || nghttp2_session_want_write(session_) != 0;
    return pending_.size() > 0 || nghttp2_session_want_read(session_) != 0 ||
           nghttp2_session_want_write(session_) != 0;
  }

  // The session's callbacks.
  static int OnBeginHeaders(nghttp2_session* session, const nghttp2_frame* frame, void*) {
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
      nghttp2_session_set_stream_user_data(session, frame->hd.stream_id, new Http2Stream());
    }
    return 0;
  }

  static int OnHeader(nghttp2_session* session, const nghttp2_frame* frame, const uint8_t* name,
                      size_t name_length, const uint8_t* value, size_t value_length, uint8_t,
                      void*) {
    auto* stream = static_cast<Http2Stream*>(
        nghttp2_session_get_stream_user_data(session, frame->hd.stream_id));
    if (stream != nullptr &&
        std::string_view(reinterpret_cast<const char*>(name), name_length) == ":path") {
      stream->path.assign(reinterpret_cast<const char*>(value), value_length);
    }
    return 0;
  }

  static int OnData(nghttp2_session* session, uint8_t, int32_t stream_id, const uint8_t* data,
                    size_t length, void*) {
    auto* stream =
        static_cast<Http2Stream*>(nghttp2_session_get_stream_user_data(session, stream_id));
    if (stream != nullptr) stream->body.append(reinterpret_cast<const char*>(data), length);
    return 0;
  }

  static int OnFrame(nghttp2_session* session, const nghttp2_frame* frame, void* user_data) {
    if ((frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) ||
        (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) == 0) {
      return 0;
    }
    auto* stream = static_cast<Http2Stream*>(
        nghttp2_session_get_stream_user_data(session, frame->hd.stream_id));
    if (stream == nullptr) return 0;
    return static_cast<Http2Connection*>(user_data)->Answer(frame->hd.stream_id, stream);
  }

  static int OnStreamClose(nghttp2_session* session, int32_t stream_id, uint32_t, void*) {
    delete static_cast<Http2Stream*>(nghttp2_session_get_stream_user_data(session, stream_id));
    nghttp2_session_set_stream_user_data(session, stream_id, nullptr);
    return 0;
  }

 private:
  static nghttp2_nv Header(std::string_view name, std::string_view value) {
    return {reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
            reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
            NGHTTP2_NV_FLAG_NONE};
  }

  // A gRPC answer with no message: the status in the response headers
  // ("trailers-only").
  int AnswerStatus(int32_t stream_id, const char* code, std::string_view message) {
    const nghttp2_nv headers[] = {Header(":status", "200"),
                                  Header("content-type", "application/grpc"),
                                  Header("grpc-status", code), Header("grpc-message", message)};
    return nghttp2_submit_response(session_, stream_id, headers, 4, nullptr);
  }

  int Answer(int32_t stream_id, Http2Stream* stream) {
    if (stream->path != kPutPath) return AnswerStatus(stream_id, "12", "unknown method");
    etcdserverpb::PutRequest request;
    const std::string& body = stream->body;
    if (body.size() < 5 || body[0] != 0 ||
        !request.ParseFromArray(body.data() + 5, static_cast<int>(body.size() - 5))) {
      return AnswerStatus(stream_id, "13", "malformed request");
    }
    etcdserverpb::PutResponse response;
    FillAnswer(++*revision_, &response);
    const size_t size = response.ByteSizeLong();
    stream->answer.resize(5 + size);
    stream->answer[0] = 0;
    const uint32_t length = htonl(static_cast<uint32_t>(size));
    std::memcpy(&stream->answer[1], &length, 4);
    response.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(&stream->answer[5]));
    const nghttp2_nv headers[] = {Header(":status", "200"),
                                  Header("content-type", "application/grpc")};
    nghttp2_data_provider provider;
    provider.source.ptr = stream;
    provider.read_callback = &ReadAnswer;
    return nghttp2_submit_response(session_, stream_id, headers, 2, &provider);
  }

  // Hands the framed answer to nghttp2, then the trailers.
  static ssize_t ReadAnswer(nghttp2_session* session, int32_t stream_id, uint8_t* buffer,
                            size_t length, uint32_t* flags, nghttp2_data_source* source, void*) {
    auto* stream = static_cast<Http2Stream*>(source->ptr);
    const size_t n = std::min(length, stream->answer.size() - stream->answered);
    std::memcpy(buffer, stream->answer.data() + stream->answered, n);
    stream->answered += n;
    if (stream->answered == stream->answer.size()) {
      *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
      const nghttp2_nv trailers[] = {Header("grpc-status", "0")};
      if (nghttp2_submit_trailer(session, stream_id, trailers, 1) != 0) {
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
      }
    }
    return static_cast<ssize_t>(n);
  }

  const int fd_;
  int64_t* const revision_;
  nghttp2_session* session_ = nullptr;
  std::string pending_;  // frames not yet written
};

struct CallbacksDeleter {
  void operator()(nghttp2_session_callbacks* c) const { nghttp2_session_callbacks_del(c); }
};

int ListenLoopback(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(fd, 4096) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

int ServeGrpcFloor(int port, GrpcShape shape, absl::Duration hand_off_wait) {
  const sigset_t stop = BlockStopSignals();
  GrpcFloor floor;
  floor.shape = shape;
  floor.hand_off_wait = hand_off_wait;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:" + std::to_string(port), grpc::InsecureServerCredentials());
  ApplyStoreGrpcSettings(kMaxRequestBytes, &builder);
  builder.RegisterService(&floor.service);
  floor.queue = builder.AddCompletionQueue();
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) {
    std::fprintf(stderr, "gRPC floor: cannot listen on 127.0.0.1:%d\n", port);
    return 1;
  }
  for (int i = 0; i < 16; ++i) new GrpcPutCall(&floor);
  std::thread poller([&floor] {
    void* tag = nullptr;
    bool ok = false;
    while (floor.queue->Next(&tag, &ok)) static_cast<FloorTag*>(tag)->Proceed(ok);
  });
  std::thread hand_off;
  if (shape != GrpcShape::kInline) hand_off = std::thread(HandOffLoop, &floor);
  int signal_number = 0;
  sigwait(&stop, &signal_number);
  // The hand-off thread answers until the server is shut down, then ends;
  // the poller deletes the calls still asked for once the queue is.
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(250));
  if (hand_off.joinable()) {
    {
      absl::MutexLock lock(&floor.mu);
      floor.stopping = true;
    }
    hand_off.join();
  }
  floor.queue->Shutdown();
  poller.join();
  return 0;
}

int ServeHttp2Floor(int port) {
  const sigset_t stop = BlockStopSignals();
  const int listener = ListenLoopback(port);
  if (listener < 0) {
    std::fprintf(stderr, "HTTP/2 floor: cannot listen on 127.0.0.1:%d: %s\n", port,
                 std::strerror(errno));
    return 1;
  }
  const int signals = signalfd(-1, &stop, SFD_NONBLOCK | SFD_CLOEXEC);
  const int epoll = epoll_create1(EPOLL_CLOEXEC);
  nghttp2_session_callbacks* raw = nullptr;
  if (signals < 0 || epoll < 0 || nghttp2_session_callbacks_new(&raw) != 0) {
    std::fprintf(stderr, "HTTP/2 floor: cannot set up: %s\n", std::strerror(errno));
    return 1;
  }
  std::unique_ptr<nghttp2_session_callbacks, CallbacksDeleter> callbacks(raw);
  nghttp2_session_callbacks_set_on_begin_headers_callback(raw, &Http2Connection::OnBeginHeaders);
  nghttp2_session_callbacks_set_on_header_callback(raw, &Http2Connection::OnHeader);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(raw, &Http2Connection::OnData);
  nghttp2_session_callbacks_set_on_frame_recv_callback(raw, &Http2Connection::OnFrame);
  nghttp2_session_callbacks_set_on_stream_close_callback(raw, &Http2Connection::OnStreamClose);

  // Level-triggered: the listener and the signal fd by their fd in data.u64
  // with the top bit set, connections by pointer.
  constexpr uint64_t kFdTag = uint64_t{1} << 63;
  auto watch = [epoll](int op, int fd, uint32_t events, uint64_t data) {
    epoll_event event{};
    event.events = events;
    event.data.u64 = data;
    epoll_ctl(epoll, op, fd, &event);
  };
  watch(EPOLL_CTL_ADD, listener, EPOLLIN, kFdTag | static_cast<uint64_t>(listener));
  watch(EPOLL_CTL_ADD, signals, EPOLLIN, kFdTag | static_cast<uint64_t>(signals));

  std::unordered_map<Http2Connection*, std::unique_ptr<Http2Connection>> connections;
  int64_t revision = 0;
  auto finish = [&](Http2Connection* c, bool alive) {
    bool want_out = false;
    if (alive) alive = c->Flush(&want_out);
    if (!alive) {
      epoll_ctl(epoll, EPOLL_CTL_DEL, c->fd(), nullptr);
      connections.erase(c);
      return;
    }
    watch(EPOLL_CTL_MOD, c->fd(), want_out ? EPOLLIN | EPOLLOUT : EPOLLIN,
          reinterpret_cast<uint64_t>(c));
  };
  epoll_event events[256];
  for (bool running = true; running;) {
    const int n = epoll_wait(epoll, events, 256, -1);
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < n; ++i) {
      const uint64_t data = events[i].data.u64;
      if (data == (kFdTag | static_cast<uint64_t>(signals))) {
        running = false;
      } else if (data == (kFdTag | static_cast<uint64_t>(listener))) {
        for (;;) {
          const int fd = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (fd < 0) break;
          const int one = 1;
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          auto connection = std::make_unique<Http2Connection>(fd, &revision);
          Http2Connection* c = connection.get();
          if (!c->Start(callbacks.get())) continue;
          connections.emplace(c, std::move(connection));
          watch(EPOLL_CTL_ADD, fd, EPOLLIN, reinterpret_cast<uint64_t>(c));
          finish(c, true);  // the server's SETTINGS
        }
      } else {
        auto* c = reinterpret_cast<Http2Connection*>(data);
        bool alive =
            (events[i].events & (EPOLLERR | EPOLLHUP)) == 0 || (events[i].events & EPOLLIN) != 0;
        if (alive && (events[i].events & EPOLLIN) != 0) alive = c->OnReadable();
        finish(c, alive);
      }
    }
  }
  connections.clear();
  close(epoll);
  close(signals);
  close(listener);
  return 0;
}

}  // namespace minik8s::bench
