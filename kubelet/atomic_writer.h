// AtomicWriter: writes a volume's files (a secret, configMap, downwardAPI or
// projected volume) so that a reader sees either the old set or the new set,
// never a mix — Kubernetes' AtomicWriter (pkg/volume/util/atomic_writer.go),
// which containers rely on to watch `..data` for updates.
//
// Layout of the target folder after Write({"a": ..., "sub/b": ...}):
//
//   <dir>/..2026_12_06_09_00_00.123456789/a         the files, with their modes
//   <dir>/..2026_12_06_09_00_00.123456789/sub/b
//   <dir>/..data -> ..2026_12_06_09_00_00.123456789
//   <dir>/a      -> ..data/a                         what users open
//   <dir>/sub    -> ..data/sub
//
// A Write whose payload equals what `..data` holds does nothing. Otherwise the
// files go to a new timestamped folder, a `..data_tmp` link to it is renamed
// over `..data` (rename(2) is atomic), links for new top-level names are
// made, links for names no longer in the payload are removed, and the old
// timestamped folder is removed.
//
// Thread-compatible: one writer per target folder at a time (the kubelet
// syncs one pod on one thread).
#ifndef MINIK8S_KUBELET_ATOMIC_WRITER_H_
#define MINIK8S_KUBELET_ATOMIC_WRITER_H_

#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace minik8s::kubelet {

struct FileProjection {
  std::string data;
  int mode = 0644;
};

// Path (relative, '/'-separated, no "..", not starting with "..") -> file.
using VolumePayload = std::map<std::string, FileProjection>;

// Writes `payload` into `dir` (created if missing). `now` names the new
// timestamped folder. `*changed` (optional) says whether anything was
// written. Errors name the path that failed.
absl::Status WriteVolumeAtomically(const std::string& dir, const VolumePayload& payload,
                                   absl::Time now, bool* changed = nullptr);

// Whether `path` may be a file of a volume (Kubernetes' validatePath): not
// empty, relative, no ".." element, not starting with "..", at most 4096
// bytes.
absl::Status ValidateVolumePath(const std::string& path);

}  // namespace minik8s::kubelet

#endif  // MINIK8S_KUBELET_ATOMIC_WRITER_H_
