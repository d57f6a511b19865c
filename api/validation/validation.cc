#include "api/validation/validation.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "api/quantity.h"
#include "api/selector/labels.h"
#include "api/validation/names.h"
#include "google/protobuf/util/message_differencer.h"

namespace minik8s::validation {
namespace {

using minik8s::apps::v1::Deployment;
using minik8s::apps::v1::ReplicaSet;
using minik8s::coordination::v1::Lease;
using minik8s::core::v1::Binding;
using minik8s::core::v1::Container;
using minik8s::core::v1::Event;
using minik8s::core::v1::Namespace;
using minik8s::core::v1::Node;
using minik8s::core::v1::Pod;
using minik8s::core::v1::PodSpec;
using minik8s::core::v1::Probe;
using minik8s::core::v1::Toleration;
using minik8s::meta::v1::IntOrString;
using minik8s::meta::v1::LabelSelector;
using minik8s::meta::v1::ObjectMeta;
using google::protobuf::util::MessageDifferencer;

constexpr std::string_view kNegativeMsg = "must be greater than or equal to 0";
constexpr std::string_view kImmutableMsg = "field is immutable";
constexpr int64_t kMaxInt32 = std::numeric_limits<int32_t>::max();
constexpr int64_t kTotalAnnotationSizeLimit = 256 * 1024;

void Append(FieldErrors* out, FieldErrors more) {
  out->insert(out->end(), std::make_move_iterator(more.begin()),
              std::make_move_iterator(more.end()));
}

// Go-like iteration over a proto map in key order (deterministic errors).
std::map<std::string, std::string> Sorted(
    const google::protobuf::Map<std::string, std::string>& m) {
  return std::map<std::string, std::string>(m.begin(), m.end());
}

void NonNegative(int64_t value, const FieldPath& path, FieldErrors* errs) {
  if (value < 0) errs->push_back(Invalid(path, value, kNegativeMsg));
}

// Replaces a trailing '-' so a generateName prefix can be checked as a name.
std::string MaskTrailingDash(std::string_view name) {
  std::string s(name);
  if (s.size() > 1 && s.back() == '-') s.back() = 'a';
  return s;
}

std::vector<std::string> CheckName(NameRule rule, std::string_view name, bool prefix) {
  std::string n = prefix ? MaskTrailingDash(name) : std::string(name);
  switch (rule) {
    case NameRule::kDNS1123Subdomain: return IsDNS1123Subdomain(n);
    case NameRule::kDNS1123Label: return IsDNS1123Label(n);
    case NameRule::kNone: return {};
  }
  return {};
}

void ValidateLabelName(std::string_view key, const FieldPath& path, FieldErrors* errs) {
  for (const std::string& msg : IsQualifiedName(key)) errs->push_back(Invalid(path, key, msg));
}

FieldErrors ValidateAnnotations(const google::protobuf::Map<std::string, std::string>& annotations,
                                const FieldPath& path) {
  FieldErrors errs;
  int64_t total = 0;
  for (const auto& [k, v] : Sorted(annotations)) {
    for (const std::string& msg : IsQualifiedName(absl::AsciiStrToLower(k))) {
      errs.push_back(Invalid(path, k, msg));
    }
    total += static_cast<int64_t>(k.size() + v.size());
  }
  if (total > kTotalAnnotationSizeLimit) {
    errs.push_back(TooLong(path, static_cast<int>(kTotalAnnotationSizeLimit)));
  }
  return errs;
}

// The version part of an apiVersion ("apps/v1" → "v1", "v1" → "v1").
std::string VersionOf(std::string_view api_version) {
  size_t slash = api_version.find('/');
  if (slash == std::string_view::npos) return std::string(api_version);
  if (api_version.find('/', slash + 1) != std::string_view::npos) return "";
  return std::string(api_version.substr(slash + 1));
}

FieldErrors ValidateOwnerReferences(
    const google::protobuf::RepeatedPtrField<minik8s::meta::v1::OwnerReference>& refs,
    const FieldPath& path) {
  FieldErrors errs;
  std::vector<std::string> controllers;
  for (const auto& ref : refs) {
    if (VersionOf(ref.api_version()).empty()) {
      errs.push_back(Invalid(path.Child("apiVersion"), ref.api_version(), "version must not be empty"));
    }
    if (ref.kind().empty()) {
      errs.push_back(Invalid(path.Child("kind"), ref.kind(), "kind must not be empty"));
    }
    if (ref.name().empty()) {
      errs.push_back(Invalid(path.Child("name"), ref.name(), "name must not be empty"));
    }
    if (ref.uid().empty()) {
      errs.push_back(Invalid(path.Child("uid"), ref.uid(), "uid must not be empty"));
    }
    if (ref.has_controller() && ref.controller()) {
      controllers.push_back(ref.kind() + "/" + ref.name());
    }
  }
  if (controllers.size() > 1) {
    errs.push_back(InvalidPrinted(
        path, "[]v1.OwnerReference{...}",
        "Only one reference can have Controller set to true. Found \"true\" in references for " +
            absl::StrJoin(controllers, " and ")));
  }
  return errs;
}

FieldErrors ValidateFinalizers(const google::protobuf::RepeatedPtrField<std::string>& finalizers,
                               const FieldPath& path) {
  FieldErrors errs;
  for (const std::string& f : finalizers) {
    for (const std::string& msg : IsQualifiedName(f)) errs.push_back(Invalid(path, f, msg));
  }
  return errs;
}

std::string PrintTime(const minik8s::meta::v1::Time& t) {
  return "v1.Time{seconds:" + std::to_string(t.seconds()) + "}";
}

std::string PrintIntOrString(const IntOrString& v) {
  if (v.has_str_val()) return v.str_val();
  return std::to_string(v.int_val());
}

std::string PrintLabels(const google::protobuf::Map<std::string, std::string>& labels) {
  if (labels.empty()) return "map[string]string(nil)";
  return PrintStringMap(Sorted(labels));
}

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

void ValidateProbe(const Probe& probe, const FieldPath& path, FieldErrors* errs) {
  // Exactly one handler.
  int handlers = 0;
  auto count = [&](bool present, std::string_view name) {
    if (!present) return;
    if (++handlers > 1) {
      errs->push_back(Forbidden(path.Child(name), "may not specify more than 1 handler type"));
    }
  };
  count(probe.has_exec(), "exec");
  count(probe.has_http_get(), "httpGet");
  count(probe.has_tcp_socket(), "tcpSocket");
  count(probe.has_grpc(), "grpc");
  if (handlers == 0) {
    errs->push_back(Required(path, "must specify a handler type"));
  }
  if (probe.has_exec() && probe.exec().command().empty()) {
    errs->push_back(Required(path.Child("exec").Child("command"), ""));
  }
  if (probe.has_http_get()) {
    FieldPath hp = path.Child("httpGet");
    if (probe.http_get().path().empty()) errs->push_back(Required(hp.Child("path"), ""));
    ValidatePortNumOrName(probe.http_get().port(), hp.Child("port"), errs);
    const std::string& scheme = probe.http_get().scheme();
    if (scheme != "HTTP" && scheme != "HTTPS") {
      errs->push_back(NotSupported(hp.Child("scheme"), scheme, {"HTTP", "HTTPS"}));
    }
    for (size_t i = 0; i < static_cast<size_t>(probe.http_get().http_headers_size()); ++i) {
      const std::string& name = probe.http_get().http_headers(i).name();
      for (const std::string& msg : IsHTTPHeaderName(name)) {
        errs->push_back(Invalid(hp.Child("httpHeaders").Index(i).Child("name"), name, msg));
      }
    }
  }
  if (probe.has_tcp_socket()) {
    ValidatePortNumOrName(probe.tcp_socket().port(), path.Child("tcpSocket").Child("port"), errs);
  }
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

void ValidateContainer(const Container& ctr, const FieldPath& path, FieldErrors* errs) {
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
    errs->push_back(Invalid(path.Child("image"), ctr.image(),
                            "must not have leading or trailing whitespace"));
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

  // Ports.
  std::set<std::string> port_names;
  for (int i = 0; i < ctr.ports_size(); ++i) {
    const auto& port = ctr.ports(i);
    FieldPath ip = path.Child("ports").Index(i);
    if (!port.name().empty()) {
      std::vector<std::string> msgs = IsValidPortName(port.name());
      if (!msgs.empty()) {
        for (const std::string& msg : msgs) errs->push_back(Invalid(ip.Child("name"), port.name(), msg));
      } else if (!port_names.insert(port.name()).second) {
        errs->push_back(Duplicate(ip.Child("name"), port.name()));
      }
    }
    if (port.container_port() == 0) {
      errs->push_back(Required(ip.Child("containerPort"), ""));
    } else {
      for (const std::string& msg : IsValidPortNum(port.container_port())) {
        errs->push_back(Invalid(ip.Child("containerPort"),
                                static_cast<int64_t>(port.container_port()), msg));
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
      for (const std::string& msg : IsEnvVarName(name)) errs->push_back(Invalid(ep.Child("name"), name, msg));
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

  const std::string& tmp = ctr.termination_message_policy();
  if (tmp.empty()) {
    errs->push_back(Required(path.Child("terminationMessagePolicy"), ""));
  } else if (tmp != "File" && tmp != "FallbackToLogsOnError") {
    errs->push_back(NotSupported(path.Child("terminationMessagePolicy"), tmp,
                                 {"File", "FallbackToLogsOnError"}));
  }
}

void ValidateContainers(const google::protobuf::RepeatedPtrField<Container>& containers,
                        const FieldPath& path, bool required, std::set<std::string>* all_names,
                        FieldErrors* errs) {
  if (containers.empty()) {
    if (required) errs->push_back(Required(path, ""));
    return;
  }
  for (int i = 0; i < containers.size(); ++i) {
    FieldPath ip = path.Index(i);
    ValidateContainer(containers[i], ip, errs);
    if (!containers[i].name().empty() && !all_names->insert(containers[i].name()).second) {
      errs->push_back(Duplicate(ip.Child("name"), containers[i].name()));
    }
  }
}

// ------------------------------------------------------------------ apps

void ValidatePositiveIntOrPercent(const IntOrString& v, const FieldPath& path, FieldErrors* errs) {
  if (v.has_str_val()) {
    const std::string& s = v.str_val();
    bool ok = s.size() >= 2 && s.back() == '%' &&
              std::all_of(s.begin(), s.end() - 1, [](char c) { return c >= '0' && c <= '9'; });
    if (!ok) {
      errs->push_back(InvalidPrinted(
          path, PrintIntOrString(v),
          RegexError("a valid percent string must be a numeric string followed by an ending '%'",
                     "[0-9]+%", {"1%", "93%"})));
    }
  } else {
    NonNegative(v.int_val(), path, errs);
  }
}

// The number in `25%` or the int; -1 when it is neither.
int64_t IntOrPercentValue(const IntOrString& v, bool* is_percent) {
  *is_percent = false;
  if (!v.has_str_val()) return v.int_val();
  const std::string& s = v.str_val();
  if (s.size() < 2 || s.back() != '%') return -1;
  int64_t n = 0;
  for (size_t i = 0; i + 1 < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    n = n * 10 + (s[i] - '0');
    if (n > kMaxInt32) return -1;
  }
  *is_percent = true;
  return n;
}

void ValidateDeploymentStrategy(const minik8s::apps::v1::DeploymentStrategy& strategy,
                                const FieldPath& path, FieldErrors* errs) {
  if (strategy.type() == "Recreate") {
    if (strategy.has_rolling_update()) {
      errs->push_back(Forbidden(path.Child("rollingUpdate"),
                                "may not be specified when strategy `type` is 'Recreate'"));
    }
    return;
  }
  if (strategy.type() != "RollingUpdate") {
    errs->push_back(NotSupported(path.Child("type"), strategy.type(), {"Recreate", "RollingUpdate"}));
    return;
  }
  if (!strategy.has_rolling_update()) {
    errs->push_back(Required(path.Child("rollingUpdate"), "this should be defaulted and never be nil"));
    return;
  }
  FieldPath rp = path.Child("rollingUpdate");
  const auto& ru = strategy.rolling_update();
  ValidatePositiveIntOrPercent(ru.max_unavailable(), rp.Child("maxUnavailable"), errs);
  ValidatePositiveIntOrPercent(ru.max_surge(), rp.Child("maxSurge"), errs);
  bool unavailable_percent, surge_percent;
  int64_t unavailable = IntOrPercentValue(ru.max_unavailable(), &unavailable_percent);
  int64_t surge = IntOrPercentValue(ru.max_surge(), &surge_percent);
  if (unavailable == 0 && surge == 0) {
    errs->push_back(InvalidPrinted(rp.Child("maxUnavailable"), PrintIntOrString(ru.max_unavailable()),
                                   "may not be 0 when `maxSurge` is 0"));
  }
  if (unavailable_percent && unavailable > 100) {
    errs->push_back(InvalidPrinted(rp.Child("maxUnavailable"), PrintIntOrString(ru.max_unavailable()),
                                   "must not be greater than 100%"));
  }
}

// The shared part of Deployment and ReplicaSet specs: selector and template.
void ValidateSelectorAndTemplate(bool has_selector, const LabelSelector& selector,
                                 const minik8s::core::v1::PodTemplateSpec& tmpl,
                                 const FieldPath& spec_path, FieldErrors* errs) {
  FieldPath sp = spec_path.Child("selector");
  if (!has_selector) {
    errs->push_back(Required(sp, ""));
  } else {
    Append(errs, ValidateLabelSelector(selector, sp));
    if (selector.match_labels_size() + selector.match_expressions_size() == 0) {
      errs->push_back(InvalidPrinted(sp, PrintLabelSelector(selector),
                                     "empty selector is invalid for deployment"));
    }
  }
  auto parsed = api::LabelSelector::FromProtoOrNothing(has_selector ? &selector : nullptr);
  if (!parsed.ok()) {
    errs->push_back(InvalidPrinted(sp, PrintLabelSelector(selector), "invalid label selector"));
    return;
  }
  Append(errs, ValidatePodTemplateSpecForReplicaSet(tmpl, has_selector ? &selector : nullptr,
                                                    spec_path.Child("template")));
}

FieldErrors ImmutableSelector(bool has_new, const LabelSelector& now, bool has_old,
                              const LabelSelector& old, const FieldPath& path) {
  FieldErrors errs;
  if (has_new != has_old || !MessageDifferencer::Equals(now, old)) {
    errs.push_back(InvalidPrinted(path, has_new ? PrintLabelSelector(now) : "nil", kImmutableMsg));
  }
  return errs;
}

FieldErrors ValidatePodTemplateSpec(const minik8s::core::v1::PodTemplateSpec& tmpl,
                                    const FieldPath& path) {
  FieldErrors errs = ValidateLabels(tmpl.metadata().labels(), path.Child("labels"));
  Append(&errs, ValidateAnnotations(tmpl.metadata().annotations(), path.Child("annotations")));
  Append(&errs, ValidatePodSpec(tmpl.spec(), path.Child("spec")));
  return errs;
}

}  // namespace

// ------------------------------------------------------------------ pieces

std::string PrintLabelSelector(const LabelSelector& selector) {
  std::string out = "v1.LabelSelector{MatchLabels:" + PrintLabels(selector.match_labels()) +
                    ", MatchExpressions:";
  if (selector.match_expressions().empty()) {
    out += "[]v1.LabelSelectorRequirement(nil)";
  } else {
    out += "[]v1.LabelSelectorRequirement{";
    for (int i = 0; i < selector.match_expressions_size(); ++i) {
      const auto& e = selector.match_expressions(i);
      if (i > 0) out += ", ";
      std::vector<std::string> values(e.values().begin(), e.values().end());
      out += "v1.LabelSelectorRequirement{Key:" + QuoteValue(e.key()) +
             ", Operator:" + QuoteValue(e.operator_()) + ", Values:" +
             (values.empty() ? std::string("[]string(nil)") : PrintStringSlice(values)) + "}";
    }
    out += "}";
  }
  return out + "}";
}

FieldErrors ValidateLabels(const google::protobuf::Map<std::string, std::string>& labels,
                           const FieldPath& path) {
  FieldErrors errs;
  for (const auto& [k, v] : Sorted(labels)) {
    ValidateLabelName(k, path, &errs);
    for (const std::string& msg : IsValidLabelValue(v)) errs.push_back(Invalid(path, v, msg));
  }
  return errs;
}

FieldErrors ValidateLabelSelector(const LabelSelector& selector, const FieldPath& path) {
  FieldErrors errs;
  for (int i = 0; i < selector.match_expressions_size(); ++i) {
    const auto& e = selector.match_expressions(i);
    FieldPath ep = path.Child("matchExpressions").Index(i);
    const std::string& op = e.operator_();
    if (op == "In" || op == "NotIn") {
      if (e.values().empty()) {
        errs.push_back(Required(ep.Child("values"),
                                "must be specified when `operator` is 'In' or 'NotIn'"));
      }
    } else if (op == "Exists" || op == "DoesNotExist") {
      if (!e.values().empty()) {
        errs.push_back(Forbidden(ep.Child("values"),
                                 "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      }
    } else {
      errs.push_back(Invalid(ep.Child("operator"), op, "not a valid selector operator"));
    }
    ValidateLabelName(e.key(), ep.Child("key"), &errs);
    for (int j = 0; j < e.values_size(); ++j) {
      for (const std::string& msg : IsValidLabelValue(e.values(j))) {
        errs.push_back(Invalid(ep.Child("values").Index(j), e.values(j), msg));
      }
    }
  }
  Append(&errs, ValidateLabels(selector.match_labels(), path.Child("matchLabels")));
  return errs;
}

FieldErrors ValidateObjectMeta(const ObjectMeta& meta, bool namespaced, NameRule rule,
                               const FieldPath& path) {
  FieldErrors errs;
  if (!meta.generate_name().empty()) {
    for (const std::string& msg : CheckName(rule, meta.generate_name(), true)) {
      errs.push_back(Invalid(path.Child("generateName"), meta.generate_name(), msg));
    }
  }
  if (meta.name().empty()) {
    // The apiserver turns generateName into a name before validating; a
    // name-less object with generateName is accepted here for that reason.
    if (meta.generate_name().empty()) {
      errs.push_back(Required(path.Child("name"), "name or generateName is required"));
    }
  } else {
    for (const std::string& msg : CheckName(rule, meta.name(), false)) {
      errs.push_back(Invalid(path.Child("name"), meta.name(), msg));
    }
  }
  if (namespaced) {
    if (meta.namespace_().empty()) {
      errs.push_back(Required(path.Child("namespace"), ""));
    } else {
      for (const std::string& msg : IsDNS1123Label(meta.namespace_())) {
        errs.push_back(Invalid(path.Child("namespace"), meta.namespace_(), msg));
      }
    }
  } else if (!meta.namespace_().empty()) {
    errs.push_back(Forbidden(path.Child("namespace"), "not allowed on this type"));
  }
  NonNegative(meta.generation(), path.Child("generation"), &errs);
  Append(&errs, ValidateLabels(meta.labels(), path.Child("labels")));
  Append(&errs, ValidateAnnotations(meta.annotations(), path.Child("annotations")));
  Append(&errs, ValidateOwnerReferences(meta.owner_references(), path.Child("ownerReferences")));
  Append(&errs, ValidateFinalizers(meta.finalizers(), path.Child("finalizers")));
  return errs;
}

FieldErrors ValidateObjectMetaUpdate(const ObjectMeta& meta, const ObjectMeta& old,
                                     const FieldPath& path) {
  FieldErrors errs;
  if (meta.name() != old.name()) {
    errs.push_back(Invalid(path.Child("name"), meta.name(), kImmutableMsg));
  }
  if (meta.namespace_() != old.namespace_()) {
    errs.push_back(Invalid(path.Child("namespace"), meta.namespace_(), kImmutableMsg));
  }
  if (meta.uid() != old.uid()) {
    errs.push_back(Invalid(path.Child("uid"), meta.uid(), kImmutableMsg));
  }
  if (!MessageDifferencer::Equals(meta.creation_timestamp(), old.creation_timestamp())) {
    errs.push_back(InvalidPrinted(path.Child("creationTimestamp"),
                                  PrintTime(meta.creation_timestamp()), kImmutableMsg));
  }
  NonNegative(meta.generation(), path.Child("generation"), &errs);
  Append(&errs, ValidateLabels(meta.labels(), path.Child("labels")));
  Append(&errs, ValidateAnnotations(meta.annotations(), path.Child("annotations")));
  Append(&errs, ValidateOwnerReferences(meta.owner_references(), path.Child("ownerReferences")));
  Append(&errs, ValidateFinalizers(meta.finalizers(), path.Child("finalizers")));
  return errs;
}

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
      errs.push_back(Invalid(req_path, parsed->String(),
                             "must be less than or equal to " + name + " limit of " +
                                 lim->second.String()));
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

FieldErrors ValidatePodSpec(const PodSpec& spec, const FieldPath& path) {
  FieldErrors errs;
  std::set<std::string> volume_names;
  for (int i = 0; i < spec.volumes_size(); ++i) {
    FieldPath vp = path.Child("volumes").Index(i);
    const std::string& name = spec.volumes(i).name();
    if (name.empty()) {
      errs.push_back(Required(vp.Child("name"), ""));
    } else {
      for (const std::string& msg : IsDNS1123Label(name)) errs.push_back(Invalid(vp.Child("name"), name, msg));
      if (!volume_names.insert(name).second) errs.push_back(Duplicate(vp.Child("name"), name));
    }
  }
  std::set<std::string> container_names;
  ValidateContainers(spec.containers(), path.Child("containers"), /*required=*/true,
                     &container_names, &errs);
  ValidateContainers(spec.init_containers(), path.Child("initContainers"), /*required=*/false,
                     &container_names, &errs);

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
      errs.push_back(Invalid(path.Child("activeDeadlineSeconds"), v, InclusiveRangeError(1, kMaxInt32)));
    }
  }
  if (spec.has_termination_grace_period_seconds()) {
    NonNegative(spec.termination_grace_period_seconds(),
                path.Child("terminationGracePeriodSeconds"), &errs);
  }
  Append(&errs, ValidateTolerations(spec.tolerations(), path.Child("tolerations")));
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
  if (!spec.scheduler_name().empty()) {
    for (const std::string& msg : IsDNS1123Subdomain(spec.scheduler_name())) {
      errs.push_back(Invalid(path.Child("schedulerName"), spec.scheduler_name(), msg));
    }
  }
  return errs;
}

FieldErrors ValidatePodTemplateSpecForReplicaSet(const minik8s::core::v1::PodTemplateSpec& tmpl,
                                                 const LabelSelector* selector,
                                                 const FieldPath& path) {
  FieldErrors errs;
  auto parsed = api::LabelSelector::FromProtoOrNothing(selector);
  if (parsed.ok() && !parsed->Empty() && !parsed->Matches(tmpl.metadata().labels())) {
    errs.push_back(InvalidPrinted(path.Child("metadata").Child("labels"),
                                  PrintLabels(tmpl.metadata().labels()),
                                  "`selector` does not match template `labels`"));
  }
  Append(&errs, ValidatePodTemplateSpec(tmpl, path));
  if (tmpl.spec().restart_policy() != "Always") {
    errs.push_back(NotSupported(path.Child("spec").Child("restartPolicy"),
                                tmpl.spec().restart_policy(), {"Always"}));
  }
  if (tmpl.spec().has_active_deadline_seconds()) {
    errs.push_back(Invalid(path.Child("spec").Child("activeDeadlineSeconds"),
                           tmpl.spec().active_deadline_seconds(),
                           "activeDeadlineSeconds in ReplicaSet is not Supported"));
  }
  return errs;
}

// ------------------------------------------------------------------ kinds

FieldErrors ValidatePod(const Pod& pod) {
  FieldErrors errs =
      ValidateObjectMeta(pod.metadata(), true, NameRule::kDNS1123Subdomain, FieldPath("metadata"));
  Append(&errs, ValidatePodSpec(pod.spec(), FieldPath("spec")));
  return errs;
}

FieldErrors ValidatePodUpdate(const Pod& pod, const Pod& old) {
  FieldPath spec_path("spec");
  FieldErrors errs = ValidateObjectMetaUpdate(pod.metadata(), old.metadata(), FieldPath("metadata"));
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
      if (MessageDifferencer::Equals(clone, now)) {
        found = true;
        break;
      }
    }
    if (!found) {
      errs.push_back(Forbidden(spec_path.Child("tolerations"),
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
  if (!MessageDifferencer::Equals(munged, old.spec())) {
    errs.push_back(Forbidden(
        spec_path,
        "pod updates may not change fields other than `spec.containers[*].image`,"
        "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only "
        "additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be "
        "set to 1 if it was previously negative)"));
  }
  return errs;
}

FieldErrors ValidateDeployment(const Deployment& d) {
  FieldErrors errs =
      ValidateObjectMeta(d.metadata(), true, NameRule::kDNS1123Subdomain, FieldPath("metadata"));
  FieldPath sp("spec");
  const auto& spec = d.spec();
  NonNegative(spec.replicas(), sp.Child("replicas"), &errs);
  ValidateSelectorAndTemplate(spec.has_selector(), spec.selector(), spec.template_(), sp, &errs);
  ValidateDeploymentStrategy(spec.strategy(), sp.Child("strategy"), &errs);
  NonNegative(spec.min_ready_seconds(), sp.Child("minReadySeconds"), &errs);
  if (spec.has_revision_history_limit()) {
    NonNegative(spec.revision_history_limit(), sp.Child("revisionHistoryLimit"), &errs);
  }
  if (spec.has_progress_deadline_seconds()) {
    NonNegative(spec.progress_deadline_seconds(), sp.Child("progressDeadlineSeconds"), &errs);
    if (spec.progress_deadline_seconds() <= spec.min_ready_seconds()) {
      errs.push_back(Invalid(sp.Child("progressDeadlineSeconds"),
                             static_cast<int64_t>(spec.progress_deadline_seconds()),
                             "must be greater than minReadySeconds"));
    }
  }
  return errs;
}

FieldErrors ValidateDeploymentUpdate(const Deployment& d, const Deployment& old) {
  FieldErrors errs = ValidateObjectMetaUpdate(d.metadata(), old.metadata(), FieldPath("metadata"));
  FieldErrors create = ValidateDeployment(d);
  // The metadata part was checked above with the update rules.
  for (FieldError& e : create) {
    if (!absl::StartsWith(e.field, "metadata")) errs.push_back(std::move(e));
  }
  Append(&errs, ImmutableSelector(d.spec().has_selector(), d.spec().selector(),
                                  old.spec().has_selector(), old.spec().selector(),
                                  FieldPath("spec").Child("selector")));
  return errs;
}

FieldErrors ValidateReplicaSet(const ReplicaSet& rs) {
  FieldErrors errs =
      ValidateObjectMeta(rs.metadata(), true, NameRule::kDNS1123Subdomain, FieldPath("metadata"));
  FieldPath sp("spec");
  NonNegative(rs.spec().replicas(), sp.Child("replicas"), &errs);
  NonNegative(rs.spec().min_ready_seconds(), sp.Child("minReadySeconds"), &errs);
  ValidateSelectorAndTemplate(rs.spec().has_selector(), rs.spec().selector(), rs.spec().template_(),
                              sp, &errs);
  return errs;
}

FieldErrors ValidateReplicaSetUpdate(const ReplicaSet& rs, const ReplicaSet& old) {
  FieldErrors errs = ValidateObjectMetaUpdate(rs.metadata(), old.metadata(), FieldPath("metadata"));
  for (FieldError& e : ValidateReplicaSet(rs)) {
    if (!absl::StartsWith(e.field, "metadata")) errs.push_back(std::move(e));
  }
  Append(&errs, ImmutableSelector(rs.spec().has_selector(), rs.spec().selector(),
                                  old.spec().has_selector(), old.spec().selector(),
                                  FieldPath("spec").Child("selector")));
  return errs;
}

namespace {
FieldErrors ValidateNodeSpec(const Node& node) {
  FieldErrors errs;
  FieldPath tp = FieldPath("spec").Child("taints");
  std::set<std::pair<std::string, std::string>> seen;  // (effect, key)
  for (int i = 0; i < node.spec().taints_size(); ++i) {
    const auto& t = node.spec().taints(i);
    FieldPath ip = tp.Index(i);
    ValidateLabelName(t.key(), ip.Child("key"), &errs);
    std::vector<std::string> msgs = IsValidLabelValue(t.value());
    if (!msgs.empty()) errs.push_back(Invalid(ip.Child("value"), t.value(), absl::StrJoin(msgs, ";")));
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

FieldErrors ValidateNode(const Node& node) {
  FieldErrors errs =
      ValidateObjectMeta(node.metadata(), false, NameRule::kDNS1123Subdomain, FieldPath("metadata"));
  Append(&errs, ValidateNodeSpec(node));
  return errs;
}

FieldErrors ValidateNodeUpdate(const Node& node, const Node& old) {
  FieldErrors errs = ValidateObjectMetaUpdate(node.metadata(), old.metadata(), FieldPath("metadata"));
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
  FieldErrors errs =
      ValidateObjectMeta(event.metadata(), true, NameRule::kDNS1123Subdomain, FieldPath("metadata"));
  const std::string& ns = event.metadata().namespace_();
  const std::string& obj_ns = event.involved_object().namespace_();
  FieldPath p = FieldPath("involvedObject").Child("namespace");
  if (obj_ns.empty()) {
    // Cluster-scoped object: the event lives in "default" (or nowhere).
    if (!ns.empty() && ns != "default") errs.push_back(Invalid(p, obj_ns, "does not match event.namespace"));
  } else if (ns != obj_ns) {
    errs.push_back(Invalid(p, obj_ns, "does not match event.namespace"));
  }
  return errs;
}

FieldErrors ValidateEventUpdate(const Event& event, const Event& old) {
  FieldErrors errs = ValidateObjectMetaUpdate(event.metadata(), old.metadata(), FieldPath("metadata"));
  for (FieldError& e : ValidateEvent(event)) {
    if (!absl::StartsWith(e.field, "metadata")) errs.push_back(std::move(e));
  }
  return errs;
}

namespace {
FieldErrors ValidateLeaseSpec(const Lease& lease) {
  FieldErrors errs;
  FieldPath sp("spec");
  if (lease.spec().has_lease_duration_seconds() && lease.spec().lease_duration_seconds() <= 0) {
    errs.push_back(Invalid(sp.Child("leaseDurationSeconds"),
                           static_cast<int64_t>(lease.spec().lease_duration_seconds()),
                           "must be greater than 0"));
  }
  if (lease.spec().has_lease_transitions() && lease.spec().lease_transitions() < 0) {
    errs.push_back(Invalid(sp.Child("leaseTransitions"),
                           static_cast<int64_t>(lease.spec().lease_transitions()), kNegativeMsg));
  }
  return errs;
}
}  // namespace

FieldErrors ValidateLease(const Lease& lease) {
  FieldErrors errs =
      ValidateObjectMeta(lease.metadata(), true, NameRule::kDNS1123Subdomain, FieldPath("metadata"));
  Append(&errs, ValidateLeaseSpec(lease));
  return errs;
}

FieldErrors ValidateLeaseUpdate(const Lease& lease, const Lease& old) {
  FieldErrors errs = ValidateObjectMetaUpdate(lease.metadata(), old.metadata(), FieldPath("metadata"));
  Append(&errs, ValidateLeaseSpec(lease));
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

// ------------------------------------------------------------------ dispatch

std::string_view QualifiedKind(const google::protobuf::Message& obj) {
  const auto* d = obj.GetDescriptor();
  if (d == Pod::descriptor()) return "Pod";
  if (d == Node::descriptor()) return "Node";
  if (d == Namespace::descriptor()) return "Namespace";
  if (d == Event::descriptor()) return "Event";
  if (d == Binding::descriptor()) return "Binding";
  if (d == Deployment::descriptor()) return "Deployment.apps";
  if (d == ReplicaSet::descriptor()) return "ReplicaSet.apps";
  if (d == Lease::descriptor()) return "Lease.coordination.k8s.io";
  return "";
}

FieldErrors ValidateObject(const google::protobuf::Message& obj) {
  const auto* d = obj.GetDescriptor();
  if (d == Pod::descriptor()) return ValidatePod(static_cast<const Pod&>(obj));
  if (d == Node::descriptor()) return ValidateNode(static_cast<const Node&>(obj));
  if (d == Namespace::descriptor()) return ValidateNamespace(static_cast<const Namespace&>(obj));
  if (d == Event::descriptor()) return ValidateEvent(static_cast<const Event&>(obj));
  if (d == Binding::descriptor()) return ValidateBinding(static_cast<const Binding&>(obj));
  if (d == Deployment::descriptor()) return ValidateDeployment(static_cast<const Deployment&>(obj));
  if (d == ReplicaSet::descriptor()) return ValidateReplicaSet(static_cast<const ReplicaSet&>(obj));
  if (d == Lease::descriptor()) return ValidateLease(static_cast<const Lease&>(obj));
  return {};
}

FieldErrors ValidateObjectUpdate(const google::protobuf::Message& obj,
                                 const google::protobuf::Message& old) {
  const auto* d = obj.GetDescriptor();
  if (d != old.GetDescriptor()) return {};
  if (d == Pod::descriptor()) {
    return ValidatePodUpdate(static_cast<const Pod&>(obj), static_cast<const Pod&>(old));
  }
  if (d == Node::descriptor()) {
    return ValidateNodeUpdate(static_cast<const Node&>(obj), static_cast<const Node&>(old));
  }
  if (d == Namespace::descriptor()) {
    return ValidateNamespaceUpdate(static_cast<const Namespace&>(obj),
                                   static_cast<const Namespace&>(old));
  }
  if (d == Event::descriptor()) {
    return ValidateEventUpdate(static_cast<const Event&>(obj), static_cast<const Event&>(old));
  }
  if (d == Deployment::descriptor()) {
    return ValidateDeploymentUpdate(static_cast<const Deployment&>(obj),
                                    static_cast<const Deployment&>(old));
  }
  if (d == ReplicaSet::descriptor()) {
    return ValidateReplicaSetUpdate(static_cast<const ReplicaSet&>(obj),
                                    static_cast<const ReplicaSet&>(old));
  }
  if (d == Lease::descriptor()) {
    return ValidateLeaseUpdate(static_cast<const Lease&>(obj), static_cast<const Lease&>(old));
  }
  return {};
}

}  // namespace minik8s::validation
