#include "apiserver/namespace_finalizer.h"

#include "apiserver/errors.h"
#include "apiserver/object_meta.h"
#include "common/status_macros.h"
#include "k8s/core/v1/core.pb.h"
#include "spdlog/spdlog.h"

namespace minik8s::apiserver {

NamespaceFinalizer::NamespaceFinalizer(Handler* handler, absl::Duration interval)
    : handler_(handler), interval_(interval) {}

NamespaceFinalizer::~NamespaceFinalizer() { Stop(); }

void NamespaceFinalizer::Start() {
  thread_ = std::thread([this] {
    while (true) {
      {
        absl::MutexLock lock(&mu_);
        if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), interval_)) return;
      }
      RunOnce();
    }
  });
}

void NamespaceFinalizer::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void NamespaceFinalizer::RunOnce() {
  absl::StatusOr<const Strategy*> ns_strategy = handler_->registry().Find("namespaces");
  if (!ns_strategy.ok()) return;
  const api::KindInfo& ns_kind = (*ns_strategy)->kind();
  ObjectStore* store = handler_->store();
  absl::StatusOr<ListResult> namespaces = store->List(
      ns_kind, store->ResourcePrefix(ns_kind, ""), "", 0, 0,
      [](const google::protobuf::Message& m) { return Meta(m).has_deletion_timestamp(); });
  if (!namespaces.ok()) return;
  for (const MessagePtr& ns : namespaces->items) {
    absl::StatusOr<bool> done = Finalize(Meta(*ns).name());
    if (!done.ok()) {
      spdlog::warn("namespace finalizer: {}: {}", Meta(*ns).name(), std::string(done.status().message()));
    } else if (*done) {
      spdlog::info("namespace finalizer: namespace {} deleted", Meta(*ns).name());
    }
  }
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
  absl::StatusOr<MessagePtr> removed =
      store->Delete(ns_kind, store->Key(ns_kind, "", ns), ns, nullptr);
  if (!removed.ok() && removed.status().code() != absl::StatusCode::kNotFound) {
    return removed.status();
  }
  return true;
}

}  // namespace minik8s::apiserver
