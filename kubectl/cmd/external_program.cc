#include "kubectl/cmd/external_program.h"

#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

extern char** environ;

namespace minik8s::kubectl {

absl::StatusOr<int> RunProgram(const std::vector<std::string>& argv, std::ostream* out,
                               std::ostream* err) {
  if (argv.empty()) return absl::InvalidArgumentError("no program to run");
  int out_pipe[2] = {-1, -1};
  int err_pipe[2] = {-1, -1};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  auto close_all = [&] {
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) {
      if (fd >= 0) close(fd);
    }
    posix_spawn_file_actions_destroy(&actions);
  };
  if (out != nullptr) {
    if (pipe(out_pipe) != 0) {
      close_all();
      return absl::InternalError(absl::StrCat("pipe: ", strerror(errno)));
    }
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
    posix_spawn_file_actions_addclose(&actions, out_pipe[0]);
    posix_spawn_file_actions_addclose(&actions, out_pipe[1]);
  }
  if (err != nullptr) {
    if (pipe(err_pipe) != 0) {
      close_all();
      return absl::InternalError(absl::StrCat("pipe: ", strerror(errno)));
    }
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
    posix_spawn_file_actions_addclose(&actions, err_pipe[0]);
    posix_spawn_file_actions_addclose(&actions, err_pipe[1]);
  }
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  if (spawned != 0) {
    close_all();
    if (spawned == ENOENT) {
      return absl::NotFoundError("executable file not found in $PATH");
    }
    return absl::InternalError(absl::StrCat("fork/exec ", argv[0], ": ", strerror(spawned)));
  }
  // Copy both pipes until the program closes them.
  for (int* p : {out_pipe, err_pipe}) {
    if (p[1] >= 0) {
      close(p[1]);
      p[1] = -1;
    }
  }
  std::vector<pollfd> fds;
  if (out_pipe[0] >= 0) fds.push_back({out_pipe[0], POLLIN, 0});
  if (err_pipe[0] >= 0) fds.push_back({err_pipe[0], POLLIN, 0});
  size_t open_fds = fds.size();
  char buf[8192];
  while (open_fds > 0) {
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (pollfd& p : fds) {
      if (p.fd < 0 || p.revents == 0) continue;
      const ssize_t n = read(p.fd, buf, sizeof(buf));
      if (n > 0) {
        std::ostream* to = p.fd == out_pipe[0] ? out : err;
        to->write(buf, n);
      } else if (n == 0 || errno != EINTR) {
        p.fd = -1;
        --open_fds;
      }
    }
  }
  close_all();
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return absl::InternalError(absl::StrCat("wait: ", strerror(errno)));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace minik8s::kubectl
