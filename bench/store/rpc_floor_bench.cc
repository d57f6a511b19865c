// rpc_floor_bench: the daemon CPU per put of servers that only answer
// KV.Put (bench/store/rpc_floor.h) beside minik8s-store and a real etcd,
// under store_bench's put load, in one run. The floors show what the RPC
// layer costs with no storage at all: gRPC 1.51 as the store uses it, and
// gRPC's protocol over nghttp2. See bench/README.md, "rpc_floor_bench".
#include <limits.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench/proc_stats.h"
#include "bench/store/etcd_load.h"
#include "bench/store/rpc_floor.h"
#include "common/grpc_setup.h"
#include "common/net.h"
#include "testing/store_backend.h"
#include "testing/subprocess.h"

namespace minik8s::bench {
namespace {

constexpr char kGrpcFloor[] = "grpc-floor";
constexpr char kGrpcHandOff[] = "grpc-handoff";
constexpr char kGrpcHandOffRelay[] = "grpc-handoff-relay";
constexpr char kHttp2Floor[] = "http2-floor";
constexpr char kStore[] = "minik8s-store";
constexpr char kEtcd[] = "etcd";

struct Flags {
  std::vector<std::string> servers = {kGrpcFloor, kGrpcHandOff, kHttp2Floor, kStore, kEtcd};
  int clients = 1000;
  int connections = 1000;
  double duration_s = 6;
  int rounds = 1;
  int value_size = 256;
  int hand_off_wait_us = 1000;
  std::string store_bin;
  std::string etcd_bin;
  std::string serve;  // internal: run one floor server (the child's mode)
  int port = 0;
};

// A server under load: a floor server (this program, as a child) or a
// backend of testing/store_backend.h.
class Server {
 public:
  virtual ~Server() = default;
  virtual absl::Status Start() = 0;
  virtual pid_t pid() const = 0;
  virtual std::string address() const = 0;
};

class FloorServer : public Server {
 public:
  FloorServer(std::string mode, int hand_off_wait_us)
      : mode_(std::move(mode)), hand_off_wait_us_(hand_off_wait_us) {}
  ~FloorServer() override { process_.Stop(SIGTERM, absl::Seconds(5)); }

  absl::Status Start() override {
    absl::StatusOr<int> port = PickFreeLoopbackPort();
    if (!port.ok()) return port.status();
    port_ = *port;
    char self[PATH_MAX];
    const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return absl::InternalError("cannot read /proc/self/exe");
    self[n] = '\0';
    if (absl::Status s = process_.Start({self, "--serve", mode_, "--port", absl::StrCat(port_),
                                         "--handoff-wait-us", absl::StrCat(hand_off_wait_us_)});
        !s.ok()) {
      return s;
    }
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (!testing::PortAcceptsConnections(port_)) {
      if (process_.Exited() || absl::Now() > deadline) {
        return absl::UnavailableError(absl::StrCat(mode_, " did not start listening"));
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
    return absl::OkStatus();
  }
  pid_t pid() const override { return process_.pid(); }
  std::string address() const override { return absl::StrCat("127.0.0.1:", port_); }

 private:
  const std::string mode_;
  const int hand_off_wait_us_;
  testing::Subprocess process_;
  int port_ = 0;
};

class BackendServer : public Server {
 public:
  BackendServer(testing::BackendKind kind, const std::string& binary) {
    testing::StoreBackend::Options options;
    options.kind = kind;
    if (!binary.empty()) options.binary = binary;
    backend_ = std::make_unique<testing::StoreBackend>(std::move(options));
  }
  absl::Status Start() override { return backend_->Start(); }
  pid_t pid() const override { return backend_->pid(); }
  std::string address() const override { return backend_->grpc_address(); }

 private:
  std::unique_ptr<testing::StoreBackend> backend_;
};

std::unique_ptr<Server> MakeServer(const std::string& name, const Flags& flags) {
  if (name == kStore) {
    return std::make_unique<BackendServer>(testing::BackendKind::kMinik8sStore, flags.store_bin);
  }
  if (name == kEtcd)
    return std::make_unique<BackendServer>(testing::BackendKind::kEtcd, flags.etcd_bin);
  return std::make_unique<FloorServer>(name, flags.hand_off_wait_us);
}

struct Measurement {
  double puts_per_s = 0;
  double daemon_us = 0;     // daemon CPU per put
  double generator_us = 0;  // this process's CPU per put
  int64_t errors = 0;
  std::string first_error;
};

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t mid = v.size() / 2;
  return v.size() % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

int Run(const Flags& flags) {
  std::printf(
      "rpc_floor_bench: %d clients over %d connections, %.1f s per server, %d round(s); "
      "load average %s\n",
      flags.clients, flags.connections, flags.duration_s, flags.rounds, LoadAverage().c_str());
  std::fflush(stdout);
  std::map<std::string, std::vector<Measurement>> results;
  for (int round = 1; round <= flags.rounds; ++round) {
    std::vector<std::string> order = flags.servers;
    if (round % 2 == 0) std::reverse(order.begin(), order.end());
    for (const std::string& name : order) {
      std::unique_ptr<Server> server = MakeServer(name, flags);
      if (absl::Status s = server->Start(); !s.ok()) {
        std::fprintf(stderr, "%s: %s\n", name.c_str(), s.ToString().c_str());
        return 1;
      }
      LoadOptions options{server->address(), flags.clients, flags.connections,
                          absl::Seconds(flags.duration_s)};
      const double daemon_before = ProcCpuSeconds(server->pid());
      const double self_before = SelfCpuSeconds();
      LoadResult r = RunPutLoad(options, flags.value_size);
      const double daemon_after = ProcCpuSeconds(server->pid());
      const double self_after = SelfCpuSeconds();
      Measurement m;
      m.errors = r.errors;
      m.first_error = r.first_error;
      if (r.ok > 0) {
        m.puts_per_s = r.PerSecond();
        m.daemon_us = (daemon_after - daemon_before) * 1e6 / static_cast<double>(r.ok);
        m.generator_us = (self_after - self_before) * 1e6 / static_cast<double>(r.ok);
      }
      std::fprintf(
          stderr, "round %d, %s: %.0f puts/s, %.1f us daemon CPU per put%s\n", round, name.c_str(),
          m.puts_per_s, m.daemon_us,
          m.errors > 0 ? absl::StrCat(", ", m.errors, " errors: ", m.first_error).c_str() : "");
      results[name].push_back(std::move(m));
    }
  }

  const bool have_etcd = results.count(kEtcd) > 0;
  std::vector<double> etcd_cpu;
  if (have_etcd) {
    for (const Measurement& m : results[kEtcd]) etcd_cpu.push_back(m.daemon_us);
  }
  const double etcd_median = Median(etcd_cpu);
  std::printf(
      "\n| server | puts/s | daemon CPU per put (µs) | vs etcd | generator CPU per put (µs) "
      "| errors |\n|---|---:|---:|---:|---:|---:|\n");
  int failures = 0;
  for (const std::string& name : flags.servers) {
    std::vector<double> rate, cpu, generator;
    int64_t errors = 0;
    for (const Measurement& m : results[name]) {
      rate.push_back(m.puts_per_s);
      cpu.push_back(m.daemon_us);
      generator.push_back(m.generator_us);
      errors += m.errors;
      if (m.puts_per_s <= 0) ++failures;
    }
    std::string cpu_text = absl::StrFormat("%.1f", Median(cpu));
    if (cpu.size() > 1) {
      absl::StrAppendFormat(&cpu_text, " (%.1f–%.1f)", *std::min_element(cpu.begin(), cpu.end()),
                            *std::max_element(cpu.begin(), cpu.end()));
    }
    const std::string ratio =
        have_etcd && etcd_median > 0 ? absl::StrFormat("%.2f", Median(cpu) / etcd_median) : "-";
    std::printf("| %s | %.0f | %s | %s | %.1f | %lld |\n", name.c_str(), Median(rate),
                cpu_text.c_str(), ratio.c_str(), Median(generator), static_cast<long long>(errors));
  }
  std::printf(
      "\n(medians of the rounds; daemon CPU is user + system time of all its threads "
      "from /proc, 10 ms ticks; vs etcd: the ratio of the medians)\n");
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace minik8s::bench

int main(int argc, char** argv) {
  minik8s::TurnOffMutexDeadlockDetection();
  minik8s::ConfigureGrpcForProcess();
  minik8s::bench::Flags flags;
  CLI::App app{
      "rpc_floor_bench: daemon CPU per put of servers that only answer KV.Put (gRPC 1.51 set up "
      "as minik8s-store, with and without the store's hand-off to another thread, and gRPC's "
      "protocol on nghttp2) beside minik8s-store and etcd, under the same put load"};
  using namespace minik8s::bench;  // NOLINT(build/namespaces): the server names
  app.add_option("--servers", flags.servers,
                 "Servers to load, in order (comma-separated or repeated): grpc-floor (gRPC as "
                 "the store sets it up, answering on the polling thread), grpc-handoff (the same, "
                 "puts handed to a second thread that waits --handoff-wait-us per batch and "
                 "answers them, as the store's group commit and completion stage do), "
                 "grpc-handoff-relay (as grpc-handoff, the answers relayed back to the polling "
                 "thread), http2-floor (gRPC's protocol on nghttp2), minik8s-store, etcd")
      ->delimiter(',')
      ->check(
          CLI::IsMember({kGrpcFloor, kGrpcHandOff, kGrpcHandOffRelay, kHttp2Floor, kStore, kEtcd}));
  app.add_option("--clients", flags.clients, "Concurrent put loops (one put in flight each)")
      ->check(CLI::Range(1, 100000));
  app.add_option("--connections", flags.connections, "gRPC connections the clients are spread over")
      ->check(CLI::Range(1, 100000));
  app.add_option("--duration", flags.duration_s, "Seconds of load per server and round")
      ->check(CLI::PositiveNumber);
  app.add_option("--rounds", flags.rounds,
                 "Rounds; each loads every server once, in reverse order every other round")
      ->check(CLI::Range(1, 50));
  app.add_option("--value-size", flags.value_size, "Bytes per put value")
      ->check(CLI::Range(0, 1 << 20));
  app.add_option("--handoff-wait-us", flags.hand_off_wait_us,
                 "The grpc-handoff servers' wait per batch, standing for a sync (µs)")
      ->check(CLI::Range(0, 1000000));
  app.add_option("--store-bin", flags.store_bin,
                 "minik8s-store binary (default: the build tree's bin/minik8s-store)");
  app.add_option("--etcd-bin", flags.etcd_bin, "etcd binary (default: etcd on PATH)");
  app.add_option("--serve", flags.serve,
                 "Run one floor server (a --servers name other than minik8s-store and etcd) on "
                 "--port until SIGTERM; what the benchmark starts its floors with")
      ->check(CLI::IsMember({kGrpcFloor, kGrpcHandOff, kGrpcHandOffRelay, kHttp2Floor}));
  app.add_option("--port", flags.port, "Loopback port of --serve")->check(CLI::Range(1, 65535));
  CLI11_PARSE(app, argc, argv);
  if (!flags.serve.empty()) {
    if (flags.port == 0) {
      std::fprintf(stderr, "--serve needs --port\n");
      return 2;
    }
    if (flags.serve == kHttp2Floor) return ServeHttp2Floor(flags.port);
    const GrpcShape shape = flags.serve == kGrpcFloor     ? GrpcShape::kInline
                            : flags.serve == kGrpcHandOff ? GrpcShape::kHandOff
                                                          : GrpcShape::kHandOffRelay;
    return ServeGrpcFloor(flags.port, shape, absl::Microseconds(flags.hand_off_wait_us));
  }
  return minik8s::bench::Run(flags);
}
