// Where each field of our API messages lives in Kubernetes' protobuf layout
// (k8s.io/api */generated.proto, k8s.io/apimachinery meta/v1).
//
// Our messages mostly use Kubernetes' field numbers, but not everywhere: some
// fields were numbered before the upstream numbers were checked, and a few
// Kubernetes types inline a struct that we flatten (Probe.handler →
// ProbeHandler, Volume.volumeSource → VolumeSource, LocalObjectReference in
// the ConfigMap/Secret selectors). Renumbering our .proto files would make
// stored data unreadable, so the difference is kept here, as data: a table of
// (message, field) → the Kubernetes field-number path. A path of length two
// puts the field inside a nested Kubernetes message, e.g. Probe.exec at {1, 1}
// is ProbeHandler.exec inside Probe.handler. Fields absent from the table keep
// their own number. `api_version` (100) and `kind` (101), which Kubernetes
// carries in the runtime.Unknown envelope instead, have an empty path: they
// are never on the wire.
//
// Thread safety: K8sLayoutFor is safe to call concurrently; layouts are built
// once per message type and never change.
#ifndef MINIK8S_API_K8S_PROTOBUF_LAYOUT_H_
#define MINIK8S_API_K8S_PROTOBUF_LAYOUT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "google/protobuf/descriptor.h"

namespace minik8s::api {

// One of our fields and where Kubernetes puts it.
struct K8sFieldPlacement {
  const google::protobuf::FieldDescriptor* field = nullptr;
  // Kubernetes field numbers from the enclosing message down; empty when the
  // field is not part of Kubernetes' encoding (TypeMeta).
  std::vector<int> path;
  // Kubernetes' Go field is a plain (non-pointer) number while ours is proto3
  // `optional`: Kubernetes always writes it, and 0 means "not set" (defaulted
  // later), so a decoded 0 leaves our field unset.
  bool zero_is_unset = false;
};

// Decoding tree: a Kubernetes field number maps to one of our fields or to a
// nested Kubernetes message whose fields map further.
struct K8sLayoutNode {
  absl::flat_hash_map<int, const K8sFieldPlacement*> fields;
  absl::flat_hash_map<int, std::unique_ptr<K8sLayoutNode>> groups;
};

struct K8sLayout {
  std::vector<K8sFieldPlacement> placements;  // our fields, declaration order
  K8sLayoutNode root;
};

// The layout of `descriptor` (never null). The reference stays valid for the
// life of the process.
const K8sLayout& K8sLayoutFor(const google::protobuf::Descriptor* descriptor);

// Consistency problems in the placement table, for tests: entries naming a
// message or field that does not exist, and two fields of one message mapped
// to the same Kubernetes number (or to a number that is also a nested
// message). Empty when the table is sound.
std::vector<std::string> K8sLayoutTableProblems();

}  // namespace minik8s::api

#endif  // MINIK8S_API_K8S_PROTOBUF_LAYOUT_H_
