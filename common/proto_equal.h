// Whether two protobuf messages hold the same fields and values.
//
// The answer MessageDifferencer::Equals gives for the messages minik8s
// keeps (proto3 objects with maps and no extensions: a map compares by
// content, whatever its order; a submessage that is set, even empty,
// differs from one that is not), for a fraction of its cost: it serializes
// both messages deterministically (map entries sorted by key) and compares
// the bytes, where MessageDifferencer walks both through reflection. The
// kubelet, the scheduler and the apiserver compare a pod's status or spec
// on every update of it.
//
// Differs from MessageDifferencer::Equals only for floating-point fields
// holding -0.0 against 0.0, or NaN (none in the API).
#ifndef MINIK8S_COMMON_PROTO_EQUAL_H_
#define MINIK8S_COMMON_PROTO_EQUAL_H_

#include <google/protobuf/message.h>

#include <string>

namespace minik8s::common {

// `m` serialized with map entries in key order, so that equal messages give
// equal bytes (what the store compares to skip a write that changes
// nothing).
std::string SerializeDeterministic(const google::protobuf::Message& m);

// False when the two are of different types.
bool ProtoEqual(const google::protobuf::Message& a, const google::protobuf::Message& b);

}  // namespace minik8s::common

#endif  // MINIK8S_COMMON_PROTO_EQUAL_H_
