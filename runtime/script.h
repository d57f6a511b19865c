// The simulated container process: what a container "does", decided by its
// command and args the way a user would expect.
//
// CompileCommand turns a container's argv (command + args) into a Program, a
// short list of instructions. Recognised:
//   - `sh -c SCRIPT` (also /bin/sh, bash, ash, dash; -ec/-xc/... flags), where
//     SCRIPT is a small shell: simple commands separated by `;`, newlines or
//     `&`; `&&` / `||` chains; `while COND; do ...; done`;
//     `if COND; then ...; [else ...;] fi`; quotes, `$VAR` / `${VAR}` from the
//     container's environment, `# comments`, and `>` / `>>` redirection to a
//     (simulated) file.
//   - simple commands: `echo`, `printf`, `sleep N` (seconds, fractions,
//     s/m/h/d suffixes, `infinity`), `exit [N]`, `true`, `:`, `false`,
//     `touch`, `rm`, `cat`, `test -e|-f|-s|-d F` / `[ -e F ]`, `mkdir`, `ls F`,
//     `tail -f ...` (runs forever), `nginx` (runs forever), `exec CMD`.
//   - any other argv: a single simple command.
// Anything else is "unknown": as the main process it runs until stopped.
//
// Files: a container's own files are simulated (a FileMap). A path under a
// mount's container_path (ScriptIo::mounts, the CRI mounts the kubelet
// passed) is the host file under its host_path instead: `cat`, `test`/`[`,
// `ls` read the host file system (following symlinks, so a kubelet volume's
// `..data` links resolve); `>`, `>>`, `touch`, `rm` there change the host
// file, or, on a read-only mount, fail as busybox's sh and tools do
// (`sh: can't create F: Read-only file system`, status 1).
//
// A `while` loop whose condition and body never sleep would spin forever and
// flood the log; it runs its body once and then idles until stopped.
//
// RunUntilBlocked executes from the current position until the program
// sleeps, exits or runs forever; the caller (the runtime) owns the timing.
// Values are plain data; thread-compatible.
#ifndef MINIK8S_RUNTIME_SCRIPT_H_
#define MINIK8S_RUNTIME_SCRIPT_H_

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace minik8s::runtime {

struct Instr {
  enum Op {
    kEcho,     // args joined by spaces, one line (plus embedded newlines)
    kPrintf,   // args[0] is the format
    kSleep,    // duration
    kExit,     // code; code < 0 = the last status
    kStatus,   // sets the status to `code` (true, false, mkdir, ...)
    kFail,     // writes args[0] to stderr, status `code`
    kForever,  // runs until stopped
    kUnknown,  // not understood: args = the words
    kTouch,
    kRm,
    kCat,
    kTest,        // status 0 if args[0] exists (args[1], if any: the test's flag, "-f")
    kLs,          // lists args (a mounted directory's entries; otherwise checks existence)
    kJump,        // to target
    kJumpIfFail,  // to target if the status is not 0
    kJumpIfOk,    // to target if the status is 0
  };
  Op op = kStatus;
  std::vector<std::string> args;
  absl::Duration duration;
  int code = 0;
  size_t target = 0;
  std::string redirect;  // stdout goes to this file instead of the log
  bool append = false;   // `>>`
};

struct Program {
  std::vector<Instr> code;
  // The argv was empty: the image's own entrypoint runs (until stopped).
  bool image_default = false;
  // Human summary for logs, e.g. "sh -c 'sleep 5; exit 1'".
  std::string description;
};

// Simulated files of one container (path -> content).
using FileMap = std::map<std::string, std::string>;

// Compiles argv = command + args. `env` supplies $VAR expansion.
Program CompileCommand(const std::vector<std::string>& argv,
                       const std::map<std::string, std::string>& env);

// Parses a `sleep` operand list ("5", "0.5", "2m", "1h 30m", "infinity").
// Returns false on bad input; `*forever` set for infinity.
bool ParseSleepDuration(const std::vector<std::string>& operands, absl::Duration* d, bool* forever);

struct ScriptState {
  size_t pc = 0;
  int status = 0;  // $? of the last command
};

// A host folder or file a container sees at container_path (a CRI Mount).
struct MountPoint {
  std::string container_path;  // absolute
  std::string host_path;
  bool readonly = false;
};

struct ScriptIo {
  // Called with each output line (stream is "stdout" or "stderr").
  std::function<void(const std::string& stream, const std::string& line)> output;
  FileMap* files = nullptr;  // borrowed; must outlive the call
  // Borrowed; null = no mounts. The longest container_path that is a path
  // prefix of a file wins.
  const std::vector<MountPoint>* mounts = nullptr;
};

struct Blocked {
  enum Kind { kSleep, kExit, kForever };
  Kind kind = kForever;
  absl::Duration sleep;  // kSleep
  int exit_code = 0;     // kExit
  // kForever: why, e.g. "unknown command: redis-server" (empty for an
  // intentional forever such as `tail -f /dev/null`).
  std::string note;
  bool unknown = false;  // kForever because a command was not understood
};

// Runs instructions from state->pc until one blocks. A kSleep result leaves
// pc after the sleep, so calling again continues the program.
// At most `max_steps` instructions run per call; past that the program is
// treated as running forever (note says so).
Blocked RunUntilBlocked(const Program& program, ScriptState* state, const ScriptIo& io,
                        int max_steps = 10000);

}  // namespace minik8s::runtime

#endif  // MINIK8S_RUNTIME_SCRIPT_H_
