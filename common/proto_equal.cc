#include "common/proto_equal.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <string>

namespace minik8s::common {
namespace {

// As SerializeDeterministic, with the sizes ByteSizeLong just cached.
std::string Deterministic(const google::protobuf::Message& m, size_t size) {
  std::string out;
  out.reserve(size);
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    m.SerializeWithCachedSizes(&coded);
  }
  return out;
}

}  // namespace

std::string SerializeDeterministic(const google::protobuf::Message& m) {
  return Deterministic(m, m.ByteSizeLong());
}

bool ProtoEqual(const google::protobuf::Message& a, const google::protobuf::Message& b) {
  if (&a == &b) return true;
  if (a.GetDescriptor() != b.GetDescriptor()) return false;
  // Sizes first: most unequal pairs differ in length; ByteSizeLong also
  // caches the sizes that SerializeWithCachedSizes needs.
  const size_t size = a.ByteSizeLong();
  if (b.ByteSizeLong() != size) return false;
  return Deterministic(a, size) == Deterministic(b, size);
}

}  // namespace minik8s::common
