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
// --security=off,on runs all of it against two store + apiserver pairs side
// by side, one plaintext with no authentication (off) and one secured as
// `minik8s up` secures it (on: TLS, client certificates, Node,RBAC and
// NodeRestriction; see Target below), every phase alternating between the
// two, and compares them.
//
// gRPC clients are callback-API calls on one channel; REST clients are
// asynchronous keep-alive connections (http_load.h). No thread per client.
// Every request has a deadline and every phase a bounded count, so a run
// ends by itself.
//
//   apiserver_bench [--quick] [--backend minik8s-store|etcd] [--watchers 1000]
//                   [--front-end all|grpc|rest-json|rest-protobuf]
//                   [--security off|on|off,on] [--store-transport socket|tcp]
#include <grpcpp/grpcpp.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
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
#include "common/grpc_setup.h"
#include "common/net.h"
#include "common/tls.h"
#include "k8s/core/v1/core.pb.h"
#include "k8s/rbac/v1/rbac.pb.h"
#include "pki/cluster_pki.h"
#include "testing/client_certificate.h"
#include "testing/http_client.h"
#include "testing/store_backend.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"
#include "testing/wait.h"

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

using minik8s::TlsClientFiles;
using minik8s::bench::HttpConnectionPool;
using minik8s::bench::HttpEndpoint;
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
  std::string front_end;     // open loops: FrontEndLabel()
  std::string security;      // SecurityLabel() of the apiserver measured
  std::string load;          // the 1-minute load average at the end of the phase
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
  std::vector<double> latencies_ms;  // sorted
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
  r.latencies_ms = stats->latencies_ms;
  const std::string load = LoadAverage();
  r.load = load.substr(0, load.find(' '));
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
  RestWatcherSet(const HttpEndpoint& endpoint, const std::string& target, int count, int threads)
      : watchers_(endpoint, threads) {
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
// start from; over TLS with `tls`.
absl::StatusOr<std::string> ListResourceVersion(int port, const std::optional<TlsClientFiles>& tls,
                                                const std::string& ns) {
  minik8s::testing::HttpCall call;
  call.target = absl::StrCat("/api/v1/namespaces/", ns, "/pods");
  call.headers["Accept"] = kJson;
  call.timeout = absl::Seconds(10);
  call.tls = tls;
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

// --- The apiserver under test, per security mode ---------------------------

enum class Security { kOff, kOn };

const char* SecurityLabel(Security s) {
  return s == Security::kOn ? "security on" : "security off";
}

// What every Target is started with.
struct TargetOptions {
  minik8s::testing::BackendKind backend = minik8s::testing::BackendKind::kMinik8sStore;
  std::string apiserver_bin;
  std::vector<std::string> apiserver_flags;  // appended last
  // On: the gRPC load goes to the apiserver's own gRPC port (--grpc-port),
  // as the components of `minik8s up` reach it; false: to its main port,
  // whose TLS relays gRPC.
  bool own_grpc_port = true;
  // The apiserver reaches minik8s-store through its unix socket, as
  // `minik8s up` runs them (--store-socket); false, or an etcd backend:
  // through the store's TCP port (TLS with security on).
  bool store_socket = true;
};

// The namespaces the phases create pods in.
constexpr const char* kBenchNamespaces[] = {"bench", "fanout", "fanout-rest"};

// With security on, the load generator is this user: a client certificate
// of the cluster CA with no organization (so only system:authenticated),
// allowed by a Role and RoleBinding in each bench namespace to create, get,
// list and watch pods and nothing more. Every one of its requests is
// authenticated by its certificate and authorized by the Node authorizer
// (no opinion: not a node) and then RBAC, as an ordinary user's. It is not
// system:masters on purpose: the apiserver allows that group before asking
// any authorizer.
constexpr char kBenchUser[] = "apiserver-bench";

grpc::Status CreateObject(v1::ApiServer::Stub* stub, const std::string& resource,
                          const std::string& ns, const std::string& object) {
  v1::CreateRequest req;
  req.set_resource(resource);
  req.set_namespace_(ns);
  req.set_object(object);
  v1::ObjectResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  return stub->Create(&ctx, req, &resp);
}

grpc::Status ListPods(v1::ApiServer::Stub* stub, const std::string& ns) {
  v1::ListRequest req;
  req.set_resource("pods");
  req.set_namespace_(ns);
  req.set_limit(1);
  v1::ListResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  return stub->List(&ctx, req, &resp);
}

absl::Status FromGrpc(const std::string& what, const grpc::Status& s) {
  return absl::UnavailableError(absl::StrCat(what, ": ", s.error_message(), " (gRPC code ",
                                             static_cast<int>(s.error_code()), ")"));
}

// A gRPC channel to 127.0.0.1:`port`, over TLS with `tls`.
absl::StatusOr<std::shared_ptr<grpc::Channel>> Dial(int port,
                                                    const std::optional<TlsClientFiles>& tls) {
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      minik8s::MakeChannelCredentialsOrPlaintext(tls);
  if (!credentials.ok()) return credentials.status();
  grpc::ChannelArguments channel_args;
  channel_args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port), *credentials, channel_args);
}

// One store and one minik8s-apiserver, on fresh data in their own temp dirs
// and free loopback ports, and the load generator's ways to reach the
// apiserver (a gRPC channel, an HTTP endpoint) as the user it measures with.
//
//   off: both plaintext (the store reached through its socket all the
//        same, unless --store-transport=tcp); the apiserver with its
//        defaults, i.e. no authenticator and AlwaysAllow: every request is
//        system:anonymous.
//   on:  what `minik8s up` runs by default (cluster/plan.cc): a cluster PKI
//        (pki::EnsureClusterPki under the temp dir); the store's TCP port
//        serving TLS with client-certificate auth (etcd's flags); the
//        apiserver reaching the store through its unix socket (or, with
//        --store-transport=tcp, that port with apiserver-etcd-client:
//        --etcd-cafile/certfile/keyfile), serving TLS with the apiserver bundle (--tls-cert-file,
//        --tls-private-key-file), authenticating client certificates
//        (--client-ca-file) and bootstrap and ServiceAccount tokens,
//        authorizing with --authorization-mode=Node,RBAC and
//        --enable-admission-plugins=NodeRestriction, with the kubelet client
//        flags; the load generator is kBenchUser. The admin
//        (kubernetes-admin, system:masters) only creates the namespaces and
//        the grants.
//
// Not thread-safe: the bench's main thread owns it; stub() and http() are
// used by the load generators' threads until they are destroyed, before the
// Target.
class Target {
 public:
  // Starts both daemons, creates kBenchNamespaces and (on) the grants, and
  // checks that the bench user may do what the phases do (and, on, that it
  // is refused elsewhere: authorization is in force). Errors name the step
  // and the apiserver's log.
  static absl::StatusOr<std::unique_ptr<Target>> Start(Security security,
                                                       const TargetOptions& options) {
    std::unique_ptr<Target> t(new Target(security));
    if (absl::Status s = t->Launch(options); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat(t->label(), ": ", s.message(),
                                                 "\napiserver log: ", t->apiserver_log()));
    }
    return t;
  }
  ~Target() { Stop(); }

  Security security() const { return security_; }
  const char* label() const { return SecurityLabel(security_); }
  v1::ApiServer::Stub* stub() { return stub_.get(); }
  const HttpEndpoint& http() const { return http_; }
  // The bench user's TLS files for a one-off HTTP request (nullopt: plain).
  const std::optional<TlsClientFiles>& http_files() const { return user_tls_; }
  int port() const { return port_; }
  // Where the gRPC load goes: port(), or the apiserver's own gRPC port.
  int grpc_port() const { return grpc_port_; }
  pid_t pid() const { return apiserver_.pid(); }
  // Where the apiserver reaches the store (--etcd-servers).
  const std::string& store_endpoint() const { return store_endpoint_; }
  std::string apiserver_log() const { return dir_.Join("apiserver.log"); }

  void Stop() {
    stub_.reset();
    apiserver_.Stop(SIGTERM, absl::Seconds(10));
    if (store_ != nullptr && store_->running()) (void)store_->Stop(absl::Seconds(10));
  }

 private:
  explicit Target(Security security) : security_(security) {}

  absl::Status Launch(const TargetOptions& options) {
    minik8s::testing::StoreBackend::Options store_options{.kind = options.backend};
    store_options.unix_socket =
        options.store_socket && options.backend == minik8s::testing::BackendKind::kMinik8sStore;
    std::vector<std::string> security_flags;
    std::optional<TlsClientFiles> admin_tls;
    minik8s::pki::ClusterPkiPaths pki;
    if (security_ == Security::kOn) {
      absl::StatusOr<minik8s::pki::ClusterPkiPaths> made =
          minik8s::pki::EnsureClusterPki(dir_.Join("pki"), {});
      if (!made.ok()) return made.status();
      pki = *std::move(made);
      store_options.tls = {.ca_file = pki.ca.cert,
                           .server_cert = pki.store.cert,
                           .server_key = pki.store.key,
                           .client_cert = pki.apiserver_etcd_client.cert,
                           .client_key = pki.apiserver_etcd_client.key};
      // As cluster/plan.cc passes them to the apiserver of `minik8s up`.
      security_flags = {"--tls-cert-file=" + pki.apiserver_bundle,
                        "--tls-private-key-file=" + pki.apiserver.key,
                        "--client-ca-file=" + pki.ca.cert,
                        "--enable-bootstrap-token-auth",
                        "--authorization-mode=Node,RBAC",
                        "--enable-admission-plugins=NodeRestriction",
                        "--kubelet-certificate-authority=" + pki.ca.cert,
                        "--kubelet-client-certificate=" + pki.apiserver_kubelet_client.cert,
                        "--kubelet-client-key=" + pki.apiserver_kubelet_client.key,
                        "--service-account-key-file=" + pki.service_account_public_key,
                        "--service-account-signing-key-file=" + pki.service_account_key,
                        "--service-account-issuer=https://kubernetes.default.svc.cluster.local"};
      if (!store_options.unix_socket) {
        security_flags.insert(
            security_flags.end(),
            {"--etcd-cafile=" + pki.ca.cert, "--etcd-certfile=" + pki.apiserver_etcd_client.cert,
             "--etcd-keyfile=" + pki.apiserver_etcd_client.key});
      }
      admin_tls = TlsClientFiles{
          .ca_file = pki.ca.cert, .cert_file = pki.admin.cert, .key_file = pki.admin.key};
    }
    store_ = std::make_unique<minik8s::testing::StoreBackend>(store_options);
    if (absl::Status s = store_->Start(); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("the store did not start: ", s.message()));
    }
    absl::StatusOr<int> port;
    do {
      port = minik8s::PickFreeLoopbackPort();
      if (!port.ok()) return port.status();
    } while (*port == store_->client_port());
    port_ = *port;
    store_endpoint_ = store_options.unix_socket ? store_->unix_endpoint() : store_->endpoint();
    std::vector<std::string> args = {options.apiserver_bin, "--etcd-servers=" + store_endpoint_,
                                     absl::StrCat("--secure-port=", port_)};
    grpc_port_ = port_;
    if (security_ == Security::kOn && options.own_grpc_port) {
      absl::StatusOr<int> grpc_port;
      do {
        grpc_port = minik8s::PickFreeLoopbackPort();
        if (!grpc_port.ok()) return grpc_port.status();
      } while (*grpc_port == store_->client_port() || *grpc_port == port_);
      grpc_port_ = *grpc_port;
      args.push_back(absl::StrCat("--grpc-port=", grpc_port_));
    }
    args.insert(args.end(), security_flags.begin(), security_flags.end());
    args.insert(args.end(), options.apiserver_flags.begin(), options.apiserver_flags.end());
    if (absl::Status s = apiserver_.Start(args, apiserver_log()); !s.ok()) return s;

    // The admin (anonymous when off) makes the namespaces and the grants.
    absl::StatusOr<std::shared_ptr<grpc::Channel>> admin_channel = Dial(port_, admin_tls);
    if (!admin_channel.ok()) return admin_channel.status();
    auto admin = v1::ApiServer::NewStub(*admin_channel);
    grpc::Status last;
    for (const char* name : kBenchNamespaces) {
      minik8s::core::v1::Namespace ns;
      ns.mutable_metadata()->set_name(name);
      const bool created = minik8s::testing::WaitFor(
          [&] {
            last = CreateObject(admin.get(), "namespaces", "", ns.SerializeAsString());
            return last.ok() || last.error_code() == grpc::StatusCode::ALREADY_EXISTS ||
                   apiserver_.Exited();
          },
          absl::Seconds(30));
      if (apiserver_.Exited()) return absl::UnavailableError("the apiserver exited");
      if (!created) return FromGrpc(absl::StrCat("creating namespace ", name), last);
      // Its `default` ServiceAccount, which the controller-manager would
      // make: with security on, pod admission looks it up and mounts its
      // token volume into every pod, as Kubernetes'.
      minik8s::core::v1::ServiceAccount account;
      account.mutable_metadata()->set_name("default");
      account.mutable_metadata()->set_namespace_(name);
      last = CreateObject(admin.get(), "serviceaccounts", name, account.SerializeAsString());
      if (!last.ok() && last.error_code() != grpc::StatusCode::ALREADY_EXISTS) {
        return FromGrpc(absl::StrCat("creating ServiceAccount ", name, "/default"), last);
      }
    }
    if (security_ == Security::kOn) {
      absl::StatusOr<minik8s::pki::CertKeyPaths> user =
          minik8s::testing::IssueClientCertificate(pki.ca, dir_.path(), kBenchUser, {});
      if (!user.ok()) return user.status();
      user_tls_ =
          TlsClientFiles{.ca_file = pki.ca.cert, .cert_file = user->cert, .key_file = user->key};
      for (const char* ns : kBenchNamespaces) {
        if (absl::Status s = Grant(admin.get(), ns); !s.ok()) return s;
      }
    }
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = Dial(grpc_port_, user_tls_);
    if (!channel.ok()) return channel.status();
    stub_ = v1::ApiServer::NewStub(*channel);
    http_.port = port_;
    if (security_ == Security::kOn) {
      absl::StatusOr<std::shared_ptr<minik8s::bench::HttpTlsContext>> tls =
          minik8s::bench::MakeHttpTlsContext(*user_tls_);
      if (!tls.ok()) return tls.status();
      http_.tls = *std::move(tls);
      // RBAC reads the grants from its watch caches: wait until they hold.
      for (const char* ns : kBenchNamespaces) {
        if (!minik8s::testing::WaitFor(
                [&] {
                  last = ListPods(stub_.get(), ns);
                  return last.ok();
                },
                absl::Seconds(10))) {
          return FromGrpc(absl::StrCat(kBenchUser, " lists the pods of ", ns), last);
        }
      }
      // The user is no admin: outside its grants it is refused.
      last = CreateObject(stub_.get(), "pods", "default", PodBytes("default", "not-allowed"));
      if (last.error_code() != grpc::StatusCode::PERMISSION_DENIED) {
        return FromGrpc(absl::StrCat("authorization is not in force: ", kBenchUser,
                                     " creating a pod in default should be PERMISSION_DENIED, got"),
                        last);
      }
    }
    return absl::OkStatus();
  }

  // A Role allowing what the phases do with pods in `ns`, bound to kBenchUser.
  static absl::Status Grant(v1::ApiServer::Stub* admin, const std::string& ns) {
    minik8s::rbac::v1::Role role;
    role.mutable_metadata()->set_name(kBenchUser);
    auto* rule = role.add_rules();
    rule->add_api_groups("");
    rule->add_resources("pods");
    for (const char* verb : {"create", "get", "list", "watch"}) rule->add_verbs(verb);
    grpc::Status s = CreateObject(admin, "roles", ns, role.SerializeAsString());
    if (!s.ok()) return FromGrpc(absl::StrCat("creating Role ", ns, "/", kBenchUser), s);
    minik8s::rbac::v1::RoleBinding binding;
    binding.mutable_metadata()->set_name(kBenchUser);
    binding.mutable_role_ref()->set_api_group("rbac.authorization.k8s.io");
    binding.mutable_role_ref()->set_kind("Role");
    binding.mutable_role_ref()->set_name(kBenchUser);
    auto* subject = binding.add_subjects();
    subject->set_kind("User");
    subject->set_api_group("rbac.authorization.k8s.io");
    subject->set_name(kBenchUser);
    s = CreateObject(admin, "rolebindings", ns, binding.SerializeAsString());
    if (!s.ok()) return FromGrpc(absl::StrCat("creating RoleBinding ", ns, "/", kBenchUser), s);
    return absl::OkStatus();
  }

  const Security security_;
  minik8s::testing::TempDir dir_;
  std::unique_ptr<minik8s::testing::StoreBackend> store_;
  minik8s::testing::Subprocess apiserver_;
  int port_ = 0;
  int grpc_port_ = 0;
  std::string store_endpoint_;
  std::optional<TlsClientFiles> user_tls_;  // on: kBenchUser's certificate
  std::unique_ptr<v1::ApiServer::Stub> stub_;
  HttpEndpoint http_;
};

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
      "apiserver CPU %% | apiserver CPU µs/create | bench CPU µs/create | transport | load |\n",
      rate);
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|\n");
  for (const PhaseResult& r : phases) {
    const double ok = static_cast<double>(std::max<int64_t>(r.ok, 1));
    std::printf("| %s | %lld | %lld | %.0f | %.2f | %.2f | %.2f | %.0f | %.0f | %.0f | %s | %s |\n",
                r.name.c_str(), static_cast<long long>(r.ok),
                static_cast<long long>(r.errors + r.unfinished),
                PerSecond(static_cast<double>(r.ok), r.seconds), r.p50_ms, r.p99_ms, r.max_ms,
                PerSecond(100 * r.apiserver_cpu, r.seconds), 1e6 * r.apiserver_cpu / ok,
                1e6 * r.bench_cpu / ok, r.transport.c_str(), r.load.c_str());
  }
}

// The open loops of one front end and security mode, every round together.
struct OpenLoopSummary {
  int64_t creates = 0;
  int64_t errors = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double round_p99_min = 0;
  double round_p99_max = 0;
  // The median of the rounds' p99s: unlike the pooled p99, one round hit by
  // a stall of the shared machine does not decide it.
  double round_p99_median = 0;
  double apiserver_us_per_create = 0;
  double bench_us_per_create = 0;
  int rounds = 0;
};

OpenLoopSummary Summarize(const std::vector<PhaseResult>& phases, const std::string& front_end,
                          const std::string& security) {
  OpenLoopSummary s;
  std::vector<double> all, round_p99s;
  double apiserver_cpu = 0, bench_cpu = 0;
  for (const PhaseResult& r : phases) {
    if (r.front_end != front_end || r.security != security) continue;
    all.insert(all.end(), r.latencies_ms.begin(), r.latencies_ms.end());
    s.creates += r.ok;
    s.errors += r.errors + r.unfinished;
    apiserver_cpu += r.apiserver_cpu;
    bench_cpu += r.bench_cpu;
    s.round_p99_min = s.rounds == 0 ? r.p99_ms : std::min(s.round_p99_min, r.p99_ms);
    s.round_p99_max = s.rounds == 0 ? r.p99_ms : std::max(s.round_p99_max, r.p99_ms);
    round_p99s.push_back(r.p99_ms);
    ++s.rounds;
  }
  s.round_p99_median = Percentile(&round_p99s, 0.5);
  s.p50_ms = Percentile(&all, 0.50);
  s.p99_ms = Percentile(&all, 0.99);
  const double creates = static_cast<double>(std::max<int64_t>(s.creates, 1));
  s.apiserver_us_per_create = 1e6 * apiserver_cpu / creates;
  s.bench_us_per_create = 1e6 * bench_cpu / creates;
  return s;
}

std::string Change(double on, double off) {
  return off > 0 ? absl::StrFormat("%+.0f %%", 100 * (on / off - 1)) : std::string("-");
}

// Security off against on, per front end: p50 and p99 over every round's
// creates pooled, the p99 of each round (range and median), CPU per create,
// and on's change against off.
void PrintSecurityComparison(const std::vector<PhaseResult>& open,
                             const std::vector<std::string>& front_ends) {
  std::printf(
      "| Front end | security | creates | errors | p50 ms | p99 ms | p99 ms per round | p99 ms, "
      "median round | apiserver CPU µs/create | bench CPU µs/create | p50 vs off | p99 (median "
      "round) vs off | apiserver CPU vs off |\n");
  std::printf("|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|\n");
  for (const std::string& f : front_ends) {
    const OpenLoopSummary off = Summarize(open, f, SecurityLabel(Security::kOff));
    const OpenLoopSummary on = Summarize(open, f, SecurityLabel(Security::kOn));
    for (const auto& [label, s] : {std::pair{"off", off}, std::pair{"on", on}}) {
      const bool is_on = std::string(label) == "on";
      std::printf(
          "| %s | %s | %lld | %lld | %.2f | %.2f | %.2f–%.2f | %.2f | %.0f | %.0f | %s | %s | %s "
          "|\n",
          f.c_str(), label, static_cast<long long>(s.creates), static_cast<long long>(s.errors),
          s.p50_ms, s.p99_ms, s.round_p99_min, s.round_p99_max, s.round_p99_median,
          s.apiserver_us_per_create, s.bench_us_per_create,
          is_on ? Change(s.p50_ms, off.p50_ms).c_str() : "",
          is_on ? Change(s.round_p99_median, off.round_p99_median).c_str() : "",
          is_on ? Change(s.apiserver_us_per_create, off.apiserver_us_per_create).c_str() : "");
    }
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
  // CPU time per event delivered to one watcher (the creates included): what
  // the fan-out costs whatever the machine's load, unlike events/s.
  row("apiserver / bench CPU per event delivered (µs)", [](const FanOutResult& f) {
    return f.delivered == 0 ? std::string("-")
                            : absl::StrFormat("%.2f / %.2f", 1e6 * f.apiserver_cpu / f.delivered,
                                              1e6 * f.bench_cpu / f.delivered);
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
  // The load generator is as lean as the daemons it measures.
  minik8s::TurnOffMutexDeadlockDetection();
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
  std::vector<std::string> security_flags = {"off"};
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
  app.add_option(
         "--security", security_flags,
         "off: plaintext, no authentication, AlwaysAllow (the apiserver's defaults). on: as "
         "`minik8s up` runs it: the store and the apiserver on TLS with client certificates "
         "from a cluster CA, --authorization-mode=Node,RBAC and NodeRestriction; the load "
         "generator is the user apiserver-bench, allowed by RBAC to create, get, list and watch "
         "pods in the bench namespaces. off,on: both side by side (two store + apiserver pairs), "
         "every phase run against one then the other, and compared")
      ->delimiter(',')
      ->check(CLI::IsMember({"off", "on"}))
      ->capture_default_str();
  std::string grpc_listener = "own";
  app.add_option("--grpc-listener", grpc_listener,
                 "With --security=on, where the gRPC load goes: own: the apiserver's own gRPC "
                 "port (--grpc-port, gRPC's TLS), as `minik8s up`'s components; shared: its main "
                 "port, whose TLS relays gRPC connections to the gRPC server")
      ->check(CLI::IsMember({"own", "shared"}))
      ->capture_default_str();
  std::string store_transport = "socket";
  app.add_option("--store-transport", store_transport,
                 "How the apiserver reaches minik8s-store: socket: its unix socket, plaintext, "
                 "as `minik8s up` runs them (--store-socket); tcp: its TCP port, on TLS with "
                 "the apiserver's client certificate when security is on. An etcd backend is "
                 "always reached over TCP")
      ->check(CLI::IsMember({"socket", "tcp"}))
      ->capture_default_str();
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
  std::vector<Security> modes;
  for (const std::string& m : security_flags) {
    const Security mode = m == "on" ? Security::kOn : Security::kOff;
    if (std::find(modes.begin(), modes.end(), mode) == modes.end()) modes.push_back(mode);
  }
  const bool grpc_selected = front_ends.count(FrontEnd::kGrpc) > 0;
  const bool rest_selected = front_ends.size() > (grpc_selected ? 1u : 0u);
  RaiseOpenFilesLimit();
  const std::string load_before = LoadAverage();

  // One store + apiserver pair per security mode, all running for the whole
  // run. Every phase then runs against each in turn (in round r of the open
  // loops, in reverse order when r is even), so that a noisy moment of the
  // shared machine does not hit one mode only.
  const TargetOptions target_options{.backend = backend == "etcd"
                                                    ? minik8s::testing::BackendKind::kEtcd
                                                    : minik8s::testing::BackendKind::kMinik8sStore,
                                     .apiserver_bin = apiserver_bin,
                                     .apiserver_flags = apiserver_flags,
                                     .own_grpc_port = grpc_listener == "own",
                                     .store_socket = store_transport == "socket"};
  std::vector<std::unique_ptr<Target>> targets;
  for (Security mode : modes) {
    absl::StatusOr<std::unique_ptr<Target>> target = Target::Start(mode, target_options);
    if (!target.ok()) {
      std::fprintf(stderr, "%s\n", std::string(target.status().message()).c_str());
      return 1;
    }
    std::fprintf(stderr,
                 "%s: apiserver on 127.0.0.1:%d (gRPC load to port %d, store at %s), log %s\n",
                 (*target)->label(), (*target)->port(), (*target)->grpc_port(),
                 (*target)->store_endpoint().c_str(), (*target)->apiserver_log().c_str());
    targets.push_back(*std::move(target));
  }
  auto fail = [&](const Target& t, const std::string& what, const absl::Status& s) {
    std::fprintf(stderr, "%s, %s: %s\napiserver log: %s\n", t.label(), what.c_str(),
                 std::string(s.message()).c_str(), t.apiserver_log().c_str());
    return 1;
  };
  // A phase's label: the phase, and the security mode when there are two.
  auto with_mode = [&](std::string name, const Target& t) {
    if (targets.size() > 1) absl::StrAppend(&name, ", ", t.label());
    return name;
  };

  const absl::Duration phase = absl::Seconds(phase_seconds);
  // Warm up connections and caches.
  for (auto& t : targets) ClosedLoop(t->stub(), 4, absl::Milliseconds(500));
  std::vector<PhaseResult> closed;
  if (grpc_selected && closed_loop) {
    for (int clients : {1, 16, 256}) {
      for (auto& t : targets) {
        const double cpu = ProcCpuSeconds(t->pid());
        closed.push_back(ClosedLoop(t->stub(), clients, phase));
        closed.back().apiserver_cpu = ProcCpuSeconds(t->pid()) - cpu;
        closed.back().name = with_mode(closed.back().name, *t);
        std::fprintf(stderr, "%s done\n", closed.back().name.c_str());
      }
    }
  }

  // Open loops: one client (gRPC channel or REST connection pool) per front
  // end and apiserver for the whole run, checked and warmed before the first
  // round.
  struct Client {
    FrontEnd front_end;
    Target* target;
    std::unique_ptr<HttpConnectionPool> pool;
    CreateFn create;
    std::string transport;
  };
  std::vector<Client> clients;
  for (FrontEnd f : front_ends) {
    for (auto& t : targets) {
      Client c{f, t.get(), nullptr, nullptr, ""};
      const char* tls = t->http().tls != nullptr ? " TLS" : "";
      if (f == FrontEnd::kGrpc) {
        c.create = GrpcCreate(t->stub());
        c.transport = absl::StrCat("1 HTTP/2", tls, " channel");
      } else {
        absl::StatusOr<std::unique_ptr<HttpConnectionPool>> pool =
            HttpConnectionPool::Open(t->http(), rest_connections, 1);
        if (!pool.ok()) return fail(*t, "REST connections", pool.status());
        c.pool = std::move(*pool);
        if (absl::Status s = CheckRestCreate(c.pool.get(), f); !s.ok()) {
          return fail(*t, absl::StrCat(FrontEndLabel(f), " create"), s);
        }
        c.create = RestCreate(c.pool.get(), f);
        OpenLoop("warm-up", c.create, rate, absl::Milliseconds(300), t->pid());
        c.transport = absl::StrCat(rest_connections, " keep-alive HTTP/1.1", tls, " connections");
      }
      clients.push_back(std::move(c));
    }
  }
  std::vector<PhaseResult> open;
  for (int round = 1; round <= rounds; ++round) {
    for (FrontEnd f : front_ends) {
      std::vector<Client*> order;
      for (Client& c : clients) {
        if (c.front_end == f) order.push_back(&c);
      }
      if (round % 2 == 0) std::reverse(order.begin(), order.end());
      for (Client* c : order) {
        std::string name = with_mode(FrontEndLabel(f), *c->target);
        if (rounds > 1) absl::StrAppend(&name, " (round ", round, ")");
        open.push_back(OpenLoop(name, c->create, rate, phase, c->target->pid()));
        open.back().transport = c->transport;
        open.back().front_end = FrontEndLabel(f);
        open.back().security = c->target->label();
        std::fprintf(stderr, "open loop, %s done\n", name.c_str());
      }
    }
  }
  for (Client& c : clients) {
    if (c.pool != nullptr && c.pool->reconnects() > 0) {
      std::fprintf(stderr, "%s, %s: %lld connections reopened after the server closed them\n",
                   FrontEndLabel(c.front_end), c.target->label(),
                   static_cast<long long>(c.pool->reconnects()));
    }
  }
  clients.clear();

  std::vector<FanOutResult> fans;
  if (grpc_selected) {
    for (auto& t : targets) {
      fans.push_back(RunFanOut(
          with_mode("gRPC", *t),
          batches ? "streams, batch messages" : "streams, one event per message",
          [&] { return std::make_unique<GrpcWatcherSet>(t->stub(), "fanout", watchers, batches); },
          t->stub(), "fanout", watchers, fanout_pods, fanout_clients, t->pid()));
      std::fprintf(stderr, "%s fan-out done\n", fans.back().label.c_str());
    }
  }
  if (rest_selected) {
    for (auto& t : targets) {
      absl::StatusOr<std::string> rv =
          ListResourceVersion(t->port(), t->http_files(), "fanout-rest");
      if (!rv.ok()) return fail(*t, "list before the REST watches", rv.status());
      const std::string target =
          absl::StrCat("/api/v1/namespaces/fanout-rest/pods?watch=true&resourceVersion=", *rv,
                       "&timeoutSeconds=600");
      fans.push_back(RunFanOut(
          with_mode("REST (JSON)", *t), "a connection each",
          [&] {
            return std::make_unique<RestWatcherSet>(t->http(), target, watchers,
                                                    rest_watch_threads);
          },
          t->stub(), "fanout-rest", watchers, fanout_pods, fanout_clients, t->pid()));
      std::fprintf(stderr, "%s fan-out done\n", fans.back().label.c_str());
    }
  }
  std::vector<int64_t> hwm_kb;
  for (auto& t : targets) hwm_kb.push_back(ProcStatusKb(t->pid(), "VmHWM"));
  const std::string load_after = LoadAverage();

  std::string mode_names;
  for (auto& t : targets)
    absl::StrAppend(&mode_names, mode_names.empty() ? "" : " and ", t->label());
  std::printf("\nminik8s-apiserver over %s (%s, %s); load average before %s, after %s\n",
              backend.c_str(), quick ? "quick" : "full", mode_names.c_str(), load_before.c_str(),
              load_after.c_str());
  if (!closed.empty()) {
    std::printf("\n");
    PrintClosedLoop(closed);
  }
  std::printf("\n");
  PrintOpenLoop(open, rate);
  std::vector<std::string> front_end_labels;
  for (FrontEnd f : front_ends) front_end_labels.push_back(FrontEndLabel(f));
  if (targets.size() > 1) {
    std::printf("\n");
    PrintSecurityComparison(open, front_end_labels);
  }
  std::printf("\n");
  PrintFanOut(fans);

  std::printf("\n| Target | measured | met |\n|---|---:|---|\n");
  for (const PhaseResult& r : open) {
    const double achieved = PerSecond(static_cast<double>(r.ok), r.seconds);
    const bool rate_ok = achieved >= 0.95 * rate && r.errors + r.unfinished == 0;
    std::printf("| create p99 <= 10 ms at %d/s, %s | %.2f ms (%.0f/s) | %s |\n", rate,
                r.name.c_str(), r.p99_ms, achieved, r.p99_ms <= 10 && rate_ok ? "yes" : "no");
  }
  if (targets.size() > 1) {
    // Issue #14: security must not cost more than 10 % of the create p99.
    for (const std::string& f : front_end_labels) {
      const OpenLoopSummary off = Summarize(open, f, SecurityLabel(Security::kOff));
      const OpenLoopSummary on = Summarize(open, f, SecurityLabel(Security::kOn));
      // Judged on the median of the rounds' p99s (see OpenLoopSummary).
      std::printf(
          "| create p99 with security on within 10 %% of off, %s (median of %d rounds' p99) | "
          "%.2f vs %.2f ms (%s) | %s |\n",
          f.c_str(), on.rounds, on.round_p99_median, off.round_p99_median,
          Change(on.round_p99_median, off.round_p99_median).c_str(),
          on.round_p99_median <= 1.1 * off.round_p99_median && on.errors == 0 ? "yes" : "no");
    }
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
  std::printf("\n");
  for (size_t i = 0; i < targets.size(); ++i) {
    std::printf("peak apiserver RSS (VmHWM), %s: %.1f MiB\n", targets[i]->label(),
                static_cast<double>(hwm_kb[i]) / 1024);
  }

  targets.clear();
  return 0;
}
