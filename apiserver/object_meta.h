// Reflection helpers shared by the apiserver layers: every stored kind is a
// protobuf message with a `metadata` field of type minik8s.meta.v1.ObjectMeta
// and, for most kinds, `spec` and `status` message fields.
//
// Thread safety: pure functions; the caller owns the messages.
#ifndef MINIK8S_APISERVER_OBJECT_META_H_
#define MINIK8S_APISERVER_OBJECT_META_H_

#include <memory>
#include <string>

#include "google/protobuf/message.h"
#include "k8s/meta/v1/meta.pb.h"

namespace minik8s::apiserver {

// The object's metadata (the default instance when the message has none).
const meta::v1::ObjectMeta& Meta(const google::protobuf::Message& object);
// Mutable metadata; nullptr when the message has no `metadata` field.
meta::v1::ObjectMeta* MutableMeta(google::protobuf::Message* object);

// The named sub-message field (`spec`, `status`), or nullptr when the type
// has no such message field. Has...() tells whether it is set.
const google::protobuf::FieldDescriptor* MessageField(const google::protobuf::Message& object,
                                                      const char* name);
// True when `a` and `b` have equal `name` fields (both unset counts as equal).
bool FieldEquals(const google::protobuf::Message& a, const google::protobuf::Message& b,
                 const char* name);
// Copies field `name` from `from` into `to` (clearing it when unset in `from`).
void CopyField(const google::protobuf::Message& from, google::protobuf::Message* to,
               const char* name);
void ClearField(google::protobuf::Message* object, const char* name);

std::unique_ptr<google::protobuf::Message> CloneMessage(const google::protobuf::Message& m);

// "ns/name" or "name".
std::string ObjectKeyName(const google::protobuf::Message& object);

}  // namespace minik8s::apiserver

#endif  // MINIK8S_APISERVER_OBJECT_META_H_
