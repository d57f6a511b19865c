// The two controllers that publish where a Service's pods are (Kubernetes
// pkg/controller/endpointslice and pkg/controller/endpoint):
//   - EndpointSliceController keeps the discovery.k8s.io/v1 EndpointSlices
//     labelled kubernetes.io/service-name=<service> and managed by
//     endpointslice-controller.k8s.io (see slice_reconciler.h), owned by the
//     Service so the garbage collector removes them with it;
//   - EndpointsController keeps the legacy core/v1 Endpoints object of the
//     same name (see legacy_endpoints.h) and deletes it with the Service.
// Both act only on Services with a selector (not ExternalName): the
// endpoints of a selector-less Service are written by its user.
//
// Reconcile pattern as in the ReplicaSet controller: informer handlers
// enqueue "namespace/name" of each Service a pod change concerns (old and new
// labels), after `batch_period` so a burst of pod changes makes one write;
// workers Sync(key) from the listers.
//
// The slice controller remembers the slices it wrote (resourceVersion) and,
// while its cache has not caught up with them, waits rather than act on a
// stale view, which would create duplicate slices (Kubernetes' slice
// tracker).
//
// Thread safety: handlers and Sync are safe from any thread; the work queue
// keeps one key on one worker at a time. Listers' informers, the client,
// the recorder and the clock are borrowed and must outlive the controller.
#ifndef MINIK8S_CONTROLLERS_ENDPOINTSLICE_ENDPOINTS_CONTROLLERS_H_
#define MINIK8S_CONTROLLERS_ENDPOINTSLICE_ENDPOINTS_CONTROLLERS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/event_recorder.h"
#include "client/informer.h"
#include "client/lister.h"
#include "client/workqueue.h"
#include "common/clock.h"
#include "controllers/endpointslice/endpoints_client.h"
#include "controllers/endpointslice/service_pods.h"
#include "controllers/endpointslice/trigger_time_tracker.h"
#include "controllers/util/worker.h"
#include "k8s/core/v1/core.pb.h"
#include "k8s/discovery/v1/discovery.pb.h"

namespace minik8s::controllers {

struct EndpointsControllerOptions {
  // Pod changes wait this long before their Service syncs (Kubernetes'
  // --endpointslice-updates-batch-period / --endpoint-updates-batch-period).
  absl::Duration batch_period = absl::ZeroDuration();
  int max_endpoints_per_slice = 100;  // slices only
  common::Clock* clock = nullptr;     // null = real clock
};

// What both controllers share: the Service and pod handlers, the queue and
// the workers.
class ServiceEndpointsControllerBase {
 public:
  using PodPtr = std::shared_ptr<const minik8s::core::v1::Pod>;

  virtual ~ServiceEndpointsControllerBase();

  // Starts `workers` worker threads; Stop() shuts the queue down and joins.
  void Run(int workers);
  void Stop();

  virtual absl::Status Sync(const std::string& key) = 0;

  void OnServiceChange(const ServicePtr& service);
  void OnPodAdd(const PodPtr& pod);
  void OnPodUpdate(const PodPtr& old_pod, const PodPtr& cur);
  void OnPodDelete(const PodPtr& pod);

  client::WorkQueue* queue() { return &queue_; }

 protected:
  ServiceEndpointsControllerBase(std::string name,
                                 client::Lister<minik8s::core::v1::Service> services,
                                 client::Lister<minik8s::core::v1::Pod> pods,
                                 EndpointsControllerOptions options);
  void RegisterServiceAndPodHandlers(client::Informer<minik8s::core::v1::Service>* services,
                                     client::Informer<minik8s::core::v1::Pod>* pods);
  // The pods of the Service's namespace its selector matches (kept alive
  // by `holder`).
  std::vector<const minik8s::core::v1::Pod*> SelectedPods(const minik8s::core::v1::Service& service,
                                                          std::vector<PodPtr>* holder) const;

  const std::string name_;
  client::Lister<minik8s::core::v1::Service> services_;
  client::Lister<minik8s::core::v1::Pod> pods_;
  const EndpointsControllerOptions options_;
  common::Clock* const clock_;
  client::WorkQueue queue_;
  // The endpoints.kubernetes.io/last-change-trigger-time of each write.
  TriggerTimeTracker trigger_times_;

 private:
  void EnqueueForPod(const minik8s::core::v1::Pod& pod);
  WorkerPool workers_;
};

class EndpointSliceController : public ServiceEndpointsControllerBase {
 public:
  using SlicePtr = std::shared_ptr<const minik8s::discovery::v1::EndpointSlice>;

  EndpointSliceController(client::Lister<minik8s::core::v1::Service> services,
                          client::Lister<minik8s::core::v1::Pod> pods,
                          client::Lister<minik8s::discovery::v1::EndpointSlice> slices,
                          EndpointsClient* client, client::EventRecorder* recorder,
                          EndpointsControllerOptions options = {});
  ~EndpointSliceController() override;

  void RegisterHandlers(client::Informer<minik8s::core::v1::Service>* services,
                        client::Informer<minik8s::core::v1::Pod>* pods,
                        client::Informer<minik8s::discovery::v1::EndpointSlice>* slices);
  absl::Status Sync(const std::string& key) override;
  // A managed slice changed or went away behind the controller's back.
  void OnSliceChange(const SlicePtr& slice);

 private:
  // The slices this controller wrote and not yet seen in its cache.
  struct Written {
    int64_t resource_version;  // -1: deleted
    absl::Time at;
  };
  void Track(const std::string& key, const std::string& name, int64_t rv);
  bool CacheIsStale(const std::string& key, const std::string& ns);

  client::Lister<minik8s::discovery::v1::EndpointSlice> slices_;
  EndpointsClient* const client_;
  client::EventRecorder* const recorder_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, Written>> written_
      ABSL_GUARDED_BY(mu_);
};

class EndpointsController : public ServiceEndpointsControllerBase {
 public:
  EndpointsController(client::Lister<minik8s::core::v1::Service> services,
                      client::Lister<minik8s::core::v1::Pod> pods,
                      client::Lister<minik8s::core::v1::Endpoints> endpoints,
                      EndpointsClient* client, client::EventRecorder* recorder,
                      EndpointsControllerOptions options = {});
  ~EndpointsController() override;

  void RegisterHandlers(client::Informer<minik8s::core::v1::Service>* services,
                        client::Informer<minik8s::core::v1::Pod>* pods,
                        client::Informer<minik8s::core::v1::Endpoints>* endpoints);
  absl::Status Sync(const std::string& key) override;

 private:
  client::Lister<minik8s::core::v1::Endpoints> endpoints_;
  EndpointsClient* const client_;
  client::EventRecorder* const recorder_;
};

}  // namespace minik8s::controllers

#endif  // MINIK8S_CONTROLLERS_ENDPOINTSLICE_ENDPOINTS_CONTROLLERS_H_
