#include "proxy/rules.h"

#include <algorithm>
#include <map>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace minik8s::proxy {

using minik8s::core::v1::Service;
using minik8s::core::v1::ServicePort;
using minik8s::discovery::v1::EndpointSlice;

std::string RuleEndpoint::Address() const { return absl::StrCat(ip, ":", port); }

bool RuleEndpoint::operator==(const RuleEndpoint& o) const {
  return ip == o.ip && port == o.port && node_name == o.node_name && ready == o.ready &&
         serving == o.serving && terminating == o.terminating && local == o.local;
}

std::string Rule::ServicePortName() const {
  std::string out = absl::StrCat(service_namespace, "/", service_name);
  if (!port_name.empty()) absl::StrAppend(&out, ":", port_name);
  return out;
}

std::string Rule::Frontend() const {
  if (kind == FrontendKind::kNodePort) return absl::StrCat("nodePort ", port, "/TCP");
  return absl::StrCat(ip, ":", port, "/TCP");
}

namespace {

std::string ProtocolOf(const std::string& protocol) { return protocol.empty() ? "TCP" : protocol; }

// Every endpoint of one Service port across the Service's slices, keyed by
// "ip:port" (the dedup of endpointslicecache).
using EndpointSet = std::map<std::string, RuleEndpoint>;

void AddSliceEndpoints(const EndpointSlice& slice, int32_t port,
                       const absl::flat_hash_set<std::string>& local_nodes, EndpointSet* out) {
  for (const auto& e : slice.endpoints()) {
    if (e.addresses_size() == 0) continue;
    const std::string& ip = e.addresses(0);
    if (ip.find(':') != std::string::npos) continue;  // IPv6
    RuleEndpoint ep;
    ep.ip = ip;
    ep.port = port;
    ep.node_name = e.has_node_name() ? e.node_name() : "";
    ep.ready = !e.conditions().has_ready() || e.conditions().ready();
    ep.serving = !e.conditions().has_serving() || e.conditions().serving();
    ep.terminating = e.conditions().has_terminating() && e.conditions().terminating();
    ep.local = !ep.node_name.empty() && local_nodes.contains(ep.node_name);
    std::string key = ep.Address();
    auto it = out->find(key);
    if (it == out->end()) {
      out->emplace(std::move(key), std::move(ep));
    } else if (ep.local) {
      it->second = std::move(ep);
    }
  }
}

template <typename Pred>
std::vector<RuleEndpoint> Filter(const EndpointSet& all, Pred pred) {
  std::vector<RuleEndpoint> out;
  for (const auto& [key, ep] : all) {
    if (pred(ep)) out.push_back(ep);
  }
  return out;  // sorted: the map is ordered by address
}

// Ready endpoints, else serving and terminating ones; `local_only` keeps
// only endpoints on a local node (both steps).
std::vector<RuleEndpoint> Usable(const EndpointSet& all, bool local_only) {
  std::vector<RuleEndpoint> out =
      Filter(all, [&](const RuleEndpoint& ep) { return ep.ready && (!local_only || ep.local); });
  if (out.empty()) {
    out = Filter(all, [&](const RuleEndpoint& ep) {
      return ep.serving && ep.terminating && (!local_only || ep.local);
    });
  }
  return out;
}

bool HasClusterIP(const Service& s) {
  const std::string& type = s.spec().type();
  if (type == "ExternalName") return false;
  if (!type.empty() && type != "ClusterIP" && type != "NodePort" && type != "LoadBalancer") {
    return false;
  }
  const std::string& ip = s.spec().cluster_ip();
  return !ip.empty() && ip != "None";
}

}  // namespace

RuleTable BuildRules(const std::vector<const Service*>& services,
                     const std::vector<const EndpointSlice*>& slices,
                     const absl::flat_hash_set<std::string>& local_nodes) {
  // namespace/service -> its slices.
  absl::flat_hash_map<std::string, std::vector<const EndpointSlice*>> by_service;
  for (const EndpointSlice* slice : slices) {
    if (slice->address_type() == "FQDN" || slice->address_type() == "IPv6") continue;
    auto label = slice->metadata().labels().find(kLabelServiceName);
    if (label == slice->metadata().labels().end() || label->second.empty()) continue;
    by_service[absl::StrCat(slice->metadata().namespace_(), "/", label->second)].push_back(slice);
  }

  RuleTable table;
  for (const Service* s : services) {
    if (!HasClusterIP(*s)) continue;
    const std::string& ns = s->metadata().namespace_();
    const std::string& name = s->metadata().name();
    const std::string& type = s->spec().type();
    const bool external = type == "NodePort" || type == "LoadBalancer";
    const bool internal_local = s->spec().internal_traffic_policy() == "Local";
    const bool external_local = external && s->spec().external_traffic_policy() == "Local";
    auto service_slices = by_service.find(absl::StrCat(ns, "/", name));
    for (const ServicePort& sp : s->spec().ports()) {
      const std::string protocol = ProtocolOf(sp.protocol());
      std::string port_id = absl::StrCat(ns, "/", name);
      if (!sp.name().empty()) absl::StrAppend(&port_id, ":", sp.name());
      if (protocol != "TCP") {
        table.unsupported.push_back(
            {port_id, absl::StrCat(port_id, " ", sp.port(), "/", protocol)});
        continue;
      }
      EndpointSet all;
      if (service_slices != by_service.end()) {
        for (const EndpointSlice* slice : service_slices->second) {
          for (const auto& p : slice->ports()) {
            const std::string pname = p.has_name() ? p.name() : "";
            const std::string pproto = p.has_protocol() ? ProtocolOf(p.protocol()) : "TCP";
            if (pname != sp.name() || pproto != protocol) continue;
            if (!p.has_port() || p.port() == 0) continue;
            AddSliceEndpoints(*slice, p.port(), local_nodes, &all);
          }
        }
      }
      Rule base;
      base.service_namespace = ns;
      base.service_name = name;
      base.port_name = sp.name();

      Rule cluster = base;
      cluster.kind = FrontendKind::kClusterIP;
      cluster.ip = s->spec().cluster_ip();
      cluster.port = sp.port();
      cluster.local_policy = internal_local;
      cluster.endpoints = Usable(all, internal_local);
      table.rules.push_back(std::move(cluster));

      if (external && sp.node_port() != 0) {
        Rule node_port = std::move(base);
        node_port.kind = FrontendKind::kNodePort;
        node_port.port = sp.node_port();
        node_port.local_policy = external_local;
        node_port.endpoints = Usable(all, external_local);
        table.rules.push_back(std::move(node_port));
      }
    }
  }
  std::sort(table.rules.begin(), table.rules.end(), [](const Rule& a, const Rule& b) {
    return std::tie(a.service_namespace, a.service_name, a.port_name, a.kind) <
           std::tie(b.service_namespace, b.service_name, b.port_name, b.kind);
  });
  return table;
}

}  // namespace minik8s::proxy
