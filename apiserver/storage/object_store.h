// Generic object storage on top of etcd v3, in the manner of Kubernetes'
// etcd3 store.
//
// Keys: `<prefix>/<resource>/<namespace>/<name>` for namespaced kinds and
// `<prefix>/<resource>/<name>` for cluster-scoped ones. Values: the object's
// serialized protobuf with metadata.resourceVersion cleared. On every read
// the object's resourceVersion is set to the key's mod_revision.
//
// Writes are compare-and-swap transactions on mod_revision:
//   Create            Txn(mod_revision(key) == 0 → Put) else AlreadyExists.
//   GuaranteedUpdate  read, apply `try_update`, Txn(mod_revision == read →
//                     Put, else Get) and retry on a stale read. `try_update`
//                     decides about preconditions (a stale client
//                     resourceVersion is its Conflict to return).
//   Delete            Txn(mod_revision == read → Delete) after `precondition`.
// Objects of kinds stored with a TTL (Events) are put with an etcd lease so
// they expire; leases are shared by writes within one minute.
//
// Errors: NotFound / AlreadyExists / Conflict as Kubernetes API errors (see
// errors.h); store failures as kUnavailable "storage is unavailable: ...";
// a compacted list revision as kOutOfRange.
//
// Size: a write whose etcd request would exceed max_request_bytes (etcd's
// --max-request-bytes, 1.5 MiB by default) is refused before it is sent,
// and a store that refuses one anyway ("etcdserver: request is too large",
// or its gRPC message limit) is answered the same way: RequestEntityTooLarge
// (HTTP 413), naming the object, its size and the limit, never an opaque
// storage error (see apiserver/README.md, "Object size").
//
// Thread safety: all methods are safe to call concurrently.
#ifndef MINIK8S_APISERVER_STORAGE_OBJECT_STORE_H_
#define MINIK8S_APISERVER_STORAGE_OBJECT_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "api/scheme.h"
#include "apiserver/storage/etcd_client.h"
#include "etcd/mvccpb/kv.pb.h"
#include "google/protobuf/message.h"

namespace minik8s::apiserver {

using MessagePtr = std::unique_ptr<google::protobuf::Message>;

// What a GuaranteedUpdate step wants done with the object.
struct UpdateAction {
  // The new object (ignored when delete_object is set).
  MessagePtr object;
  // Remove the key instead (e.g. the last finalizer is gone).
  bool delete_object = false;
};

struct UpdateResult {
  MessagePtr object;     // the stored object after the call (last state if deleted)
  bool deleted = false;  // the key was removed
};

struct ListResult {
  std::vector<MessagePtr> items;
  int64_t revision = 0;
  // The last key returned when more keys follow (for a continue token).
  std::string last_key;
  bool more = false;
  // Keys after this page (only counted when the list was unfiltered).
  int64_t remaining = -1;
};

class ObjectStore {
 public:
  // etcd's default --max-request-bytes, also minik8s-store's.
  static constexpr int64_t kDefaultMaxRequestBytes = 1572864;

  // `client` must outlive the store. `prefix` is --etcd-prefix ("/registry").
  ObjectStore(EtcdClient* client, std::string prefix,
              int64_t max_request_bytes = kDefaultMaxRequestBytes);

  int64_t max_request_bytes() const { return max_request_bytes_; }

  // RequestEntityTooLarge when writing `object` at `key` would need a
  // request larger than max_request_bytes, counting `reserve_bytes` more
  // (room the object must keep for what is written to it later, e.g. a
  // pod's status) and explained by `reserve_why` ("" when none).
  absl::Status CheckSize(const api::KindInfo& kind, const std::string& key,
                         const google::protobuf::Message& object, int64_t reserve_bytes = 0,
                         const std::string& reserve_why = "") const;

  EtcdClient* client() const { return client_; }
  const std::string& prefix() const { return prefix_; }

  // `/registry/pods/ns/name` or `/registry/nodes/name`.
  std::string Key(const api::KindInfo& kind, const std::string& ns, const std::string& name) const;
  // All keys of the resource (`/registry/pods/`) or of one namespace
  // (`/registry/pods/ns/`) when `ns` is non-empty.
  std::string ResourcePrefix(const api::KindInfo& kind, const std::string& ns) const;

  // Decodes a stored value of `kind`, setting resourceVersion.
  absl::StatusOr<MessagePtr> Decode(const api::KindInfo& kind, const mvccpb::KeyValue& kv) const;

  // `ttl_seconds` > 0 attaches a lease so the key expires.
  absl::StatusOr<MessagePtr> Create(const api::KindInfo& kind, const std::string& key,
                                    const google::protobuf::Message& object,
                                    int64_t ttl_seconds = 0);

  // As Create, without blocking on the store: `object` is encoded before
  // the call returns; `done` runs once with the new resourceVersion (or the
  // error: AlreadyExists, storage errors), on a gRPC thread or, for an error
  // before the store was asked, on the calling thread.
  using CreateDone = std::function<void(absl::StatusOr<int64_t>)>;
  void CreateAsync(const api::KindInfo& kind, const std::string& key,
                   const google::protobuf::Message& object, int64_t ttl_seconds, CreateDone done);

  absl::StatusOr<MessagePtr> Get(const api::KindInfo& kind, const std::string& key,
                                 const std::string& name);

  using TryUpdate =
      std::function<absl::StatusOr<UpdateAction>(const google::protobuf::Message& current)>;
  // NotFound when the key does not exist. An unchanged object (same bytes) is
  // not written again.
  absl::StatusOr<UpdateResult> GuaranteedUpdate(const api::KindInfo& kind, const std::string& key,
                                                const std::string& name,
                                                const TryUpdate& try_update,
                                                int64_t ttl_seconds = 0);

  // Deletes the key once `precondition` accepts the current object.
  absl::StatusOr<MessagePtr> Delete(
      const api::KindInfo& kind, const std::string& key, const std::string& name,
      const std::function<absl::Status(const google::protobuf::Message&)>& precondition);

  // Lists keys in [start_key, end of `resource_prefix`) at `revision` (0 =
  // now), returning up to `limit` (0 = all) objects that `filter` accepts
  // (nullptr = all), reading on in pages as needed.
  absl::StatusOr<ListResult> List(
      const api::KindInfo& kind, const std::string& resource_prefix, const std::string& start_key,
      int64_t limit, int64_t revision,
      const std::function<bool(const google::protobuf::Message&)>& filter);

 private:
  absl::StatusOr<int64_t> LeaseFor(int64_t ttl_seconds);
  static std::string Encode(const google::protobuf::Message& object);
  // RequestEntityTooLarge for `txn` over the limit; OK otherwise.
  absl::Status CheckTxnSize(const api::KindInfo& kind, const std::string& name,
                            const etcdserverpb::TxnRequest& txn) const;
  // A store's refusal of an oversized request, as RequestEntityTooLarge;
  // any other error unchanged.
  absl::Status InterpretTxnError(const api::KindInfo& kind, const std::string& name,
                                 int64_t request_bytes, absl::Status error) const;

  EtcdClient* client_;
  std::string prefix_;  // without a trailing slash
  const int64_t max_request_bytes_;

  absl::Mutex lease_mu_;
  int64_t lease_id_ ABSL_GUARDED_BY(lease_mu_) = 0;
  int64_t lease_ttl_ ABSL_GUARDED_BY(lease_mu_) = 0;
  absl::Time lease_granted_ ABSL_GUARDED_BY(lease_mu_);
};

}  // namespace minik8s::apiserver

#endif  // MINIK8S_APISERVER_STORAGE_OBJECT_STORE_H_
