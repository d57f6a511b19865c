#include "apiserver/rest/watch_source.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "api/codec.h"
#include "api/k8s_protobuf.h"
#include "apiserver/object_meta.h"
#include "apiserver/rest/encoding.h"

namespace minik8s::apiserver::rest {

using google::protobuf::Message;

namespace {

// A pull takes what one stream write carries (http_server.cc), so a
// watcher's backlog stays in its queue rather than in buffers.
constexpr size_t kMaxEventsPerPull = 64;
constexpr size_t kMaxBytesPerPull = 64 * 1024;

}  // namespace

WatchSource::WatchSource(const api::KindInfo* kind, Format format, const HttpRequest& request)
    : kind_(kind), format_(format) {
  request_.query = request.query;
}

WatchSource::~WatchSource() { Cancel(); }

void WatchSource::Attach(Handler::WatchStream stream) { stream_ = std::move(stream); }

void WatchSource::FailWith(absl::Status error) { error_ = std::move(error); }

void WatchSource::Wake() {
  std::function<void()> wake;
  {
    absl::MutexLock lock(&mu_);
    if (cancelled_) return;
    if (!wake_) {
      wake_pending_ = true;
      return;
    }
    wake = wake_;
  }
  wake();
}

void WatchSource::Start(std::function<void()> wake) {
  bool pending = false;
  {
    absl::MutexLock lock(&mu_);
    wake_ = std::move(wake);
    pending = wake_pending_;
    wake_pending_ = false;
  }
  (void)pending;  // the connection pulls right after Start anyway
}

StreamSource::Next WatchSource::Pull(std::string* out) {
  if (done_) return Next::kEnd;
  if (!error_.ok()) {
    AppendError(error_, out);
    done_ = true;
    return Next::kData;
  }
  if (stream_.watcher == nullptr) {
    done_ = true;
    return Next::kEnd;
  }
  absl::Status error;
  batch_.clear();
  switch (stream_.watcher->PopBatch(kMaxEventsPerPull, kMaxBytesPerPull, &batch_, &error)) {
    case Watcher::Next::kEmpty:
      return Next::kEmpty;
    case Watcher::Next::kClosed:
      done_ = true;
      if (error.ok()) return Next::kEnd;
      AppendError(error, out);
      return Next::kData;
    case Watcher::Next::kEvent:
      break;
  }
  for (const Delivery& delivery : batch_) AppendEvent(delivery, out);
  batch_.clear();
  return Next::kData;
}

void WatchSource::Cancel() {
  Handler::WatchStream stream;
  {
    absl::MutexLock lock(&mu_);
    if (cancelled_) return;
    cancelled_ = true;
    wake_ = nullptr;
    stream = stream_;
  }
  // Without our lock: Unregister takes the cache's lock, under which the
  // cache may be calling Wake().
  if (stream.cache != nullptr && stream.watcher != nullptr)
    stream.cache->Unregister(stream.watcher);
}

void WatchSource::AppendEvent(const Delivery& delivery, std::string* out) {
  const char* type = EventTypeName(delivery.type);
  // The object as the event carries it: the cached object when the event is
  // at its resourceVersion, else a copy at the event's (a bookmark is an
  // empty object of the kind with only metadata.resourceVersion).
  std::unique_ptr<Message> own;
  const Message* object = nullptr;
  if (delivery.object != nullptr && delivery.object->revision == delivery.revision) {
    object = delivery.object->object.get();
  } else {
    own = delivery.object != nullptr ? CloneMessage(*delivery.object->object) : kind_->New();
    if (meta::v1::ObjectMeta* meta = MutableMeta(own.get()); meta != nullptr) {
      meta->set_resource_version(absl::StrCat(delivery.revision));
    }
    object = own.get();
  }
  switch (format_) {
    case Format::kProtobuf: {
      if (own == nullptr) {
        own = CloneMessage(*object);
        object = own.get();
      }
      api::Scheme::Default().SetTypeMeta(own.get()).IgnoreError();
      out->append(api::EncodeK8sProtobufWatchFrame(type, *object));
      return;
    }
    case Format::kTable: {
      std::string table;
      if (delivery.type == EventType::kBookmark) {
        table = ObjectJson(*object);
      } else {
        table = EncodeTable(*kind_, {object}, "", "", std::nullopt, request_, first_table_);
        first_table_ = false;
      }
      absl::StrAppend(out, R"({"type":")", type, R"(","object":)", table, "}\n");
      return;
    }
    case Format::kMetadata:
      absl::StrAppend(out, R"({"type":")", type, R"(","object":)",
                      delivery.type == EventType::kBookmark ? ObjectJson(*object)
                                                            : EncodeObject(*object, format_),
                      "}\n");
      return;
    default:
      break;
  }
  if (own == nullptr) {
    const std::string& json =
        delivery.object->JsonForm([&] { return ObjectJson(*delivery.object->object); });
    absl::StrAppend(out, R"({"type":")", type, R"(","object":)", json, "}\n");
  } else {
    absl::StrAppend(out, R"({"type":")", type, R"(","object":)", ObjectJson(*own), "}\n");
  }
}

void WatchSource::AppendError(const absl::Status& error, std::string* out) {
  const meta::v1::Status status = ErrorStatus(error);
  if (format_ == Format::kProtobuf) {
    out->append(api::EncodeK8sProtobufWatchFrame("ERROR", status));
    return;
  }
  absl::StrAppend(out, R"({"type":"ERROR","object":)", api::EncodeJson(status), "}\n");
}

}  // namespace minik8s::apiserver::rest
