#include "cluster/listener.h"

#include <dirent.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace minik8s::cluster {
namespace {

constexpr char kTcpListen[] = "0A";             // TCP_LISTEN in /proc/net/tcp's "st"
constexpr unsigned long kAcceptConn = 1 << 16;  // __SO_ACCEPTCON in /proc/net/unix

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(std::move(line));
  return lines;
}

std::vector<absl::string_view> Fields(absl::string_view line) {
  return absl::StrSplit(line, ' ', absl::SkipEmpty());
}

// The inode of a TCP socket listening on `port` (IPv4 or IPv6), or "".
std::string TcpListenInode(int port) {
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::vector<std::string> lines = ReadLines(table);
    for (size_t i = 1; i < lines.size(); ++i) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      std::vector<absl::string_view> f = Fields(lines[i]);
      if (f.size() < 10 || f[3] != kTcpListen) continue;
      const size_t colon = f[1].rfind(':');
      unsigned int local_port = 0;
      if (colon == absl::string_view::npos ||
          !absl::SimpleHexAtoi(f[1].substr(colon + 1), &local_port)) {
        continue;
      }
      if (static_cast<int>(local_port) == port) return std::string(f[9]);
    }
  }
  return "";
}

// The inode of a listening unix socket bound to `path`, or "".
std::string UnixListenInode(absl::string_view path) {
  std::vector<std::string> lines = ReadLines("/proc/net/unix");
  for (size_t i = 1; i < lines.size(); ++i) {
    // Num RefCount Protocol Flags Type St Inode Path
    std::vector<absl::string_view> f = Fields(lines[i]);
    if (f.size() < 8 || f[7] != path) continue;
    unsigned long flags = 0;
    if (!absl::SimpleHexAtoi(f[3], &flags) || (flags & kAcceptConn) == 0) continue;
    return std::string(f[6]);
  }
  return "";
}

std::optional<pid_t> ProcessHoldingSocket(const std::string& inode) {
  const std::string target = absl::StrCat("socket:[", inode, "]");
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return std::nullopt;
  std::optional<pid_t> found;
  while (dirent* entry = readdir(proc)) {
    int pid = 0;
    if (!absl::SimpleAtoi(entry->d_name, &pid)) continue;
    const std::string fd_dir = absl::StrCat("/proc/", pid, "/fd");
    DIR* fds = opendir(fd_dir.c_str());
    if (fds == nullptr) continue;  // gone, or another user's
    while (dirent* fd = readdir(fds)) {
      if (fd->d_name[0] == '.') continue;
      char link[64];
      const std::string fd_path = absl::StrCat(fd_dir, "/", fd->d_name);
      const ssize_t n = readlink(fd_path.c_str(), link, sizeof(link) - 1);
      if (n > 0 && absl::string_view(link, n) == target) {
        found = pid;
        break;
      }
    }
    closedir(fds);
    if (found) break;
  }
  closedir(proc);
  return found;
}

std::string RealPath(const std::string& path) {
  char buf[PATH_MAX];
  if (realpath(path.c_str(), buf) == nullptr) return "";
  return buf;
}

}  // namespace

std::optional<pid_t> FindListeningProcess(absl::string_view address) {
  std::string inode;
  if (absl::ConsumePrefix(&address, "unix://")) {
    inode = UnixListenInode(address);
  } else {
    absl::ConsumePrefix(&address, "http://");
    const size_t colon = address.rfind(':');
    int port = 0;
    if (colon == absl::string_view::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port) ||
        port <= 0 || port > 65535) {
      return std::nullopt;
    }
    inode = TcpListenInode(port);
  }
  if (inode.empty()) return std::nullopt;
  return ProcessHoldingSocket(inode);
}

std::string ProcessExecutable(pid_t pid) { return RealPath(absl::StrCat("/proc/", pid, "/exe")); }

std::optional<pid_t> FindDaemonServing(absl::string_view address, const std::string& binary) {
  std::optional<pid_t> pid = FindListeningProcess(address);
  if (!pid) return std::nullopt;
  const std::string exe = ProcessExecutable(*pid);
  if (exe.empty() || exe != RealPath(binary)) return std::nullopt;
  return pid;
}

}  // namespace minik8s::cluster
