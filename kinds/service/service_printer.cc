// Service: the table columns and rows, as Kubernetes' printers
// (pkg/printers/internalversion printService) define them: ports as
// `80/TCP` or `80:30080/TCP`, `<none>` for no cluster IP, no external IP or
// no ports, `<pending>` for a LoadBalancer without an address yet.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "k8s/core/v1/core.pb.h"
#include "kinds/printer_entry.h"
#include "printers/duration.h"
#include "printers/format.h"

namespace minik8s::printers {
namespace {

namespace core = minik8s::core::v1;

// Addresses of the load balancer, cut to 16 characters without -o wide.
std::string LoadBalancerAddresses(const core::LoadBalancerStatus& status, bool wide) {
  std::vector<std::string> out;
  for (const auto& ingress : status.ingress()) {
    if (!ingress.ip().empty()) {
      out.push_back(ingress.ip());
    } else if (!ingress.hostname().empty()) {
      out.push_back(ingress.hostname());
    }
  }
  std::string joined = absl::StrJoin(out, ",");
  constexpr size_t kWidth = 16;
  if (!wide && joined.size() > kWidth) joined = joined.substr(0, kWidth - 3) + "...";
  return joined;
}

std::string ExternalIp(const core::Service& service) {
  const auto& spec = service.spec();
  const std::string external = absl::StrJoin(spec.external_ips(), ",");
  if (spec.type() == "ClusterIP" || spec.type() == "NodePort") {
    return external.empty() ? "<none>" : external;
  }
  if (spec.type() == "LoadBalancer") {
    // A Table is printed once for every output; the short form is kubectl's default.
    const std::string lb = LoadBalancerAddresses(service.status().load_balancer(), false);
    if (!external.empty()) return lb.empty() ? external : absl::StrCat(lb, ",", external);
    return lb.empty() ? "<pending>" : lb;
  }
  if (spec.type() == "ExternalName") return spec.external_name();
  return "<unknown>";
}

std::string Ports(const core::Service& service) {
  std::vector<std::string> pieces;
  for (const auto& port : service.spec().ports()) {
    if (port.node_port() > 0) {
      pieces.push_back(absl::StrCat(port.port(), ":", port.node_port(), "/", port.protocol()));
    } else {
      pieces.push_back(absl::StrCat(port.port(), "/", port.protocol()));
    }
  }
  return pieces.empty() ? "<none>" : absl::StrJoin(pieces, ",");
}

Row ServiceRow(const core::Service& service, absl::Time now) {
  Row row;
  const auto& spec = service.spec();
  row.cells = {service.metadata().name(),
               spec.type(),
               spec.cluster_ips().empty() ? std::string("<none>") : spec.cluster_ips(0),
               ExternalIp(service),
               Ports(service),
               TimestampSince(service.metadata().creation_timestamp(), now),
               LabelsColumn(spec.selector())};
  return row;
}

}  // namespace

KindPrinter ServicePrinter() {
  return {{NameColumn(),
           {"Type", "string", "", "type determines how the Service is exposed.", 0},
           {"Cluster-IP", "string", "",
            "clusterIP is the IP address of the service, usually assigned at random.", 0},
           {"External-IP", "string", "",
            "externalIPs is a list of IP addresses for which nodes in the cluster will also "
            "accept traffic for this service.",
            0},
           {"Port(s)", "string", "", "The list of ports that are exposed by this service.", 0},
           AgeColumn(),
           {"Selector", "string", "",
            "Route service traffic to pods with label keys and values matching this selector.", 1}},
          &TypedRow<core::Service, &ServiceRow>};
}

}  // namespace minik8s::printers
