// Whole-file reads and writes for tests and benchmarks (manifests, golden
// files, logs, state files).
//
// Thread-safe (no shared state).
#ifndef MINIK8S_TESTING_FILE_UTIL_H_
#define MINIK8S_TESTING_FILE_UTIL_H_

#include <string>

#include "absl/status/status.h"

namespace minik8s::testing {

// The file's bytes; "" when it cannot be read (a log not written yet reads
// as empty, which is what a polling test wants).
std::string ReadFile(const std::string& path);

// Replaces the file's content with `content`.
absl::Status WriteFile(const std::string& path, const std::string& content);

// The example manifest examples/NAME of the source tree, as text.
std::string Example(const std::string& name);

// The last `bytes` bytes of the file ("" when it cannot be read), for
// failure messages.
std::string FileTail(const std::string& path, size_t bytes = 4000);

}  // namespace minik8s::testing

#endif  // MINIK8S_TESTING_FILE_UTIL_H_
