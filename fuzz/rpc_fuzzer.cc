// Fuzzes the store's RPC server (common/rpc/h2_server.h) over a real
// connection: each input is what a client sends after HTTP/2's connection
// preface (frames: SETTINGS, HEADERS, DATA, RST_STREAM, ...), written to a
// unix socket the server listens on, followed by the client's half-close.
// The server serves a unary method (/etcdserverpb.KV/Put, answered on the
// worker) and a streaming one (/etcdserverpb.Watch/Watch, each message
// echoed back), so that requests that get through HTTP/2 reach gRPC's
// framing, the calls' lifecycles and the answers. A server that does not
// close the connection within 10 s of the client's half-close counts as a
// hang (abort).
//
// MINIK8S_FUZZ_WRITE_SEEDS=<dir> writes a seed corpus of client byte
// streams (made with nghttp2's client) to <dir> and exits
// (fuzz/corpus/rpc was made so).
#include <nghttp2/nghttp2.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "common/rpc/h2_server.h"
#include "etcd/etcdserverpb/rpc.pb.h"
#include "spdlog/spdlog.h"

namespace {

namespace rpc = minik8s::rpc;

constexpr char kPreface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

// Echoes each message back, one write at a time (messages that arrive
// while one is being written are dropped), and finishes once the client is
// done and nothing is being written. "headers" sends the response headers
// early (once, before any write); "details" ends the call with an error
// carrying binary details.
class Echo final : public rpc::StreamCallbacks {
 public:
  explicit Echo(rpc::CallRef ref) : ref_(ref) {}
  bool OnMessage(std::string_view message) override {
    if (message == "bad") return false;
    if (message == "headers" && !headers_ && !wrote_) {
      headers_ = true;
      ref_.SendHeaders();
      return true;
    }
    if (message == "details") details_ = true;
    if (!writing_) {
      wrote_ = true;
      writing_ = true;
      ref_.Write(rpc::FrameBytes(message));
    }
    return true;
  }
  void OnReadsDone() override {
    reads_done_ = true;
    MaybeFinish();
  }
  void OnWritten(bool) override {
    writing_ = false;
    MaybeFinish();
  }
  void OnFinished() override { delete this; }

 private:
  void MaybeFinish() {
    if (finished_ || !reads_done_ || writing_) return;
    finished_ = true;
    if (details_) {
      ref_.Finish(absl::AbortedError("details"), std::string("\0\x01\xff", 3));
    } else {
      ref_.Finish(absl::OkStatus());
    }
  }
  const rpc::CallRef ref_;
  bool headers_ = false;
  bool wrote_ = false;
  bool details_ = false;
  bool writing_ = false;
  bool reads_done_ = false;
  bool finished_ = false;
};

std::string socket_path;

rpc::Server* StartServer() {
  rpc::ServerConfig config;
  config.max_receive_message_bytes = 64 * 1024;
  config.keep_metadata = true;  // headers, binary ones decoded, reach the handlers
  auto* server = new rpc::Server(config);
  rpc::Method put;
  put.unary = [](std::string_view message, rpc::CallRef ref, const rpc::CallInfo& info) {
    // Metadata named "x-fail" fails the call with binary details.
    if (!info.Find("x-fail").empty()) {
      return ref.Reply(absl::FailedPreconditionError("x-fail"), "",
                       std::string(info.Find("x-fail")));
    }
    etcdserverpb::PutRequest request;
    if (!request.ParseFromArray(message.data(), static_cast<int>(message.size()))) {
      return ref.Reply(absl::InternalError("grpc: error unmarshalling request"), "");
    }
    if (request.key() == "fail") return ref.Reply(absl::NotFoundError("no\n100%"), "");
    etcdserverpb::PutResponse response;
    response.mutable_header()->set_revision(static_cast<int64_t>(request.value().size()));
    ref.Reply(absl::OkStatus(), rpc::Frame(response));
  };
  server->AddMethod("/etcdserverpb.KV/Put", std::move(put));
  rpc::Method watch;
  watch.streaming = [](rpc::CallRef ref, const rpc::CallInfo&) -> rpc::StreamCallbacks* {
    return new Echo(ref);
  };
  server->AddMethod("/etcdserverpb.Watch/Watch", std::move(watch));
  socket_path = std::string("/tmp/minik8s-fuzz-rpc-") + std::to_string(getpid()) + ".sock";
  unlink(socket_path.c_str());
  if (!server->Listen("unix:" + socket_path, nullptr).ok()) {
    std::fprintf(stderr, "rpc fuzzer: cannot listen on %s\n", socket_path.c_str());
    std::abort();
  }
  server->Start();
  return server;
}

// Sends `bytes` after the preface, half-closes, and reads until the server
// closes; false if it does not within 10 s.
bool Exchange(std::string_view bytes) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, socket_path.data(), socket_path.size());
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    std::fprintf(stderr, "rpc fuzzer: connect: %s\n", std::strerror(errno));
    std::abort();
  }
  // libFuzzer's timer signal interrupts the socket calls (EINTR): they are
  // retried until the deadline.
  timeval timeout{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  const time_t deadline = time(nullptr) + 10;
  std::string out(kPreface, sizeof kPreface - 1);
  out.append(bytes);
  size_t sent = 0;
  while (sent < out.size() && time(nullptr) < deadline) {
    const ssize_t n = send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (errno != EINTR && errno != EAGAIN) {
      break;  // the server closed: it refused what it read
    }
  }
  shutdown(fd, SHUT_WR);
  char buffer[16384];
  bool closed = false;
  while (time(nullptr) < deadline) {
    const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n > 0 || (n < 0 && (errno == EINTR || errno == EAGAIN))) continue;
    closed = true;  // end of stream, or reset
    break;
  }
  close(fd);
  return closed;
}

// --- seeds: client byte streams made with nghttp2's client ----------------

struct Body {
  std::string bytes;
  size_t offset = 0;
};

ssize_t ReadBody(nghttp2_session*, int32_t, uint8_t* buffer, size_t length, uint32_t* flags,
                 nghttp2_data_source* source, void*) {
  auto* body = static_cast<Body*>(source->ptr);
  const size_t n = std::min(length, body->bytes.size() - body->offset);
  std::memcpy(buffer, body->bytes.data() + body->offset, n);
  body->offset += n;
  if (body->offset == body->bytes.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<ssize_t>(n);
}

nghttp2_nv Nv(const char* name, const std::string& value) {
  return {reinterpret_cast<uint8_t*>(const_cast<char*>(name)),
          reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), std::strlen(name),
          value.size(), NGHTTP2_NV_FLAG_NONE};
}

// A client's bytes after the preface: its SETTINGS, then one request to
// `path` with `body` (already framed), then `after` (e.g. a reset).
std::string ClientBytes(const std::string& path, const std::string& body,
                        const std::function<void(nghttp2_session*, int32_t)>& after = nullptr) {
  nghttp2_session_callbacks* callbacks;
  nghttp2_session_callbacks_new(&callbacks);
  nghttp2_session* session;
  nghttp2_session_client_new(&session, callbacks, nullptr);
  nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, nullptr, 0);
  const std::string method = "POST", scheme = "http", authority = "store",
                    type = "application/grpc", te = "trailers";
  const nghttp2_nv headers[] = {Nv(":method", method),       Nv(":scheme", scheme),
                                Nv(":authority", authority), Nv(":path", path),
                                Nv("content-type", type),    Nv("te", te)};
  Body source{body};
  nghttp2_data_provider provider;
  provider.source.ptr = &source;
  provider.read_callback = &ReadBody;
  const int32_t id = nghttp2_submit_request(session, nullptr, headers, 6, &provider, nullptr);
  std::string out;
  auto drain = [&] {
    const uint8_t* data;
    ssize_t n;
    while ((n = nghttp2_session_mem_send(session, &data)) > 0) {
      out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
    }
  };
  drain();
  if (after) {
    after(session, id);
    drain();
  }
  nghttp2_session_del(session);
  nghttp2_session_callbacks_del(callbacks);
  return out.substr(sizeof kPreface - 1);  // the fuzzer sends the preface itself
}

void WriteSeeds(const std::string& dir) {
  std::filesystem::create_directories(dir);
  auto write = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(dir + "/" + name, std::ios::binary) << bytes;
  };
  etcdserverpb::PutRequest put;
  put.set_key("foo");
  put.set_value("bar");
  const std::string framed_put = rpc::Frame(put);
  write("put", ClientBytes("/etcdserverpb.KV/Put", framed_put));
  put.set_key("fail");
  write("put-fail", ClientBytes("/etcdserverpb.KV/Put", rpc::Frame(put)));
  write("put-malformed", ClientBytes("/etcdserverpb.KV/Put", rpc::FrameBytes("\xff\xff")));
  write("put-two-messages", ClientBytes("/etcdserverpb.KV/Put", framed_put + framed_put));
  write("put-no-message", ClientBytes("/etcdserverpb.KV/Put", ""));
  write("put-too-large",
        ClientBytes("/etcdserverpb.KV/Put", std::string("\0\x7f\xff\xff\xff", 5) + "xx"));
  write("put-compressed",
        ClientBytes("/etcdserverpb.KV/Put", std::string("\1", 1) + framed_put.substr(1)));
  write("unknown-method", ClientBytes("/etcdserverpb.KV/Range", framed_put));
  etcdserverpb::WatchRequest watch;
  watch.mutable_create_request()->set_key("foo");
  const std::string framed_watch = rpc::Frame(watch);
  write("watch", ClientBytes("/etcdserverpb.Watch/Watch", framed_watch + framed_watch));
  write("watch-bad-message", ClientBytes("/etcdserverpb.Watch/Watch", rpc::FrameBytes("bad")));
  write("watch-reset",
        ClientBytes("/etcdserverpb.Watch/Watch", framed_watch, [](nghttp2_session* s, int32_t id) {
          nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
        }));
  write("put-then-goaway",
        ClientBytes("/etcdserverpb.KV/Put", framed_put, [](nghttp2_session* s, int32_t) {
          nghttp2_submit_goaway(s, NGHTTP2_FLAG_NONE, 0, NGHTTP2_NO_ERROR, nullptr, 0);
        }));
}

rpc::Server* server = nullptr;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  if (const char* dir = std::getenv("MINIK8S_FUZZ_WRITE_SEEDS")) {
    WriteSeeds(dir);
    std::exit(0);
  }
  server = StartServer();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (!Exchange(std::string_view(reinterpret_cast<const char*>(data), size))) {
    std::fprintf(stderr, "rpc fuzzer: the server did not close the connection within 10 s\n");
    std::abort();
  }
  // Every call of the connection ends: answered, or finished by its handler
  // once the server told it the call was over.
  for (int i = 0; server->live_calls() != 0; ++i) {
    if (i == 10000) {
      std::fprintf(stderr, "rpc fuzzer: %lld calls still open 10 s after the connection closed\n",
                   static_cast<long long>(server->live_calls()));
      std::abort();
    }
    usleep(1000);
  }
  return 0;
}
