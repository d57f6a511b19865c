// Supervisor: starts daemons as child processes with their output in a log
// file, notices when they exit, and stops them stage by stage (highest stage
// first): SIGTERM, then SIGKILL for those still running after a timeout.
//
// Children get their own process group, so a Ctrl-C in the terminal reaches
// only `minik8s up`, which then stops them in order; and they receive SIGTERM
// if `minik8s up` itself dies (PR_SET_PDEATHSIG), so none is left behind.
//
// Thread safety: not thread-safe; one thread (the launcher's main thread)
// drives a Supervisor. Start() forks: call it from that same thread, which
// must outlive the children (the parent-death signal is tied to it).
#ifndef MINIK8S_CLUSTER_SUPERVISOR_H_
#define MINIK8S_CLUSTER_SUPERVISOR_H_

#include <sys/types.h>

#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace minik8s::cluster {

struct ChildProcess {
  std::string name;
  int stage = 0;
  std::vector<std::string> argv;  // argv[0]: absolute path
  std::string log_file;
  pid_t pid = 0;
  std::optional<int> wait_status;  // set once exited and reaped
  bool running() const { return pid > 0 && !wait_status.has_value(); }
};

class Supervisor {
 public:
  Supervisor() = default;
  // Stops whatever still runs (timeout 10s per stage).
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Starts argv with stdin from /dev/null and stdout+stderr to `log_file`
  // (truncated). A failed exec shows up as exit status 127 with the reason in
  // the log.
  absl::Status Start(const std::string& name, int stage, const std::vector<std::string>& argv,
                     const std::string& log_file);

  // Reaps exited children without blocking; returns the ones that exited
  // since the previous call.
  std::vector<const ChildProcess*> Reap();

  const ChildProcess* Find(const std::string& name) const;
  const std::vector<ChildProcess>& children() const { return children_; }

  // Stops every running child, highest stage first, all of a stage at once:
  // SIGTERM, then SIGKILL to those still running after `timeout`. `on_stopped`
  // (optional) is called for each child as it is reaped. Children of stage
  // `together_from` and above stop as one group (default: none merged).
  void StopAll(absl::Duration timeout,
               const std::function<void(const ChildProcess&)>& on_stopped = nullptr,
               int together_from = std::numeric_limits<int>::max());

 private:
  std::vector<ChildProcess> children_;  // in start order
};

// "exited with status 1", "exited normally", "killed by signal 9 (Killed)".
std::string DescribeWaitStatus(int wait_status);

// The last `lines` lines of a file ("" if unreadable).
std::string LogTail(const std::string& path, int lines);

// True if something listens on (or holds) 127.0.0.1:port: a bind with
// SO_REUSEADDR fails. Ports in TIME_WAIT count as free, as they do for gRPC.
bool LoopbackPortInUse(int port);

// True if `pid` runs and its executable is `binary` (guards against a pid that
// was reused after the daemon exited). `binary` empty: only liveness.
bool ProcessRunning(pid_t pid, const std::string& binary);

// Signals the processes (not children of this one) with SIGTERM, waits up to
// `timeout` for them to disappear, then SIGKILLs the rest. Returns the pids
// that had to be killed.
std::vector<pid_t> TerminateProcesses(const std::vector<std::pair<pid_t, std::string>>& pids,
                                      absl::Duration timeout);

}  // namespace minik8s::cluster

#endif  // MINIK8S_CLUSTER_SUPERVISOR_H_
