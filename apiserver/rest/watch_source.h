// The body of an HTTP watch: the watch cache's deliveries for one watcher,
// encoded as Kubernetes streams them — for JSON one
// {"type":"ADDED|MODIFIED|DELETED|BOOKMARK|ERROR","object":{...}} per line,
// for Tables one single-row Table per event, for protobuf length-prefixed
// WatchEvent frames. A watcher closed with an error (Gone: too old, or the
// client could not keep up) ends the stream with an ERROR event carrying
// that Status, so that the client relists.
//
// Each object's JSON is built once and shared by every stream (see
// CachedObject::JsonForm).
//
// Thread safety: Wake() from any thread (the watch cache calls it with its
// lock held: it only posts); the StreamSource methods as that interface
// says.
#ifndef MINIK8S_APISERVER_REST_WATCH_SOURCE_H_
#define MINIK8S_APISERVER_REST_WATCH_SOURCE_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "api/scheme.h"
#include "apiserver/handler.h"
#include "apiserver/rest/http_types.h"
#include "apiserver/rest/negotiation.h"
#include "apiserver/watch_cache.h"

namespace minik8s::apiserver::rest {

class WatchSource : public StreamSource {
 public:
  // `kind` must outlive the source; `request` supplies Table options.
  WatchSource(const api::KindInfo* kind, Format format, const HttpRequest& request);
  ~WatchSource() override;

  // The registered watcher to stream from (before Start).
  void Attach(Handler::WatchStream stream);
  // Instead of a watcher: the stream is this one ERROR event.
  void FailWith(absl::Status error);
  // Something arrived for the watcher.
  void Wake();

  void Start(std::function<void()> wake) override;
  Next Pull(std::string* out) override;
  void Cancel() override;

 private:
  void AppendEvent(const Delivery& delivery, std::string* out);
  void AppendError(const absl::Status& error, std::string* out);

  const api::KindInfo* const kind_;
  const Format format_;
  HttpRequest request_;  // its query only
  Handler::WatchStream stream_;
  absl::Status error_;
  bool done_ = false;
  bool first_table_ = true;
  std::vector<Delivery> batch_;

  absl::Mutex mu_;
  std::function<void()> wake_ ABSL_GUARDED_BY(mu_);
  bool wake_pending_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace minik8s::apiserver::rest

#endif  // MINIK8S_APISERVER_REST_WATCH_SOURCE_H_
