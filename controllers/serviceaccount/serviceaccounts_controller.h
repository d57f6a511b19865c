// The serviceaccount controller (Kubernetes' pkg/controller/serviceaccount
// ServiceAccountsController): every active namespace has the ServiceAccount
// "default", made when the namespace appears and made again when it is
// deleted.
//
// The namespace informer enqueues a namespace's name on add and update; the
// ServiceAccount informer enqueues the namespace of a deleted "default". A
// worker takes a namespace and decides with NeedsDefaultServiceAccount
// (from the caches): nothing for a namespace that is gone or terminating,
// or that has its "default"; otherwise it creates it. AlreadyExists (the
// cache was behind) and the apiserver's refusal to add to a terminating
// namespace end the sync; other errors are retried rate-limited.
//
// Thread safety: handlers and Sync are safe from any thread; the work queue
// keeps one key on one worker at a time. The listers' informers and the
// client are borrowed and must outlive the controller.
#ifndef MINIK8S_CONTROLLERS_SERVICEACCOUNT_SERVICEACCOUNTS_CONTROLLER_H_
#define MINIK8S_CONTROLLERS_SERVICEACCOUNT_SERVICEACCOUNTS_CONTROLLER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "client/clientset.h"
#include "client/informer.h"
#include "client/lister.h"
#include "client/workqueue.h"
#include "controllers/util/worker.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::controllers {

inline constexpr char kDefaultServiceAccountName[] = "default";

// Creates a ServiceAccount, behind an interface so the controller is tested
// against a fake. The apiserver's error as is (AlreadyExists, Forbidden for
// a terminating namespace).
class ServiceAccountClient {
 public:
  virtual ~ServiceAccountClient() = default;
  virtual absl::Status CreateServiceAccount(const core::v1::ServiceAccount& account) = 0;
};

// Over the apiserver; `clientset` is borrowed and must outlive the result.
std::unique_ptr<ServiceAccountClient> NewApiServiceAccountClient(
    const client::Clientset* clientset);

// Whether `ns` (nullptr: not in the cache) needs its "default"
// ServiceAccount made, given whether the cache has one.
bool NeedsDefaultServiceAccount(const core::v1::Namespace* ns, bool has_default);

class ServiceAccountsController {
 public:
  using Namespace = core::v1::Namespace;
  using ServiceAccount = core::v1::ServiceAccount;

  ServiceAccountsController(client::Lister<Namespace> namespaces,
                            client::Lister<ServiceAccount> accounts, ServiceAccountClient* client);
  ~ServiceAccountsController();  // Stop()
  ServiceAccountsController(const ServiceAccountsController&) = delete;
  ServiceAccountsController& operator=(const ServiceAccountsController&) = delete;

  // Adds the handlers to the informers (which must outlive the controller).
  void RegisterHandlers(client::Informer<Namespace>* namespaces,
                        client::Informer<ServiceAccount>* accounts);
  // Starts `workers` threads (kube-controller-manager's
  // --concurrent-serviceaccount-syncs, default 1); Stop() shuts the queue
  // down and joins them.
  void Run(int workers = 1);
  void Stop();

  // One reconcile of the namespace `name`.
  absl::Status Sync(const std::string& name);

  client::WorkQueue* queue() { return &queue_; }

 private:
  client::Lister<Namespace> namespaces_;
  client::Lister<ServiceAccount> accounts_;
  ServiceAccountClient* const client_;
  client::WorkQueue queue_;
  WorkerPool workers_;
};

}  // namespace minik8s::controllers

#endif  // MINIK8S_CONTROLLERS_SERVICEACCOUNT_SERVICEACCOUNTS_CONTROLLER_H_
