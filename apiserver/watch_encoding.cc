#include "apiserver/watch_encoding.h"

#include "absl/strings/str_cat.h"
#include "apiserver/object_meta.h"
#include "apiserver/v1/apiserver.pb.h"
#include "google/protobuf/io/coded_stream.h"

namespace minik8s::apiserver {
namespace {

// WatchEvent.events: field 4, length-delimited.
constexpr uint8_t kEventsTag = (4 << 3) | 2;

}  // namespace

std::string EncodeFramedWatchEvent(EventType type, int64_t revision,
                                   absl::string_view serialized_object) {
  v1::WatchEvent event;
  event.set_type(EventTypeName(type));
  event.set_object(std::string(serialized_object));
  event.set_resource_version(absl::StrCat(revision));
  const size_t size = event.ByteSizeLong();
  std::string out;
  out.resize(1 + google::protobuf::io::CodedOutputStream::VarintSize64(size) + size);
  uint8_t* p = reinterpret_cast<uint8_t*>(out.data());
  *p++ = kEventsTag;
  p = google::protobuf::io::CodedOutputStream::WriteVarint64ToArray(size, p);
  event.SerializeWithCachedSizesToArray(p);
  return out;
}

size_t FrameHeaderSize(absl::string_view framed) {
  size_t i = 1;  // the tag
  while (i < framed.size() && (static_cast<uint8_t>(framed[i]) & 0x80) != 0) ++i;
  return i + 1;
}

absl::string_view FramedDelivery(const api::KindInfo* kind, const Delivery& delivery,
                                 std::string* buffer) {
  if (delivery.object != nullptr && delivery.object->revision == delivery.revision) {
    return delivery.object->WireForm(delivery.type, [&delivery] {
      return EncodeFramedWatchEvent(delivery.type, delivery.revision, delivery.object->serialized);
    });
  }
  if (delivery.object != nullptr) {
    // Not the object's own resourceVersion (not produced by the cache): not
    // shared.
    *buffer = EncodeFramedWatchEvent(delivery.type, delivery.revision, delivery.object->serialized);
    return *buffer;
  }
  std::string object;
  if (kind != nullptr) {
    std::unique_ptr<google::protobuf::Message> bookmark = kind->New();
    if (meta::v1::ObjectMeta* meta = MutableMeta(bookmark.get()); meta != nullptr) {
      meta->set_resource_version(absl::StrCat(delivery.revision));
    }
    object = bookmark->SerializeAsString();
  }
  *buffer = EncodeFramedWatchEvent(delivery.type, delivery.revision, object);
  return *buffer;
}

}  // namespace minik8s::apiserver
