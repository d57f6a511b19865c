#include "bench/store/cpu_affinity.h"

#include <dirent.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace minik8s::bench {

absl::StatusOr<cpu_set_t> ParseCpuList(const std::string& list) {
  cpu_set_t set;
  CPU_ZERO(&set);
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("CPU list \"", list, "\": ", why));
  };
  if (list.empty()) return bad("empty");
  for (absl::string_view part : absl::StrSplit(list, ',')) {
    std::vector<absl::string_view> ends = absl::StrSplit(part, absl::MaxSplits('-', 1));
    int lo = 0, hi = 0;
    if (!absl::SimpleAtoi(ends[0], &lo) || lo < 0)
      return bad(absl::StrCat("bad CPU \"", part, "\""));
    hi = lo;
    if (ends.size() == 2 && (!absl::SimpleAtoi(ends[1], &hi) || hi < lo)) {
      return bad(absl::StrCat("bad range \"", part, "\""));
    }
    if (hi >= CPU_SETSIZE) return bad(absl::StrCat("CPU ", hi, " out of range"));
    for (int cpu = lo; cpu <= hi; ++cpu) CPU_SET(cpu, &set);
  }
  return set;
}

namespace {

absl::Status PinThreadsOnce(pid_t pid, const cpu_set_t& cpus) {
  const std::string dir = absl::StrCat("/proc/", pid, "/task");
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return absl::NotFoundError(absl::StrCat("cannot list ", dir));
  absl::Status status;
  int pinned = 0;
  while (dirent* e = readdir(d)) {
    pid_t tid = 0;
    if (!absl::SimpleAtoi(e->d_name, &tid)) continue;
    if (sched_setaffinity(tid, sizeof(cpus), &cpus) != 0) {
      // A thread that ended meanwhile is fine; anything else is not.
      if (errno == ESRCH) continue;
      status =
          absl::InternalError(absl::StrCat("sched_setaffinity(", tid, "): ", std::strerror(errno)));
      break;
    }
    ++pinned;
  }
  closedir(d);
  if (status.ok() && pinned == 0) return absl::NotFoundError(absl::StrCat("no threads in ", dir));
  return status;
}

}  // namespace

absl::Status PinProcess(pid_t pid, const cpu_set_t& cpus) {
  if (pid == 0) pid = getpid();
  // Twice: a thread started during the first pass by a thread not yet
  // pinned inherited the old mask.
  absl::Status s = PinThreadsOnce(pid, cpus);
  if (!s.ok()) return s;
  return PinThreadsOnce(pid, cpus);
}

}  // namespace minik8s::bench
