// apiserver_bench: create-pod latency/throughput and watch fan-out of
// minik8s-apiserver over a real store, through its gRPC API and its
// Kubernetes HTTP API (JSON and protobuf) side by side.
//
//   1. start minik8s-store (or etcd, --backend etcd) and minik8s-apiserver on
//      free loopback ports in a TempDir;
//   2. closed loop (gRPC): 1, 16 and 256 concurrent clients each create pods
//      one after the other for --phase-seconds; latency p50/p99 and
//      creates/s;
//   3. open loop, per front end (--front-end: gRPC, REST+JSON,
//      REST+protobuf): creates paced at --rate (1,000/s) for
//      --phase-seconds; latency p50/p99 against the target (p99 <= 10 ms),
//      and the apiserver's CPU time per create;
//   4. fan-out, gRPC and REST: --watchers (1,000) pod watches on one
//      namespace (gRPC streams on one channel; REST: each its own HTTP
//      connection, ?watch=true&resourceVersion=<list rv>), then
//      --fanout-pods pods created there; events delivered per second in
//      total, from the first create until every watcher saw every pod,
//      against the target (>= 100,000 events/s); the apiserver's threads
//      (which must not grow per watcher) and resident memory meanwhile;
//   5. peak apiserver RSS (VmHWM) and the load average around the run.
//
// gRPC clients are callback-API calls on one channel; REST clients are
// asynchronous keep-alive connections (http_load.h). No thread per client.
// Every request has a deadline and every phase a bounded count, so a run
// ends by itself.
//
//   apiserver_bench [--quick] [--backend minik8s-store|etcd] [--watchers 1000]
//                   [--front-end all|grpc|rest-json|rest-protobuf]
#include <grpcpp/grpcpp.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "api/codec.h"
#include "api/k8s_protobuf.h"
#include "apiserver/v1/apiserver.grpc.pb.h"
#include "bench/apiserver/http_load.h"
#include "bench/proc_stats.h"
#include "common/net.h"
#include "k8s/core/v1/core.pb.h"
#include "testing/http_client.h"
#include "testing/store_backend.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace {

namespace v1 = ::minik8s::apiserver::v1;
using minik8s::core::v1::Pod;

Pod BenchPod(const std::string& ns, const std::string& name) {
  Pod p;
  p.set_api_version("v1");
  p.set_kind("Pod");
  p.mutable_metadata()->set_name(name);
  p.mutable_metadata()->set_namespace_(ns);
  (*p.mutable_metadata()->mutable_labels())["app"] = "bench";
  auto* c = p.mutable_spec()->add_containers();
  c->set_name("app");
  c->set_image("nginx:1.25");
  return p;
}

std::string PodBytes(const std::string& ns, const std::string& name) {
  return BenchPod(ns, name).SerializeAsString();
}

using minik8s::bench::HttpConnectionPool;
using minik8s::bench::HttpLoadRequest;
using minik8s::bench::HttpLoadResponse;
using minik8s::bench::HttpWatchers;
using minik8s::bench::LoadAverage;
using minik8s::bench::ProcCpuSeconds;
using minik8s::bench::ProcStatusKb;
using minik8s::bench::ProcThreads;
using minik8s::bench::SelfCpuSeconds;

double Percentile(std::vector<double>* v, double p) {
  if (v->empty()) return 0;
  std::sort(v->begin(), v->end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v->size() - 1) + 0.5);
  return (*v)[std::min(i, v->size() - 1)];
}

// One asynchronous Create; calls `done(ok, latency)` on a gRPC thread.
class CreateCall {
 public:
  static void Start(v1::ApiServer::Stub* stub, const std::string& ns, const std::string& name,
                    std::function<void(bool, absl::Duration)> done) {
    auto* call = new CreateCall;
    call->request_.set_resource("pods");
    call->request_.set_namespace_(ns);
    call->request_.set_object(PodBytes(ns, name));
    call->context_.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    call->done_ = std::move(done);
    call->start_ = absl::Now();
    stub->async()->Create(
        &call->context_, &call->request_, &call->response_, [call](grpc::Status status) {
          const absl::Duration latency = absl::Now() - call->start_;
          static std::atomic<int> logged{0};
          if (!status.ok() && logged++ < 5) {
            std::fprintf(stderr, "create failed: %s\n", status.error_message().c_str());
          }
          auto done = std::move(call->done_);
          delete call;
          done(status.ok(), latency);
        });
  }

 private:
  grpc::ClientContext context_;
  v1::CreateRequest request_;
  v1::ObjectResponse response_;
  std::function<void(bool, absl::Duration)> done_;
  absl::Time start_;
};

// Latencies and counts of one phase, filled from gRPC threads; shared with
// the calls' callbacks so that it outlives the last of them.
struct PhaseStats {
  absl::Mutex mu;
  std::vector<double> latencies_ms ABSL_GUARDED_BY(mu);
  int64_t errors ABSL_GUARDED_BY(mu) = 0;
  int64_t in_flight ABSL_GUARDED_BY(mu) = 0;
  // Closed loop: clients stop issuing at `end` or after `limit` creates.
  v1::ApiServer::Stub* stub = nullptr;
  std::string ns;
  std::string prefix;
  absl::Time end = absl::InfiniteFuture();
  int64_t limit = -1;
  std::atomic<int64_t> issued{0};

  void Issued() {
    absl::MutexLock lock(&mu);
    ++in_flight;
  }
  void WaitIdle() {
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(
        +[](PhaseStats* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu) { return s->in_flight == 0; },
        this));
  }
  // False when calls were still in flight after `timeout` (each call has
  // its own deadline, so this only guards against a lost callback).
  bool WaitIdleFor(absl::Duration timeout) {
    absl::MutexLock lock(&mu);
    return mu.AwaitWithTimeout(
        absl::Condition(
            +[](PhaseStats* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu) { return s->in_flight == 0; },
            this),
        timeout);
  }
  void Record(bool ok, absl::Duration latency) {
    absl::MutexLock lock(&mu);
    --in_flight;
    if (ok) {
      latencies_ms.push_back(absl::ToDoubleMilliseconds(latency));
    } else {
      ++errors;
    }
  }
};

struct PhaseResult {
  std::string name;
  double apiserver_cpu = 0;  // CPU seconds of the apiserver during the phase
  double bench_cpu = 0;      // CPU seconds of this process during the phase
  int64_t unfinished = 0;    // calls still in flight when the phase gave up
  std::string transport;     // how the requests travelled
  int64_t ok = 0;
  int64_t errors = 0;
  double seconds = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
};

PhaseResult Finish(const std::string& name, PhaseStats* stats, absl::Duration elapsed) {
  absl::MutexLock lock(&stats->mu);
  PhaseResult r;
  r.name = name;
  r.ok = static_cast<int64_t>(stats->latencies_ms.size());
  r.errors = stats->errors;
  r.seconds = absl::ToDoubleSeconds(elapsed);
  r.p50_ms = Percentile(&stats->latencies_ms, 0.50);
  r.p99_ms = Percentile(&stats->latencies_ms, 0.99);
  r.max_ms = stats->latencies_ms.empty() ? 0 : stats->latencies_ms.back();
  return r;
}

std::atomic<int64_t> g_pod_seq{0};

std::string NextPodName(const std::string& prefix) {
  return absl::StrFormat("%s-%07d", prefix, g_pod_seq.fetch_add(1));
}

// One closed-loop client: creates a pod, and when it is done the next one,
// until the phase ends.
void IssueNext(const std::shared_ptr<PhaseStats>& stats) {
  if (absl::Now() >= stats->end) return;
  std::string name;
  if (stats->limit >= 0) {
    const int64_t i = stats->issued.fetch_add(1);
    if (i >= stats->limit) return;
    name = absl::StrFormat("%s-%07d", stats->prefix, i);
  } else {
    name = NextPodName(stats->prefix);
  }
  stats->Issued();
  CreateCall::Start(stats->stub, stats->ns, name, [stats](bool ok, absl::Duration latency) {
    IssueNext(stats);  // counted in flight before this one is recorded
    stats->Record(ok, latency);
  });
}

// `clients` concurrent clients, each creating one pod after the other, for
// `duration`.
PhaseResult ClosedLoop(v1::ApiServer::Stub* stub, int clients, absl::Duration duration) {
  auto stats = std::make_shared<PhaseStats>();
  stats->stub = stub;
  stats->ns = "bench";
  stats->prefix = "c";
  const absl::Time start = absl::Now();
  stats->end = start + duration;
  for (int i = 0; i < clients; ++i) IssueNext(stats);
  stats->WaitIdle();
  return Finish(absl::StrCat("closed loop, ", clients, " client", clients > 1 ? "s" : ""),
                stats.get(), absl::Now() - start);
}

// Starts one create of pod `name` in namespace `ns`; `done(ok, latency)`
// is called once when it ends, on a client thread.
using CreateFn = std::function<void(const std::string& ns, const std::string& name,
                                    std::function<void(bool, absl::Duration)> done)>;

// Creates paced at `rate` per second for `duration` (open loop: a create is
// issued when it is due, however long the earlier ones take). Bounded:
// rate × duration creates, then at most `drain` for the last answers.
PhaseResult OpenLoop(const std::string& name, const CreateFn& create, int rate,
                     absl::Duration duration, pid_t apiserver_pid,
                     absl::Duration drain = absl::Seconds(60)) {
  auto stats = std::make_shared<PhaseStats>();
  const double cpu_before = ProcCpuSeconds(apiserver_pid);
  const double self_before = SelfCpuSeconds();
  const absl::Time start = absl::Now();
  const int64_t total = static_cast<int64_t>(rate * absl::ToDoubleSeconds(duration));
  int64_t issued = 0;
  while (issued < total) {
    const int64_t due = std::min<int64_t>(
        total, static_cast<int64_t>(absl::ToDoubleSeconds(absl::Now() - start) * rate) + 1);
    for (; issued < due; ++issued) {
      stats->Issued();
      create("bench", NextPodName("o"),
             [stats](bool ok, absl::Duration latency) { stats->Record(ok, latency); });
    }
    absl::SleepFor(absl::Microseconds(500));
  }
  const absl::Duration issuing = absl::Now() - start;
  const bool idle = stats->WaitIdleFor(drain);
  PhaseResult r = Finish(name, stats.get(), issuing);
  r.apiserver_cpu = ProcCpuSeconds(apiserver_pid) - cpu_before;
  r.bench_cpu = SelfCpuSeconds() - self_before;
  if (!idle) {
    absl::MutexLock lock(&stats->mu);
    r.unfinished = stats->in_flight;
    std::fprintf(stderr, "%s: %lld creates unanswered after %s\n", name.c_str(),
                 static_cast<long long>(r.unfinished), absl::FormatDuration(drain).c_str());
  }
  return r;
}

// --- Front ends ------------------------------------------------------------

enum class FrontEnd { kGrpc, kRestJson, kRestProtobuf };

const char* FrontEndLabel(FrontEnd f) {
  switch (f) {
    case FrontEnd::kGrpc:
      return "gRPC (protobuf)";
    case FrontEnd::kRestJson:
      return "REST, JSON";
    case FrontEnd::kRestProtobuf:
      return "REST, protobuf";
  }
  return "?";
}

constexpr char kJson[] = "application/json";
constexpr char kProtobuf[] = "application/vnd.kubernetes.protobuf";

CreateFn GrpcCreate(v1::ApiServer::Stub* stub) {
  return [stub](const std::string& ns, const std::string& name,
                std::function<void(bool, absl::Duration)> done) {
    CreateCall::Start(stub, ns, name, std::move(done));
  };
}

// POST /api/v1/namespaces/<ns>/pods with the pod in the front end's
// encoding, asking for the answer in the same one (as client-go does).
HttpLoadRequest RestCreateRequest(FrontEnd f, const std::string& ns, const std::string& name) {
  HttpLoadRequest r;
  r.method = "POST";
  r.target = absl::StrCat("/api/v1/namespaces/", ns, "/pods");
  const Pod pod = BenchPod(ns, name);
  if (f == FrontEnd::kRestJson) {
    r.content_type = r.accept = kJson;
    r.body = minik8s::api::EncodeJson(pod);
  } else {
    r.content_type = r.accept = kProtobuf;
    r.body = minik8s::api::EncodeK8sProtobuf(pod);
  }
  return r;
}

// A create succeeds with 201 Created.
CreateFn RestCreate(HttpConnectionPool* pool, FrontEnd f) {
  return [pool, f](const std::string& ns, const std::string& name,
                   std::function<void(bool, absl::Duration)> done) {
    pool->Send(RestCreateRequest(f, ns, name), [done = std::move(done)](HttpLoadResponse response) {
      const bool ok = response.error.ok() && response.status == 201;
      static std::atomic<int> logged{0};
      if (!ok && logged++ < 5) {
        std::fprintf(stderr, "REST create failed: %s\n",
                     response.error.ok()
                         ? absl::StrCat(response.status, " ", response.body.substr(0, 300)).c_str()
                         : std::string(response.error.message()).c_str());
      }
      done(ok, response.latency);
    });
  };
}

// One create through `pool`, waited for, whose answer must decode as the
// pod created in the front end's encoding: the figures below are only worth
// something if the server really answers in that encoding.
absl::Status CheckRestCreate(HttpConnectionPool* pool, FrontEnd f) {
  const std::string name = NextPodName(f == FrontEnd::kRestJson ? "check-json" : "check-pb");
  absl::Notification answered;
  HttpLoadResponse response;
  pool->Send(RestCreateRequest(f, "bench", name), [&](HttpLoadResponse r) {
    response = std::move(r);
    answered.Notify();
  });
  if (!answered.WaitForNotificationWithTimeout(absl::Seconds(40))) {
    return absl::DeadlineExceededError("no answer to a create in 40 s");
  }
  if (!response.error.ok()) return response.error;
  if (response.status != 201) {
    return absl::InternalError(
        absl::StrCat("create answered ", response.status, ": ", response.body.substr(0, 300)));
  }
  const std::string want_type = f == FrontEnd::kRestJson ? kJson : kProtobuf;
  if (response.content_type.rfind(want_type, 0) != 0) {
    return absl::InternalError(absl::StrCat("create answered Content-Type \"",
                                            response.content_type, "\", want ", want_type));
  }
  Pod pod;
  absl::Status decoded = f == FrontEnd::kRestJson
                             ? minik8s::api::DecodeInto(response.body, &pod)
                             : minik8s::api::DecodeK8sProtobufInto(response.body, &pod);
  if (!decoded.ok()) return decoded;
  if (pod.metadata().name() != name || pod.metadata().resource_version().empty()) {
    return absl::InternalError(absl::StrCat("create answered pod \"", pod.metadata().name(),
                                            "\" rv \"", pod.metadata().resource_version(),
                                            "\", want \"", name, "\" with an rv"));
  }
  return absl::OkStatus();
}

// --- Watch fan-out ---------------------------------------------------------

// One pod watch stream counting the events it receives.
class WatchReader : public grpc::ClientReadReactor<v1::WatchEvent> {
 public:
  WatchReader(v1::ApiServer::Stub* stub, const std::string& ns, bool batches,
              std::atomic<int64_t>* events, std::atomic<int>* started, std::atomic<int>* ended)
      : events_(events), started_(started), ended_(ended) {
    request_.set_resource("pods");
    request_.set_namespace_(ns);
    request_.set_allow_event_batches(batches);
    stub->async()->Watch(&context_, &request_, this);
    StartRead(&event_);
    StartCall();
  }

  void OnReadInitialMetadataDone(bool ok) override {
    if (ok) started_->fetch_add(1);
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;
    int64_t n = 0;
    if (event_.events_size() > 0) {
      for (const v1::WatchEvent& e : event_.events()) n += e.type() != "BOOKMARK" ? 1 : 0;
    } else {
      n = event_.type() != "BOOKMARK" ? 1 : 0;
    }
    if (n > 0) {
      events_->fetch_add(n, std::memory_order_relaxed);
      count_.fetch_add(n, std::memory_order_relaxed);
    }
    StartRead(&event_);
  }
  void OnDone(const grpc::Status& status) override {
    absl::MutexLock lock(&mu_);
    status_ = status;
    done_ = true;
    ended_->fetch_add(1);
  }

  void Cancel() { context_.TryCancel(); }
  void WaitDone() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&done_));
  }
  int64_t count() const { return count_.load(); }
  grpc::Status status() {
    absl::MutexLock lock(&mu_);
    return status_;
  }

 private:
  grpc::ClientContext context_;
  v1::WatchRequest request_;
  v1::WatchEvent event_;
  std::atomic<int64_t>* events_;
  std::atomic<int>* started_;
  std::atomic<int>* ended_;
  std::atomic<int64_t> count_{0};
  absl::Mutex mu_;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
};

// The watchers of one fan-out, whatever their transport.
class WatcherSet {
 public:
  virtual ~WatcherSet() = default;
  virtual int established() const = 0;
  virtual int ended() const = 0;  // failed or closed before Stop()
  virtual int64_t events() const = 0;
  // Bytes of the watch bodies received; -1 when not counted.
  virtual int64_t bytes() const { return -1; }
  // Cancels every watch; returns the first error other than the cancel.
  virtual std::string Stop() = 0;
};

class GrpcWatcherSet : public WatcherSet {
 public:
  GrpcWatcherSet(v1::ApiServer::Stub* stub, const std::string& ns, int count, bool batches) {
    readers_.reserve(count);
    for (int i = 0; i < count; ++i) {
      readers_.push_back(
          std::make_unique<WatchReader>(stub, ns, batches, &events_, &started_, &ended_));
    }
  }
  ~GrpcWatcherSet() override { Stop(); }

  int established() const override { return started_.load(); }
  int ended() const override { return ended_.load(); }
  int64_t events() const override { return events_.load(); }
  std::string Stop() override {
    std::string first_error;
    for (auto& reader : readers_) reader->Cancel();
    for (auto& reader : readers_) {
      reader->WaitDone();
      grpc::Status s = reader->status();
      if (first_error.empty() && !s.ok() && s.error_code() != grpc::StatusCode::CANCELLED) {
        first_error = s.error_message();
      }
    }
    readers_.clear();
    return first_error;
  }

 private:
  std::atomic<int64_t> events_{0};
  std::atomic<int> started_{0}, ended_{0};
  std::vector<std::unique_ptr<WatchReader>> readers_;
};

class RestWatcherSet : public WatcherSet {
 public:
  // `threads`: the load generator's event-loop threads for every watch.
  RestWatcherSet(int port, const std::string& target, int count, int threads)
      : watchers_(port, threads) {
    watchers_.Start(count, target, absl::Seconds(60));
  }

  int established() const override { return watchers_.established(); }
  int ended() const override { return watchers_.ended(); }
  int64_t events() const override { return watchers_.events(); }
  int64_t bytes() const override { return watchers_.body_bytes(); }
  std::string Stop() override {
    watchers_.Stop();
    std::string error = watchers_.first_error();
    if (watchers_.error_events() > 0) {
      error = absl::StrCat(watchers_.error_events(), " ERROR events; ", error);
    }
    return error;
  }

 private:
  HttpWatchers watchers_;
};

struct FanOutResult {
  std::string label;
  std::string watch_kind;  // how the watches were made
  int watchers = 0;
  int started = 0;
  int pods = 0;
  int64_t expected = 0;
  int64_t delivered = 0;
  int64_t bytes = -1;  // of the watch bodies, when counted
  int ended_early = 0;
  double create_seconds = 0;
  double deliver_seconds = 0;
  // CPU seconds of the apiserver from the first create until the check for
  // the last event (the watches were registered before).
  double apiserver_cpu = 0;
  double bench_cpu = 0;  // the same for this process (the watchers' reading)
  // Apiserver threads and resident memory (VmRSS, KiB): before the watches,
  // once they are all established, the most threads seen from the first
  // watch to the last event, and memory after the last event.
  int threads_before = 0;
  int threads_watching = 0;
  int threads_peak = 0;
  int64_t rss_before_kb = 0;
  int64_t rss_watching_kb = 0;
  int64_t rss_after_kb = 0;
  int64_t rss_closed_kb = 0;  // 1 s after every watch was closed
  std::string first_error;
};

// `start_watchers` starts `watchers` watches of namespace `ns`; then `pods`
// pods are created there through gRPC by `create_clients` concurrent
// clients. Bounded: 60 s for the watches to be established, creates with
// deadlines, and delivery ends when every event arrived or nothing moved
// for 5 s.
FanOutResult RunFanOut(const std::string& label, const std::string& watch_kind,
                       const std::function<std::unique_ptr<WatcherSet>()>& start_watchers,
                       v1::ApiServer::Stub* stub, const std::string& ns, int watchers, int pods,
                       int create_clients, pid_t apiserver_pid) {
  FanOutResult r;
  r.label = label;
  r.watch_kind = watch_kind;
  r.watchers = watchers;
  r.pods = pods;
  r.threads_before = ProcThreads(apiserver_pid);
  r.rss_before_kb = ProcStatusKb(apiserver_pid, "VmRSS");
  r.threads_peak = r.threads_before;
  absl::Time last_sample = absl::InfinitePast();
  auto sample_threads = [&] {
    if (absl::Now() - last_sample < absl::Milliseconds(50)) return;
    last_sample = absl::Now();
    r.threads_peak = std::max(r.threads_peak, ProcThreads(apiserver_pid));
  };

  std::unique_ptr<WatcherSet> set = start_watchers();
  const absl::Time establish_deadline = absl::Now() + absl::Seconds(60);
  while (set->established() + set->ended() < watchers && absl::Now() < establish_deadline) {
    sample_threads();
    absl::SleepFor(absl::Milliseconds(5));
  }
  r.started = set->established();
  r.threads_watching = ProcThreads(apiserver_pid);
  r.threads_peak = std::max(r.threads_peak, r.threads_watching);
  r.rss_watching_kb = ProcStatusKb(apiserver_pid, "VmRSS");

  auto stats = std::make_shared<PhaseStats>();
  stats->stub = stub;
  stats->ns = ns;
  stats->prefix = ns;
  stats->limit = pods;
  const double cpu_at_start = ProcCpuSeconds(apiserver_pid);
  const double self_at_start = SelfCpuSeconds();
  const absl::Time start = absl::Now();
  for (int i = 0; i < create_clients; ++i) IssueNext(stats);
  while (!stats->WaitIdleFor(absl::Milliseconds(50))) {
    sample_threads();
    if (absl::Now() - start > absl::Seconds(120)) break;  // creates have 30 s deadlines
  }
  r.create_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  int64_t created = 0;
  {
    absl::MutexLock lock(&stats->mu);
    created = static_cast<int64_t>(stats->latencies_ms.size());
  }
  const int64_t expected = created * r.started;
  // Done when every event arrived, or when nothing moved for 5 s.
  int64_t last = -1;
  absl::Time last_change = absl::Now();
  absl::Time last_event_time = absl::Now();
  while (true) {
    const int64_t now_count = set->events();
    if (now_count != last) {
      last = now_count;
      last_change = absl::Now();
      last_event_time = last_change;
    }
    if (now_count >= expected || absl::Now() - last_change > absl::Seconds(5)) break;
    sample_threads();
    absl::SleepFor(absl::Milliseconds(2));
  }
  r.deliver_seconds = absl::ToDoubleSeconds(last_event_time - start);
  r.apiserver_cpu = ProcCpuSeconds(apiserver_pid) - cpu_at_start;
  r.bench_cpu = SelfCpuSeconds() - self_at_start;
  r.threads_peak = std::max(r.threads_peak, ProcThreads(apiserver_pid));
  r.rss_after_kb = ProcStatusKb(apiserver_pid, "VmRSS");
  r.delivered = set->events();
  r.bytes = set->bytes();
  r.expected = expected;
  r.ended_early = set->ended();
  r.first_error = set->Stop();
  set.reset();
  absl::SleepFor(absl::Seconds(1));
  r.rss_closed_kb = ProcStatusKb(apiserver_pid, "VmRSS");
  return r;
}

// The resourceVersion of an (empty) pod list of `ns`, for REST watches to
// start from.
absl::StatusOr<std::string> ListResourceVersion(int port, const std::string& ns) {
  minik8s::testing::HttpCall call;
  call.target = absl::StrCat("/api/v1/namespaces/", ns, "/pods");
  call.headers["Accept"] = kJson;
  call.timeout = absl::Seconds(10);
  absl::StatusOr<minik8s::testing::HttpResult> result = minik8s::testing::HttpRequest(port, call);
  if (!result.ok()) return result.status();
  if (result->status != 200) {
    return absl::InternalError(
        absl::StrCat("list answered ", result->status, ": ", result->body.substr(0, 300)));
  }
  minik8s::core::v1::PodList list;
  if (absl::Status s = minik8s::api::DecodeInto(result->body, &list); !s.ok()) return s;
  if (list.metadata().resource_version().empty()) {
    return absl::InternalError("the list has no resourceVersion");
  }
  return list.metadata().resource_version();
}

// --- Output ----------------------------------------------------------------

double PerSecond(double n, double seconds) { return seconds > 0 ? n / seconds : 0.0; }

std::string MiB(int64_t kb) { return absl::StrFormat("%.1f", static_cast<double>(kb) / 1024); }

void PrintClosedLoop(const std::vector<PhaseResult>& phases) {
  std::printf(
      "| Phase | creates | errors | creates/s | p50 ms | p99 ms | max ms | apiserver CPU %% |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const PhaseResult& r : phases) {
    std::printf("| %s | %lld | %lld | %.0f | %.2f | %.2f | %.2f | %.0f |\n", r.name.c_str(),
                static_cast<long long>(r.ok), static_cast<long long>(r.errors),
                PerSecond(static_cast<double>(r.ok), r.seconds), r.p50_ms, r.p99_ms, r.max_ms,
                PerSecond(100 * r.apiserver_cpu, r.seconds));
  }
}

void PrintOpenLoop(const std::vector<PhaseResult>& phases, int rate) {
  std::printf(
      "| Front end, %d creates/s | creates | errors | creates/s | p50 ms | p99 ms | max ms | "
      "apiserver CPU %% | apiserver CPU µs/create | bench CPU µs/create | transport |\n",
      rate);
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
  for (const PhaseResult& r : phases) {
    const double ok = static_cast<double>(std::max<int64_t>(r.ok, 1));
    std::printf("| %s | %lld | %lld | %.0f | %.2f | %.2f | %.2f | %.0f | %.0f | %.0f | %s |\n",
                r.name.c_str(), static_cast<long long>(r.ok),
                static_cast<long long>(r.errors + r.unfinished),
                PerSecond(static_cast<double>(r.ok), r.seconds), r.p50_ms, r.p99_ms, r.max_ms,
                PerSecond(100 * r.apiserver_cpu, r.seconds), 1e6 * r.apiserver_cpu / ok,
                1e6 * r.bench_cpu / ok, r.transport.c_str());
  }
}

void PrintFanOut(const std::vector<FanOutResult>& fans) {
  if (fans.empty()) return;
  auto row = [&](const char* name, const std::function<std::string(const FanOutResult&)>& cell) {
    std::printf("| %s |", name);
    for (const FanOutResult& f : fans) std::printf(" %s |", cell(f).c_str());
    std::printf("\n");
  };
  std::printf("| Fan-out |");
  for (const FanOutResult& f : fans) std::printf(" %s |", f.label.c_str());
  std::printf("\n|---|");
  for (size_t i = 0; i < fans.size(); ++i) std::printf("---:|");
  std::printf("\n");
  row("watches established", [](const FanOutResult& f) {
    return absl::StrFormat("%d / %d (%s)", f.started, f.watchers, f.watch_kind);
  });
  row("pods created (s)", [](const FanOutResult& f) {
    return absl::StrFormat("%d (%.2f s)", f.pods, f.create_seconds);
  });
  row("events delivered / expected",
      [](const FanOutResult& f) { return absl::StrFormat("%d / %d", f.delivered, f.expected); });
  row("first create -> last event (s)",
      [](const FanOutResult& f) { return absl::StrFormat("%.2f", f.deliver_seconds); });
  row("watch body bytes per event", [](const FanOutResult& f) {
    return f.bytes < 0 || f.delivered == 0
               ? std::string("-")
               : absl::StrFormat("%.0f", static_cast<double>(f.bytes) / f.delivered);
  });
  row("events/s (all watchers)", [](const FanOutResult& f) {
    return absl::StrFormat("%.0f", PerSecond(static_cast<double>(f.delivered), f.deliver_seconds));
  });
  row("apiserver CPU during delivery (% of one core)", [](const FanOutResult& f) {
    return absl::StrFormat("%.0f", PerSecond(100 * f.apiserver_cpu, f.deliver_seconds));
  });
  row("bench CPU during delivery (% of one core)", [](const FanOutResult& f) {
    return absl::StrFormat("%.0f", PerSecond(100 * f.bench_cpu, f.deliver_seconds));
  });
  row("apiserver threads: before / watching / peak", [](const FanOutResult& f) {
    return absl::StrFormat("%d / %d / %d", f.threads_before, f.threads_watching, f.threads_peak);
  });
  row("apiserver RSS MiB: before / watching / after events / closed", [](const FanOutResult& f) {
    return absl::StrCat(MiB(f.rss_before_kb), " / ", MiB(f.rss_watching_kb), " / ",
                        MiB(f.rss_after_kb), " / ", MiB(f.rss_closed_kb));
  });
  row("RSS per established watch (KiB)", [](const FanOutResult& f) {
    return absl::StrFormat(
        "%.1f",
        f.started > 0 ? static_cast<double>(f.rss_watching_kb - f.rss_before_kb) / f.started : 0.0);
  });
  row("watches ended early", [](const FanOutResult& f) { return absl::StrCat(f.ended_early); });
  bool any_error = false;
  for (const FanOutResult& f : fans) any_error |= !f.first_error.empty();
  if (any_error) {
    row("first watch error", [](const FanOutResult& f) {
      return f.first_error.empty() ? std::string("-") : f.first_error.substr(0, 200);
    });
  }
}

// Threads the apiserver may add during a fan-out without that being a
// thread per watcher: a tenth of the watchers (gRPC's and Asio's pools grow
// by a handful under load).
bool NoThreadPerWatcher(const FanOutResult& f) {
  return f.threads_peak - f.threads_before < std::max(8, f.watchers / 10);
}

// Raises the soft open-files limit to the hard one: every REST watcher is a
// connection on both sides (the apiserver inherits the limit).
void RaiseOpenFilesLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "apiserver_bench: create-pod latency, cost per request and watch fan-out of "
      "minik8s-apiserver through gRPC and its Kubernetes HTTP API"};
  bool quick = false;
  std::string backend = "minik8s-store";
  double phase_seconds = 5;
  int rate = 1000;
  int watchers = 1000;
  int fanout_pods = 1000;
  int fanout_clients = 16;
  std::vector<std::string> apiserver_flags;
  bool batches = true;
  std::vector<std::string> front_end_flags = {"all"};
  bool closed_loop = true;
  int rest_connections = 8;
  int rest_watch_threads = 2;
  int rounds = 1;
  std::string apiserver_bin = minik8s::testing::BinPath("minik8s-apiserver");
  app.add_option("--apiserver-bin", apiserver_bin, "The minik8s-apiserver binary to measure")
      ->capture_default_str();
  app.add_flag("--quick", quick, "Short phases, 100 watchers, 100 pods (a smoke run)");
  app.add_option("--backend", backend, "minik8s-store or etcd")
      ->check(CLI::IsMember({"minik8s-store", "etcd"}));
  app.add_option("--front-end", front_end_flags,
                 "Front ends to measure: grpc, rest-json, rest-protobuf or all (repeatable or "
                 "comma-separated). grpc runs the closed loops, its open loop and the gRPC "
                 "fan-out; each REST one its open loop; any REST one the REST fan-out")
      ->delimiter(',')
      ->check(CLI::IsMember({"all", "grpc", "rest-json", "rest-protobuf"}))
      ->capture_default_str();
  app.add_flag("--closed-loop,!--no-closed-loop", closed_loop,
               "Run the gRPC closed-loop phases (1, 16, 256 clients)");
  app.add_option("--phase-seconds", phase_seconds, "Length of each create phase")
      ->check(CLI::Range(0.1, 600.0));
  app.add_option("--rate", rate, "Creates per second of the open-loop phases")
      ->check(CLI::Range(1, 100000));
  app.add_option("--rounds", rounds,
                 "Open-loop phases per front end, interleaved (gRPC, JSON, protobuf, gRPC, ...)")
      ->check(CLI::Range(1, 20));
  app.add_option("--rest-connections", rest_connections,
                 "Keep-alive HTTP connections of each REST open loop")
      ->check(CLI::Range(1, 256));
  app.add_option("--rest-watch-threads", rest_watch_threads,
                 "Load-generator threads reading the REST watches")
      ->check(CLI::Range(1, 16));
  app.add_option("--watchers", watchers, "Watches of each fan-out phase")
      ->check(CLI::Range(1, 10000));
  app.add_option("--fanout-pods", fanout_pods, "Pods created in each fan-out phase")
      ->check(CLI::Range(1, 100000));
  app.add_option("--fanout-clients", fanout_clients, "Concurrent creates in the fan-out phases")
      ->check(CLI::Range(1, 1024));
  app.add_flag("--watch-batches,!--no-watch-batches", batches,
               "gRPC fan-out watchers allow batch messages (several events per message), as the "
               "client library's watches do; --no-watch-batches: one event per message");
  app.add_option("--apiserver-flag", apiserver_flags, "Extra minik8s-apiserver flag (repeatable)");
  CLI11_PARSE(app, argc, argv);
  if (quick) {
    phase_seconds = 1;
    watchers = std::min(watchers, 100);
    fanout_pods = std::min(fanout_pods, 100);
  }
  std::set<FrontEnd> front_ends;
  for (const std::string& f : front_end_flags) {
    if (f == "all" || f == "grpc") front_ends.insert(FrontEnd::kGrpc);
    if (f == "all" || f == "rest-json") front_ends.insert(FrontEnd::kRestJson);
    if (f == "all" || f == "rest-protobuf") front_ends.insert(FrontEnd::kRestProtobuf);
  }
  const bool grpc_selected = front_ends.count(FrontEnd::kGrpc) > 0;
  const bool rest_selected = front_ends.size() > (grpc_selected ? 1u : 0u);
  RaiseOpenFilesLimit();
  const std::string load_before = LoadAverage();

  using minik8s::testing::BackendKind;
  minik8s::testing::StoreBackend store(minik8s::testing::StoreBackend::Options{
      .kind = backend == "etcd" ? BackendKind::kEtcd : BackendKind::kMinik8sStore});
  if (absl::Status s = store.Start(); !s.ok()) {
    std::fprintf(stderr, "store did not start: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  minik8s::testing::TempDir dir;
  minik8s::testing::Subprocess apiserver;
  absl::StatusOr<int> port = minik8s::PickFreeLoopbackPort();
  if (!port.ok()) return 1;
  std::vector<std::string> args = {apiserver_bin, "--etcd-servers=" + store.endpoint(),
                                   absl::StrCat("--secure-port=", *port)};
  for (const std::string& f : apiserver_flags) args.push_back(f);
  if (absl::Status s = apiserver.Start(args, dir.Join("apiserver.log")); !s.ok()) {
    std::fprintf(stderr, "apiserver did not start: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  grpc::ChannelArguments channel_args;
  channel_args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  auto channel = grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", *port),
                                           grpc::InsecureChannelCredentials(), channel_args);
  auto stub = v1::ApiServer::NewStub(channel);
  auto create_namespace = [&](const std::string& name) {
    minik8s::core::v1::Namespace ns;
    ns.mutable_metadata()->set_name(name);
    v1::CreateRequest req;
    req.set_resource("namespaces");
    req.set_object(ns.SerializeAsString());
    v1::ObjectResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    grpc::Status s = stub->Create(&ctx, req, &resp);
    return s.ok() || s.error_code() == grpc::StatusCode::ALREADY_EXISTS;
  };
  if (!minik8s::testing::WaitFor([&] { return create_namespace("bench"); }, absl::Seconds(30)) ||
      !create_namespace("fanout") || !create_namespace("fanout-rest")) {
    std::fprintf(stderr, "apiserver not ready; log in %s\n", dir.Join("apiserver.log").c_str());
    return 1;
  }
  auto fail = [&](const std::string& what, const absl::Status& s) {
    std::fprintf(stderr, "%s: %s\napiserver log: %s\n", what.c_str(),
                 std::string(s.message()).c_str(), dir.Join("apiserver.log").c_str());
    apiserver.Stop(SIGTERM, absl::Seconds(10));
    return 1;
  };

  const absl::Duration phase = absl::Seconds(phase_seconds);
  const pid_t pid = apiserver.pid();
  // Warm up connections and caches.
  ClosedLoop(stub.get(), 4, absl::Milliseconds(500));
  std::vector<PhaseResult> closed;
  if (grpc_selected && closed_loop) {
    for (int clients : {1, 16, 256}) {
      const double cpu = ProcCpuSeconds(pid);
      closed.push_back(ClosedLoop(stub.get(), clients, phase));
      closed.back().apiserver_cpu = ProcCpuSeconds(pid) - cpu;
      std::fprintf(stderr, "%s done\n", closed.back().name.c_str());
    }
  }

  // Open loops: one client (gRPC channel or REST connection pool) per front
  // end for the whole run, checked and warmed before the first round.
  struct Client {
    FrontEnd front_end;
    std::unique_ptr<HttpConnectionPool> pool;
    CreateFn create;
    std::string transport;
  };
  std::vector<Client> clients;
  for (FrontEnd f : front_ends) {
    Client c{f, nullptr, nullptr, ""};
    if (f == FrontEnd::kGrpc) {
      c.create = GrpcCreate(stub.get());
      c.transport = "1 HTTP/2 channel";
    } else {
      absl::StatusOr<std::unique_ptr<HttpConnectionPool>> pool =
          HttpConnectionPool::Open(*port, rest_connections, 1);
      if (!pool.ok()) return fail("REST connections", pool.status());
      c.pool = std::move(*pool);
      if (absl::Status s = CheckRestCreate(c.pool.get(), f); !s.ok()) {
        return fail(absl::StrCat(FrontEndLabel(f), " create"), s);
      }
      c.create = RestCreate(c.pool.get(), f);
      OpenLoop("warm-up", c.create, rate, absl::Milliseconds(300), pid);
      c.transport = absl::StrCat(rest_connections, " keep-alive HTTP/1.1 connections");
    }
    clients.push_back(std::move(c));
  }
  std::vector<PhaseResult> open;
  for (int round = 1; round <= rounds; ++round) {
    for (Client& c : clients) {
      std::string name = FrontEndLabel(c.front_end);
      if (rounds > 1) absl::StrAppend(&name, " (round ", round, ")");
      open.push_back(OpenLoop(name, c.create, rate, phase, pid));
      open.back().transport = c.transport;
      std::fprintf(stderr, "open loop, %s done\n", name.c_str());
    }
  }
  for (Client& c : clients) {
    if (c.pool != nullptr && c.pool->reconnects() > 0) {
      std::fprintf(stderr, "%s: %lld connections reopened after the server closed them\n",
                   FrontEndLabel(c.front_end), static_cast<long long>(c.pool->reconnects()));
    }
  }
  clients.clear();

  std::vector<FanOutResult> fans;
  if (grpc_selected) {
    fans.push_back(RunFanOut(
        "gRPC", batches ? "streams, batch messages" : "streams, one event per message",
        [&] { return std::make_unique<GrpcWatcherSet>(stub.get(), "fanout", watchers, batches); },
        stub.get(), "fanout", watchers, fanout_pods, fanout_clients, pid));
    std::fprintf(stderr, "gRPC fan-out done\n");
  }
  if (rest_selected) {
    absl::StatusOr<std::string> rv = ListResourceVersion(*port, "fanout-rest");
    if (!rv.ok()) return fail("list before the REST watches", rv.status());
    const std::string target =
        absl::StrCat("/api/v1/namespaces/fanout-rest/pods?watch=true&resourceVersion=", *rv,
                     "&timeoutSeconds=600");
    fans.push_back(RunFanOut(
        "REST (JSON)", "a connection each",
        [&] {
          return std::make_unique<RestWatcherSet>(*port, target, watchers, rest_watch_threads);
        },
        stub.get(), "fanout-rest", watchers, fanout_pods, fanout_clients, pid));
    std::fprintf(stderr, "REST fan-out done\n");
  }
  const int64_t hwm_kb = ProcStatusKb(pid, "VmHWM");
  const std::string load_after = LoadAverage();

  std::printf("\nminik8s-apiserver over %s (%s); load average before %s, after %s\n",
              backend.c_str(), quick ? "quick" : "full", load_before.c_str(), load_after.c_str());
  if (!closed.empty()) {
    std::printf("\n");
    PrintClosedLoop(closed);
  }
  std::printf("\n");
  PrintOpenLoop(open, rate);
  std::printf("\n");
  PrintFanOut(fans);

  std::printf("\n| Target | measured | met |\n|---|---:|---|\n");
  for (const PhaseResult& r : open) {
    const double achieved = PerSecond(static_cast<double>(r.ok), r.seconds);
    const bool rate_ok = achieved >= 0.95 * rate && r.errors + r.unfinished == 0;
    std::printf("| create p99 <= 10 ms at %d/s, %s | %.2f ms (%.0f/s) | %s |\n", rate,
                r.name.c_str(), r.p99_ms, achieved, r.p99_ms <= 10 && rate_ok ? "yes" : "no");
  }
  for (const FanOutResult& f : fans) {
    const double events_per_s = PerSecond(static_cast<double>(f.delivered), f.deliver_seconds);
    std::printf("| %d %s watchers >= 100,000 events/s | %.0f | %s |\n", f.watchers, f.label.c_str(),
                events_per_s,
                events_per_s >= 100000 && f.delivered >= f.expected && f.started == f.watchers
                    ? "yes"
                    : "no");
    std::printf("| %s: no thread per watcher | %d -> %d threads (peak) | %s |\n", f.label.c_str(),
                f.threads_before, f.threads_peak, NoThreadPerWatcher(f) ? "yes" : "no");
  }
  std::printf("\npeak apiserver RSS (VmHWM): %.1f MiB\n", static_cast<double>(hwm_kb) / 1024);

  apiserver.Stop(SIGTERM, absl::Seconds(10));
  return 0;
}
