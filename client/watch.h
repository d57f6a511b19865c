// Watch events and the stream they are read from.
//
// A WatchStream yields events until the server ends it, an error occurs, or
// another thread calls Cancel(). Objects are decoded into the resource's
// message type and shared read-only (std::shared_ptr<const Message>); use
// ObjectAs<T>(event) for the typed pointer.
//
// Thread safety: Next() and status() are for one reader thread; Cancel() may
// be called from any thread at any time (also before or after Next returns
// false), and makes a blocked Next() return false promptly.
#ifndef MINIK8S_CLIENT_WATCH_H_
#define MINIK8S_CLIENT_WATCH_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace minik8s::client {

using ObjectPtr = std::shared_ptr<const google::protobuf::Message>;

enum class WatchEventType { kAdded, kModified, kDeleted, kBookmark, kError };
const char* WatchEventTypeName(WatchEventType type);  // "ADDED", ...

struct WatchEvent {
  WatchEventType type = WatchEventType::kAdded;
  // The object (ADDED/MODIFIED/DELETED: its state; BOOKMARK: an object with
  // only metadata.resourceVersion set). Null for ERROR.
  ObjectPtr object;
  // The resourceVersion this event brings the watcher to.
  std::string resource_version;
  // ERROR events: the error (IsGone(error) → the client must relist).
  absl::Status error;
};

template <typename T>
std::shared_ptr<const T> ObjectAs(const WatchEvent& event) {
  return std::static_pointer_cast<const T>(event.object);
}

class WatchStream {
 public:
  virtual ~WatchStream() = default;
  // Blocks for the next event; false when the stream has ended (see status()).
  virtual bool Next(WatchEvent* event) = 0;
  virtual void Cancel() = 0;
  // After Next returned false: OK when cancelled by Cancel() or closed
  // cleanly by the server, otherwise the error that ended the stream.
  virtual absl::Status status() = 0;
};

}  // namespace minik8s::client

#endif  // MINIK8S_CLIENT_WATCH_H_
