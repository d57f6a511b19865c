// Pieces every benchmark that starts `minik8s up --scale-nodes` needs
// (cluster_bench, netprog_bench).
#ifndef MINIK8S_BENCH_CLUSTER_BENCH_UTIL_H_
#define MINIK8S_BENCH_CLUSTER_BENCH_UTIL_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cluster/state_file.h"
#include "common/tls.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace minik8s::bench {

// SIGINT/SIGTERM are blocked (inherited by every thread); the main thread
// polls here so that an interrupted run still stops the cluster. Once true,
// true for good; `program` names the benchmark in the message.
bool Interrupted(const char* program);

// The folder of the running executable (where the daemons are built).
std::string ExecutableDir();

// A --port-base whose ports [base, base + 10] (store, apiserver, the scale
// kubelet and proxy; no per-node daemons with --nodes 0) are all free.
std::optional<int> PickPortBase();

// The p-quantile (0..1) of `v`, nearest rank; -1 for no values.
double Percentile(std::vector<double> v, double p);

// `minik8s up --nodes 0 --scale-nodes N` in a temp data dir, as the
// benchmarks run it: the daemons checked to be built, a free port base,
// started and waited for until `up` says the cluster is ready, its state
// file read; stopped with SIGINT (and `minik8s down` if a state file is
// left). Messages go to stderr, prefixed with the program's name.
struct ScaleClusterOptions {
  std::string program;  // "cluster_bench"
  std::string bin_dir;  // "" = ExecutableDir()
  int nodes = 1000;
  int port_base = 0;  // 0 = PickPortBase()
  std::string log_level = "info";
  double start_timeout_s = 300;
  double stop_timeout_s = 30;
  std::vector<std::string> up_args;
};

class ScaleCluster {
 public:
  // 0 once the cluster is ready; otherwise the exit code for main (2: a
  // daemon is not built), with the reason printed and the cluster stopped.
  int Start(const ScaleClusterOptions& options);
  // Stops the cluster; the seconds it took.
  double Stop();
  // Whether `minik8s up` has exited (reaps it).
  bool Exited() { return up_.Exited(); }

  const std::string& data_dir() const { return data_dir_; }
  const std::string& up_log() const { return up_log_; }
  const cluster::ClusterState& state() const { return state_; }
  // The admin's certificate for the daemons' TLS health ports (their
  // /metrics and pages), or nullopt when the cluster runs without a PKI.
  std::optional<TlsClientFiles> admin_tls() const;
  // From the launch to the ready line, in seconds.
  double startup_s() const { return startup_s_; }

 private:
  // StartOnce's answer when a port of the picked range was taken.
  static constexpr int kPortTaken = -1;
  // One launch at one port range (picked anew unless options.port_base).
  int StartOnce(int attempt);

  ScaleClusterOptions options_;
  std::unique_ptr<testing::TempDir> tmp_;
  std::string minik8s_bin_, data_dir_, up_log_;
  testing::Subprocess up_;
  cluster::ClusterState state_;
  double startup_s_ = 0;
};

}  // namespace minik8s::bench

#endif  // MINIK8S_BENCH_CLUSTER_BENCH_UTIL_H_
