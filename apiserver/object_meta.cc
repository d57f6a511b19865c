#include "apiserver/object_meta.h"

#include "common/proto_equal.h"

namespace minik8s::apiserver {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

const FieldDescriptor* MessageField(const Message& object, const char* name) {
  const FieldDescriptor* field = object.GetDescriptor()->FindFieldByName(name);
  if (field == nullptr || field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE ||
      field->is_repeated()) {
    return nullptr;
  }
  return field;
}

const meta::v1::ObjectMeta& Meta(const Message& object) {
  const FieldDescriptor* field = MessageField(object, "metadata");
  if (field == nullptr || field->message_type() != meta::v1::ObjectMeta::descriptor()) {
    return meta::v1::ObjectMeta::default_instance();
  }
  return static_cast<const meta::v1::ObjectMeta&>(
      object.GetReflection()->GetMessage(object, field));
}

meta::v1::ObjectMeta* MutableMeta(Message* object) {
  const FieldDescriptor* field = MessageField(*object, "metadata");
  if (field == nullptr || field->message_type() != meta::v1::ObjectMeta::descriptor()) {
    return nullptr;
  }
  return static_cast<meta::v1::ObjectMeta*>(object->GetReflection()->MutableMessage(object, field));
}

bool FieldEquals(const Message& a, const Message& b, const char* name) {
  const FieldDescriptor* field = MessageField(a, name);
  if (field == nullptr) return true;
  const auto* ra = a.GetReflection();
  const auto* rb = b.GetReflection();
  bool ha = ra->HasField(a, field);
  bool hb = rb->HasField(b, field);
  if (!ha && !hb) return true;
  return common::ProtoEqual(ra->GetMessage(a, field), rb->GetMessage(b, field));
}

void CopyField(const Message& from, Message* to, const char* name) {
  const FieldDescriptor* field = MessageField(*to, name);
  if (field == nullptr) return;
  const auto* rf = from.GetReflection();
  if (!rf->HasField(from, field)) {
    to->GetReflection()->ClearField(to, field);
    return;
  }
  to->GetReflection()->MutableMessage(to, field)->CopyFrom(rf->GetMessage(from, field));
}

void ClearField(Message* object, const char* name) {
  const FieldDescriptor* field = MessageField(*object, name);
  if (field != nullptr) object->GetReflection()->ClearField(object, field);
}

std::unique_ptr<Message> CloneMessage(const Message& m) {
  std::unique_ptr<Message> copy(m.New());
  copy->CopyFrom(m);
  return copy;
}

std::string ObjectKeyName(const Message& object) {
  const meta::v1::ObjectMeta& meta = Meta(object);
  if (meta.namespace_().empty()) return meta.name();
  return meta.namespace_() + "/" + meta.name();
}

}  // namespace minik8s::apiserver
