#include "testing/subprocess.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace minik8s::testing {

std::string BinPath(const std::string& name) {
  if (const char* dir = std::getenv("MINIK8S_E2E_BIN_DIR"); dir != nullptr && *dir != '\0') {
    std::string path = absl::StrCat(dir, "/", name);
    if (access(path.c_str(), X_OK) == 0) return path;
  }
  return absl::StrCat(MINIK8S_BIN_DIR, "/", name);
}

Subprocess::~Subprocess() {
  if (pid_ > 0) Stop(SIGKILL);
}

absl::Status Subprocess::Start(const std::vector<std::string>& argv, const std::string& log_path) {
  if (pid_ > 0) return absl::FailedPreconditionError("already running");
  if (argv.empty()) return absl::InvalidArgumentError("empty argv");
  int out_fd = log_path.empty() ? open("/dev/null", O_WRONLY)
                                : open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (out_fd < 0) {
    return absl::InternalError(absl::StrCat("open ", log_path, ": ", strerror(errno)));
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // The kernel sends the parent-death signal when the thread that forked
  // exits, not the process: only the main thread's children get it.
  const pid_t parent = getpid();
  const bool from_main_thread = gettid() == parent;
  pid_t pid = fork();
  if (pid < 0) {
    close(out_fd);
    return absl::InternalError(absl::StrCat("fork: ", strerror(errno)));
  }
  if (pid == 0) {
    // Child: own process group, so that signals to the test do not reach it
    // and it can be killed alone; unblock signals a daemon's parent may block.
    setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    // A test or benchmark killed without a chance to clean up (SIGKILL, a
    // crash) takes its daemons with it: SIGTERM, so that each shuts down as
    // it would when stopped (`minik8s up` stops its own daemons).
    if (from_main_thread) {
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (getppid() != parent) _exit(127);  // the parent died before prctl
    }
    int in_fd = open("/dev/null", O_RDONLY);
    dup2(in_fd, 0);
    dup2(out_fd, 1);
    dup2(out_fd, 2);
    execv(args[0], args.data());
    dprintf(2, "exec %s: %s\n", args[0], strerror(errno));
    _exit(127);
  }
  close(out_fd);
  pid_ = pid;
  return absl::OkStatus();
}

std::optional<int> Subprocess::Stop(int sig, absl::Duration timeout) {
  if (pid_ <= 0) return std::nullopt;
  kill(pid_, sig);
  absl::Time deadline = absl::Now() + timeout;
  int status = 0;
  while (true) {
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_ || (r < 0 && errno == ECHILD)) break;
    if (absl::Now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  pid_ = -1;
  return status;
}

bool Subprocess::Exited() {
  if (pid_ <= 0) return true;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_ || (r < 0 && errno == ECHILD)) {
    pid_ = -1;
    return true;
  }
  return false;
}

int RunCommand(const std::vector<std::string>& argv, std::string* output, absl::Duration timeout,
               const std::string& stdin_data) {
  int out_pipe[2];
  int in_pipe[2];
  if (pipe(out_pipe) != 0) return -1;
  if (pipe(in_pipe) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    return -1;
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    setpgid(0, 0);
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    dup2(out_pipe[1], 2);
    close(out_pipe[0]);
    close(in_pipe[1]);
    execvp(args[0], args.data());
    dprintf(2, "exec %s: %s\n", args[0], strerror(errno));
    _exit(127);
  }
  close(out_pipe[1]);
  close(in_pipe[0]);
  if (!stdin_data.empty()) {
    ssize_t ignored = write(in_pipe[1], stdin_data.data(), stdin_data.size());
    (void)ignored;
  }
  close(in_pipe[1]);
  fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
  std::string out;
  absl::Time deadline = absl::Now() + timeout;
  int status = 0;
  bool exited = false;
  bool killed = false;
  char buf[4096];
  while (true) {
    ssize_t n;
    while ((n = read(out_pipe[0], buf, sizeof(buf))) > 0) out.append(buf, n);
    if (exited && n <= 0) break;
    if (!exited) {
      pid_t r = waitpid(pid, &status, WNOHANG);
      if (r == pid) {
        exited = true;
        continue;  // drain the pipe once more
      }
      if (absl::Now() > deadline) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        killed = true;
        exited = true;
        continue;
      }
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  close(out_pipe[0]);
  if (output) *output = std::move(out);
  if (killed || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

bool PortAcceptsConnections(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

}  // namespace minik8s::testing
