// scheduler_bench: how fast minik8s-scheduler binds pods through the real
// apiserver and store.
//
//   1. start minik8s-store + minik8s-apiserver on loopback (TempDir);
//   2. create --nodes plain Node objects (4 cpu / 16Gi / 110 pods);
//   3. create --pods pending pods (100m / 128Mi each);
//   4. start minik8s-scheduler and watch the pods (an informer) until every
//      one has spec.nodeName;
//   5. print a table: pods/s bound from the first binding to the last, and
//      from the scheduler's start (includes its list + cache sync), against
//      the target (--target, 1,000 pods/s).
//
//   scheduler_bench [--nodes 1000] [--pods 10000] [--scheduler-flag=--parallelism=4 ...]
#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "api/quantity.h"
#include "client/informer.h"
#include "testing/control_plane.h"
#include "testing/subprocess.h"

namespace {

using minik8s::core::v1::Node;
using minik8s::core::v1::Pod;

Node MakeNode(int i) {
  Node n;
  n.mutable_metadata()->set_name(absl::StrFormat("node-%04d", i));
  (*n.mutable_metadata()->mutable_labels())["kubernetes.io/hostname"] = n.metadata().name();
  auto* alloc = n.mutable_status()->mutable_allocatable();
  (*alloc)["cpu"] = minik8s::api::Quantity::MustParse("4").ToProto();
  (*alloc)["memory"] = minik8s::api::Quantity::MustParse("16Gi").ToProto();
  (*alloc)["pods"] = minik8s::api::Quantity::MustParse("110").ToProto();
  *n.mutable_status()->mutable_capacity() = *alloc;
  auto* ready = n.mutable_status()->add_conditions();
  ready->set_type("Ready");
  ready->set_status("True");
  return n;
}

Pod MakePod(int i) {
  Pod p;
  p.mutable_metadata()->set_name(absl::StrFormat("pod-%05d", i));
  p.mutable_metadata()->set_namespace_("default");
  p.mutable_spec()->set_scheduler_name("default-scheduler");
  auto* c = p.mutable_spec()->add_containers();
  c->set_name("app");
  c->set_image("nginx");
  auto* req = c->mutable_resources()->mutable_requests();
  (*req)["cpu"] = minik8s::api::Quantity::MustParse("100m").ToProto();
  (*req)["memory"] = minik8s::api::Quantity::MustParse("128Mi").ToProto();
  return p;
}

// Runs fn(i) for i in [0, n) on `threads` threads; returns the failures.
template <typename Fn>
int ParallelFor(int n, int threads, Fn fn) {
  std::atomic<int> next{0}, failures{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int i = next++; i < n; i = next++) {
        if (!fn(i)) ++failures;
      }
    });
  }
  for (auto& t : pool) t.join();
  return failures.load();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"scheduler_bench: pods/s bound by minik8s-scheduler via the real apiserver"};
  int nodes = 1000, pods = 10000, create_threads = 16;
  double target = 1000;
  int timeout_s = 600;
  std::vector<std::string> scheduler_flags;
  app.add_option("--nodes", nodes, "Node objects to create");
  app.add_option("--pods", pods, "Pending pods to create before the scheduler starts");
  app.add_option("--create-threads", create_threads, "Concurrent creates while setting up");
  app.add_option("--target", target, "Target figure in pods/s");
  app.add_option("--timeout", timeout_s, "Give up after this many seconds of scheduling");
  app.add_option(
      "--scheduler-flag", scheduler_flags,
      "Extra flag passed to minik8s-scheduler (repeatable), e.g. --scheduler-flag=--parallelism=4");
  CLI11_PARSE(app, argc, argv);

  auto missing = minik8s::testing::ControlPlane::MissingBinaries();
  if (!missing.empty()) {
    std::fprintf(stderr, "missing binaries in the build tree: %s\n",
                 absl::StrJoin(missing, ", ").c_str());
    return 2;
  }
  minik8s::testing::ControlPlane cp;
  if (absl::Status s = cp.Start(); !s.ok()) {
    std::fprintf(stderr, "control plane: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  auto& cs = *cp.clientset();

  absl::Time t = absl::Now();
  int failed = ParallelFor(nodes, create_threads, [&](int i) {
    Node n = MakeNode(i);
    auto created = cs.Nodes().Create(n);
    if (!created.ok()) return false;
    if (created->status().allocatable().empty()) {
      Node with_status = *created;
      *with_status.mutable_status() = n.status();
      return cs.Nodes().UpdateStatus(with_status).ok();
    }
    return true;
  });
  double node_secs = absl::ToDoubleSeconds(absl::Now() - t);
  if (failed > 0) {
    std::fprintf(stderr, "%d node creates failed\n", failed);
    return 1;
  }
  std::fprintf(stderr, "created %d nodes in %.1f s\n", nodes, node_secs);

  t = absl::Now();
  failed =
      ParallelFor(pods, create_threads, [&](int i) { return cs.Pods().Create(MakePod(i)).ok(); });
  double pod_secs = absl::ToDoubleSeconds(absl::Now() - t);
  if (failed > 0) {
    std::fprintf(stderr, "%d pod creates failed\n", failed);
    return 1;
  }
  std::fprintf(stderr, "created %d pending pods in %.1f s\n", pods, pod_secs);

  // Count bindings as the informer sees them.
  absl::Mutex mu;
  int bound = 0;
  absl::Time first_bound = absl::InfiniteFuture(), last_bound;
  minik8s::client::Informer<Pod> informer(cs.api(), {.name = "bench-pods"});
  auto on_bound = [&] {
    absl::MutexLock l(&mu);
    absl::Time now = absl::Now();
    if (bound == 0) first_bound = now;
    ++bound;
    last_bound = now;
  };
  informer.AddEventHandler({
      .on_add =
          [&](const auto& p) {
            if (!p->spec().node_name().empty()) on_bound();
          },
      .on_update =
          [&](const auto& o, const auto& n) {
            if (o->spec().node_name().empty() && !n->spec().node_name().empty()) on_bound();
          },
  });
  informer.Start();
  if (!informer.WaitForCacheSync(absl::Seconds(60))) {
    std::fprintf(stderr, "pod informer did not sync\n");
    return 1;
  }

  std::vector<std::string> flags = {"--leader-elect=false"};
  flags.insert(flags.end(), scheduler_flags.begin(), scheduler_flags.end());
  absl::Time start = absl::Now();
  if (absl::Status s = cp.StartScheduler(flags); !s.ok()) {
    std::fprintf(stderr, "scheduler: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  bool done = false;
  {
    absl::MutexLock l(&mu);
    auto all_bound = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return bound >= pods; };
    done = mu.AwaitWithTimeout(absl::Condition(&all_bound), absl::Seconds(timeout_s));
  }
  absl::Time end = absl::Now();
  informer.Stop();
  cp.StopScheduler();

  absl::MutexLock l(&mu);
  double total = absl::ToDoubleSeconds(last_bound - start);
  double steady = absl::ToDoubleSeconds(last_bound - first_bound);
  double startup = absl::ToDoubleSeconds(first_bound - start);
  double rate = steady > 0 ? (bound - 1) / steady : 0;
  double rate_total = total > 0 ? bound / total : 0;
  std::printf("\nminik8s-scheduler benchmark (real apiserver + store, one machine)\n\n");
  std::printf("| %-38s | %14s |\n", "metric", "value");
  std::printf("|%s|%s|\n", std::string(40, '-').c_str(), std::string(16, '-').c_str());
  std::printf("| %-38s | %14d |\n", "nodes", nodes);
  std::printf("| %-38s | %14d |\n", "pods created (pending)", pods);
  std::printf("| %-38s | %14.0f |\n", "pod creates/s (setup)", pods / pod_secs);
  std::printf("| %-38s | %14d |\n", "pods bound", bound);
  std::printf("| %-38s | %14.2f |\n", "scheduler start -> first bound (s)", startup);
  std::printf("| %-38s | %14.2f |\n", "first -> last bound (s)", steady);
  std::printf("| %-38s | %14.0f |\n", "pods/s bound (first -> last)", rate);
  std::printf("| %-38s | %14.0f |\n", "pods/s bound (incl. startup)", rate_total);
  std::printf("| %-38s | %14.0f |\n", "target pods/s", target);
  std::printf(
      "\n%s: %.0f pods/s is %.0f%% of the %.0f pods/s target%s\n",
      rate >= target ? "MEETS TARGET" : "BELOW TARGET", rate, 100 * rate / target, target,
      done ? ""
           : absl::StrFormat(" (timed out after %d s with %d/%d bound)", timeout_s, bound, pods)
                 .c_str());
  (void)end;
  return done ? 0 : 1;
}
