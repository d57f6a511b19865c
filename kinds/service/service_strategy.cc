// Services (core/v1): status subresource (the load balancer's addresses),
// the "all" category, and the server's pools: a create or update takes the
// cluster IP and node ports the Service needs from the apiserver's
// allocators (apiserver/registry/service_allocator.h) and gives back what
// the write did not keep; a removed Service gives back what it held. The
// update preparation follows Kubernetes' service strategy: clusterIPs
// follows clusterIP, values a client left out of an update (clusterIP,
// nodePorts) keep their allocated values, and fields a new type does not
// use are dropped.
#include <utility>

#include "k8s/core/v1/core.pb.h"
#include "kinds/strategy_entry.h"

namespace minik8s::apiserver {
namespace {

using core::v1::Service;

std::string TypeOf(const Service& service) {
  return service.spec().type().empty() ? "ClusterIP" : service.spec().type();
}

bool SameClusterIps(const Service& a, const Service& b) {
  return std::equal(a.spec().cluster_ips().begin(), a.spec().cluster_ips().end(),
                    b.spec().cluster_ips().begin(), b.spec().cluster_ips().end());
}

bool TypeNeedsClusterIp(const Service& service) { return TypeOf(service) != "ExternalName"; }

bool TypeNeedsNodePorts(const Service& service) {
  const std::string type = TypeOf(service);
  return type == "NodePort" ||
         (type == "LoadBalancer" && (!service.spec().has_allocate_load_balancer_node_ports() ||
                                     service.spec().allocate_load_balancer_node_ports()));
}

// Kubernetes' NormalizeClusterIPs: an old client sets only clusterIP.
void NormalizeClusterIps(const Service* old, Service* service) {
  auto* spec = service->mutable_spec();
  if (old == nullptr) {
    if (!spec->cluster_ip().empty() && spec->cluster_ips().empty()) {
      spec->add_cluster_ips(spec->cluster_ip());
    }
    return;
  }
  if (!old->spec().cluster_ips().empty() && spec->cluster_ips().empty() &&
      old->spec().cluster_ip() == spec->cluster_ip()) {
    *spec->mutable_cluster_ips() = old->spec().cluster_ips();
  }
  if (old->spec().cluster_ip() != spec->cluster_ip()) {
    if (!old->spec().cluster_ip().empty() && spec->cluster_ip().empty()) {
      if (SameClusterIps(*old, *service)) spec->clear_cluster_ips();
    } else if (SameClusterIps(*old, *service)) {
      spec->clear_cluster_ips();
      spec->add_cluster_ips(spec->cluster_ip());
    }
  }
}

// Kubernetes' patchAllocatedValues: what an update leaves out keeps the
// allocated value.
void KeepAllocatedValues(const Service& old, Service* service) {
  auto* spec = service->mutable_spec();
  if (TypeNeedsClusterIp(old) && TypeNeedsClusterIp(*service)) {
    if (spec->cluster_ip().empty()) spec->set_cluster_ip(old.spec().cluster_ip());
    if (spec->cluster_ips().empty()) *spec->mutable_cluster_ips() = old.spec().cluster_ips();
  }
  if (TypeNeedsNodePorts(old) && TypeNeedsNodePorts(*service)) {
    for (auto& port : *spec->mutable_ports()) {
      if (port.node_port() != 0) continue;
      const std::string protocol = port.protocol().empty() ? "TCP" : port.protocol();
      for (const auto& old_port : old.spec().ports()) {
        if (old_port.port() == port.port() && old_port.protocol() == protocol) {
          port.set_node_port(old_port.node_port());
          break;
        }
      }
    }
    if (spec->health_check_node_port() == 0) {
      spec->set_health_check_node_port(old.spec().health_check_node_port());
    }
  }
}

// Kubernetes' dropTypeDependentFields: values the new type does not use
// go, when the update left them as they were.
void DropTypeDependentFields(const Service& old, Service* service) {
  auto* spec = service->mutable_spec();
  if (TypeOf(*service) == "ExternalName" && TypeOf(old) != "ExternalName") {
    if (spec->cluster_ip() == old.spec().cluster_ip()) spec->clear_cluster_ip();
    if (SameClusterIps(old, *service)) spec->clear_cluster_ips();
    if (std::equal(spec->ip_families().begin(), spec->ip_families().end(),
                   old.spec().ip_families().begin(), old.spec().ip_families().end())) {
      spec->clear_ip_families();
    }
    if (spec->has_ip_family_policy() && old.spec().has_ip_family_policy() &&
        spec->ip_family_policy() == old.spec().ip_family_policy()) {
      spec->clear_ip_family_policy();
    }
  }
  if (!TypeNeedsNodePorts(*service) && TypeNeedsNodePorts(old)) {
    for (auto& port : *spec->mutable_ports()) {
      for (const auto& old_port : old.spec().ports()) {
        if (old_port.node_port() != 0 && old_port.node_port() == port.node_port()) {
          port.clear_node_port();
        }
      }
    }
  }
  const std::string type = TypeOf(*service);
  const bool external = type == "NodePort" || type == "LoadBalancer" ||
                        (type == "ClusterIP" && !spec->external_ips().empty());
  if (!external && spec->external_traffic_policy() == old.spec().external_traffic_policy()) {
    spec->clear_external_traffic_policy();
  }
  if (type != "LoadBalancer") {
    if (spec->has_allocate_load_balancer_node_ports() &&
        old.spec().has_allocate_load_balancer_node_ports() &&
        spec->allocate_load_balancer_node_ports() ==
            old.spec().allocate_load_balancer_node_ports()) {
      spec->clear_allocate_load_balancer_node_ports();
    }
    if (spec->health_check_node_port() == old.spec().health_check_node_port()) {
      spec->clear_health_check_node_port();
    }
  }
}

class ServiceAllocation : public Strategy::Allocation {
 public:
  ServiceAllocation(ServiceAllocators* pools, ServiceAllocators::Taken taken,
                    std::unique_ptr<Service> old, Service now)
      : pools_(pools), taken_(std::move(taken)), old_(std::move(old)), now_(std::move(now)) {}

  void Commit() override {
    if (old_ != nullptr) pools_->ReleaseUnused(*old_, now_);
  }
  void Abort() override { pools_->Release(taken_); }

 private:
  ServiceAllocators* const pools_;
  const ServiceAllocators::Taken taken_;
  const std::unique_ptr<Service> old_;
  const Service now_;
};

class ServiceStrategy : public Strategy {
 public:
  explicit ServiceStrategy(const api::KindInfo* kind)
      : Strategy(kind, Traits{.status_subresource = true,
                              .clear_status_on_create = true,
                              .categories = {"all"}}) {}

  void PrepareForCreate(google::protobuf::Message* object) const override {
    Strategy::PrepareForCreate(object);
    auto* service = static_cast<Service*>(object);
    // Kubernetes prints `status: {loadBalancer: {}}` for a new Service.
    service->mutable_status()->mutable_load_balancer();
    NormalizeClusterIps(nullptr, service);
  }

  void PrepareForUpdate(google::protobuf::Message* object,
                        const google::protobuf::Message& old) const override {
    Strategy::PrepareForUpdate(object, old);
    auto* service = static_cast<Service*>(object);
    const auto& old_service = static_cast<const Service&>(old);
    KeepAllocatedValues(old_service, service);
    NormalizeClusterIps(&old_service, service);
    DropTypeDependentFields(old_service, service);
  }

  absl::StatusOr<std::unique_ptr<Allocation>> Allocate(google::protobuf::Message* object,
                                                       const google::protobuf::Message* old,
                                                       const ServerPools& pools) const override {
    if (pools.services == nullptr) return nullptr;
    auto* service = static_cast<Service*>(object);
    const auto* old_service = static_cast<const Service*>(old);
    absl::StatusOr<ServiceAllocators::Taken> taken = pools.services->Allocate(service, old_service);
    if (!taken.ok()) return taken.status();
    return std::make_unique<ServiceAllocation>(
        pools.services, std::move(*taken),
        old_service != nullptr ? std::make_unique<Service>(*old_service) : nullptr, *service);
  }

  void Release(const google::protobuf::Message& removed, const ServerPools& pools) const override {
    if (pools.services != nullptr) {
      pools.services->ReleaseService(static_cast<const Service&>(removed));
    }
  }
};

}  // namespace

std::unique_ptr<Strategy> NewServiceStrategy(const api::KindInfo* kind) {
  return std::make_unique<ServiceStrategy>(kind);
}

}  // namespace minik8s::apiserver
