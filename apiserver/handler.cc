#include "apiserver/handler.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "api/errors.h"
#include "api/time.h"
#include "apiserver/authn/reviews.h"
#include "apiserver/authn/self_subject_review.h"
#include "apiserver/authz/access_review.h"
#include "apiserver/continue_token.h"
#include "apiserver/identity.h"
#include "apiserver/merge_patch.h"
#include "apiserver/object_meta.h"
#include "apiserver/registry/admission.h"
#include "common/status_macros.h"
#include "common/version.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::apiserver {
namespace {

constexpr char kForegroundFinalizer[] = "foregroundDeletion";
constexpr char kOrphanFinalizer[] = "orphan";
constexpr int kGenerateNameAttempts = 5;

bool HasFinalizer(const meta::v1::ObjectMeta& meta, absl::string_view finalizer) {
  return std::find(meta.finalizers().begin(), meta.finalizers().end(), finalizer) !=
         meta.finalizers().end();
}

void AddFinalizer(meta::v1::ObjectMeta* meta, const std::string& finalizer) {
  if (!HasFinalizer(*meta, finalizer)) meta->add_finalizers(finalizer);
}

void RemoveFinalizer(meta::v1::ObjectMeta* meta, absl::string_view finalizer) {
  auto* list = meta->mutable_finalizers();
  list->erase(std::remove(list->begin(), list->end(), finalizer), list->end());
}

// Kubernetes removes an object being deleted once nothing holds it: no
// finalizers left and no grace period pending.
bool ReadyToRemove(const meta::v1::ObjectMeta& meta) {
  return meta.has_deletion_timestamp() && meta.finalizers().empty() &&
         (!meta.has_deletion_grace_period_seconds() || meta.deletion_grace_period_seconds() == 0);
}

absl::StatusOr<int64_t> ParseResourceVersion(const std::string& rv) {
  int64_t value = 0;
  if (!absl::SimpleAtoi(rv, &value) || value < 0) {
    return api::NewBadRequest(absl::StrCat("invalid resource version: \"", rv, "\""));
  }
  return value;
}

}  // namespace

Handler::Handler(ObjectStore* store, const Registry* registry, Options options)
    : store_(store), registry_(registry), options_(options) {}

void Handler::AddCache(const api::KindInfo* kind, WatchCache* cache) { caches_[kind] = cache; }

WatchCache* Handler::CacheFor(const api::KindInfo* kind) const {
  auto it = caches_.find(kind);
  return it == caches_.end() ? nullptr : it->second;
}

int64_t Handler::TtlFor(const Strategy& strategy) const {
  return strategy.traits().ttl ? options_.event_ttl_seconds : 0;
}

absl::StatusOr<std::string> Handler::RequestNamespace(const Strategy& strategy,
                                                      const std::string& ns, bool for_list) const {
  if (!strategy.namespaced()) return std::string();
  if (ns.empty() && !for_list) {
    return api::NewBadRequest(
        absl::StrCat("a namespace is required for ", strategy.kind().GroupResource()));
  }
  return ns;
}

absl::StatusOr<MessagePtr> Handler::ParseObject(const Strategy& strategy,
                                                const std::string& bytes) const {
  MessagePtr object = strategy.kind().New();
  if (!object->ParseFromString(bytes)) {
    return api::NewBadRequest(absl::StrCat("the object is not a valid serialized ",
                                           strategy.kind().descriptor->full_name()));
  }
  registry_->scheme().SetTypeMeta(object.get()).IgnoreError();
  return object;
}

absl::Status Handler::CheckNamespace(const Strategy& strategy, const std::string& ns) {
  if (!strategy.namespaced()) return absl::OkStatus();
  absl::StatusOr<const Strategy*> ns_strategy = registry_->Find("namespaces");
  if (!ns_strategy.ok()) return ns_strategy.status();
  const api::KindInfo& ns_kind = (*ns_strategy)->kind();
  // The namespace as cached (shared, not copied) or as read from the store.
  std::shared_ptr<const google::protobuf::Message> found;
  if (WatchCache* cache = CacheFor(&ns_kind); cache != nullptr && cache->ready()) {
    bool cache_behind = false;
    {
      absl::MutexLock lock(&terminating_mu_);
      if (auto it = terminating_.find(ns); it != terminating_.end()) {
        cache_behind = cache->revision() < it->second;
        if (!cache_behind) terminating_.erase(it);
      }
    }
    if (!cache_behind) {
      if (CachedObjectPtr cached = cache->Get(ns); cached != nullptr) found = cached->object;
    }
  }
  if (found == nullptr) {
    // Not (yet) in the cache: ask the store, which is authoritative.
    ASSIGN_OR_RETURN(MessagePtr stored, store_->Get(ns_kind, store_->Key(ns_kind, "", ns), ns));
    found = std::move(stored);
  }
  const auto& namespace_object = static_cast<const core::v1::Namespace&>(*found);
  if (namespace_object.metadata().has_deletion_timestamp() ||
      namespace_object.status().phase() == "Terminating") {
    return api::NewForbidden(strategy.kind(), "",
                             absl::StrCat("unable to create new content in namespace ", ns,
                                          " because it is being terminated"));
  }
  return absl::OkStatus();
}

absl::Status Handler::AdmitWrite(const authn::UserInfo* user, admission::Operation operation,
                                 const Strategy& strategy, const std::string& ns,
                                 const std::string& name, const std::string& subresource,
                                 const google::protobuf::Message* object,
                                 const google::protobuf::Message* old) const {
  if (user == nullptr || options_.plugins == nullptr) return absl::OkStatus();
  return options_.plugins->Admit({.user = user,
                                  .operation = operation,
                                  .kind = &strategy.kind(),
                                  .namespace_ = ns,
                                  .name = name,
                                  .subresource = subresource,
                                  .object = object,
                                  .old_object = old});
}

// ---------------------------------------------------------------- Create

absl::Status Handler::Create(const apiv1::CreateRequest& request, apiv1::ObjectResponse* response,
                             const authn::UserInfo* user) {
  absl::Notification finished;
  absl::Status result;
  CreateAsync(
      request, response,
      [&](absl::Status status) {
        result = std::move(status);
        finished.Notify();
      },
      user);
  finished.WaitForNotification();
  return result;
}

bool Handler::CreateRunsWithoutWaiting(const apiv1::CreateRequest& request) const {
  absl::StatusOr<const Strategy*> strategy = registry_->Find(request.resource());
  if (!strategy.ok() || (*strategy)->traits().ttl) return false;
  if (!(*strategy)->namespaced()) return true;
  const std::string& ns = request.namespace_();
  if (ns.empty()) return false;
  if (!AdmissionRunsWithoutWaiting((*strategy)->kind(), ns, options_.admission)) return false;
  absl::StatusOr<const Strategy*> ns_strategy = registry_->Find("namespaces");
  if (!ns_strategy.ok()) return false;
  WatchCache* cache = CacheFor(&(*ns_strategy)->kind());
  if (cache == nullptr || !cache->ready()) return false;
  {
    absl::MutexLock lock(&terminating_mu_);
    if (terminating_.contains(ns)) return false;
  }
  CachedObjectPtr cached = cache->Get(ns);
  if (cached == nullptr) return false;
  const auto& namespace_object = static_cast<const core::v1::Namespace&>(*cached->object);
  return !namespace_object.metadata().has_deletion_timestamp() &&
         namespace_object.status().phase() != "Terminating";
}

// The object a create stores, and what it needs to retry with a fresh
// generated name.
struct Handler::PendingCreate {
  const Strategy* strategy = nullptr;
  MessagePtr object;
  bool generated = false;
  int attempt = 0;
  apiv1::ObjectResponse* response = nullptr;
  std::function<void(absl::Status)> done;
  // What Strategy::Allocate took, committed or given back with the write.
  std::unique_ptr<Strategy::Allocation> allocation;
};

void Handler::CreateAsync(const apiv1::CreateRequest& request, apiv1::ObjectResponse* response,
                          std::function<void(absl::Status)> done, const authn::UserInfo* user) {
  auto pending = std::make_shared<PendingCreate>();
  pending->response = response;
  pending->done = std::move(done);
  absl::Status prepared = PrepareCreate(request, pending.get(), user);
  if (!prepared.ok() || pending->object == nullptr) {
    pending->done(prepared);
    return;
  }
  StoreCreate(std::move(pending));
}

void Handler::StoreCreate(std::shared_ptr<PendingCreate> pending) {
  const api::KindInfo& kind = pending->strategy->kind();
  const meta::v1::ObjectMeta& meta = Meta(*pending->object);
  PendingCreate* raw = pending.get();
  store_->CreateAsync(
      kind, store_->Key(kind, meta.namespace_(), meta.name()), *raw->object, TtlFor(*raw->strategy),
      [this, pending = std::move(pending)](absl::StatusOr<int64_t> revision) {
        meta::v1::ObjectMeta* meta = MutableMeta(pending->object.get());
        if (revision.ok()) {
          if (pending->allocation != nullptr) pending->allocation->Commit();
          meta->set_resource_version(absl::StrCat(*revision));
          pending->object->SerializeToString(pending->response->mutable_object());
          pending->done(absl::OkStatus());
          return;
        }
        if (!pending->generated || revision.status().code() != absl::StatusCode::kAlreadyExists ||
            ++pending->attempt >= kGenerateNameAttempts) {
          if (pending->allocation != nullptr) pending->allocation->Abort();
          pending->done(revision.status());
          return;
        }
        // The generated name was taken: try another.
        meta->set_name(GenerateName(meta->generate_name()));
        StoreCreate(std::move(pending));
      });
}

// Everything a create does before the store: the object to store in
// `pending` (left null for a dry run, whose answer is then in the response).
absl::Status Handler::PrepareCreate(const apiv1::CreateRequest& request, PendingCreate* pending,
                                    const authn::UserInfo* user) {
  apiv1::ObjectResponse* response = pending->response;
  ASSIGN_OR_RETURN(const Strategy* strategy, registry_->Find(request.resource()));
  const api::KindInfo& kind = strategy->kind();
  ASSIGN_OR_RETURN(MessagePtr object, ParseObject(*strategy, request.object()));
  meta::v1::ObjectMeta* meta = MutableMeta(object.get());
  if (strategy->namespaced()) {
    std::string ns = request.namespace_();
    if (ns.empty()) ns = meta->namespace_();
    if (ns.empty()) {
      return api::NewBadRequest(absl::StrCat("a namespace is required for ", kind.GroupResource()));
    }
    if (!meta->namespace_().empty() && meta->namespace_() != ns) {
      return api::NewBadRequest(
          "the namespace of the provided object does not match the namespace sent on the "
          "request");
    }
    meta->set_namespace_(ns);
  } else {
    meta->clear_namespace_();
  }
  if (meta->name().empty() && meta->generate_name().empty()) {
    meta::v1::StatusCause cause;
    cause.set_reason("FieldValueRequired");
    cause.set_message("Required value: name or generateName is required");
    cause.set_field("metadata.name");
    return api::NewInvalid(kind, "",
                           absl::StrCat(kind.kind, kind.group.empty() ? "" : ".", kind.group,
                                        " \"\" is invalid: metadata.name: Required value: name or "
                                        "generateName is required"),
                           {cause});
  }

  // Server-set fields.
  meta->clear_resource_version();
  meta->clear_deletion_timestamp();
  meta->clear_deletion_grace_period_seconds();
  meta->set_uid(NewUuidV4());
  *meta->mutable_creation_timestamp() = api::NowTime();
  strategy->PrepareForCreate(object.get());
  strategy->PrepareForCreateBy(object.get(), user);
  ApplyDefaults(object.get());
  RETURN_IF_ERROR(AdmitWrite(user, admission::Operation::kCreate, *strategy, meta->namespace_(),
                             meta->name(), "", object.get(), nullptr));
  RETURN_IF_ERROR(strategy->Admit(object.get(), nullptr, options_.admission));
  const bool generated = meta->name().empty();
  if (generated) meta->set_name(GenerateName(meta->generate_name()));
  RETURN_IF_ERROR(ValidateForStorage(kind, *object, nullptr, options_.admission));
  {
    // Refused now if it, or it with the status it will get, cannot be stored.
    const Strategy::StatusReserve reserve = strategy->ReserveForStatus(*object);
    RETURN_IF_ERROR(store_->CheckSize(kind, store_->Key(kind, meta->namespace_(), meta->name()),
                                      *object, reserve.bytes, reserve.why));
  }
  RETURN_IF_ERROR(CheckNamespace(*strategy, meta->namespace_()));
  ASSIGN_OR_RETURN(std::unique_ptr<Strategy::Allocation> allocation,
                   strategy->Allocate(object.get(), nullptr, options_.pools));
  if (request.dry_run()) {
    if (allocation != nullptr) allocation->Abort();
    response->set_object(object->SerializeAsString());
    return absl::OkStatus();
  }
  pending->allocation = std::move(allocation);
  pending->strategy = strategy;
  pending->generated = generated;
  pending->object = std::move(object);
  return absl::OkStatus();
}

// ---------------------------------------------------------------- Get

absl::Status Handler::Get(const apiv1::GetRequest& request, apiv1::ObjectResponse* response) {
  ASSIGN_OR_RETURN(const Strategy* strategy, registry_->Find(request.resource()));
  const api::KindInfo& kind = strategy->kind();
  ASSIGN_OR_RETURN(std::string ns, RequestNamespace(*strategy, request.namespace_(), false));
  if (request.name().empty()) return api::NewBadRequest("a name is required");
  ASSIGN_OR_RETURN(MessagePtr object,
                   store_->Get(kind, store_->Key(kind, ns, request.name()), request.name()));
  if (request.subresource().empty() || request.subresource() == "status" ||
      (request.subresource() == "approval" && strategy->traits().approval_subresource)) {
    response->set_object(object->SerializeAsString());
    return absl::OkStatus();
  }
  if (request.subresource() == "scale" && strategy->has_scale()) {
    ASSIGN_OR_RETURN(autoscaling::v1::Scale scale, strategy->ToScale(*object));
    response->set_object(scale.SerializeAsString());
    return absl::OkStatus();
  }
  return api::NewApiError(absl::StatusCode::kNotFound, "NotFound", 404,
                          absl::StrCat("the server could not find the requested resource (",
                                       kind.resource, "/", request.subresource(), ")"),
                          {});
}

// ---------------------------------------------------------------- List

absl::Status Handler::List(const apiv1::ListRequest& request, apiv1::ListResponse* response) {
  ASSIGN_OR_RETURN(const Strategy* strategy, registry_->Find(request.resource()));
  const api::KindInfo& kind = strategy->kind();
  ASSIGN_OR_RETURN(std::string ns, RequestNamespace(*strategy, request.namespace_(), true));
  ASSIGN_OR_RETURN(Filter filter,
                   Filter::Make(kind, ns, request.label_selector(), request.field_selector()));
  if (request.limit() < 0) return api::NewBadRequest("limit must not be negative");
  WatchCache* cache = CacheFor(&kind);

  ContinueToken token;
  const bool continuing = !request.continue_().empty();
  if (continuing) {
    ASSIGN_OR_RETURN(token, DecodeContinueToken(request.continue_()));
  }

  auto finish_page = [&](int64_t revision, bool more, const std::string& last_key,
                         int64_t remaining) {
    response->set_resource_version(absl::StrCat(revision));
    if (more) {
      response->set_continue_(EncodeContinueToken({revision, last_key}));
      if (remaining >= 0) response->set_remaining_item_count(remaining);
    }
  };

  // resourceVersionMatch, as Kubernetes validates it.
  const std::string& match_mode = request.resource_version_match();
  const bool exact = match_mode == "Exact";
  if (!match_mode.empty() && !continuing) {
    if (exact || match_mode == "NotOlderThan") {
      if (request.resource_version().empty()) {
        return api::NewBadRequest(
            "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless "
            "resourceVersion is provided");
      }
      if (exact && request.resource_version() == "0") {
        return api::NewBadRequest(
            "resourceVersionMatch: Forbidden: resourceVersionMatch \"Exact\" is forbidden for "
            "resourceVersion \"0\"");
      }
    } else {
      return api::NewBadRequest(absl::StrCat("resourceVersionMatch: Unsupported value: \"",
                                             match_mode,
                                             "\": supported values: \"Exact\", \"NotOlderThan\""));
    }
  }
  int64_t exact_revision = 0;
  if (exact && !continuing) {
    ASSIGN_OR_RETURN(exact_revision, ParseResourceVersion(request.resource_version()));
    // A version the store has not reached yet: wait for it as for
    // NotOlderThan (Timeout "Too large resource version" otherwise).
    if (cache != nullptr) RETURN_IF_ERROR(cache->WaitUntilFresh(exact_revision));
  }

  // From the cache: "0", a resourceVersion, or a continue at the cache's revision.
  bool use_cache = false;
  if (cache != nullptr && !exact_revision) {
    if (continuing) {
      use_cache = cache->ready() && cache->revision() == token.revision;
    } else if (!request.resource_version().empty()) {
      ASSIGN_OR_RETURN(int64_t rv, ParseResourceVersion(request.resource_version()));
      if (rv > 0) {
        RETURN_IF_ERROR(cache->WaitUntilFresh(rv));
      } else if (!cache->WaitReady(absl::Seconds(3))) {
        return api::NewServiceUnavailable(
            absl::StrCat("the watch cache of ", kind.GroupResource(), " is not ready yet"));
      }
      use_cache = true;
    }
  }
  if (use_cache) {
    // Continue after last_key: start at last_key + "\0".
    std::string start = continuing ? token.last_key + std::string(1, '\0') : "";
    WatchCache::ListResult page = cache->List(filter, start, request.limit());
    if (continuing && page.revision != token.revision) {
      use_cache = false;  // the cache moved on meanwhile: read the store at the token's revision
    } else {
      for (const CachedObjectPtr& item : page.items) response->add_items(item->serialized);
      finish_page(page.revision, page.more, page.last_key, -1);
      return absl::OkStatus();
    }
  }

  // From the store (consistent read, or a continue at an older revision).
  const std::string prefix = store_->ResourcePrefix(kind, ns);
  const std::string kind_prefix = store_->ResourcePrefix(kind, "");
  std::string start_key;
  if (continuing) {
    start_key = kind_prefix + token.last_key + std::string(1, '\0');
    if (start_key < prefix) start_key = prefix;
  }
  std::function<bool(const google::protobuf::Message&)> match;
  if (!filter.Empty()) {
    match = [&filter](const google::protobuf::Message& m) { return filter.Matches(m); };
  }
  absl::StatusOr<ListResult> result =
      store_->List(kind, prefix, start_key, request.limit(),
                   continuing ? token.revision : exact_revision, match);
  if (!result.ok()) {
    if (result.status().code() == absl::StatusCode::kOutOfRange && continuing) {
      return api::NewGone(
          "The provided continue parameter is too old to display a consistent list result. You "
          "can start a new list without the continue parameter.");
    }
    if (result.status().code() == absl::StatusCode::kOutOfRange && exact_revision > 0) {
      return api::NewGone("The resourceVersion for the provided list is too old.");
    }
    return result.status();
  }
  for (const MessagePtr& item : result->items) response->add_items(item->SerializeAsString());
  std::string last_key = result->last_key.size() > kind_prefix.size()
                             ? result->last_key.substr(kind_prefix.size())
                             : "";
  finish_page(result->revision, result->more, last_key, result->remaining);
  return absl::OkStatus();
}

// ---------------------------------------------------------------- Update

absl::StatusOr<MessagePtr> Handler::UpdateObject(const Strategy& strategy, const std::string& ns,
                                                 const std::string& name,
                                                 const std::string& subresource,
                                                 const Produce& produce, bool dry_run,
                                                 const authn::UserInfo* user) {
  const api::KindInfo& kind = strategy.kind();
  if (!subresource.empty() && subresource != "status" && subresource != "approval") {
    return api::NewBadRequest(
        absl::StrCat("unknown subresource \"", subresource, "\" of ", kind.GroupResource()));
  }
  if ((subresource == "status" && !strategy.traits().status_subresource) ||
      (subresource == "approval" && !strategy.traits().approval_subresource)) {
    return api::NewApiError(absl::StatusCode::kNotFound, "NotFound", 404,
                            absl::StrCat("the server could not find the requested resource (",
                                         kind.resource, "/", subresource, ")"),
                            {});
  }
  MessagePtr dry_run_result;
  // What Strategy::Allocate took for the attempt being written; an attempt
  // retried on a conflict gives back the previous one's.
  std::unique_ptr<Strategy::Allocation> allocation;
  auto abort_allocation = [&allocation] {
    if (allocation != nullptr) allocation->Abort();
    allocation.reset();
  };
  absl::StatusOr<UpdateResult> result = store_->GuaranteedUpdate(
      kind, store_->Key(kind, ns, name), name,
      [&](const google::protobuf::Message& current) -> absl::StatusOr<UpdateAction> {
        abort_allocation();
        ASSIGN_OR_RETURN(MessagePtr object, produce(current));
        meta::v1::ObjectMeta* meta = MutableMeta(object.get());
        if (!meta->name().empty() && meta->name() != name) {
          return api::NewBadRequest(absl::StrCat("the name of the object (", meta->name(),
                                                 ") does not match the name on the URL (", name,
                                                 ")"));
        }
        if (!meta->namespace_().empty() && meta->namespace_() != ns) {
          return api::NewBadRequest(
              "the namespace of the provided object does not match the namespace sent on the "
              "request");
        }
        const meta::v1::ObjectMeta& current_meta = Meta(current);
        if (!meta->resource_version().empty() &&
            meta->resource_version() != current_meta.resource_version()) {
          return api::NewStaleConflict(kind, name);
        }
        // As Kubernetes' mutating admission: the object as sent, before the
        // strategy keeps what this write may not change.
        RETURN_IF_ERROR(AdmitWrite(user, admission::Operation::kUpdate, strategy, ns, name,
                                   subresource, object.get(), &current));
        if (subresource == "status") {
          strategy.PrepareForStatusUpdate(object.get(), current);
        } else if (subresource == "approval") {
          strategy.PrepareForApprovalUpdate(object.get(), current);
        } else {
          strategy.PrepareForUpdate(object.get(), current);
        }
        ApplyDefaults(object.get());
        if (subresource.empty()) {
          RETURN_IF_ERROR(strategy.Admit(object.get(), &current, options_.admission));
        }
        RETURN_IF_ERROR(strategy.ValidateUpdate(*object, current, subresource, options_.admission));
        UpdateAction action;
        action.delete_object = ReadyToRemove(Meta(*object));
        if (subresource.empty() && !action.delete_object) {
          ASSIGN_OR_RETURN(allocation, strategy.Allocate(object.get(), &current, options_.pools));
        }
        if (dry_run) {
          dry_run_result = std::move(object);
          return absl::CancelledError("dry run");
        }
        action.object = std::move(object);
        return action;
      },
      TtlFor(strategy));
  if (dry_run || !result.ok()) abort_allocation();
  if (dry_run && dry_run_result != nullptr) return dry_run_result;
  if (!result.ok()) return result.status();
  if (allocation != nullptr) allocation->Commit();
  if (result->deleted) strategy.Release(*result->object, options_.pools);
  return std::move(result->object);
}

absl::StatusOr<MessagePtr> Handler::UpdateScale(
    const Strategy& strategy, const std::string& ns, const std::string& name,
    const std::function<absl::StatusOr<autoscaling::v1::Scale>(const autoscaling::v1::Scale&)>&
        produce,
    bool dry_run, const authn::UserInfo* user) {
  const api::KindInfo& kind = strategy.kind();
  if (!strategy.has_scale()) {
    return api::NewApiError(absl::StatusCode::kNotFound, "NotFound", 404,
                            absl::StrCat("the server could not find the requested resource (",
                                         kind.resource, "/scale)"),
                            {});
  }
  MessagePtr dry_run_result;
  absl::StatusOr<UpdateResult> result = store_->GuaranteedUpdate(
      kind, store_->Key(kind, ns, name), name,
      [&](const google::protobuf::Message& current) -> absl::StatusOr<UpdateAction> {
        ASSIGN_OR_RETURN(autoscaling::v1::Scale current_scale, strategy.ToScale(current));
        ASSIGN_OR_RETURN(autoscaling::v1::Scale scale, produce(current_scale));
        if (!scale.metadata().name().empty() && scale.metadata().name() != name) {
          return api::NewBadRequest(
              absl::StrCat("the name of the object (", scale.metadata().name(),
                           ") does not match the name on the URL (", name, ")"));
        }
        if (!scale.metadata().resource_version().empty() &&
            scale.metadata().resource_version() != Meta(current).resource_version()) {
          return api::NewStaleConflict(kind, name);
        }
        if (scale.spec().replicas() < 0) {
          meta::v1::StatusCause cause;
          cause.set_reason("FieldValueInvalid");
          cause.set_message(absl::StrCat("Invalid value: ", scale.spec().replicas(),
                                         ": must be greater than or equal to 0"));
          cause.set_field("spec.replicas");
          const api::KindInfo* scale_kind =
              registry_->scheme().FindByDescriptor(autoscaling::v1::Scale::descriptor());
          return api::NewInvalid(scale_kind != nullptr ? *scale_kind : kind, name,
                                 absl::StrCat("Scale.autoscaling \"", name,
                                              "\" is invalid: spec.replicas: ", cause.message()),
                                 {cause});
        }
        MessagePtr object = CloneMessage(current);
        RETURN_IF_ERROR(strategy.ApplyScale(scale, object.get()));
        strategy.PrepareForUpdate(object.get(), current);
        RETURN_IF_ERROR(AdmitWrite(user, admission::Operation::kUpdate, strategy, ns, name, "scale",
                                   object.get(), &current));
        RETURN_IF_ERROR(ValidateForStorage(kind, *object, &current, options_.admission));
        if (dry_run) {
          dry_run_result = std::move(object);
          return absl::CancelledError("dry run");
        }
        UpdateAction action;
        action.object = std::move(object);
        return action;
      });
  if (dry_run && dry_run_result != nullptr) return dry_run_result;
  if (!result.ok()) return result.status();
  return std::move(result->object);
}

absl::Status Handler::Update(const apiv1::UpdateRequest& request, apiv1::ObjectResponse* response,
                             const authn::UserInfo* user) {
  ASSIGN_OR_RETURN(const Strategy* strategy, registry_->Find(request.resource()));
  ASSIGN_OR_RETURN(std::string ns, RequestNamespace(*strategy, request.namespace_(), false));
  if (request.name().empty()) return api::NewBadRequest("a name is required");
  if (request.subresource() == "scale") {
    autoscaling::v1::Scale scale;
    if (!scale.ParseFromString(request.object())) {
      return api::NewBadRequest(
          "the object is not a valid serialized minik8s.autoscaling.v1.Scale");
    }
    ASSIGN_OR_RETURN(MessagePtr object, UpdateScale(
                                            *strategy, ns, request.name(),
                                            [&](const autoscaling::v1::Scale&) { return scale; },
                                            request.dry_run(), user));
    ASSIGN_OR_RETURN(autoscaling::v1::Scale out, strategy->ToScale(*object));
    response->set_object(out.SerializeAsString());
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(MessagePtr object, ParseObject(*strategy, request.object()));
  ASSIGN_OR_RETURN(MessagePtr updated,
                   UpdateObject(
                       *strategy, ns, request.name(), request.subresource(),
                       [&](const google::protobuf::Message&) -> absl::StatusOr<MessagePtr> {
                         return CloneMessage(*object);
                       },
                       request.dry_run(), user));
  response->set_object(updated->SerializeAsString());
  return absl::OkStatus();
}

absl::Status Handler::Patch(const apiv1::PatchRequest& request, apiv1::ObjectResponse* response,
                            const authn::UserInfo* user) {
  ASSIGN_OR_RETURN(const Strategy* strategy, registry_->Find(request.resource()));
  ASSIGN_OR_RETURN(std::string ns, RequestNamespace(*strategy, request.namespace_(), false));
  if (request.name().empty()) return api::NewBadRequest("a name is required");
  if (request.subresource() == "scale") {
    ASSIGN_OR_RETURN(
        MessagePtr object,
        UpdateScale(
            *strategy, ns, request.name(),
            [&](const autoscaling::v1::Scale& current) -> absl::StatusOr<autoscaling::v1::Scale> {
              ASSIGN_OR_RETURN(MessagePtr patched,
                               ApplyPatch(current, request.patch_type(), request.patch()));
              return static_cast<const autoscaling::v1::Scale&>(*patched);
            },
            request.dry_run(), user));
    ASSIGN_OR_RETURN(autoscaling::v1::Scale out, strategy->ToScale(*object));
    response->set_object(out.SerializeAsString());
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(MessagePtr updated, UpdateObject(
                                           *strategy, ns, request.name(), request.subresource(),
                                           [&](const google::protobuf::Message& current) {
                                             return ApplyPatch(current, request.patch_type(),
                                                               request.patch());
                                           },
                                           request.dry_run(), user));
  response->set_object(updated->SerializeAsString());
  return absl::OkStatus();
}

// ---------------------------------------------------------------- Delete

absl::StatusOr<Handler::DeleteResult> Handler::DeleteObject(const Strategy& strategy,
                                                            const std::string& ns,
                                                            const std::string& name,
                                                            const meta::v1::DeleteOptions& options,
                                                            const authn::UserInfo* user) {
  const api::KindInfo& kind = strategy.kind();
  std::string policy = options.has_propagation_policy() ? options.propagation_policy() : "";
  if (options.has_orphan_dependents()) {
    if (!policy.empty()) {
      return api::NewBadRequest("orphanDependents and propagationPolicy cannot both be set");
    }
    policy = options.orphan_dependents() ? "Orphan" : "Background";
  }
  if (!policy.empty() && policy != "Orphan" && policy != "Background" && policy != "Foreground") {
    meta::v1::StatusCause cause;
    cause.set_reason("FieldValueNotSupported");
    cause.set_field("propagationPolicy");
    cause.set_message(absl::StrCat("Unsupported value: \"", policy,
                                   "\": supported values: \"Foreground\", \"Background\", "
                                   "\"Orphan\""));
    return api::NewInvalid(
        kind, name,
        absl::StrCat("DeleteOptions \"\" is invalid: propagationPolicy: ", cause.message()),
        {cause});
  }
  if (options.has_grace_period_seconds() && options.grace_period_seconds() < 0) {
    return api::NewBadRequest("gracePeriodSeconds must not be negative");
  }
  const meta::v1::Preconditions& pre = options.preconditions();

  // dryRun=All: everything is checked and decided, nothing is written.
  bool dry_run = false;
  for (const std::string& value : options.dry_run()) {
    if (value != "All") {
      return api::NewBadRequest(
          absl::StrCat("dryRun: Unsupported value: \"", value, "\": supported values: \"All\""));
    }
    dry_run = true;
  }

  DeleteResult out;
  auto decide = [&](const google::protobuf::Message& current) -> absl::StatusOr<UpdateAction> {
    RETURN_IF_ERROR(
        AdmitWrite(user, admission::Operation::kDelete, strategy, ns, name, "", nullptr, &current));
    const meta::v1::ObjectMeta& current_meta = Meta(current);
    if (pre.has_uid() && pre.uid() != current_meta.uid()) {
      return api::NewConflict(kind, name,
                              absl::StrCat("Precondition failed: UID in precondition: ", pre.uid(),
                                           ", UID in object meta: ", current_meta.uid()));
    }
    if (pre.has_resource_version() && pre.resource_version() != current_meta.resource_version()) {
      return api::NewConflict(
          kind, name,
          absl::StrCat(
              "Precondition failed: ResourceVersion in precondition: ", pre.resource_version(),
              ", ResourceVersion in object meta: ", current_meta.resource_version()));
    }
    MessagePtr object = CloneMessage(current);
    meta::v1::ObjectMeta* meta = MutableMeta(object.get());
    UpdateAction action;
    if (strategy.MarkForDeletion(object.get())) {
      // A state change (namespaces: Terminating); something else removes
      // the object later.
      action.object = std::move(object);
      return action;
    }
    if (policy == "Foreground") {
      AddFinalizer(meta, kForegroundFinalizer);
      RemoveFinalizer(meta, kOrphanFinalizer);
    } else if (policy == "Orphan") {
      AddFinalizer(meta, kOrphanFinalizer);
      RemoveFinalizer(meta, kForegroundFinalizer);
    } else if (policy == "Background") {
      RemoveFinalizer(meta, kOrphanFinalizer);
      RemoveFinalizer(meta, kForegroundFinalizer);
    }
    int64_t grace = 0;
    if (strategy.traits().graceful_deletion) {
      grace = strategy.GracePeriod(
          current, options.has_grace_period_seconds() ? options.grace_period_seconds() : -1);
      // A deletion already pending keeps its (shorter) grace period.
      if (meta->has_deletion_grace_period_seconds() &&
          meta->deletion_grace_period_seconds() < grace) {
        grace = meta->deletion_grace_period_seconds();
      }
    }
    if (grace == 0 && meta->finalizers().empty()) {
      action.delete_object = true;
      return action;
    }
    if (!meta->has_deletion_timestamp() || (meta->has_deletion_grace_period_seconds() &&
                                            grace < meta->deletion_grace_period_seconds())) {
      *meta->mutable_deletion_timestamp() = api::ToProtoTime(absl::Now() + absl::Seconds(grace));
    }
    meta->set_deletion_grace_period_seconds(grace);
    action.object = std::move(object);
    return action;
  };
  MessagePtr dry_run_object;
  absl::StatusOr<UpdateResult> result = store_->GuaranteedUpdate(
      kind, store_->Key(kind, ns, name), name,
      [&](const google::protobuf::Message& current) -> absl::StatusOr<UpdateAction> {
        absl::StatusOr<UpdateAction> action = decide(current);
        if (!action.ok() || !dry_run) return action;
        out.deleted = action->delete_object;
        dry_run_object = action->delete_object ? CloneMessage(current) : std::move(action->object);
        return absl::CancelledError("dry run");
      },
      TtlFor(strategy));
  if (dry_run && dry_run_object != nullptr) {
    out.object = std::move(dry_run_object);
    return out;
  }
  if (!result.ok()) return result.status();
  out.object = std::move(result->object);
  out.deleted = result->deleted;
  if (out.deleted) strategy.Release(*out.object, options_.pools);
  // Namespace lifecycle: remember the namespaces marked Terminating here
  // until the namespaces cache has seen that write (CheckNamespace).
  absl::StatusOr<const Strategy*> ns_strategy = registry_->Find("namespaces");
  if (ns_strategy.ok() && *ns_strategy == &strategy && !out.deleted) {
    int64_t revision = 0;
    if (absl::SimpleAtoi(Meta(*out.object).resource_version(), &revision)) {
      WatchCache* cache = CacheFor(&kind);
      const int64_t cached = cache != nullptr ? cache->revision() : 0;
      absl::MutexLock lock(&terminating_mu_);
      // Forget the namespaces that were never checked again.
      absl::erase_if(terminating_, [cached](const auto& entry) { return entry.second <= cached; });
      int64_t& pending = terminating_[name];
      pending = std::max(pending, revision);
    }
  }
  return out;
}

absl::Status Handler::Delete(const apiv1::DeleteRequest& request, apiv1::DeleteResponse* response,
                             const authn::UserInfo* user) {
  ASSIGN_OR_RETURN(const Strategy* strategy, registry_->Find(request.resource()));
  ASSIGN_OR_RETURN(std::string ns, RequestNamespace(*strategy, request.namespace_(), false));
  if (request.name().empty()) return api::NewBadRequest("a name is required");
  meta::v1::DeleteOptions options;
  if (!options.ParseFromString(request.options())) {
    return api::NewBadRequest(
        "the options are not a valid serialized minik8s.meta.v1.DeleteOptions");
  }
  ASSIGN_OR_RETURN(DeleteResult result, DeleteObject(*strategy, ns, request.name(), options, user));
  response->set_object(result.object->SerializeAsString());
  response->set_deleted(result.deleted);
  return absl::OkStatus();
}

// ---------------------------------------------------------------- Bind

absl::Status Handler::Bind(const apiv1::BindRequest& request, apiv1::BindResponse* response) {
  ASSIGN_OR_RETURN(const Strategy* strategy, registry_->Find("pods"));
  const api::KindInfo& kind = strategy->kind();
  core::v1::Binding binding;
  if (!binding.ParseFromString(request.binding())) {
    return api::NewBadRequest("the binding is not a valid serialized minik8s.core.v1.Binding");
  }
  const std::string ns =
      request.namespace_().empty() ? binding.metadata().namespace_() : request.namespace_();
  const std::string name = request.name().empty() ? binding.metadata().name() : request.name();
  if (ns.empty() || name.empty()) {
    return api::NewBadRequest("a binding needs the pod's namespace and name");
  }
  const std::string& node = binding.target().name();
  if (node.empty() || (!binding.target().kind().empty() && binding.target().kind() != "Node")) {
    meta::v1::StatusCause cause;
    cause.set_reason("FieldValueRequired");
    cause.set_field("target.name");
    cause.set_message("Required value: a binding must target a Node by name");
    return api::NewInvalid(
        kind, name,
        absl::StrCat("Binding \"", name,
                     "\" is invalid: target: Required value: a binding must target "
                     "a Node by name"),
        {cause});
  }
  const api::KindInfo* binding_kind =
      registry_->scheme().FindByDescriptor(core::v1::Binding::descriptor());
  api::KindInfo pods_binding = binding_kind != nullptr ? *binding_kind : kind;
  pods_binding.resource = "pods/binding";
  pods_binding.group = "";
  absl::StatusOr<UpdateResult> result = store_->GuaranteedUpdate(
      kind, store_->Key(kind, ns, name), name,
      [&](const google::protobuf::Message& current) -> absl::StatusOr<UpdateAction> {
        const auto& pod = static_cast<const core::v1::Pod&>(current);
        if (!binding.metadata().uid().empty() && binding.metadata().uid() != pod.metadata().uid()) {
          return api::NewConflict(
              pods_binding, name,
              absl::StrCat("Precondition failed: UID in precondition: ", binding.metadata().uid(),
                           ", UID in object meta: ", pod.metadata().uid()));
        }
        if (pod.metadata().has_deletion_timestamp()) {
          return api::NewConflict(
              pods_binding, name,
              absl::StrCat("pod ", name, " is being deleted, cannot be assigned to a host"));
        }
        if (!pod.spec().node_name().empty()) {
          return api::NewConflict(pods_binding, name,
                                  absl::StrCat("pod ", name, " is already assigned to node \"",
                                               pod.spec().node_name(), "\""));
        }
        auto updated = std::make_unique<core::v1::Pod>(pod);
        updated->mutable_spec()->set_node_name(node);
        for (const auto& [key, value] : binding.metadata().annotations()) {
          (*updated->mutable_metadata()->mutable_annotations())[key] = value;
        }
        core::v1::PodCondition* scheduled = nullptr;
        for (auto& condition : *updated->mutable_status()->mutable_conditions()) {
          if (condition.type() == "PodScheduled") scheduled = &condition;
        }
        if (scheduled == nullptr) {
          scheduled = updated->mutable_status()->add_conditions();
          scheduled->set_type("PodScheduled");
        }
        if (scheduled->status() != "True") {
          *scheduled->mutable_last_transition_time() = api::NowTime();
        }
        scheduled->set_status("True");
        scheduled->clear_reason();
        scheduled->clear_message();
        UpdateAction action;
        action.object = std::move(updated);
        return action;
      });
  if (!result.ok()) return result.status();
  return absl::OkStatus();
}

// ---------------------------------------------------------------- Watch

absl::StatusOr<Handler::WatchStream> Handler::Watch(const apiv1::WatchRequest& request,
                                                    std::function<void()> notify) {
  ASSIGN_OR_RETURN(const Strategy* strategy, registry_->Find(request.resource()));
  const api::KindInfo& kind = strategy->kind();
  ASSIGN_OR_RETURN(std::string ns, RequestNamespace(*strategy, request.namespace_(), true));
  ASSIGN_OR_RETURN(Filter filter,
                   Filter::Make(kind, ns, request.label_selector(), request.field_selector()));
  WatchCache* cache = CacheFor(&kind);
  if (cache == nullptr) return api::NewMethodNotSupported(kind, "watch");
  WatchCache::WatchOptions options;
  options.filter = std::move(filter);
  options.allow_bookmarks = request.allow_watch_bookmarks();
  if (request.resource_version().empty() || request.resource_version() == "0") {
    options.initial_events = true;
  } else {
    ASSIGN_OR_RETURN(options.resource_version, ParseResourceVersion(request.resource_version()));
    options.initial_events = false;
  }
  ASSIGN_OR_RETURN(std::shared_ptr<Watcher> watcher, cache->Watch(std::move(options), notify));
  return WatchStream{std::move(watcher), cache};
}

// ---------------------------------------------------------------- discovery

absl::Status Handler::ListResources(const apiv1::ListResourcesRequest& request,
                                    apiv1::ListResourcesResponse* response) {
  for (const auto& strategy : registry_->strategies()) {
    const api::KindInfo& kind = strategy->kind();
    apiv1::ApiResource* r = response->add_resources();
    r->set_name(kind.resource);
    r->set_singular_name(kind.singular);
    r->set_namespaced(kind.namespaced);
    r->set_group(kind.group);
    r->set_version(kind.version);
    r->set_kind(kind.kind);
    for (const char* verb : {"create", "delete", "get", "list", "patch", "update", "watch"}) {
      r->add_verbs(verb);
    }
    for (const std::string& s : kind.short_names) r->add_short_names(s);
    auto sub = [&](const std::string& suffix, const std::string& sub_kind) {
      apiv1::ApiResource* s = response->add_resources();
      s->set_name(kind.resource + "/" + suffix);
      s->set_namespaced(kind.namespaced);
      s->set_group(kind.group);
      s->set_version(kind.version);
      s->set_kind(sub_kind);
      for (const char* verb : {"get", "patch", "update"}) s->add_verbs(verb);
    };
    if (strategy->traits().approval_subresource) sub("approval", kind.kind);
    if (strategy->traits().status_subresource) sub("status", kind.kind);
    if (strategy->has_scale()) sub("scale", "Scale");
    if (strategy->traits().binding_subresource) {
      apiv1::ApiResource* b = response->add_resources();
      b->set_name(kind.resource + "/binding");
      b->set_namespaced(kind.namespaced);
      b->set_version("v1");
      b->set_kind("Binding");
      b->add_verbs("create");
    }
    if (strategy->traits().token_subresource) {
      apiv1::ApiResource* t = response->add_resources();
      t->set_name(kind.resource + "/token");
      t->set_namespaced(kind.namespaced);
      t->set_group("authentication.k8s.io");
      t->set_version("v1");
      t->set_kind("TokenRequest");
      t->add_verbs("create");
    }
  }
  // The authorization.k8s.io reviews (authz/access_review.h), create-only
  // and never stored, as HTTP discovery lists them.
  for (const char* resource :
       {authz::kLocalSubjectAccessReviewResource, authz::kAccessReviewResource,
        authz::kRulesReviewResource, authz::kSubjectAccessReviewResource}) {
    apiv1::ApiResource* r = response->add_resources();
    const std::string name = resource;
    r->set_name(name);
    r->set_singular_name(name.substr(0, name.size() - 1));
    r->set_namespaced(authz::IsNamespacedReview(resource));
    r->set_group(authz::kAccessReviewGroup);
    r->set_version("v1");
    r->set_kind(authz::ReviewKind(resource));
    r->add_verbs("create");
  }
  // The authentication.k8s.io ones (authn/reviews.h).
  for (const authn::AuthenticationReview& review : authn::AuthenticationReviews()) {
    apiv1::ApiResource* r = response->add_resources();
    r->set_name(review.resource);
    r->set_singular_name(review.singular);
    r->set_group(authn::kAuthenticationGroup);
    r->set_version("v1");
    r->set_kind(review.kind);
    r->add_verbs("create");
  }
  return absl::OkStatus();
}

absl::Status Handler::Version(const apiv1::VersionRequest& request,
                              apiv1::VersionResponse* response) {
  response->set_major(version::kMajor);
  response->set_minor(version::kMinor);
  response->set_git_version(version::kGitVersion);
  response->set_platform("linux/amd64");
  return absl::OkStatus();
}

absl::Status Handler::EnsureNamespace(const std::string& name) {
  apiv1::CreateRequest request;
  request.set_resource("namespaces");
  core::v1::Namespace ns;
  ns.set_api_version("v1");
  ns.set_kind("Namespace");
  ns.mutable_metadata()->set_name(name);
  request.set_object(ns.SerializeAsString());
  apiv1::ObjectResponse response;
  absl::Status status = Create(request, &response);
  if (status.code() == absl::StatusCode::kAlreadyExists) return absl::OkStatus();
  return status;
}

}  // namespace minik8s::apiserver
