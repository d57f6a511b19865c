#include "kubelet/node_status.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "api/time.h"
#include "common/proto_equal.h"

namespace minik8s::kubelet {

namespace core = ::minik8s::core::v1;

absl::StatusOr<std::vector<core::Taint>> ParseTaints(const std::string& text) {
  std::vector<core::Taint> out;
  if (text.empty()) return out;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    item = absl::StripAsciiWhitespace(item);
    std::vector<std::string> kv_effect = absl::StrSplit(item, ':');
    if (kv_effect.size() != 2) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid taint spec \"", item, "\": want key[=value]:Effect"));
    }
    const std::string& effect = kv_effect[1];
    if (effect != "NoSchedule" && effect != "PreferNoSchedule" && effect != "NoExecute") {
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid taint effect \"", effect, "\": want NoSchedule, PreferNoSchedule or NoExecute"));
    }
    core::Taint t;
    std::vector<std::string> kv = absl::StrSplit(kv_effect[0], absl::MaxSplits('=', 1));
    if (kv[0].empty())
      return absl::InvalidArgumentError(
          absl::StrCat("invalid taint spec \"", item, "\": empty key"));
    t.set_key(kv[0]);
    if (kv.size() == 2) t.set_value(kv[1]);
    t.set_effect(effect);
    out.push_back(std::move(t));
  }
  return out;
}

absl::StatusOr<std::map<std::string, std::string>> ParseLabels(const std::string& text) {
  std::map<std::string, std::string> out;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    item = absl::StripAsciiWhitespace(item);
    std::vector<std::string> kv = absl::StrSplit(item, absl::MaxSplits('=', 1));
    if (kv.size() != 2 || kv[0].empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid label \"", item, "\": want key=value"));
    }
    out[kv[0]] = kv[1];
  }
  return out;
}

namespace {

const char* Arch() {
#if defined(__aarch64__)
  return "arm64";
#else
  return "amd64";
#endif
}

void FillStatic(const NodeConfig& c, core::NodeStatus* st) {
  auto set = [&](const char* k, const std::string& v) {
    (*st->mutable_capacity())[k].set_value(v);
    (*st->mutable_allocatable())[k].set_value(v);
  };
  set("cpu", c.cpu);
  set("memory", c.memory);
  set("pods", absl::StrCat(c.max_pods));
  set("ephemeral-storage", "100Gi");
  auto* a = st->add_addresses();
  a->set_type("InternalIP");
  a->set_address(c.internal_ip);
  a = st->add_addresses();
  a->set_type("Hostname");
  a->set_address(c.name);
  if (c.kubelet_port > 0) {
    st->mutable_daemon_endpoints()->mutable_kubelet_endpoint()->set_port(c.kubelet_port);
  }
  auto* info = st->mutable_node_info();
  info->set_machine_id(c.name);
  info->set_system_uuid(c.name);
  info->set_boot_id(c.name);
  info->set_kernel_version("minik8s");
  info->set_os_image("minik8s simulated node");
  info->set_container_runtime_version(c.container_runtime_version);
  info->set_kubelet_version(kKubeletVersion);
  info->set_kube_proxy_version(kKubeletVersion);
  info->set_operating_system("linux");
  info->set_architecture(Arch());
}

void AddCondition(const core::NodeStatus& old, core::NodeStatus* st, const std::string& type,
                  const std::string& status, const std::string& reason, const std::string& message,
                  absl::Time now) {
  core::NodeCondition* c = st->add_conditions();
  c->set_type(type);
  c->set_status(status);
  c->set_reason(reason);
  c->set_message(message);
  *c->mutable_last_heartbeat_time() = api::ToProtoTime(now);
  *c->mutable_last_transition_time() = api::ToProtoTime(now);
  for (const auto& oc : old.conditions()) {
    if (oc.type() == type && oc.status() == status && oc.has_last_transition_time()) {
      *c->mutable_last_transition_time() = oc.last_transition_time();
    }
  }
}

}  // namespace

core::Node BuildNode(const NodeConfig& c) {
  core::Node node;
  node.set_api_version("v1");
  node.set_kind("Node");
  auto* m = node.mutable_metadata();
  m->set_name(c.name);
  auto& labels = *m->mutable_labels();
  labels["kubernetes.io/hostname"] = c.name;
  labels["kubernetes.io/os"] = "linux";
  labels["kubernetes.io/arch"] = Arch();
  labels["beta.kubernetes.io/os"] = "linux";
  labels["beta.kubernetes.io/arch"] = Arch();
  for (const auto& [k, v] : c.labels) labels[k] = v;
  node.mutable_spec()->set_pod_cidr(c.pod_cidr);
  node.mutable_spec()->add_pod_cidrs(c.pod_cidr);
  for (const auto& t : c.taints) *node.mutable_spec()->add_taints() = t;
  FillStatic(c, node.mutable_status());
  return node;
}

core::NodeStatus BuildNodeStatus(const NodeConfig& c, const core::NodeStatus& old, absl::Time now,
                                 const std::string& runtime_error) {
  core::NodeStatus st;
  FillStatic(c, &st);
  AddCondition(old, &st, "MemoryPressure", "False", "KubeletHasSufficientMemory",
               "kubelet has sufficient memory available", now);
  AddCondition(old, &st, "DiskPressure", "False", "KubeletHasNoDiskPressure",
               "kubelet has no disk pressure", now);
  AddCondition(old, &st, "PIDPressure", "False", "KubeletHasSufficientPID",
               "kubelet has sufficient PID available", now);
  if (runtime_error.empty()) {
    AddCondition(old, &st, "Ready", "True", "KubeletReady", "kubelet is posting ready status", now);
  } else {
    AddCondition(old, &st, "Ready", "False", "KubeletNotReady", runtime_error, now);
  }
  // Keep what others own (images are not reported).
  return st;
}

bool SameNodeStatusIgnoringHeartbeat(const core::NodeStatus& a, const core::NodeStatus& b) {
  core::NodeStatus x = a, y = b;
  for (auto* s : {&x, &y}) {
    for (auto& c : *s->mutable_conditions()) c.clear_last_heartbeat_time();
  }
  return common::ProtoEqual(x, y);
}

minik8s::coordination::v1::Lease BuildLease(const std::string& node_name,
                                            const std::string& node_uid, int lease_duration_seconds,
                                            absl::Time now) {
  minik8s::coordination::v1::Lease lease;
  lease.set_api_version("coordination.k8s.io/v1");
  lease.set_kind("Lease");
  lease.mutable_metadata()->set_name(node_name);
  lease.mutable_metadata()->set_namespace_(kNodeLeaseNamespace);
  if (!node_uid.empty()) {
    auto* o = lease.mutable_metadata()->add_owner_references();
    o->set_api_version("v1");
    o->set_kind("Node");
    o->set_name(node_name);
    o->set_uid(node_uid);
  }
  lease.mutable_spec()->set_holder_identity(node_name);
  lease.mutable_spec()->set_lease_duration_seconds(lease_duration_seconds);
  *lease.mutable_spec()->mutable_renew_time() = api::ToProtoMicroTime(now);
  return lease;
}

}  // namespace minik8s::kubelet
