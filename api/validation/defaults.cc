#include "api/validation/defaults.h"

#include <string>
#include <string_view>

#include "api/intstr.h"
#include "api/validation/kind_rules.h"
#include "api/validation/validation_volumes.h"

namespace minik8s::validation {
namespace {

using minik8s::core::v1::Container;
using minik8s::core::v1::Pod;
using minik8s::core::v1::PodSpec;

constexpr std::string_view kTaintNodeNotReady = "node.kubernetes.io/not-ready";
constexpr std::string_view kTaintNodeUnreachable = "node.kubernetes.io/unreachable";

void SetHTTPGetDefaults(minik8s::core::v1::HTTPGetAction* action) {
  if (action->path().empty()) action->set_path("/");
  if (action->scheme().empty()) action->set_scheme("HTTP");
}

void CopyLimitsToRequests(Container* c) {
  if (!c->has_resources()) return;
  auto* res = c->mutable_resources();
  for (const auto& [name, q] : res->limits()) {
    if (res->requests().find(name) == res->requests().end()) {
      (*res->mutable_requests())[name] = q;
    }
  }
}

}  // namespace

const char* DefaultImagePullPolicy(std::string_view image) {
  // A digest pins the image: no tag, IfNotPresent.
  if (image.find('@') != std::string_view::npos) {
    std::string_view name = image.substr(0, image.find('@'));
    size_t colon = name.rfind(':');
    size_t slash = name.rfind('/');
    bool tagged =
        colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash);
    if (!tagged) return "IfNotPresent";
    return name.substr(colon + 1) == "latest" ? "Always" : "IfNotPresent";
  }
  // The tag follows the last ':' after the last '/' (a ':' before a '/' is a
  // registry port: `localhost:5000/app`).
  size_t colon = image.rfind(':');
  size_t slash = image.rfind('/');
  if (colon == std::string_view::npos || (slash != std::string_view::npos && colon < slash)) {
    return "Always";  // no tag means latest
  }
  return image.substr(colon + 1) == "latest" ? "Always" : "IfNotPresent";
}

void SetProbeDefaults(minik8s::core::v1::Probe* probe) {
  if (!probe->has_timeout_seconds() || probe->timeout_seconds() == 0) probe->set_timeout_seconds(1);
  if (!probe->has_period_seconds() || probe->period_seconds() == 0) probe->set_period_seconds(10);
  if (!probe->has_success_threshold() || probe->success_threshold() == 0) {
    probe->set_success_threshold(1);
  }
  if (!probe->has_failure_threshold() || probe->failure_threshold() == 0) {
    probe->set_failure_threshold(3);
  }
  if (probe->has_http_get()) SetHTTPGetDefaults(probe->mutable_http_get());
}

void SetContainerDefaults(Container* c) {
  if (c->image_pull_policy().empty()) c->set_image_pull_policy(DefaultImagePullPolicy(c->image()));
  if (c->termination_message_path().empty()) {
    c->set_termination_message_path("/dev/termination-log");
  }
  if (c->termination_message_policy().empty()) c->set_termination_message_policy("File");
  // Always present in Kubernetes (a struct, not a pointer): `resources: {}`.
  if (!c->has_resources()) c->mutable_resources();
  for (auto& port : *c->mutable_ports()) {
    if (port.protocol().empty()) port.set_protocol("TCP");
  }
  // SetDefaults_ObjectFieldSelector, for env as for downwardAPI volumes.
  for (auto& env : *c->mutable_env()) {
    if (env.value_from().has_field_ref() && env.value_from().field_ref().api_version().empty()) {
      env.mutable_value_from()->mutable_field_ref()->set_api_version("v1");
    }
  }
  if (c->has_liveness_probe()) SetProbeDefaults(c->mutable_liveness_probe());
  if (c->has_readiness_probe()) SetProbeDefaults(c->mutable_readiness_probe());
  if (c->has_startup_probe()) SetProbeDefaults(c->mutable_startup_probe());
  if (c->has_lifecycle()) {
    auto* lifecycle = c->mutable_lifecycle();
    for (auto* handler : {lifecycle->has_post_start() ? lifecycle->mutable_post_start() : nullptr,
                          lifecycle->has_pre_stop() ? lifecycle->mutable_pre_stop() : nullptr}) {
      if (handler != nullptr && handler->has_http_get()) {
        SetHTTPGetDefaults(handler->mutable_http_get());
      }
    }
  }
}

void SetPodSpecDefaults(PodSpec* spec) {
  if (spec->dns_policy().empty()) spec->set_dns_policy("ClusterFirst");
  if (spec->restart_policy().empty()) spec->set_restart_policy("Always");
  if (!spec->has_security_context()) spec->mutable_security_context();
  if (!spec->has_termination_grace_period_seconds()) {
    spec->set_termination_grace_period_seconds(kDefaultTerminationGracePeriodSeconds);
  }
  if (spec->scheduler_name().empty()) spec->set_scheduler_name("default-scheduler");
  for (Container& c : *spec->mutable_init_containers()) SetContainerDefaults(&c);
  for (Container& c : *spec->mutable_containers()) SetContainerDefaults(&c);
  for (auto& volume : *spec->mutable_volumes()) SetVolumeDefaults(&volume);
  if (spec->host_network()) {
    // With the host's network a container port is a host port.
    auto host_ports = [](Container& c) {
      for (auto& port : *c.mutable_ports()) {
        if (port.host_port() == 0) port.set_host_port(port.container_port());
      }
    };
    for (Container& c : *spec->mutable_init_containers()) host_ports(c);
    for (Container& c : *spec->mutable_containers()) host_ports(c);
  }
}

void SetPodDefaults(Pod* pod) {
  SetPodSpecDefaults(pod->mutable_spec());
  for (Container& c : *pod->mutable_spec()->mutable_containers()) CopyLimitsToRequests(&c);
  for (Container& c : *pod->mutable_spec()->mutable_init_containers()) CopyLimitsToRequests(&c);
  if (!pod->spec().has_enable_service_links()) pod->mutable_spec()->set_enable_service_links(true);
}

void SetDeploymentDefaults(minik8s::apps::v1::Deployment* d) {
  auto* spec = d->mutable_spec();
  if (!spec->has_replicas()) spec->set_replicas(1);
  auto* strategy = spec->mutable_strategy();
  if (strategy->type().empty()) strategy->set_type("RollingUpdate");
  if (strategy->type() == "RollingUpdate") {
    auto* ru = strategy->mutable_rolling_update();
    if (!ru->has_max_unavailable())
      *ru->mutable_max_unavailable() = api::IntOrStringFromString("25%");
    if (!ru->has_max_surge()) *ru->mutable_max_surge() = api::IntOrStringFromString("25%");
  }
  if (!spec->has_revision_history_limit()) spec->set_revision_history_limit(10);
  if (!spec->has_progress_deadline_seconds()) spec->set_progress_deadline_seconds(600);
  SetPodSpecDefaults(spec->mutable_template_()->mutable_spec());
}

void SetReplicaSetDefaults(minik8s::apps::v1::ReplicaSet* rs) {
  if (!rs->spec().has_replicas()) rs->mutable_spec()->set_replicas(1);
  SetPodSpecDefaults(rs->mutable_spec()->mutable_template_()->mutable_spec());
}

void SetNamespaceDefaults(minik8s::core::v1::Namespace* ns) {
  if (ns->status().phase().empty()) ns->mutable_status()->set_phase("Active");
}

void SetNodeDefaults(minik8s::core::v1::Node* node) {
  auto* status = node->mutable_status();
  if (status->allocatable().empty() && !status->capacity().empty()) {
    *status->mutable_allocatable() = status->capacity();
  }
}

// The dispatch on the message type is the built-in KindRulesTable
// (kind_rules.h): each kind of kinds/kinds.def names its defaulting, if any,
// in its folder.
void SetDefaults(google::protobuf::Message* obj) { KindRulesTable::Builtin().SetDefaults(obj); }

void AddDefaultTolerations(Pod* pod, int64_t not_ready_seconds, int64_t unreachable_seconds) {
  bool not_ready = false;
  bool unreachable = false;
  for (const auto& t : pod->spec().tolerations()) {
    bool no_execute = t.effect().empty() || t.effect() == "NoExecute";
    if (!no_execute) continue;
    if (t.key().empty() || t.key() == kTaintNodeNotReady) not_ready = true;
    if (t.key().empty() || t.key() == kTaintNodeUnreachable) unreachable = true;
  }
  auto add = [&](std::string_view key, int64_t seconds) {
    auto* t = pod->mutable_spec()->add_tolerations();
    t->set_key(std::string(key));
    t->set_operator_("Exists");
    t->set_effect("NoExecute");
    t->set_toleration_seconds(seconds);
  };
  if (!not_ready) add(kTaintNodeNotReady, not_ready_seconds);
  if (!unreachable) add(kTaintNodeUnreachable, unreachable_seconds);
}

}  // namespace minik8s::validation
