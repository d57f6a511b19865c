#include "controllers/endpointslice/slice_reconciler.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "controllers/endpointslice/service_pods.h"
#include "controllers/util/owner_refs.h"
#include "controllers/util/pod_util.h"
#include "google/protobuf/util/message_differencer.h"

namespace minik8s::controllers {
namespace {

using google::protobuf::util::MessageDifferencer;
using minik8s::core::v1::Pod;
using minik8s::core::v1::Service;
using minik8s::discovery::v1::Endpoint;
using minik8s::discovery::v1::EndpointPort;
using minik8s::discovery::v1::EndpointSlice;

// generateName keeps the name within 63 characters with the random suffix.
constexpr size_t kMaxGenerateNamePrefix = 58;

std::string PortSetKey(const std::vector<EndpointPort>& ports) {
  std::string key;
  for (const EndpointPort& p : ports) {
    absl::StrAppend(&key, p.name(), "/", p.protocol(), "/", p.port(), "/", p.app_protocol(), ";");
  }
  return key;
}

std::vector<EndpointPort> PortsOf(const EndpointSlice& slice) {
  return {slice.ports().begin(), slice.ports().end()};
}

// What identifies an endpoint across syncs: its pod, else its address.
std::string EndpointKey(const Endpoint& e) {
  if (!e.target_ref().uid().empty()) return absl::StrCat("uid:", e.target_ref().uid());
  return e.addresses().empty() ? std::string() : absl::StrCat("ip:", e.addresses(0));
}

std::vector<std::string> PodAddresses(const Pod& pod) {
  std::vector<std::string> out;
  for (const auto& ip : pod.status().pod_ips()) {
    if (ip.ip().find(':') == std::string::npos) out.push_back(ip.ip());
  }
  if (out.empty() && !pod.status().pod_ip().empty() &&
      pod.status().pod_ip().find(':') == std::string::npos) {
    out.push_back(pod.status().pod_ip());
  }
  return out;
}

Endpoint PodToEndpoint(const Pod& pod, const Service& service) {
  Endpoint e;
  for (std::string& a : PodAddresses(pod)) e.add_addresses(std::move(a));
  const bool serving = IsPodReady(pod);
  const bool terminating = pod.metadata().has_deletion_timestamp();
  auto* c = e.mutable_conditions();
  c->set_ready(service.spec().publish_not_ready_addresses() || (serving && !terminating));
  c->set_serving(serving);
  c->set_terminating(terminating);
  auto* ref = e.mutable_target_ref();
  ref->set_kind("Pod");
  ref->set_namespace_(pod.metadata().namespace_());
  ref->set_name(pod.metadata().name());
  ref->set_uid(pod.metadata().uid());
  if (!pod.spec().node_name().empty()) e.set_node_name(pod.spec().node_name());
  if (std::string host = EndpointHostname(pod, service); !host.empty()) e.set_hostname(host);
  return e;
}

bool LabelsMatch(const EndpointSlice& slice, const std::map<std::string, std::string>& want) {
  if (static_cast<size_t>(slice.metadata().labels().size()) != want.size()) return false;
  for (const auto& [k, v] : want) {
    auto it = slice.metadata().labels().find(k);
    if (it == slice.metadata().labels().end() || it->second != v) return false;
  }
  return true;
}

void SetLabels(EndpointSlice* slice, const std::map<std::string, std::string>& labels) {
  auto* m = slice->mutable_metadata()->mutable_labels();
  m->clear();
  for (const auto& [k, v] : labels) (*m)[k] = v;
}

EndpointSlice NewSlice(const Service& service, const std::vector<EndpointPort>& ports,
                       const std::map<std::string, std::string>& labels) {
  EndpointSlice slice;
  slice.set_api_version("discovery.k8s.io/v1");
  slice.set_kind("EndpointSlice");
  auto* meta = slice.mutable_metadata();
  std::string prefix = service.metadata().name().substr(0, kMaxGenerateNamePrefix);
  meta->set_generate_name(absl::StrCat(prefix, "-"));
  meta->set_namespace_(service.metadata().namespace_());
  *meta->add_owner_references() = NewControllerRef(service.metadata(), "v1", "Service");
  SetLabels(&slice, labels);
  slice.set_address_type("IPv4");
  for (const EndpointPort& p : ports) *slice.add_ports() = p;
  return slice;
}

// One port set's slices: the existing ones (and whether each changed) and
// the endpoints still to place.
struct Group {
  std::vector<EndpointPort> ports;
  std::vector<std::pair<EndpointSlice, bool>> slices;
  std::vector<const Endpoint*> wanted_order;  // desired order, for new placements
  absl::flat_hash_map<std::string, const Endpoint*> wanted;
};

}  // namespace

std::map<std::string, std::string> SliceLabels(const Service& service) {
  std::map<std::string, std::string> labels(service.metadata().labels().begin(),
                                            service.metadata().labels().end());
  labels.erase(kLabelHeadless);
  labels[kLabelServiceName] = service.metadata().name();
  labels[kLabelManagedBy] = kManagedByController;
  if (IsHeadless(service)) labels[kLabelHeadless] = "";
  return labels;
}

std::vector<DesiredEndpoint> DesiredEndpoints(const Service& service,
                                              const std::vector<const Pod*>& pods) {
  std::vector<DesiredEndpoint> out;
  for (const Pod* pod : pods) {
    if (!ShouldPodBeInEndpoints(*pod, /*include_terminating=*/true)) continue;
    DesiredEndpoint d;
    d.endpoint = PodToEndpoint(*pod, service);
    if (d.endpoint.addresses().empty()) continue;
    for (const auto& sp : service.spec().ports()) {
      absl::StatusOr<int32_t> port = FindPort(*pod, sp);
      if (!port.ok()) continue;
      EndpointPort p;
      p.set_name(sp.name());
      p.set_protocol(ProtocolOf(sp.protocol()));
      p.set_port(*port);
      if (sp.has_app_protocol()) p.set_app_protocol(sp.app_protocol());
      d.ports.push_back(std::move(p));
    }
    out.push_back(std::move(d));
  }
  return out;
}

SliceChanges ReconcileSlices(const Service& service, const std::vector<DesiredEndpoint>& desired,
                             const std::vector<EndpointSlice>& existing,
                             int max_endpoints_per_slice) {
  const size_t max = static_cast<size_t>(std::max(1, max_endpoints_per_slice));
  const std::map<std::string, std::string> labels = SliceLabels(service);
  std::map<std::string, Group> groups;  // by port-set key; ordered for stable output
  for (const DesiredEndpoint& d : desired) {
    Group& g = groups[PortSetKey(d.ports)];
    g.ports = d.ports;
    const std::string key = EndpointKey(d.endpoint);
    if (g.wanted.emplace(key, &d.endpoint).second) g.wanted_order.push_back(&d.endpoint);
  }

  SliceChanges changes;
  std::vector<EndpointSlice> unused;  // slices of port sets no longer wanted
  for (const EndpointSlice& slice : existing) {
    auto it = groups.find(PortSetKey(PortsOf(slice)));
    if (it == groups.end()) {
      unused.push_back(slice);
      continue;
    }
    it->second.slices.emplace_back(slice, !LabelsMatch(slice, labels));
  }

  for (auto& [key, g] : groups) {
    // Keep each wanted endpoint where it is; drop stale ones and duplicates.
    absl::flat_hash_map<std::string, const Endpoint*> to_place = g.wanted;
    for (auto& [slice, changed] : g.slices) {
      std::vector<Endpoint> kept;
      for (const Endpoint& e : slice.endpoints()) {
        auto w = to_place.find(EndpointKey(e));
        if (w == to_place.end()) {
          changed = true;
          continue;
        }
        if (!MessageDifferencer::Equals(e, *w->second)) changed = true;
        kept.push_back(*w->second);
        to_place.erase(w);
      }
      if (changed) {
        slice.clear_endpoints();
        for (Endpoint& e : kept) *slice.add_endpoints() = std::move(e);
      }
    }
    // Fill slices with room, those already changing first, then new ones.
    std::stable_sort(g.slices.begin(), g.slices.end(),
                     [](const auto& a, const auto& b) { return a.second && !b.second; });
    std::vector<const Endpoint*> pending;
    for (const Endpoint* e : g.wanted_order) {
      if (to_place.contains(EndpointKey(*e))) pending.push_back(e);
    }
    size_t next = 0;
    for (auto& [slice, changed] : g.slices) {
      while (next < pending.size() && static_cast<size_t>(slice.endpoints_size()) < max) {
        *slice.add_endpoints() = *pending[next++];
        changed = true;
      }
    }
    while (next < pending.size()) {
      EndpointSlice slice = NewSlice(service, g.ports, labels);
      while (next < pending.size() && static_cast<size_t>(slice.endpoints_size()) < max) {
        *slice.add_endpoints() = *pending[next++];
      }
      changes.create.push_back(std::move(slice));
    }
    for (auto& [slice, changed] : g.slices) {
      if (slice.endpoints_size() == 0) {
        changes.remove.push_back(std::move(slice));
      } else if (changed) {
        SetLabels(&slice, labels);
        changes.update.push_back(std::move(slice));
      }
    }
  }
  for (EndpointSlice& slice : unused) changes.remove.push_back(std::move(slice));

  // No endpoints at all: one empty placeholder slice stays (an existing one
  // if there is one).
  if (desired.empty()) {
    auto placeholder = std::find_if(
        changes.remove.begin(), changes.remove.end(),
        [](const EndpointSlice& s) { return s.endpoints_size() == 0 && s.ports_size() == 0; });
    if (placeholder != changes.remove.end()) {
      EndpointSlice keep = std::move(*placeholder);
      changes.remove.erase(placeholder);
      if (!LabelsMatch(keep, labels)) {
        SetLabels(&keep, labels);
        changes.update.push_back(std::move(keep));
      }
    } else if (!changes.remove.empty()) {
      // Reuse a slice being emptied rather than delete one and create one.
      EndpointSlice keep = std::move(changes.remove.front());
      changes.remove.erase(changes.remove.begin());
      keep.clear_endpoints();
      keep.clear_ports();
      SetLabels(&keep, labels);
      changes.update.push_back(std::move(keep));
    } else if (existing.empty()) {
      changes.create.push_back(NewSlice(service, {}, labels));
    }
  }
  return changes;
}

}  // namespace minik8s::controllers
