#include "runtime/container_ports.h"

#include <arpa/inet.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::runtime {

absl::StatusOr<std::vector<DeclaredPort>> ParseContainerPorts(absl::string_view json) {
  if (json.size() > kMaxContainerPortsJson) {
    return absl::InvalidArgumentError(absl::StrCat(kContainerPortsAnnotation, ": longer than ",
                                                   kMaxContainerPortsJson, " bytes"));
  }
  // A Container's `ports` field is exactly the annotation's array: parse it
  // as that field with protobuf's JSON parser.
  minik8s::core::v1::Container holder;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  const std::string wrapped = absl::StrCat("{\"ports\":", std::string(json), "}");
  if (auto s = google::protobuf::util::JsonStringToMessage(wrapped, &holder, options); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        kContainerPortsAnnotation, ": not a JSON array of ContainerPort: ", s.ToString()));
  }
  if (holder.ports_size() > kMaxContainerPorts) {
    return absl::InvalidArgumentError(
        absl::StrCat(kContainerPortsAnnotation, ": more than ", kMaxContainerPorts, " ports"));
  }
  std::vector<DeclaredPort> out;
  for (const minik8s::core::v1::ContainerPort& p : holder.ports()) {
    if (p.container_port() < 1 || p.container_port() > 65535) {
      return absl::InvalidArgumentError(absl::StrCat(kContainerPortsAnnotation, ": containerPort ",
                                                     p.container_port(),
                                                     " is not between 1 and 65535"));
    }
    out.push_back({.name = p.name(),
                   .port = p.container_port(),
                   .protocol = p.protocol().empty() ? "TCP" : p.protocol()});
  }
  return out;
}

absl::StatusOr<std::vector<int>> TcpPortsOf(const minik8s::cri::v1::ContainerConfig& config) {
  auto it = config.annotations().find(kContainerPortsAnnotation);
  if (it == config.annotations().end()) return std::vector<int>();
  absl::StatusOr<std::vector<DeclaredPort>> ports = ParseContainerPorts(it->second);
  if (!ports.ok()) return ports.status();
  std::vector<int> out;
  for (const DeclaredPort& p : *ports) {
    if (p.protocol == "TCP" && std::find(out.begin(), out.end(), p.port) == out.end()) {
      out.push_back(p.port);
    }
  }
  return out;
}

bool IsLoopbackIpv4(absl::string_view ip) {
  in_addr addr;
  if (inet_pton(AF_INET, std::string(ip).c_str(), &addr) != 1) return false;
  return (ntohl(addr.s_addr) >> 24) == 127;
}

}  // namespace minik8s::runtime
