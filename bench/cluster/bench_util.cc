#include "bench/cluster/bench_util.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "cluster/supervisor.h"

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

std::optional<int> PickPortBase() {
  for (int attempt = 0; attempt < 200; ++attempt) {
    const int base = 20000 + static_cast<int>((getpid() * 7919 + attempt * 104729) % 30000);
    bool free = true;
    for (int p = base; p <= base + 10 && free; ++p) free = !cluster::LoopbackPortInUse(p);
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

}  // namespace minik8s::bench
