// Running the programs some commands hand work to: the diff program of
// `mkctl diff` and the editor of `mkctl edit`. Looked up in $PATH as
// Go's exec.Command does.
//
// Thread safety: none needed (called from the main thread only).
#ifndef MINIK8S_KUBECTL_CMD_EXTERNAL_PROGRAM_H_
#define MINIK8S_KUBECTL_CMD_EXTERNAL_PROGRAM_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace minik8s::kubectl {

// Runs argv[0] with `argv` and waits for it. With `out`/`err` set, the
// program's standard output/error are copied there; else it shares mkctl's
// (an editor needs the terminal). Returns its exit status (128 + signal
// when killed); NotFound `executable file not found in $PATH` when there
// is no such program.
absl::StatusOr<int> RunProgram(const std::vector<std::string>& argv, std::ostream* out,
                               std::ostream* err);

}  // namespace minik8s::kubectl

#endif  // MINIK8S_KUBECTL_CMD_EXTERNAL_PROGRAM_H_
