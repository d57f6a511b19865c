#include "client/informer.h"

#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/random/random.h"
#include "api/errors.h"
#include "spdlog/spdlog.h"

namespace minik8s::client {
namespace {

using google::protobuf::Message;

class ApiListerWatcher : public ListerWatcher {
 public:
  ApiListerWatcher(ApiClient* api, std::string resource, std::string ns, std::string label_selector,
                   std::string field_selector, const Message& prototype)
      : api_(api),
        resource_(std::move(resource)),
        ns_(std::move(ns)),
        label_selector_(std::move(label_selector)),
        field_selector_(std::move(field_selector)),
        prototype_(prototype) {}

  absl::StatusOr<ObjectList> List(const ListOptions& options) override {
    ListOptions o = options;
    o.label_selector = label_selector_;
    o.field_selector = field_selector_;
    return api_->List(resource_, ns_, o, prototype_);
  }

  absl::StatusOr<std::unique_ptr<WatchStream>> Watch(const WatchOptions& options) override {
    WatchOptions o = options;
    o.label_selector = label_selector_;
    o.field_selector = field_selector_;
    return api_->Watch(resource_, ns_, o, prototype_);
  }

 private:
  ApiClient* const api_;
  const std::string resource_;
  const std::string ns_;
  const std::string label_selector_;
  const std::string field_selector_;
  const Message& prototype_;
};

const std::string& ResourceVersionOf(const ObjectPtr& object) {
  return MetaOf(*object).resource_version();
}

}  // namespace

std::unique_ptr<ListerWatcher> NewApiListerWatcher(ApiClient* api, std::string resource,
                                                   std::string ns, std::string label_selector,
                                                   std::string field_selector,
                                                   const Message& prototype) {
  return std::make_unique<ApiListerWatcher>(api, std::move(resource), std::move(ns),
                                            std::move(label_selector), std::move(field_selector),
                                            prototype);
}

SharedInformer::SharedInformer(std::unique_ptr<ListerWatcher> lister_watcher,
                               const google::protobuf::Descriptor* descriptor,
                               InformerOptions options)
    : lister_watcher_(std::move(lister_watcher)),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : common::RealClock::Get()),
      indexer_(options_.indexers.empty() ? DefaultIndexersFor(descriptor) : options_.indexers) {}

SharedInformer::~SharedInformer() { Stop(); }

void SharedInformer::AddEventHandler(ResourceEventHandler handler) {
  absl::MutexLock lock(&mu_);
  int index = static_cast<int>(handlers_.size());
  handlers_.push_back(std::make_shared<const ResourceEventHandler>(std::move(handler)));
  // Catch up on what is cached already. Live events queued before this
  // point are not delivered to the new handler (handler_limit), and those
  // after it are, so it sees every object exactly once.
  for (ObjectPtr& object : indexer_.List()) {
    Notification n{Notification::kAdd, nullptr, std::move(object)};
    n.only_handler = index;
    notifications_.push_back(std::move(n));
  }
}

void SharedInformer::Start() {
  absl::MutexLock lock(&mu_);
  if (started_ || stopped_) return;
  started_ = true;
  if (options_.resync_period > absl::ZeroDuration()) {
    next_resync_ = clock_->Now() + options_.resync_period;
  }
  reflector_ = std::thread([this] { ReflectorLoop(); });
  dispatcher_ = std::thread([this] { DispatchLoop(); });
}

void SharedInformer::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopped_ = true;
    if (current_watch_ != nullptr) current_watch_->Cancel();
  }
  if (reflector_.joinable()) reflector_.join();
  if (dispatcher_.joinable()) dispatcher_.join();
}

bool SharedInformer::HasSynced() const {
  absl::MutexLock lock(&mu_);
  return synced_;
}

bool SharedInformer::WaitForCacheSync(absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&synced_), timeout);
  return synced_;
}

std::string SharedInformer::LastSyncResourceVersion() const {
  absl::MutexLock lock(&mu_);
  return last_resource_version_;
}

int SharedInformer::NumLists() const {
  absl::MutexLock lock(&mu_);
  return num_lists_;
}

void SharedInformer::EnqueueLocked(Notification n) {
  n.handler_limit = handlers_.size();
  notifications_.push_back(std::move(n));
}

bool SharedInformer::Backoff(absl::Duration* backoff) {
  absl::Duration wait = *backoff;
  {
    static thread_local absl::BitGen gen;
    wait += absl::Uniform(gen, 0.0, 1.0) * *backoff;
  }
  *backoff = std::min(*backoff * 2, options_.max_backoff);
  absl::MutexLock lock(&mu_);
  clock_->AwaitWithDeadline(&mu_, absl::Condition(&stopped_), clock_->Now() + wait);
  return stopped_;
}

void SharedInformer::ApplyList(ObjectList list) {
  absl::MutexLock lock(&mu_);
  absl::flat_hash_set<std::string> seen;
  seen.reserve(list.items.size());
  for (ObjectPtr& object : list.items) {
    std::string key = KeyOf(*object);
    seen.insert(key);
    ObjectPtr old = indexer_.Upsert(object);
    if (old == nullptr) {
      EnqueueLocked({Notification::kAdd, nullptr, std::move(object)});
    } else if (ResourceVersionOf(old) != ResourceVersionOf(object)) {
      EnqueueLocked({Notification::kUpdate, std::move(old), std::move(object)});
    }
  }
  for (const std::string& key : indexer_.ListKeys()) {
    if (seen.contains(key)) continue;
    ObjectPtr old = indexer_.Delete(key);
    if (old != nullptr) {
      Notification n{Notification::kDelete, nullptr, std::move(old)};
      n.final_state_unknown = true;
      EnqueueLocked(std::move(n));
    }
  }
  last_resource_version_ = list.resource_version;
  synced_ = true;
  ++num_lists_;
}

void SharedInformer::ApplyEvent(const WatchEvent& event) {
  absl::MutexLock lock(&mu_);
  if (!event.resource_version.empty()) last_resource_version_ = event.resource_version;
  switch (event.type) {
    case WatchEventType::kAdded:
    case WatchEventType::kModified: {
      ObjectPtr old = indexer_.Upsert(event.object);
      if (old == nullptr) {
        EnqueueLocked({Notification::kAdd, nullptr, event.object});
      } else {
        EnqueueLocked({Notification::kUpdate, std::move(old), event.object});
      }
      break;
    }
    case WatchEventType::kDeleted: {
      ObjectPtr old = indexer_.Delete(KeyOf(*event.object));
      if (old != nullptr) EnqueueLocked({Notification::kDelete, nullptr, event.object});
      break;
    }
    default:
      break;
  }
}

void SharedInformer::ReflectorLoop() {
  const std::string& name = options_.name;
  absl::Duration backoff = options_.initial_backoff;
  bool need_list = true;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopped_) return;
    }
    if (need_list) {
      absl::StatusOr<ObjectList> list = lister_watcher_->List(ListOptions{});
      if (!list.ok()) {
        spdlog::warn("informer {}: list failed: {}", name, list.status().ToString());
        if (Backoff(&backoff)) return;
        continue;
      }
      ApplyList(*std::move(list));
      need_list = false;
      backoff = options_.initial_backoff;
    }

    WatchOptions watch_options;
    watch_options.resource_version = LastSyncResourceVersion();
    watch_options.allow_bookmarks = true;
    absl::StatusOr<std::unique_ptr<WatchStream>> watch = lister_watcher_->Watch(watch_options);
    if (!watch.ok()) {
      if (api::IsGone(watch.status())) {
        spdlog::info("informer {}: watch from {} too old, relisting", name,
                     watch_options.resource_version);
        need_list = true;
        continue;
      }
      spdlog::warn("informer {}: watch failed: {}", name, watch.status().ToString());
      if (Backoff(&backoff)) return;
      continue;
    }
    std::unique_ptr<WatchStream> stream = *std::move(watch);
    {
      absl::MutexLock lock(&mu_);
      current_watch_ = stream.get();
      if (stopped_) stream->Cancel();
    }
    bool got_event = false;
    absl::Status error_event;
    WatchEvent event;
    while (stream->Next(&event)) {
      if (event.type == WatchEventType::kError) {
        error_event = event.error;
        stream->Cancel();
        break;
      }
      got_event = true;
      backoff = options_.initial_backoff;
      ApplyEvent(event);
    }
    if (!error_event.ok()) {
      // Drain so the stream finishes before it is destroyed.
      while (stream->Next(&event)) {
      }
    }
    absl::Status status = error_event.ok() ? stream->status() : error_event;
    {
      absl::MutexLock lock(&mu_);
      current_watch_ = nullptr;
      if (stopped_) return;
    }
    stream.reset();
    if (api::IsGone(status)) {
      spdlog::info("informer {}: resourceVersion {} too old ({}), relisting", name,
                   LastSyncResourceVersion(), std::string(status.message()));
      need_list = true;
      continue;
    }
    if (status.ok() && got_event) continue;  // closed by the server: resume at once
    if (!status.ok()) {
      spdlog::warn("informer {}: watch ended: {}; resuming from {}", name, status.ToString(),
                   LastSyncResourceVersion());
    }
    if (Backoff(&backoff)) return;
  }
}

void SharedInformer::DispatchLoop() {
  absl::MutexLock lock(&mu_);
  while (true) {
    auto ready = [this]()
                     ABSL_NO_THREAD_SAFETY_ANALYSIS { return stopped_ || !notifications_.empty(); };
    clock_->AwaitWithDeadline(&mu_, absl::Condition(&ready), next_resync_);
    if (stopped_) return;
    if (notifications_.empty()) {
      // Resync due: re-deliver every cached object as an update.
      if (clock_->Now() >= next_resync_) {
        if (synced_) {
          for (ObjectPtr& object : indexer_.List()) {
            EnqueueLocked({Notification::kUpdate, object, object});
          }
        }
        next_resync_ = clock_->Now() + options_.resync_period;
      }
      continue;
    }
    Notification n = std::move(notifications_.front());
    notifications_.pop_front();
    std::vector<std::shared_ptr<const ResourceEventHandler>> targets;
    if (n.only_handler >= 0) {
      targets.push_back(handlers_[n.only_handler]);
    } else {
      targets.assign(handlers_.begin(), handlers_.begin() + n.handler_limit);
    }
    mu_.Unlock();
    for (const auto& h : targets) {
      switch (n.kind) {
        case Notification::kAdd:
          if (h->on_add) h->on_add(n.object);
          break;
        case Notification::kUpdate:
          if (h->on_update) h->on_update(n.old_object, n.object);
          break;
        case Notification::kDelete:
          if (h->on_delete) h->on_delete(n.object, n.final_state_unknown);
          break;
      }
    }
    mu_.Lock();
  }
}

}  // namespace minik8s::client
