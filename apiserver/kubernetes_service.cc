#include "apiserver/kubernetes_service.h"

#include <memory>
#include <utility>

#include "api/time.h"
#include "apiserver/identity.h"
#include "common/status_macros.h"
#include "google/protobuf/util/message_differencer.h"
#include "k8s/core/v1/core.pb.h"
#include "k8s/discovery/v1/discovery.pb.h"

namespace minik8s::apiserver {
namespace {

constexpr char kNamespace[] = "default";
constexpr char kPortName[] = "https";
constexpr int kServicePort = 443;

core::v1::Service DesiredService(const std::string& cluster_ip, int port) {
  core::v1::Service service;
  service.set_api_version("v1");
  service.set_kind("Service");
  auto* meta = service.mutable_metadata();
  meta->set_name(kKubernetesServiceName);
  meta->set_namespace_(kNamespace);
  (*meta->mutable_labels())["component"] = "apiserver";
  (*meta->mutable_labels())["provider"] = "kubernetes";
  auto* spec = service.mutable_spec();
  spec->set_type("ClusterIP");
  spec->set_cluster_ip(cluster_ip);
  spec->set_session_affinity("None");
  auto* p = spec->add_ports();
  p->set_name(kPortName);
  p->set_protocol("TCP");
  p->set_port(kServicePort);
  p->mutable_target_port()->set_int_val(port);
  return service;
}

// Creates `desired` in the store, or makes the stored object's `part` equal
// to desired's (the rest of the stored object is kept).
template <typename T>
absl::Status EnsureStored(Handler* handler, const std::string& resource, T desired,
                          void (*copy_part)(const T& from, T* to)) {
  ASSIGN_OR_RETURN(const Strategy* strategy, handler->registry().Find(resource));
  const api::KindInfo& kind = strategy->kind();
  ObjectStore* store = handler->store();
  const std::string key = store->Key(kind, kNamespace, kKubernetesServiceName);
  absl::StatusOr<UpdateResult> updated = store->GuaranteedUpdate(
      kind, key, kKubernetesServiceName,
      [&](const google::protobuf::Message& current) -> absl::StatusOr<UpdateAction> {
        auto object = std::make_unique<T>(static_cast<const T&>(current));
        copy_part(desired, object.get());
        UpdateAction action;
        action.object = std::move(object);
        return action;
      });
  if (updated.ok() || updated.status().code() != absl::StatusCode::kNotFound) {
    return updated.status();
  }
  desired.mutable_metadata()->set_uid(NewUuidV4());
  *desired.mutable_metadata()->mutable_creation_timestamp() = api::NowTime();
  absl::StatusOr<MessagePtr> created = store->Create(kind, key, desired);
  if (created.status().code() == absl::StatusCode::kAlreadyExists) return absl::OkStatus();
  return created.status();
}

}  // namespace

absl::Status EnsureKubernetesService(Handler* handler, const std::string& cluster_ip,
                                     const std::string& address, int port) {
  // The Service, through the handler: the allocator takes its cluster IP.
  ASSIGN_OR_RETURN(const Strategy* services, handler->registry().Find("services"));
  const api::KindInfo& service_kind = services->kind();
  absl::StatusOr<MessagePtr> stored = handler->store()->Get(
      service_kind, handler->store()->Key(service_kind, kNamespace, kKubernetesServiceName),
      kKubernetesServiceName);
  const core::v1::Service desired = DesiredService(cluster_ip, port);
  if (stored.status().code() == absl::StatusCode::kNotFound) {
    apiv1::CreateRequest request;
    request.set_resource("services");
    request.set_namespace_(kNamespace);
    request.set_object(desired.SerializeAsString());
    apiv1::ObjectResponse response;
    absl::Status status = handler->Create(request, &response);
    if (!status.ok() && status.code() != absl::StatusCode::kAlreadyExists) return status;
  } else if (!stored.ok()) {
    return stored.status();
  } else {
    // Keep the ports pointing at this apiserver (its port may have changed).
    auto service = static_cast<const core::v1::Service&>(**stored);
    bool same = service.spec().ports_size() == 1;
    if (same) {
      const auto& p = service.spec().ports(0);
      same = p.name() == kPortName && p.port() == kServicePort &&
             p.target_port().int_val() == port && !p.target_port().has_str_val();
    }
    if (!same) {
      *service.mutable_spec()->mutable_ports() = desired.spec().ports();
      apiv1::UpdateRequest request;
      request.set_resource("services");
      request.set_namespace_(kNamespace);
      request.set_name(kKubernetesServiceName);
      request.set_object(service.SerializeAsString());
      apiv1::ObjectResponse response;
      RETURN_IF_ERROR(handler->Update(request, &response));
    }
  }

  core::v1::Endpoints endpoints;
  endpoints.set_api_version("v1");
  endpoints.set_kind("Endpoints");
  endpoints.mutable_metadata()->set_name(kKubernetesServiceName);
  endpoints.mutable_metadata()->set_namespace_(kNamespace);
  (*endpoints.mutable_metadata()->mutable_labels())["endpointslice.kubernetes.io/skip-mirror"] =
      "true";
  auto* subset = endpoints.add_subsets();
  subset->add_addresses()->set_ip(address);
  auto* endpoints_port = subset->add_ports();
  endpoints_port->set_name(kPortName);
  endpoints_port->set_port(port);
  endpoints_port->set_protocol("TCP");
  RETURN_IF_ERROR(EnsureStored<core::v1::Endpoints>(
      handler, "endpoints", endpoints,
      [](const core::v1::Endpoints& from, core::v1::Endpoints* to) {
        *to->mutable_subsets() = from.subsets();
      }));

  discovery::v1::EndpointSlice slice;
  slice.set_api_version("discovery.k8s.io/v1");
  slice.set_kind("EndpointSlice");
  slice.mutable_metadata()->set_name(kKubernetesServiceName);
  slice.mutable_metadata()->set_namespace_(kNamespace);
  (*slice.mutable_metadata()->mutable_labels())["kubernetes.io/service-name"] =
      kKubernetesServiceName;
  slice.set_address_type("IPv4");
  auto* endpoint = slice.add_endpoints();
  endpoint->add_addresses(address);
  endpoint->mutable_conditions()->set_ready(true);
  auto* slice_port = slice.add_ports();
  slice_port->set_name(kPortName);
  slice_port->set_port(port);
  slice_port->set_protocol("TCP");
  return EnsureStored<discovery::v1::EndpointSlice>(
      handler, "endpointslices.discovery.k8s.io", slice,
      [](const discovery::v1::EndpointSlice& from, discovery::v1::EndpointSlice* to) {
        to->set_address_type(from.address_type());
        *to->mutable_endpoints() = from.endpoints();
        *to->mutable_ports() = from.ports();
      });
}

}  // namespace minik8s::apiserver
