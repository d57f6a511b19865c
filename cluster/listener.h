// Which local process serves an address: how `minik8s down` and Ctrl-C on
// `minik8s up` find a daemon that was restarted by hand (its pid is not the
// one the state file recorded, but it listens where the recorded one did).
//
// Linux only: reads /proc/net/{tcp,tcp6,unix} for the listening socket's
// inode and /proc/<pid>/fd for the process holding it. Processes of other
// users whose fds cannot be read are not found. Pure functions over /proc,
// safe from any thread.
#ifndef MINIK8S_CLUSTER_LISTENER_H_
#define MINIK8S_CLUSTER_LISTENER_H_

#include <sys/types.h>

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace minik8s::cluster {

// The pid of a process listening on `address`: "HOST:PORT" or
// "http://HOST:PORT" (TCP; matched by port, on any local address) or
// "unix://PATH" (a listening unix socket bound to PATH). nullopt when none
// is found or the address has neither form.
std::optional<pid_t> FindListeningProcess(absl::string_view address);

// The real path of the executable of `pid` ("" when it cannot be read).
std::string ProcessExecutable(pid_t pid);

// The pid serving `address` when that process runs the executable
// `binary` (compared by real path, so a daemon started as
// ./build/bin/minik8s-apiserver matches /abs/build/bin/minik8s-apiserver).
std::optional<pid_t> FindDaemonServing(absl::string_view address, const std::string& binary);

}  // namespace minik8s::cluster

#endif  // MINIK8S_CLUSTER_LISTENER_H_
