// Validation of the core group (pkg/apis/core/validation): pods and their
// specs, nodes, namespaces, events and bindings.
#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/quantity.h"
#include "api/selector/labels.h"
#include "api/validation/names.h"
#include "api/validation/validation.h"
#include "api/validation/validation_internal.h"
#include "api/validation/validation_volumes.h"
#include "common/proto_equal.h"

namespace minik8s::validation {

using internal::Append;
using internal::kImmutableMsg;
using internal::kMaxInt32;
using internal::kNegativeMsg;
using internal::NonNegative;
using internal::Sorted;
using internal::ValidateLabelName;
using minik8s::core::v1::Binding;
using minik8s::core::v1::Container;
using minik8s::core::v1::EnvFromSource;
using minik8s::core::v1::Event;
using minik8s::core::v1::Namespace;
using minik8s::core::v1::Node;
using minik8s::core::v1::Pod;
using minik8s::core::v1::PodSpec;
using minik8s::core::v1::Probe;
using minik8s::core::v1::Toleration;
using minik8s::meta::v1::IntOrString;
namespace {

std::string PrintToleration(const Toleration& t) {
  std::string secs = t.has_toleration_seconds()
                         ? "(*int64)(" + std::to_string(t.toleration_seconds()) + ")"
                         : "(*int64)(nil)";
  return "core.Toleration{Key:" + QuoteValue(t.key()) + ", Operator:" + QuoteValue(t.operator_()) +
         ", Value:" + QuoteValue(t.value()) + ", Effect:" + QuoteValue(t.effect()) +
         ", TolerationSeconds:" + secs + "}";
}

void ValidateTaintEffect(std::string_view effect, bool allow_empty, const FieldPath& path,
                         FieldErrors* errs) {
  if (effect.empty()) {
    if (!allow_empty) errs->push_back(Required(path, ""));
    return;
  }
  if (effect != "NoSchedule" && effect != "PreferNoSchedule" && effect != "NoExecute") {
    errs->push_back(NotSupported(path, effect, {"NoSchedule", "PreferNoSchedule", "NoExecute"}));
  }
}

// ------------------------------------------------------------------ containers

bool IsStandardContainerResourceName(std::string_view name) {
  return name == "cpu" || name == "memory" || name == "ephemeral-storage" ||
         name.substr(0, 10) == "hugepages-";
}

void ValidateContainerResourceName(std::string_view name, const FieldPath& path,
                                   FieldErrors* errs) {
  for (const std::string& msg : IsQualifiedName(name)) errs->push_back(Invalid(path, name, msg));
  if (name.find('/') == std::string_view::npos && !IsStandardContainerResourceName(name)) {
    errs->push_back(Invalid(path, name, "must be a standard resource for containers"));
  }
}

void ValidatePortNumOrName(const IntOrString& port, const FieldPath& path, FieldErrors* errs) {
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

// Exactly one handler of a probe or hook: (whether set, its field name).
void ValidateOneHandler(std::initializer_list<std::pair<bool, std::string_view>> handlers,
                        const FieldPath& path, FieldErrors* errs) {
  int set = 0;
  for (const auto& [present, name] : handlers) {
    if (present && ++set > 1) {
      errs->push_back(Forbidden(path.Child(name), "may not specify more than 1 handler type"));
    }
  }
  if (set == 0) errs->push_back(Required(path, "must specify a handler type"));
}

// The actions probes and lifecycle hooks share.
void ValidateHandlerActions(const minik8s::core::v1::ExecAction* exec,
                            const minik8s::core::v1::HTTPGetAction* http_get,
                            const minik8s::core::v1::TCPSocketAction* tcp_socket,
                            const FieldPath& path, FieldErrors* errs) {
  if (exec != nullptr && exec->command().empty()) {
    errs->push_back(Required(path.Child("exec").Child("command"), ""));
  }
  if (http_get != nullptr) {
    FieldPath hp = path.Child("httpGet");
    if (http_get->path().empty()) errs->push_back(Required(hp.Child("path"), ""));
    ValidatePortNumOrName(http_get->port(), hp.Child("port"), errs);
    const std::string& scheme = http_get->scheme();
    if (scheme != "HTTP" && scheme != "HTTPS") {
      errs->push_back(NotSupported(hp.Child("scheme"), scheme, {"HTTP", "HTTPS"}));
    }
    for (size_t i = 0; i < static_cast<size_t>(http_get->http_headers_size()); ++i) {
      const std::string& name = http_get->http_headers(i).name();
      for (const std::string& msg : IsHTTPHeaderName(name)) {
        errs->push_back(Invalid(hp.Child("httpHeaders").Index(i).Child("name"), name, msg));
      }
    }
  }
  if (tcp_socket != nullptr) {
    ValidatePortNumOrName(tcp_socket->port(), path.Child("tcpSocket").Child("port"), errs);
  }
}

// A postStart or preStop hook: one action, as for probes. A sleep must end
// within the pod's grace period (`grace`: the spec's, defaulted).
void ValidateLifecycleHandler(const minik8s::core::v1::LifecycleHandler& handler,
                              std::optional<int64_t> grace, const FieldPath& path,
                              FieldErrors* errs) {
  ValidateOneHandler({{handler.has_exec(), "exec"},
                      {handler.has_http_get(), "httpGet"},
                      {handler.has_tcp_socket(), "tcpSocket"},
                      {handler.has_sleep(), "sleep"}},
                     path, errs);
  ValidateHandlerActions(handler.has_exec() ? &handler.exec() : nullptr,
                         handler.has_http_get() ? &handler.http_get() : nullptr,
                         handler.has_tcp_socket() ? &handler.tcp_socket() : nullptr, path, errs);
  if (handler.has_sleep() && grace.has_value()) {
    const int64_t seconds = handler.sleep().seconds();
    if (seconds <= 0 || seconds > *grace) {
      errs->push_back(Invalid(path.Child("sleep").Child("seconds"), seconds,
                              absl::StrCat("must be greater than 0 and less than "
                                           "terminationGracePeriodSeconds (",
                                           *grace, ")")));
    }
  }
}

void ValidateProbe(const Probe& probe, const FieldPath& path, FieldErrors* errs) {
  ValidateOneHandler({{probe.has_exec(), "exec"},
                      {probe.has_http_get(), "httpGet"},
                      {probe.has_tcp_socket(), "tcpSocket"},
                      {probe.has_grpc(), "grpc"}},
                     path, errs);
  ValidateHandlerActions(probe.has_exec() ? &probe.exec() : nullptr,
                         probe.has_http_get() ? &probe.http_get() : nullptr,
                         probe.has_tcp_socket() ? &probe.tcp_socket() : nullptr, path, errs);
  if (probe.has_grpc()) {
    for (const std::string& msg : IsValidPortNum(probe.grpc().port())) {
      errs->push_back(Invalid(path.Child("grpc").Child("port"),
                              static_cast<int64_t>(probe.grpc().port()), msg));
    }
  }
  NonNegative(probe.initial_delay_seconds(), path.Child("initialDelaySeconds"), errs);
  NonNegative(probe.timeout_seconds(), path.Child("timeoutSeconds"), errs);
  NonNegative(probe.period_seconds(), path.Child("periodSeconds"), errs);
  NonNegative(probe.success_threshold(), path.Child("successThreshold"), errs);
  NonNegative(probe.failure_threshold(), path.Child("failureThreshold"), errs);
  if (probe.has_termination_grace_period_seconds() &&
      probe.termination_grace_period_seconds() <= 0) {
    errs->push_back(Invalid(path.Child("terminationGracePeriodSeconds"),
                            probe.termination_grace_period_seconds(), "must be greater than 0"));
  }
}

// apimachinery's IsValidUserID / IsValidGroupID: 0 to 2147483647.
void ValidateId(const FieldPath& path, int64_t id, FieldErrors* errs) {
  if (id < 0 || id > kMaxInt32)
    errs->push_back(Invalid(path, id, InclusiveRangeError(0, kMaxInt32)));
}

void ValidateContainer(const Container& ctr, std::optional<int64_t> grace, const FieldPath& path,
                       FieldErrors* errs) {
  FieldPath name_path = path.Child("name");
  if (ctr.name().empty()) {
    errs->push_back(Required(name_path, ""));
  } else {
    for (const std::string& msg : IsDNS1123Label(ctr.name())) {
      errs->push_back(Invalid(name_path, ctr.name(), msg));
    }
  }
  if (ctr.image().empty()) {
    errs->push_back(Required(path.Child("image"), ""));
  } else if (absl::StripAsciiWhitespace(ctr.image()).size() != ctr.image().size()) {
    errs->push_back(
        Invalid(path.Child("image"), ctr.image(), "must not have leading or trailing whitespace"));
  }

  // Probes.
  if (ctr.has_liveness_probe()) {
    ValidateProbe(ctr.liveness_probe(), path.Child("livenessProbe"), errs);
    if (ctr.liveness_probe().success_threshold() != 1) {
      errs->push_back(Invalid(path.Child("livenessProbe").Child("successThreshold"),
                              static_cast<int64_t>(ctr.liveness_probe().success_threshold()),
                              "must be 1"));
    }
  }
  if (ctr.has_readiness_probe()) {
    ValidateProbe(ctr.readiness_probe(), path.Child("readinessProbe"), errs);
    if (ctr.readiness_probe().has_termination_grace_period_seconds()) {
      errs->push_back(Invalid(path.Child("readinessProbe").Child("terminationGracePeriodSeconds"),
                              ctr.readiness_probe().termination_grace_period_seconds(),
                              "must not be set for readinessProbes"));
    }
  }
  if (ctr.has_startup_probe()) {
    ValidateProbe(ctr.startup_probe(), path.Child("startupProbe"), errs);
    if (ctr.startup_probe().success_threshold() != 1) {
      errs->push_back(Invalid(path.Child("startupProbe").Child("successThreshold"),
                              static_cast<int64_t>(ctr.startup_probe().success_threshold()),
                              "must be 1"));
    }
  }

  if (ctr.has_lifecycle()) {
    const FieldPath lp = path.Child("lifecycle");
    if (ctr.lifecycle().has_post_start()) {
      ValidateLifecycleHandler(ctr.lifecycle().post_start(), grace, lp.Child("postStart"), errs);
    }
    if (ctr.lifecycle().has_pre_stop()) {
      ValidateLifecycleHandler(ctr.lifecycle().pre_stop(), grace, lp.Child("preStop"), errs);
    }
  }

  // Ports.
  std::set<std::string> port_names;
  for (int i = 0; i < ctr.ports_size(); ++i) {
    const auto& port = ctr.ports(i);
    FieldPath ip = path.Child("ports").Index(i);
    if (!port.name().empty()) {
      std::vector<std::string> msgs = IsValidPortName(port.name());
      if (!msgs.empty()) {
        for (const std::string& msg : msgs)
          errs->push_back(Invalid(ip.Child("name"), port.name(), msg));
      } else if (!port_names.insert(port.name()).second) {
        errs->push_back(Duplicate(ip.Child("name"), port.name()));
      }
    }
    if (port.container_port() == 0) {
      errs->push_back(Required(ip.Child("containerPort"), ""));
    } else {
      for (const std::string& msg : IsValidPortNum(port.container_port())) {
        errs->push_back(
            Invalid(ip.Child("containerPort"), static_cast<int64_t>(port.container_port()), msg));
      }
    }
    if (port.host_port() != 0) {
      for (const std::string& msg : IsValidPortNum(port.host_port())) {
        errs->push_back(Invalid(ip.Child("hostPort"), static_cast<int64_t>(port.host_port()), msg));
      }
    }
    if (port.protocol().empty()) {
      errs->push_back(Required(ip.Child("protocol"), ""));
    } else if (port.protocol() != "TCP" && port.protocol() != "UDP" && port.protocol() != "SCTP") {
      errs->push_back(NotSupported(ip.Child("protocol"), port.protocol(), {"SCTP", "TCP", "UDP"}));
    }
  }

  // Env.
  for (int i = 0; i < ctr.env_size(); ++i) {
    FieldPath ep = path.Child("env").Index(i);
    const std::string& name = ctr.env(i).name();
    if (name.empty()) {
      errs->push_back(Required(ep.Child("name"), ""));
    } else {
      for (const std::string& msg : IsEnvVarName(name))
        errs->push_back(Invalid(ep.Child("name"), name, msg));
    }
    if (ctr.env(i).has_value_from()) ValidateEnvVarSource(ctr.env(i), ep.Child("valueFrom"), errs);
  }

  // EnvFrom: one source each, a name that could be the object's, a prefix
  // that could start a variable's name.
  for (int i = 0; i < ctr.env_from_size(); ++i) {
    const EnvFromSource& from = ctr.env_from(i);
    FieldPath ep = path.Child("envFrom").Index(i);
    if (!from.prefix().empty()) {
      for (const std::string& msg : IsEnvVarName(from.prefix()))
        errs->push_back(Invalid(ep.Child("prefix"), from.prefix(), msg));
    }
    auto check_name = [&](const std::string& name, const FieldPath& np) {
      if (name.empty()) {
        errs->push_back(Required(np, ""));
        return;
      }
      for (const std::string& msg : IsDNS1123Subdomain(name)) {
        errs->push_back(Invalid(np, name, msg));
      }
    };
    int sources = 0;
    if (from.has_config_map_ref()) {
      ++sources;
      check_name(from.config_map_ref().name(), ep.Child("configMapRef").Child("name"));
    }
    if (from.has_secret_ref()) {
      ++sources;
      check_name(from.secret_ref().name(), ep.Child("secretRef").Child("name"));
    }
    if (sources == 0) {
      errs->push_back(
          Invalid(path.Child("envFrom"), "", "must specify one of: `configMapRef` or `secretRef`"));
    } else if (sources > 1) {
      errs->push_back(Forbidden(ep, "may not have more than one field specified at a time"));
    }
  }

  // Pull policy.
  const std::string& pull = ctr.image_pull_policy();
  if (pull.empty()) {
    errs->push_back(Required(path.Child("imagePullPolicy"), ""));
  } else if (pull != "Always" && pull != "IfNotPresent" && pull != "Never") {
    errs->push_back(
        NotSupported(path.Child("imagePullPolicy"), pull, {"Always", "IfNotPresent", "Never"}));
  }

  Append(errs, ValidateResourceRequirements(ctr.resources(), path.Child("resources")));

  if (ctr.has_security_context()) {
    const auto& sc = ctr.security_context();
    FieldPath sp = path.Child("securityContext");
    if (sc.has_run_as_user()) ValidateId(sp.Child("runAsUser"), sc.run_as_user(), errs);
    if (sc.has_run_as_group()) ValidateId(sp.Child("runAsGroup"), sc.run_as_group(), errs);
  }

  const std::string& tmp = ctr.termination_message_policy();
  if (tmp.empty()) {
    errs->push_back(Required(path.Child("terminationMessagePolicy"), ""));
  } else if (tmp != "File" && tmp != "FallbackToLogsOnError") {
    errs->push_back(NotSupported(path.Child("terminationMessagePolicy"), tmp,
                                 {"File", "FallbackToLogsOnError"}));
  }
}

void ValidateContainers(const google::protobuf::RepeatedPtrField<Container>& containers,
                        std::optional<int64_t> grace, const FieldPath& path, bool required,
                        std::set<std::string>* all_names, FieldErrors* errs) {
  if (containers.empty()) {
    if (required) errs->push_back(Required(path, ""));
    return;
  }
  for (int i = 0; i < containers.size(); ++i) {
    FieldPath ip = path.Index(i);
    ValidateContainer(containers[i], grace, ip, errs);
    if (!containers[i].name().empty() && !all_names->insert(containers[i].name()).second) {
      errs->push_back(Duplicate(ip.Child("name"), containers[i].name()));
    }
  }
}

FieldErrors ValidateNodeSpec(const Node& node) {
  FieldErrors errs;
  FieldPath tp = FieldPath("spec").Child("taints");
  std::set<std::pair<std::string, std::string>> seen;  // (effect, key)
  for (int i = 0; i < node.spec().taints_size(); ++i) {
    const auto& t = node.spec().taints(i);
    FieldPath ip = tp.Index(i);
    ValidateLabelName(t.key(), ip.Child("key"), &errs);
    std::vector<std::string> msgs = IsValidLabelValue(t.value());
    if (!msgs.empty())
      errs.push_back(Invalid(ip.Child("value"), t.value(), absl::StrJoin(msgs, ";")));
    ValidateTaintEffect(t.effect(), false, ip.Child("effect"), &errs);
    if (!seen.insert({t.effect(), t.key()}).second) {
      FieldError e = DuplicatePrinted(
          ip, "core.Taint{Key:" + QuoteValue(t.key()) + ", Value:" + QuoteValue(t.value()) +
                  ", Effect:" + QuoteValue(t.effect()) + ", TimeAdded:<nil>}");
      e.detail = "taints must be unique by key and effect pair";
      errs.push_back(std::move(e));
    }
  }
  return errs;
}

}  // namespace

FieldErrors ValidateResourceRequirements(const minik8s::core::v1::ResourceRequirements& r,
                                         const FieldPath& path) {
  FieldErrors errs;
  FieldPath lim_path = path.Child("limits");
  FieldPath req_path = path.Child("requests");
  std::map<std::string, api::Quantity> limits;
  std::map<std::string, minik8s::meta::v1::Quantity> sorted_limits(r.limits().begin(),
                                                                   r.limits().end());
  for (const auto& [name, q] : sorted_limits) {
    FieldPath p = lim_path.Key(name);
    ValidateContainerResourceName(name, p, &errs);
    auto parsed = api::Quantity::FromProto(q);
    if (!parsed.ok()) {
      errs.push_back(Invalid(p, q.value(), std::string(parsed.status().message())));
      continue;
    }
    if (parsed->Sign() < 0) errs.push_back(Invalid(p, parsed->String(), kNegativeMsg));
    limits.emplace(name, *parsed);
  }
  std::map<std::string, minik8s::meta::v1::Quantity> sorted_requests(r.requests().begin(),
                                                                     r.requests().end());
  for (const auto& [name, q] : sorted_requests) {
    FieldPath p = req_path.Key(name);
    ValidateContainerResourceName(name, p, &errs);
    auto parsed = api::Quantity::FromProto(q);
    if (!parsed.ok()) {
      errs.push_back(Invalid(p, q.value(), std::string(parsed.status().message())));
      continue;
    }
    if (parsed->Sign() < 0) errs.push_back(Invalid(p, parsed->String(), kNegativeMsg));
    auto lim = limits.find(name);
    if (lim == limits.end()) continue;
    // Resources that cannot be overcommitted (hugepages) need requests ==
    // limits; the others need requests <= limits.
    bool overcommit = name.substr(0, 10) != "hugepages-";
    if (!overcommit && parsed->Cmp(lim->second) != 0) {
      errs.push_back(Invalid(req_path, parsed->String(),
                             "must be equal to " + name + " limit of " + lim->second.String()));
    } else if (parsed->Cmp(lim->second) > 0) {
      errs.push_back(
          Invalid(req_path, parsed->String(),
                  "must be less than or equal to " + name + " limit of " + lim->second.String()));
    }
  }
  return errs;
}

FieldErrors ValidateTolerations(const google::protobuf::RepeatedPtrField<Toleration>& tolerations,
                                const FieldPath& path) {
  FieldErrors errs;
  for (int i = 0; i < tolerations.size(); ++i) {
    const Toleration& t = tolerations[i];
    FieldPath ip = path.Index(i);
    if (!t.key().empty()) ValidateLabelName(t.key(), ip.Child("key"), &errs);
    if (t.key().empty() && t.operator_() != "Exists") {
      errs.push_back(Invalid(ip.Child("operator"), t.operator_(),
                             "operator must be Exists when `key` is empty, which means \"match "
                             "all values and all keys\""));
    }
    if (t.has_toleration_seconds() && t.effect() != "NoExecute") {
      errs.push_back(Invalid(ip.Child("effect"), t.effect(),
                             "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    if (t.operator_().empty() || t.operator_() == "Equal") {
      std::vector<std::string> msgs = IsValidLabelValue(t.value());
      if (!msgs.empty()) {
        errs.push_back(Invalid(ip.Child("operator"), t.value(), absl::StrJoin(msgs, ";")));
      }
    } else if (t.operator_() == "Exists") {
      if (!t.value().empty()) {
        errs.push_back(InvalidPrinted(ip.Child("operator"), PrintToleration(t),
                                      "value must be empty when `operator` is 'Exists'"));
      }
    } else {
      errs.push_back(NotSupported(ip.Child("operator"), t.operator_(), {"Equal", "Exists"}));
    }
    if (!t.effect().empty()) ValidateTaintEffect(t.effect(), true, ip.Child("effect"), &errs);
  }
  return errs;
}

namespace {

// Kubernetes' validateTopologySpreadConstraints.
void ValidateTopologySpreadConstraints(
    const google::protobuf::RepeatedPtrField<minik8s::core::v1::TopologySpreadConstraint>& list,
    const FieldPath& path, FieldErrors* errs) {
  constexpr char kNotPositive[] = "must be greater than zero";
  // Whether a later constraint repeats {topologyKey, whenUnsatisfiable}: one
  // pass from the end, so that a request with many constraints costs
  // n log n, not n².
  std::vector<bool> repeated_later(list.size(), false);
  std::set<std::pair<std::string_view, std::string_view>> seen;
  for (int i = list.size() - 1; i >= 0; --i) {
    repeated_later[i] = !seen.emplace(list[i].topology_key(), list[i].when_unsatisfiable()).second;
  }
  for (int i = 0; i < list.size(); ++i) {
    const auto& c = list[i];
    FieldPath ip = path.Index(i);
    if (c.max_skew() <= 0) {
      errs->push_back(Invalid(ip.Child("maxSkew"), int64_t{c.max_skew()}, kNotPositive));
    }
    if (c.topology_key().empty()) {
      errs->push_back(Required(ip.Child("topologyKey"), "can not be empty"));
    }
    const std::string& action = c.when_unsatisfiable();
    if (action != "DoNotSchedule" && action != "ScheduleAnyway") {
      errs->push_back(
          NotSupported(ip.Child("whenUnsatisfiable"), action, {"DoNotSchedule", "ScheduleAnyway"}));
    }
    if (repeated_later[i]) {
      errs->push_back(Duplicate(ip.Child("{topologyKey, whenUnsatisfiable}"),
                                absl::StrCat("{", c.topology_key(), ", ", action, "}")));
    }
    if (c.has_min_domains()) {
      if (c.min_domains() <= 0) {
        errs->push_back(Invalid(ip.Child("minDomains"), int64_t{c.min_domains()}, kNotPositive));
      }
      if (action != "DoNotSchedule") {
        errs->push_back(
            Invalid(ip.Child("minDomains"), int64_t{c.min_domains()},
                    absl::StrCat("can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ",
                                 action)));
      }
    }
    auto policy = [&](bool set, const std::string& value, const char* field) {
      if (set && value != "Honor" && value != "Ignore") {
        errs->push_back(NotSupported(ip.Child(field), value, {"Honor", "Ignore"}));
      }
    };
    policy(c.has_node_affinity_policy(), c.node_affinity_policy(), "nodeAffinityPolicy");
    policy(c.has_node_taints_policy(), c.node_taints_policy(), "nodeTaintsPolicy");
    if (c.match_label_keys_size() > 0) {
      FieldPath kp = ip.Child("matchLabelKeys");
      std::set<std::string> selector_keys;
      if (c.has_label_selector()) {
        for (const auto& [k, v] : c.label_selector().match_labels()) selector_keys.insert(k);
        for (const auto& e : c.label_selector().match_expressions()) selector_keys.insert(e.key());
      } else {
        errs->push_back(Forbidden(kp, "must not be specified when labelSelector is not set"));
      }
      for (int k = 0; k < c.match_label_keys_size(); ++k) {
        const std::string& key = c.match_label_keys(k);
        ValidateLabelName(key, kp.Index(k), errs);
        if (selector_keys.contains(key)) {
          errs->push_back(
              Invalid(kp.Index(k), key, "exists in both matchLabelKeys and labelSelector"));
        }
      }
    }
    if (c.has_label_selector()) {
      Append(errs, ValidateLabelSelector(c.label_selector(), ip.Child("labelSelector")));
    }
  }
}

// Kubernetes' validateMatchLabelKeysAndMismatchLabelKeys.
void ValidateMatchLabelKeys(const minik8s::core::v1::PodAffinityTerm& term, const FieldPath& path,
                            FieldErrors* errs) {
  if (term.match_label_keys().empty() && term.mismatch_label_keys().empty()) return;
  std::set<std::string> selector_keys;
  if (term.has_label_selector()) {
    for (const auto& [k, v] : term.label_selector().match_labels()) selector_keys.insert(k);
    for (const auto& e : term.label_selector().match_expressions()) selector_keys.insert(e.key());
  } else {
    errs->push_back(Forbidden(path, "must not be specified when labelSelector is not set"));
  }
  const std::set<std::string> mismatch(term.mismatch_label_keys().begin(),
                                       term.mismatch_label_keys().end());
  auto check = [&](const google::protobuf::RepeatedPtrField<std::string>& keys, const char* field,
                   bool against_mismatch) {
    for (int i = 0; i < keys.size(); ++i) {
      FieldPath kp = path.Child(field).Index(i);
      ValidateLabelName(keys[i], kp, errs);
      if (selector_keys.contains(keys[i])) {
        errs->push_back(
            Invalid(kp, keys[i], absl::StrCat("exists in both ", field, " and labelSelector")));
      }
      if (against_mismatch && mismatch.contains(keys[i])) {
        errs->push_back(
            Invalid(kp, keys[i], "exists in both matchLabelKeys and mismatchLabelKeys"));
      }
    }
  };
  check(term.match_label_keys(), "matchLabelKeys", true);
  check(term.mismatch_label_keys(), "mismatchLabelKeys", false);
}

// Kubernetes' validatePodAffinityTerm.
void ValidatePodAffinityTerm(const minik8s::core::v1::PodAffinityTerm& term, const FieldPath& path,
                             FieldErrors* errs) {
  if (term.has_label_selector()) {
    Append(errs, ValidateLabelSelector(term.label_selector(), path.Child("labelSelector")));
  }
  if (term.has_namespace_selector()) {
    const auto& ns = term.namespace_selector();
    Append(errs, ValidateLabelSelector(ns, path.Child("namespaceSelector")));
    // The scheduler keeps no namespace labels, so only {} (every namespace)
    // can be honoured.
    if (!ns.match_labels().empty() || !ns.match_expressions().empty()) {
      errs->push_back(Forbidden(path.Child("namespaceSelector"),
                                "minik8s supports only the empty namespaceSelector ({}, every "
                                "namespace); list the namespaces in `namespaces` instead"));
    }
  }
  for (const std::string& name : term.namespaces()) {
    for (const std::string& msg : IsDNS1123Label(name)) {
      errs->push_back(Invalid(path.Child("namespace"), name, msg));
    }
  }
  ValidateMatchLabelKeys(term, path, errs);
  if (term.topology_key().empty()) {
    errs->push_back(Required(path.Child("topologyKey"), "can not be empty"));
  }
  ValidateLabelName(term.topology_key(), path.Child("topologyKey"), errs);
}

// Kubernetes' validatePodAffinity and validatePodAntiAffinity (the same
// shape).
template <typename Affinity>
void ValidatePodAffinity(const Affinity& affinity, const FieldPath& path, FieldErrors* errs) {
  FieldPath rp = path.Child("requiredDuringSchedulingIgnoredDuringExecution");
  const auto& required = affinity.required_during_scheduling_ignored_during_execution();
  for (int i = 0; i < required.size(); ++i) ValidatePodAffinityTerm(required[i], rp.Index(i), errs);
  FieldPath pp = path.Child("preferredDuringSchedulingIgnoredDuringExecution");
  const auto& preferred = affinity.preferred_during_scheduling_ignored_during_execution();
  for (int i = 0; i < preferred.size(); ++i) {
    if (preferred[i].weight() <= 0 || preferred[i].weight() > 100) {
      errs->push_back(Invalid(pp.Index(i).Child("weight"), int64_t{preferred[i].weight()},
                              "must be in the range 1-100"));
    }
    ValidatePodAffinityTerm(preferred[i].pod_affinity_term(), pp.Index(i).Child("podAffinityTerm"),
                            errs);
  }
}

// Kubernetes' ValidateHostAliases: each ip an IP address, each hostname a
// DNS-1123 subdomain.
void ValidateHostAliases(const google::protobuf::RepeatedPtrField<core::v1::HostAlias>& aliases,
                         const FieldPath& path, FieldErrors* errs) {
  for (int i = 0; i < aliases.size(); ++i) {
    const auto& alias = aliases[i];
    FieldPath ip = path.Index(i);
    for (const std::string& msg : IsValidIP(alias.ip())) {
      errs->push_back(Invalid(ip.Child("ip"), alias.ip(), msg));
    }
    for (int j = 0; j < alias.hostnames_size(); ++j) {
      for (const std::string& msg : IsDNS1123Subdomain(alias.hostnames(j))) {
        errs->push_back(Invalid(ip.Child("hostnames").Index(j), alias.hostnames(j), msg));
      }
    }
  }
}

// Limits of Kubernetes' validatePodDNSConfig (those of libc's resolver).
constexpr int kMaxDNSNameservers = 3;
constexpr int kMaxDNSSearchPaths = 32;
constexpr size_t kMaxDNSSearchListChars = 2048;

// Kubernetes' validatePodDNSConfig: dnsPolicy None needs a dnsConfig with a
// nameserver; at most 3 nameservers, each an IP address; at most 32 search
// domains, 2048 characters joined by spaces, each a DNS-1123 subdomain (a
// trailing dot allowed); every option named.
void ValidatePodDNSConfig(const PodSpec& spec, const FieldPath& path, FieldErrors* errs) {
  if (spec.dns_policy() == "None") {
    if (!spec.has_dns_config()) {
      errs->push_back(Required(path, "must provide `dnsConfig` when `dnsPolicy` is None"));
      return;
    }
    if (spec.dns_config().nameservers().empty()) {
      errs->push_back(
          Required(path.Child("nameservers"),
                   "must provide at least one DNS nameserver when `dnsPolicy` is None"));
      return;
    }
  }
  if (!spec.has_dns_config()) return;
  const core::v1::PodDNSConfig& config = spec.dns_config();
  const std::vector<std::string> nameservers(config.nameservers().begin(),
                                             config.nameservers().end());
  if (config.nameservers_size() > kMaxDNSNameservers) {
    errs->push_back(InvalidPrinted(
        path.Child("nameservers"), PrintStringSlice(nameservers),
        absl::StrCat("must not have more than ", kMaxDNSNameservers, " nameservers")));
  }
  for (int i = 0; i < config.nameservers_size(); ++i) {
    for (const std::string& msg : IsValidIP(config.nameservers(i))) {
      errs->push_back(Invalid(path.Child("nameservers").Index(i), config.nameservers(i), msg));
    }
  }
  const std::vector<std::string> searches(config.searches().begin(), config.searches().end());
  if (config.searches_size() > kMaxDNSSearchPaths) {
    errs->push_back(InvalidPrinted(
        path.Child("searches"), PrintStringSlice(searches),
        absl::StrCat("must not have more than ", kMaxDNSSearchPaths, " search paths")));
  }
  if (absl::StrJoin(searches, " ").size() > kMaxDNSSearchListChars) {
    errs->push_back(InvalidPrinted(path.Child("searches"), PrintStringSlice(searches),
                                   absl::StrCat("must not have more than ", kMaxDNSSearchListChars,
                                                " characters (including spaces) in the search "
                                                "list")));
  }
  for (int i = 0; i < config.searches_size(); ++i) {
    std::string_view search = config.searches(i);
    if (search.ends_with('.')) search.remove_suffix(1);
    for (const std::string& msg : IsDNS1123Subdomain(search)) {
      errs->push_back(Invalid(path.Child("searches").Index(i), search, msg));
    }
  }
  for (int i = 0; i < config.options_size(); ++i) {
    if (config.options(i).name().empty()) {
      errs->push_back(Required(path.Child("options").Index(i), "must not be empty"));
    }
  }
}

// Kubernetes' validateReadinessGates: each condition type a qualified name.
void ValidateReadinessGates(
    const google::protobuf::RepeatedPtrField<core::v1::PodReadinessGate>& gates,
    const FieldPath& path, FieldErrors* errs) {
  for (int i = 0; i < gates.size(); ++i) {
    ValidateLabelName(gates[i].condition_type(), path.Index(i).Child("conditionType"), errs);
  }
}

// Kubernetes' validateOS, then validateWindows for a windows pod: the
// fields a Windows node cannot honour, among those minik8s has, are
// refused. (validateLinux refuses only windowsOptions, which minik8s does
// not have.) Returns false when the OS name itself was refused.
bool ValidateOS(const PodSpec& spec, const FieldPath& path, FieldErrors* errs) {
  const std::string& name = spec.os().name();
  if (name.empty()) {
    errs->push_back(Required(path.Child("os").Child("name"), "cannot be empty"));
    return false;
  }
  if (name != "linux" && name != "windows") {
    errs->push_back(NotSupported(path.Child("os"), name, {"linux", "windows"}));
    return false;
  }
  return true;
}

void ValidateWindows(const PodSpec& spec, const FieldPath& path, FieldErrors* errs) {
  constexpr char kMsg[] = "cannot be set for a windows pod";
  if (spec.host_pid()) errs->push_back(Forbidden(path.Child("hostPID"), kMsg));
  if (spec.host_ipc()) errs->push_back(Forbidden(path.Child("hostIPC"), kMsg));
  const FieldPath sp = path.Child("securityContext");
  const core::v1::PodSecurityContext& psc = spec.security_context();
  if (psc.has_fs_group()) errs->push_back(Forbidden(sp.Child("fsGroup"), kMsg));
  if (spec.has_share_process_namespace()) {
    errs->push_back(Forbidden(path.Child("shareProcessNamespace"), kMsg));
  }
  if (psc.has_run_as_user()) errs->push_back(Forbidden(sp.Child("runAsUser"), kMsg));
  if (psc.has_run_as_group()) errs->push_back(Forbidden(sp.Child("runAsGroup"), kMsg));
  if (psc.supplemental_groups_size() > 0) {
    errs->push_back(Forbidden(sp.Child("supplementalGroups"), kMsg));
  }
  auto containers = [&](const google::protobuf::RepeatedPtrField<Container>& list,
                        const FieldPath& lp) {
    for (int i = 0; i < list.size(); ++i) {
      if (!list[i].has_security_context()) continue;
      const core::v1::SecurityContext& sc = list[i].security_context();
      const FieldPath cp = lp.Index(i).Child("securityContext");
      if (sc.has_capabilities()) errs->push_back(Forbidden(cp.Child("capabilities"), kMsg));
      if (sc.has_read_only_root_filesystem()) {
        errs->push_back(Forbidden(cp.Child("readOnlyRootFilesystem"), kMsg));
      }
      if (sc.has_privileged()) errs->push_back(Forbidden(cp.Child("privileged"), kMsg));
      if (sc.has_allow_privilege_escalation()) {
        errs->push_back(Forbidden(cp.Child("allowPrivilegeEscalation"), kMsg));
      }
      if (sc.has_run_as_user()) errs->push_back(Forbidden(cp.Child("runAsUser"), kMsg));
      if (sc.has_run_as_group()) errs->push_back(Forbidden(cp.Child("runAsGroup"), kMsg));
    }
  };
  containers(spec.init_containers(), path.Child("initContainers"));
  containers(spec.containers(), path.Child("containers"));
}

}  // namespace

FieldErrors ValidatePodSpec(const PodSpec& spec, const FieldPath& path) {
  FieldErrors errs;
  Append(&errs, ValidateVolumes(spec.volumes(), path.Child("volumes")));
  std::set<std::string> container_names;
  std::optional<int64_t> grace;
  if (spec.has_termination_grace_period_seconds()) grace = spec.termination_grace_period_seconds();
  ValidateContainers(spec.containers(), grace, path.Child("containers"), /*required=*/true,
                     &container_names, &errs);
  ValidateContainers(spec.init_containers(), grace, path.Child("initContainers"),
                     /*required=*/false, &container_names, &errs);
  for (int i = 0; i < spec.init_containers_size(); ++i) {
    // Hooks are for containers that keep running (Kubernetes allows them on
    // restartable init containers, which minik8s does not have).
    if (spec.init_containers(i).has_lifecycle()) {
      errs.push_back(Forbidden(path.Child("initContainers").Index(i).Child("lifecycle"),
                               "may not be set for init containers without restartPolicy=Always"));
    }
  }

  const std::string& rp = spec.restart_policy();
  if (rp.empty()) {
    errs.push_back(Required(path.Child("restartPolicy"), ""));
  } else if (rp != "Always" && rp != "OnFailure" && rp != "Never") {
    errs.push_back(NotSupported(path.Child("restartPolicy"), rp, {"Always", "OnFailure", "Never"}));
  }
  const std::string& dns = spec.dns_policy();
  if (dns.empty()) {
    errs.push_back(Required(path.Child("dnsPolicy"), ""));
  } else if (dns != "ClusterFirstWithHostNet" && dns != "ClusterFirst" && dns != "Default" &&
             dns != "None") {
    errs.push_back(NotSupported(path.Child("dnsPolicy"), dns,
                                {"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"}));
  }
  Append(&errs, ValidateLabels(spec.node_selector(), path.Child("nodeSelector")));
  if (spec.has_security_context()) {
    const auto& sc = spec.security_context();
    FieldPath sp = path.Child("securityContext");
    if (sc.has_fs_group()) ValidateId(sp.Child("fsGroup"), sc.fs_group(), &errs);
    if (sc.has_run_as_user()) ValidateId(sp.Child("runAsUser"), sc.run_as_user(), &errs);
    if (sc.has_run_as_group()) ValidateId(sp.Child("runAsGroup"), sc.run_as_group(), &errs);
    for (int i = 0; i < sc.supplemental_groups_size(); ++i) {
      ValidateId(sp.Child("supplementalGroups").Index(i), sc.supplemental_groups(i), &errs);
    }
  }
  // Kubernetes keeps these three in its internal PodSecurityContext, hence
  // the path of the error.
  if (spec.host_pid() && spec.share_process_namespace()) {
    errs.push_back(InvalidPrinted(path.Child("securityContext").Child("shareProcessNamespace"),
                                  PrintBool(true),
                                  "ShareProcessNamespace and HostPID cannot both be enabled"));
  }
  if (spec.affinity().has_node_affinity()) {
    FieldPath pp = path.Child("affinity")
                       .Child("nodeAffinity")
                       .Child("preferredDuringSchedulingIgnoredDuringExecution");
    const auto& terms =
        spec.affinity().node_affinity().preferred_during_scheduling_ignored_during_execution();
    for (int i = 0; i < terms.size(); ++i) {
      if (terms[i].weight() <= 0 || terms[i].weight() > 100) {
        errs.push_back(Invalid(pp.Index(i).Child("weight"), static_cast<int64_t>(terms[i].weight()),
                               "must be in the range 1-100"));
      }
    }
  }
  if (spec.affinity().has_pod_affinity()) {
    ValidatePodAffinity(spec.affinity().pod_affinity(), path.Child("affinity").Child("podAffinity"),
                        &errs);
  }
  if (spec.affinity().has_pod_anti_affinity()) {
    ValidatePodAffinity(spec.affinity().pod_anti_affinity(),
                        path.Child("affinity").Child("podAntiAffinity"), &errs);
  }
  ValidatePodDNSConfig(spec, path.Child("dnsConfig"), &errs);
  ValidateReadinessGates(spec.readiness_gates(), path.Child("readinessGates"), &errs);
  if (!spec.service_account_name().empty()) {
    for (const std::string& msg : IsDNS1123Subdomain(spec.service_account_name())) {
      errs.push_back(Invalid(path.Child("serviceAccountName"), spec.service_account_name(), msg));
    }
  }
  if (!spec.node_name().empty()) {
    for (const std::string& msg : IsDNS1123Subdomain(spec.node_name())) {
      errs.push_back(Invalid(path.Child("nodeName"), spec.node_name(), msg));
    }
  }
  if (spec.has_active_deadline_seconds()) {
    int64_t v = spec.active_deadline_seconds();
    if (v < 1 || v > kMaxInt32) {
      errs.push_back(
          Invalid(path.Child("activeDeadlineSeconds"), v, InclusiveRangeError(1, kMaxInt32)));
    }
  }
  if (spec.has_termination_grace_period_seconds()) {
    NonNegative(spec.termination_grace_period_seconds(),
                path.Child("terminationGracePeriodSeconds"), &errs);
  }
  Append(&errs, ValidateTolerations(spec.tolerations(), path.Child("tolerations")));
  ValidateTopologySpreadConstraints(spec.topology_spread_constraints(),
                                    path.Child("topologySpreadConstraints"), &errs);
  if (!spec.hostname().empty()) {
    for (const std::string& msg : IsDNS1123Label(spec.hostname())) {
      errs.push_back(Invalid(path.Child("hostname"), spec.hostname(), msg));
    }
  }
  if (!spec.subdomain().empty()) {
    for (const std::string& msg : IsDNS1123Label(spec.subdomain())) {
      errs.push_back(Invalid(path.Child("subdomain"), spec.subdomain(), msg));
    }
  }
  ValidateHostAliases(spec.host_aliases(), path.Child("hostAliases"), &errs);
  if (!spec.scheduler_name().empty()) {
    for (const std::string& msg : IsDNS1123Subdomain(spec.scheduler_name())) {
      errs.push_back(Invalid(path.Child("schedulerName"), spec.scheduler_name(), msg));
    }
  }
  if (spec.has_os() && ValidateOS(spec, path, &errs) && spec.os().name() == "windows") {
    ValidateWindows(spec, path, &errs);
  }
  return errs;
}

FieldErrors ValidatePod(const Pod& pod) {
  FieldErrors errs =
      ValidateObjectMeta(pod.metadata(), true, NameRule::kDNS1123Subdomain, FieldPath("metadata"));
  Append(&errs, ValidatePodSpec(pod.spec(), FieldPath("spec")));
  return errs;
}

FieldErrors ValidatePodUpdate(const Pod& pod, const Pod& old) {
  FieldPath spec_path("spec");
  FieldErrors errs =
      ValidateObjectMetaUpdate(pod.metadata(), old.metadata(), FieldPath("metadata"));
  Append(&errs, ValidatePodSpec(pod.spec(), spec_path));

  // Container images may change; the set of containers may not.
  auto check_containers = [&](const google::protobuf::RepeatedPtrField<Container>& now,
                              const google::protobuf::RepeatedPtrField<Container>& before,
                              const FieldPath& p) {
    if (now.size() != before.size()) {
      errs.push_back(Forbidden(p, "pod updates may not add or remove containers"));
      return false;
    }
    return true;
  };
  if (!check_containers(pod.spec().containers(), old.spec().containers(),
                        spec_path.Child("containers")) ||
      !check_containers(pod.spec().init_containers(), old.spec().init_containers(),
                        spec_path.Child("initContainers"))) {
    return errs;
  }

  // activeDeadlineSeconds: may be set, or lowered, never raised or unset.
  if (pod.spec().has_active_deadline_seconds()) {
    int64_t now = pod.spec().active_deadline_seconds();
    if (now < 0 || now > kMaxInt32) {
      errs.push_back(Invalid(spec_path.Child("activeDeadlineSeconds"), now,
                             InclusiveRangeError(0, kMaxInt32)));
      return errs;
    }
    if (old.spec().has_active_deadline_seconds() && old.spec().active_deadline_seconds() < now) {
      errs.push_back(Invalid(spec_path.Child("activeDeadlineSeconds"), now,
                             "must be less than or equal to previous value"));
      return errs;
    }
  } else if (old.spec().has_active_deadline_seconds()) {
    errs.push_back(InvalidPrinted(spec_path.Child("activeDeadlineSeconds"), "null",
                                  "must not update from a positive integer to nil value"));
  }

  // Tolerations: only additions; an existing one may change its
  // tolerationSeconds.
  for (const Toleration& before : old.spec().tolerations()) {
    bool found = false;
    for (const Toleration& now : pod.spec().tolerations()) {
      Toleration clone = before;
      if (now.has_toleration_seconds()) {
        clone.set_toleration_seconds(now.toleration_seconds());
      } else {
        clone.clear_toleration_seconds();
      }
      if (common::ProtoEqual(clone, now)) {
        found = true;
        break;
      }
    }
    if (!found) {
      errs.push_back(
          Forbidden(spec_path.Child("tolerations"),
                    "existing toleration can not be modified except its tolerationSeconds"));
      break;
    }
  }

  // Everything else must be unchanged.
  PodSpec munged = pod.spec();
  for (int i = 0; i < munged.containers_size(); ++i) {
    munged.mutable_containers(i)->set_image(old.spec().containers(i).image());
  }
  for (int i = 0; i < munged.init_containers_size(); ++i) {
    munged.mutable_init_containers(i)->set_image(old.spec().init_containers(i).image());
  }
  if (old.spec().has_active_deadline_seconds()) {
    munged.set_active_deadline_seconds(old.spec().active_deadline_seconds());
  } else {
    munged.clear_active_deadline_seconds();
  }
  *munged.mutable_tolerations() = old.spec().tolerations();
  if (old.spec().has_termination_grace_period_seconds() &&
      old.spec().termination_grace_period_seconds() < 0 &&
      munged.has_termination_grace_period_seconds() &&
      munged.termination_grace_period_seconds() == 1) {
    munged.set_termination_grace_period_seconds(old.spec().termination_grace_period_seconds());
  }
  // The stored pod as Kubernetes reads it, defaulted: a pod stored before a
  // volume default existed is not changed by that default.
  PodSpec before = old.spec();
  for (auto& volume : *before.mutable_volumes()) SetVolumeDefaults(&volume);
  if (!common::ProtoEqual(munged, before)) {
    errs.push_back(Forbidden(
        spec_path,
        "pod updates may not change fields other than `spec.containers[*].image`,"
        "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only "
        "additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be "
        "set to 1 if it was previously negative)"));
  }
  return errs;
}

FieldErrors ValidateNode(const Node& node) {
  FieldErrors errs = ValidateObjectMeta(node.metadata(), false, NameRule::kDNS1123Subdomain,
                                        FieldPath("metadata"));
  Append(&errs, ValidateNodeSpec(node));
  return errs;
}

FieldErrors ValidateNodeUpdate(const Node& node, const Node& old) {
  FieldErrors errs =
      ValidateObjectMetaUpdate(node.metadata(), old.metadata(), FieldPath("metadata"));
  Append(&errs, ValidateNodeSpec(node));
  return errs;
}

FieldErrors ValidateNamespace(const Namespace& ns) {
  FieldErrors errs =
      ValidateObjectMeta(ns.metadata(), false, NameRule::kDNS1123Label, FieldPath("metadata"));
  FieldPath fp = FieldPath("spec").Child("finalizers");
  for (const std::string& f : ns.spec().finalizers()) {
    for (const std::string& msg : IsQualifiedName(f)) errs.push_back(Invalid(fp, f, msg));
  }
  return errs;
}

FieldErrors ValidateNamespaceUpdate(const Namespace& ns, const Namespace& old) {
  return ValidateObjectMetaUpdate(ns.metadata(), old.metadata(), FieldPath("metadata"));
}

FieldErrors ValidateEvent(const Event& event) {
  FieldErrors errs = ValidateObjectMeta(event.metadata(), true, NameRule::kDNS1123Subdomain,
                                        FieldPath("metadata"));
  const std::string& ns = event.metadata().namespace_();
  const std::string& obj_ns = event.involved_object().namespace_();
  FieldPath p = FieldPath("involvedObject").Child("namespace");
  if (obj_ns.empty()) {
    // Cluster-scoped object: the event lives in "default" (or nowhere).
    if (!ns.empty() && ns != "default")
      errs.push_back(Invalid(p, obj_ns, "does not match event.namespace"));
  } else if (ns != obj_ns) {
    errs.push_back(Invalid(p, obj_ns, "does not match event.namespace"));
  }
  return errs;
}

FieldErrors ValidateEventUpdate(const Event& event, const Event& old) {
  FieldErrors errs =
      ValidateObjectMetaUpdate(event.metadata(), old.metadata(), FieldPath("metadata"));
  for (FieldError& e : ValidateEvent(event)) {
    if (!absl::StartsWith(e.field, "metadata")) errs.push_back(std::move(e));
  }
  return errs;
}

FieldErrors ValidateBinding(const Binding& binding) {
  FieldErrors errs;
  FieldPath tp("target");
  if (!binding.target().kind().empty() && binding.target().kind() != "Node") {
    errs.push_back(NotSupported(tp.Child("kind"), binding.target().kind(), {"Node", "<empty>"}));
  }
  if (binding.target().name().empty()) errs.push_back(Required(tp.Child("name"), ""));
  return errs;
}

}  // namespace minik8s::validation
