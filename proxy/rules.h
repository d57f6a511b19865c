// The rule table kube-proxy would program, computed from Services and
// EndpointSlices (Kubernetes pkg/proxy: servicechangetracker,
// endpointslicecache and topology.go's CategorizeEndpoints).
//
// One Rule is one frontend of one Service port: its cluster IP and port, or
// its node port (bound on every --nodeport-addresses entry), with the
// endpoints a new connection to that frontend may go to. The semantics:
//
//   - Services of type ClusterIP (or unset), NodePort and LoadBalancer with a
//     cluster IP get rules; headless Services (clusterIP None) and
//     ExternalName Services get none. A NodePort rule is added for a port
//     with a nodePort (types NodePort and LoadBalancer).
//   - Only TCP is carried; a UDP or SCTP port gives no rule and is listed in
//     RuleTable::unsupported (the daemon logs each once).
//   - Endpoints come from every EndpointSlice labelled
//     kubernetes.io/service-name=<service> in the Service's namespace. A slice
//     port matches a Service port by name and protocol (an unset name is "",
//     an unset protocol TCP, as the apiserver defaults them); a slice port
//     without a number (or 0) is ignored. Of an endpoint only its first
//     address counts; the same address:port in two slices counts once
//     (preferring the copy on a local node). IPv6 addresses are ignored (the
//     proxy is IPv4 only) and so are FQDN slices.
//   - Conditions: ready and serving unset mean true, terminating unset means
//     false. Usable endpoints are the ready ones; when none is ready, the
//     serving and terminating ones (kube-proxy's fallback, KEP-1669).
//   - internalTrafficPolicy Local: the cluster IP rule uses only endpoints
//     whose nodeName is a local node (ready ones, else local serving and
//     terminating ones); externalTrafficPolicy Local does the same for the
//     NodePort rule. Topology hints and trafficDistribution are not followed
//     (minik8s nodes have no zones).
//
// `local_nodes` is the set of node names the proxy serves: one for a proxy
// per node, several when one process serves many simulated nodes (then
// "local" means on any of them, as if they were one node).
//
// Thread safety: pure functions.
#ifndef MINIK8S_PROXY_RULES_H_
#define MINIK8S_PROXY_RULES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "k8s/core/v1/core.pb.h"
#include "k8s/discovery/v1/discovery.pb.h"

namespace minik8s::proxy {

// The label that ties an EndpointSlice to its Service.
inline constexpr char kLabelServiceName[] = "kubernetes.io/service-name";

enum class FrontendKind { kClusterIP, kNodePort };

// One usable endpoint of a rule.
struct RuleEndpoint {
  std::string ip;
  int32_t port = 0;
  std::string node_name;  // "" when the slice does not say
  bool ready = true;
  bool serving = true;
  bool terminating = false;
  bool local = false;  // node_name is one of the local nodes

  std::string Address() const;  // "ip:port"
  bool operator==(const RuleEndpoint& o) const;
};

struct Rule {
  std::string service_namespace;
  std::string service_name;
  std::string port_name;  // the Service port's name ("" for a single unnamed port)
  FrontendKind kind = FrontendKind::kClusterIP;
  std::string ip;    // the cluster IP; "" for a NodePort rule
  int32_t port = 0;  // the Service port, or the node port
  // True when a Local traffic policy applies to this frontend.
  bool local_policy = false;
  // Usable endpoints, sorted by Address(); empty: the frontend refuses
  // connections.
  std::vector<RuleEndpoint> endpoints;

  // "default/web:http" (or "default/web" for an unnamed port).
  std::string ServicePortName() const;
  // The frontend: "127.96.0.10:80/TCP" or "nodePort 30080/TCP".
  std::string Frontend() const;
};

// A port the proxy does not carry, e.g. "default/dns:dns-udp 53/UDP".
struct UnsupportedPort {
  std::string service_port;
  std::string description;
};

struct RuleTable {
  // Sorted by (namespace, name, port name, kind).
  std::vector<Rule> rules;
  std::vector<UnsupportedPort> unsupported;
};

RuleTable BuildRules(const std::vector<const minik8s::core::v1::Service*>& services,
                     const std::vector<const minik8s::discovery::v1::EndpointSlice*>& slices,
                     const absl::flat_hash_set<std::string>& local_nodes);

}  // namespace minik8s::proxy

#endif  // MINIK8S_PROXY_RULES_H_
