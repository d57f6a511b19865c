// kubelet_bench: many simulated nodes in one Kubelet (scale mode) against a
// real minik8s-store + minik8s-apiserver, on an in-process zero-delay
// runtime. Prints:
//   - RSS per simulated node (process RSS growth from before the Kubelet
//     started to when every Node and Lease exists, divided by the nodes);
//   - CPU of the kubelet process at steady state (heartbeats only: lease
//     renewals and node status checks), as a share of one core;
//   - pod startup latency: from just before the Create of a pod with
//     spec.nodeName set until a watcher sees it Running; p50/p99.
//
//   kubelet_bench [--nodes 1000] [--pods 1000] [--steady-seconds 20]
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "api/errors.h"
#include "bench/proc_stats.h"
#include "client/clientset.h"
#include "client/event_recorder.h"
#include "common/net.h"
#include "kubelet/ip_allocator.h"
#include "kubelet/kubelet.h"
#include "runtime/in_process_runtime_client.h"
#include "runtime/runtime.h"
#include "spdlog/spdlog.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace {

using namespace minik8s;  // NOLINT
namespace core = ::minik8s::core::v1;

long RssKb() { return static_cast<long>(minik8s::bench::ProcStatusKb(getpid(), "VmRSS")); }

using minik8s::bench::ProcCpuSeconds;

double CpuSeconds() { return minik8s::bench::SelfCpuSeconds(); }

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5));
  return v[i];
}

int Run(int argc, char** argv) {
  int nodes = 1000;
  int pods = 1000;
  int steady_seconds = 20;
  std::string lease_interval = "10s";
  CLI::App app{"kubelet_bench: simulated nodes in one kubelet process"};
  app.add_option("--nodes", nodes, "Simulated nodes")->capture_default_str();
  app.add_option("--pods", pods, "Pods to start (spread over the nodes)")->capture_default_str();
  app.add_option("--steady-seconds", steady_seconds, "Steady-state window for the CPU figure")
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  spdlog::set_level(spdlog::level::warn);

  testing::TempDir dir;
  auto store_port = PickFreeLoopbackPort();
  auto api_port = PickFreeLoopbackPort();
  if (!store_port.ok() || !api_port.ok()) return 1;
  testing::Subprocess store, api;
  if (!store
           .Start({testing::BinPath("minik8s-store"), "--name", "default", "--data-dir",
                   dir.Join("store"), "--listen-client-urls",
                   absl::StrCat("http://127.0.0.1:", *store_port)},
                  dir.Join("store.log"))
           .ok() ||
      !testing::WaitFor([&] { return testing::PortAcceptsConnections(*store_port); },
                        absl::Seconds(20))) {
    std::cerr << "minik8s-store did not start (log " << dir.Join("store.log") << ")\n";
    return 1;
  }
  if (!api.Start({testing::BinPath("minik8s-apiserver"), "--etcd-servers",
                  absl::StrCat("http://127.0.0.1:", *store_port), "--bind-address", "127.0.0.1",
                  "--port", std::to_string(*api_port)},
                 dir.Join("apiserver.log"))
           .ok() ||
      !testing::WaitFor([&] { return testing::PortAcceptsConnections(*api_port); },
                        absl::Seconds(20))) {
    std::cerr << "minik8s-apiserver did not start (log " << dir.Join("apiserver.log") << ")\n";
    return 1;
  }
  auto cs = client::Clientset::Connect({.server = absl::StrCat("127.0.0.1:", *api_port)});
  if (!cs.ok()) return 1;
  testing::WaitFor([&] { return (*cs)->Namespaces().Get("", "default").ok(); }, absl::Seconds(10));

  runtime::RuntimeOptions ro;
  auto rt = runtime::Runtime::Create(ro);
  if (!rt.ok()) return 1;
  auto rtc = runtime::NewInProcessRuntimeClient(rt->get());

  kubelet::KubeletOptions options;
  for (int i = 0; i < nodes; ++i) {
    kubelet::NodeConfig n;
    n.name = absl::StrCat("bench-node-", i);
    n.pod_cidr = kubelet::DerivedPodCidr(i);
    n.container_runtime_version = "minik8s-runtime://bench";
    options.nodes.push_back(n);
  }
  std::unique_ptr<client::EventSink> events = client::NewApiEventSink((*cs)->api());
  long rss_before = RssKb();
  absl::Time t0 = absl::Now();
  kubelet::Kubelet k(cs->get(), rtc.get(), events.get(), options);
  if (!k.Start().ok()) return 1;
  bool registered = testing::WaitFor(
      [&] {
        auto l = (*cs)->Leases().List("kube-node-lease");
        return l.ok() && static_cast<int>(l->items.size()) >= nodes;
      },
      absl::Minutes(5));
  absl::Duration reg_time = absl::Now() - t0;
  long rss_after = RssKb();
  if (!registered) std::cerr << "not every node registered in 5 minutes\n";

  // Steady state: heartbeats only.
  absl::SleepFor(absl::Seconds(2));
  double c0 = CpuSeconds();
  double a0 = ProcCpuSeconds(api.pid());
  absl::Time s0 = absl::Now();
  absl::SleepFor(absl::Seconds(steady_seconds));
  double window = absl::ToDoubleSeconds(absl::Now() - s0);
  double kubelet_cpu = (CpuSeconds() - c0) / window;
  double api_cpu = (ProcCpuSeconds(api.pid()) - a0) / window;

  // Warm-up: one pod through the whole path first, so the pod watch is live
  // (and caches are warm) before the measured pods arrive.
  {
    core::Pod p;
    p.mutable_metadata()->set_namespace_("default");
    p.mutable_metadata()->set_name("bench-warmup");
    p.mutable_spec()->set_node_name("bench-node-0");
    auto* c = p.mutable_spec()->add_containers();
    c->set_name("main");
    c->set_image("nginx:1.14.2");
    (void)(*cs)->Pods().Create(p);
    bool warm = testing::WaitFor(
        [&] {
          auto got = (*cs)->Pods().Get("default", "bench-warmup");
          return got.ok() && got->status().phase() == "Running";
        },
        absl::Seconds(60));
    if (!warm) std::cerr << "warm-up pod not Running after 60 s\n";
  }

  // Pod startup latency.
  absl::Mutex mu;
  std::map<std::string, absl::Time> created_at, running_at;
  auto watch = (*cs)->Pods().Watch("default", {});
  if (!watch.ok()) return 1;
  std::thread watcher([&] {
    client::WatchEvent ev;
    while ((*watch)->Next(&ev)) {
      if (ev.type == client::WatchEventType::kBookmark || !ev.object) continue;
      auto pod = client::ObjectAs<core::Pod>(ev);
      const core::Pod& p = *pod;
      if (p.status().phase() != "Running" || p.metadata().name() == "bench-warmup") continue;
      absl::MutexLock lock(&mu);
      running_at.emplace(p.metadata().name(), absl::Now());
      if (static_cast<int>(running_at.size()) >= pods) break;
    }
  });
  absl::Time p0 = absl::Now();
  for (int i = 0; i < pods; ++i) {
    core::Pod p;
    p.mutable_metadata()->set_namespace_("default");
    p.mutable_metadata()->set_name(absl::StrCat("bench-pod-", i));
    p.mutable_spec()->set_node_name(absl::StrCat("bench-node-", i % nodes));
    auto* c = p.mutable_spec()->add_containers();
    c->set_name("main");
    c->set_image("nginx:1.14.2");
    {
      absl::MutexLock lock(&mu);
      created_at[p.metadata().name()] = absl::Now();
    }
    auto r = (*cs)->Pods().Create(p);
    if (!r.ok()) std::cerr << "create: " << r.status() << "\n";
  }
  bool all = testing::WaitFor(
      [&] {
        absl::MutexLock lock(&mu);
        return static_cast<int>(running_at.size()) >= pods;
      },
      absl::Minutes(5));
  absl::Duration total = absl::Now() - p0;
  (*watch)->Cancel();
  watcher.join();
  std::vector<double> lat;
  {
    absl::MutexLock lock(&mu);
    for (const auto& [name, t] : running_at) {
      auto c = created_at.find(name);
      if (c != created_at.end()) lat.push_back(absl::ToDoubleMilliseconds(t - c->second));
    }
  }
  k.Stop();

  std::cout << absl::StrFormat("%-44s %s\n", "metric", "value");
  std::cout << absl::StrFormat("%-44s %d\n", "simulated nodes", nodes);
  std::cout << absl::StrFormat("%-44s %.1f s\n", "time to register all nodes + leases",
                               absl::ToDoubleSeconds(reg_time));
  std::cout << absl::StrFormat("%-44s %.1f KiB\n", "RSS per simulated node",
                               static_cast<double>(rss_after - rss_before) / std::max(1, nodes));
  std::cout << absl::StrFormat("%-44s %.1f %% of a core\n", "kubelet CPU at steady state",
                               100 * kubelet_cpu);
  std::cout << absl::StrFormat("%-44s %.1f %% of a core\n", "apiserver CPU at steady state",
                               100 * api_cpu);
  std::cout << absl::StrFormat("%-44s %d/%d%s\n", "pods Running", static_cast<int>(lat.size()),
                               pods, all ? "" : " (timed out)");
  std::cout << absl::StrFormat("%-44s %.1f s\n", "all pods Running after",
                               absl::ToDoubleSeconds(total));
  std::cout << absl::StrFormat("%-44s %.1f ms\n", "pod startup latency p50", Percentile(lat, 0.5));
  std::cout << absl::StrFormat("%-44s %.1f ms\n", "pod startup latency p99", Percentile(lat, 0.99));
  return all && registered ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) { return Run(argc, argv); }
