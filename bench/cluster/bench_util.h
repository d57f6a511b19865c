// Pieces every benchmark that starts `minik8s up --scale-nodes` needs
// (cluster_bench, netprog_bench).
#ifndef MINIK8S_BENCH_CLUSTER_BENCH_UTIL_H_
#define MINIK8S_BENCH_CLUSTER_BENCH_UTIL_H_

#include <optional>
#include <string>
#include <vector>

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

}  // namespace minik8s::bench

#endif  // MINIK8S_BENCH_CLUSTER_BENCH_UTIL_H_
