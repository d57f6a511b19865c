#include "apiserver/storage/object_store.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "apiserver/object_meta.h"
#include "common/proto_equal.h"

namespace minik8s::apiserver {
namespace {

// A lease is shared by every TTL write within this window; its TTL is
// extended by the window so no key expires early.
constexpr absl::Duration kLeaseReuseWindow = absl::Minutes(1);

// Kubernetes' RequestEntityTooLarge (413): "Request entity too large: ..."
// as apimachinery's NewRequestEntityTooLargeError words it, with etcd's own
// words for the cause. `limit` < 0: the store's own limit, not known here.
absl::Status TooLarge(const api::KindInfo& kind, const std::string& name, int64_t bytes,
                      int64_t limit, const std::string& why) {
  std::string message = absl::StrCat(
      "Request entity too large: ", limit >= 0 ? absl::StrCat("limit is ", limit, ": ") : "",
      kind.GroupResource(), " \"", name, "\" ", why.empty() ? "" : absl::StrCat(why, " "), "needs ",
      bytes, " bytes in the store", limit >= 0 ? "" : ", over the store's limit",
      " (etcdserver: request is too large)");
  meta::v1::StatusDetails details;
  details.set_name(name);
  details.set_group(kind.group);
  details.set_kind(kind.resource);
  return api::NewApiError(absl::StatusCode::kInvalidArgument, "RequestEntityTooLarge", 413, message,
                          details);
}

etcdserverpb::Compare ModRevisionEquals(const std::string& key, int64_t revision) {
  etcdserverpb::Compare compare;
  compare.set_key(key);
  compare.set_target(etcdserverpb::Compare::MOD);
  compare.set_result(etcdserverpb::Compare::EQUAL);
  compare.set_mod_revision(revision);
  return compare;
}

}  // namespace

ObjectStore::ObjectStore(EtcdClient* client, std::string prefix, int64_t max_request_bytes)
    : client_(client), prefix_(std::move(prefix)), max_request_bytes_(max_request_bytes) {
  while (!prefix_.empty() && prefix_.back() == '/') prefix_.pop_back();
}

std::string ObjectStore::Key(const api::KindInfo& kind, const std::string& ns,
                             const std::string& name) const {
  if (kind.namespaced) return absl::StrCat(prefix_, "/", kind.resource, "/", ns, "/", name);
  return absl::StrCat(prefix_, "/", kind.resource, "/", name);
}

std::string ObjectStore::ResourcePrefix(const api::KindInfo& kind, const std::string& ns) const {
  if (kind.namespaced && !ns.empty())
    return absl::StrCat(prefix_, "/", kind.resource, "/", ns, "/");
  return absl::StrCat(prefix_, "/", kind.resource, "/");
}

std::string ObjectStore::Encode(const google::protobuf::Message& object) {
  const meta::v1::ObjectMeta& meta = Meta(object);
  if (meta.resource_version().empty()) return common::SerializeDeterministic(object);
  MessagePtr copy = CloneMessage(object);
  MutableMeta(copy.get())->clear_resource_version();
  return common::SerializeDeterministic(*copy);
}

absl::StatusOr<MessagePtr> ObjectStore::Decode(const api::KindInfo& kind,
                                               const mvccpb::KeyValue& kv) const {
  MessagePtr object = kind.New();
  if (!object->ParseFromString(kv.value())) {
    return api::NewInternalError(absl::StrCat("unable to decode the stored object at ", kv.key()));
  }
  if (meta::v1::ObjectMeta* meta = MutableMeta(object.get()); meta != nullptr) {
    meta->set_resource_version(absl::StrCat(kv.mod_revision()));
  }
  return object;
}

absl::Status ObjectStore::CheckSize(const api::KindInfo& kind, const std::string& key,
                                    const google::protobuf::Message& object, int64_t reserve_bytes,
                                    const std::string& reserve_why) const {
  // The common case without a copy: the stored value is at most the object's
  // own size (Encode only drops the resourceVersion), and the transaction
  // around it adds the key three times and a few dozen bytes of framing.
  constexpr int64_t kTxnFraming = 256;
  const int64_t reserve = std::max<int64_t>(reserve_bytes, 0);
  if (static_cast<int64_t>(object.ByteSizeLong()) + 3 * static_cast<int64_t>(key.size()) +
          kTxnFraming + reserve <=
      max_request_bytes_) {
    return absl::OkStatus();
  }
  // Near the limit: the exact size of the update transaction, compare(key),
  // put(key, value), range(key).
  etcdserverpb::TxnRequest txn;
  *txn.add_compare() = ModRevisionEquals(key, 1);
  etcdserverpb::PutRequest* put = txn.add_success()->mutable_request_put();
  put->set_key(key);
  put->set_value(Encode(object));
  put->set_lease(1);
  txn.add_failure()->mutable_request_range()->set_key(key);
  const int64_t bytes = static_cast<int64_t>(txn.ByteSizeLong()) + reserve;
  if (bytes <= max_request_bytes_) return absl::OkStatus();
  return TooLarge(kind, Meta(object).name(), bytes, max_request_bytes_, reserve_why);
}

absl::Status ObjectStore::CheckTxnSize(const api::KindInfo& kind, const std::string& name,
                                       const etcdserverpb::TxnRequest& txn) const {
  const int64_t bytes = static_cast<int64_t>(txn.ByteSizeLong());
  if (bytes <= max_request_bytes_) return absl::OkStatus();
  return TooLarge(kind, name, bytes, max_request_bytes_, "");
}

absl::Status ObjectStore::InterpretTxnError(const api::KindInfo& kind, const std::string& name,
                                            int64_t request_bytes, absl::Status error) const {
  // etcd (and minik8s-store) refuse with "etcdserver: request is too large";
  // a request past the store's gRPC message limit never reaches it and
  // comes back as RESOURCE_EXHAUSTED "... larger than max ...".
  const bool too_large = absl::StrContains(error.message(), "request is too large") ||
                         (error.code() == absl::StatusCode::kResourceExhausted &&
                          absl::StrContains(error.message(), "larger than max"));
  if (!too_large) return error;
  return TooLarge(kind, name, request_bytes, /*limit=*/-1, "");
}

absl::StatusOr<int64_t> ObjectStore::LeaseFor(int64_t ttl_seconds) {
  absl::MutexLock lock(&lease_mu_);
  absl::Time now = absl::Now();
  if (lease_id_ != 0 && lease_ttl_ == ttl_seconds && now - lease_granted_ < kLeaseReuseWindow) {
    return lease_id_;
  }
  absl::StatusOr<int64_t> id =
      client_->LeaseGrant(ttl_seconds + absl::ToInt64Seconds(kLeaseReuseWindow));
  if (!id.ok()) return id.status();
  lease_id_ = *id;
  lease_ttl_ = ttl_seconds;
  lease_granted_ = now;
  return lease_id_;
}

absl::StatusOr<MessagePtr> ObjectStore::Create(const api::KindInfo& kind, const std::string& key,
                                               const google::protobuf::Message& object,
                                               int64_t ttl_seconds) {
  etcdserverpb::TxnRequest txn;
  *txn.add_compare() = ModRevisionEquals(key, 0);
  etcdserverpb::PutRequest* put = txn.add_success()->mutable_request_put();
  put->set_key(key);
  put->set_value(Encode(object));
  if (ttl_seconds > 0) {
    absl::StatusOr<int64_t> lease = LeaseFor(ttl_seconds);
    if (!lease.ok()) return lease.status();
    put->set_lease(*lease);
  }
  if (absl::Status s = CheckTxnSize(kind, Meta(object).name(), txn); !s.ok()) return s;
  absl::StatusOr<etcdserverpb::TxnResponse> response = client_->Txn(txn);
  if (!response.ok()) {
    return InterpretTxnError(kind, Meta(object).name(), static_cast<int64_t>(txn.ByteSizeLong()),
                             response.status());
  }
  if (!response->succeeded()) return api::NewAlreadyExists(kind, Meta(object).name());
  MessagePtr out = CloneMessage(object);
  if (meta::v1::ObjectMeta* meta = MutableMeta(out.get()); meta != nullptr) {
    meta->set_resource_version(absl::StrCat(response->header().revision()));
  }
  return out;
}

void ObjectStore::CreateAsync(const api::KindInfo& kind, const std::string& key,
                              const google::protobuf::Message& object, int64_t ttl_seconds,
                              CreateDone done) {
  etcdserverpb::TxnRequest txn;
  *txn.add_compare() = ModRevisionEquals(key, 0);
  etcdserverpb::PutRequest* put = txn.add_success()->mutable_request_put();
  put->set_key(key);
  put->set_value(Encode(object));
  if (ttl_seconds > 0) {
    absl::StatusOr<int64_t> lease = LeaseFor(ttl_seconds);
    if (!lease.ok()) {
      done(lease.status());
      return;
    }
    put->set_lease(*lease);
  }
  if (absl::Status s = CheckTxnSize(kind, Meta(object).name(), txn); !s.ok()) {
    done(s);
    return;
  }
  const int64_t request_bytes = static_cast<int64_t>(txn.ByteSizeLong());
  client_->TxnAsync(std::move(txn),
                    [this, kind = &kind, name = Meta(object).name(), request_bytes,
                     done = std::move(done)](absl::StatusOr<etcdserverpb::TxnResponse> response) {
                      if (!response.ok()) {
                        done(InterpretTxnError(*kind, name, request_bytes, response.status()));
                      } else if (!response->succeeded()) {
                        done(api::NewAlreadyExists(*kind, name));
                      } else {
                        done(response->header().revision());
                      }
                    });
}

absl::StatusOr<MessagePtr> ObjectStore::Get(const api::KindInfo& kind, const std::string& key,
                                            const std::string& name) {
  etcdserverpb::RangeRequest request;
  request.set_key(key);
  absl::StatusOr<etcdserverpb::RangeResponse> response = client_->Range(request);
  if (!response.ok()) return response.status();
  if (response->kvs_size() == 0) return api::NewNotFound(kind, name);
  return Decode(kind, response->kvs(0));
}

absl::StatusOr<UpdateResult> ObjectStore::GuaranteedUpdate(const api::KindInfo& kind,
                                                           const std::string& key,
                                                           const std::string& name,
                                                           const TryUpdate& try_update,
                                                           int64_t ttl_seconds) {
  etcdserverpb::RangeRequest get;
  get.set_key(key);
  absl::StatusOr<etcdserverpb::RangeResponse> read = client_->Range(get);
  if (!read.ok()) return read.status();
  if (read->kvs_size() == 0) return api::NewNotFound(kind, name);
  mvccpb::KeyValue current_kv = read->kvs(0);
  for (int attempt = 0;; ++attempt) {
    absl::StatusOr<MessagePtr> current = Decode(kind, current_kv);
    if (!current.ok()) return current.status();
    absl::StatusOr<UpdateAction> action = try_update(**current);
    if (!action.ok()) return action.status();

    etcdserverpb::TxnRequest txn;
    *txn.add_compare() = ModRevisionEquals(key, current_kv.mod_revision());
    std::string value;
    if (action->delete_object) {
      etcdserverpb::DeleteRangeRequest* del = txn.add_success()->mutable_request_delete_range();
      del->set_key(key);
    } else {
      value = Encode(*action->object);
      // The stored bytes may come from a writer whose map order differed:
      // compare with the current object encoded the same way.
      if (ttl_seconds == 0 && (value == current_kv.value() || value == Encode(**current))) {
        // Nothing changed: no write, no new resourceVersion.
        return UpdateResult{std::move(*current), false};
      }
      etcdserverpb::PutRequest* put = txn.add_success()->mutable_request_put();
      put->set_key(key);
      put->set_value(value);
      if (ttl_seconds > 0) {
        absl::StatusOr<int64_t> lease = LeaseFor(ttl_seconds);
        if (!lease.ok()) return lease.status();
        put->set_lease(*lease);
      }
    }
    txn.add_failure()->mutable_request_range()->set_key(key);
    if (absl::Status s = CheckTxnSize(kind, name, txn); !s.ok()) return s;
    absl::StatusOr<etcdserverpb::TxnResponse> response = client_->Txn(txn);
    if (!response.ok()) {
      return InterpretTxnError(kind, name, static_cast<int64_t>(txn.ByteSizeLong()),
                               response.status());
    }
    if (response->succeeded()) {
      UpdateResult result;
      if (action->delete_object) {
        result.object = std::move(*current);
        result.deleted = true;
      } else {
        result.object = std::move(action->object);
        if (meta::v1::ObjectMeta* meta = MutableMeta(result.object.get()); meta != nullptr) {
          meta->set_resource_version(absl::StrCat(response->header().revision()));
        }
      }
      return result;
    }
    // Stale read: retry on the fresh value the failure branch returned.
    const etcdserverpb::RangeResponse& fresh = response->responses(0).response_range();
    if (fresh.kvs_size() == 0) return api::NewNotFound(kind, name);
    current_kv = fresh.kvs(0);
    if (attempt > 100) {
      return api::NewInternalError(absl::StrCat("too many conflicting updates of ", key));
    }
  }
}

absl::StatusOr<MessagePtr> ObjectStore::Delete(
    const api::KindInfo& kind, const std::string& key, const std::string& name,
    const std::function<absl::Status(const google::protobuf::Message&)>& precondition) {
  absl::StatusOr<UpdateResult> result = GuaranteedUpdate(
      kind, key, name,
      [&](const google::protobuf::Message& current) -> absl::StatusOr<UpdateAction> {
        if (precondition) {
          absl::Status status = precondition(current);
          if (!status.ok()) return status;
        }
        UpdateAction action;
        action.delete_object = true;
        return action;
      });
  if (!result.ok()) return result.status();
  return std::move(result->object);
}

absl::StatusOr<ListResult> ObjectStore::List(
    const api::KindInfo& kind, const std::string& resource_prefix, const std::string& start_key,
    int64_t limit, int64_t revision,
    const std::function<bool(const google::protobuf::Message&)>& filter) {
  ListResult result;
  const std::string range_end = PrefixRangeEnd(resource_prefix);
  std::string key = start_key.empty() ? resource_prefix : start_key;
  result.revision = revision;
  // With a filter, read a larger page than asked for to fill the page sooner.
  const int64_t page = limit <= 0 ? 0 : (filter ? std::max<int64_t>(limit, 500) : limit);
  while (true) {
    etcdserverpb::RangeRequest request;
    request.set_key(key);
    request.set_range_end(range_end);
    if (page > 0) request.set_limit(page);
    if (result.revision > 0) request.set_revision(result.revision);
    absl::StatusOr<etcdserverpb::RangeResponse> response = client_->Range(request);
    if (!response.ok()) return response.status();
    if (result.revision == 0) result.revision = response->header().revision();
    for (int i = 0; i < response->kvs_size(); ++i) {
      const mvccpb::KeyValue& kv = response->kvs(i);
      absl::StatusOr<MessagePtr> object = Decode(kind, kv);
      if (!object.ok()) return object.status();
      if (filter && !filter(**object)) continue;
      result.items.push_back(std::move(*object));
      if (limit > 0 && static_cast<int64_t>(result.items.size()) >= limit) {
        bool more_here = i + 1 < response->kvs_size();
        result.more = more_here || response->more();
        result.last_key = kv.key();
        if (result.more && !filter) {
          result.remaining = response->count() - (i + 1);
        }
        return result;
      }
    }
    if (!response->more() || response->kvs_size() == 0) return result;
    key = response->kvs(response->kvs_size() - 1).key() + std::string(1, '\0');
  }
}

}  // namespace minik8s::apiserver
