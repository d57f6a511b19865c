#include "apiserver/namespace_finalizer.h"

#include "api/errors.h"
#include "apiserver/object_meta.h"
#include "common/status_macros.h"
#include "k8s/core/v1/core.pb.h"
#include "spdlog/spdlog.h"

namespace minik8s::apiserver {

NamespaceFinalizer::NamespaceFinalizer(Handler* handler, Options options)
    : handler_(handler), options_(options) {}

NamespaceFinalizer::~NamespaceFinalizer() { Stop(); }

void NamespaceFinalizer::Start() {
  absl::StatusOr<const Strategy*> ns_strategy = handler_->registry().Find("namespaces");
  for (const auto& strategy : handler_->registry().strategies()) {
    const api::KindInfo& kind = strategy->kind();
    WatchCache* cache = handler_->CacheFor(&kind);
    if (cache == nullptr) continue;
    const bool is_namespace = ns_strategy.ok() && *ns_strategy == strategy.get();
    if (!is_namespace && !strategy->namespaced()) continue;
    const int id = cache->AddChangeListener(
        is_namespace ? WatchCache::ChangeListener(
                           [this](EventType type, const CachedObject* o) { OnNamespace(type, o); })
                     : WatchCache::ChangeListener(
                           [this](EventType type, const CachedObject* o) { OnObject(type, o); }));
    listeners_.emplace_back(cache, id);
  }
  {
    absl::MutexLock lock(&mu_);
    resync_ = true;  // namespaces that were terminating before we started
  }
  thread_ = std::thread([this] { Run(); });
}

void NamespaceFinalizer::Stop() {
  for (const auto& [cache, id] : listeners_) cache->RemoveChangeListener(id);
  listeners_.clear();
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void NamespaceFinalizer::OnNamespace(EventType type, const CachedObject* object) {
  absl::MutexLock lock(&mu_);
  if (object == nullptr) {
    resync_ = true;
    return;
  }
  const std::string& name = Meta(*object->object).name();
  if (type == EventType::kDeleted) {
    terminating_.erase(name);
    dirty_.erase(name);
  } else if (Meta(*object->object).has_deletion_timestamp()) {
    terminating_.insert(name);
    dirty_.insert(name);
  }
}

void NamespaceFinalizer::OnObject(EventType type, const CachedObject* object) {
  absl::MutexLock lock(&mu_);
  if (object == nullptr) {
    resync_ = true;
    return;
  }
  if (terminating_.contains(object->ns)) dirty_.insert(object->ns);
}

void NamespaceFinalizer::Run() {
  absl::Time next_resync = absl::Now() + options_.resync_interval;
  while (true) {
    bool resync = false;
    absl::flat_hash_set<std::string> dirty;
    {
      absl::MutexLock lock(&mu_);
      auto work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || resync_ || !dirty_.empty();
      };
      mu_.AwaitWithDeadline(absl::Condition(&work), next_resync);
      if (stopping_) return;
      resync = std::exchange(resync_, false) || absl::Now() >= next_resync;
      dirty.swap(dirty_);
    }
    bool failed = false;
    if (resync) {
      next_resync = absl::Now() + options_.resync_interval;
      failed = !RunOnce();
    } else {
      for (const std::string& ns : dirty) {
        absl::StatusOr<bool> done = Finalize(ns);
        if (!done.ok()) {
          spdlog::warn("namespace finalizer: {}: {}", ns, std::string(done.status().message()));
          failed = true;
        } else if (*done) {
          spdlog::info("namespace finalizer: namespace {} deleted", ns);
        }
      }
    }
    if (failed) {
      // Try everything again soon (the store may be back by then).
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.retry_interval)) return;
      resync_ = true;
    }
  }
}

bool NamespaceFinalizer::RunOnce() {
  absl::StatusOr<const Strategy*> ns_strategy = handler_->registry().Find("namespaces");
  if (!ns_strategy.ok()) return false;
  const api::KindInfo& ns_kind = (*ns_strategy)->kind();
  ObjectStore* store = handler_->store();
  absl::StatusOr<ListResult> namespaces = store->List(
      ns_kind, store->ResourcePrefix(ns_kind, ""), "", 0, 0,
      [](const google::protobuf::Message& m) { return Meta(m).has_deletion_timestamp(); });
  if (!namespaces.ok()) return false;
  {
    absl::MutexLock lock(&mu_);
    for (const MessagePtr& ns : namespaces->items) terminating_.insert(Meta(*ns).name());
  }
  bool ok = true;
  for (const MessagePtr& ns : namespaces->items) {
    absl::StatusOr<bool> done = Finalize(Meta(*ns).name());
    if (!done.ok()) {
      spdlog::warn("namespace finalizer: {}: {}", Meta(*ns).name(),
                   std::string(done.status().message()));
      ok = false;
    } else if (*done) {
      spdlog::info("namespace finalizer: namespace {} deleted", Meta(*ns).name());
    }
  }
  return ok;
}

absl::StatusOr<bool> NamespaceFinalizer::Finalize(const std::string& ns) {
  ObjectStore* store = handler_->store();
  bool empty = true;
  for (const auto& strategy : handler_->registry().strategies()) {
    if (!strategy->namespaced()) continue;
    const api::KindInfo& kind = strategy->kind();
    ASSIGN_OR_RETURN(ListResult objects,
                     store->List(kind, store->ResourcePrefix(kind, ns), "", 0, 0, nullptr));
    for (const MessagePtr& object : objects.items) {
      empty = false;
      if (Meta(*object).has_deletion_timestamp()) continue;  // already going
      absl::StatusOr<Handler::DeleteResult> deleted =
          handler_->DeleteObject(*strategy, ns, Meta(*object).name(), meta::v1::DeleteOptions());
      if (!deleted.ok() && deleted.status().code() != absl::StatusCode::kNotFound) {
        return deleted.status();
      }
    }
  }
  if (!empty) return false;
  const api::KindInfo& ns_kind = (*handler_->registry().Find("namespaces"))->kind();
  // Only a namespace that is still terminating (it may have been finalized
  // by a pass before, or re-created since).
  absl::StatusOr<MessagePtr> removed =
      store->Delete(ns_kind, store->Key(ns_kind, "", ns), ns,
                    [&](const google::protobuf::Message& current) -> absl::Status {
                      if (!Meta(current).has_deletion_timestamp()) {
                        return absl::FailedPreconditionError("the namespace is not terminating");
                      }
                      return absl::OkStatus();
                    });
  if (!removed.ok() && removed.status().code() != absl::StatusCode::kNotFound &&
      removed.status().code() != absl::StatusCode::kFailedPrecondition) {
    return removed.status();
  }
  return removed.ok();
}

}  // namespace minik8s::apiserver
