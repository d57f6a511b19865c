// Fuzzes the gRPC client channel (common/rpc/h2_client.h) with whatever a
// server may send: each input is a flags byte and then the bytes a "server"
// writes on the connection, after it has read the client's preface,
// SETTINGS and requests. The fuzzer listens on a unix socket (in a
// temporary folder made once per process); for each input a new Channel
// dials it and starts its calls, the fuzzer accepts the connection, reads
// the requests, writes the bytes, then closes the connection or keeps it
// open until the calls end.
//
// Flags (the first byte):
//   bit 0  a server-streaming call (stream 1), read until Read returns false
//   bit 1  a unary call (after the stream when both are set: stream 3);
//          neither bit: a unary call
//   bit 2  an empty SETTINGS frame is written before the bytes (a server's
//          first frame, so that nghttp2 takes what follows)
//   bit 3  the connection stays open after the bytes until the calls end
//          (deadline 50 ms); otherwise it is closed at once (deadline 2 s,
//          which the call must not need: a lost connection ends it)
// Connections the channel makes after the first (a GOAWAY moves the calls
// the server did not take to a new one) are accepted and closed.
//
// Checked: every call ends (aborts when one is open 10 s after the bytes
// were written), a stream's Read returns false once it has, a closed
// connection ends the calls before their deadline, a client that found a
// connection error (sent a GOAWAY with an error code) closes the
// connection, and no answer message is larger than
// max_receive_message_bytes (64 KiB); ASan and UBSan watch the rest. The
// Channel is destroyed after each input.
//
// MINIK8S_FUZZ_WRITE_SEEDS=<dir> writes a seed corpus of server answers
// (made with nghttp2's server) to <dir> and exits (fuzz/corpus/rpc_client
// was made so).
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/rpc/h2_client.h"
#include "common/rpc/h2_server.h"
#include "fuzz/fuzz_util.h"
#include "spdlog/spdlog.h"

namespace {

namespace rpc = minik8s::rpc;

constexpr uint8_t kStream = 1;
constexpr uint8_t kUnary = 2;
constexpr uint8_t kSettingsFirst = 4;
constexpr uint8_t kKeepOpen = 8;

constexpr int64_t kMaxMessage = 64 * 1024;
constexpr char kPreface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
constexpr size_t kPrefaceLength = sizeof kPreface - 1;
// An empty SETTINGS frame: length 0, type 4, no flags, stream 0.
constexpr char kEmptySettings[9] = {0, 0, 0, 4, 0, 0, 0, 0, 0};

std::string temp_dir;
std::string socket_path;
int listen_fd = -1;

void RemoveSocket() {
  if (listen_fd >= 0) close(listen_fd);
  unlink(socket_path.c_str());
  rmdir(temp_dir.c_str());
}

void Listen() {
  char dir[] = "/tmp/minik8s-fuzz-rpc-client-XXXXXX";
  if (mkdtemp(dir) == nullptr) {
    std::fprintf(stderr, "rpc client fuzzer: mkdtemp: %s\n", std::strerror(errno));
    std::abort();
  }
  temp_dir = dir;
  socket_path = temp_dir + "/server.sock";
  listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, socket_path.data(), socket_path.size());
  if (listen_fd < 0 ||
      bind(listen_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(listen_fd, 64) != 0) {
    std::fprintf(stderr, "rpc client fuzzer: cannot listen on %s: %s\n", socket_path.c_str(),
                 std::strerror(errno));
    std::abort();
  }
  std::atexit(&RemoveSocket);
}

// poll() on one descriptor for at most `ms`; its revents (0 on timeout).
// libFuzzer's timer signal interrupts it (EINTR): that counts as a timeout.
short PollOne(int fd, short events, int ms) {
  pollfd p{fd, events, 0};
  if (poll(&p, 1, ms) <= 0) return 0;
  return p.revents;
}

// Waits at most `ms` for `fd` to be readable or the calls to end
// (`done_fd`, an eventfd, readable); the connection's revents.
short PollWithDone(int fd, int done_fd, int ms) {
  pollfd p[2] = {{fd, POLLIN, 0}, {done_fd, POLLIN, 0}};
  if (poll(p, 2, ms) <= 0) return 0;
  return p[0].revents;
}

// Accepts a waiting connection; -1 when none.
int AcceptOne() { return accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC); }

// Closes the connections waiting to be accepted.
void CloseBacklog() {
  for (int fd; (fd = AcceptOne()) >= 0;) close(fd);
}

// Reads what is there without waiting; false when the peer has closed (or
// reset) the connection.
bool Drain(int fd, std::string* into) {
  char buffer[16384];
  for (;;) {
    const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n > 0) {
      if (into != nullptr) into->append(buffer, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
}

// What a client has sent (its preface, then frames), as far as the fuzzer
// needs to know.
struct ClientFrames {
  std::set<uint32_t> ended;       // streams whose request has ended (END_STREAM)
  bool connection_error = false;  // a GOAWAY with an error code
};

ClientFrames ParseClientFrames(const std::string& in) {
  ClientFrames frames;
  size_t offset = kPrefaceLength;
  while (in.size() >= offset + 9) {
    const auto* p = reinterpret_cast<const unsigned char*>(in.data() + offset);
    const size_t length = (size_t{p[0]} << 16) | (size_t{p[1]} << 8) | size_t{p[2]};
    const uint32_t stream =
        ((uint32_t{p[5]} << 24) | (uint32_t{p[6]} << 16) | (uint32_t{p[7]} << 8) | p[8]) &
        0x7fffffffu;
    if ((p[3] == NGHTTP2_DATA || p[3] == NGHTTP2_HEADERS) && (p[4] & NGHTTP2_FLAG_END_STREAM)) {
      frames.ended.insert(stream);
    }
    if (p[3] == NGHTTP2_GOAWAY && length >= 8 && in.size() >= offset + 9 + 8 &&
        std::memcmp(p + 9 + 4, "\0\0\0\0", 4) != 0) {
      frames.connection_error = true;
    }
    offset += 9 + length;
  }
  return frames;
}

// Writes all of `bytes` (reading what the client sends meanwhile into
// *in); stops early when the client closes the connection or after 2 s.
void WriteAll(int fd, std::string_view bytes, std::string* in) {
  const absl::Time give_up = absl::Now() + absl::Seconds(2);
  size_t sent = 0;
  while (sent < bytes.size() && absl::Now() < give_up) {
    const ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return;  // the client closed
    const short revents = PollOne(fd, POLLIN | POLLOUT, 10);
    if ((revents & POLLIN) != 0 && !Drain(fd, in)) return;
  }
}

// What the calls of one input saw, checked on the fuzzer's thread.
struct Outcome {
  ~Outcome() { close(done_fd); }

  absl::Notification done;
  int done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);  // readable once `done`
  absl::Time close_time = absl::InfiniteFuture();        // when the fuzzer closed the connection
  std::vector<rpc::CallStatus> statuses;
  bool read_after_end = false;  // a stream's Read returned a message after false
  bool message_too_large = false;
};

void RunCalls(rpc::Channel* channel, uint8_t flags, absl::Time deadline, Outcome* outcome) {
  rpc::CallOptions options;
  options.deadline = deadline;
  options.metadata = {{"x-fuzz", "1"}, {"x-fuzz-bin", std::string("\0\xff", 2)}};
  std::unique_ptr<rpc::ClientStream> stream;
  if ((flags & kStream) != 0) {
    stream = channel->StartStream("/fuzz.Service/Stream", "stream request", options);
  }
  if ((flags & kUnary) != 0 || (flags & kStream) == 0) {
    std::string response;
    rpc::CallStatus status =
        channel->Call("/fuzz.Service/Unary", "unary request", options, &response);
    if (status.ok() && static_cast<int64_t>(response.size()) > kMaxMessage) {
      outcome->message_too_large = true;
    }
    outcome->statuses.push_back(std::move(status));
  }
  if (stream != nullptr) {
    std::string message;
    while (stream->Read(&message)) {
      if (static_cast<int64_t>(message.size()) > kMaxMessage) outcome->message_too_large = true;
    }
    outcome->statuses.push_back(stream->Finish());
    if (stream->Read(&message)) outcome->read_after_end = true;
  }
  outcome->done.Notify();
  const uint64_t one = 1;
  while (write(outcome->done_fd, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

// The fuzzer's side of the connection: accepts it, reads the client's
// requests, writes `answer`, then closes it or (kKeepOpen) keeps reading
// until the calls end. Later connections are accepted and closed. Aborts
// when the client keeps the connection open 1 s after it found a
// connection error (sent a GOAWAY with an error code): HTTP/2 has it close
// the connection then, and its calls would otherwise wait for the server.
void Serve(uint8_t flags, std::string_view answer, Outcome* outcome) {
  const size_t calls = ((flags & kStream) != 0 && (flags & kUnary) != 0) ? 2 : 1;
  int fd = -1;
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (fd < 0 && !outcome->done.HasBeenNotified() && absl::Now() < give_up) {
    PollWithDone(listen_fd, outcome->done_fd, 100);
    fd = AcceptOne();
  }
  if (fd >= 0) {
    // The client's preface, SETTINGS and requests, so that the answer finds
    // its streams open.
    std::string in;
    const absl::Time requests_by = absl::Now() + absl::Seconds(1);
    while (ParseClientFrames(in).ended.size() < calls && absl::Now() < requests_by) {
      if (!Drain(fd, &in)) break;
      if (ParseClientFrames(in).ended.size() >= calls) break;
      PollWithDone(fd, outcome->done_fd, 100);
    }
    std::string out;
    if ((flags & kSettingsFirst) != 0) out.assign(kEmptySettings, sizeof kEmptySettings);
    out.append(answer);
    WriteAll(fd, out, &in);
    if ((flags & kKeepOpen) != 0) {
      absl::Time error_at = absl::InfiniteFuture();
      while ((!outcome->done.HasBeenNotified() || error_at != absl::InfiniteFuture()) &&
             absl::Now() < give_up) {
        if (error_at == absl::InfiniteFuture() && ParseClientFrames(in).connection_error) {
          error_at = absl::Now();
        }
        MINIK8S_FUZZ_CHECK(absl::Now() < error_at + absl::Seconds(1),
                           "the client closes the connection after a connection error");
        // (The eventfd stays readable: once the calls are done, only the
        // connection is waited for.)
        const int done_fd = outcome->done.HasBeenNotified() ? -1 : outcome->done_fd;
        pollfd p[3] = {{fd, POLLIN, 0}, {listen_fd, POLLIN, 0}, {done_fd, POLLIN, 0}};
        poll(p, 3, 100);
        if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0 && !Drain(fd, &in)) break;
        CloseBacklog();
      }
    }
    Drain(fd, nullptr);
    outcome->close_time = absl::Now();
    close(fd);
  }
  while (!outcome->done.HasBeenNotified() && absl::Now() < give_up) {
    PollWithDone(listen_fd, outcome->done_fd, 100);
    CloseBacklog();
  }
}

// --- seeds: server answers made with nghttp2's server ----------------------

nghttp2_nv Nv(std::string_view name, std::string_view value) {
  return {reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
          NGHTTP2_NV_FLAG_NONE};
}

using Fields = std::vector<std::pair<std::string, std::string>>;

std::vector<nghttp2_nv> Nvs(const Fields& fields) {
  std::vector<nghttp2_nv> out;
  for (const auto& [name, value] : fields) out.push_back(Nv(name, value));
  return out;
}

// One response's body and trailers, read by nghttp2 as DATA.
struct Answer {
  std::string body;
  size_t offset = 0;
  Fields trailers;
  bool end_stream = true;  // without trailers: the DATA ends the stream
};

ssize_t ReadAnswer(nghttp2_session* session, int32_t stream_id, uint8_t* buffer, size_t length,
                   uint32_t* flags, nghttp2_data_source* source, void*) {
  auto* answer = static_cast<Answer*>(source->ptr);
  const size_t n = std::min(length, answer->body.size() - answer->offset);
  std::memcpy(buffer, answer->body.data() + answer->offset, n);
  answer->offset += n;
  if (answer->offset == answer->body.size()) {
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    if (!answer->trailers.empty()) {
      *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
      const std::vector<nghttp2_nv> nv = Nvs(answer->trailers);
      nghttp2_submit_trailer(session, stream_id, nv.data(), nv.size());
    } else if (!answer->end_stream) {
      *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
    }
  }
  return static_cast<ssize_t>(n);
}

// A server session that has read a client's requests: `calls` of them
// (streams 1, 3, ...), as the channel sends them. `settings`, when given,
// are its first frame (else the fuzzer's kSettingsFirst is needed).
class SeedServer {
 public:
  SeedServer(int calls, const std::vector<nghttp2_settings_entry>* settings) {
    nghttp2_session_callbacks_new(&callbacks_);
    nghttp2_session_server_new(&server_, callbacks_, nullptr);
    if (settings != nullptr) {
      nghttp2_submit_settings(server_, NGHTTP2_FLAG_NONE, settings->data(), settings->size());
    }
    nghttp2_session* client;
    nghttp2_session_client_new(&client, callbacks_, nullptr);
    nghttp2_submit_settings(client, NGHTTP2_FLAG_NONE, nullptr, 0);
    const std::string method = "POST", scheme = "http", path = "/fuzz.Service/Unary",
                      authority = "localhost", te = "trailers", type = "application/grpc";
    const nghttp2_nv headers[] = {Nv(":method", method), Nv(":scheme", scheme),
                                  Nv(":path", path),     Nv(":authority", authority),
                                  Nv("te", te),          Nv("content-type", type)};
    for (int i = 0; i < calls; ++i) {
      nghttp2_submit_request(client, nullptr, headers, 6, nullptr, nullptr);
    }
    const uint8_t* data;
    ssize_t n;
    while ((n = nghttp2_session_mem_send(client, &data)) > 0) {
      nghttp2_session_mem_recv(server_, data, static_cast<size_t>(n));
    }
    nghttp2_session_del(client);
  }
  ~SeedServer() {
    nghttp2_session_del(server_);
    nghttp2_session_callbacks_del(callbacks_);
  }

  nghttp2_session* session() { return server_; }

  // A response on `stream`: `headers`, then `body` as DATA, then
  // `trailers` (none: the DATA ends the stream unless `end_stream` is
  // false; no body and no trailers: the headers do).
  void Respond(int32_t stream, const Fields& headers, std::string body, Fields trailers = {},
               bool end_stream = true) {
    const std::vector<nghttp2_nv> nv = Nvs(headers);
    if (body.empty() && trailers.empty() && end_stream) {
      nghttp2_submit_response(server_, stream, nv.data(), nv.size(), nullptr);
      return;
    }
    answers_.push_back(
        std::make_unique<Answer>(Answer{std::move(body), 0, std::move(trailers), end_stream}));
    nghttp2_data_provider provider;
    provider.source.ptr = answers_.back().get();
    provider.read_callback = &ReadAnswer;
    nghttp2_submit_response(server_, stream, nv.data(), nv.size(), &provider);
  }

  // Takes the frames submitted so far.
  void Send() {
    const uint8_t* data;
    ssize_t n;
    while ((n = nghttp2_session_mem_send(server_, &data)) > 0) {
      out_.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
    }
  }

  // What the server sends (its SETTINGS acknowledgement first).
  std::string Bytes() {
    Send();
    return out_;
  }

 private:
  nghttp2_session_callbacks* callbacks_;
  nghttp2_session* server_;
  std::vector<std::unique_ptr<Answer>> answers_;
  std::string out_;
};

const Fields kOkHeaders = {{":status", "200"}, {"content-type", "application/grpc"}};
const Fields kOkTrailers = {{"grpc-status", "0"}};

// A seed: flags, then what `make` has the server send (after its own
// `settings` when given).
std::string Seed(uint8_t flags, const std::function<void(SeedServer&)>& make,
                 const std::vector<nghttp2_settings_entry>* settings = nullptr) {
  const int calls = ((flags & kStream) != 0 && (flags & kUnary) != 0) ? 2 : 1;
  SeedServer server(calls, settings);
  make(server);
  return std::string(1, static_cast<char>(flags)) + server.Bytes();
}

void WriteSeeds(const std::string& dir) {
  std::filesystem::create_directories(dir);
  auto write = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(dir + "/" + name, std::ios::binary) << bytes;
  };
  const std::string message = rpc::FrameBytes("answer");
  const uint8_t unary = kUnary | kSettingsFirst;
  const uint8_t stream = kStream | kSettingsFirst;
  write("unary-ok",
        Seed(unary, [&](SeedServer& s) { s.Respond(1, kOkHeaders, message, kOkTrailers); }));
  write("unary-ok-kept-open", Seed(unary | kKeepOpen, [&](SeedServer& s) {
          s.Respond(1, kOkHeaders, message, kOkTrailers);
        }));
  const std::vector<nghttp2_settings_entry> settings = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100},
      {NGHTTP2_SETTINGS_MAX_FRAME_SIZE, 16384},
      {NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, 0},
  };
  write("unary-own-settings",
        Seed(
            kUnary, [&](SeedServer& s) { s.Respond(1, kOkHeaders, message, kOkTrailers); },
            &settings));
  write("unary-two-messages", Seed(unary, [&](SeedServer& s) {
          s.Respond(1, kOkHeaders, message + message, kOkTrailers);
        }));
  write("unary-no-message",
        Seed(unary, [&](SeedServer& s) { s.Respond(1, kOkHeaders, "", kOkTrailers); }));
  write("unary-cut-short", Seed(unary, [&](SeedServer& s) {
          s.Respond(1, kOkHeaders, message.substr(0, 7), kOkTrailers);
        }));
  write("unary-error-trailers-only", Seed(unary, [&](SeedServer& s) {
          std::string details = absl::Base64Escape(std::string("\x08\x05\x12\x02no\0\xff", 8));
          while (!details.empty() && details.back() == '=') details.pop_back();
          s.Respond(1,
                    {{":status", "200"},
                     {"content-type", "application/grpc"},
                     {"grpc-status", "5"},
                     {"grpc-message", "no%20such%0Akey %C3%A9 100%"},
                     {"grpc-status-details-bin", details}},
                    "");
        }));
  write("unary-compressed", Seed(unary, [&](SeedServer& s) {
          s.Respond(1, kOkHeaders, std::string("\1", 1) + message.substr(1), kOkTrailers);
        }));
  write("unary-oversized", Seed(unary, [&](SeedServer& s) {
          s.Respond(1, kOkHeaders, std::string("\0\x7f\xff\xff\xff", 5) + "xx", kOkTrailers);
        }));
  write("unary-http-503", Seed(unary, [&](SeedServer& s) {
          s.Respond(1, {{":status", "503"}, {"content-type", "text/plain"}}, "busy");
        }));
  write("unary-not-grpc", Seed(unary, [&](SeedServer& s) {
          s.Respond(1, {{":status", "200"}, {"content-type", "text/html"}}, "<html>", kOkTrailers);
        }));
  write("unary-goaway", Seed(unary, [&](SeedServer& s) {
          nghttp2_submit_goaway(s.session(), NGHTTP2_FLAG_NONE, 0, NGHTTP2_NO_ERROR,
                                reinterpret_cast<const uint8_t*>("bye"), 3);
        }));
  write("unary-rst-stream", Seed(unary | kKeepOpen, [&](SeedServer& s) {
          nghttp2_submit_rst_stream(s.session(), NGHTTP2_FLAG_NONE, 1, NGHTTP2_REFUSED_STREAM);
        }));
  write("unary-ping", Seed(unary | kKeepOpen, [&](SeedServer& s) {
          nghttp2_submit_ping(s.session(), NGHTTP2_FLAG_NONE, nullptr);
          s.Respond(1, kOkHeaders, message, kOkTrailers);
        }));
  write("stream-ok", Seed(stream, [&](SeedServer& s) {
          s.Respond(1, kOkHeaders, message + rpc::FrameBytes("") + message, kOkTrailers);
        }));
  write("stream-error", Seed(stream | kKeepOpen, [&](SeedServer& s) {
          s.Respond(1, kOkHeaders, message,
                    {{"grpc-status", "14"}, {"grpc-message", "going%20away"}});
        }));
  write("stream-rst-stream", Seed(stream | kKeepOpen, [&](SeedServer& s) {
          s.Respond(1, kOkHeaders, message, {}, /*end_stream=*/false);
          s.Send();  // the headers and the message go before the reset
          nghttp2_submit_rst_stream(s.session(), NGHTTP2_FLAG_NONE, 1, NGHTTP2_CANCEL);
        }));
  write("stream-too-large", Seed(stream, [&](SeedServer& s) {
          s.Respond(1, kOkHeaders, message + std::string("\0\0\x01\0\x01", 5), kOkTrailers);
        }));
  write("stream-and-unary", Seed(stream | kUnary | kSettingsFirst, [&](SeedServer& s) {
          s.Respond(1, kOkHeaders, message + message, kOkTrailers);
          s.Respond(3, kOkHeaders, message, kOkTrailers);
        }));
  write("stream-and-unary-goaway", Seed(stream | kUnary | kSettingsFirst, [&](SeedServer& s) {
          nghttp2_submit_goaway(s.session(), NGHTTP2_FLAG_NONE, 1, NGHTTP2_NO_ERROR, nullptr, 0);
          s.Respond(1, kOkHeaders, message, kOkTrailers);
        }));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  if (const char* dir = std::getenv("MINIK8S_FUZZ_WRITE_SEEDS")) {
    WriteSeeds(dir);
    std::exit(0);
  }
  Listen();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t flags = data[0];
  const std::string_view answer(reinterpret_cast<const char*>(data + 1), size - 1);
  rpc::ChannelOptions options;
  options.target = "unix:" + socket_path;
  options.max_receive_message_bytes = kMaxMessage;
  absl::StatusOr<std::unique_ptr<rpc::Channel>> channel = rpc::Channel::Create(options);
  MINIK8S_FUZZ_CHECK(channel.ok(), "the channel is created");
  const bool keep_open = (flags & kKeepOpen) != 0;
  const absl::Time deadline = absl::Now() + (keep_open ? absl::Milliseconds(50) : absl::Seconds(2));
  Outcome outcome;
  std::thread client(&RunCalls, channel->get(), flags, deadline, &outcome);
  Serve(flags, answer, &outcome);
  if (!outcome.done.WaitForNotificationWithTimeout(absl::Seconds(10))) {
    std::fprintf(stderr, "rpc client fuzzer: a call is still open 10 s after the answer\n");
    std::abort();
  }
  client.join();
  channel->reset();
  CloseBacklog();
  MINIK8S_FUZZ_CHECK(!outcome.read_after_end, "Read returns false once the stream has ended");
  MINIK8S_FUZZ_CHECK(!outcome.message_too_large,
                     "no message larger than max_receive_message_bytes is delivered");
  // The connection closed well before the deadline: the calls end with it.
  if (!keep_open && outcome.close_time < deadline - absl::Seconds(1)) {
    for (const rpc::CallStatus& status : outcome.statuses) {
      MINIK8S_FUZZ_CHECK(status.status.code() != absl::StatusCode::kDeadlineExceeded,
                         "a lost connection ends the calls before their deadline");
    }
  }
  return 0;
}
