#include "controllers/endpointslice/endpoints_controllers.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "client/resource.h"
#include "controllers/endpointslice/legacy_endpoints.h"
#include "controllers/endpointslice/slice_reconciler.h"
#include "controllers/util/owner_refs.h"
#include "spdlog/spdlog.h"

namespace minik8s::controllers {
namespace {

using minik8s::core::v1::Endpoints;
using minik8s::core::v1::Pod;
using minik8s::core::v1::Service;
using minik8s::discovery::v1::EndpointSlice;

// How long the slice controller waits for its cache to show a slice it
// wrote before it stops waiting (the slice may have been deleted since).
constexpr absl::Duration kTrackTimeout = absl::Seconds(10);
// How soon a Service whose slices the cache has not caught up with syncs
// again.
constexpr absl::Duration kStaleRetry = absl::Milliseconds(100);

client::WorkQueueOptions QueueOptions(const std::string& name, common::Clock* clock) {
  client::WorkQueueOptions o;
  o.name = name;
  o.clock = clock;
  return o;
}

int64_t ParseResourceVersion(const std::string& rv) {
  int64_t v = 0;
  return absl::SimpleAtoi(rv, &v) ? v : 0;
}

}  // namespace

// ServiceEndpointsControllerBase ------------------------------------------

ServiceEndpointsControllerBase::ServiceEndpointsControllerBase(std::string name,
                                                               client::Lister<Service> services,
                                                               client::Lister<Pod> pods,
                                                               EndpointsControllerOptions options)
    : name_(std::move(name)),
      services_(services),
      pods_(pods),
      options_(options),
      clock_(options.clock != nullptr ? options.clock : common::RealClock::Get()),
      queue_(QueueOptions(name_, clock_)) {}

ServiceEndpointsControllerBase::~ServiceEndpointsControllerBase() { Stop(); }

void ServiceEndpointsControllerBase::RegisterServiceAndPodHandlers(
    client::Informer<Service>* services, client::Informer<Pod>* pods) {
  services->AddEventHandler({
      .on_add = [this](const ServicePtr& s) { OnServiceChange(s); },
      .on_update = [this](const ServicePtr&, const ServicePtr& s) { OnServiceChange(s); },
      .on_delete = [this](const ServicePtr& s, bool) { OnServiceChange(s); },
  });
  pods->AddEventHandler({
      .on_add = [this](const PodPtr& p) { OnPodAdd(p); },
      .on_update = [this](const PodPtr& a, const PodPtr& b) { OnPodUpdate(a, b); },
      .on_delete = [this](const PodPtr& p, bool) { OnPodDelete(p); },
  });
}

void ServiceEndpointsControllerBase::Run(int workers) {
  workers_.Start(
      &queue_, workers, [this](const std::string& key) { return Sync(key); }, name_);
}

void ServiceEndpointsControllerBase::Stop() {
  queue_.ShutDown();
  workers_.Join();
}

void ServiceEndpointsControllerBase::OnServiceChange(const ServicePtr& service) {
  queue_.Add(client::KeyOf(*service));
}

void ServiceEndpointsControllerBase::EnqueueForPod(const Pod& pod) {
  for (const ServicePtr& svc : ServicesSelectingPod(services_, pod)) {
    if (options_.batch_period > absl::ZeroDuration()) {
      queue_.AddAfter(client::KeyOf(*svc), options_.batch_period);
    } else {
      queue_.Add(client::KeyOf(*svc));
    }
  }
}

void ServiceEndpointsControllerBase::OnPodAdd(const PodPtr& pod) { EnqueueForPod(*pod); }

void ServiceEndpointsControllerBase::OnPodUpdate(const PodPtr& old_pod, const PodPtr& cur) {
  if (!PodEndpointFieldsChanged(*old_pod, *cur)) return;
  EnqueueForPod(*cur);
  if (!LabelsEqual(old_pod->metadata().labels(), cur->metadata().labels())) {
    EnqueueForPod(*old_pod);  // Services that no longer select it
  }
}

void ServiceEndpointsControllerBase::OnPodDelete(const PodPtr& pod) { EnqueueForPod(*pod); }

std::vector<const Pod*> ServiceEndpointsControllerBase::SelectedPods(
    const Service& service, std::vector<PodPtr>* holder) const {
  std::vector<const Pod*> out;
  for (PodPtr& pod : pods_.ListNamespace(service.metadata().namespace_())) {
    bool matches = true;
    for (const auto& [key, value] : service.spec().selector()) {
      auto it = pod->metadata().labels().find(key);
      if (it == pod->metadata().labels().end() || it->second != value) {
        matches = false;
        break;
      }
    }
    if (!matches) continue;
    out.push_back(pod.get());
    holder->push_back(std::move(pod));
  }
  return out;
}

// EndpointSliceController -------------------------------------------------

EndpointSliceController::EndpointSliceController(client::Lister<Service> services,
                                                 client::Lister<Pod> pods,
                                                 client::Lister<EndpointSlice> slices,
                                                 EndpointsClient* client,
                                                 client::EventRecorder* recorder,
                                                 EndpointsControllerOptions options)
    : ServiceEndpointsControllerBase("endpointslice", services, pods, options),
      slices_(slices),
      client_(client),
      recorder_(recorder) {}

EndpointSliceController::~EndpointSliceController() { Stop(); }

void EndpointSliceController::RegisterHandlers(client::Informer<Service>* services,
                                               client::Informer<Pod>* pods,
                                               client::Informer<EndpointSlice>* slices) {
  RegisterServiceAndPodHandlers(services, pods);
  slices->AddEventHandler({
      .on_add = [this](const SlicePtr& s) { OnSliceChange(s); },
      .on_update = [this](const SlicePtr&, const SlicePtr& s) { OnSliceChange(s); },
      .on_delete = [this](const SlicePtr& s, bool) { OnSliceChange(s); },
  });
}

void EndpointSliceController::OnSliceChange(const SlicePtr& slice) {
  const auto& labels = slice->metadata().labels();
  auto managed = labels.find(kLabelManagedBy);
  auto service = labels.find(kLabelServiceName);
  if (managed == labels.end() || managed->second != kManagedByController) return;
  if (service == labels.end()) return;
  queue_.Add(absl::StrCat(slice->metadata().namespace_(), "/", service->second));
}

void EndpointSliceController::Track(const std::string& key, const std::string& name, int64_t rv) {
  absl::MutexLock lock(&mu_);
  written_[key][name] = Written{rv, clock_->Now()};
}

bool EndpointSliceController::CacheIsStale(const std::string& key, const std::string& ns) {
  absl::MutexLock lock(&mu_);
  auto it = written_.find(key);
  if (it == written_.end()) return false;
  const absl::Time now = clock_->Now();
  bool stale = false;
  for (auto w = it->second.begin(); w != it->second.end();) {
    SlicePtr cached = slices_.Get(ns, w->first);
    const bool caught_up =
        w->second.resource_version < 0
            ? cached == nullptr
            : cached != nullptr && ParseResourceVersion(cached->metadata().resource_version()) >=
                                       w->second.resource_version;
    if (caught_up || now - w->second.at > kTrackTimeout) {
      it->second.erase(w++);
    } else {
      stale = true;
      ++w;
    }
  }
  if (it->second.empty()) written_.erase(it);
  return stale;
}

absl::Status EndpointSliceController::Sync(const std::string& key) {
  std::string ns, name;
  client::SplitKey(key, &ns, &name);
  ServicePtr service = services_.Get(ns, name);
  if (service == nullptr) {
    // The garbage collector deletes the slices the Service owned.
    trigger_times_.DeleteService(ns, name);
    absl::MutexLock lock(&mu_);
    written_.erase(key);
    return absl::OkStatus();
  }
  if (!ManagesEndpoints(*service) || service->metadata().has_deletion_timestamp()) {
    return absl::OkStatus();
  }
  if (CacheIsStale(key, ns)) {
    queue_.AddAfter(key, kStaleRetry);
    return absl::OkStatus();
  }

  std::vector<PodPtr> holder;
  std::vector<const Pod*> pods = SelectedPods(*service, &holder);
  const absl::Time trigger = trigger_times_.Compute(*service, pods);
  std::vector<EndpointSlice> existing;
  for (const SlicePtr& s : slices_.ListNamespace(ns)) {
    const auto& labels = s->metadata().labels();
    auto managed = labels.find(kLabelManagedBy);
    auto owner = labels.find(kLabelServiceName);
    if (managed == labels.end() || managed->second != kManagedByController) continue;
    if (owner == labels.end() || owner->second != name) continue;
    existing.push_back(*s);
  }
  SliceChanges changes = ReconcileSlices(*service, DesiredEndpoints(*service, pods), existing,
                                         options_.max_endpoints_per_slice);
  if (changes.empty()) return absl::OkStatus();
  for (EndpointSlice& slice : changes.create) {
    SetTriggerTimeAnnotation(trigger, slice.mutable_metadata()->mutable_annotations());
  }
  for (EndpointSlice& slice : changes.update) {
    SetTriggerTimeAnnotation(trigger, slice.mutable_metadata()->mutable_annotations());
  }

  absl::Status first_error;
  auto note = [&](const absl::Status& s) {
    if (!s.ok() && first_error.ok()) first_error = s;
  };
  for (const EndpointSlice& slice : changes.create) {
    absl::StatusOr<EndpointSlice> made = client_->CreateSlice(slice);
    if (made.ok()) {
      Track(key, made->metadata().name(),
            ParseResourceVersion(made->metadata().resource_version()));
    }
    note(made.status());
  }
  for (const EndpointSlice& slice : changes.update) {
    absl::StatusOr<EndpointSlice> updated = client_->UpdateSlice(slice);
    if (updated.ok()) {
      Track(key, updated->metadata().name(),
            ParseResourceVersion(updated->metadata().resource_version()));
    }
    note(updated.status());
  }
  for (const EndpointSlice& slice : changes.remove) {
    absl::Status deleted = client_->DeleteSlice(ns, slice.metadata().name());
    if (deleted.ok() || api::IsNotFound(deleted)) {
      Track(key, slice.metadata().name(), -1);
      continue;
    }
    note(deleted);
  }
  if (!first_error.ok()) {
    if (recorder_ != nullptr) {
      recorder_->Eventf(*service, client::kEventTypeWarning, "FailedToUpdateEndpointSlices",
                        "Error updating Endpoint Slices for Service %s: %s", key,
                        first_error.message());
    }
    return first_error;
  }
  return absl::OkStatus();
}

// EndpointsController -----------------------------------------------------

EndpointsController::EndpointsController(client::Lister<Service> services, client::Lister<Pod> pods,
                                         client::Lister<Endpoints> endpoints,
                                         EndpointsClient* client, client::EventRecorder* recorder,
                                         EndpointsControllerOptions options)
    : ServiceEndpointsControllerBase("endpoint", services, pods, options),
      endpoints_(endpoints),
      client_(client),
      recorder_(recorder) {}

EndpointsController::~EndpointsController() { Stop(); }

void EndpointsController::RegisterHandlers(client::Informer<Service>* services,
                                           client::Informer<Pod>* pods,
                                           client::Informer<Endpoints>* endpoints) {
  RegisterServiceAndPodHandlers(services, pods);
  // An Endpoints object edited or deleted by hand is put back.
  auto enqueue = [this](const std::shared_ptr<const Endpoints>& e) {
    if (services_.Get(e->metadata().namespace_(), e->metadata().name()) != nullptr) {
      queue_.Add(client::KeyOf(*e));
    }
  };
  endpoints->AddEventHandler({
      .on_add = enqueue,
      .on_update = [enqueue](const auto&, const auto& e) { enqueue(e); },
      .on_delete = [enqueue](const auto& e, bool) { enqueue(e); },
  });
}

absl::Status EndpointsController::Sync(const std::string& key) {
  std::string ns, name;
  client::SplitKey(key, &ns, &name);
  ServicePtr service = services_.Get(ns, name);
  if (service == nullptr) {
    trigger_times_.DeleteService(ns, name);
    if (endpoints_.Get(ns, name) == nullptr) return absl::OkStatus();
    absl::Status deleted = client_->DeleteEndpoints(ns, name);
    return deleted.ok() || api::IsNotFound(deleted) ? absl::OkStatus() : deleted;
  }
  if (!ManagesEndpoints(*service) || service->metadata().has_deletion_timestamp()) {
    return absl::OkStatus();
  }
  std::vector<PodPtr> holder;
  const std::vector<const Pod*> pods = SelectedPods(*service, &holder);
  const absl::Time trigger = trigger_times_.Compute(*service, pods);
  Endpoints desired = DesiredLegacyEndpoints(*service, pods);
  std::shared_ptr<const Endpoints> current = endpoints_.Get(ns, name);
  if (current != nullptr && LegacyEndpointsEqual(*current, desired)) return absl::OkStatus();

  absl::Status written;
  if (current == nullptr) {
    SetTriggerTimeAnnotation(trigger, desired.mutable_metadata()->mutable_annotations());
    written = client_->CreateEndpoints(desired).status();
  } else {
    Endpoints next = *current;
    *next.mutable_subsets() = desired.subsets();
    *next.mutable_metadata()->mutable_labels() = desired.metadata().labels();
    auto* annotations = next.mutable_metadata()->mutable_annotations();
    annotations->erase(kAnnotationOverCapacity);
    for (const auto& [k, v] : desired.metadata().annotations()) (*annotations)[k] = v;
    SetTriggerTimeAnnotation(trigger, annotations);
    written = client_->UpdateEndpoints(next).status();
  }
  if (!written.ok() && recorder_ != nullptr) {
    recorder_->Eventf(*service, client::kEventTypeWarning, "FailedToUpdateEndpoint",
                      "Failed to update endpoint %s: %s", key, written.message());
  }
  return written;
}

}  // namespace minik8s::controllers
