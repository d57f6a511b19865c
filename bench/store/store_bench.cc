// store_bench: the same etcd-protocol workload against minik8s-store and a
// real etcd, started side by side on loopback, and a table comparing them.
// See bench/README.md for the meaning of each row.
#include <algorithm>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "bench/proc_stats.h"
#include "bench/store/cpu_affinity.h"
#include "bench/store/etcd_load.h"
#include "common/grpc_setup.h"
#include "testing/store_backend.h"

namespace minik8s::bench {
namespace {

using testing::BackendKind;
using testing::StoreBackend;

struct Flags {
  double duration_s = 5;
  std::vector<int> clients = {1, 16, 256, 1000};
  std::string only;
  std::string store_bin;
  std::string etcd_bin;
  bool quick = false;
  bool check_perf = false;
  int value_size = 256;
  int range_clients = 64;
  int watchers = 1000;
  int watch_puts = 1000;
  int max_channels = 100;
  // Compaction row: distinct keys put, deleted, then compacted physically.
  int64_t compact_keys = 100000;
  std::string daemon_cpus;
  std::string generator_cpus;
  // Row groups to run: put, range, watch, compact.
  std::vector<std::string> rows = {"put", "range", "watch", "compact"};
};

bool Wants(const Flags& flags, const std::string& group) {
  return std::find(flags.rows.begin(), flags.rows.end(), group) != flags.rows.end();
}

// One table row: a figure per backend (nullopt: not measured / failed).
struct Row {
  std::string name;
  std::string unit;
  std::optional<double> ours;
  std::optional<double> etcd;
  std::string note;
};

struct Daemon {
  BackendKind kind;
  std::unique_ptr<StoreBackend> backend;
};

// Peak resident set size of a process (VmHWM), in MiB.
std::optional<double> PeakRssMiB(pid_t pid) {
  const int64_t kb = bench::ProcStatusKb(pid, "VmHWM");
  if (kb < 0) return std::nullopt;
  return kb / 1024.0;
}

std::string FormatValue(std::optional<double> v) {
  if (!v) return "-";
  if (*v >= 100) return absl::StrFormat("%.0f", *v);
  if (*v >= 1) return absl::StrFormat("%.2f", *v);
  return absl::StrFormat("%.3f", *v);
}

void PrintTable(const std::vector<Row>& rows) {
  size_t name_w = 4;
  for (const Row& r : rows) name_w = std::max(name_w, r.name.size() + r.unit.size() + 3);
  std::cout << "\n"
            << absl::StrFormat("%-*s %14s %14s %10s", name_w, "row", "minik8s-store", "etcd",
                               "ours/etcd")
            << "\n"
            << std::string(name_w + 41, '-') << "\n";
  for (const Row& r : rows) {
    std::string ratio = "-";
    if (r.ours && r.etcd && *r.etcd > 0) ratio = absl::StrFormat("%.2f", *r.ours / *r.etcd);
    std::cout << absl::StrFormat("%-*s %14s %14s %10s", name_w,
                                 absl::StrCat(r.name, " (", r.unit, ")"), FormatValue(r.ours),
                                 FormatValue(r.etcd), ratio);
    if (!r.note.empty()) std::cout << "  " << r.note;
    std::cout << "\n";
  }
  std::cout.flush();
}

void Set(Row* row, BackendKind kind, double v) {
  (kind == BackendKind::kMinik8sStore ? row->ours : row->etcd) = v;
}

void AddNote(Row* row, BackendKind kind, const std::string& note) {
  if (!row->note.empty()) row->note += "; ";
  row->note += absl::StrCat(testing::BackendName(kind), ": ", note);
}

int Run(const Flags& flags) {
  std::vector<Daemon> daemons;
  for (BackendKind kind : {BackendKind::kMinik8sStore, BackendKind::kEtcd}) {
    std::string name = kind == BackendKind::kMinik8sStore ? "minik8s" : "etcd";
    if (!flags.only.empty() && flags.only != name) continue;
    StoreBackend::Options options;
    options.kind = kind;
    options.binary = kind == BackendKind::kMinik8sStore ? flags.store_bin : flags.etcd_bin;
    auto backend = std::make_unique<StoreBackend>(options);
    std::cerr << "starting " << testing::BackendName(kind) << "...\n";
    absl::Status s = backend->Start();
    if (!s.ok()) {
      std::cerr << "store_bench: cannot start " << testing::BackendName(kind) << ": " << s
                << "\n(use --only etcd or --only minik8s to benchmark one backend)\n";
      return 1;
    }
    std::cerr << "  " << testing::BackendName(kind) << " on " << backend->endpoint() << ", pid "
              << backend->pid() << ", log " << backend->log_path() << "\n";
    daemons.push_back({kind, std::move(backend)});
  }
  // Pinning after the daemons started: they inherit nothing from the
  // generator's mask, and each gets --daemon-cpus for all its threads.
  if (!flags.daemon_cpus.empty()) {
    absl::StatusOr<cpu_set_t> cpus = ParseCpuList(flags.daemon_cpus);
    for (const Daemon& d : daemons) {
      absl::Status s = cpus.ok() ? PinProcess(d.backend->pid(), *cpus) : cpus.status();
      if (!s.ok()) {
        std::cerr << "store_bench: --daemon-cpus: " << s << "\n";
        return 1;
      }
    }
    std::cerr << "  daemons pinned to CPUs " << flags.daemon_cpus << "\n";
  }
  if (!flags.generator_cpus.empty()) {
    absl::StatusOr<cpu_set_t> cpus = ParseCpuList(flags.generator_cpus);
    absl::Status s = cpus.ok() ? PinProcess(0, *cpus) : cpus.status();
    if (!s.ok()) {
      std::cerr << "store_bench: --generator-cpus: " << s << "\n";
      return 1;
    }
    std::cerr << "  load generator pinned to CPUs " << flags.generator_cpus << "\n";
  }

  absl::Duration duration = absl::Seconds(flags.duration_s);
  std::vector<Row> rows;
  auto progress = [&](const std::string& what, const Daemon& d) {
    std::cerr << "  " << what << " on " << testing::BackendName(d.kind) << "\n";
  };

  // Rows interleave the backends, so that background noise hits both alike.
  for (int clients : Wants(flags, "put") ? flags.clients : std::vector<int>{}) {
    std::string who = absl::StrCat(clients, clients == 1 ? " client" : " clients");
    Row tput{absl::StrCat("put/s, ", who), "ops/s"};
    Row p50{absl::StrCat("put p50, ", who), "ms"};
    Row p99{absl::StrCat("put p99, ", who), "ms"};
    Row daemon_cpu{absl::StrCat("daemon CPU per put, ", who), "us"};
    Row bench_cpu{absl::StrCat("load generator CPU per put, ", who), "us"};
    for (const Daemon& d : daemons) {
      progress(tput.name, d);
      LoadOptions o{d.backend->grpc_address(), clients, flags.max_channels, duration};
      const double daemon_before = bench::ProcCpuSeconds(d.backend->pid());
      const double bench_before = bench::SelfCpuSeconds();
      LoadResult r = RunPutLoad(o, flags.value_size);
      const double daemon_after = bench::ProcCpuSeconds(d.backend->pid());
      const double bench_after = bench::SelfCpuSeconds();
      if (r.ok > 0) {
        Set(&tput, d.kind, r.PerSecond());
        Set(&p50, d.kind, r.p50_ms);
        Set(&p99, d.kind, r.p99_ms);
        // CPU time over the whole row (connection set-up included) per
        // acknowledged put; /proc counts in clock ticks (10 ms).
        if (daemon_before >= 0 && daemon_after >= 0) {
          Set(&daemon_cpu, d.kind, (daemon_after - daemon_before) * 1e6 / r.ok);
        }
        Set(&bench_cpu, d.kind, (bench_after - bench_before) * 1e6 / r.ok);
      }
      if (r.errors > 0)
        AddNote(&tput, d.kind, absl::StrCat(r.errors, " errors, first: ", r.first_error));
    }
    rows.push_back(tput);
    rows.push_back(p50);
    rows.push_back(p99);
    rows.push_back(daemon_cpu);
    rows.push_back(bench_cpu);
  }

  for (int prefix_keys : Wants(flags, "range") ? std::vector<int>{0, 100} : std::vector<int>{}) {
    Row row{prefix_keys == 0 ? absl::StrCat("range/s single key, ", flags.range_clients, " clients")
                             : absl::StrCat("range/s prefix of ", prefix_keys, " keys, ",
                                            flags.range_clients, " clients"),
            "ops/s"};
    for (const Daemon& d : daemons) {
      progress(row.name, d);
      LoadOptions o{d.backend->grpc_address(), flags.range_clients, flags.max_channels, duration};
      absl::StatusOr<LoadResult> r = RunRangeLoad(o, prefix_keys);
      if (!r.ok()) {
        AddNote(&row, d.kind, std::string(r.status().message()));
        continue;
      }
      if (r->ok > 0) Set(&row, d.kind, r->PerSecond());
      if (r->errors > 0)
        AddNote(&row, d.kind, absl::StrCat(r->errors, " errors: ", r->first_error));
    }
    rows.push_back(row);
  }

  if (Wants(flags, "watch")) {
    Row row{
        absl::StrCat("watch events/s, ", flags.watchers, " watchers x ", flags.watch_puts, " puts"),
        "events/s"};
    for (const Daemon& d : daemons) {
      progress(row.name, d);
      LoadOptions o{d.backend->grpc_address(), 0, flags.max_channels, duration};
      absl::StatusOr<WatchResult> r =
          RunWatchFanout(o, flags.watchers, flags.watch_puts, /*writer_clients=*/16,
                         flags.value_size, absl::Seconds(120));
      if (!r.ok()) {
        AddNote(&row, d.kind, std::string(r.status().message()));
        continue;
      }
      Set(&row, d.kind, r->EventsPerSecond());
      if (!r->complete) {
        AddNote(&row, d.kind,
                absl::StrCat("incomplete: ", r->events_delivered, " of ", r->events_expected,
                             " events"));
      }
    }
    rows.push_back(row);
  }

  if (Wants(flags, "compact")) {
    const std::string n = absl::StrCat(flags.compact_keys);
    Row put_time{absl::StrCat("put ", n, " distinct keys, 256 clients"), "s"};
    Row delete_time{absl::StrCat("DeleteRange of those ", n, " keys"), "s"};
    Row first_put{"first put right after that DeleteRange", "ms"};
    Row compact_time{absl::StrCat("physical compaction after deleting ", n, " keys"), "s"};
    Row put_stall{"slowest put during that compaction, 1 client", "ms"};
    Row range_stall{"slowest range during that compaction, 1 client", "ms"};
    for (const Daemon& d : daemons) {
      progress(compact_time.name, d);
      LoadOptions o{d.backend->grpc_address(), 256, flags.max_channels, duration};
      absl::StatusOr<CompactionResult> r = RunCompaction(o, flags.compact_keys, flags.value_size);
      if (!r.ok()) {
        AddNote(&compact_time, d.kind, std::string(r.status().message()));
        continue;
      }
      Set(&put_time, d.kind, absl::ToDoubleSeconds(r->put_elapsed));
      Set(&delete_time, d.kind, absl::ToDoubleSeconds(r->delete_elapsed));
      Set(&first_put, d.kind, absl::ToDoubleMilliseconds(r->first_put_after_delete));
      Set(&compact_time, d.kind, absl::ToDoubleSeconds(r->compact_elapsed));
      for (auto [probe, at, row, what] :
           {std::tuple(&r->concurrent_puts, r->slowest_put_at, &put_stall, "puts"),
            std::tuple(&r->concurrent_ranges, r->slowest_range_at, &range_stall, "ranges")}) {
        if (probe->ok > 0) Set(row, d.kind, probe->max_ms);
        std::cerr << "    " << probe->ok << " " << what << " during the compaction; the slowest "
                  << "started " << at << " after it\n";
        if (probe->errors > 0) {
          AddNote(row, d.kind, absl::StrCat(probe->errors, " errors, first: ", probe->first_error));
        }
      }
    }
    for (Row* row :
         {&put_time, &delete_time, &first_put, &compact_time, &put_stall, &range_stall}) {
      rows.push_back(*row);
    }
  }

  {
    Row row{"peak RSS (VmHWM)", "MiB"};
    for (const Daemon& d : daemons) {
      std::optional<double> rss = PeakRssMiB(d.backend->pid());
      if (rss) Set(&row, d.kind, *rss);
    }
    rows.push_back(row);
  }

  PrintTable(rows);

  int rc = 0;
  if (flags.check_perf) {
    std::cout << "\netcdctl check perf --load=l\n";
    for (const Daemon& d : daemons) {
      std::cerr << "  check perf on " << testing::BackendName(d.kind) << " (60 s)\n";
      testing::CommandResult r =
          d.backend->Etcdctl({"check", "perf", "--load=l"}, "", absl::Seconds(180));
      std::string text = absl::StrReplaceAll(r.output, {{"\r", "\n"}});
      std::vector<std::string> verdicts;
      for (absl::string_view line : absl::StrSplit(text, '\n')) {
        if (absl::StartsWith(line, "PASS") || absl::StartsWith(line, "FAIL")) {
          verdicts.emplace_back(line);
        }
      }
      std::cout << "  " << testing::BackendName(d.kind) << ": "
                << (r.exit_code == 0 ? "PASS" : "FAIL") << " ("
                << absl::StrJoin(verdicts.begin(), verdicts.end() - (verdicts.empty() ? 0 : 1),
                                 "; ")
                << ")\n";
    }
  }

  for (Daemon& d : daemons) {
    absl::Status s = d.backend->Stop();
    if (!s.ok()) {
      std::cerr << "store_bench: " << testing::BackendName(d.kind) << " did not stop cleanly: " << s
                << "\n";
      rc = 1;
    }
  }
  return rc;
}

}  // namespace
}  // namespace minik8s::bench

int main(int argc, char** argv) {
  // The load generator is as lean as the daemons it measures.
  minik8s::TurnOffMutexDeadlockDetection();
  minik8s::bench::Flags flags;
  CLI::App app{
      "Runs the same etcd v3 workload against minik8s-store and a real etcd, started side by "
      "side on loopback, and prints a comparison table."};
  app.add_option("--duration", flags.duration_s, "Seconds each put/range row runs per backend")
      ->check(CLI::PositiveNumber);
  app.add_option("--clients", flags.clients,
                 "Concurrent put clients, one table row group each (e.g. --clients 1,16,256)")
      ->delimiter(',')
      ->check(CLI::Range(1, 100000));
  app.add_option("--only", flags.only, "Benchmark one backend only")
      ->check(CLI::IsMember({"minik8s", "etcd"}));
  app.add_option("--store-bin", flags.store_bin,
                 "minik8s-store binary (default: the build tree's bin/minik8s-store)");
  app.add_option("--etcd-bin", flags.etcd_bin, "etcd binary (default: etcd on PATH)");
  app.add_flag("--quick", flags.quick,
               "Tiny run for smoke tests: short rows, fewer clients and watchers "
               "(explicit flags still win)");
  app.add_flag("--check-perf", flags.check_perf,
               "Also run `etcdctl check perf --load=l` (60 s) against each backend");
  app.add_option("--value-size", flags.value_size, "Bytes per put value")
      ->check(CLI::Range(1, 1 << 20));
  app.add_option("--range-clients", flags.range_clients, "Concurrent clients of the range rows")
      ->check(CLI::Range(1, 100000));
  app.add_option("--watchers", flags.watchers, "Watch streams in the watch fan-out row")
      ->check(CLI::Range(1, 100000));
  app.add_option("--watch-puts", flags.watch_puts, "Puts the watch fan-out row writes")
      ->check(CLI::Range(1, 10000000));
  app.add_option(
         "--rows", flags.rows,
         "Row groups to run, comma-separated: put, range, watch, compact (default: all; peak "
         "RSS "
         "is always printed)")
      ->delimiter(',')
      ->check(CLI::IsMember({"put", "range", "watch", "compact"}));
  app.add_option("--connections,--max-channels", flags.max_channels,
                 "gRPC connections (channels) the clients of a row are spread over, "
                 "round-robin; a row with fewer clients uses one connection per client")
      ->check(CLI::Range(1, 100000));
  app.add_option("--compact-keys", flags.compact_keys,
                 "Distinct keys the compaction row puts, deletes and compacts")
      ->check(CLI::Range(1, 100000000));
  app.add_option("--daemon-cpus", flags.daemon_cpus,
                 "Pin both daemons (every thread) to these CPUs, taskset style: 0-3,8");
  app.add_option("--generator-cpus", flags.generator_cpus,
                 "Pin the load generator (this process) to these CPUs, taskset style: 4-7");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (flags.quick) {
    auto given = [&](const char* name) { return app.get_option(name)->count() > 0; };
    if (!given("--duration")) flags.duration_s = 0.3;
    if (!given("--clients")) flags.clients = {1, 16};
    if (!given("--range-clients")) flags.range_clients = 8;
    if (!given("--watchers")) flags.watchers = 50;
    if (!given("--watch-puts")) flags.watch_puts = 50;
    if (!given("--compact-keys")) flags.compact_keys = 2000;
  }
  return minik8s::bench::Run(flags);
}
