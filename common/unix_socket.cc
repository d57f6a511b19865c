#include "common/unix_socket.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "spdlog/spdlog.h"

namespace minik8s {
namespace {

// True if something accepts connections on the unix socket at `path`.
bool SocketIsLive(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  bool live = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return live;
}

// Creates the missing folders of `dir` (mkdir -p), each 0700 whatever the
// umask; existing ones are not touched.
absl::Status MakePrivateDirs(const std::string& dir) {
  std::vector<std::string> missing;
  std::string at = dir;
  while (!at.empty() && at != "/" && at != ".") {
    struct stat st;
    if (stat(at.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) {
        return absl::FailedPreconditionError(absl::StrCat(at, " exists and is not a folder"));
      }
      break;
    }
    if (errno != ENOENT) {
      return absl::FailedPreconditionError(absl::StrCat("stat ", at, ": ", strerror(errno)));
    }
    missing.push_back(at);
    const size_t slash = at.find_last_of('/');
    if (slash == std::string::npos) break;
    at = slash == 0 ? "/" : at.substr(0, slash);
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (mkdir(it->c_str(), kSocketDirMode) != 0 && errno != EEXIST) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot create folder ", *it, ": ", strerror(errno)));
    }
    // mkdir applied the umask; the folder is ours: set exactly 0700.
    if (chmod(it->c_str(), kSocketDirMode) != 0) {
      return absl::FailedPreconditionError(absl::StrCat("chmod ", *it, ": ", strerror(errno)));
    }
    spdlog::info("created folder {} (mode 0700) for a socket", *it);
  }
  return absl::OkStatus();
}

}  // namespace

std::string UnixSocketPath(const std::string& grpc_address) {
  absl::string_view a = grpc_address;
  if (absl::ConsumePrefix(&a, "unix://")) return std::string(a);
  if (absl::ConsumePrefix(&a, "unix:")) return std::string(a);
  return "";
}

absl::Status PrepareSocketPath(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("empty socket path");
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("socket path too long: ", path));
  }
  if (const size_t slash = path.find_last_of('/'); slash != std::string::npos && slash > 0) {
    if (absl::Status s = MakePrivateDirs(path.substr(0, slash)); !s.ok()) return s;
  }
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return absl::FailedPreconditionError(absl::StrCat("stat ", path, ": ", strerror(errno)));
  }
  if (!S_ISSOCK(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " exists and is not a socket; refusing to replace it"));
  }
  if (SocketIsLive(path)) {
    return absl::FailedPreconditionError(
        absl::StrCat("another process is already serving on ", path, " (stop it first)"));
  }
  if (unlink(path.c_str()) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot remove stale socket ", path, ": ", strerror(errno)));
  }
  spdlog::info("removed stale socket {}", path);
  return absl::OkStatus();
}

absl::Status RestrictSocket(const std::string& path) {
  if (chmod(path.c_str(), kSocketMode) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot restrict socket ", path, " to mode 0600: ", strerror(errno)));
  }
  return absl::OkStatus();
}

ScopedSocketUmask::ScopedSocketUmask() : saved_(umask(0177)) { umask(saved_ | 0177); }

ScopedSocketUmask::~ScopedSocketUmask() { umask(saved_); }

}  // namespace minik8s
