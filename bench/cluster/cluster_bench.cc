// cluster_bench: the headline benchmark — a whole minik8s cluster started by
// `minik8s up` with --scale-nodes simulated nodes, then one Deployment of
// --replicas pods, timed until every pod is Running.
//
//   1. start `<bin>/minik8s up --nodes 0 --scale-nodes N` on a free port base
//      and a temp data dir, and wait until it reports every node Ready;
//   2. start a pod watcher (PodTracker), an API latency probe (ApiProbe) and
//      a sampler of per-daemon CPU and RSS (/proc of the pids in the state
//      file), then create the Deployment;
//   3. wait until the watcher has seen every pod Running, or --timeout, or
//      no progress for --stall-timeout;
//   4. read each daemon's peak RSS (VmHWM), stop the cluster (SIGINT to
//      `minik8s up`, `minik8s down` as a fallback), and print the results
//      table, the per-daemon CPU/RSS table and the per-second timeline.
//
//   cluster_bench                          # 1,000 nodes, 10,000 replicas
//   cluster_bench --quick                  # 50 nodes, 500 replicas
//   cluster_bench --up-arg=--kubelet-arg=--workers=16
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "api/quantity.h"
#include "bench/cluster/api_probe.h"
#include "bench/cluster/bench_util.h"
#include "bench/cluster/pod_tracker.h"
#include "bench/cluster/store_census.h"
#include "bench/proc_stats.h"
#include "client/clientset.h"
#include "cluster/plan.h"
#include "cluster/state_file.h"
#include "cluster/supervisor.h"
#include "common/signals.h"
#include "common/tls.h"
#include "testing/file_util.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace {

using namespace minik8s;  // NOLINT
using minik8s::apps::v1::Deployment;
using minik8s::bench::ApiProbe;
using minik8s::bench::PodTimes;
using minik8s::bench::PodTracker;
using minik8s::bench::StoreCensus;
using minik8s::testing::ReadFile;

constexpr char kNamespace[] = "default";
constexpr char kDeployment[] = "bench";
constexpr char kSelector[] = "app=bench";
constexpr double kMiB = 1024.0;  // kB per MiB

struct Flags {
  int nodes = 1000;
  int replicas = 10000;
  bool quick = false;
  std::string bin_dir;
  int port_base = 0;
  double timeout_s = 300;
  double stall_s = 60;
  double start_timeout_s = 300;
  double stop_timeout_s = 30;
  double probe_interval_ms = 100;
  double sample_interval_s = 1;
  std::string log_level = "info";
  std::string cpu_request = "100m";
  std::string memory_request = "128Mi";
  std::vector<std::string> up_args;
  bool keep_data = false;
  bool no_token_volume = false;  // automountServiceAccountToken: false
  int direct_pods = 0;           // > 0: the bench creates the pods itself, this many at once
};

Deployment MakeDeployment(const Flags& f) {
  Deployment d;
  d.mutable_metadata()->set_name(kDeployment);
  d.mutable_metadata()->set_namespace_(kNamespace);
  d.mutable_spec()->set_replicas(f.replicas);
  (*d.mutable_spec()->mutable_selector()->mutable_match_labels())["app"] = kDeployment;
  auto* tmpl = d.mutable_spec()->mutable_template_();
  (*tmpl->mutable_metadata()->mutable_labels())["app"] = kDeployment;
  if (f.no_token_volume) tmpl->mutable_spec()->set_automount_service_account_token(false);
  auto* c = tmpl->mutable_spec()->add_containers();
  c->set_name("app");
  c->set_image("nginx:1.25");
  auto* req = c->mutable_resources()->mutable_requests();
  (*req)["cpu"] = api::Quantity::MustParse(f.cpu_request).ToProto();
  (*req)["memory"] = api::Quantity::MustParse(f.memory_request).ToProto();
  return d;
}

// --direct-pods: creates the Deployment's pods (its template, label
// app=bench, no owner) from `threads` threads, bypassing the controllers —
// to tell the ReplicaSet controller's creation rate from the pipeline's.
class DirectCreator {
 public:
  DirectCreator(client::Clientset* cs, const Deployment& d, int threads) {
    minik8s::core::v1::Pod pod;
    *pod.mutable_metadata() = d.spec().template_().metadata();
    pod.mutable_metadata()->set_namespace_(kNamespace);
    *pod.mutable_spec() = d.spec().template_().spec();
    const int total = d.spec().replicas();
    for (int t = 0; t < threads; ++t) {
      threads_.emplace_back([this, cs, pod, total] {
        minik8s::core::v1::Pod p = pod;
        for (int i = next_++; i < total && !stop_; i = next_++) {
          p.mutable_metadata()->set_name(absl::StrFormat("%s-%05d", kDeployment, i));
          auto created = cs->Pods().Create(p);
          if (!created.ok()) {
            absl::MutexLock l(&mu_);
            if (errors_++ == 0) first_error_ = created.status().ToString();
          }
        }
      });
    }
  }
  ~DirectCreator() { Stop(); }
  void Stop() {
    stop_ = true;
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  int errors() const {
    absl::MutexLock l(&mu_);
    return errors_;
  }
  std::string first_error() const {
    absl::MutexLock l(&mu_);
    return first_error_;
  }

 private:
  std::atomic<int> next_{0};
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
  mutable absl::Mutex mu_;
  int errors_ ABSL_GUARDED_BY(mu_) = 0;
  std::string first_error_ ABSL_GUARDED_BY(mu_);
};

// One daemon of the cluster, as the state file lists it.
struct Daemon {
  std::string name;
  pid_t pid = 0;
  bool control_plane = false;  // store, apiserver, controller-manager, scheduler
};

// What the sampler records every --sample-interval.
struct Sample {
  double t = 0;  // seconds since the Deployment create
  PodTracker::Counts counts;
  std::vector<double> cpu_s;    // cumulative CPU seconds per daemon (+ the bench, last)
  std::vector<int64_t> rss_kb;  // current RSS per daemon (+ the bench, last)
};

class Sampler {
 public:
  Sampler(const std::vector<Daemon>& daemons, const PodTracker* tracker, absl::Time t0,
          absl::Duration interval)
      : daemons_(daemons), tracker_(tracker), t0_(t0), interval_(interval) {}
  ~Sampler() { Stop(); }

  void Start() {
    TakeSample();
    thread_ = std::thread([this] {
      while (!stop_.WaitForNotificationWithTimeout(interval_)) TakeSample();
    });
  }
  void Stop() {
    if (stop_.HasBeenNotified()) return;
    stop_.Notify();
    if (thread_.joinable()) thread_.join();
    TakeSample();
  }
  std::vector<Sample> samples() const {
    absl::MutexLock l(&mu_);
    return samples_;
  }

 private:
  void TakeSample() {
    Sample s;
    s.t = absl::ToDoubleSeconds(absl::Now() - t0_);
    s.counts = tracker_->counts();
    for (const Daemon& d : daemons_) {
      s.cpu_s.push_back(bench::ProcCpuSeconds(d.pid));
      s.rss_kb.push_back(bench::ProcStatusKb(d.pid, "VmRSS"));
    }
    s.cpu_s.push_back(bench::ProcCpuSeconds(getpid()));
    s.rss_kb.push_back(bench::ProcStatusKb(getpid(), "VmRSS"));
    absl::MutexLock l(&mu_);
    samples_.push_back(std::move(s));
  }

  const std::vector<Daemon> daemons_;
  const PodTracker* const tracker_;
  const absl::Time t0_;
  const absl::Duration interval_;
  absl::Notification stop_;
  std::thread thread_;
  mutable absl::Mutex mu_;
  std::vector<Sample> samples_ ABSL_GUARDED_BY(mu_);
};

// Rows of "| metric | value |".
class Table {
 public:
  void Row(const std::string& metric, const std::string& value) {
    rows_.push_back({metric, value});
  }
  void Print() const {
    size_t w0 = 6, w1 = 5;
    for (const auto& [m, v] : rows_) {
      w0 = std::max(w0, m.size());
      w1 = std::max(w1, v.size());
    }
    std::printf("| %-*s | %*s |\n", static_cast<int>(w0), "metric", static_cast<int>(w1), "value");
    std::printf("|%s|%s:|\n", std::string(w0 + 2, '-').c_str(), std::string(w1 + 1, '-').c_str());
    for (const auto& [m, v] : rows_) {
      std::printf("| %-*s | %*s |\n", static_cast<int>(w0), m.c_str(), static_cast<int>(w1),
                  v.c_str());
    }
  }

 private:
  std::vector<std::pair<std::string, std::string>> rows_;
};

std::string Secs(double s) { return s < 0 ? "-" : absl::StrFormat("%.2f", s); }
std::string Ms(double ms) { return ms < 0 ? "-" : absl::StrFormat("%.1f", ms); }

// Seconds between two watcher times of every pod that has both.
std::vector<double> Durations(const std::vector<PodTimes>& pods, absl::Time PodTimes::*from,
                              absl::Time PodTimes::*to) {
  std::vector<double> out;
  for (const PodTimes& p : pods) {
    if (p.*from == absl::InfiniteFuture() || p.*to == absl::InfiniteFuture()) continue;
    out.push_back(absl::ToDoubleSeconds(p.*to - p.*from));
  }
  return out;
}

// Latest time of a field over the pods, as seconds after t0; -1 if some pod
// lacks it or there are fewer than `want` pods.
double LastAt(const std::vector<PodTimes>& pods, absl::Time PodTimes::*field, absl::Time t0,
              int want) {
  if (static_cast<int>(pods.size()) < want) return -1;
  absl::Time last = absl::InfinitePast();
  for (const PodTimes& p : pods) {
    if (p.*field == absl::InfiniteFuture()) return -1;
    last = std::max(last, p.*field);
  }
  return pods.empty() ? -1 : absl::ToDoubleSeconds(last - t0);
}

double FirstAt(const std::vector<PodTimes>& pods, absl::Time PodTimes::*field, absl::Time t0) {
  absl::Time first = absl::InfiniteFuture();
  for (const PodTimes& p : pods) first = std::min(first, p.*field);
  return first == absl::InfiniteFuture() ? -1 : absl::ToDoubleSeconds(first - t0);
}

void PrintTimeline(const std::vector<Daemon>& daemons, const std::vector<Sample>& samples) {
  std::printf(
      "\nTimeline (t = seconds since the Deployment create; counts as the watcher saw "
      "them; CPU as %% of one core over the previous interval; RSS now)\n\n");
  std::string header = absl::StrFormat("%7s %8s %8s %8s", "t", "created", "bound", "running");
  for (const Daemon& d : daemons) absl::StrAppend(&header, absl::StrFormat(" %11.11s", d.name));
  absl::StrAppend(&header, absl::StrFormat(" %11s %10s", "bench", "cp_rss_MiB"));
  std::printf("%s\n", header.c_str());
  for (size_t i = 1; i < samples.size(); ++i) {
    const Sample& a = samples[i - 1];
    const Sample& b = samples[i];
    const double dt = b.t - a.t;
    if (dt <= 0) continue;
    std::string line = absl::StrFormat("%7.1f %8d %8d %8d", b.t, b.counts.created,
                                       b.counts.scheduled, b.counts.running);
    for (size_t j = 0; j < b.cpu_s.size(); ++j) {
      const double pct =
          (a.cpu_s[j] < 0 || b.cpu_s[j] < 0) ? -1 : 100.0 * (b.cpu_s[j] - a.cpu_s[j]) / dt;
      absl::StrAppend(&line,
                      pct < 0 ? absl::StrFormat(" %11s", "-") : absl::StrFormat(" %10.0f%%", pct));
    }
    int64_t cp_rss = 0;
    for (size_t j = 0; j < daemons.size(); ++j) {
      if (daemons[j].control_plane && b.rss_kb[j] > 0) cp_rss += b.rss_kb[j];
    }
    absl::StrAppend(&line, absl::StrFormat(" %10.0f", cp_rss / kMiB));
    std::printf("%s\n", line.c_str());
  }
}

// Writes per resource during the run (from the store's key versions), the
// store's revision delta (every write is one revision), and what the store
// holds at the end.
void PrintWrites(const StoreCensus& before, const StoreCensus& after, double run_s) {
  const std::map<std::string, int64_t> writes = bench::WritesBetween(before, after);
  const int64_t revisions = after.revision - before.revision;
  std::printf(
      "\nStore writes during the run: %lld revisions (%.0f/s); per resource, from key "
      "versions (deleted keys not counted):\n\n",
      static_cast<long long>(revisions), run_s > 0 ? revisions / run_s : 0);
  std::printf("%-16s %10s %8s %12s\n", "resource", "writes", "share", "keys at end");
  int64_t total = 0;
  for (const auto& [resource, n] : writes) total += n;
  for (const auto& [resource, census] : after.resources) {
    auto it = writes.find(resource);
    const int64_t n = it == writes.end() ? 0 : it->second;
    std::printf("%-16s %10lld %7.1f%% %12lld\n", resource.c_str(), static_cast<long long>(n),
                total > 0 ? 100.0 * n / total : 0, static_cast<long long>(census.keys));
  }
}

// Stops `minik8s up` with SIGINT (it stops its daemons in reverse order);
// if it does not exit in time, or daemons are left over, `minik8s down`.
// Returns the seconds the stop took.
int Run(const Flags& f) {
  const std::string load_at_start = bench::LoadAverage();
  bench::ScaleCluster scale;
  if (int code = scale.Start({.program = "cluster_bench",
                              .bin_dir = f.bin_dir,
                              .nodes = f.nodes,
                              .port_base = f.port_base,
                              .log_level = f.log_level,
                              .start_timeout_s = f.start_timeout_s,
                              .stop_timeout_s = f.stop_timeout_s,
                              .up_args = f.up_args});
      code != 0) {
    return code;
  }
  const std::string& data_dir = scale.data_dir();
  const std::string& up_log = scale.up_log();
  const double startup_s = scale.startup_s();
  const cluster::ClusterState* state = &scale.state();
  std::fprintf(stderr, "cluster_bench: logs in %s/logs (%s)\n", data_dir.c_str(),
               f.keep_data ? "kept" : "removed at the end; --keep-data keeps them");
  std::vector<Daemon> daemons;
  std::string store_address;
  for (const cluster::ProcessRecord& p : state->processes) {
    if (p.name == cluster::kStore) store_address = p.address;
    const bool cp = p.name == cluster::kStore || p.name == cluster::kApiserver ||
                    p.name == cluster::kControllerManager || p.name == cluster::kScheduler;
    daemons.push_back({p.name, p.pid, cp});
  }
  std::vector<double> cpu_at_ready;
  for (const Daemon& d : daemons) cpu_at_ready.push_back(bench::ProcCpuSeconds(d.pid));

  int exit_code = 0;
  {
    // The apiserver serves TLS (`up`'s default; --up-arg=--apiserver-tls=false
    // runs it in plaintext): the bench dials it with the admin's certificate.
    std::optional<TlsClientFiles> api_tls;
    if (std::find(f.up_args.begin(), f.up_args.end(), "--apiserver-tls=false") == f.up_args.end()) {
      api_tls = cluster::AdminTlsFromPki(cluster::PkiDir(data_dir));
    }
    auto cs = client::Clientset::Connect({.server = state->apiserver,
                                          .timeout = absl::Seconds(60),
                                          .user_agent = "cluster-bench",
                                          .tls = api_tls});
    if (!cs.ok()) {
      std::fprintf(stderr, "cluster_bench: %s\n", cs.status().ToString().c_str());
      scale.Stop();
      return 1;
    }
    int nodes_ready = 0;
    if (auto nodes = (*cs)->Nodes().List(""); nodes.ok()) {
      for (const auto& n : nodes->items) {
        for (const auto& c : n.status().conditions()) {
          if (c.type() == "Ready" && c.status() == "True") ++nodes_ready;
        }
      }
    }

    // 2. Watcher, probe, sampler; then the Deployment.
    PodTracker tracker((*cs)->api(), kNamespace, kSelector);
    if (absl::Status s = tracker.Start(absl::Seconds(60)); !s.ok()) {
      std::fprintf(stderr, "cluster_bench: %s\n", s.ToString().c_str());
      scale.Stop();
      return 1;
    }
    // The store serves TLS with client certificates (the cluster's PKI)
    // unless the run asked minik8s up for --store-tls=false.
    const bool store_tls =
        std::find(f.up_args.begin(), f.up_args.end(), "--store-tls=false") == f.up_args.end();
    absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> store_credentials =
        store_tls ? MakeChannelCredentials(
                        cluster::StoreTlsFromPki(cluster::PkiDir(data_dir)).ClientFiles())
                  : grpc::InsecureChannelCredentials();
    if (!store_credentials.ok()) {
      std::fprintf(stderr, "cluster_bench: %s\n", store_credentials.status().ToString().c_str());
      scale.Stop();
      return 1;
    }
    auto probe = ApiProbe::Create(state->apiserver, store_address, *store_credentials, kNamespace,
                                  absl::StrCat(cluster::kScaleNodePrefix, 0), kSelector,
                                  absl::Milliseconds(f.probe_interval_ms), api_tls);
    if (!probe.ok() || !(*probe)->Start().ok()) {
      std::fprintf(stderr, "cluster_bench: cannot start the API probe\n");
      scale.Stop();
      return 1;
    }
    absl::StatusOr<StoreCensus> census_before =
        bench::TakeStoreCensus(store_address, *store_credentials);
    const absl::Time t0 = absl::Now();
    Sampler sampler(daemons, &tracker, t0, absl::Seconds(f.sample_interval_s));
    sampler.Start();
    double create_ms = -1;
    std::unique_ptr<DirectCreator> direct;
    if (f.direct_pods > 0) {
      direct = std::make_unique<DirectCreator>(cs->get(), MakeDeployment(f), f.direct_pods);
    } else {
      auto created = (*cs)->Deployments().Create(MakeDeployment(f));
      create_ms = absl::ToDoubleMilliseconds(absl::Now() - t0);
      if (!created.ok()) {
        std::fprintf(stderr, "cluster_bench: creating the Deployment: %s\n",
                     created.status().ToString().c_str());
        exit_code = 1;
      }
    }

    // 3. Until every pod is Running, the deadline, a stall or an interrupt.
    std::string stop_reason;
    PodTracker::Counts last = tracker.counts();
    absl::Time last_progress = absl::Now();
    int last_report_s = 0;
    while (exit_code == 0) {
      if (tracker.AwaitRunning(f.replicas, absl::Seconds(1))) break;
      const absl::Time now = absl::Now();
      PodTracker::Counts c = tracker.counts();
      if (c.created != last.created || c.scheduled != last.scheduled || c.running != last.running) {
        last = c;
        last_progress = now;
      }
      const int elapsed = static_cast<int>(absl::ToDoubleSeconds(now - t0));
      if (elapsed / 10 != last_report_s / 10) {
        std::fprintf(stderr, "cluster_bench: t=%ds created %d bound %d running %d\n", elapsed,
                     c.created, c.scheduled, c.running);
        last_report_s = elapsed;
      }
      if (bench::Interrupted("cluster_bench")) {
        stop_reason = "interrupted";
      } else if (scale.Exited()) {
        stop_reason = absl::StrCat("minik8s up exited:\n", cluster::LogTail(up_log, 30));
      } else if (now - t0 > absl::Seconds(f.timeout_s)) {
        stop_reason = absl::StrFormat("--timeout %.0f s reached", f.timeout_s);
      } else if (now - last_progress > absl::Seconds(f.stall_s)) {
        stop_reason = absl::StrFormat("no progress for %.0f s (--stall-timeout)", f.stall_s);
      }
      if (!stop_reason.empty()) {
        exit_code = 1;
        break;
      }
    }
    const absl::Time t_end = absl::Now();
    if (direct != nullptr) {
      direct->Stop();
      if (direct->errors() > 0) {
        std::fprintf(stderr, "cluster_bench: %d direct pod creates failed; first: %s\n",
                     direct->errors(), direct->first_error().c_str());
      }
    }
    const std::string load_at_end = bench::LoadAverage();
    sampler.Stop();
    (*probe)->Stop();
    std::vector<double> cpu_at_end;
    std::vector<int64_t> hwm_kb, threads;
    for (const Daemon& d : daemons) {
      cpu_at_end.push_back(bench::ProcCpuSeconds(d.pid));
      hwm_kb.push_back(bench::ProcStatusKb(d.pid, "VmHWM"));
      threads.push_back(bench::ProcThreads(d.pid));
    }
    absl::StatusOr<StoreCensus> census_after =
        bench::TakeStoreCensus(store_address, *store_credentials);
    tracker.Stop();
    const std::vector<PodTimes> pods = tracker.Snapshot();
    const PodTracker::Counts counts = tracker.counts();
    const ApiProbe::Stats api = (*probe)->stats();
    const std::vector<Sample> samples = sampler.samples();

    // 4. Stop the cluster, then print.
    const double stop_s = scale.Stop();

    const double run_s = absl::ToDoubleSeconds(t_end - t0);
    std::vector<double> from_ts, from_seen, to_bound, bound_to_running;
    for (const PodTimes& p : pods) {
      if (p.running == absl::InfiniteFuture()) continue;
      if (p.creation_timestamp != absl::InfiniteFuture()) {
        from_ts.push_back(absl::ToDoubleSeconds(p.running - p.creation_timestamp));
      }
    }
    from_seen = Durations(pods, &PodTimes::seen, &PodTimes::running);
    to_bound = Durations(pods, &PodTimes::seen, &PodTimes::scheduled);
    bound_to_running = Durations(pods, &PodTimes::scheduled, &PodTimes::running);
    std::vector<double> api_all = api.get_ms;
    api_all.insert(api_all.end(), api.list_ms.begin(), api.list_ms.end());
    api_all.insert(api_all.end(), api.update_ms.begin(), api.update_ms.end());

    const double all_created = LastAt(pods, &PodTimes::seen, t0, f.replicas);
    const double all_bound = LastAt(pods, &PodTimes::scheduled, t0, f.replicas);
    const double all_running = LastAt(pods, &PodTimes::running, t0, f.replicas);
    const double first_running = FirstAt(pods, &PodTimes::running, t0);

    std::printf("\nminik8s cluster benchmark: minik8s up --scale-nodes %d, %s %d %s\n", f.nodes,
                f.direct_pods > 0 ? "the bench creating" : "one Deployment of", f.replicas,
                f.direct_pods > 0 ? "pods itself (--direct-pods, diagnostic)" : "replicas");
    std::printf("load average (1/5/15 min) at start %s, at end %s; %d CPUs\n\n",
                load_at_start.c_str(), load_at_end.c_str(),
                static_cast<int>(std::thread::hardware_concurrency()));
    Table t;
    t.Row("nodes Ready", absl::StrCat(nodes_ready, " / ", f.nodes));
    t.Row("minik8s up -> all nodes Ready (s)", Secs(startup_s));
    t.Row(f.direct_pods > 0 ? absl::StrCat("pods created by the bench, ", f.direct_pods, " at once")
                            : "Deployment create call (ms)",
          f.direct_pods > 0 ? "(no Deployment)" : Ms(create_ms));
    t.Row("pods created / bound / Running",
          absl::StrCat(counts.created, " / ", counts.scheduled, " / ", counts.running));
    t.Row("-> first pod Running (s)", Secs(first_running));
    t.Row("-> all pods created (s)", Secs(all_created));
    t.Row("-> all pods bound (s)", Secs(all_bound));
    t.Row("-> all pods Running (s)", Secs(all_running));
    t.Row("pods Running / s (overall)",
          all_running > 0 ? absl::StrFormat("%.0f", f.replicas / all_running) : "-");
    t.Row("startup p50 / p90 / p99, creationTimestamp -> Running (s)",
          absl::StrCat(Secs(bench::Percentile(from_ts, 0.5)), " / ",
                       Secs(bench::Percentile(from_ts, 0.9)), " / ",
                       Secs(bench::Percentile(from_ts, 0.99))));
    t.Row("startup p50 / p90 / p99, first seen -> Running (s)",
          absl::StrCat(Secs(bench::Percentile(from_seen, 0.5)), " / ",
                       Secs(bench::Percentile(from_seen, 0.9)), " / ",
                       Secs(bench::Percentile(from_seen, 0.99))));
    t.Row("  first seen -> bound p50 / p99 (s)",
          absl::StrCat(Secs(bench::Percentile(to_bound, 0.5)), " / ",
                       Secs(bench::Percentile(to_bound, 0.99))));
    t.Row("  bound -> Running p50 / p99 (s)",
          absl::StrCat(Secs(bench::Percentile(bound_to_running, 0.5)), " / ",
                       Secs(bench::Percentile(bound_to_running, 0.99))));
    t.Row("API p99, all probe calls (ms)", Ms(bench::Percentile(api_all, 0.99)));
    t.Row("  get node p50 / p99 (ms)", absl::StrCat(Ms(bench::Percentile(api.get_ms, 0.5)), " / ",
                                                    Ms(bench::Percentile(api.get_ms, 0.99))));
    t.Row("  list pods limit 100 p50 / p99 (ms)",
          absl::StrCat(Ms(bench::Percentile(api.list_ms, 0.5)), " / ",
                       Ms(bench::Percentile(api.list_ms, 0.99))));
    t.Row("  update lease p50 / p99 (ms)",
          absl::StrCat(Ms(bench::Percentile(api.update_ms, 0.5)), " / ",
                       Ms(bench::Percentile(api.update_ms, 0.99))));
    t.Row("  probe calls / errors", absl::StrCat(api_all.size(), " / ", api.errors));
    t.Row("store put p50 / p99, direct (ms)",
          absl::StrCat(Ms(bench::Percentile(api.store_put_ms, 0.5)), " / ",
                       Ms(bench::Percentile(api.store_put_ms, 0.99))));
    t.Row("store range p50 / p99, direct (ms)",
          absl::StrCat(Ms(bench::Percentile(api.store_range_ms, 0.5)), " / ",
                       Ms(bench::Percentile(api.store_range_ms, 0.99))));
    int64_t cp_hwm = 0;
    for (size_t i = 0; i < daemons.size(); ++i) {
      t.Row(absl::StrCat("peak RSS ", daemons[i].name, " (MiB)"),
            hwm_kb[i] < 0 ? "-" : absl::StrFormat("%.0f", hwm_kb[i] / kMiB));
      if (daemons[i].control_plane && hwm_kb[i] > 0) cp_hwm += hwm_kb[i];
    }
    t.Row("peak RSS control plane, sum (MiB)", absl::StrFormat("%.0f", cp_hwm / kMiB));
    t.Row("cluster stop, SIGINT to minik8s up -> all exited (s)", Secs(stop_s));
    t.Print();

    std::printf(
        "\nTargets: all Running <= 20 s: %s; startup p99 (creationTimestamp) <= 2 s: %s; "
        "control plane <= 1024 MiB: %s\n",
        all_running >= 0 && all_running <= 20 ? "met" : "NOT met",
        !from_ts.empty() && counts.running >= f.replicas && bench::Percentile(from_ts, 0.99) <= 2
            ? "met"
            : "NOT met",
        cp_hwm / kMiB <= 1024 ? "met" : "NOT met");
    if (!api.first_error.empty()) std::printf("first probe error: %s\n", api.first_error.c_str());

    std::printf(
        "\nPer daemon: CPU seconds while the nodes registered (launch -> Ready) and "
        "during the run (Deployment create -> end, %.1f s), CPU per pod Running, peak "
        "RSS, RSS growth over the run per pod Running, threads\n\n",
        run_s);
    const int pods_running = std::max(1, counts.running);
    std::printf("%-20s %8s %10s %10s %8s %12s %10s %12s %8s\n", "daemon", "pid", "startup_s",
                "run_cpu_s", "run_%", "cpu_ms/pod", "VmHWM_MiB", "rss_KiB/pod", "threads");
    double total_cpu = 0;
    for (size_t i = 0; i < daemons.size(); ++i) {
      const double run_cpu = cpu_at_end[i] - cpu_at_ready[i];
      total_cpu += run_cpu;
      // RSS growth over the run per pod Running: what one pod costs the daemon.
      const double rss_growth_kb =
          samples.size() >= 2
              ? static_cast<double>(samples.back().rss_kb[i] - samples.front().rss_kb[i])
              : 0;
      std::printf("%-20s %8d %10.1f %10.1f %7.0f%% %12.2f %10.0f %12.1f %8lld\n",
                  daemons[i].name.c_str(), daemons[i].pid, cpu_at_ready[i], run_cpu,
                  run_s > 0 ? 100 * run_cpu / run_s : 0, 1000 * run_cpu / pods_running,
                  hwm_kb[i] / kMiB, rss_growth_kb / pods_running,
                  static_cast<long long>(threads[i]));
    }
    if (samples.size() >= 2) {
      const double bench_cpu = samples.back().cpu_s.back() - samples.front().cpu_s.back();
      std::printf("%-20s %8d %10s %10.1f %7.0f%% %12.2f %10.0f\n", "cluster_bench (self)", getpid(),
                  "-", bench_cpu, run_s > 0 ? 100 * bench_cpu / run_s : 0,
                  1000 * bench_cpu / pods_running, bench::ProcStatusKb(getpid(), "VmHWM") / kMiB);
    }
    std::printf(
        "%-20s %8s %10s %10.1f %7.0f%% %12.2f   (daemons only; cpu_ms/pod per pod "
        "Running)\n",
        "cluster total", "", "", total_cpu, run_s > 0 ? 100 * total_cpu / run_s : 0,
        1000 * total_cpu / pods_running);

    if (census_before.ok() && census_after.ok()) {
      PrintWrites(*census_before, *census_after, run_s);
    } else {
      std::printf(
          "\nstore census failed: %s\n",
          (census_before.ok() ? census_after.status() : census_before.status()).ToString().c_str());
    }

    PrintTimeline(daemons, samples);

    if (!stop_reason.empty()) {
      std::printf("\nINCOMPLETE: %s\n", stop_reason.c_str());
      const std::string where =
          counts.created < f.replicas
              ? absl::StrFormat(
                    "pod creation: %d of %d pods exist (ReplicaSet controller -> "
                    "apiserver -> store)",
                    counts.created, f.replicas)
          : counts.scheduled < counts.created
              ? absl::StrFormat("scheduling: %d of %d pods are not bound (scheduler)",
                                counts.created - counts.scheduled, counts.created)
              : absl::StrFormat("pod start: %d of %d bound pods are not Running (kubelet)",
                                counts.scheduled - counts.running, counts.scheduled);
      std::printf("stalled at %s; %d Failed, %d deleted\n", where.c_str(), counts.failed,
                  counts.deleted);
    }
  }
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  BlockShutdownSignals();  // polled by bench::Interrupted("cluster_bench"); inherited by every
                           // thread
  CLI::App app{
      "cluster_bench: `minik8s up --scale-nodes N`, then one Deployment of R replicas; "
      "time until every pod is Running, startup latency, API latency, CPU and peak "
      "RSS per daemon, and a per-second timeline"};
  Flags f;
  app.add_option("--nodes", f.nodes, "Simulated nodes (minik8s up --scale-nodes)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--replicas", f.replicas, "Replicas of the Deployment")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_flag("--quick", f.quick,
               "Fast sanity run: 50 nodes and 500 replicas (explicit --nodes/--replicas win)");
  app.add_option("--bin-dir", f.bin_dir,
                 "Folder with minik8s and the minik8s-* daemons (default: this program's)");
  app.add_option("--port-base", f.port_base,
                 "minik8s up --port-base (uses base..base+10); 0 picks a free range")
      ->capture_default_str();
  app.add_option("--timeout", f.timeout_s,
                 "Seconds after the Deployment create before giving up and printing partial "
                 "figures")
      ->capture_default_str();
  app.add_option("--stall-timeout", f.stall_s,
                 "Give up earlier when no pod was created, bound or started for this many "
                 "seconds")
      ->capture_default_str();
  app.add_option("--start-timeout", f.start_timeout_s,
                 "Seconds minik8s up may take to get every node Ready (its --start-timeout)")
      ->capture_default_str();
  app.add_option("--stop-timeout", f.stop_timeout_s,
                 "Seconds each daemon gets after SIGTERM before SIGKILL (minik8s up "
                 "--stop-timeout)")
      ->capture_default_str();
  app.add_option("--probe-interval-ms", f.probe_interval_ms,
                 "Pause between rounds of the API probe (get deployment, list pods limit 100, "
                 "update lease)")
      ->capture_default_str();
  app.add_option("--sample-interval", f.sample_interval_s,
                 "Seconds between timeline samples (counts, CPU, RSS)")
      ->capture_default_str();
  app.add_option("--log-level", f.log_level, "Log level of every daemon (minik8s up --log-level)")
      ->capture_default_str()
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
  app.add_option("--cpu-request", f.cpu_request, "CPU request of the pod's container")
      ->capture_default_str();
  app.add_option("--memory-request", f.memory_request, "Memory request of the pod's container")
      ->capture_default_str();
  app.add_option("--up-arg", f.up_args,
                 "Extra flag for minik8s up, repeatable, written with = (e.g. "
                 "--up-arg=--kubelet-arg=--workers=16)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->allow_extra_args(false);
  app.add_option("--direct-pods", f.direct_pods,
                 "Diagnostic: no Deployment; the bench creates the pods itself (same template, "
                 "no owner), this many creates at once — the pipeline without the ReplicaSet "
                 "controller's creation rate")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--no-token-volume", f.no_token_volume,
               "Pods with automountServiceAccountToken: false (a Kubernetes knob): no "
               "ServiceAccount token volume, so no TokenRequest and no volume written per pod — "
               "to measure what the volume costs");
  app.add_flag("--keep-data", f.keep_data,
               "Keep the temp data dir (daemon logs under data/logs) after the run");
  CLI11_PARSE(app, argc, argv);
  if (f.quick) {
    if (app.count("--nodes") == 0) f.nodes = 50;
    if (app.count("--replicas") == 0) f.replicas = 500;
  }
  for (const std::string* q : {&f.cpu_request, &f.memory_request}) {
    if (!api::Quantity::Parse(*q).ok()) {
      std::fprintf(stderr, "cluster_bench: not a quantity: %s\n", q->c_str());
      return 2;
    }
  }
  if (f.keep_data) setenv("MINIK8S_KEEP_TEST_DIRS", "1", 1);
  return Run(f);
}
