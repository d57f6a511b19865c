// CPU pinning for the benchmark: taskset-style CPU lists ("0-3,8,10-11")
// applied with sched_setaffinity to every thread of a process.
//
// Thread safety: pure functions over /proc and the scheduler; safe anywhere.
#ifndef MINIK8S_BENCH_STORE_CPU_AFFINITY_H_
#define MINIK8S_BENCH_STORE_CPU_AFFINITY_H_

#include <sched.h>
#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace minik8s::bench {

// Parses a list of CPU numbers and inclusive ranges separated by commas.
// InvalidArgument on anything else, on a reversed range or on a CPU number
// beyond CPU_SETSIZE.
absl::StatusOr<cpu_set_t> ParseCpuList(const std::string& list);

// Pins every thread `pid` has now (/proc/<pid>/task) to `cpus`; threads they
// start later inherit the mask. pid 0 means this process.
absl::Status PinProcess(pid_t pid, const cpu_set_t& cpus);

}  // namespace minik8s::bench

#endif  // MINIK8S_BENCH_STORE_CPU_AFFINITY_H_
