// controllers_bench: how fast minik8s-controller-manager turns a Deployment
// into Pod objects through the real apiserver and store.
//
//   1. start minik8s-store + minik8s-apiserver on loopback (TempDir) and
//      minik8s-controller-manager (--leader-elect=false, plus --cm-flag);
//   2. warm up: a 1-replica Deployment whose pod shows that the
//      controller-manager's caches are synced and its controllers run;
//   3. watch pods labelled app=bench, create a Deployment of --replicas
//      (default 10,000), and count distinct pods ADDED by the watch until all
//      exist;
//   4. print a table (time to the first / last pod, pods/s, RSS of each
//      daemon) against the target (--target, 10 s); then list the pods to
//      check there are exactly --replicas of them.
//
//   controllers_bench [--replicas 10000] [--cm-flag=--kube-api-qps=100 ...]
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "api/errors.h"
#include "bench/proc_stats.h"
#include "client/watch.h"
#include "testing/control_plane.h"
#include "testing/subprocess.h"

namespace {

using minik8s::apps::v1::Deployment;
using minik8s::core::v1::Pod;

Deployment MakeDeployment(const std::string& name, int replicas) {
  Deployment d;
  d.mutable_metadata()->set_name(name);
  d.mutable_metadata()->set_namespace_("default");
  d.mutable_spec()->set_replicas(replicas);
  (*d.mutable_spec()->mutable_selector()->mutable_match_labels())["app"] = name;
  auto* tmpl = d.mutable_spec()->mutable_template_();
  (*tmpl->mutable_metadata()->mutable_labels())["app"] = name;
  auto* c = tmpl->mutable_spec()->add_containers();
  c->set_name("app");
  c->set_image("nginx:1.25");
  return d;
}

// A line of /proc/<pid>/status in MiB ("VmRSS", "VmHWM"); -1 if unknown.
double ProcStatusMiB(pid_t pid, const std::string& field) {
  const int64_t kb = minik8s::bench::ProcStatusKb(pid, field);
  return kb < 0 ? -1 : kb / 1024.0;
}

using minik8s::bench::LoadAverage;
using minik8s::bench::ProcCpuSeconds;

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "controllers_bench: time from creating a Deployment until all its Pod objects exist, "
      "through the real minik8s-controller-manager, apiserver and store"};
  int replicas = 10000;
  double target_s = 10;
  int timeout_s = 600;
  std::vector<std::string> cm_flags;
  app.add_option("--replicas", replicas, "spec.replicas of the measured Deployment");
  app.add_option("--target", target_s, "Target in seconds from create to the last pod");
  app.add_option("--timeout", timeout_s, "Give up after this many seconds");
  app.add_option("--cm-flag", cm_flags,
                 "Extra flag for minik8s-controller-manager (repeatable), e.g. "
                 "--cm-flag=--concurrent-replicaset-syncs=2");
  CLI11_PARSE(app, argc, argv);

  using minik8s::testing::ControlPlane;
  auto missing = ControlPlane::MissingBinaries(
      {"minik8s-store", "minik8s-apiserver", "minik8s-controller-manager"});
  if (!missing.empty()) {
    std::fprintf(stderr, "missing binaries in the build tree: %s\n",
                 absl::StrJoin(missing, ", ").c_str());
    return 2;
  }
  ControlPlane cp;
  if (absl::Status s = cp.Start(); !s.ok()) {
    std::fprintf(stderr, "control plane: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  auto& cs = *cp.clientset();
  std::vector<std::string> flags = {"--leader-elect=false"};
  flags.insert(flags.end(), cm_flags.begin(), cm_flags.end());
  if (absl::Status s = cp.StartControllerManager(flags); !s.ok()) {
    std::fprintf(stderr, "controller-manager: %s\n", std::string(s.message()).c_str());
    return 1;
  }

  // Warm-up: one pod shows the controller-manager is up and reconciling.
  const absl::Time warm_start = absl::Now();
  if (auto d = cs.Deployments().Create(MakeDeployment("warmup", 1)); !d.ok()) {
    std::fprintf(stderr, "create warmup: %s\n", d.status().ToString().c_str());
    return 1;
  }
  if (!minik8s::testing::WaitFor(
          [&] {
            auto pods = cs.Pods().List("default", {.label_selector = "app=warmup"});
            return pods.ok() && pods->items.size() == 1;
          },
          absl::Seconds(60))) {
    std::fprintf(stderr, "the warm-up pod never appeared:\n%s\n",
                 cp.LogTail("controller-manager-0.log").c_str());
    return 1;
  }
  std::fprintf(stderr, "controller-manager ready (warm-up pod after %.2f s)\n",
               absl::ToDoubleSeconds(absl::Now() - warm_start));

  // Count the measured Deployment's pods from a watch.
  auto list = cs.Pods().List("default", {.label_selector = "app=bench"});
  if (!list.ok()) {
    std::fprintf(stderr, "list: %s\n", list.status().ToString().c_str());
    return 1;
  }
  auto watch = cs.Pods().Watch(
      "default", {.label_selector = "app=bench", .resource_version = list->resource_version});
  if (!watch.ok()) {
    std::fprintf(stderr, "watch: %s\n", watch.status().ToString().c_str());
    return 1;
  }
  absl::Mutex mu;
  absl::flat_hash_set<std::string> seen;
  absl::Time first_pod = absl::InfiniteFuture(), last_pod;
  std::thread watcher([&] {
    minik8s::client::WatchEvent ev;
    while ((*watch)->Next(&ev)) {
      if (ev.type != minik8s::client::WatchEventType::kAdded) continue;
      auto pod = minik8s::client::ObjectAs<Pod>(ev);
      if (pod == nullptr) continue;
      absl::Time now = absl::Now();
      absl::MutexLock l(&mu);
      if (!seen.insert(pod->metadata().name()).second) continue;
      if (seen.size() == 1) first_pod = now;
      last_pod = now;
    }
  });

  double cpu_before[3];
  const pid_t pids[3] = {cp.store_pid(), cp.apiserver_pid(), cp.controller_manager_pid(0)};
  for (int i = 0; i < 3; ++i) cpu_before[i] = ProcCpuSeconds(pids[i]);
  const absl::Time start = absl::Now();
  if (auto d = cs.Deployments().Create(MakeDeployment("bench", replicas)); !d.ok()) {
    std::fprintf(stderr, "create bench deployment: %s\n", d.status().ToString().c_str());
    (*watch)->Cancel();
    watcher.join();
    return 1;
  }
  bool done = false;
  {
    absl::MutexLock l(&mu);
    auto all = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
      return static_cast<int>(seen.size()) >= replicas;
    };
    done = mu.AwaitWithTimeout(absl::Condition(&all), absl::Seconds(timeout_s));
  }
  const std::string load = LoadAverage();
  // RSS while the daemons still hold everything they built up.
  struct Row {
    const char* name;
    pid_t pid;
  };
  const Row daemons[] = {{"minik8s-store", cp.store_pid()},
                         {"minik8s-apiserver", cp.apiserver_pid()},
                         {"minik8s-controller-manager", cp.controller_manager_pid(0)}};
  double rss[3], hwm[3], cpu[3];
  for (int i = 0; i < 3; ++i) {
    cpu[i] = ProcCpuSeconds(daemons[i].pid) - cpu_before[i];
    rss[i] = ProcStatusMiB(daemons[i].pid, "VmRSS");
    hwm[i] = ProcStatusMiB(daemons[i].pid, "VmHWM");
  }
  // Settle briefly, then check the end state: exactly `replicas` pods.
  absl::SleepFor(absl::Seconds(2));
  auto final_list = cs.Pods().List("default", {.label_selector = "app=bench"});
  (*watch)->Cancel();
  watcher.join();
  int listed = final_list.ok() ? static_cast<int>(final_list->items.size()) : -1;

  absl::MutexLock l(&mu);
  const int pods = static_cast<int>(seen.size());
  const double total = absl::ToDoubleSeconds(last_pod - start);
  const double to_first = absl::ToDoubleSeconds(first_pod - start);
  const double first_to_last = absl::ToDoubleSeconds(last_pod - first_pod);
  std::printf("\nminik8s-controller-manager benchmark (real apiserver + store, one machine)\n\n");
  std::printf("| %-42s | %14s |\n", "metric", "value");
  std::printf("|%s|%s|\n", std::string(44, '-').c_str(), std::string(16, '-').c_str());
  std::printf("| %-42s | %14d |\n", "deployment replicas", replicas);
  std::printf("| %-42s | %14d |\n", "pods seen by the watch", pods);
  std::printf("| %-42s | %14d |\n", "pods listed 2 s later", listed);
  std::printf("| %-42s | %14.2f |\n", "create -> first pod (s)", to_first);
  std::printf("| %-42s | %14.2f |\n", "create -> last pod (s)", total);
  std::printf("| %-42s | %14.0f |\n", "pods/s (first -> last)",
              first_to_last > 0 ? (pods - 1) / first_to_last : 0);
  for (int i = 0; i < 3; ++i) {
    std::printf("| %-42s | %14.0f |\n", absl::StrCat(daemons[i].name, " RSS (MiB)").c_str(),
                rss[i]);
    std::printf("| %-42s | %14.0f |\n", absl::StrCat(daemons[i].name, " peak RSS (MiB)").c_str(),
                hwm[i]);
    std::printf("| %-42s | %14.2f |\n", absl::StrCat(daemons[i].name, " CPU (s)").c_str(), cpu[i]);
  }
  std::printf("| %-42s | %14.2f |\n", "target (s)", target_s);
  std::printf("\nload average at the end: %s\n", load.c_str());
  const bool met = done && total <= target_s;
  std::printf(
      "%s: %d pods in %.2f s (target %.1f s)%s\n", met ? "MEETS TARGET" : "BELOW TARGET", pods,
      total, target_s,
      done ? ""
           : absl::StrFormat(" (timed out after %d s with %d/%d pods)", timeout_s, pods, replicas)
                 .c_str());
  if (listed != replicas) {
    std::printf("WRONG END STATE: %d pods listed, want %d\n", listed, replicas);
    return 1;
  }
  return done ? 0 : 1;
}
