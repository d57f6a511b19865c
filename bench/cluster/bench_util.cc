#include "bench/cluster/bench_util.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "cluster/plan.h"
#include "cluster/supervisor.h"
#include "testing/file_util.h"

namespace minik8s::bench {

bool Interrupted(const char* program) {
  static bool interrupted = false;
  if (interrupted) return true;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  timespec zero = {0, 0};
  if (sigtimedwait(&set, nullptr, &zero) > 0) {
    interrupted = true;
    std::fprintf(stderr, "%s: interrupted; stopping the cluster\n", program);
  }
  return interrupted;
}

std::string ExecutableDir() {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "." : self.parent_path().string();
}

// A base whose whole port plan is free, below the kernel's ephemeral range:
// a port in that range can be taken between this check and the daemons'
// binds by any client socket, the cluster's own connections among them
// (seen: the kubelet's API port, taken as it started).
std::optional<int> PickPortBase() {
  int ephemeral_low = 32768;
  {
    std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
    int low = 0;
    if (range >> low && low > 12000) ephemeral_low = low;
  }
  const absl::StatusOr<cluster::PortPlan> probe = cluster::DerivePorts(20000, 0);
  const int span = probe.ok() ? probe->last - probe->first + 1 : 100;
  const int choices = std::max(1, (ephemeral_low - span - 20000) / 100);
  std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> pick(0, choices - 1);
  for (int attempt = 0; attempt < 200; ++attempt) {
    const int base = 20000 + 100 * pick(rng);
    absl::StatusOr<cluster::PortPlan> ports = cluster::DerivePorts(base, 0);
    if (!ports.ok()) continue;
    bool free = true;
    for (int p = ports->first; p <= ports->last && free; ++p) {
      free = !cluster::LoopbackPortInUse(p);
    }
    if (free) return base;
  }
  return std::nullopt;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

int ScaleCluster::Start(const ScaleClusterOptions& options) {
  options_ = options;
  const char* program = options_.program.c_str();
  const std::string bin = options_.bin_dir.empty() ? ExecutableDir() : options_.bin_dir;
  minik8s_bin_ = absl::StrCat(bin, "/minik8s");
  std::vector<std::string> missing;
  for (const char* b :
       {"minik8s", "minik8s-store", "minik8s-apiserver", "minik8s-controller-manager",
        "minik8s-scheduler", "minik8s-kubelet", "minik8s-proxy"}) {
    if (access(absl::StrCat(bin, "/", b).c_str(), X_OK) != 0) missing.push_back(b);
  }
  if (!missing.empty()) {
    std::fprintf(stderr, "%s: missing in %s: %s (build them)\n", program, bin.c_str(),
                 absl::StrJoin(missing, ", ").c_str());
    return 2;
  }
  // A port of a picked range can still be taken before the daemons bind it
  // (a test cluster starting beside this one): another range then.
  for (int attempt = 1;; ++attempt) {
    const int code = StartOnce(attempt);
    if (code != kPortTaken) return code;
    if (attempt == 3) return 1;
  }
}

int ScaleCluster::StartOnce(int attempt) {
  const char* program = options_.program.c_str();
  int port_base = options_.port_base;
  if (port_base == 0) {
    std::optional<int> picked = PickPortBase();
    if (!picked) {
      std::fprintf(stderr, "%s: no free port range found\n", program);
      return 1;
    }
    port_base = *picked;
  }
  tmp_ = std::make_unique<testing::TempDir>();
  data_dir_ = tmp_->Join("data");
  up_log_ = tmp_->Join("minik8s-up.log");
  std::vector<std::string> argv = {minik8s_bin_,      "up",
                                   "--data-dir",      data_dir_,
                                   "--nodes",         "0",
                                   "--scale-nodes",   absl::StrCat(options_.nodes),
                                   "--port-base",     absl::StrCat(port_base),
                                   "--mkctl-config",  "",
                                   "--log-level",     options_.log_level,
                                   "--start-timeout", absl::StrCat(options_.start_timeout_s, "s"),
                                   "--stop-timeout",  absl::StrCat(options_.stop_timeout_s, "s")};
  argv.insert(argv.end(), options_.up_args.begin(), options_.up_args.end());
  std::fprintf(stderr, "%s: %s\n", program, absl::StrJoin(argv, " ").c_str());

  const absl::Time launch = absl::Now();
  if (absl::Status s = up_.Start(argv, up_log_); !s.ok()) {
    std::fprintf(stderr, "%s: cannot start minik8s up: %s\n", program,
                 std::string(s.message()).c_str());
    return 1;
  }
  bool ready = false;
  while (!ready && !Interrupted(program)) {
    if (up_.Exited()) {
      const std::string tail = cluster::LogTail(up_log_, 30);
      std::fprintf(stderr, "%s: minik8s up exited while starting:\n%s\n", program, tail.c_str());
      if (options_.port_base == 0 && attempt < 3 &&
          (absl::StrContains(tail, "is already in use") ||
           absl::StrContains(tail, "Address already in use"))) {
        std::fprintf(stderr, "%s: port base %d was taken; another\n", program, port_base);
        return kPortTaken;
      }
      return 1;
    }
    if (absl::Now() - launch > absl::Seconds(options_.start_timeout_s + 30)) {
      std::fprintf(stderr, "%s: the cluster is not ready after %.0f s:\n%s\n", program,
                   absl::ToDoubleSeconds(absl::Now() - launch),
                   cluster::LogTail(up_log_, 30).c_str());
      break;
    }
    ready = testing::ReadFile(up_log_).find("minik8s: cluster is ready") != std::string::npos;
    if (!ready) absl::SleepFor(absl::Milliseconds(100));
  }
  startup_s_ = absl::ToDoubleSeconds(absl::Now() - launch);
  absl::StatusOr<cluster::ClusterState> state =
      ready ? cluster::ReadStateFile(cluster::StateFilePath(data_dir_))
            : absl::StatusOr<cluster::ClusterState>(absl::UnavailableError("not ready"));
  if (!state.ok()) {
    std::fprintf(stderr, "%s: cluster not ready: %s\n", program, state.status().ToString().c_str());
    Stop();
    return 1;
  }
  state_ = *std::move(state);
  std::fprintf(stderr, "%s: %d nodes Ready after %.1f s\n", program, options_.nodes, startup_s_);
  return 0;
}

double ScaleCluster::Stop() {
  const char* program = options_.program.c_str();
  const absl::Duration timeout = absl::Seconds(options_.stop_timeout_s * 6);
  const absl::Time start = absl::Now();
  if (up_.running()) {
    std::optional<int> status = up_.Stop(SIGINT, timeout);
    std::fprintf(stderr, "%s: minik8s up %s after %.1f s\n", program,
                 status ? cluster::DescribeWaitStatus(*status).c_str() : "was not running",
                 absl::ToDoubleSeconds(absl::Now() - start));
  }
  if (!data_dir_.empty() && std::filesystem::exists(cluster::StateFilePath(data_dir_))) {
    std::string out;
    testing::RunCommand({minik8s_bin_, "down", "--data-dir", data_dir_, "--timeout", "10s"}, &out,
                        absl::Seconds(120));
    std::fprintf(stderr, "%s: minik8s down:\n%s", program, out.c_str());
  }
  return absl::ToDoubleSeconds(absl::Now() - start);
}

std::optional<TlsClientFiles> ScaleCluster::admin_tls() const {
  const std::string pki_dir = cluster::PkiDir(data_dir_);
  if (!std::filesystem::exists(pki_dir + "/admin.crt")) return std::nullopt;
  return cluster::AdminTlsFromPki(pki_dir);
}

}  // namespace minik8s::bench
