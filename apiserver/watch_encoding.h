// Wire encoding of watch events for the Watch stream
// (proto/apiserver/v1/apiserver.proto, message WatchEvent), built so that an
// event is serialized once and shared by every stream that sends it.
//
// A "framed" event is the serialized WatchEvent preceded by the tag and
// length that make it one element of WatchEvent.events (field 4). So:
//   - a batch message (a watch with allow_event_batches) is the plain
//     concatenation of framed events;
//   - a single-event message is a framed event without its header
//     (FrameHeaderSize bytes).
// Example: an ADDED event whose serialized WatchEvent is the 40 bytes E
// frames as 0x22 0x28 E; two of them, 0x22 0x28 E1 0x22 0x28 E2, parse as
// WatchEvent{events: [E1, E2]}.
//
// Thread safety: pure functions.
#ifndef MINIK8S_APISERVER_WATCH_ENCODING_H_
#define MINIK8S_APISERVER_WATCH_ENCODING_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "apiserver/watch_cache.h"

namespace minik8s::apiserver {

// The framed encoding of WatchEvent{type, object, resource_version}.
std::string EncodeFramedWatchEvent(EventType type, int64_t revision,
                                   absl::string_view serialized_object);

// The length of a framed event's header (tag and length varint).
size_t FrameHeaderSize(absl::string_view framed);

// The framed encoding of `delivery` for a stream of `kind`: shared through
// the object's wire forms when the delivery is at the object's own
// resourceVersion (every event the watch cache produces); a bookmark (no
// object) carries an empty `kind` object with only its resourceVersion.
// `buffer` keeps an unshared encoding; the result refers into it or into
// the delivery's object, so both must outlive its use.
absl::string_view FramedDelivery(const api::KindInfo* kind, const Delivery& delivery,
                                 std::string* buffer);

}  // namespace minik8s::apiserver

#endif  // MINIK8S_APISERVER_WATCH_ENCODING_H_
