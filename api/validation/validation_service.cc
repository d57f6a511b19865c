// Services, Endpoints and EndpointSlices: defaulting and validation
// (validation_service.h).
#include "api/validation/validation_service.h"

#include <arpa/inet.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/validation/names.h"
#include "api/validation/validation.h"
#include "api/validation/validation_internal.h"

namespace minik8s::validation {

using internal::Append;
using minik8s::core::v1::Endpoints;
using minik8s::core::v1::Service;
using minik8s::core::v1::ServicePort;
using minik8s::discovery::v1::EndpointSlice;
using minik8s::meta::v1::IntOrString;

namespace {

constexpr char kNone[] = "None";
constexpr int32_t kDefaultClientIpTimeout = 10800;  // 3 hours
constexpr int32_t kMaxClientIpTimeout = 86400;
constexpr int kKubeletPort = 10250;
constexpr int kMaxSliceEndpoints = 1000;
constexpr int kMaxEndpointAddresses = 100;
constexpr int kMaxSlicePorts = 20000;
const std::vector<std::string> kProtocols = {"SCTP", "TCP", "UDP"};
const std::vector<std::string> kServiceTypes = {"ClusterIP", "ExternalName", "LoadBalancer",
                                                "NodePort"};
const std::vector<std::string> kAffinities = {"ClientIP", "None"};
const std::vector<std::string> kIpFamilies = {"IPv4", "IPv6"};
const std::vector<std::string> kIpFamilyPolicies = {"PreferDualStack", "RequireDualStack",
                                                    "SingleStack"};
const std::vector<std::string> kTrafficPolicies = {"Cluster", "Local"};
const std::vector<std::string> kAddressTypes = {"FQDN", "IPv4", "IPv6"};

bool IsIpv4(std::string_view ip) {
  in_addr addr;
  return inet_pton(AF_INET, std::string(ip).c_str(), &addr) == 1;
}

bool IsIpv6(std::string_view ip) {
  in6_addr addr;
  return inet_pton(AF_INET6, std::string(ip).c_str(), &addr) == 1;
}

std::vector<std::string> Strings(const google::protobuf::RepeatedPtrField<std::string>& values) {
  return {values.begin(), values.end()};
}

bool IsHeadless(const Service& service) {
  return service.spec().type() == "ClusterIP" && !service.spec().cluster_ips().empty() &&
         service.spec().cluster_ips(0) == kNone;
}

bool ExternallyAccessible(const Service& service) {
  const std::string& type = service.spec().type();
  return type == "LoadBalancer" || type == "NodePort" ||
         (type == "ClusterIP" && !service.spec().external_ips().empty());
}

void DNS1123Label(std::string_view value, const FieldPath& path, FieldErrors* errs) {
  for (const std::string& msg : IsDNS1123Label(value)) errs->push_back(Invalid(path, value, msg));
}

void QualifiedName(std::string_view value, const FieldPath& path, FieldErrors* errs) {
  for (const std::string& msg : IsQualifiedName(value)) errs->push_back(Invalid(path, value, msg));
}

void PortNumOrName(const IntOrString& port, const FieldPath& path, FieldErrors* errs) {
  if (port.has_str_val()) {
    for (const std::string& msg : IsValidPortName(port.str_val())) {
      errs->push_back(Invalid(path, port.str_val(), msg));
    }
  } else {
    for (const std::string& msg : IsValidPortNum(port.int_val())) {
      errs->push_back(Invalid(path, static_cast<int64_t>(port.int_val()), msg));
    }
  }
}

void Protocol(std::string_view protocol, const FieldPath& path, FieldErrors* errs) {
  if (protocol.empty()) {
    errs->push_back(Required(path, ""));
  } else if (std::find(kProtocols.begin(), kProtocols.end(), protocol) == kProtocols.end()) {
    errs->push_back(NotSupported(path, protocol, kProtocols));
  }
}

void OneOf(std::string_view value, const std::vector<std::string>& allowed, const FieldPath& path,
           FieldErrors* errs) {
  if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
    errs->push_back(NotSupported(path, value, allowed));
  }
}

// Go's %#v of the key Kubernetes reports a duplicate (protocol, port) with.
std::string PrintPortKey(const ServicePort& port) {
  return absl::StrCat(
      "core.ServicePort{Name:\"\", Protocol:", QuoteValue(port.protocol()),
      ", AppProtocol:(*string)(nil), Port:", port.port(),
      ", TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}, NodePort:0}");
}

void ServicePortErrors(const ServicePort& port, bool require_name, std::set<std::string>* names,
                       const FieldPath& path, FieldErrors* errs) {
  if (require_name && port.name().empty()) {
    errs->push_back(Required(path.Child("name"), ""));
  } else if (!port.name().empty()) {
    DNS1123Label(port.name(), path.Child("name"), errs);
    if (!names->insert(port.name()).second) {
      errs->push_back(Duplicate(path.Child("name"), port.name()));
    }
  }
  for (const std::string& msg : IsValidPortNum(port.port())) {
    errs->push_back(Invalid(path.Child("port"), static_cast<int64_t>(port.port()), msg));
  }
  Protocol(port.protocol(), path.Child("protocol"), errs);
  PortNumOrName(port.target_port(), path.Child("targetPort"), errs);
  if (port.has_app_protocol()) QualifiedName(port.app_protocol(), path.Child("appProtocol"), errs);
}

// ValidateServiceClusterIPsRelatedFields.
void ClusterIpErrors(const Service& service, FieldErrors* errs) {
  const auto& spec = service.spec();
  if (spec.type() == "ExternalName") return;
  const FieldPath sp("spec");
  const FieldPath ips_path = sp.Child("clusterIPs");
  const std::vector<std::string> ips = Strings(spec.cluster_ips());
  FieldErrors local;
  if (!spec.cluster_ip().empty()) {
    if (ips.empty()) {
      local.push_back(Required(ips_path, ""));
    } else if (ips[0] != spec.cluster_ip()) {
      local.push_back(
          InvalidPrinted(ips_path, PrintStringSlice(ips), "first value must match `clusterIP`"));
    }
  } else if (!ips.empty()) {
    local.push_back(InvalidPrinted(ips_path, PrintStringSlice(ips),
                                   "must be empty when `clusterIP` is not specified"));
  }
  std::set<std::string> seen;
  for (int i = 0; i < spec.ip_families_size(); ++i) {
    const std::string& family = spec.ip_families(i);
    OneOf(family, kIpFamilies, sp.Child("ipFamilies").Index(i), &local);
    if (!seen.insert(family).second) {
      local.push_back(Duplicate(sp.Child("ipFamilies").Index(i), family));
    }
  }
  if (spec.has_ip_family_policy()) {
    OneOf(spec.ip_family_policy(), kIpFamilyPolicies, sp.Child("ipFamilyPolicy"), &local);
  }
  for (size_t i = 0; i < ips.size(); ++i) {
    if (i == 0 && ips[i] == kNone) {
      if (ips.size() > 1) {
        local.push_back(InvalidPrinted(ips_path, PrintStringSlice(ips),
                                       "'None' must be the first and only value"));
      }
      continue;
    }
    for (const std::string& msg : IsValidIP(ips[i])) {
      local.push_back(Invalid(ips_path.Index(i), ips[i], msg));
    }
  }
  if (ips.size() > 2) {
    local.push_back(
        InvalidPrinted(ips_path, PrintStringSlice(ips), "may only hold up to 2 values"));
  }
  if (local.empty() && ips.size() == 2 && IsIpv4(ips[0]) == IsIpv4(ips[1])) {
    local.push_back(InvalidPrinted(ips_path, PrintStringSlice(ips),
                                   "may specify no more than one IP for each IP family"));
  }
  if (local.empty() && !IsHeadless(service)) {
    for (size_t i = 0; i < ips.size() && i < static_cast<size_t>(spec.ip_families_size()); ++i) {
      if (spec.ip_families(i) == "IPv4" && IsIpv6(ips[i])) {
        local.push_back(
            Invalid(ips_path.Index(i), ips[i],
                    absl::StrCat("expected an IPv4 value as indicated by `ipFamilies[", i, "]`")));
      }
      if (spec.ip_families(i) == "IPv6" && IsIpv4(ips[i])) {
        local.push_back(
            Invalid(ips_path.Index(i), ips[i],
                    absl::StrCat("expected an IPv6 value as indicated by `ipFamilies[", i, "]`")));
      }
    }
  }
  Append(errs, std::move(local));
}

}  // namespace

std::vector<std::string> NonSpecialIpv4Errors(std::string_view ip) {
  in_addr addr;
  if (inet_pton(AF_INET, std::string(ip).c_str(), &addr) != 1) return {};
  const uint32_t v = ntohl(addr.s_addr);
  if (v == 0) return {"may not be unspecified (0.0.0.0)"};
  if ((v >> 24) == 127) return {kLoopbackRangeMsg};
  if ((v >> 16) == 0xA9FE)
    return {"may not be in the link-local range (169.254.0.0/16, fe80::/10)"};
  if ((v >> 8) == 0xE00000) {
    return {"may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"};
  }
  return {};
}

// ---------------------------------------------------------------- defaults

void SetServiceDefaults(Service* service) {
  auto* spec = service->mutable_spec();
  if (spec->session_affinity().empty()) spec->set_session_affinity("None");
  if (spec->session_affinity() == "None") spec->clear_session_affinity_config();
  if (spec->session_affinity() == "ClientIP" &&
      !spec->session_affinity_config().client_ip().has_timeout_seconds()) {
    spec->mutable_session_affinity_config()->mutable_client_ip()->set_timeout_seconds(
        kDefaultClientIpTimeout);
  }
  if (spec->type().empty()) spec->set_type("ClusterIP");
  for (ServicePort& port : *spec->mutable_ports()) {
    if (port.protocol().empty()) port.set_protocol("TCP");
    const IntOrString& target = port.target_port();
    const bool unset = (target.has_str_val() && target.str_val().empty()) ||
                       (!target.has_str_val() && target.int_val() == 0);
    if (unset) port.mutable_target_port()->set_int_val(port.port());
  }
  if (ExternallyAccessible(*service) && spec->external_traffic_policy().empty()) {
    spec->set_external_traffic_policy("Cluster");
  }
  if (!spec->has_internal_traffic_policy() &&
      (spec->type() == "NodePort" || spec->type() == "LoadBalancer" ||
       spec->type() == "ClusterIP")) {
    spec->set_internal_traffic_policy("Cluster");
  }
  if (spec->type() == "LoadBalancer" && !spec->has_allocate_load_balancer_node_ports()) {
    spec->set_allocate_load_balancer_node_ports(true);
  }
}

void SetEndpointsDefaults(Endpoints* endpoints) {
  for (auto& subset : *endpoints->mutable_subsets()) {
    for (auto& port : *subset.mutable_ports()) {
      if (port.protocol().empty()) port.set_protocol("TCP");
    }
  }
}

void SetEndpointSliceDefaults(EndpointSlice* slice) {
  for (auto& port : *slice->mutable_ports()) {
    if (!port.has_name()) port.set_name("");
    if (!port.has_protocol()) port.set_protocol("TCP");
  }
}

// ---------------------------------------------------------------- Service

FieldErrors ValidateService(const Service& service) {
  FieldErrors errs;
  // Service names are DNS-1035 labels (they become DNS names and
  // environment variable names).
  for (const std::string& msg : IsDNS1035Label(service.metadata().name())) {
    errs.push_back(Invalid(FieldPath("metadata").Child("name"), service.metadata().name(), msg));
  }
  Append(&errs,
         ValidateObjectMeta(service.metadata(), true, NameRule::kNone, FieldPath("metadata")));
  const auto& spec = service.spec();
  const FieldPath sp("spec");
  const bool headless = IsHeadless(service);
  if (spec.ports().empty() && !headless && spec.type() != "ExternalName") {
    errs.push_back(Required(sp.Child("ports"), ""));
  }
  if (spec.type() == "LoadBalancer") {
    if (!spec.cluster_ips().empty() && spec.cluster_ips(0) == kNone) {
      errs.push_back(Invalid(sp.Child("clusterIPs").Index(0), spec.cluster_ips(0),
                             "may not be set to 'None' for LoadBalancer services"));
    }
    for (int i = 0; i < spec.ports_size(); ++i) {
      if (spec.ports(i).port() == kKubeletPort) {
        errs.push_back(Invalid(sp.Child("ports").Index(i), int64_t{kKubeletPort},
                               absl::StrCat("may not expose port ", kKubeletPort,
                                            " externally since it is used by kubelet")));
      }
    }
  } else if (spec.type() == "NodePort") {
    if (!spec.cluster_ips().empty() && spec.cluster_ips(0) == kNone) {
      errs.push_back(Invalid(sp.Child("clusterIPs").Index(0), spec.cluster_ips(0),
                             "may not be set to 'None' for NodePort services"));
    }
  } else if (spec.type() == "ExternalName") {
    if (!spec.cluster_ips().empty()) {
      errs.push_back(Forbidden(sp.Child("clusterIPs"), "may not be set for ExternalName services"));
    }
    if (!spec.ip_families().empty()) {
      errs.push_back(Forbidden(sp.Child("ipFamilies"), "may not be set for ExternalName services"));
    }
    if (spec.has_ip_family_policy()) {
      errs.push_back(
          Forbidden(sp.Child("ipFamilyPolicy"), "may not be set for ExternalName services"));
    }
    std::string_view cname = spec.external_name();
    if (!cname.empty() && cname.back() == '.') cname.remove_suffix(1);
    if (!cname.empty()) {
      for (const std::string& msg : IsDNS1123Subdomain(cname)) {
        errs.push_back(Invalid(sp.Child("externalName"), cname, msg));
      }
    } else {
      errs.push_back(Required(sp.Child("externalName"), ""));
    }
  }
  std::set<std::string> names;
  for (int i = 0; i < spec.ports_size(); ++i) {
    ServicePortErrors(spec.ports(i), spec.ports_size() > 1, &names, sp.Child("ports").Index(i),
                      &errs);
  }
  Append(&errs, ValidateLabels(spec.selector(), sp.Child("selector")));
  if (spec.session_affinity().empty()) {
    errs.push_back(Required(sp.Child("sessionAffinity"), ""));
  } else {
    OneOf(spec.session_affinity(), kAffinities, sp.Child("sessionAffinity"), &errs);
  }
  if (spec.session_affinity() == "ClientIP") {
    const FieldPath timeout =
        sp.Child("sessionAffinityConfig").Child("clientIP").Child("timeoutSeconds");
    const auto& client_ip = spec.session_affinity_config().client_ip();
    if (!client_ip.has_timeout_seconds()) {
      errs.push_back(Required(timeout, "must be specified when session affinity is ClientIP"));
    } else if (client_ip.timeout_seconds() <= 0 ||
               client_ip.timeout_seconds() > kMaxClientIpTimeout) {
      errs.push_back(
          Invalid(timeout, static_cast<int64_t>(client_ip.timeout_seconds()),
                  absl::StrCat("must be greater than 0 and less than ", kMaxClientIpTimeout)));
    }
  } else if (spec.session_affinity() == "None" && spec.has_session_affinity_config()) {
    errs.push_back(Forbidden(sp.Child("sessionAffinityConfig"),
                             "must not be set when session affinity is None"));
  }
  ClusterIpErrors(service, &errs);
  for (int i = 0; i < spec.external_ips_size(); ++i) {
    const FieldPath path = sp.Child("externalIPs").Index(i);
    const std::string& ip = spec.external_ips(i);
    const std::vector<std::string> ip_errs = IsValidIP(ip);
    for (const std::string& msg : ip_errs) errs.push_back(Invalid(path, ip, msg));
    if (ip_errs.empty()) {
      for (const std::string& msg : NonSpecialIpv4Errors(ip)) {
        errs.push_back(Invalid(path, ip, msg));
      }
    }
  }
  if (spec.type().empty()) {
    errs.push_back(Required(sp.Child("type"), ""));
  } else {
    OneOf(spec.type(), kServiceTypes, sp.Child("type"), &errs);
  }
  if (spec.type() == "ClusterIP") {
    for (int i = 0; i < spec.ports_size(); ++i) {
      if (spec.ports(i).node_port() != 0) {
        errs.push_back(Forbidden(sp.Child("ports").Index(i).Child("nodePort"),
                                 "may not be used when `type` is 'ClusterIP'"));
      }
    }
  }
  // Duplicate node ports and ports, by (protocol, number).
  std::set<std::pair<std::string, int>> node_ports;
  std::set<std::pair<std::string, int>> ports;
  for (int i = 0; i < spec.ports_size(); ++i) {
    const ServicePort& port = spec.ports(i);
    if (port.node_port() != 0 && !node_ports.insert({port.protocol(), port.node_port()}).second) {
      errs.push_back(DuplicatePrinted(sp.Child("ports").Index(i).Child("nodePort"),
                                      absl::StrCat(port.node_port())));
    }
  }
  for (int i = 0; i < spec.ports_size(); ++i) {
    const ServicePort& port = spec.ports(i);
    if (!ports.insert({port.protocol(), port.port()}).second) {
      errs.push_back(DuplicatePrinted(sp.Child("ports").Index(i), PrintPortKey(port)));
    }
  }
  if (!spec.load_balancer_source_ranges().empty() && spec.type() != "LoadBalancer") {
    errs.push_back(Forbidden(sp.Child("loadBalancerSourceRanges"),
                             "may only be used when `type` is 'LoadBalancer'"));
  }
  if (spec.has_allocate_load_balancer_node_ports() && spec.type() != "LoadBalancer") {
    errs.push_back(Forbidden(sp.Child("allocateLoadBalancerNodePorts"),
                             "may only be used when `type` is 'LoadBalancer'"));
  }
  if (spec.has_load_balancer_class() && spec.type() != "LoadBalancer") {
    errs.push_back(
        Forbidden(sp.Child("loadBalancerClass"), "may only be used when `type` is 'LoadBalancer'"));
  }
  // Traffic policies.
  if (!spec.external_traffic_policy().empty()) {
    if (!ExternallyAccessible(service)) {
      errs.push_back(Invalid(sp.Child("externalTrafficPolicy"), spec.external_traffic_policy(),
                             "may only be set for externally-accessible services"));
    } else {
      OneOf(spec.external_traffic_policy(), kTrafficPolicies, sp.Child("externalTrafficPolicy"),
            &errs);
    }
  } else if (ExternallyAccessible(service)) {
    errs.push_back(Required(sp.Child("externalTrafficPolicy"), ""));
  }
  if (spec.health_check_node_port() != 0 &&
      !(spec.type() == "LoadBalancer" && spec.external_traffic_policy() == "Local")) {
    errs.push_back(Invalid(sp.Child("healthCheckNodePort"),
                           static_cast<int64_t>(spec.health_check_node_port()),
                           "may only be set when `type` is 'LoadBalancer' and "
                           "`externalTrafficPolicy` is 'Local'"));
  }
  if (spec.has_internal_traffic_policy()) {
    OneOf(spec.internal_traffic_policy(), kTrafficPolicies, sp.Child("internalTrafficPolicy"),
          &errs);
  } else if (spec.type() == "ClusterIP" || spec.type() == "NodePort" ||
             spec.type() == "LoadBalancer") {
    errs.push_back(Required(sp.Child("internalTrafficPolicy"), ""));
  }
  return errs;
}

FieldErrors ValidateServiceUpdate(const Service& service, const Service& old) {
  FieldErrors errs =
      ValidateObjectMetaUpdate(service.metadata(), old.metadata(), FieldPath("metadata"));
  // clusterIPs may not change, unless the type changes from or to
  // ExternalName (which holds none).
  if (service.spec().type() != "ExternalName" && old.spec().type() != "ExternalName" &&
      !old.spec().cluster_ips().empty()) {
    const std::vector<std::string> ips = Strings(service.spec().cluster_ips());
    for (int i = 0; i < old.spec().cluster_ips_size(); ++i) {
      if (static_cast<size_t>(i) < ips.size() && ips[i] != old.spec().cluster_ips(i)) {
        errs.push_back(InvalidPrinted(FieldPath("spec").Child("clusterIPs").Index(i),
                                      PrintStringSlice(ips), "may not change once set"));
      }
    }
  }
  Append(&errs, ValidateService(service));
  return errs;
}

// ---------------------------------------------------------------- Endpoints

FieldErrors ValidateEndpoints(const Endpoints& endpoints) {
  FieldErrors errs = ValidateObjectMeta(endpoints.metadata(), true, NameRule::kDNS1123Subdomain,
                                        FieldPath("metadata"));
  const FieldPath subsets("subsets");
  for (int i = 0; i < endpoints.subsets_size(); ++i) {
    const auto& subset = endpoints.subsets(i);
    const FieldPath path = subsets.Index(i);
    if (subset.addresses().empty() && subset.not_ready_addresses().empty()) {
      errs.push_back(Required(path, "must specify `addresses` or `notReadyAddresses`"));
    }
    auto address = [&](const core::v1::EndpointAddress& a, const FieldPath& p) {
      for (const std::string& msg : IsValidIP(a.ip())) {
        errs.push_back(Invalid(p.Child("ip"), a.ip(), msg));
      }
      if (!a.hostname().empty()) DNS1123Label(a.hostname(), p.Child("hostname"), &errs);
      if (a.has_node_name()) {
        for (const std::string& msg : IsDNS1123Subdomain(a.node_name())) {
          errs.push_back(Invalid(p.Child("nodeName"), a.node_name(), msg));
        }
      }
      for (const std::string& msg : NonSpecialIpv4Errors(a.ip())) {
        errs.push_back(Invalid(p.Child("ip"), a.ip(), msg));
      }
    };
    for (int j = 0; j < subset.addresses_size(); ++j) {
      address(subset.addresses(j), path.Child("addresses").Index(j));
    }
    for (int j = 0; j < subset.not_ready_addresses_size(); ++j) {
      address(subset.not_ready_addresses(j), path.Child("notReadyAddresses").Index(j));
    }
    for (int j = 0; j < subset.ports_size(); ++j) {
      const auto& port = subset.ports(j);
      const FieldPath p = path.Child("ports").Index(j);
      if (subset.ports_size() > 1 && port.name().empty()) {
        errs.push_back(Required(p.Child("name"), ""));
      } else if (!port.name().empty()) {
        DNS1123Label(port.name(), p.Child("name"), &errs);
      }
      for (const std::string& msg : IsValidPortNum(port.port())) {
        errs.push_back(Invalid(p.Child("port"), static_cast<int64_t>(port.port()), msg));
      }
      Protocol(port.protocol(), p.Child("protocol"), &errs);
      if (port.has_app_protocol())
        QualifiedName(port.app_protocol(), p.Child("appProtocol"), &errs);
    }
  }
  return errs;
}

FieldErrors ValidateEndpointsUpdate(const Endpoints& endpoints, const Endpoints& old) {
  FieldErrors errs =
      ValidateObjectMetaUpdate(endpoints.metadata(), old.metadata(), FieldPath("metadata"));
  Append(&errs, ValidateEndpoints(endpoints));
  return errs;
}

// ---------------------------------------------------------------- EndpointSlice

FieldErrors ValidateEndpointSlice(const EndpointSlice& slice) {
  FieldErrors errs = ValidateObjectMeta(slice.metadata(), true, NameRule::kDNS1123Subdomain,
                                        FieldPath("metadata"));
  const FieldPath endpoints("endpoints");
  if (slice.endpoints_size() > kMaxSliceEndpoints) {
    errs.push_back(TooMany(endpoints, slice.endpoints_size(), kMaxSliceEndpoints));
  }
  for (int i = 0; i < slice.endpoints_size(); ++i) {
    const auto& endpoint = slice.endpoints(i);
    const FieldPath path = endpoints.Index(i);
    const FieldPath addresses = path.Child("addresses");
    if (endpoint.addresses().empty()) {
      errs.push_back(Required(addresses, "must contain at least 1 address"));
    } else if (endpoint.addresses_size() > kMaxEndpointAddresses) {
      errs.push_back(TooMany(addresses, endpoint.addresses_size(), kMaxEndpointAddresses));
    }
    for (int j = 0; j < endpoint.addresses_size(); ++j) {
      const std::string& address = endpoint.addresses(j);
      const FieldPath p = addresses.Index(j);
      if (slice.address_type() == "IPv4") {
        if (!IsIpv4(address)) {
          errs.push_back(Invalid(p, address, "must be a valid IPv4 address"));
        } else {
          for (const std::string& msg : NonSpecialIpv4Errors(address)) {
            errs.push_back(Invalid(p, address, msg));
          }
        }
      } else if (slice.address_type() == "IPv6") {
        if (!IsIpv6(address) || IsIpv4(address)) {
          errs.push_back(Invalid(p, address, "must be a valid IPv6 address"));
        }
      } else if (slice.address_type() == "FQDN") {
        for (const std::string& msg : IsDNS1123Subdomain(address)) {
          errs.push_back(Invalid(p, address, msg));
        }
      }
    }
    if (endpoint.has_node_name()) {
      for (const std::string& msg : IsDNS1123Subdomain(endpoint.node_name())) {
        errs.push_back(Invalid(path.Child("nodeName"), endpoint.node_name(), msg));
      }
    }
    if (endpoint.has_hostname()) DNS1123Label(endpoint.hostname(), path.Child("hostname"), &errs);
  }
  const FieldPath ports("ports");
  if (slice.ports_size() > kMaxSlicePorts) {
    errs.push_back(TooMany(ports, slice.ports_size(), kMaxSlicePorts));
  }
  std::set<std::string> names;
  for (int i = 0; i < slice.ports_size(); ++i) {
    const auto& port = slice.ports(i);
    const FieldPath path = ports.Index(i);
    if (!port.name().empty()) DNS1123Label(port.name(), path.Child("name"), &errs);
    if (!names.insert(port.name()).second) {
      errs.push_back(Duplicate(path.Child("name"), port.name()));
    }
    if (!port.has_protocol()) {
      errs.push_back(Required(path.Child("protocol"), ""));
    } else {
      OneOf(port.protocol(), kProtocols, path.Child("protocol"), &errs);
    }
    if (port.has_app_protocol()) {
      QualifiedName(port.app_protocol(), path.Child("appProtocol"), &errs);
    }
  }
  if (slice.address_type().empty()) {
    errs.push_back(Required(FieldPath("addressType"), ""));
  } else {
    OneOf(slice.address_type(), kAddressTypes, FieldPath("addressType"), &errs);
  }
  return errs;
}

FieldErrors ValidateEndpointSliceUpdate(const EndpointSlice& slice, const EndpointSlice& old) {
  FieldErrors errs =
      ValidateObjectMetaUpdate(slice.metadata(), old.metadata(), FieldPath("metadata"));
  Append(&errs, ValidateEndpointSlice(slice));
  if (slice.address_type() != old.address_type()) {
    errs.push_back(Invalid(FieldPath("addressType"), slice.address_type(), "field is immutable"));
  }
  return errs;
}

}  // namespace minik8s::validation
