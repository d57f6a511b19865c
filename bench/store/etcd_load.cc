#include "bench/store/etcd_load.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "etcd/etcdserverpb/rpc.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace minik8s::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Channels for one run: a distinct channel argument gives each its own TCP
// connection (gRPC would otherwise share one subchannel between them).
std::vector<std::shared_ptr<grpc::Channel>> MakeChannels(const std::string& address, int count) {
  static std::atomic<int> generation{0};
  int gen = generation++;
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < count; ++i) {
    grpc::ChannelArguments args;
    args.SetInt("minik8s.bench_channel", gen * 100000 + i);
    args.SetMaxReceiveMessageSize(64 << 20);
    channels.push_back(
        grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
  }
  for (auto& ch : channels) {
    ch->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(5));
  }
  return channels;
}

int ChannelCount(const LoadOptions& o, int streams) {
  return std::max(1, std::min(streams, o.max_channels));
}

// Runs `clients` closed loops of one async unary call each. `start(client,
// ctx, done)` starts one call for `client` and arranges for done(status) to
// run when it finishes. Loops stop at the deadline, or once `max_ops` calls
// were issued when max_ops > 0.
class ClosedLoopDriver {
 public:
  using StartFn = std::function<void(int client, grpc::ClientContext* ctx,
                                     std::function<void(grpc::Status)> done)>;

  ClosedLoopDriver(int clients, StartFn start) : start_(std::move(start)), clients_(clients) {
    for (int i = 0; i < clients; ++i) states_.push_back(std::make_unique<ClientState>());
  }

  LoadResult Run(absl::Duration duration, int64_t max_ops) {
    max_ops_ = max_ops;
    begin_ = Clock::now();
    deadline_ = begin_ + absl::ToChronoNanoseconds(duration);
    active_ = clients_;
    for (int i = 0; i < clients_; ++i) Next(i);
    // A call that hangs forever would hang the benchmark: give the server a
    // grace period past the deadline, then cancel what is still in flight.
    if (!all_done_.WaitForNotificationWithTimeout(duration + absl::Seconds(30))) {
      stopping_ = true;
      for (auto& s : states_) {
        absl::MutexLock l(&s->mu);
        if (s->ctx) s->ctx->TryCancel();
      }
      all_done_.WaitForNotification();
    }
    LoadResult r;
    std::vector<float> latencies;
    for (auto& s : states_) {
      r.ok += s->ok;
      r.errors += s->errors;
      if (r.first_error.empty()) r.first_error = s->first_error;
      latencies.insert(latencies.end(), s->latencies_ms.begin(), s->latencies_ms.end());
    }
    r.elapsed = absl::FromChrono(end_ - begin_);
    if (!latencies.empty()) {
      auto pct = [&](double p) {
        size_t idx = std::min(latencies.size() - 1, static_cast<size_t>(p * latencies.size()));
        std::nth_element(latencies.begin(), latencies.begin() + idx, latencies.end());
        return static_cast<double>(latencies[idx]);
      };
      r.p50_ms = pct(0.50);
      r.p99_ms = pct(0.99);
      r.max_ms = *std::max_element(latencies.begin(), latencies.end());
    }
    return r;
  }

 private:
  struct ClientState {
    absl::Mutex mu;
    std::unique_ptr<grpc::ClientContext> ctx ABSL_GUARDED_BY(mu);
    Clock::time_point started;
    // Touched only by the client's own (sequential) calls.
    int64_t ok = 0;
    int64_t errors = 0;
    std::string first_error;
    std::vector<float> latencies_ms;
  };

  void Next(int i) {
    ClientState& s = *states_[i];
    Clock::time_point now = Clock::now();
    bool budget_left = max_ops_ <= 0 || issued_.fetch_add(1) < max_ops_;
    if (stopping_ || now >= deadline_ || !budget_left) {
      Finish();
      return;
    }
    s.started = now;
    grpc::ClientContext* ctx;
    {
      absl::MutexLock l(&s.mu);
      s.ctx = std::make_unique<grpc::ClientContext>();
      s.ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
      ctx = s.ctx.get();
    }
    start_(i, ctx, [this, i](grpc::Status status) { OnDone(i, status); });
  }

  void OnDone(int i, const grpc::Status& status) {
    ClientState& s = *states_[i];
    if (status.ok()) {
      s.ok++;
      s.latencies_ms.push_back(
          std::chrono::duration<float, std::milli>(Clock::now() - s.started).count());
    } else {
      if (s.errors++ == 0) {
        s.first_error = absl::StrCat("code ", status.error_code(), ": ", status.error_message());
      }
    }
    Next(i);
  }

  void Finish() {
    if (active_.fetch_sub(1) == 1) {
      end_ = Clock::now();
      all_done_.Notify();
    }
  }

  StartFn start_;
  const int clients_;
  std::vector<std::unique_ptr<ClientState>> states_;
  int64_t max_ops_ = 0;
  std::atomic<int64_t> issued_{0};
  std::atomic<int> active_{0};
  std::atomic<bool> stopping_{false};
  Clock::time_point begin_;
  Clock::time_point deadline_;
  Clock::time_point end_;
  absl::Notification all_done_;
};

std::string PrefixEnd(std::string prefix) {
  prefix.back() = static_cast<char>(prefix.back() + 1);
  return prefix;
}

std::string UniquePrefix(const std::string& kind) {
  static std::atomic<int> n{0};
  return absl::StrCat("bench/", kind, "/", absl::ToUnixMicros(absl::Now()), "-", n++, "/");
}

// Each client rewrites its own 100 keys; with `distinct`, every put writes a
// key of its own instead.
LoadResult RunPuts(const LoadOptions& options, int value_size, const std::string& prefix,
                   int64_t max_ops, bool distinct = false) {
  auto channels = MakeChannels(options.address, ChannelCount(options, options.clients));
  std::vector<std::unique_ptr<etcdserverpb::KV::Stub>> stubs;
  for (auto& ch : channels) stubs.push_back(etcdserverpb::KV::NewStub(ch));
  struct Call {
    etcdserverpb::PutRequest req;
    etcdserverpb::PutResponse resp;
    int64_t seq = 0;
  };
  std::vector<Call> calls(options.clients);
  std::string value(value_size, 'v');
  for (int i = 0; i < options.clients; ++i) calls[i].req.set_value(value);
  std::atomic<int64_t> next_key{0};
  ClosedLoopDriver driver(options.clients, [&](int i, grpc::ClientContext* ctx,
                                               std::function<void(grpc::Status)> done) {
    Call& c = calls[i];
    if (distinct) {
      c.req.set_key(absl::StrCat(prefix, absl::Dec(next_key++, absl::kZeroPad10)));
    } else {
      c.req.set_key(absl::StrCat(prefix, i, "/", c.seq++ % 100));
    }
    stubs[i % stubs.size()]->async()->Put(ctx, &c.req, &c.resp, std::move(done));
  });
  return driver.Run(options.duration, max_ops);
}

}  // namespace

double LoadResult::PerSecond() const {
  double secs = absl::ToDoubleSeconds(elapsed);
  return secs > 0 ? ok / secs : 0;
}

double WatchResult::EventsPerSecond() const {
  double secs = absl::ToDoubleSeconds(elapsed);
  return secs > 0 ? events_delivered / secs : 0;
}

LoadResult RunPutLoad(const LoadOptions& options, int value_size) {
  return RunPuts(options, value_size, UniquePrefix("put"), /*max_ops=*/0);
}

absl::StatusOr<LoadResult> RunRangeLoad(const LoadOptions& options, int prefix_keys) {
  std::string prefix = UniquePrefix("range");
  auto channels = MakeChannels(options.address, ChannelCount(options, options.clients));
  std::vector<std::unique_ptr<etcdserverpb::KV::Stub>> stubs;
  for (auto& ch : channels) stubs.push_back(etcdserverpb::KV::NewStub(ch));

  // The data to read: one key, or `prefix_keys` keys under the prefix.
  int to_write = std::max(1, prefix_keys);
  for (int i = 0; i < to_write; ++i) {
    etcdserverpb::PutRequest put;
    put.set_key(absl::StrCat(prefix, i));
    put.set_value(std::string(256, 'r'));
    etcdserverpb::PutResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::Status s = stubs[0]->Put(&ctx, put, &resp);
    if (!s.ok()) {
      return absl::UnavailableError(absl::StrCat("preparing range data: ", s.error_message()));
    }
  }
  etcdserverpb::RangeRequest req;
  if (prefix_keys == 0) {
    req.set_key(absl::StrCat(prefix, 0));
  } else {
    req.set_key(prefix);
    req.set_range_end(PrefixEnd(prefix));
  }
  struct Call {
    etcdserverpb::RangeResponse resp;
  };
  std::vector<Call> calls(options.clients);
  std::atomic<int64_t> wrong_counts{0};
  ClosedLoopDriver driver(options.clients, [&](int i, grpc::ClientContext* ctx,
                                               std::function<void(grpc::Status)> done) {
    Call& c = calls[i];
    stubs[i % stubs.size()]->async()->Range(
        ctx, &req, &c.resp, [&c, &wrong_counts, to_write, done = std::move(done)](grpc::Status s) {
          if (s.ok() && c.resp.kvs_size() != to_write) wrong_counts++;
          done(std::move(s));
        });
  });
  LoadResult r = driver.Run(options.duration, 0);
  if (wrong_counts > 0) {
    return absl::InternalError(
        absl::StrCat(wrong_counts.load(), " range responses had the wrong number of keys"));
  }
  return r;
}

namespace {

// One client, one call at a time, on its own connection, while `running`:
// the slowest call shows how long something going on in the server stalled
// calls of that kind. `call(i, ctx)` makes call number i.
class SerialProbe {
 public:
  using CallFn = std::function<grpc::Status(int i, grpc::ClientContext* ctx)>;

  void Start(const std::atomic<bool>* running, absl::Time start, CallFn call) {
    thread_ = std::thread([this, running, start, call = std::move(call)] {
      // At least one call, even when what it probes is over at once.
      for (int i = 0; i == 0 || running->load(); ++i) {
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
        const absl::Time call_start = absl::Now();
        grpc::Status s = call(i, &ctx);
        const absl::Time call_end = absl::Now();
        if (!s.ok()) {
          if (result_.errors++ == 0) result_.first_error = s.error_message();
          continue;
        }
        result_.ok++;
        const double ms = absl::ToDoubleMilliseconds(call_end - call_start);
        if (ms > result_.max_ms) {
          result_.max_ms = ms;
          slowest_at_ = call_start - start;
        }
      }
      result_.elapsed = absl::Now() - start;
    });
  }
  // Waits for the thread; the figures are complete afterwards.
  void Join() { thread_.join(); }
  const LoadResult& result() const { return result_; }
  absl::Duration slowest_at() const { return slowest_at_; }

 private:
  std::thread thread_;
  LoadResult result_;  // ok, errors, first_error, elapsed, max_ms
  absl::Duration slowest_at_;
};

}  // namespace

absl::StatusOr<CompactionResult> RunCompaction(const LoadOptions& options, int64_t keys,
                                               int value_size) {
  CompactionResult result;
  const std::string prefix = UniquePrefix("compact");
  LoadOptions put_options = options;
  put_options.duration = absl::Hours(1);
  LoadResult puts = RunPuts(put_options, value_size, prefix, keys, /*distinct=*/true);
  if (puts.errors > 0) {
    return absl::UnavailableError(
        absl::StrCat(puts.errors, " puts failed, first: ", puts.first_error));
  }
  result.keys = puts.ok;
  result.put_elapsed = puts.elapsed;

  // The probes' own connections, up before the delete.
  auto writer_stub = etcdserverpb::KV::NewStub(MakeChannels(options.address, 1).front());
  auto reader_stub = etcdserverpb::KV::NewStub(MakeChannels(options.address, 1).front());
  etcdserverpb::PutRequest put;
  put.set_value(std::string(value_size, 'w'));
  const std::string during = UniquePrefix("during-compact");
  {
    // The key the reader reads.
    put.set_key(absl::StrCat(during, "read"));
    etcdserverpb::PutResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    grpc::Status s = writer_stub->Put(&ctx, put, &resp);
    if (!s.ok()) return absl::UnavailableError(absl::StrCat("put: ", s.error_message()));
  }

  auto channel = grpc::CreateChannel(options.address, grpc::InsecureChannelCredentials());
  auto stub = etcdserverpb::KV::NewStub(channel);
  etcdserverpb::DeleteRangeRequest del;
  del.set_key(prefix);
  del.set_range_end(PrefixEnd(prefix));
  etcdserverpb::DeleteRangeResponse del_resp;
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(5));
    absl::Time start = absl::Now();
    grpc::Status s = stub->DeleteRange(&ctx, del, &del_resp);
    result.delete_elapsed = absl::Now() - start;
    if (!s.ok()) return absl::UnavailableError(absl::StrCat("delete: ", s.error_message()));
    if (del_resp.deleted() != result.keys) {
      return absl::InternalError(
          absl::StrCat("delete removed ", del_resp.deleted(), " keys, not ", result.keys));
    }
  }
  {
    // The next write, at once: what the delete left behind it to do.
    put.set_key(absl::StrCat(during, "first"));
    etcdserverpb::PutResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    const absl::Time start = absl::Now();
    grpc::Status s = writer_stub->Put(&ctx, put, &resp);
    result.first_put_after_delete = absl::Now() - start;
    if (!s.ok()) return absl::UnavailableError(absl::StrCat("put: ", s.error_message()));
  }

  // One writer on other keys and one reader of one key, each one call at a
  // time, while the compaction runs.
  std::atomic<bool> compacting{true};
  const absl::Time start = absl::Now();
  SerialProbe writer;
  writer.Start(&compacting, start, [&](int i, grpc::ClientContext* ctx) {
    etcdserverpb::PutRequest req = put;
    req.set_key(absl::StrCat(during, i % 100));
    etcdserverpb::PutResponse resp;
    return writer_stub->Put(ctx, req, &resp);
  });
  etcdserverpb::RangeRequest range;
  range.set_key(absl::StrCat(during, "read"));
  SerialProbe reader;
  reader.Start(&compacting, start, [&](int, grpc::ClientContext* ctx) {
    etcdserverpb::RangeResponse resp;
    return reader_stub->Range(ctx, range, &resp);
  });
  etcdserverpb::CompactionRequest compact;
  compact.set_revision(del_resp.header().revision());
  compact.set_physical(true);
  etcdserverpb::CompactionResponse compact_resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(10));
  grpc::Status s = stub->Compact(&ctx, compact, &compact_resp);
  result.compact_elapsed = absl::Now() - start;
  compacting = false;
  writer.Join();
  reader.Join();
  result.concurrent_puts = writer.result();
  result.slowest_put_at = writer.slowest_at();
  result.concurrent_ranges = reader.result();
  result.slowest_range_at = reader.slowest_at();
  if (!s.ok()) return absl::UnavailableError(absl::StrCat("compact: ", s.error_message()));
  return result;
}

namespace {

// Counts events delivered to every watcher of one fan-out run.
class WatchGroup {
 public:
  void Created() { created_++; }
  int created() const { return created_; }
  void Failed(const std::string& why) {
    absl::MutexLock l(&mu_);
    if (error_.empty()) error_ = why;
  }
  std::string error() const {
    absl::MutexLock l(&mu_);
    return error_;
  }
  void AddEvents(int64_t n) {
    int64_t total = events_ += n;
    int64_t expected = expected_.load();
    if (expected > 0 && total >= expected && !reached_.exchange(true)) {
      reached_at_ = Clock::now();
      all_delivered_.Notify();
    }
  }
  // Called once the number of expected events is known.
  void Expect(int64_t n) {
    expected_ = n;
    AddEvents(0);
  }
  int64_t events() const { return events_; }
  bool WaitAllDelivered(absl::Duration timeout) {
    return all_delivered_.WaitForNotificationWithTimeout(timeout);
  }
  Clock::time_point reached_at() const { return reached_at_; }
  void StreamDone() { done_streams_++; }
  // Streams end promptly once cancelled; polls until `n` have.
  void WaitStreamsDone(int n) {
    while (done_streams_.load() < n) absl::SleepFor(absl::Milliseconds(2));
  }

 private:
  mutable absl::Mutex mu_;
  std::string error_ ABSL_GUARDED_BY(mu_);
  std::atomic<int> done_streams_{0};
  std::atomic<int> created_{0};
  std::atomic<int64_t> events_{0};
  std::atomic<int64_t> expected_{0};
  std::atomic<bool> reached_{false};
  Clock::time_point reached_at_;
  absl::Notification all_delivered_;
};

// One Watch stream on a prefix, counting the events it receives.
class Watcher
    : public grpc::ClientBidiReactor<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse> {
 public:
  // `stub` and `group` must outlive the stream (until group->StreamDone()).
  Watcher(etcdserverpb::Watch::Stub* stub, const std::string& prefix, WatchGroup* group)
      : group_(group) {
    auto* create = request_.mutable_create_request();
    create->set_key(prefix);
    create->set_range_end(PrefixEnd(prefix));
    stub->async()->Watch(&ctx_, this);
    StartWrite(&request_);
    StartRead(&response_);
    StartCall();
  }

  void Cancel() { ctx_.TryCancel(); }

  void OnWriteDone(bool ok) override {
    if (!ok) group_->Failed("watch create request not sent");
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // the stream ends; OnDone follows
    if (response_.created()) group_->Created();
    if (response_.canceled()) group_->Failed("watch canceled: " + response_.cancel_reason());
    if (response_.events_size() > 0) group_->AddEvents(response_.events_size());
    StartRead(&response_);
  }

  void OnDone(const grpc::Status& status) override { group_->StreamDone(); }

 private:
  WatchGroup* group_;
  grpc::ClientContext ctx_;
  etcdserverpb::WatchRequest request_;
  etcdserverpb::WatchResponse response_;
};

}  // namespace

absl::StatusOr<WatchResult> RunWatchFanout(const LoadOptions& options, int watchers, int puts,
                                           int writer_clients, int value_size,
                                           absl::Duration timeout) {
  std::string prefix = UniquePrefix("watch");
  auto channels = MakeChannels(options.address, ChannelCount(options, watchers));
  std::vector<std::unique_ptr<etcdserverpb::Watch::Stub>> stubs;
  for (auto& ch : channels) stubs.push_back(etcdserverpb::Watch::NewStub(ch));
  WatchGroup group;
  std::vector<std::unique_ptr<Watcher>> streams;
  for (int i = 0; i < watchers; ++i) {
    streams.push_back(std::make_unique<Watcher>(stubs[i % stubs.size()].get(), prefix, &group));
  }
  auto cancel_all = [&] {
    for (auto& w : streams) w->Cancel();
    group.WaitStreamsDone(watchers);
  };
  {
    absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (group.created() < watchers && absl::Now() < deadline && group.error().empty()) {
      absl::SleepFor(absl::Milliseconds(5));
    }
  }
  if (group.created() < watchers) {
    int n = group.created();
    std::string err = group.error();
    cancel_all();
    return absl::DeadlineExceededError(absl::StrCat(
        "only ", n, " of ", watchers, " watches were created", err.empty() ? "" : ": ", err));
  }

  WatchResult result;
  Clock::time_point begin = Clock::now();
  LoadOptions writer = options;
  writer.clients = writer_clients;
  writer.duration = timeout;
  LoadResult put_result = RunPuts(writer, value_size, prefix, puts);
  result.puts = put_result.ok;
  result.events_expected = put_result.ok * watchers;
  group.Expect(result.events_expected);
  Clock::time_point writer_done = Clock::now();
  result.complete = group.WaitAllDelivered(
      std::max(absl::Seconds(1), timeout - absl::FromChrono(writer_done - begin)));
  result.events_delivered = group.events();
  result.elapsed = absl::FromChrono((result.complete ? group.reached_at() : Clock::now()) - begin);
  std::string err = group.error();
  cancel_all();
  if (!err.empty()) return absl::InternalError(err);
  if (put_result.errors > 0) {
    return absl::UnavailableError(absl::StrCat("watch writer: ", put_result.errors,
                                               " puts failed: ", put_result.first_error));
  }
  return result;
}

}  // namespace minik8s::bench
