#include "controllers/garbagecollector/garbage_collector.h"

#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/errors.h"
#include "client/resource.h"
#include "spdlog/spdlog.h"

namespace minik8s::controllers {
namespace {

using minik8s::meta::v1::ObjectMeta;
using minik8s::meta::v1::OwnerReference;

constexpr char kDependent[] = "dependent";
constexpr char kOwner[] = "owner";

bool HasFinalizer(const ObjectMeta& meta, const std::string& f) {
  for (const std::string& x : meta.finalizers()) {
    if (x == f) return true;
  }
  return false;
}

void RemoveFinalizer(ObjectMeta* meta, const std::string& f) {
  auto* list = meta->mutable_finalizers();
  for (int i = list->size() - 1; i >= 0; --i) {
    if (list->Get(i) == f) list->DeleteSubrange(i, 1);
  }
}

client::WorkQueueOptions QueueOptions() {
  client::WorkQueueOptions o;
  o.name = "garbagecollector";
  return o;
}

}  // namespace

struct GarbageCollector::KindOps {
  std::string kind;      // "Pod"
  std::string resource;  // "pods"
  const client::Indexer* cache;
  const google::protobuf::Message* prototype;
};

GarbageCollector::GarbageCollector(const client::Clientset* clientset,
                                   client::Informer<minik8s::apps::v1::Deployment>* deployments,
                                   client::Informer<minik8s::apps::v1::ReplicaSet>* replicasets,
                                   client::Informer<minik8s::core::v1::Pod>* pods)
    : cs_(clientset), queue_(QueueOptions()) {
  AddKind(deployments, "Deployment", "deployments");
  AddKind(replicasets, "ReplicaSet", "replicasets");
  AddKind(pods, "Pod", "pods");
}

void GarbageCollector::AddCachedKind(const std::string& kind, const std::string& resource,
                                     const client::Indexer* cache,
                                     const google::protobuf::Message* prototype) {
  kinds_.push_back(std::make_unique<KindOps>(KindOps{kind, resource, cache, prototype}));
}

GarbageCollector::~GarbageCollector() { Stop(); }

void GarbageCollector::Run(int workers) {
  workers_.Start(
      &queue_, workers, [this](const std::string& item) { return Sync(item); }, "garbagecollector");
}

void GarbageCollector::Stop() {
  queue_.ShutDown();
  workers_.Join();
}

const GarbageCollector::KindOps* GarbageCollector::OpsFor(const std::string& kind) const {
  for (const auto& k : kinds_) {
    if (k->kind == kind) return k.get();
  }
  return nullptr;
}

void GarbageCollector::OnObject(const std::string& kind, const google::protobuf::Message& object,
                                bool deleted) {
  const ObjectMeta& meta = client::MetaOf(object);
  const std::string key = client::KeyOf(object);
  auto enqueue_owners = [&] {
    // A dependent going away may unblock an owner deleted in foreground.
    for (const OwnerReference& ref : meta.owner_references()) {
      if (OpsFor(ref.kind()) != nullptr) {
        queue_.Add(absl::StrCat(kOwner, "|", ref.kind(), "|",
                                client::MakeKey(meta.namespace_(), ref.name())));
      }
    }
  };
  if (deleted) {
    // Its dependents may have lost their last owner.
    for (const auto& [dep_kind, dep] : Dependents(meta.namespace_(), meta.uid())) {
      queue_.Add(absl::StrCat(kDependent, "|", dep_kind, "|", client::KeyOf(*dep)));
    }
    enqueue_owners();
    return;
  }
  if (meta.owner_references_size() > 0) {
    queue_.Add(absl::StrCat(kDependent, "|", kind, "|", key));
  }
  if (meta.has_deletion_timestamp() &&
      (HasFinalizer(meta, kForegroundDeletionFinalizer) || HasFinalizer(meta, kOrphanFinalizer))) {
    queue_.Add(absl::StrCat(kOwner, "|", kind, "|", key));
  }
  if (meta.has_deletion_timestamp()) enqueue_owners();
}

std::vector<std::pair<std::string, client::ObjectPtr>> GarbageCollector::Dependents(
    const std::string& ns, const std::string& uid) const {
  std::vector<std::pair<std::string, client::ObjectPtr>> out;
  for (const auto& k : kinds_) {
    for (client::ObjectPtr& o : k->cache->ByIndex(client::kIndexNamespace, ns)) {
      for (const OwnerReference& ref : client::MetaOf(*o).owner_references()) {
        if (ref.uid() == uid) {
          out.emplace_back(k->kind, std::move(o));
          break;
        }
      }
    }
  }
  return out;
}

absl::StatusOr<bool> GarbageCollector::OwnerExists(const std::string& ns,
                                                   const OwnerReference& ref) const {
  const KindOps* ops = OpsFor(ref.kind());
  if (ops == nullptr) return true;  // a kind we cannot check: never assume it gone
  if (client::ObjectPtr cached = ops->cache->Get(ns, ref.name())) {
    if (client::MetaOf(*cached).uid() == ref.uid()) return true;
  }
  // Not in the cache (or another uid): the cache may lag; ask the apiserver.
  std::unique_ptr<google::protobuf::Message> fresh(ops->prototype->New());
  absl::Status s = cs_->api()->Get(ops->resource, ns, ref.name(), fresh.get());
  if (api::IsNotFound(s)) return false;
  if (!s.ok()) return s;
  return client::MetaOf(*fresh).uid() == ref.uid();
}

absl::Status GarbageCollector::SyncDependent(const KindOps& ops, const std::string& ns,
                                             const std::string& name) {
  client::ObjectPtr object = ops.cache->Get(ns, name);
  if (object == nullptr) return absl::OkStatus();
  const ObjectMeta& meta = client::MetaOf(*object);
  if (meta.owner_references_size() == 0) return absl::OkStatus();
  bool any_alive = false;
  bool foreground_owner = false;
  for (const OwnerReference& ref : meta.owner_references()) {
    auto exists = OwnerExists(ns, ref);
    if (!exists.ok()) return exists.status();
    if (!*exists) continue;
    any_alive = true;
    const KindOps* owner_ops = OpsFor(ref.kind());
    client::ObjectPtr owner = owner_ops ? owner_ops->cache->Get(ns, ref.name()) : nullptr;
    if (owner != nullptr && client::MetaOf(*owner).has_deletion_timestamp() &&
        HasFinalizer(client::MetaOf(*owner), kForegroundDeletionFinalizer)) {
      foreground_owner = true;
    }
  }
  if (any_alive && !foreground_owner) return absl::OkStatus();
  if (meta.has_deletion_timestamp()) return absl::OkStatus();  // already on its way
  client::DeleteOptions options;
  options.propagation_policy = foreground_owner ? "Foreground" : "Background";
  options.precondition_uid = meta.uid();
  spdlog::info("garbagecollector: deleting {} {}/{} ({})", ops.kind, ns, name,
               foreground_owner ? "owner deleted in foreground" : "all owners gone");
  absl::Status s = cs_->api()->Delete(ops.resource, ns, name, options);
  if (api::IsNotFound(s) || api::IsConflict(s)) return absl::OkStatus();
  return s;
}

absl::Status GarbageCollector::SyncOwner(const KindOps& ops, const std::string& ns,
                                         const std::string& name) {
  client::ObjectPtr object = ops.cache->Get(ns, name);
  if (object == nullptr) return absl::OkStatus();
  const ObjectMeta& meta = client::MetaOf(*object);
  if (!meta.has_deletion_timestamp()) return absl::OkStatus();
  auto dependents = Dependents(ns, meta.uid());
  const char* finalizer = nullptr;
  if (HasFinalizer(meta, kOrphanFinalizer)) {
    // Orphan: strip our references, then let the owner go.
    for (const auto& [kind, dep] : dependents) {
      const KindOps* dep_ops = OpsFor(kind);
      std::unique_ptr<google::protobuf::Message> copy(dep->New());
      copy->CopyFrom(*dep);
      auto* refs = client::MutableMetaOf(copy.get())->mutable_owner_references();
      for (int i = refs->size() - 1; i >= 0; --i) {
        if (refs->Get(i).uid() == meta.uid()) refs->DeleteSubrange(i, 1);
      }
      std::unique_ptr<google::protobuf::Message> out(dep->New());
      absl::Status s = cs_->api()->Update(dep_ops->resource, ns, client::MetaOf(*dep).name(), "",
                                          *copy, out.get());
      if (!s.ok() && !api::IsNotFound(s)) return s;
    }
    finalizer = kOrphanFinalizer;
  } else if (HasFinalizer(meta, kForegroundDeletionFinalizer)) {
    // Foreground: delete the dependents; wait for the blocking ones.
    bool blocked = false;
    for (const auto& [kind, dep] : dependents) {
      const ObjectMeta& dep_meta = client::MetaOf(*dep);
      for (const OwnerReference& ref : dep_meta.owner_references()) {
        if (ref.uid() == meta.uid() && ref.has_block_owner_deletion() &&
            ref.block_owner_deletion()) {
          blocked = true;
        }
      }
      queue_.Add(absl::StrCat(kDependent, "|", kind, "|", client::KeyOf(*dep)));
    }
    if (blocked) return absl::OkStatus();  // dependents' deletions re-enqueue us
    finalizer = kForegroundDeletionFinalizer;
  } else {
    return absl::OkStatus();
  }
  // Remove the finalizer from the current object (CAS; a conflict retries).
  std::unique_ptr<google::protobuf::Message> current(ops.prototype->New());
  absl::Status s = cs_->api()->Get(ops.resource, ns, name, current.get());
  if (api::IsNotFound(s)) return absl::OkStatus();
  if (!s.ok()) return s;
  RemoveFinalizer(client::MutableMetaOf(current.get()), finalizer);
  std::unique_ptr<google::protobuf::Message> out(ops.prototype->New());
  s = cs_->api()->Update(ops.resource, ns, name, "", *current, out.get());
  if (api::IsNotFound(s)) return absl::OkStatus();
  return s;
}

absl::Status GarbageCollector::Sync(const std::string& item) {
  std::vector<std::string> parts = absl::StrSplit(item, absl::MaxSplits('|', 2));
  if (parts.size() != 3) return absl::OkStatus();
  const KindOps* ops = OpsFor(parts[1]);
  if (ops == nullptr) return absl::OkStatus();
  std::string ns, name;
  client::SplitKey(parts[2], &ns, &name);
  if (parts[0] == kDependent) return SyncDependent(*ops, ns, name);
  return SyncOwner(*ops, ns, name);
}

}  // namespace minik8s::controllers
