// A child process for end-to-end tests: started with fork/exec, its stdout and
// stderr appended to a log file, stopped with a signal. The destructor kills
// (SIGKILL) and reaps a child that is still running, so a failing test never
// leaves a daemon behind; and a child started from the main thread gets
// SIGTERM when its parent dies without running destructors (killed, crashed).
//
// Not thread-safe: one owner drives a Subprocess.
#ifndef MINIK8S_TESTING_SUBPROCESS_H_
#define MINIK8S_TESTING_SUBPROCESS_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "testing/wait.h"  // WaitFor, which most users of Subprocess need

namespace minik8s::testing {

// Absolute path of a project binary, e.g. BinPath("minik8s-store"): the one in
// $MINIK8S_E2E_BIN_DIR when that is set and holds it (to test installed
// binaries), else the one in the build tree.
std::string BinPath(const std::string& name);

class Subprocess {
 public:
  Subprocess() = default;
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  // Starts argv[0] (a path) with the given arguments. Output goes to log_path
  // (appended) when given, else to /dev/null.
  absl::Status Start(const std::vector<std::string>& argv, const std::string& log_path = "");

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

  // Sends `sig`; with wait, reaps the child (up to `timeout`, then SIGKILL).
  // Returns the exit status as from waitpid, or nullopt if not running.
  std::optional<int> Stop(int sig, absl::Duration timeout = absl::Seconds(10));

  // Non-blocking: true if the child has exited (and reaps it).
  bool Exited();

 private:
  pid_t pid_ = -1;
};

// Runs a command to completion, capturing stdout+stderr. Returns the exit code
// (or -1 if it could not start / was killed after `timeout`).
int RunCommand(const std::vector<std::string>& argv, std::string* output,
               absl::Duration timeout = absl::Seconds(60), const std::string& stdin_data = "");

// True once something accepts TCP connections on 127.0.0.1:port.
bool PortAcceptsConnections(int port);

}  // namespace minik8s::testing

#endif  // MINIK8S_TESTING_SUBPROCESS_H_
