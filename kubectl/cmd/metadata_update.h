// The pure part of `mkctl label` and `mkctl annotate`, as kubectl does it:
// splitting the arguments into resources and changes, and computing the
// change to one object's labels or annotations.
//
// Thread safety: pure functions.
#ifndef MINIK8S_KUBECTL_CMD_METADATA_UPDATE_H_
#define MINIK8S_KUBECTL_CMD_METADATA_UPDATE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace minik8s::kubectl {

// Which map of metadata a command changes.
enum class MetadataField { kLabels, kAnnotations };

struct MetadataChanges {
  std::vector<std::string> resources;      // `pods`, `pod/x`, `x`
  std::map<std::string, std::string> set;  // `key=value`
  std::vector<std::string> remove;         // `key-`
};

// kubectl's GetResourcesAndPairs and parsing of the pairs: an argument with
// `=` (not first) or ending in `-` (not `-` alone) is a change; every
// resource comes before the first change. Errors (InvalidArgument), as
// kubectl words them:
//   `all resources must be specified before label changes: x`
//   `at least one label update is required`
//   `invalid label spec: =x`
//   `can not both modify and remove a label in the same command`
// (`annotation` for annotations). Label keys and values are checked by the
// server.
absl::StatusOr<MetadataChanges> ParseMetadataArgs(const std::vector<std::string>& args,
                                                  MetadataField field);

struct MetadataUpdate {
  // The new map (current with the changes).
  std::map<std::string, std::string> result;
  // The JSON merge patch that makes it: {"metadata":{"labels":{...}}}, "" when
  // nothing changes.
  std::string patch;
  // Keys of `remove` the object did not have (label prints
  // `label "k" not found.`).
  std::vector<std::string> not_found;
  // kubectl's verb: label → `labeled`, `not labeled` or (removal only,
  // without --overwrite) `unlabeled`; annotate → always `annotated`.
  std::string verb;
};

// The update of `current` by `changes`. Without `overwrite`, setting a key
// that has another value is an error (FailedPrecondition), for labels
// `'k' already has a value (v), and --overwrite is false` (several:
// `[e1, e2]`), for annotations `--overwrite is false but found the following
// declared annotation(s): 'k' already has a value (v); 'k2' ...`.
absl::StatusOr<MetadataUpdate> ComputeMetadataUpdate(
    const std::map<std::string, std::string>& current, const MetadataChanges& changes,
    MetadataField field, bool overwrite);

}  // namespace minik8s::kubectl

#endif  // MINIK8S_KUBECTL_CMD_METADATA_UPDATE_H_
