// Reading manifests for `apply -f` / `delete -f`: files, folders (their
// .yaml, .yml and .json files in name order; subfolders with recursive) and
// `-` (standard input, named STDIN in messages). Every document is decoded
// strictly before anything is sent, so one bad document stops the whole
// command with nothing changed. Errors name the file, the document (1-based,
// counting non-empty documents) and the codec's line and field path:
//   error parsing bad.yaml: document 2: line 12, column 9: unknown field "spec.foo"
//
// Thread safety: pure functions except for the file system reads.
#ifndef MINIK8S_KUBECTL_APPLY_MANIFESTS_H_
#define MINIK8S_KUBECTL_APPLY_MANIFESTS_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "api/codec.h"

namespace minik8s::kubectl {

struct Manifest {
  std::string source;  // file path or "STDIN"
  api::DecodedObject decoded;
};

// Decodes every document of `text` read from `source`.
absl::StatusOr<std::vector<Manifest>> DecodeManifests(const std::string& source,
                                                      const std::string& text);

// The 1-based non-empty document holding 1-based line `line` of `text`.
int DocumentOfLine(const std::string& text, int line);

// Reads and decodes every path. `read_stdin` supplies standard input.
absl::StatusOr<std::vector<Manifest>> ReadManifests(const std::vector<std::string>& paths,
                                                    bool recursive,
                                                    const std::function<std::string()>& read_stdin);

}  // namespace minik8s::kubectl

#endif  // MINIK8S_KUBECTL_APPLY_MANIFESTS_H_
