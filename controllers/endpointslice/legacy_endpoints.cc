#include "controllers/endpointslice/legacy_endpoints.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "controllers/endpointslice/service_pods.h"
#include "controllers/util/owner_refs.h"
#include "controllers/util/pod_util.h"
#include "google/protobuf/util/message_differencer.h"

namespace minik8s::controllers {
namespace {

using minik8s::core::v1::EndpointAddress;
using minik8s::core::v1::EndpointPort;
using minik8s::core::v1::Endpoints;
using minik8s::core::v1::EndpointSubset;
using minik8s::core::v1::Pod;
using minik8s::core::v1::Service;

struct Subset {
  std::vector<EndpointPort> ports;
  std::vector<EndpointAddress> ready;
  std::vector<EndpointAddress> not_ready;
};

std::string PortsKey(const std::vector<EndpointPort>& ports) {
  std::string key;
  for (const EndpointPort& p : ports) {
    absl::StrAppend(&key, p.name(), "/", p.protocol(), "/", p.port(), ";");
  }
  return key;
}

void SortByIp(std::vector<EndpointAddress>* addresses) {
  std::sort(addresses->begin(), addresses->end(),
            [](const EndpointAddress& a, const EndpointAddress& b) { return a.ip() < b.ip(); });
}

}  // namespace

Endpoints DesiredLegacyEndpoints(const Service& service, const std::vector<const Pod*>& pods) {
  const bool tolerate_unready = service.spec().publish_not_ready_addresses();
  std::map<std::string, Subset> subsets;
  for (const Pod* pod : pods) {
    if (!ShouldPodBeInEndpoints(*pod, tolerate_unready)) continue;
    const std::string& ip =
        pod->status().pod_ip().empty() ? pod->status().pod_ips(0).ip() : pod->status().pod_ip();
    EndpointAddress address;
    address.set_ip(ip);
    if (!pod->spec().node_name().empty()) address.set_node_name(pod->spec().node_name());
    if (std::string host = EndpointHostname(*pod, service); !host.empty()) {
      address.set_hostname(host);
    }
    auto* ref = address.mutable_target_ref();
    ref->set_kind("Pod");
    ref->set_namespace_(pod->metadata().namespace_());
    ref->set_name(pod->metadata().name());
    ref->set_uid(pod->metadata().uid());

    std::vector<EndpointPort> ports;
    for (const auto& sp : service.spec().ports()) {
      absl::StatusOr<int32_t> port = FindPort(*pod, sp);
      if (!port.ok()) continue;
      EndpointPort p;
      p.set_name(sp.name());
      p.set_port(*port);
      p.set_protocol(ProtocolOf(sp.protocol()));
      if (sp.has_app_protocol()) p.set_app_protocol(sp.app_protocol());
      ports.push_back(std::move(p));
    }
    // A Service with ports but none this pod serves: no endpoint (Kubernetes
    // adds the address only per resolved port); a headless one without
    // ports lists the address alone.
    if (ports.empty() && service.spec().ports_size() > 0) continue;
    Subset& subset = subsets[PortsKey(ports)];
    subset.ports = std::move(ports);
    if (tolerate_unready || IsPodReady(*pod)) {
      subset.ready.push_back(std::move(address));
    } else {
      subset.not_ready.push_back(std::move(address));
    }
  }

  Endpoints out;
  out.set_api_version("v1");
  out.set_kind("Endpoints");
  auto* meta = out.mutable_metadata();
  meta->set_name(service.metadata().name());
  meta->set_namespace_(service.metadata().namespace_());
  *meta->mutable_labels() = service.metadata().labels();
  meta->mutable_labels()->erase(kLabelHeadless);
  if (IsHeadless(service)) (*meta->mutable_labels())[kLabelHeadless] = "";
  int budget = kMaxEndpointsAddresses;
  for (auto& [key, s] : subsets) {
    SortByIp(&s.ready);
    SortByIp(&s.not_ready);
    EndpointSubset* subset = out.add_subsets();
    for (EndpointAddress& a : s.ready) {
      if (budget == 0) break;
      *subset->add_addresses() = std::move(a);
      --budget;
    }
    for (EndpointAddress& a : s.not_ready) {
      if (budget == 0) break;
      *subset->add_not_ready_addresses() = std::move(a);
      --budget;
    }
    for (EndpointPort& p : s.ports) *subset->add_ports() = std::move(p);
    if (s.ready.size() + s.not_ready.size() >
        static_cast<size_t>(subset->addresses_size() + subset->not_ready_addresses_size())) {
      (*meta->mutable_annotations())[kAnnotationOverCapacity] = "truncated";
    }
    if (subset->addresses_size() + subset->not_ready_addresses_size() == 0) {
      out.mutable_subsets()->RemoveLast();
    }
  }
  return out;
}

bool LegacyEndpointsEqual(const Endpoints& current, const Endpoints& desired) {
  using google::protobuf::util::MessageDifferencer;
  if (!LabelsEqual(current.metadata().labels(), desired.metadata().labels())) return false;
  auto over = [](const Endpoints& e) {
    auto it = e.metadata().annotations().find(kAnnotationOverCapacity);
    return it == e.metadata().annotations().end() ? std::string() : it->second;
  };
  if (over(current) != over(desired)) return false;
  if (current.subsets_size() != desired.subsets_size()) return false;
  for (int i = 0; i < desired.subsets_size(); ++i) {
    if (!MessageDifferencer::Equals(current.subsets(i), desired.subsets(i))) return false;
  }
  return true;
}

}  // namespace minik8s::controllers
