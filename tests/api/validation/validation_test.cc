#include "api/validation/validation.h"

#include <functional>
#include <string>
#include <vector>

#include "api/intstr.h"
#include "api/quantity.h"
#include "api/validation/defaults.h"
#include "api/validation/names.h"
#include "gtest/gtest.h"

namespace minik8s::validation {
namespace {

using minik8s::apps::v1::Deployment;
using minik8s::apps::v1::ReplicaSet;
using minik8s::core::v1::Pod;

std::vector<std::string> Strings(const FieldErrors& errs) {
  std::vector<std::string> out;
  for (const FieldError& e : errs) out.push_back(e.ToString());
  return out;
}

const std::string kLabelMsg =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const std::string kSubdomainMsg =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

Pod ValidPod() {
  Pod pod;
  pod.mutable_metadata()->set_name("web");
  pod.mutable_metadata()->set_namespace_("default");
  auto* c = pod.mutable_spec()->add_containers();
  c->set_name("nginx");
  c->set_image("nginx:1.25");
  c->add_ports()->set_container_port(80);
  SetPodDefaults(&pod);
  return pod;
}

Deployment ValidDeployment() {
  Deployment d;
  d.mutable_metadata()->set_name("web");
  d.mutable_metadata()->set_namespace_("default");
  (*d.mutable_spec()->mutable_selector()->mutable_match_labels())["app"] = "web";
  auto* tmpl = d.mutable_spec()->mutable_template_();
  (*tmpl->mutable_metadata()->mutable_labels())["app"] = "web";
  auto* c = tmpl->mutable_spec()->add_containers();
  c->set_name("nginx");
  c->set_image("nginx:1.25");
  SetDeploymentDefaults(&d);
  return d;
}

TEST(ValidatePod, ValidHasNoErrors) {
  EXPECT_EQ(Strings(ValidatePod(ValidPod())), std::vector<std::string>{});
  EXPECT_EQ(Strings(ValidateObject(ValidPod())), std::vector<std::string>{});
}

TEST(ValidatePod, Rules) {
  struct Case {
    std::string name;
    std::function<void(Pod*)> mutate;
    std::vector<std::string> want;
  };
  // The 33 search domains of the "dnsConfig limits" case, as Go prints them.
  std::vector<std::string> searches(33, std::string(63, 'a'));
  searches[1] = "Bad_Search.";
  const std::string kSearches = PrintStringSlice(searches);
  const std::vector<Case> cases = {
      {"name required",
       [](Pod* p) { p->mutable_metadata()->clear_name(); },
       {"metadata.name: Required value: name or generateName is required"}},
      {"generateName is enough",
       [](Pod* p) {
         p->mutable_metadata()->clear_name();
         p->mutable_metadata()->set_generate_name("web-");
       },
       {}},
      {"bad name",
       [](Pod* p) { p->mutable_metadata()->set_name("Web_1"); },
       {"metadata.name: Invalid value: \"Web_1\": " + kSubdomainMsg}},
      {"namespace required",
       [](Pod* p) { p->mutable_metadata()->clear_namespace_(); },
       {"metadata.namespace: Required value"}},
      {"bad label value",
       [](Pod* p) { (*p->mutable_metadata()->mutable_labels())["app"] = "-x"; },
       {"metadata.labels: Invalid value: \"-x\": a valid label must be an empty string or consist "
        "of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
        "character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is "
        "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"}},
      {"owner reference fields",
       [](Pod* p) { p->mutable_metadata()->add_owner_references()->set_api_version("apps/v1"); },
       {"metadata.ownerReferences.kind: Invalid value: \"\": kind must not be empty",
        "metadata.ownerReferences.name: Invalid value: \"\": name must not be empty",
        "metadata.ownerReferences.uid: Invalid value: \"\": uid must not be empty"}},
      {"containers required",
       [](Pod* p) { p->mutable_spec()->clear_containers(); },
       {"spec.containers: Required value"}},
      {"duplicate container name",
       [](Pod* p) { *p->mutable_spec()->add_containers() = p->spec().containers(0); },
       {"spec.containers[1].name: Duplicate value: \"nginx\""}},
      {"container name is a DNS label",
       [](Pod* p) { p->mutable_spec()->mutable_containers(0)->set_name("Nginx"); },
       {"spec.containers[0].name: Invalid value: \"Nginx\": " + kLabelMsg}},
      {"image required",
       [](Pod* p) { p->mutable_spec()->mutable_containers(0)->clear_image(); },
       {"spec.containers[0].image: Required value"}},
      {"port range",
       [](Pod* p) {
         p->mutable_spec()->mutable_containers(0)->mutable_ports(0)->set_container_port(70000);
       },
       {"spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and "
        "65535, inclusive"}},
      {"port protocol",
       [](Pod* p) {
         p->mutable_spec()->mutable_containers(0)->mutable_ports(0)->set_protocol("HTTP");
       },
       {"spec.containers[0].ports[0].protocol: Unsupported value: \"HTTP\": supported values: "
        "\"SCTP\", \"TCP\", \"UDP\""}},
      {"restart policy",
       [](Pod* p) { p->mutable_spec()->set_restart_policy("Sometimes"); },
       {"spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", "
        "\"OnFailure\", \"Never\""}},
      {"pull policy",
       [](Pod* p) { p->mutable_spec()->mutable_containers(0)->set_image_pull_policy("Sometimes"); },
       {"spec.containers[0].imagePullPolicy: Unsupported value: \"Sometimes\": supported values: "
        "\"Always\", \"IfNotPresent\", \"Never\""}},
      {"requests above limits",
       [](Pod* p) {
         auto* r = p->mutable_spec()->mutable_containers(0)->mutable_resources();
         (*r->mutable_limits())["cpu"] = api::Quantity::MustParse("500m").ToProto();
         (*r->mutable_requests())["cpu"] = api::Quantity::MustParse("1").ToProto();
       },
       {"spec.containers[0].resources.requests: Invalid value: \"1\": must be less than or equal "
        "to cpu limit of 500m"}},
      {"negative quantity",
       [](Pod* p) {
         auto* r = p->mutable_spec()->mutable_containers(0)->mutable_resources();
         (*r->mutable_limits())["memory"] = api::Quantity::MustParse("-1Gi").ToProto();
       },
       {"spec.containers[0].resources.limits[memory]: Invalid value: \"-1Gi\": must be greater "
        "than or equal to 0"}},
      {"unknown resource",
       [](Pod* p) {
         auto* r = p->mutable_spec()->mutable_containers(0)->mutable_resources();
         (*r->mutable_limits())["gpu"] = api::Quantity::MustParse("1").ToProto();
       },
       {"spec.containers[0].resources.limits[gpu]: Invalid value: \"gpu\": must be a standard "
        "resource for containers"}},
      {"probe handler required",
       [](Pod* p) {
         auto* probe = p->mutable_spec()->mutable_containers(0)->mutable_readiness_probe();
         SetProbeDefaults(probe);
       },
       {"spec.containers[0].readinessProbe: Required value: must specify a handler type"}},
      {"probe threshold",
       [](Pod* p) {
         auto* probe = p->mutable_spec()->mutable_containers(0)->mutable_liveness_probe();
         probe->mutable_tcp_socket()->mutable_port()->set_int_val(80);
         SetProbeDefaults(probe);
         probe->set_failure_threshold(-1);
         probe->set_success_threshold(2);
       },
       {"spec.containers[0].livenessProbe.failureThreshold: Invalid value: -1: must be greater "
        "than or equal to 0",
        "spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1"}},
      {"toleration operator",
       [](Pod* p) {
         auto* t = p->mutable_spec()->add_tolerations();
         t->set_key("k");
         t->set_operator_("Maybe");
       },
       {"spec.tolerations[0].operator: Unsupported value: \"Maybe\": supported values: "
        "\"Equal\", \"Exists\""}},
      {"toleration effect",
       [](Pod* p) {
         auto* t = p->mutable_spec()->add_tolerations();
         t->set_key("k");
         t->set_operator_("Exists");
         t->set_effect("NoSchedule");
         t->set_toleration_seconds(10);
       },
       {"spec.tolerations[0].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' "
        "when `tolerationSeconds` is set"}},
      {"toleration empty key",
       [](Pod* p) { p->mutable_spec()->add_tolerations()->set_operator_("Equal"); },
       {"spec.tolerations[0].operator: Invalid value: \"Equal\": operator must be Exists when "
        "`key` is empty, which means \"match all values and all keys\""}},
      {"node selector key",
       [](Pod* p) { (*p->mutable_spec()->mutable_node_selector())["a b"] = "x"; },
       {"spec.nodeSelector: Invalid value: \"a b\": name part must consist of alphanumeric "
        "characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. "
        "'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
        "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"}},
      {"envFrom: a ConfigMap and a Secret with a prefix",
       [](Pod* p) {
         auto* c = p->mutable_spec()->mutable_containers(0);
         c->add_env_from()->mutable_config_map_ref()->set_name("app-env");
         auto* secret = c->add_env_from();
         secret->set_prefix("DB_");
         secret->mutable_secret_ref()->set_name("db");
       },
       {}},
      {"envFrom: no source, two sources, no name, a bad prefix",
       [](Pod* p) {
         auto* c = p->mutable_spec()->mutable_containers(0);
         c->add_env_from()->set_prefix("X_");
         auto* both = c->add_env_from();
         both->mutable_config_map_ref()->set_name("a");
         both->mutable_secret_ref()->set_name("b");
         c->add_env_from()->mutable_secret_ref();
         auto* prefixed = c->add_env_from();
         prefixed->set_prefix("1X");
         prefixed->mutable_config_map_ref()->set_name("a");
       },
       {"spec.containers[0].envFrom: Invalid value: \"\": must specify one of: `configMapRef` or "
        "`secretRef`",
        "spec.containers[0].envFrom[1]: Forbidden: may not have more than one field specified at "
        "a time",
        "spec.containers[0].envFrom[2].secretRef.name: Required value",
        "spec.containers[0].envFrom[3].prefix: Invalid value: \"1X\": " +
            validation::IsEnvVarName("1X").at(0)}},
      {"env valueFrom: downward fields, resources and keys",
       [](Pod* p) {
         auto* c = p->mutable_spec()->mutable_containers(0);
         auto add = [&](const std::string& name) {
           auto* e = c->add_env();
           e->set_name(name);
           return e->mutable_value_from();
         };
         add("A")->mutable_field_ref()->set_field_path("status.hostIP");
         add("B")->mutable_field_ref()->set_field_path("metadata.labels['tier']");
         add("C")->mutable_resource_field_ref()->set_resource("limits.memory");
         auto* key = add("D")->mutable_secret_key_ref();
         key->set_name("db");
         key->set_key("password");
         SetPodDefaults(p);  // the fieldRefs' apiVersion
       },
       {}},
      {"env valueFrom: none, two, with a value, bad selectors",
       [](Pod* p) {
         auto* c = p->mutable_spec()->mutable_containers(0);
         auto add = [&](const std::string& name) {
           auto* e = c->add_env();
           e->set_name(name);
           return e;
         };
         add("NONE")->mutable_value_from();
         auto* two = add("TWO")->mutable_value_from();
         two->mutable_config_map_key_ref()->set_name("a");
         two->mutable_config_map_key_ref()->set_key("k");
         two->mutable_secret_key_ref()->set_name("b");
         two->mutable_secret_key_ref()->set_key("k");
         auto* both = add("BOTH");
         both->set_value("x");
         both->mutable_value_from()->mutable_field_ref()->set_api_version("v1");
         both->mutable_value_from()->mutable_field_ref()->set_field_path("metadata.name");
         auto* phase = add("PHASE")->mutable_value_from()->mutable_field_ref();
         phase->set_api_version("v1");
         phase->set_field_path("status.phase");
         add("KEYLESS")->mutable_value_from()->mutable_config_map_key_ref()->set_name("a");
         add("CPU")->mutable_value_from()->mutable_resource_field_ref()->set_resource("cpu");
       },
       {"spec.containers[0].env[0].valueFrom: Invalid value: \"\": must specify one of: "
        "`fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
        "spec.containers[0].env[1].valueFrom: Invalid value: \"\": may not have more than one "
        "field specified at a time",
        "spec.containers[0].env[2].valueFrom: Invalid value: \"\": may not be specified when "
        "`value` is not empty",
        "spec.containers[0].env[3].valueFrom.fieldRef.fieldPath: Unsupported value: "
        "\"status.phase\": supported values: \"metadata.name\", \"metadata.namespace\", "
        "\"metadata.uid\", \"spec.nodeName\", \"spec.serviceAccountName\", "
        "\"status.hostIP\", \"status.hostIPs\", \"status.podIP\", \"status.podIPs\"",
        "spec.containers[0].env[4].valueFrom.configMapKeyRef.key: Required value",
        "spec.containers[0].env[5].valueFrom.resourceFieldRef.resource: Unsupported value: "
        "\"cpu\": supported values: \"limits.cpu\", \"limits.ephemeral-storage\", "
        "\"limits.memory\", \"requests.cpu\", \"requests.ephemeral-storage\", "
        "\"requests.memory\""}},
      {"lifecycle: exec, httpGet and sleep hooks",
       [](Pod* p) {
         auto* lifecycle = p->mutable_spec()->mutable_containers(0)->mutable_lifecycle();
         lifecycle->mutable_post_start()->mutable_http_get()->mutable_port()->set_int_val(80);
         lifecycle->mutable_pre_stop()->mutable_sleep()->set_seconds(30);
         SetPodDefaults(p);  // the httpGet's path and scheme
       },
       {}},
      {"lifecycle: no action, two actions, a sleep past the grace period, no command",
       [](Pod* p) {
         auto* lifecycle = p->mutable_spec()->mutable_containers(0)->mutable_lifecycle();
         lifecycle->mutable_post_start();
         auto* pre_stop = lifecycle->mutable_pre_stop();
         pre_stop->mutable_exec();
         pre_stop->mutable_sleep()->set_seconds(31);
         auto* init = p->mutable_spec()->add_init_containers();
         init->set_name("setup");
         init->set_image("busybox:1.36");
         init->set_termination_message_policy("File");
         init->set_image_pull_policy("IfNotPresent");
         init->mutable_lifecycle()->mutable_pre_stop()->mutable_sleep()->set_seconds(0);
       },
       {"spec.containers[0].lifecycle.postStart: Required value: must specify a handler type",
        "spec.containers[0].lifecycle.preStop.sleep: Forbidden: may not specify more than 1 "
        "handler type",
        "spec.containers[0].lifecycle.preStop.exec.command: Required value",
        "spec.containers[0].lifecycle.preStop.sleep.seconds: Invalid value: 31: must be greater "
        "than 0 and less than terminationGracePeriodSeconds (30)",
        "spec.initContainers[0].lifecycle.preStop.sleep.seconds: Invalid value: 0: must be "
        "greater than 0 and less than terminationGracePeriodSeconds (30)",
        "spec.initContainers[0].lifecycle: Forbidden: may not be set for init containers "
        "without restartPolicy=Always"}},
      {"grace period",
       [](Pod* p) { p->mutable_spec()->set_termination_grace_period_seconds(-5); },
       {"spec.terminationGracePeriodSeconds: Invalid value: -5: must be greater than or equal to "
        "0"}},
      {"active deadline",
       [](Pod* p) { p->mutable_spec()->set_active_deadline_seconds(0); },
       {"spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, "
        "inclusive"}},
      {"topology spread constraints",
       [](Pod* p) {
         auto* ok = p->mutable_spec()->add_topology_spread_constraints();
         ok->set_max_skew(1);
         ok->set_topology_key("topology.kubernetes.io/zone");
         ok->set_when_unsatisfiable("DoNotSchedule");
         (*ok->mutable_label_selector()->mutable_match_labels())["app"] = "web";
         ok->add_match_label_keys("pod-template-hash");
         ok->set_min_domains(3);
         ok->set_node_affinity_policy("Ignore");
         ok->set_node_taints_policy("Honor");
         auto* bad = p->mutable_spec()->add_topology_spread_constraints();
         bad->set_max_skew(0);
         bad->set_when_unsatisfiable("Sometimes");
         bad->set_min_domains(0);
         bad->set_node_taints_policy("honor");
         bad->add_match_label_keys("app");
         auto* dup = p->mutable_spec()->add_topology_spread_constraints();
         *dup = *ok;
         dup->clear_match_label_keys();
         dup->add_match_label_keys("app");
         auto* soft = p->mutable_spec()->add_topology_spread_constraints();
         soft->set_max_skew(2);
         soft->set_topology_key("kubernetes.io/hostname");
         soft->set_when_unsatisfiable("ScheduleAnyway");
         soft->set_min_domains(2);
         soft->mutable_label_selector()->add_match_expressions()->set_key("app");
       },
       {"spec.topologySpreadConstraints[0].{topologyKey, whenUnsatisfiable}: Duplicate value: "
        "\"{topology.kubernetes.io/zone, DoNotSchedule}\"",
        "spec.topologySpreadConstraints[1].maxSkew: Invalid value: 0: must be greater than zero",
        "spec.topologySpreadConstraints[1].topologyKey: Required value: can not be empty",
        "spec.topologySpreadConstraints[1].whenUnsatisfiable: Unsupported value: \"Sometimes\": "
        "supported values: \"DoNotSchedule\", \"ScheduleAnyway\"",
        "spec.topologySpreadConstraints[1].minDomains: Invalid value: 0: must be greater than zero",
        "spec.topologySpreadConstraints[1].minDomains: Invalid value: 0: can only use minDomains "
        "if whenUnsatisfiable=DoNotSchedule, not Sometimes",
        "spec.topologySpreadConstraints[1].nodeTaintsPolicy: Unsupported value: \"honor\": "
        "supported values: \"Honor\", \"Ignore\"",
        "spec.topologySpreadConstraints[1].matchLabelKeys: Forbidden: must not be specified when "
        "labelSelector is not set",
        "spec.topologySpreadConstraints[2].matchLabelKeys[0]: Invalid value: \"app\": exists in "
        "both matchLabelKeys and labelSelector",
        "spec.topologySpreadConstraints[3].minDomains: Invalid value: 2: can only use minDomains "
        "if whenUnsatisfiable=DoNotSchedule, not ScheduleAnyway",
        "spec.topologySpreadConstraints[3].labelSelector.matchExpressions[0].operator: Invalid "
        "value: \"\": not a valid selector operator"}},
      {"pod affinity and anti-affinity",
       [](Pod* p) {
         auto* aff = p->mutable_spec()->mutable_affinity();
         auto* ok =
             aff->mutable_pod_affinity()->add_required_during_scheduling_ignored_during_execution();
         ok->set_topology_key("topology.kubernetes.io/zone");
         (*ok->mutable_label_selector()->mutable_match_labels())["app"] = "cache";
         ok->add_namespaces("infra");
         ok->mutable_namespace_selector();
         ok->add_match_label_keys("tier");
         auto* bad = aff->mutable_pod_anti_affinity()
                         ->add_required_during_scheduling_ignored_during_execution();
         bad->add_namespaces("Infra");
         bad->add_match_label_keys("tier");
         bad->add_mismatch_label_keys("tier");
         (*bad->mutable_namespace_selector()->mutable_match_labels())["team"] = "a";
         auto* weighted = aff->mutable_pod_anti_affinity()
                              ->add_preferred_during_scheduling_ignored_during_execution();
         weighted->set_weight(101);
         weighted->mutable_pod_affinity_term()->set_topology_key("kubernetes.io/hostname");
         (*weighted->mutable_pod_affinity_term()
               ->mutable_label_selector()
               ->mutable_match_labels())["app"] = "web";
         weighted->mutable_pod_affinity_term()->add_mismatch_label_keys("app");
       },
       {"spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]."
        "namespaceSelector: Forbidden: minik8s supports only the empty namespaceSelector ({}, "
        "every namespace); list the namespaces in `namespaces` instead",
        "spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]."
        "namespace: Invalid value: \"Infra\": " +
            kLabelMsg,
        "spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]: "
        "Forbidden: must not be specified when labelSelector is not set",
        "spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]."
        "matchLabelKeys[0]: Invalid value: \"tier\": exists in both matchLabelKeys and "
        "mismatchLabelKeys",
        "spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]."
        "topologyKey: Required value: can not be empty",
        "spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]."
        "topologyKey: Invalid value: \"\": name part must be non-empty",
        "spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]."
        "topologyKey: Invalid value: \"\": name part must consist of alphanumeric characters, "
        "'-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  "
        "or 'my.name',  or '123-abc', regex used for validation is "
        "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
        "spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: "
        "Invalid value: 101: must be in the range 1-100",
        "spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]."
        "podAffinityTerm.mismatchLabelKeys[0]: Invalid value: \"app\": exists in both "
        "mismatchLabelKeys and labelSelector"}},
      {"host aliases",
       [](Pod* p) {
         auto* ok = p->mutable_spec()->add_host_aliases();
         ok->set_ip("10.1.2.3");
         ok->add_hostnames("foo.local");
         ok->add_hostnames("bar");
         p->mutable_spec()->add_host_aliases()->set_ip("2001:db8::1");
         auto* bad = p->mutable_spec()->add_host_aliases();
         bad->set_ip("10.1.2");
         bad->add_hostnames("ok.example.com");
         bad->add_hostnames("Not_A_Name");
       },
       {"spec.hostAliases[2].ip: Invalid value: \"10.1.2\": must be a valid IP address, (e.g. "
        "10.9.8.7 or 2001:db8::ffff)",
        "spec.hostAliases[2].hostnames[1]: Invalid value: \"Not_A_Name\": " + kSubdomainMsg}},
      {"dnsConfig with dnsPolicy None",
       [](Pod* p) {
         p->mutable_spec()->set_dns_policy("None");
         auto* dns = p->mutable_spec()->mutable_dns_config();
         dns->add_nameservers("1.1.1.1");
         dns->add_searches("ns1.svc.cluster.local.");
         auto* option = dns->add_options();
         option->set_name("ndots");
         option->set_value("2");
         dns->add_options()->set_name("edns0");
       },
       {}},
      {"dnsPolicy None without dnsConfig",
       [](Pod* p) { p->mutable_spec()->set_dns_policy("None"); },
       {"spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None"}},
      {"dnsPolicy None without nameservers",
       [](Pod* p) {
         p->mutable_spec()->set_dns_policy("None");
         p->mutable_spec()->mutable_dns_config()->add_searches("Bad_Search");
       },
       {"spec.dnsConfig.nameservers: Required value: must provide at least one DNS nameserver "
        "when `dnsPolicy` is None"}},
      {"dnsConfig limits",
       [](Pod* p) {
         auto* dns = p->mutable_spec()->mutable_dns_config();
         for (const char* ns : {"1.1.1.1", "8.8.8.8", "9.9.9.9", "1.0.0.1"}) {
           dns->add_nameservers(ns);
         }
         dns->set_nameservers(1, "dns.google");
         for (int i = 0; i < 33; ++i) dns->add_searches(std::string(63, 'a'));
         dns->set_searches(1, "Bad_Search.");
         dns->add_options()->set_value("1");
       },
       {"spec.dnsConfig.nameservers: Invalid value: []string{\"1.1.1.1\", \"dns.google\", "
        "\"9.9.9.9\", \"1.0.0.1\"}: must not have more than 3 nameservers",
        "spec.dnsConfig.nameservers[1]: Invalid value: \"dns.google\": must be a valid IP "
        "address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
        "spec.dnsConfig.searches: Invalid value: " + kSearches +
            ": must not have more than 32 search paths",
        "spec.dnsConfig.searches: Invalid value: " + kSearches +
            ": must not have more than 2048 characters (including spaces) in the search list",
        "spec.dnsConfig.searches[1]: Invalid value: \"Bad_Search\": " + kSubdomainMsg,
        "spec.dnsConfig.options[0]: Required value: must not be empty"}},
      {"shareProcessNamespace with hostPID",
       [](Pod* p) {
         p->mutable_spec()->set_host_pid(true);
         p->mutable_spec()->set_host_ipc(true);
         p->mutable_spec()->set_share_process_namespace(true);
       },
       {"spec.securityContext.shareProcessNamespace: Invalid value: true: ShareProcessNamespace "
        "and HostPID cannot both be enabled"}},
      {"shareProcessNamespace, or hostPID, alone",
       [](Pod* p) {
         p->mutable_spec()->set_share_process_namespace(true);
         p->mutable_spec()->set_host_ipc(true);
       },
       {}},
      {"readiness gates",
       [](Pod* p) {
         p->mutable_spec()->add_readiness_gates()->set_condition_type("www.example.com/feature-1");
         p->mutable_spec()->add_readiness_gates()->set_condition_type("Bad Gate");
       },
       {"spec.readinessGates[1].conditionType: Invalid value: \"Bad Gate\": name part must "
        "consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
        "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
        "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"}},
      {"os linux",
       [](Pod* p) {
         p->mutable_spec()->mutable_os()->set_name("linux");
         p->mutable_spec()->set_host_pid(true);
         p->mutable_spec()->mutable_security_context()->set_run_as_user(1000);
       },
       {}},
      {"os unnamed",
       [](Pod* p) { p->mutable_spec()->mutable_os(); },
       {"spec.os.name: Required value: cannot be empty"}},
      {"os unknown",
       [](Pod* p) {
         p->mutable_spec()->mutable_os()->set_name("darwin");
         p->mutable_spec()->set_host_pid(true);
       },
       {"spec.os: Unsupported value: \"darwin\": supported values: \"linux\", \"windows\""}},
      {"os windows refuses Linux-only fields",
       [](Pod* p) {
         p->mutable_spec()->mutable_os()->set_name("windows");
         p->mutable_spec()->set_host_pid(true);
         p->mutable_spec()->set_host_ipc(true);
         p->mutable_spec()->set_share_process_namespace(false);
         auto* psc = p->mutable_spec()->mutable_security_context();
         psc->set_run_as_user(1000);
         psc->set_run_as_group(1000);
         psc->set_run_as_non_root(true);
         psc->add_supplemental_groups(5);
         psc->set_fs_group(2000);
         auto* sc = p->mutable_spec()->mutable_containers(0)->mutable_security_context();
         sc->mutable_capabilities();
         sc->set_privileged(false);
         sc->set_read_only_root_filesystem(true);
         sc->set_allow_privilege_escalation(false);
         sc->set_run_as_user(1);
         sc->set_run_as_group(1);
         sc->set_run_as_non_root(true);
       },
       {"spec.hostPID: Forbidden: cannot be set for a windows pod",
        "spec.hostIPC: Forbidden: cannot be set for a windows pod",
        "spec.securityContext.fsGroup: Forbidden: cannot be set for a windows pod",
        "spec.shareProcessNamespace: Forbidden: cannot be set for a windows pod",
        "spec.securityContext.runAsUser: Forbidden: cannot be set for a windows pod",
        "spec.securityContext.runAsGroup: Forbidden: cannot be set for a windows pod",
        "spec.securityContext.supplementalGroups: Forbidden: cannot be set for a windows pod",
        "spec.containers[0].securityContext.capabilities: Forbidden: cannot be set for a windows "
        "pod",
        "spec.containers[0].securityContext.readOnlyRootFilesystem: Forbidden: cannot be set for "
        "a windows pod",
        "spec.containers[0].securityContext.privileged: Forbidden: cannot be set for a windows "
        "pod",
        "spec.containers[0].securityContext.allowPrivilegeEscalation: Forbidden: cannot be set "
        "for a windows pod",
        "spec.containers[0].securityContext.runAsUser: Forbidden: cannot be set for a windows pod",
        "spec.containers[0].securityContext.runAsGroup: Forbidden: cannot be set for a windows "
        "pod"}},
  };
  for (const Case& c : cases) {
    Pod pod = ValidPod();
    c.mutate(&pod);
    EXPECT_EQ(Strings(ValidatePod(pod)), c.want) << c.name;
  }
}

TEST(ValidatePodUpdate, Rules) {
  struct Case {
    std::string name;
    std::function<void(Pod*)> mutate;
    std::vector<std::string> want;
  };
  const std::string kForbidden =
      "spec: Forbidden: pod updates may not change fields other than "
      "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,"
      "`spec.tolerations` (only additions to existing tolerations),"
      "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously "
      "negative)";
  const std::vector<Case> cases = {
      {"no change", [](Pod*) {}, {}},
      {"image may change",
       [](Pod* p) { p->mutable_spec()->mutable_containers(0)->set_image("nginx:1.26"); },
       {}},
      {"labels may change",
       [](Pod* p) { (*p->mutable_metadata()->mutable_labels())["x"] = "y"; },
       {}},
      {"tolerations may be added",
       [](Pod* p) {
         auto* t = p->mutable_spec()->add_tolerations();
         t->set_key("k");
         t->set_operator_("Exists");
       },
       {}},
      {"active deadline may be set",
       [](Pod* p) { p->mutable_spec()->set_active_deadline_seconds(30); },
       {}},
      {"restart policy may not change",
       [](Pod* p) { p->mutable_spec()->set_restart_policy("Never"); },
       {kForbidden}},
      {"ports may not change",
       [](Pod* p) {
         p->mutable_spec()->mutable_containers(0)->mutable_ports(0)->set_container_port(81);
       },
       {kForbidden}},
      {"containers may not be added",
       [](Pod* p) {
         auto* c = p->mutable_spec()->add_containers();
         *c = p->spec().containers(0);
         c->set_name("sidecar");
       },
       {"spec.containers: Forbidden: pod updates may not add or remove containers"}},
      {"name is immutable",
       [](Pod* p) { p->mutable_metadata()->set_name("web2"); },
       {"metadata.name: Invalid value: \"web2\": field is immutable"}},
  };
  for (const Case& c : cases) {
    Pod old = ValidPod();
    Pod pod = old;
    c.mutate(&pod);
    EXPECT_EQ(Strings(ValidatePodUpdate(pod, old)), c.want) << c.name;
    EXPECT_EQ(Strings(ValidateObjectUpdate(pod, old)), c.want) << c.name;
  }

  // activeDeadlineSeconds may only go down.
  Pod old = ValidPod();
  old.mutable_spec()->set_active_deadline_seconds(30);
  Pod pod = old;
  pod.mutable_spec()->set_active_deadline_seconds(60);
  EXPECT_EQ(Strings(ValidatePodUpdate(pod, old)),
            std::vector<std::string>{"spec.activeDeadlineSeconds: Invalid value: 60: must be less "
                                     "than or equal to previous value"});
  pod.mutable_spec()->set_active_deadline_seconds(10);
  EXPECT_TRUE(ValidatePodUpdate(pod, old).empty());

  // Existing tolerations may not be removed.
  AddDefaultTolerations(&old);
  pod = old;
  pod.mutable_spec()->mutable_tolerations()->RemoveLast();
  EXPECT_EQ(Strings(ValidatePodUpdate(pod, old)),
            std::vector<std::string>{"spec.tolerations: Forbidden: existing toleration can not be "
                                     "modified except its tolerationSeconds"});
}

TEST(ValidateDeployment, ValidHasNoErrors) {
  EXPECT_EQ(Strings(ValidateDeployment(ValidDeployment())), std::vector<std::string>{});
}

TEST(ValidateDeployment, Rules) {
  struct Case {
    std::string name;
    std::function<void(Deployment*)> mutate;
    std::vector<std::string> want;
  };
  const std::vector<Case> cases = {
      {"negative replicas",
       [](Deployment* d) { d->mutable_spec()->set_replicas(-1); },
       {"spec.replicas: Invalid value: -1: must be greater than or equal to 0"}},
      {"selector mismatch",
       [](Deployment* d) {
         (*d->mutable_spec()->mutable_template_()->mutable_metadata()->mutable_labels())["app"] =
             "other";
       },
       {"spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"other\"}: "
        "`selector` does not match template `labels`"}},
      {"empty selector",
       [](Deployment* d) { d->mutable_spec()->mutable_selector()->clear_match_labels(); },
       {"spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), "
        "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for "
        "deployment"}},
      {"missing selector",
       [](Deployment* d) { d->mutable_spec()->clear_selector(); },
       {"spec.selector: Required value",
        "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: "
        "`selector` does not match template `labels`"}},
      {"bad selector operator",
       [](Deployment* d) {
         auto* e = d->mutable_spec()->mutable_selector()->add_match_expressions();
         e->set_key("tier");
         e->set_operator_("In");
       },
       // Like Kubernetes, the selector also fails to convert.
       {"spec.selector.matchExpressions[0].values: Required value: must be specified when "
        "`operator` is 'In' or 'NotIn'",
        "spec.selector: Invalid value: "
        "v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web\"}, "
        "MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:\"tier\", "
        "Operator:\"In\", Values:[]string(nil)}}}: invalid label selector"}},
      {"template restart policy",
       [](Deployment* d) {
         d->mutable_spec()->mutable_template_()->mutable_spec()->set_restart_policy("Never");
       },
       {"spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: "
        "\"Always\""}},
      {"duplicate template container",
       [](Deployment* d) {
         auto* spec = d->mutable_spec()->mutable_template_()->mutable_spec();
         *spec->add_containers() = spec->containers(0);
       },
       {"spec.template.spec.containers[1].name: Duplicate value: \"nginx\""}},
      {"strategy type",
       [](Deployment* d) { d->mutable_spec()->mutable_strategy()->set_type("Blue"); },
       {"spec.strategy.type: Unsupported value: \"Blue\": supported values: \"Recreate\", "
        "\"RollingUpdate\""}},
      {"recreate with rollingUpdate",
       [](Deployment* d) { d->mutable_spec()->mutable_strategy()->set_type("Recreate"); },
       {"spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is "
        "'Recreate'"}},
      {"both zero",
       [](Deployment* d) {
         auto* ru = d->mutable_spec()->mutable_strategy()->mutable_rolling_update();
         *ru->mutable_max_surge() = api::IntOrStringFromInt(0);
         *ru->mutable_max_unavailable() = api::IntOrStringFromString("0%");
       },
       {"spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0%: may not be 0 when "
        "`maxSurge` is 0"}},
      {"over 100%",
       [](Deployment* d) {
         auto* ru = d->mutable_spec()->mutable_strategy()->mutable_rolling_update();
         *ru->mutable_max_unavailable() = api::IntOrStringFromString("110%");
       },
       {"spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 110%: must not be greater "
        "than 100%"}},
      {"bad percent",
       [](Deployment* d) {
         auto* ru = d->mutable_spec()->mutable_strategy()->mutable_rolling_update();
         *ru->mutable_max_surge() = api::IntOrStringFromString("20Percent");
       },
       {"spec.strategy.rollingUpdate.maxSurge: Invalid value: 20Percent: a valid percent string "
        "must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for "
        "validation is '[0-9]+%')"}},
      {"negative surge",
       [](Deployment* d) {
         auto* ru = d->mutable_spec()->mutable_strategy()->mutable_rolling_update();
         *ru->mutable_max_surge() = api::IntOrStringFromInt(-1);
       },
       {"spec.strategy.rollingUpdate.maxSurge: Invalid value: -1: must be greater than or equal "
        "to 0"}},
      {"revision history",
       [](Deployment* d) { d->mutable_spec()->set_revision_history_limit(-1); },
       {"spec.revisionHistoryLimit: Invalid value: -1: must be greater than or equal to 0"}},
      {"progress deadline",
       [](Deployment* d) { d->mutable_spec()->set_min_ready_seconds(600); },
       {"spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds"}},
  };
  for (const Case& c : cases) {
    Deployment d = ValidDeployment();
    c.mutate(&d);
    EXPECT_EQ(Strings(ValidateDeployment(d)), c.want) << c.name;
  }
}

TEST(ValidateDeployment, SelectorImmutable) {
  Deployment old = ValidDeployment();
  Deployment d = old;
  d.mutable_spec()->set_replicas(5);
  EXPECT_TRUE(ValidateDeploymentUpdate(d, old).empty());
  (*d.mutable_spec()->mutable_selector()->mutable_match_labels())["app"] = "web2";
  (*d.mutable_spec()->mutable_template_()->mutable_metadata()->mutable_labels())["app"] = "web2";
  EXPECT_EQ(Strings(ValidateObjectUpdate(d, old)),
            std::vector<std::string>{
                "spec.selector: Invalid value: "
                "v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web2\"}, "
                "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"});
  EXPECT_EQ(InvalidMessage(QualifiedKind(d), d.metadata().name(), ValidateObjectUpdate(d, old)),
            "Deployment.apps \"web\" is invalid: spec.selector: Invalid value: "
            "v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web2\"}, "
            "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable");
}

TEST(ValidateReplicaSet, Rules) {
  ReplicaSet rs;
  rs.mutable_metadata()->set_name("web-abc");
  rs.mutable_metadata()->set_namespace_("default");
  *rs.mutable_spec()->mutable_selector() = ValidDeployment().spec().selector();
  *rs.mutable_spec()->mutable_template_() = ValidDeployment().spec().template_();
  SetReplicaSetDefaults(&rs);
  EXPECT_EQ(rs.spec().replicas(), 1);
  EXPECT_TRUE(ValidateReplicaSet(rs).empty());
  ReplicaSet bad = rs;
  bad.mutable_spec()->set_replicas(-2);
  bad.mutable_spec()->mutable_template_()->mutable_spec()->set_active_deadline_seconds(5);
  EXPECT_EQ(Strings(ValidateObject(bad)),
            (std::vector<std::string>{
                "spec.replicas: Invalid value: -2: must be greater than or equal to 0",
                "spec.template.spec.activeDeadlineSeconds: Invalid value: 5: "
                "activeDeadlineSeconds in ReplicaSet is not Supported"}));
  EXPECT_EQ(QualifiedKind(rs), "ReplicaSet.apps");
}

TEST(ValidateOtherKinds, NamespaceNodeEventLeaseBinding) {
  minik8s::core::v1::Namespace ns;
  ns.mutable_metadata()->set_name("team.a");
  EXPECT_EQ(
      Strings(ValidateNamespace(ns)),
      std::vector<std::string>{"metadata.name: Invalid value: \"team.a\": must not contain dots"});
  ns.mutable_metadata()->set_name("team-a");
  ns.mutable_metadata()->set_namespace_("x");
  EXPECT_EQ(Strings(ValidateNamespace(ns)),
            std::vector<std::string>{"metadata.namespace: Forbidden: not allowed on this type"});

  minik8s::core::v1::Node node;
  node.mutable_metadata()->set_name("node-1");
  auto* t = node.mutable_spec()->add_taints();
  t->set_key("dedicated");
  t->set_effect("NoSchedule");
  EXPECT_TRUE(ValidateNode(node).empty());
  t->set_effect("Sometimes");
  auto* t2 = node.mutable_spec()->add_taints();
  t2->set_key("x");
  EXPECT_EQ(Strings(ValidateNode(node)),
            (std::vector<std::string>{
                "spec.taints[0].effect: Unsupported value: \"Sometimes\": supported values: "
                "\"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\"",
                "spec.taints[1].effect: Required value"}));

  minik8s::core::v1::Event ev;
  ev.mutable_metadata()->set_name("web.17a");
  ev.mutable_metadata()->set_namespace_("default");
  ev.mutable_involved_object()->set_namespace_("prod");
  EXPECT_EQ(
      Strings(ValidateEvent(ev)),
      std::vector<std::string>{
          "involvedObject.namespace: Invalid value: \"prod\": does not match event.namespace"});
  ev.mutable_involved_object()->set_namespace_("default");
  EXPECT_TRUE(ValidateEvent(ev).empty());

  minik8s::coordination::v1::Lease lease;
  lease.mutable_metadata()->set_name("node-1");
  lease.mutable_metadata()->set_namespace_("kube-node-lease");
  lease.mutable_spec()->set_lease_duration_seconds(0);
  EXPECT_EQ(Strings(ValidateObject(lease)),
            std::vector<std::string>{
                "spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0"});
  lease.mutable_spec()->set_lease_duration_seconds(40);
  EXPECT_TRUE(ValidateLease(lease).empty());

  minik8s::core::v1::Binding b;
  b.mutable_target()->set_kind("Pod");
  EXPECT_EQ(Strings(ValidateBinding(b)),
            (std::vector<std::string>{
                "target.kind: Unsupported value: \"Pod\": supported values: \"Node\", \"<empty>\"",
                "target.name: Required value"}));
}

}  // namespace
}  // namespace minik8s::validation
