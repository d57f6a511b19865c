// The apiserver's request core: one method per verb of the ApiServer API,
// independent of the transport (the gRPC service in service.h is a thin
// adapter; a REST adapter could sit beside it). Requests and responses are
// the plain protobuf messages of proto/apiserver/v1/apiserver.proto.
//
// Every error is a Kubernetes API error (errors.h): an absl::Status whose
// code follows the reason and whose payload is a meta.v1.Status.
//
// Reads: Get always reads the store (consistent). List with
// resourceVersion "" reads the store; "0" or a number is served from the
// watch cache (after waiting, up to 3 s, for the cache to reach that
// number); resourceVersionMatch "Exact" reads the store at that revision. Continue tokens keep the
// list's revision: the next page comes from the cache while it is still at that revision, else from
// the store at that revision (Gone once compacted). Watch is always served from the cache.
//
// Namespace lifecycle: a create in a namespace checks the namespace in the
// watch cache (the store when absent there). A namespace this apiserver has
// just marked Terminating is read from the store until the cache has caught
// up with that write, so a create right after the namespace's Delete
// returned is refused.
//
// Admission plugins (admission/interface.h, Options::plugins) are asked on
// create, update, patch and delete when the write names its caller (`user`,
// borrowed for the call): the HTTP and gRPC edges pass the authenticated
// user; the apiserver's own writes pass none and are not asked.
//
// Thread safety: all methods are safe to call concurrently; the store,
// registry, caches and plugins must outlive the handler.
#ifndef MINIK8S_APISERVER_HANDLER_H_
#define MINIK8S_APISERVER_HANDLER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "apiserver/admission/interface.h"
#include "apiserver/authn/authenticator.h"
#include "apiserver/registry/admission.h"
#include "apiserver/registry/registry.h"
#include "apiserver/storage/object_store.h"
#include "apiserver/v1/apiserver.pb.h"
#include "apiserver/watch_cache.h"
#include "k8s/meta/v1/meta.pb.h"

namespace minik8s::apiserver {

namespace apiv1 = ::minik8s::apiserver::v1;

class Handler {
 public:
  struct Options {
    int64_t event_ttl_seconds = 3600;
    AdmissionOptions admission;
    // Cluster IPs and node ports (Strategy::Allocate).
    ServerPools pools;
    // --enable-admission-plugins (borrowed); null: none.
    const admission::Plugin* plugins = nullptr;
  };

  Handler(ObjectStore* store, const Registry* registry, Options options);

  // Serves List/Watch of `kind` from `cache` (both borrowed).
  void AddCache(const api::KindInfo* kind, WatchCache* cache);
  WatchCache* CacheFor(const api::KindInfo* kind) const;

  absl::Status Create(const apiv1::CreateRequest& request, apiv1::ObjectResponse* response,
                      const authn::UserInfo* user = nullptr);
  // Create without waiting for the store: the checks run on the calling
  // thread, the store's answer arrives on a gRPC thread, and `done` runs
  // once (on either) when `response` is filled. `request` may go once this
  // returns; `response` must live until `done`.
  void CreateAsync(const apiv1::CreateRequest& request, apiv1::ObjectResponse* response,
                   std::function<void(absl::Status)> done, const authn::UserInfo* user = nullptr);
  // Whether CreateAsync(request) will not wait for anything but CPU and
  // locks: a kind stored without TTL, in a namespace (named on the request)
  // that the namespaces cache knows as active. Then it may run on a thread
  // that must not block (gRPC's). A namespace removed between this check
  // and the create makes that create read the store once.
  bool CreateRunsWithoutWaiting(const apiv1::CreateRequest& request) const;
  absl::Status Get(const apiv1::GetRequest& request, apiv1::ObjectResponse* response);
  absl::Status List(const apiv1::ListRequest& request, apiv1::ListResponse* response);
  absl::Status Update(const apiv1::UpdateRequest& request, apiv1::ObjectResponse* response,
                      const authn::UserInfo* user = nullptr);
  absl::Status Patch(const apiv1::PatchRequest& request, apiv1::ObjectResponse* response,
                     const authn::UserInfo* user = nullptr);
  absl::Status Delete(const apiv1::DeleteRequest& request, apiv1::DeleteResponse* response,
                      const authn::UserInfo* user = nullptr);
  absl::Status Bind(const apiv1::BindRequest& request, apiv1::BindResponse* response);
  absl::Status ListResources(const apiv1::ListResourcesRequest& request,
                             apiv1::ListResourcesResponse* response);
  absl::Status Version(const apiv1::VersionRequest& request, apiv1::VersionResponse* response);

  struct WatchStream {
    std::shared_ptr<Watcher> watcher;
    WatchCache* cache = nullptr;  // to Unregister the watcher
  };
  // Registers a watcher; `notify` as in WatchCache::Watch.
  absl::StatusOr<WatchStream> Watch(const apiv1::WatchRequest& request,
                                    std::function<void()> notify);

  // Typed core of Delete, shared with the namespace finalizer.
  struct DeleteResult {
    MessagePtr object;
    bool deleted = false;
  };
  absl::StatusOr<DeleteResult> DeleteObject(const Strategy& strategy, const std::string& ns,
                                            const std::string& name,
                                            const meta::v1::DeleteOptions& options,
                                            const authn::UserInfo* user = nullptr);
  // Creates the namespace if it is missing (startup: default, kube-system, ...).
  absl::Status EnsureNamespace(const std::string& name);
  ObjectStore* store() const { return store_; }
  const Registry& registry() const { return *registry_; }
  const ServerPools& pools() const { return options_.pools; }

 private:
  struct PendingCreate;
  absl::Status PrepareCreate(const apiv1::CreateRequest& request, PendingCreate* pending,
                             const authn::UserInfo* user);
  // Asks the admission plugins about one write of `user` (OK without either).
  absl::Status AdmitWrite(const authn::UserInfo* user, admission::Operation operation,
                          const Strategy& strategy, const std::string& ns, const std::string& name,
                          const std::string& subresource, const google::protobuf::Message* object,
                          const google::protobuf::Message* old) const;
  void StoreCreate(std::shared_ptr<PendingCreate> pending);

  // Produces the object to store from the current one (patch or update).
  using Produce = std::function<absl::StatusOr<MessagePtr>(const google::protobuf::Message&)>;
  absl::StatusOr<MessagePtr> UpdateObject(const Strategy& strategy, const std::string& ns,
                                          const std::string& name, const std::string& subresource,
                                          const Produce& produce, bool dry_run,
                                          const authn::UserInfo* user);
  absl::StatusOr<MessagePtr> UpdateScale(
      const Strategy& strategy, const std::string& ns, const std::string& name,
      const std::function<absl::StatusOr<autoscaling::v1::Scale>(const autoscaling::v1::Scale&)>&
          produce,
      bool dry_run, const authn::UserInfo* user);
  absl::Status CheckNamespace(const Strategy& strategy, const std::string& ns);
  absl::StatusOr<std::string> RequestNamespace(const Strategy& strategy, const std::string& ns,
                                               bool for_list) const;
  absl::StatusOr<MessagePtr> ParseObject(const Strategy& strategy, const std::string& bytes) const;
  int64_t TtlFor(const Strategy& strategy) const;

  ObjectStore* const store_;
  const Registry* const registry_;
  const Options options_;
  absl::flat_hash_map<const api::KindInfo*, WatchCache*> caches_;

  // Namespaces marked Terminating here → the revision of that write; an
  // entry goes once the namespaces cache has reached it.
  mutable absl::Mutex terminating_mu_;
  absl::flat_hash_map<std::string, int64_t> terminating_ ABSL_GUARDED_BY(terminating_mu_);
};

}  // namespace minik8s::apiserver

#endif  // MINIK8S_APISERVER_HANDLER_H_
