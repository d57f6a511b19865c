// Where the runtime listens / where clients dial. Accepts
//   "unix:///run/minik8s/runtime.sock"  (as is)
//   "/run/minik8s/runtime.sock" or "./x.sock"  (a socket path)
//   "127.0.0.1:7000", "http://127.0.0.1:7000"  (TCP, for debugging)
//
// The listening unix socket is private to the runtime's user, whatever the
// umask: the socket is created 0600 and a folder the runtime creates for it
// 0700 (etcd's and containerd's practice: containerd's socket is 0660 with
// the root group; the kubelet here runs as the runtime's own user, so the
// group needs no access).
//
// Thread safety: the address functions are pure. ScopedSocketUmask changes
// the process-wide umask (see there).
#ifndef MINIK8S_RUNTIME_ENDPOINT_H_
#define MINIK8S_RUNTIME_ENDPOINT_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace minik8s::runtime {

inline constexpr mode_t kSocketMode = 0600;
inline constexpr mode_t kSocketDirMode = 0700;

// The gRPC address for `endpoint`.
absl::StatusOr<std::string> RuntimeEndpointToGrpcAddress(const std::string& endpoint);

// The socket path of a "unix://" address ("" for other addresses).
std::string UnixSocketPath(const std::string& grpc_address);

// Makes `path` ready for a listening socket: creates the missing folders
// above it with mode 0700 (existing folders are left as they are), removes a
// stale socket left by a runtime that died, and refuses to take over a live
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

}  // namespace minik8s::runtime

#endif  // MINIK8S_RUNTIME_ENDPOINT_H_
