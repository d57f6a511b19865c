#include "controllers/endpointslice/service_pods.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "controllers/util/owner_refs.h"
#include "controllers/util/pod_util.h"
#include "google/protobuf/util/message_differencer.h"

namespace minik8s::controllers {

using minik8s::core::v1::Pod;
using minik8s::core::v1::Service;
using minik8s::core::v1::ServicePort;

bool ManagesEndpoints(const Service& service) {
  return !service.spec().selector().empty() && service.spec().type() != "ExternalName";
}

bool IsHeadless(const Service& service) { return service.spec().cluster_ip() == "None"; }

bool ShouldPodBeInEndpoints(const Pod& pod, bool include_terminating) {
  const std::string& phase = pod.status().phase();
  if (phase == "Succeeded" || phase == "Failed") return false;
  if (pod.status().pod_ip().empty() && pod.status().pod_ips().empty()) return false;
  if (!include_terminating && pod.metadata().has_deletion_timestamp()) return false;
  return true;
}

std::string ProtocolOf(const std::string& protocol) { return protocol.empty() ? "TCP" : protocol; }

absl::StatusOr<int32_t> FindPort(const Pod& pod, const ServicePort& port) {
  const auto& target = port.target_port();
  if (target.value_case() != minik8s::meta::v1::IntOrString::kStrVal) {
    return target.int_val() != 0 ? target.int_val() : port.port();
  }
  const std::string protocol = ProtocolOf(port.protocol());
  auto search = [&](const auto& containers) -> int32_t {
    for (const auto& c : containers) {
      for (const auto& p : c.ports()) {
        if (p.name() == target.str_val() && ProtocolOf(p.protocol()) == protocol) {
          return p.container_port();
        }
      }
    }
    return 0;
  };
  if (int32_t found = search(pod.spec().containers()); found != 0) return found;
  return absl::NotFoundError(absl::StrCat("no suitable port for manifest: ", pod.metadata().uid()));
}

std::string EndpointHostname(const Pod& pod, const Service& service) {
  if (pod.spec().hostname().empty()) return "";
  if (pod.spec().subdomain() != service.metadata().name()) return "";
  if (pod.metadata().namespace_() != service.metadata().namespace_()) return "";
  return pod.spec().hostname();
}

std::vector<ServicePtr> ServicesSelectingPod(const client::Lister<Service>& lister,
                                             const Pod& pod) {
  std::vector<ServicePtr> out;
  for (ServicePtr& svc : lister.ListNamespace(pod.metadata().namespace_())) {
    if (!ManagesEndpoints(*svc)) continue;
    bool matches = true;
    for (const auto& [key, value] : svc->spec().selector()) {
      auto it = pod.metadata().labels().find(key);
      if (it == pod.metadata().labels().end() || it->second != value) {
        matches = false;
        break;
      }
    }
    if (matches) out.push_back(std::move(svc));
  }
  return out;
}

bool PodEndpointFieldsChanged(const Pod& old_pod, const Pod& cur) {
  using google::protobuf::util::MessageDifferencer;
  const auto& a = old_pod.metadata();
  const auto& b = cur.metadata();
  if (!LabelsEqual(a.labels(), b.labels())) return true;
  if (a.has_deletion_timestamp() != b.has_deletion_timestamp()) return true;
  if (old_pod.status().pod_ip() != cur.status().pod_ip()) return true;
  if (old_pod.status().pod_ips_size() != cur.status().pod_ips_size()) return true;
  if (old_pod.status().phase() != cur.status().phase()) return true;
  if (IsPodReady(old_pod) != IsPodReady(cur)) return true;
  if (old_pod.spec().node_name() != cur.spec().node_name()) return true;
  if (old_pod.spec().hostname() != cur.spec().hostname() ||
      old_pod.spec().subdomain() != cur.spec().subdomain()) {
    return true;
  }
  if (old_pod.spec().containers_size() != cur.spec().containers_size()) return true;
  for (int i = 0; i < cur.spec().containers_size(); ++i) {
    const auto& pa = old_pod.spec().containers(i).ports();
    const auto& pb = cur.spec().containers(i).ports();
    if (pa.size() != pb.size()) return true;
    for (int j = 0; j < pb.size(); ++j) {
      if (!MessageDifferencer::Equals(pa[j], pb[j])) return true;
    }
  }
  return false;
}

}  // namespace minik8s::controllers
