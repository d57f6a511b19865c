// apiserver_bench: create-pod latency/throughput and watch fan-out of
// minik8s-apiserver over a real store.
//
//   1. start minik8s-store (or etcd, --backend etcd) and minik8s-apiserver on
//      free loopback ports in a TempDir;
//   2. closed loop: 1, 16 and 256 concurrent clients each create pods one
//      after the other for --phase-seconds; latency p50/p99 and creates/s;
//   3. open loop: creates paced at --rate (1,000/s) for --phase-seconds;
//      latency p50/p99 against the target (p99 <= 10 ms);
//   4. fan-out: --watchers (1,000) pod watch streams on one namespace, then
//      --fanout-pods pods created there; events delivered per second in
//      total, from the first create until every watcher saw every pod,
//      against the target (>= 100,000 events/s);
//   5. peak apiserver RSS (VmHWM).
//
// Every client is a gRPC callback-API call (no thread per client).
//
//   apiserver_bench [--quick] [--backend minik8s-store|etcd] [--watchers 1000]
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <csignal>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "apiserver/v1/apiserver.grpc.pb.h"
#include "bench/proc_stats.h"
#include "common/net.h"
#include "k8s/core/v1/core.pb.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"
#include "tests/store/e2e/store_backend.h"

namespace {

namespace v1 = ::minik8s::apiserver::v1;
using minik8s::core::v1::Pod;

std::string PodBytes(const std::string& ns, const std::string& name) {
  Pod p;
  p.set_api_version("v1");
  p.set_kind("Pod");
  p.mutable_metadata()->set_name(name);
  p.mutable_metadata()->set_namespace_(ns);
  (*p.mutable_metadata()->mutable_labels())["app"] = "bench";
  auto* c = p.mutable_spec()->add_containers();
  c->set_name("app");
  c->set_image("nginx:1.25");
  return p.SerializeAsString();
}

using minik8s::bench::ProcCpuSeconds;
using minik8s::bench::ProcStatusKb;

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
    stub->async()->Create(&call->context_, &call->request_, &call->response_,
                          [call](grpc::Status status) {
                            const absl::Duration latency = absl::Now() - call->start_;
                            static std::atomic<int> logged{0};
                            if (!status.ok() && logged++ < 5) {
                              std::fprintf(stderr, "create failed: %s\n",
                                           status.error_message().c_str());
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

// Creates paced at `rate` per second for `duration`.
PhaseResult OpenLoop(v1::ApiServer::Stub* stub, int rate, absl::Duration duration) {
  auto stats = std::make_shared<PhaseStats>();
  const absl::Time start = absl::Now();
  const int64_t total = static_cast<int64_t>(rate * absl::ToDoubleSeconds(duration));
  int64_t issued = 0;
  while (issued < total) {
    const int64_t due = std::min<int64_t>(
        total, static_cast<int64_t>(absl::ToDoubleSeconds(absl::Now() - start) * rate) + 1);
    for (; issued < due; ++issued) {
      stats->Issued();
      CreateCall::Start(stub, "bench", NextPodName("o"), [stats](bool ok, absl::Duration latency) {
        stats->Record(ok, latency);
      });
    }
    absl::SleepFor(absl::Microseconds(500));
  }
  const absl::Duration issuing = absl::Now() - start;
  stats->WaitIdle();
  return Finish(absl::StrCat("open loop, ", rate, "/s"), stats.get(), issuing);
}

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

struct FanOutResult {
  int watchers = 0;
  int started = 0;
  int pods = 0;
  int64_t expected = 0;
  int64_t delivered = 0;
  int ended_early = 0;
  double create_seconds = 0;
  double deliver_seconds = 0;
  // CPU seconds of the apiserver from the first create until the check for
  // the last event (the watches were registered before).
  double apiserver_cpu = 0;
  std::string first_error;
};

FanOutResult FanOut(v1::ApiServer::Stub* stub, int watchers, int pods, int create_clients,
                    bool batches, pid_t apiserver_pid) {
  FanOutResult r;
  r.watchers = watchers;
  r.pods = pods;
  r.expected = static_cast<int64_t>(watchers) * pods;
  std::atomic<int64_t> events{0};
  std::atomic<int> started{0}, ended{0};
  std::vector<std::unique_ptr<WatchReader>> readers;
  readers.reserve(watchers);
  for (int i = 0; i < watchers; ++i) {
    readers.push_back(
        std::make_unique<WatchReader>(stub, "fanout", batches, &events, &started, &ended));
  }
  minik8s::testing::WaitFor([&] { return started.load() + ended.load() >= watchers; },
                            absl::Seconds(60));
  r.started = started.load();

  auto stats = std::make_shared<PhaseStats>();
  stats->stub = stub;
  stats->ns = "fanout";
  stats->prefix = "f";
  stats->limit = pods;
  const double cpu_at_start = ProcCpuSeconds(apiserver_pid);
  const absl::Time start = absl::Now();
  for (int i = 0; i < create_clients; ++i) IssueNext(stats);
  stats->WaitIdle();
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
    const int64_t now_count = events.load();
    if (now_count != last) {
      last = now_count;
      last_change = absl::Now();
      last_event_time = last_change;
    }
    if (now_count >= expected || absl::Now() - last_change > absl::Seconds(5)) break;
    absl::SleepFor(absl::Milliseconds(2));
  }
  r.deliver_seconds = absl::ToDoubleSeconds(last_event_time - start);
  r.apiserver_cpu = ProcCpuSeconds(apiserver_pid) - cpu_at_start;
  r.delivered = events.load();
  r.expected = expected;
  r.ended_early = ended.load();
  for (auto& reader : readers) reader->Cancel();
  for (auto& reader : readers) {
    reader->WaitDone();
    grpc::Status s = reader->status();
    if (r.first_error.empty() && !s.ok() && s.error_code() != grpc::StatusCode::CANCELLED) {
      r.first_error = s.error_message();
    }
  }
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"apiserver_bench: create-pod latency and watch fan-out of minik8s-apiserver"};
  bool quick = false;
  std::string backend = "minik8s-store";
  double phase_seconds = 5;
  int rate = 1000;
  int watchers = 1000;
  int fanout_pods = 1000;
  int fanout_clients = 16;
  std::vector<std::string> apiserver_flags;
  bool batches = true;
  app.add_flag("--quick", quick, "Short phases, 100 watchers, 100 pods (a smoke run)");
  app.add_option("--backend", backend, "minik8s-store or etcd")
      ->check(CLI::IsMember({"minik8s-store", "etcd"}));
  app.add_option("--phase-seconds", phase_seconds, "Length of each create phase");
  app.add_option("--rate", rate, "Creates per second of the open-loop phase");
  app.add_option("--watchers", watchers, "Pod watch streams of the fan-out phase");
  app.add_option("--fanout-pods", fanout_pods, "Pods created in the fan-out phase");
  app.add_option("--fanout-clients", fanout_clients, "Concurrent creates in the fan-out phase");
  app.add_flag("--watch-batches,!--no-watch-batches", batches,
               "Fan-out watchers allow batch messages (several events per message), as the "
               "client library's watches do; --no-watch-batches: one event per message");
  app.add_option("--apiserver-flag", apiserver_flags, "Extra minik8s-apiserver flag (repeatable)");
  CLI11_PARSE(app, argc, argv);
  if (quick) {
    phase_seconds = 1;
    watchers = std::min(watchers, 100);
    fanout_pods = std::min(fanout_pods, 100);
  }

  using minik8s::storetest::BackendKind;
  minik8s::storetest::StoreBackend store(minik8s::storetest::StoreBackend::Options{
      .kind = backend == "etcd" ? BackendKind::kEtcd : BackendKind::kMinik8sStore});
  if (absl::Status s = store.Start(); !s.ok()) {
    std::fprintf(stderr, "store did not start: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  minik8s::testing::TempDir dir;
  minik8s::testing::Subprocess apiserver;
  absl::StatusOr<int> port = minik8s::PickFreeLoopbackPort();
  if (!port.ok()) return 1;
  std::vector<std::string> args = {minik8s::testing::BinPath("minik8s-apiserver"),
                                   "--etcd-servers=" + store.endpoint(),
                                   absl::StrCat("--port=", *port)};
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
      !create_namespace("fanout")) {
    std::fprintf(stderr, "apiserver not ready; log in %s\n", dir.Join("apiserver.log").c_str());
    return 1;
  }

  const absl::Duration phase = absl::Seconds(phase_seconds);
  std::vector<PhaseResult> phases;
  // Warm up connections and caches.
  ClosedLoop(stub.get(), 4, absl::Milliseconds(500));
  const pid_t pid = apiserver.pid();
  for (int clients : {1, 16, 256}) {
    const double cpu = ProcCpuSeconds(pid);
    phases.push_back(ClosedLoop(stub.get(), clients, phase));
    phases.back().apiserver_cpu = ProcCpuSeconds(pid) - cpu;
    std::fprintf(stderr, "%s done\n", phases.back().name.c_str());
  }
  double cpu = ProcCpuSeconds(pid);
  phases.push_back(OpenLoop(stub.get(), rate, phase));
  phases.back().apiserver_cpu = ProcCpuSeconds(pid) - cpu;
  std::fprintf(stderr, "%s done\n", phases.back().name.c_str());
  FanOutResult fan = FanOut(stub.get(), watchers, fanout_pods, fanout_clients, batches, pid);
  std::fprintf(stderr, "fan-out done\n");
  const int64_t hwm_kb = ProcStatusKb(apiserver.pid(), "VmHWM");

  std::printf("\nminik8s-apiserver over %s (%s)\n\n", backend.c_str(),
              quick ? "quick" : "full");
  std::printf(
      "| Phase | creates | errors | creates/s | p50 ms | p99 ms | max ms | apiserver CPU %% |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const PhaseResult& r : phases) {
    std::printf("| %s | %lld | %lld | %.0f | %.2f | %.2f | %.2f | %.0f |\n", r.name.c_str(),
                static_cast<long long>(r.ok), static_cast<long long>(r.errors),
                r.seconds > 0 ? static_cast<double>(r.ok) / r.seconds : 0.0, r.p50_ms, r.p99_ms,
                r.max_ms, r.seconds > 0 ? 100 * r.apiserver_cpu / r.seconds : 0.0);
  }
  const PhaseResult& open = phases.back();
  const double events_per_s =
      fan.deliver_seconds > 0 ? static_cast<double>(fan.delivered) / fan.deliver_seconds : 0;
  std::printf("\n| Fan-out | value |\n|---|---:|\n");
  std::printf("| watch streams started | %d / %d (%s) |\n", fan.started, fan.watchers,
              batches ? "batch messages" : "one event per message");
  std::printf("| pods created | %d (%.2f s) |\n", fan.pods, fan.create_seconds);
  std::printf("| events delivered / expected | %lld / %lld |\n",
              static_cast<long long>(fan.delivered), static_cast<long long>(fan.expected));
  std::printf("| first create -> last event (s) | %.2f |\n", fan.deliver_seconds);
  std::printf("| events/s (all watchers) | %.0f |\n", events_per_s);
  std::printf("| apiserver CPU during fan-out (%% of one core) | %.0f |\n",
              fan.deliver_seconds > 0 ? 100 * fan.apiserver_cpu / fan.deliver_seconds : 0.0);
  if (!fan.first_error.empty()) {
    std::printf("| first watch error | %s |\n", fan.first_error.c_str());
  }
  std::printf("\n| Target | measured | met |\n|---|---:|---|\n");
  const bool rate_ok = open.seconds > 0 && open.ok / open.seconds >= 0.95 * rate;
  std::printf("| create p99 <= 10 ms at %d/s | %.2f ms (%.0f/s) | %s |\n", rate, open.p99_ms,
              open.seconds > 0 ? open.ok / open.seconds : 0.0,
              open.p99_ms <= 10 && rate_ok ? "yes" : "no");
  std::printf("| %d watchers >= 100,000 events/s | %.0f | %s |\n", fan.watchers, events_per_s,
              events_per_s >= 100000 && fan.delivered >= fan.expected ? "yes" : "no");
  std::printf("\npeak apiserver RSS (VmHWM): %.1f MiB\n", static_cast<double>(hwm_kb) / 1024);

  apiserver.Stop(SIGTERM, absl::Seconds(10));
  return 0;
}
