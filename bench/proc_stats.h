// Per-process figures from /proc, shared by the benchmarks that watch the
// daemons they run: peak and current resident memory (VmHWM / VmRSS from
// /proc/<pid>/status) and CPU time used so far (utime + stime from
// /proc/<pid>/stat), and the benchmark's own CPU time.
//
// Thread safety: pure reads of /proc; safe from any thread.
#ifndef MINIK8S_BENCH_PROC_STATS_H_
#define MINIK8S_BENCH_PROC_STATS_H_

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace minik8s::bench {

// Kilobytes of a /proc/<pid>/status field ("VmHWM", "VmRSS"); -1 when the
// process or the field is gone.
int64_t ProcStatusKb(pid_t pid, const std::string& field);

// CPU seconds (user + system, all threads) the process has used so far; -1
// when it is gone.
double ProcCpuSeconds(pid_t pid);

// CPU seconds (user + system, all threads) this process has used so far.
double SelfCpuSeconds();

// Threads of the process (the Threads: field); -1 when it is gone.
int ProcThreads(pid_t pid);

// The 1-, 5- and 15-minute load averages as /proc/loadavg prints them
// ("3.12 2.80 2.10").
std::string LoadAverage();

}  // namespace minik8s::bench

#endif  // MINIK8S_BENCH_PROC_STATS_H_
