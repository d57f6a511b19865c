#include "api/k8s_protobuf_layout.h"

#include <initializer_list>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/descriptor.pb.h"
#include "k8s/apps/v1/apps.pb.h"
#include "k8s/autoscaling/v1/autoscaling.pb.h"
#include "k8s/coordination/v1/coordination.pb.h"
#include "k8s/core/v1/core.pb.h"
#include "k8s/meta/v1/meta.pb.h"

namespace minik8s::api {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::DescriptorPool;
using google::protobuf::FieldDescriptor;

struct TableEntry {
  absl::string_view message;  // full name of our message
  absl::string_view field;    // our field name
  std::initializer_list<int> path;
  bool zero_is_unset = false;
};

// Every place where our numbering differs from Kubernetes' (checked against
// kubernetes/api core/v1 and apps/v1, coordination/v1, autoscaling/v1 and
// apimachinery meta/v1 generated.proto). meta/v1, apps/v1, coordination/v1
// and autoscaling/v1 match Kubernetes field for field; all differences are in
// core/v1.
constexpr bool kZeroIsUnset = true;
const TableEntry kTable[] = {
    // Selectors and the configMap volume embed LocalObjectReference{name = 1}
    // as field 1; we store the name directly.
    {"minik8s.core.v1.ConfigMapKeySelector", "name", {1, 1}},
    {"minik8s.core.v1.SecretKeySelector", "name", {1, 1}},
    {"minik8s.core.v1.ConfigMapVolumeSource", "name", {1, 1}},
    {"minik8s.core.v1.ConfigMapProjection", "name", {1, 1}},
    {"minik8s.core.v1.SecretProjection", "name", {1, 1}},
    {"minik8s.core.v1.ConfigMapEnvSource", "name", {1, 1}},
    {"minik8s.core.v1.SecretEnvSource", "name", {1, 1}},

    // Container: lifecycle (12) and stdinOnce (17) came later here, as 20
    // and 21; the fields between were numbered one off.
    {"minik8s.core.v1.Container", "lifecycle", {12}},
    {"minik8s.core.v1.Container", "stdin_once", {17}},
    {"minik8s.core.v1.Container", "startup_probe", {22}},
    {"minik8s.core.v1.Container", "termination_message_policy", {20}},
    {"minik8s.core.v1.Container", "image_pull_policy", {14}},
    {"minik8s.core.v1.Container", "security_context", {15}},
    {"minik8s.core.v1.Container", "stdin", {16}},

    // Probe inlines ProbeHandler as `handler = 1`. The thresholds are plain
    // int32 in Kubernetes (0 = use the default), `optional` here.
    {"minik8s.core.v1.Probe", "exec", {1, 1}},
    {"minik8s.core.v1.Probe", "http_get", {1, 2}},
    {"minik8s.core.v1.Probe", "tcp_socket", {1, 3}},
    {"minik8s.core.v1.Probe", "grpc", {1, 4}},
    {"minik8s.core.v1.Probe", "initial_delay_seconds", {2}, kZeroIsUnset},
    {"minik8s.core.v1.Probe", "timeout_seconds", {3}, kZeroIsUnset},
    {"minik8s.core.v1.Probe", "period_seconds", {4}, kZeroIsUnset},
    {"minik8s.core.v1.Probe", "success_threshold", {5}, kZeroIsUnset},
    {"minik8s.core.v1.Probe", "failure_threshold", {6}, kZeroIsUnset},
    {"minik8s.core.v1.Probe", "termination_grace_period_seconds", {7}},

    // SecurityContext: seLinuxOptions = 3 and runAsGroup = 8.
    {"minik8s.core.v1.SecurityContext", "run_as_user", {4}},
    {"minik8s.core.v1.SecurityContext", "run_as_group", {8}},
    // PodSecurityContext: seLinuxOptions = 1 and runAsGroup = 6.
    {"minik8s.core.v1.PodSecurityContext", "run_as_user", {2}},
    {"minik8s.core.v1.PodSecurityContext", "run_as_group", {6}},

    // Volume inlines VolumeSource as `volumeSource = 2`.
    {"minik8s.core.v1.Volume", "host_path", {2, 1}},
    {"minik8s.core.v1.Volume", "empty_dir", {2, 2}},
    {"minik8s.core.v1.Volume", "secret", {2, 6}},
    {"minik8s.core.v1.Volume", "config_map", {2, 19}},
    {"minik8s.core.v1.Volume", "projected", {2, 26}},
    {"minik8s.core.v1.Volume", "downward_api", {2, 16}},

    // PodSpec: numbered in our own order; Kubernetes' numbers follow.
    {"minik8s.core.v1.PodSpec", "init_containers", {20}},
    {"minik8s.core.v1.PodSpec", "containers", {2}},
    {"minik8s.core.v1.PodSpec", "restart_policy", {3}},
    {"minik8s.core.v1.PodSpec", "termination_grace_period_seconds", {4}},
    {"minik8s.core.v1.PodSpec", "active_deadline_seconds", {5}},
    {"minik8s.core.v1.PodSpec", "dns_policy", {6}},
    {"minik8s.core.v1.PodSpec", "node_selector", {7}},
    {"minik8s.core.v1.PodSpec", "service_account_name", {8}},
    {"minik8s.core.v1.PodSpec", "security_context", {14}},
    {"minik8s.core.v1.PodSpec", "hostname", {16}},
    {"minik8s.core.v1.PodSpec", "subdomain", {17}},
    {"minik8s.core.v1.PodSpec", "affinity", {18}},
    {"minik8s.core.v1.PodSpec", "scheduler_name", {19}},
    {"minik8s.core.v1.PodSpec", "automount_service_account_token", {21}},
    {"minik8s.core.v1.PodSpec", "tolerations", {22}},
    {"minik8s.core.v1.PodSpec", "priority_class_name", {24}},
    {"minik8s.core.v1.PodSpec", "priority", {25}},
    {"minik8s.core.v1.PodSpec", "enable_service_links", {30}},
    {"minik8s.core.v1.PodSpec", "preemption_policy", {31}},
    {"minik8s.core.v1.PodSpec", "image_pull_secrets", {15}},
    {"minik8s.core.v1.PodSpec", "topology_spread_constraints", {33}},
    {"minik8s.core.v1.PodSpec", "host_aliases", {23}},
    {"minik8s.core.v1.PodSpec", "host_pid", {12}},
    {"minik8s.core.v1.PodSpec", "host_ipc", {13}},
    {"minik8s.core.v1.PodSpec", "share_process_namespace", {27}},
    {"minik8s.core.v1.PodSpec", "dns_config", {26}},
    {"minik8s.core.v1.PodSpec", "readiness_gates", {28}},
    {"minik8s.core.v1.PodSpec", "os", {36}},

    // PodStatus.
    {"minik8s.core.v1.PodStatus", "host_ip", {5}},
    {"minik8s.core.v1.PodStatus", "pod_ip", {6}},
    {"minik8s.core.v1.PodStatus", "start_time", {7}},
    {"minik8s.core.v1.PodStatus", "container_statuses", {8}},
    {"minik8s.core.v1.PodStatus", "qos_class", {9}},
    {"minik8s.core.v1.PodStatus", "init_container_statuses", {10}},
    {"minik8s.core.v1.PodStatus", "nominated_node_name", {11}},
    {"minik8s.core.v1.PodStatus", "pod_ips", {12}},
    {"minik8s.core.v1.PodStatus", "host_ips", {16}},

    // NodeSpec: field 2 is the deprecated externalID.
    {"minik8s.core.v1.NodeSpec", "pod_cidrs", {7}},
};

// TypeMeta fields of top-level objects; Kubernetes sends them in the envelope.
bool IsTypeMetaField(const FieldDescriptor* field) {
  return (field->number() == 100 && field->name() == "api_version") ||
         (field->number() == 101 && field->name() == "kind");
}

std::unique_ptr<K8sLayout> BuildLayout(const Descriptor* descriptor) {
  auto layout = std::make_unique<K8sLayout>();
  layout->placements.reserve(descriptor->field_count());
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    K8sFieldPlacement placement;
    placement.field = field;
    if (!IsTypeMetaField(field)) placement.path = {field->number()};
    for (const TableEntry& entry : kTable) {
      if (entry.message == descriptor->full_name() && entry.field == field->name()) {
        placement.path.assign(entry.path.begin(), entry.path.end());
        placement.zero_is_unset = entry.zero_is_unset;
      }
    }
    layout->placements.push_back(std::move(placement));
  }
  // The decode tree. Conflicts are reported by K8sLayoutTableProblems (a unit
  // test keeps the table free of them); here the first placement wins.
  for (const K8sFieldPlacement& placement : layout->placements) {
    if (placement.path.empty()) continue;
    K8sLayoutNode* node = &layout->root;
    for (size_t i = 0; i + 1 < placement.path.size(); ++i) {
      std::unique_ptr<K8sLayoutNode>& child = node->groups[placement.path[i]];
      if (child == nullptr) child = std::make_unique<K8sLayoutNode>();
      node = child.get();
    }
    node->fields.emplace(placement.path.back(), &placement);
  }
  return layout;
}

}  // namespace

const K8sLayout& K8sLayoutFor(const Descriptor* descriptor) {
  static absl::Mutex mu(absl::kConstInit);
  // Guarded by mu; entries are never removed, so references stay valid.
  static auto* layouts = new absl::flat_hash_map<const Descriptor*, std::unique_ptr<K8sLayout>>();
  {
    absl::ReaderMutexLock lock(&mu);
    auto it = layouts->find(descriptor);
    if (it != layouts->end()) return *it->second;
  }
  std::unique_ptr<K8sLayout> built = BuildLayout(descriptor);
  absl::MutexLock lock(&mu);
  std::unique_ptr<K8sLayout>& layout = (*layouts)[descriptor];
  if (layout == nullptr) layout = std::move(built);
  return *layout;
}

std::vector<std::string> K8sLayoutTableProblems() {
  // Make sure the generated descriptors are in the pool before looking up.
  const Descriptor* linked[] = {
      minik8s::core::v1::Pod::descriptor(), minik8s::apps::v1::Deployment::descriptor(),
      minik8s::coordination::v1::Lease::descriptor(), minik8s::autoscaling::v1::Scale::descriptor(),
      minik8s::meta::v1::Status::descriptor()};
  (void)linked;
  std::vector<std::string> problems;
  std::map<std::string, const Descriptor*> messages;
  for (const TableEntry& entry : kTable) {
    const Descriptor* descriptor =
        DescriptorPool::generated_pool()->FindMessageTypeByName(std::string(entry.message));
    if (descriptor == nullptr) {
      problems.push_back(absl::StrCat("no message ", entry.message));
      continue;
    }
    if (descriptor->FindFieldByName(std::string(entry.field)) == nullptr) {
      problems.push_back(absl::StrCat(entry.message, " has no field ", entry.field));
    }
    if (entry.path.size() == 0) {
      problems.push_back(absl::StrCat(entry.message, ".", entry.field, ": empty path"));
    }
    messages[descriptor->full_name()] = descriptor;
  }
  for (const auto& [name, descriptor] : messages) {
    const K8sLayout& layout = K8sLayoutFor(descriptor);
    // Every path must be unique and must not run through a leaf.
    std::map<std::vector<int>, std::string> leaves;
    for (const K8sFieldPlacement& placement : layout.placements) {
      if (placement.path.empty()) continue;
      auto [it, inserted] = leaves.emplace(placement.path, placement.field->name());
      if (!inserted) {
        problems.push_back(absl::StrCat(name, ": ", placement.field->name(), " and ", it->second,
                                        " share Kubernetes path ",
                                        absl::StrJoin(placement.path, ".")));
      }
    }
    for (const auto& [path, field] : leaves) {
      for (size_t len = 1; len < path.size(); ++len) {
        std::vector<int> prefix(path.begin(), path.begin() + len);
        auto it = leaves.find(prefix);
        if (it != leaves.end()) {
          problems.push_back(absl::StrCat(name, ": ", field, " is nested under field ", it->second,
                                          " (", absl::StrJoin(prefix, "."), ")"));
        }
      }
    }
  }
  return problems;
}

}  // namespace minik8s::api
