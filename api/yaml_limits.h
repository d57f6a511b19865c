// Bounded YAML/JSON parsing: the one way text becomes yaml-cpp nodes.
//
// yaml-cpp expands nothing itself: an alias becomes a second handle on the
// anchored node. Our code walks, clones and converts those trees as if every
// alias were a copy, so one 100 KB anchored string used 20,000 times costs
// 2 GB, and "billion laughs" (anchors of lists of aliases of anchors ...)
// grows exponentially. Deep nesting costs too: yaml-cpp's scanner buffers a
// token for every `[` before its parser (which refuses depth ~500 with a bare
// "bad file") gets to look, ~240 bytes each.
//
// LoadLimited/LoadAllLimited therefore decode before they allocate, in three
// passes over the text:
//   1. the size of the text, and a cheap scan of its `[`/`{` nesting (quoted
//      scalars and comments skipped), so a million opening brackets never
//      reach yaml-cpp. The scan is deliberately loose (it refuses only past
//      kPrescanDepth, Go encoding/json's own limit): it cannot always tell a
//      bracket inside a plain or block scalar from a flow indicator, and the
//      exact depth is the next pass's job;
//   2. yaml-cpp's event parser (YAML::Parser with an EventHandler, which
//      builds no nodes) measures the depth, the node count and the scalar
//      bytes *as if every alias were expanded*: each anchored node's size is
//      recorded when it ends and every alias adds it, so nested anchors
//      multiply as they would in a copy;
//   3. only then YAML::Load/LoadAll build the nodes.
// An alias to a collection that is still open (`&a [*a]`, a cycle yaml-cpp
// would build and our walkers would follow forever) is refused too, and so
// is a stray `,` after a top-level node (`{"a":1},`), which yaml-cpp reads as
// an endless run of empty documents ("did not find expected node content").
//
// Errors are absl::InvalidArgumentError naming the position (when known) and
// the limit, e.g. `line 1, column 2: yaml: the document nests deeper than 256
// levels`, `line 3, column 7: yaml: aliases would expand the document beyond
// 16777216 bytes`; yaml-cpp's own errors keep their text behind the same
// `line L, column C: yaml: ` prefix. No yaml-cpp exception escapes.
//
// The default limits (DefaultYamlLimits), and why:
//   max_depth 256: Kubernetes objects nest < 30 levels (CRD schemas < 100);
//     Go's encoding/json and go-yaml v3 allow 10000, but yaml-cpp's parser
//     refuses ~500 itself with an unhelpful message, and our walkers recurse,
//     so 256 stays well inside both. An alias counts at the depth it is used
//     plus the depth of what it names.
//   max_alias_expansion 100,000 nodes: go-yaml v2/v3 (and so sigs.k8s.io/yaml
//     and kube-apiserver) let up to ~400,000 decode operations come from
//     aliases before "document contains excessive aliasing". An expanded
//     yaml-cpp node costs ~450 bytes once our code copies it, and manifests
//     alias a few hundred nodes at most, so a quarter of that.
//   max_nodes 1,000,000 (aliases expanded): the patch code's limit
//     (patch::kMaxNodes); a multi-MiB manifest file holds a few hundred
//     thousand.
//   max_bytes 16 MiB, the text itself and its scalar bytes with aliases
//     expanded: kube-apiserver reads at most 3 MiB of a request body (our
//     HTTP server too); kubectl -f files may be bundles of several MiB.
// All limits apply to one call's input (every document of it together).
//
// Cost that remains: yaml-cpp's scanner keeps every token of a flow
// collection that starts a line until it closes (~130 bytes a token), so a
// maximal single-line JSON body briefly costs ~100x its size. That is
// proportional to the input (bounded by max_bytes and the 3 MiB HTTP body
// limit), not amplified by aliases or depth.
//
// Thread safety: the functions are pure and safe to call concurrently.
#ifndef MINIK8S_API_YAML_LIMITS_H_
#define MINIK8S_API_YAML_LIMITS_H_

#include <cstddef>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "yaml-cpp/yaml.h"

namespace minik8s::api {

struct YamlLimits {
  // Collections nested inside each other (a scalar document is depth 0).
  size_t max_depth;
  // Nodes that aliases add, summed over every alias.
  size_t max_alias_expansion;
  // Nodes (scalars, nulls, maps, sequences), aliases expanded.
  size_t max_nodes;
  // Bytes of the text, and bytes of its scalars with aliases expanded.
  size_t max_bytes;
};

// The raw-text bracket scan refuses past max(kPrescanDepth, max_depth).
inline constexpr size_t kPrescanDepth = 10000;

// max_depth 256, max_alias_expansion 100,000, max_nodes 1,000,000,
// max_bytes 16 MiB (see above).
const YamlLimits& DefaultYamlLimits();

// Every document in `text` (like YAML::LoadAll), or the limit that was hit.
absl::StatusOr<std::vector<YAML::Node>> LoadAllLimited(
    absl::string_view text, const YamlLimits& limits = DefaultYamlLimits());

// The first document in `text` (like YAML::Load: a Null node when there is
// none; later documents are not built, and only the size check and the
// bracket scan see them), or the limit that was hit.
absl::StatusOr<YAML::Node> LoadLimited(absl::string_view text,
                                       const YamlLimits& limits = DefaultYamlLimits());

}  // namespace minik8s::api

#endif  // MINIK8S_API_YAML_LIMITS_H_
