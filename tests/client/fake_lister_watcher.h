// A fake apiserver resource for informer unit tests: an in-memory set of
// pods with a global resourceVersion, an event history that can be
// compacted (watches from before it fail as "too old"), watch streams that
// can be dropped, and switches that make List/Watch fail.
#ifndef MINIK8S_TESTS_CLIENT_FAKE_LISTER_WATCHER_H_
#define MINIK8S_TESTS_CLIENT_FAKE_LISTER_WATCHER_H_

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/synchronization/mutex.h"
#include "api/errors.h"
#include "client/informer.h"
#include "client/resource.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::client::testing {

using minik8s::core::v1::Pod;

inline Pod MakePod(const std::string& ns, const std::string& name, const std::string& node = "") {
  Pod p;
  p.mutable_metadata()->set_namespace_(ns);
  p.mutable_metadata()->set_name(name);
  p.mutable_metadata()->set_uid("uid-" + ns + "-" + name);
  p.mutable_spec()->set_node_name(node);
  return p;
}

class FakeListerWatcher;

class FakeWatchStream : public WatchStream {
 public:
  bool Next(WatchEvent* event) override {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](FakeWatchStream* s)
             ABSL_NO_THREAD_SAFETY_ANALYSIS { return !s->events_.empty() || s->closed_; },
        this));
    if (events_.empty()) return false;
    *event = std::move(events_.front());
    events_.pop_front();
    return true;
  }
  void Cancel() override { Close(absl::OkStatus()); }
  absl::Status status() override {
    absl::MutexLock lock(&mu_);
    return status_;
  }
  void Push(WatchEvent e) {
    absl::MutexLock lock(&mu_);
    if (!closed_) events_.push_back(std::move(e));
  }
  void Close(absl::Status status) {
    absl::MutexLock lock(&mu_);
    if (closed_) return;
    closed_ = true;
    status_ = std::move(status);
  }
  bool closed() {
    absl::MutexLock lock(&mu_);
    return closed_;
  }

 private:
  absl::Mutex mu_;
  std::deque<WatchEvent> events_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
};

// Shared state; the ListerWatcher handed to the informer is a thin proxy
// (Proxy()), so the test keeps driving the fake after the informer owns it.
class FakeListerWatcher {
 public:
  void Upsert(Pod pod) {
    absl::MutexLock lock(&mu_);
    std::string key = KeyOf(pod);
    WatchEventType type = objects_.count(key) ? WatchEventType::kModified : WatchEventType::kAdded;
    pod.mutable_metadata()->set_resource_version(std::to_string(++rv_));
    objects_[key] = pod;
    RecordLocked(type, std::make_shared<Pod>(pod));
  }
  void Delete(const std::string& key) {
    absl::MutexLock lock(&mu_);
    auto it = objects_.find(key);
    if (it == objects_.end()) return;
    Pod pod = it->second;
    objects_.erase(it);
    pod.mutable_metadata()->set_resource_version(std::to_string(++rv_));
    RecordLocked(WatchEventType::kDeleted, std::make_shared<Pod>(pod));
  }
  // Sends a BOOKMARK at a new resourceVersion.
  void Bookmark() {
    absl::MutexLock lock(&mu_);
    auto pod = std::make_shared<Pod>();
    pod->mutable_metadata()->set_resource_version(std::to_string(++rv_));
    RecordLocked(WatchEventType::kBookmark, pod);
  }
  // Forgets history: watches from before the current version are too old.
  void Compact() {
    absl::MutexLock lock(&mu_);
    history_.clear();
    compacted_ = rv_;
  }
  // Ends every open watch with UNAVAILABLE (a dropped connection).
  void DropWatches() {
    absl::MutexLock lock(&mu_);
    for (auto& s : streams_) s->Close(absl::UnavailableError("connection reset"));
    streams_.clear();
  }
  // Sends an ERROR event (too old) on every open watch.
  void SendGoneErrorEvent() {
    absl::MutexLock lock(&mu_);
    for (auto& s : streams_) {
      WatchEvent e;
      e.type = WatchEventType::kError;
      e.error = api::NewResourceExpired("too old resource version");
      s->Push(std::move(e));
    }
  }
  void SetUnavailable(bool down) {
    absl::MutexLock lock(&mu_);
    down_ = down;
  }
  void FailNextLists(int n) {
    absl::MutexLock lock(&mu_);
    fail_lists_ = n;
  }
  std::map<std::string, Pod> Objects() {
    absl::MutexLock lock(&mu_);
    return objects_;
  }
  int NumLists() {
    absl::MutexLock lock(&mu_);
    return lists_;
  }
  int NumWatches() {
    absl::MutexLock lock(&mu_);
    return watches_;
  }
  // List and Watch calls refused while SetUnavailable(true).
  int NumRefused() {
    absl::MutexLock lock(&mu_);
    return refused_;
  }
  int NumOpenWatches() {
    absl::MutexLock lock(&mu_);
    int n = 0;
    for (auto& s : streams_) n += s->closed() ? 0 : 1;
    return n;
  }
  std::string LastWatchFrom() {
    absl::MutexLock lock(&mu_);
    return last_watch_from_;
  }

  absl::StatusOr<ObjectList> List(const ListOptions&) {
    absl::MutexLock lock(&mu_);
    if (down_) {
      ++refused_;
      return absl::UnavailableError("down");
    }
    if (fail_lists_ > 0) {
      --fail_lists_;
      return absl::UnavailableError("list failed");
    }
    ++lists_;
    ObjectList out;
    for (auto& [k, p] : objects_) out.items.push_back(std::make_shared<Pod>(p));
    out.resource_version = std::to_string(rv_);
    return out;
  }

  absl::StatusOr<std::unique_ptr<WatchStream>> Watch(const WatchOptions& options) {
    absl::MutexLock lock(&mu_);
    if (down_) {
      ++refused_;
      return absl::UnavailableError("down");
    }
    ++watches_;
    last_watch_from_ = options.resource_version;
    int64_t from = 0;
    if (!absl::SimpleAtoi(options.resource_version, &from)) from = 0;
    if (from < compacted_) return api::NewResourceExpired("too old resource version");
    auto stream = std::make_shared<FakeWatchStream>();
    for (auto& [rv, e] : history_) {
      if (rv > from) stream->Push(e);
    }
    streams_.push_back(stream);
    return std::unique_ptr<WatchStream>(new StreamHandle(stream));
  }

  std::unique_ptr<ListerWatcher> Proxy() { return std::make_unique<ProxyLW>(this); }

 private:
  class StreamHandle : public WatchStream {
   public:
    explicit StreamHandle(std::shared_ptr<FakeWatchStream> s) : s_(std::move(s)) {}
    bool Next(WatchEvent* e) override { return s_->Next(e); }
    void Cancel() override { s_->Cancel(); }
    absl::Status status() override { return s_->status(); }

   private:
    std::shared_ptr<FakeWatchStream> s_;
  };
  class ProxyLW : public ListerWatcher {
   public:
    explicit ProxyLW(FakeListerWatcher* f) : f_(f) {}
    absl::StatusOr<ObjectList> List(const ListOptions& o) override { return f_->List(o); }
    absl::StatusOr<std::unique_ptr<WatchStream>> Watch(const WatchOptions& o) override {
      return f_->Watch(o);
    }

   private:
    FakeListerWatcher* f_;
  };

  void RecordLocked(WatchEventType type, std::shared_ptr<Pod> pod)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    WatchEvent e;
    e.type = type;
    e.resource_version = std::to_string(rv_);
    e.object = std::move(pod);
    history_.emplace_back(rv_, e);
    for (auto& s : streams_) s->Push(e);
  }

  absl::Mutex mu_;
  int64_t rv_ ABSL_GUARDED_BY(mu_) = 1;
  int64_t compacted_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, Pod> objects_ ABSL_GUARDED_BY(mu_);
  std::vector<std::pair<int64_t, WatchEvent>> history_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<FakeWatchStream>> streams_ ABSL_GUARDED_BY(mu_);
  bool down_ ABSL_GUARDED_BY(mu_) = false;
  int fail_lists_ ABSL_GUARDED_BY(mu_) = 0;
  int lists_ ABSL_GUARDED_BY(mu_) = 0;
  int watches_ ABSL_GUARDED_BY(mu_) = 0;
  int refused_ ABSL_GUARDED_BY(mu_) = 0;
  std::string last_watch_from_ ABSL_GUARDED_BY(mu_);
};

}  // namespace minik8s::client::testing

#endif  // MINIK8S_TESTS_CLIENT_FAKE_LISTER_WATCHER_H_
