// Kubernetes' protobuf wire format (`application/vnd.kubernetes.protobuf`)
// for the built-in kinds, as client-go's typed clients send and expect it.
//
// Format (apimachinery pkg/runtime/serializer/protobuf):
//   "k8s\0" + runtime.Unknown{
//     1: typeMeta {1: apiVersion, 2: kind},
//     2: raw (the object in Kubernetes' generated.proto layout, no TypeMeta),
//     3: contentEncoding (""), 4: contentType ("")}
// Kubernetes' proto2 encoder writes every non-pointer field, zero or not;
// EncodeK8sProtobuf writes the envelope the same way (all four fields) and
// the object like a proto3 encoder (zero scalars omitted), which Kubernetes
// reads identically.
//
// The raw object is our message rewritten into Kubernetes' layout, driven by
// the descriptors (no per-kind code):
//   - field numbers and nesting follow api/k8s_protobuf_layout.h (where ours
//     differ from Kubernetes'); `apiVersion`/`kind` travel in the envelope;
//   - IntOrString {int_val = 1 | str_val = 2} ⇄ Kubernetes' {type = 1,
//     intVal = 2, strVal = 3} at any depth (repeated fields, map values);
//   - Time/MicroTime are written with both seconds and nanos (an empty Time
//     message is Kubernetes' zero time, i.e. unset); decoding truncates to
//     the type's precision (seconds / microseconds) as the JSON codec does;
//   - Quantity strings are parsed and stored canonical (`0.5` → `500m`);
//   - repeated scalars are written unpacked (proto2), read packed or not;
//   - map entries are written in key order.
// Kubernetes fields we do not model are skipped when decoding (Kubernetes'
// protobuf decoding is never strict either). Decoding refuses, with
// InvalidArgument: a missing or wrong magic, an unknown apiVersion/kind, a
// contentEncoding other than "", a contentType other than "" or
// application/vnd.kubernetes.protobuf, malformed or truncated bytes, wire
// types that do not match the field, invalid UTF-8 in strings, bad
// quantities. No allocation is sized from a length field beyond the bytes
// actually present.
//
// Watch streams (apiserver handlers/watch.go): each event is a 4-byte
// big-endian length followed by a meta.v1.WatchEvent{1: type, 2: object:
// RawExtension{1: raw}} written WITHOUT the "k8s\0" envelope (the stream
// serializer is protobuf.RawSerializer, framed by LengthDelimitedFramer);
// `raw` holds the object with its envelope (the embedded encoder).
//
// Thread safety: all functions are safe to call concurrently; the Scheme
// must not be modified meanwhile.
#ifndef MINIK8S_API_K8S_PROTOBUF_H_
#define MINIK8S_API_K8S_PROTOBUF_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "api/codec.h"
#include "api/scheme.h"
#include "google/protobuf/message.h"

namespace minik8s::api {

// The media type, and the prefix every envelope starts with.
inline constexpr std::string_view kK8sProtobufContentType = "application/vnd.kubernetes.protobuf";
inline constexpr std::string_view kK8sProtobufMagic{"k8s\0", 4};

// Kubernetes' protobuf encoding of a registered object or list. TypeMeta
// comes from the scheme (the message's own apiVersion/kind fields when its
// type is not registered).
std::string EncodeK8sProtobuf(const google::protobuf::Message& object,
                              const Scheme& scheme = Scheme::Default());

// Decodes an envelope whose TypeMeta names a registered kind or list kind.
// Status and DeleteOptions are accepted under any group's apiVersion of the
// same version (`apps/v1` DeleteOptions, `meta.k8s.io/v1`), as Kubernetes
// registers them in every group. The object's apiVersion/kind fields are set
// to the registered ones.
absl::StatusOr<DecodedObject> DecodeK8sProtobuf(std::string_view bytes,
                                                const Scheme& scheme = Scheme::Default());

// Decodes into `out` (cleared first) when the caller knows the type (e.g.
// DeleteOptions, Scale). The envelope's TypeMeta may be empty; when present
// it must name `out`'s type (its registered kind, or its message name when
// the type is not registered).
absl::Status DecodeK8sProtobufInto(std::string_view bytes, google::protobuf::Message* out,
                                   const Scheme& scheme = Scheme::Default());

// One frame of a protobuf watch stream (see above): `event_type` is ADDED,
// MODIFIED, DELETED, BOOKMARK or ERROR (with a Status object).
std::string EncodeK8sProtobufWatchFrame(std::string_view event_type,
                                        const google::protobuf::Message& object,
                                        const Scheme& scheme = Scheme::Default());

// The object alone in Kubernetes' layout (the envelope's `raw`), and back.
// ParseK8sProtobufRaw merges into `out` like protobuf parsing does.
std::string SerializeK8sProtobufRaw(const google::protobuf::Message& object);
absl::Status ParseK8sProtobufRaw(std::string_view raw, google::protobuf::Message* out);

}  // namespace minik8s::api

#endif  // MINIK8S_API_K8S_PROTOBUF_H_
