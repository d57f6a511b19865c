// The state file <data-dir>/minik8s.state: which `minik8s up` runs the
// cluster of a data dir and which daemons it started. `minik8s up` rewrites it
// after every start; `minik8s down` and `minik8s status` read it.
//
// Text, one record per line, fields separated by tabs (paths may hold spaces):
//
//   # minik8s cluster state
//   version      1
//   supervisor   <pid of minik8s up>
//   apiserver    127.0.0.1:6443
//   process      <name> <stage> <pid> <address or -> <binary> <log file>
//
// Thread safety: pure functions, except the two file helpers.
#ifndef MINIK8S_CLUSTER_STATE_FILE_H_
#define MINIK8S_CLUSTER_STATE_FILE_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace minik8s::cluster {

struct ProcessRecord {
  std::string name;
  int stage = 0;
  pid_t pid = 0;
  std::string address;  // "" when the process serves nothing
  std::string binary;
  std::string log_file;

  bool operator==(const ProcessRecord&) const = default;
};

struct ClusterState {
  pid_t supervisor_pid = 0;
  std::string apiserver;
  std::vector<ProcessRecord> processes;  // in start order

  bool operator==(const ClusterState&) const = default;
};

std::string FormatState(const ClusterState& state);

// InvalidArgument naming the line on malformed input.
absl::StatusOr<ClusterState> ParseState(absl::string_view text);

// Writes atomically (temporary file + rename).
absl::Status WriteStateFile(const std::string& path, const ClusterState& state);

// NotFound when there is no state file.
absl::StatusOr<ClusterState> ReadStateFile(const std::string& path);

}  // namespace minik8s::cluster

#endif  // MINIK8S_CLUSTER_STATE_FILE_H_
