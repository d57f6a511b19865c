#include "cluster/supervisor.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace minik8s::cluster {
namespace {

constexpr absl::Duration kPollInterval = absl::Milliseconds(20);

}  // namespace

Supervisor::~Supervisor() { StopAll(absl::Seconds(10)); }

absl::Status Supervisor::Start(const std::string& name, int stage,
                               const std::vector<std::string>& argv, const std::string& log_file) {
  if (argv.empty()) return absl::InvalidArgumentError("empty command line");
  // Everything the child needs is prepared before fork: after it, the child
  // of a multi-threaded parent may only make async-signal-safe calls.
  int out_fd = open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out_fd < 0) {
    return absl::InternalError(absl::StrCat("cannot open ", log_file, ": ", strerror(errno)));
  }
  int in_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (in_fd < 0) {
    close(out_fd);
    return absl::InternalError(absl::StrCat("cannot open /dev/null: ", strerror(errno)));
  }
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    close(out_fd);
    close(in_fd);
    return absl::InternalError(absl::StrCat("fork: ", strerror(errno)));
  }
  if (pid == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(1);  // the parent died before prctl
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    dup2(in_fd, 0);
    dup2(out_fd, 1);
    dup2(out_fd, 2);
    execv(args[0], args.data());
    dprintf(2, "minik8s: cannot execute %s: %s\n", args[0], strerror(errno));
    _exit(127);
  }
  close(out_fd);
  close(in_fd);
  ChildProcess child;
  child.name = name;
  child.stage = stage;
  child.argv = argv;
  child.log_file = log_file;
  child.pid = pid;
  children_.push_back(std::move(child));
  return absl::OkStatus();
}

std::vector<const ChildProcess*> Supervisor::Reap() {
  std::vector<const ChildProcess*> exited;
  for (ChildProcess& c : children_) {
    if (!c.running()) continue;
    int status = 0;
    pid_t r = waitpid(c.pid, &status, WNOHANG);
    if (r == c.pid || (r < 0 && errno == ECHILD)) {
      c.wait_status = r == c.pid ? status : 0;
      exited.push_back(&c);
    }
  }
  return exited;
}

const ChildProcess* Supervisor::Find(const std::string& name) const {
  for (const ChildProcess& c : children_) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

void Supervisor::StopAll(absl::Duration timeout,
                         const std::function<void(const ChildProcess&)>& on_stopped,
                         int together_from) {
  auto stop_stage = [together_from](int stage) { return std::min(stage, together_from); };
  std::vector<int> stages;
  for (const ChildProcess& c : children_) stages.push_back(stop_stage(c.stage));
  std::sort(stages.rbegin(), stages.rend());
  stages.erase(std::unique(stages.begin(), stages.end()), stages.end());
  for (int stage : stages) {
    std::vector<ChildProcess*> group;
    // Reverse start order within a stage too.
    for (auto it = children_.rbegin(); it != children_.rend(); ++it) {
      if (stop_stage(it->stage) == stage && it->running()) group.push_back(&*it);
    }
    for (ChildProcess* c : group) kill(c->pid, SIGTERM);
    const absl::Time deadline = absl::Now() + timeout;
    bool killed = false;
    while (true) {
      bool any_running = false;
      for (ChildProcess* c : group) {
        if (!c->running()) continue;
        int status = 0;
        pid_t r = waitpid(c->pid, &status, WNOHANG);
        if (r == c->pid || (r < 0 && errno == ECHILD)) {
          c->wait_status = r == c->pid ? status : 0;
          if (on_stopped) on_stopped(*c);
        } else {
          any_running = true;
        }
      }
      if (!any_running) break;
      if (!killed && absl::Now() >= deadline) {
        for (ChildProcess* c : group) {
          if (c->running()) kill(c->pid, SIGKILL);
        }
        killed = true;
      }
      absl::SleepFor(kPollInterval);
    }
  }
}

std::string DescribeWaitStatus(int wait_status) {
  if (WIFEXITED(wait_status)) {
    int code = WEXITSTATUS(wait_status);
    return code == 0 ? "exited normally" : absl::StrCat("exited with status ", code);
  }
  if (WIFSIGNALED(wait_status)) {
    int sig = WTERMSIG(wait_status);
    return absl::StrCat("killed by signal ", sig, " (", strsignal(sig), ")");
  }
  return absl::StrCat("ended with wait status ", wait_status);
}

std::string LogTail(const std::string& path, int lines) {
  std::ifstream in(path);
  if (!in) return "";
  std::deque<std::string> tail;
  std::string line;
  while (std::getline(in, line)) {
    tail.push_back(line);
    if (static_cast<int>(tail.size()) > lines) tail.pop_front();
  }
  std::string out;
  for (const std::string& l : tail) absl::StrAppend(&out, l, "\n");
  return out;
}

bool LoopbackPortInUse(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool in_use = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0;
  close(fd);
  return in_use;
}

bool ProcessRunning(pid_t pid, const std::string& binary) {
  if (pid <= 0) return false;
  if (kill(pid, 0) != 0 && errno != EPERM) return false;
  // A zombie has exited already.
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  size_t paren = content.rfind(')');
  if (paren != std::string::npos && paren + 2 < content.size() && content[paren + 2] == 'Z') {
    return false;
  }
  if (binary.empty()) return true;
  std::ifstream cmdline(absl::StrCat("/proc/", pid, "/cmdline"));
  std::string argv0;
  std::getline(cmdline, argv0, '\0');
  return argv0 == binary;
}

std::vector<pid_t> TerminateProcesses(const std::vector<std::pair<pid_t, std::string>>& pids,
                                      absl::Duration timeout) {
  std::vector<std::pair<pid_t, std::string>> live;
  for (const auto& p : pids) {
    if (ProcessRunning(p.first, p.second) && kill(p.first, SIGTERM) == 0) live.push_back(p);
  }
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (std::none_of(live.begin(), live.end(),
                     [](const auto& p) { return ProcessRunning(p.first, p.second); })) {
      return {};
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  std::vector<pid_t> killed;
  for (const auto& p : live) {
    if (ProcessRunning(p.first, p.second)) {
      kill(p.first, SIGKILL);
      killed.push_back(p.first);
    }
  }
  return killed;
}

}  // namespace minik8s::cluster
