// Listening unix sockets that only their owner can reach, for the daemons
// that serve on one (the runtime's CRI socket, the store's local socket).
//
// A socket is created 0600 and a folder made for it 0700, whatever the
// umask (etcd's and containerd's practice: containerd's socket is 0660 with
// the root group; minik8s' clients run as the server's own user, so the
// group needs no access). Connecting to a unix socket needs write access to
// it, so whoever can connect could also read the owner's private files.
//
// Thread safety: the functions are safe to call from any thread.
// ScopedSocketUmask changes the process-wide umask (see there).
#ifndef MINIK8S_COMMON_UNIX_SOCKET_H_
#define MINIK8S_COMMON_UNIX_SOCKET_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"

namespace minik8s {

inline constexpr mode_t kSocketMode = 0600;
inline constexpr mode_t kSocketDirMode = 0700;

// The socket path of a gRPC "unix://" or "unix:" address ("" for other
// addresses).
std::string UnixSocketPath(const std::string& grpc_address);

// Makes `path` ready for a listening socket: creates the missing folders
// above it with mode 0700 (existing folders are left as they are), removes a
// stale socket left by a server that died, and refuses to take over a live
// socket or to replace anything that is not a socket.
absl::Status PrepareSocketPath(const std::string& path);

// Sets the socket at `path` to 0600 (owner read/write only).
absl::Status RestrictSocket(const std::string& path);

// While alive, the process's umask also masks group and other bits (and
// owner execute), so a socket bound meanwhile is created 0600 and is never
// reachable by other users, not even between bind and RestrictSocket.
// The umask is process-wide: construct it around the bind only (the
// server's start), where a file another thread creates meanwhile at worst
// gets stricter permissions. Not reentrant across threads.
class ScopedSocketUmask {
 public:
  ScopedSocketUmask();
  ~ScopedSocketUmask();
  ScopedSocketUmask(const ScopedSocketUmask&) = delete;
  ScopedSocketUmask& operator=(const ScopedSocketUmask&) = delete;

 private:
  mode_t saved_;
};

}  // namespace minik8s

#endif  // MINIK8S_COMMON_UNIX_SOCKET_H_
