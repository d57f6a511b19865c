// netprog_bench: network programming latency (issue #13). How long from a
// pod turning Ready until every service proxy has it in its rules.
//
//   1. start `<bin>/minik8s up --nodes 0 --scale-nodes N` (one scale-mode
//      kubelet and one minik8s-proxy for all the simulated nodes) and wait
//      until every node is Ready;
//   2. create ClusterIP Service `netprog` (port 18080 -> 8080, selector
//      app=netprog), start a pod watcher, then create Deployment `netprog`
//      of R replicas;
//   3. every --poll-ms read each proxy's GET /rules (its health port): the
//      time at which the proxy added each endpoint to the Service's rule;
//      until every pod is Ready and in every proxy's rules, or --timeout;
//   4. per pod: latency = (latest proxy's programmed time of podIP:8080) -
//      (the pod's Ready lastTransitionTime, which the EndpointSlice
//      controller stamps as the slice's last-change-trigger-time), and the
//      same from the time the bench's watcher saw the pod Ready; p50/p90/
//      p99/max, the proxies' own kubeproxy_network_programming_duration_
//      seconds histogram, and per daemon CPU and RSS from /proc.
//
//   netprog_bench                      # 1,000 nodes, 1,000 pods
//   netprog_bench --quick              # 50 nodes, 100 pods
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "api/time.h"
#include "bench/cluster/bench_util.h"
#include "bench/proc_stats.h"
#include "client/clientset.h"
#include "client/informer.h"
#include "cluster/plan.h"
#include "cluster/state_file.h"
#include "cluster/supervisor.h"
#include "common/signals.h"
#include "common/tls.h"
#include "testing/file_util.h"
#include "testing/http_client.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace {

using namespace minik8s;  // NOLINT
using minik8s::core::v1::Pod;
using minik8s::testing::ReadFile;

constexpr char kNamespace[] = "default";
constexpr char kName[] = "netprog";
constexpr char kSelector[] = "app=netprog";
constexpr int kServicePort = 18080;  // unprivileged: the proxy can listen on it
constexpr int kTargetPort = 8080;
constexpr double kMiB = 1024.0;

struct Flags {
  int nodes = 1000;
  int replicas = 1000;
  bool quick = false;
  std::string bin_dir;
  int port_base = 0;
  double timeout_s = 300;
  double start_timeout_s = 300;
  double stop_timeout_s = 30;
  double poll_ms = 500;
  std::string log_level = "info";
  std::vector<std::string> up_args;
  bool keep_data = false;
};

minik8s::core::v1::Service MakeService() {
  minik8s::core::v1::Service s;
  s.mutable_metadata()->set_name(kName);
  s.mutable_metadata()->set_namespace_(kNamespace);
  (*s.mutable_spec()->mutable_selector())["app"] = kName;
  auto* port = s.mutable_spec()->add_ports();
  port->set_name("http");
  port->set_protocol("TCP");
  port->set_port(kServicePort);
  port->mutable_target_port()->set_int_val(kTargetPort);
  return s;
}

minik8s::apps::v1::Deployment MakeDeployment(int replicas) {
  minik8s::apps::v1::Deployment d;
  d.mutable_metadata()->set_name(kName);
  d.mutable_metadata()->set_namespace_(kNamespace);
  d.mutable_spec()->set_replicas(replicas);
  (*d.mutable_spec()->mutable_selector()->mutable_match_labels())["app"] = kName;
  auto* tmpl = d.mutable_spec()->mutable_template_();
  (*tmpl->mutable_metadata()->mutable_labels())["app"] = kName;
  auto* c = tmpl->mutable_spec()->add_containers();
  c->set_name("app");
  c->set_image("nginx:1.25");
  auto* port = c->add_ports();
  port->set_name("http");
  port->set_container_port(kTargetPort);
  port->set_protocol("TCP");
  return d;
}

std::string Secs(double s) { return absl::StrFormat("%.3f", s); }

// What the bench's watcher saw of one pod.
struct PodReady {
  std::string ip;
  absl::Time transition = absl::InfiniteFuture();  // Ready=True lastTransitionTime (whole s)
  absl::Time seen = absl::InfiniteFuture();        // watcher first saw Ready=True
};

// Watches the pods of app=netprog; records each pod's IP and Ready times.
class PodWatcher {
 public:
  explicit PodWatcher(client::ApiClient* api)
      : informer_(
            api,
            {.name = "netprog-bench-pods", .namespace_ = kNamespace, .label_selector = kSelector}) {
    informer_.AddEventHandler({
        .on_add = [this](const auto& pod) { Observe(*pod); },
        .on_update = [this](const auto&, const auto& pod) { Observe(*pod); },
        .on_delete = [](const auto&, bool) {},
    });
  }
  ~PodWatcher() { informer_.Stop(); }
  bool Start() {
    informer_.Start();
    return informer_.WaitForCacheSync(absl::Seconds(60));
  }
  void Stop() { informer_.Stop(); }
  int ready() const {
    absl::MutexLock l(&mu_);
    return ready_;
  }
  absl::flat_hash_map<std::string, PodReady> Snapshot() const {
    absl::MutexLock l(&mu_);
    return pods_;
  }

 private:
  void Observe(const Pod& pod) {
    const absl::Time now = absl::Now();
    absl::MutexLock l(&mu_);
    PodReady& p = pods_[pod.metadata().name()];
    if (p.ip.empty()) p.ip = pod.status().pod_ip();
    if (p.seen != absl::InfiniteFuture()) return;
    for (const auto& c : pod.status().conditions()) {
      if (c.type() != "Ready" || c.status() != "True") continue;
      p.seen = now;
      if (c.has_last_transition_time()) p.transition = api::FromProtoTime(c.last_transition_time());
      ++ready_;
    }
  }

  client::Informer<Pod> informer_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, PodReady> pods_ ABSL_GUARDED_BY(mu_);
  int ready_ ABSL_GUARDED_BY(mu_) = 0;
};

// One service proxy process of the cluster.
struct Proxy {
  std::string name;
  pid_t pid = 0;
  int port = 0;                       // health port: /rules, /metrics
  std::optional<TlsClientFiles> tls;  // the port's TLS (the admin's certificate)
  // endpoint "ip:port" -> when this proxy added it to the Service's rule
  absl::flat_hash_map<std::string, absl::Time> programmed;
  int polls = 0, poll_errors = 0;
  double poll_ms_total = 0;
};

// The value of `"key": ` in `text` from `from`: a quoted string (unquoted)
// or a bare token; npos-safe.
std::string JsonField(const std::string& text, const std::string& key, size_t from, size_t to) {
  const std::string k = absl::StrCat("\"", key, "\": ");
  size_t at = text.find(k, from);
  if (at == std::string::npos || at >= to) return "";
  at += k.size();
  if (text[at] == '"') {
    const size_t end = text.find('"', at + 1);
    return end == std::string::npos ? "" : text.substr(at + 1, end - at - 1);
  }
  const size_t end = text.find_first_of(",}]", at);
  return text.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

// Reads the ready endpoints of default/netprog's ClusterIP rule from a
// proxy's /rules page (proxy/rules_page.cc: one rule per `{"service": `,
// its endpoints each `{"address": ..., "nodeName": ..., "programmed": ...}`).
void ParseRules(const std::string& page, Proxy* proxy) {
  const std::string service = absl::StrCat("{\"service\": \"", kNamespace, "/", kName, "\"");
  size_t at = 0;
  while ((at = page.find(service, at)) != std::string::npos) {
    size_t end = page.find("{\"service\": ", at + 1);
    if (end == std::string::npos) end = page.size();
    if (JsonField(page, "type", at, end) == "ClusterIP") {
      size_t e = page.find("\"endpoints\": [", at);
      while (e != std::string::npos && e < end) {
        e = page.find("{\"address\": ", e + 1);
        if (e == std::string::npos || e >= end) break;
        const size_t close = page.find('}', e);
        if (JsonField(page, "ready", e, close) != "true") continue;
        const std::string address = JsonField(page, "address", e, close);
        const std::string when = JsonField(page, "programmed", e, close);
        if (when.empty() || proxy->programmed.contains(address)) continue;
        if (auto t = api::ParseRfc3339(when); t.ok()) {
          // ParseRfc3339 keeps the fraction (it truncates only in the
          // proto conversions).
          proxy->programmed[address] = *t;
        }
      }
    }
    at = end;
  }
}

bool PollProxy(Proxy* p) {
  const absl::Time start = absl::Now();
  auto r = testing::HttpRequest(p->port,
                                {.target = "/rules", .timeout = absl::Seconds(10), .tls = p->tls});
  ++p->polls;
  p->poll_ms_total += absl::ToDoubleMilliseconds(absl::Now() - start);
  if (!r.ok() || r->status != 200) {
    ++p->poll_errors;
    return false;
  }
  ParseRules(r->body, p);
  return true;
}

// The proxy's own kubeproxy_network_programming_duration_seconds: count,
// sum and the bucket bounds that hold the 50th and 99th percentile.
struct Histogram {
  double count = 0, sum = 0;
  std::vector<std::pair<double, double>> buckets;  // (le, cumulative count)
  std::string Quantile(double q) const {
    if (count <= 0) return "-";
    for (const auto& [le, n] : buckets) {
      if (n >= q * count) return std::isinf(le) ? "+Inf" : absl::StrFormat("<= %g", le);
    }
    return "-";
  }
};

Histogram ProxyHistogram(int port, const std::optional<TlsClientFiles>& tls) {
  Histogram h;
  auto r =
      testing::HttpRequest(port, {.target = "/metrics", .timeout = absl::Seconds(10), .tls = tls});
  if (!r.ok() || r->status != 200) {
    std::fprintf(stderr, "netprog_bench: GET /metrics on port %d: %s\n", port,
                 r.ok() ? absl::StrCat("HTTP ", r->status).c_str() : r.status().ToString().c_str());
    return h;
  }
  constexpr char kMetric[] = "kubeproxy_network_programming_duration_seconds";
  for (absl::string_view line : absl::StrSplit(r->body, '\n')) {
    if (!absl::StartsWith(line, kMetric)) continue;
    const size_t space = line.rfind(' ');
    if (space == absl::string_view::npos) continue;
    double value = 0;
    if (!absl::SimpleAtod(line.substr(space + 1), &value)) continue;
    line.remove_prefix(sizeof(kMetric) - 1);
    if (absl::StartsWith(line, "_count")) {
      h.count = value;
    } else if (absl::StartsWith(line, "_sum")) {
      h.sum = value;
    } else if (absl::StartsWith(line, "_bucket")) {
      const size_t le = line.find("le=\"");
      if (le == absl::string_view::npos) continue;
      const absl::string_view bound = line.substr(le + 4, line.find('"', le + 4) - le - 4);
      double b = 0;
      if (bound == "+Inf") {
        b = std::numeric_limits<double>::infinity();
      } else if (!absl::SimpleAtod(bound, &b)) {
        continue;
      }
      h.buckets.push_back({b, value});
    }
  }
  std::sort(h.buckets.begin(), h.buckets.end());
  return h;
}

struct Daemon {
  std::string name;
  pid_t pid = 0;
  double cpu_ready = 0, cpu_t0 = 0, cpu_end = 0;
  int64_t rss_t0 = 0, rss_end = 0, hwm = 0;
};

int Run(const Flags& f) {
  const std::string load_at_start = bench::LoadAverage();
  bench::ScaleCluster scale;
  if (int code = scale.Start({.program = "netprog_bench",
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

  std::vector<Daemon> daemons;
  std::vector<Proxy> proxies;
  for (const cluster::ProcessRecord& p : state->processes) {
    daemons.push_back({.name = p.name, .pid = p.pid, .cpu_ready = bench::ProcCpuSeconds(p.pid)});
    if (absl::StartsWith(p.name, "proxy")) {
      Proxy proxy{.name = p.name, .pid = p.pid, .tls = scale.admin_tls()};
      const size_t colon = p.address.rfind(':');
      if (colon == std::string::npos ||
          !absl::SimpleAtoi(p.address.substr(colon + 1), &proxy.port)) {
        std::fprintf(stderr, "netprog_bench: no health port for %s (%s)\n", p.name.c_str(),
                     p.address.c_str());
        scale.Stop();
        return 1;
      }
      proxies.push_back(std::move(proxy));
    }
  }
  if (proxies.empty()) {
    std::fprintf(stderr, "netprog_bench: the cluster runs no proxy\n");
    scale.Stop();
    return 1;
  }

  std::optional<TlsClientFiles> api_tls;
  if (std::find(f.up_args.begin(), f.up_args.end(), "--apiserver-tls=false") == f.up_args.end()) {
    api_tls = cluster::AdminTlsFromPki(cluster::PkiDir(data_dir));
  }
  auto cs = client::Clientset::Connect({.server = state->apiserver,
                                        .timeout = absl::Seconds(60),
                                        .user_agent = "netprog-bench",
                                        .tls = api_tls});
  if (!cs.ok()) {
    std::fprintf(stderr, "netprog_bench: %s\n", cs.status().ToString().c_str());
    scale.Stop();
    return 1;
  }
  auto service = (*cs)->For<minik8s::core::v1::Service>().Create(MakeService());
  if (!service.ok()) {
    std::fprintf(stderr, "netprog_bench: creating the Service: %s\n",
                 service.status().ToString().c_str());
    scale.Stop();
    return 1;
  }
  PodWatcher watcher((*cs)->api());
  if (!watcher.Start()) {
    std::fprintf(stderr, "netprog_bench: the pod watch did not sync\n");
    scale.Stop();
    return 1;
  }
  for (Daemon& d : daemons) {
    d.cpu_t0 = bench::ProcCpuSeconds(d.pid);
    d.rss_t0 = bench::ProcStatusKb(d.pid, "VmRSS");
  }
  const absl::Time t0 = absl::Now();
  auto created = (*cs)->Deployments().Create(MakeDeployment(f.replicas));
  std::string stop_reason;
  if (!created.ok())
    stop_reason = absl::StrCat("creating the Deployment: ", created.status().ToString());

  // Until every pod is Ready and every proxy has every pod's endpoint.
  auto all_programmed = [&](const absl::flat_hash_map<std::string, PodReady>& pods) {
    for (const auto& [name, p] : pods) {
      if (p.ip.empty() || p.seen == absl::InfiniteFuture()) return false;
      const std::string address = absl::StrCat(p.ip, ":", kTargetPort);
      for (const Proxy& proxy : proxies) {
        if (!proxy.programmed.contains(address)) return false;
      }
    }
    return true;
  };
  int last_report = -1;
  while (stop_reason.empty()) {
    const absl::Time round = absl::Now();
    for (Proxy& p : proxies) PollProxy(&p);
    const auto pods = watcher.Snapshot();
    if (static_cast<int>(pods.size()) >= f.replicas && watcher.ready() >= f.replicas &&
        all_programmed(pods)) {
      break;
    }
    const int elapsed = static_cast<int>(absl::ToDoubleSeconds(absl::Now() - t0));
    if (elapsed / 10 != last_report) {
      last_report = elapsed / 10;
      std::fprintf(stderr, "netprog_bench: t=%ds pods %zu Ready %d; in %s's rules %zu\n", elapsed,
                   pods.size(), watcher.ready(), proxies[0].name.c_str(),
                   proxies[0].programmed.size());
    }
    if (bench::Interrupted("netprog_bench")) {
      stop_reason = "interrupted";
    } else if (scale.Exited()) {
      stop_reason = absl::StrCat("minik8s up exited:\n", cluster::LogTail(up_log, 30));
    } else if (absl::Now() - t0 > absl::Seconds(f.timeout_s)) {
      stop_reason = absl::StrFormat("--timeout %.0f s reached", f.timeout_s);
    }
    absl::SleepFor(absl::Milliseconds(f.poll_ms) - (absl::Now() - round));
  }
  const absl::Time t_end = absl::Now();
  const std::string load_at_end = bench::LoadAverage();
  for (Daemon& d : daemons) {
    d.cpu_end = bench::ProcCpuSeconds(d.pid);
    d.rss_end = bench::ProcStatusKb(d.pid, "VmRSS");
    d.hwm = bench::ProcStatusKb(d.pid, "VmHWM");
  }
  std::vector<Histogram> histograms;
  for (const Proxy& p : proxies) histograms.push_back(ProxyHistogram(p.port, p.tls));
  watcher.Stop();
  const auto pods = watcher.Snapshot();
  const double stop_s = scale.Stop();

  // Per pod: the latest proxy's programmed time of its endpoint.
  std::vector<double> from_transition, from_seen, ready_after_t0;
  int programmed_everywhere = 0, negative = 0;
  absl::Time last_programmed = absl::InfinitePast();
  for (const auto& [name, p] : pods) {
    if (p.ip.empty() || p.seen == absl::InfiniteFuture()) continue;
    ready_after_t0.push_back(absl::ToDoubleSeconds(p.seen - t0));
    const std::string address = absl::StrCat(p.ip, ":", kTargetPort);
    absl::Time latest = absl::InfinitePast();
    bool everywhere = true;
    for (const Proxy& proxy : proxies) {
      auto it = proxy.programmed.find(address);
      if (it == proxy.programmed.end()) {
        everywhere = false;
        break;
      }
      latest = std::max(latest, it->second);
    }
    if (!everywhere) continue;
    ++programmed_everywhere;
    last_programmed = std::max(last_programmed, latest);
    if (p.transition != absl::InfiniteFuture()) {
      from_transition.push_back(absl::ToDoubleSeconds(latest - p.transition));
    }
    from_seen.push_back(absl::ToDoubleSeconds(latest - p.seen));
    if (latest < p.seen) ++negative;
  }

  std::printf(
      "\nminik8s network programming benchmark: minik8s up --scale-nodes %d, Service %s "
      "(ClusterIP) over a Deployment of %d pods\n",
      f.nodes, kName, f.replicas);
  std::printf("load average (1/5/15 min) at start %s, at end %s; %d CPUs\n\n",
              load_at_start.c_str(), load_at_end.c_str(),
              static_cast<int>(std::thread::hardware_concurrency()));
  std::printf("| %-70s | %30s |\n|%s|%s:|\n", "metric", "value", std::string(72, '-').c_str(),
              std::string(31, '-').c_str());
  auto row = [](const std::string& m, const std::string& v) {
    std::printf("| %-70s | %30s |\n", m.c_str(), v.c_str());
  };
  auto dist = [](const std::vector<double>& v) {
    return absl::StrCat(Secs(bench::Percentile(v, 0.5)), " / ", Secs(bench::Percentile(v, 0.9)),
                        " / ", Secs(bench::Percentile(v, 0.99)), " / ",
                        Secs(bench::Percentile(v, 1.0)));
  };
  row("nodes (simulated) / proxy processes",
      absl::StrCat(f.nodes, " / ", proxies.size(), " (", proxies[0].name, ")"));
  row("minik8s up -> all nodes Ready (s)", absl::StrFormat("%.2f", startup_s));
  row("pods seen / Ready / in every proxy's rules",
      absl::StrCat(pods.size(), " / ", ready_after_t0.size(), " / ", programmed_everywhere));
  row("Deployment create -> last pod Ready, as watched (s)",
      Secs(bench::Percentile(ready_after_t0, 1.0)));
  row("Deployment create -> last endpoint programmed (s)",
      last_programmed == absl::InfinitePast() ? "-"
                                              : Secs(absl::ToDoubleSeconds(last_programmed - t0)));
  row("latency p50/p90/p99/max, Ready lastTransitionTime -> programmed (s)", dist(from_transition));
  row("latency p50/p90/p99/max, Ready seen by the bench -> programmed (s)", dist(from_seen));
  row("  pods programmed before the bench saw them Ready", absl::StrCat(negative));
  for (size_t i = 0; i < proxies.size(); ++i) {
    const Histogram& h = histograms[i];
    row(absl::StrCat(proxies[i].name, " network_programming_duration: count / mean (s)"),
        h.count > 0 ? absl::StrFormat("%.0f / %.3f", h.count, h.sum / h.count) : "-");
    row(absl::StrCat(proxies[i].name, " network_programming_duration: p50 / p99 (s)"),
        absl::StrCat(h.Quantile(0.5), " / ", h.Quantile(0.99)));
    row(absl::StrCat(proxies[i].name, " /rules polls / errors / mean ms"),
        absl::StrFormat("%d / %d / %.1f", proxies[i].polls, proxies[i].poll_errors,
                        proxies[i].polls > 0 ? proxies[i].poll_ms_total / proxies[i].polls : 0));
  }
  row("cluster stop (s)", absl::StrFormat("%.2f", stop_s));
  std::printf(
      "\nTargets: p99 (lastTransitionTime -> programmed) <= 30 s (Kubernetes SLO): %s; "
      "<= 1 s (minik8s): %s\n",
      !from_transition.empty() && programmed_everywhere >= f.replicas &&
              bench::Percentile(from_transition, 0.99) <= 30
          ? "met"
          : "NOT met",
      !from_transition.empty() && programmed_everywhere >= f.replicas &&
              bench::Percentile(from_transition, 0.99) <= 1
          ? "met"
          : "NOT met");

  const double run_s = absl::ToDoubleSeconds(t_end - t0);
  std::printf(
      "\nPer daemon: CPU seconds until the nodes were Ready, during the run (Deployment "
      "create -> every endpoint programmed, %.1f s; includes the bench's /rules polls for "
      "the proxies), RSS at the create and at the end, peak RSS (VmHWM)\n\n",
      run_s);
  std::printf("%-20s %8s %10s %10s %7s %10s %10s %10s\n", "daemon", "pid", "startup_s", "run_cpu_s",
              "run_%", "RSS0_MiB", "RSS_MiB", "VmHWM_MiB");
  for (const Daemon& d : daemons) {
    const double run_cpu = d.cpu_end - d.cpu_t0;
    std::printf("%-20s %8d %10.2f %10.2f %6.0f%% %10.1f %10.1f %10.1f\n", d.name.c_str(), d.pid,
                d.cpu_ready, run_cpu, run_s > 0 ? 100 * run_cpu / run_s : 0, d.rss_t0 / kMiB,
                d.rss_end / kMiB, d.hwm / kMiB);
  }
  if (!stop_reason.empty()) {
    std::printf("\nINCOMPLETE: %s\n", stop_reason.c_str());
    return 1;
  }
  return programmed_everywhere >= f.replicas ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  BlockShutdownSignals();
  CLI::App app{
      "netprog_bench: `minik8s up --scale-nodes N`, a ClusterIP Service over a Deployment of R "
      "pods; per pod the time from its Ready transition until every proxy programmed its "
      "endpoint; the proxies' CPU and memory"};
  Flags f;
  app.add_option("--nodes", f.nodes, "Simulated nodes (minik8s up --scale-nodes)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--replicas", f.replicas, "Pods behind the Service")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_flag("--quick", f.quick, "50 nodes and 100 pods (explicit --nodes/--replicas win)");
  app.add_option("--bin-dir", f.bin_dir, "Folder with minik8s and the daemons")
      ->capture_default_str();
  app.add_option("--port-base", f.port_base, "minik8s up --port-base; 0 picks a free range")
      ->capture_default_str();
  app.add_option("--timeout", f.timeout_s, "Seconds after the Deployment create before giving up")
      ->capture_default_str();
  app.add_option("--start-timeout", f.start_timeout_s, "minik8s up --start-timeout (s)")
      ->capture_default_str();
  app.add_option("--stop-timeout", f.stop_timeout_s, "minik8s up --stop-timeout (s)")
      ->capture_default_str();
  app.add_option("--poll-ms", f.poll_ms,
                 "Pause between reads of the proxies' /rules (the times read are the proxies' "
                 "own, so this sets only how soon the bench notices the end)")
      ->capture_default_str();
  app.add_option("--log-level", f.log_level, "Log level of every daemon")
      ->capture_default_str()
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
  app.add_option("--up-arg", f.up_args, "Extra flag for minik8s up, repeatable, written with =")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->allow_extra_args(false);
  app.add_flag("--keep-data", f.keep_data, "Keep the temp data dir (daemon logs under data/logs)");
  CLI11_PARSE(app, argc, argv);
  if (f.quick) {
    if (app.count("--nodes") == 0) f.nodes = 50;
    if (app.count("--replicas") == 0) f.replicas = 100;
  }
  if (f.keep_data) setenv("MINIK8S_KEEP_TEST_DIRS", "1", 1);
  return Run(f);
}
