#include "api/k8s_protobuf.h"

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "api/k8s_protobuf_layout.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "k8s/apps/v1/apps.pb.h"
#include "k8s/autoscaling/v1/autoscaling.pb.h"
#include "k8s/coordination/v1/coordination.pb.h"
#include "k8s/core/v1/core.pb.h"
#include "k8s/meta/v1/meta.pb.h"

namespace minik8s::api {
namespace {

using google::protobuf::util::MessageDifferencer;
namespace core = minik8s::core::v1;
namespace apps = minik8s::apps::v1;
namespace meta = minik8s::meta::v1;

// ------------------------------------------------ wire-format building blocks
//
// The fixtures below are written from the documented formats: the
// runtime.Unknown envelope (apimachinery pkg/runtime/generated.proto) and the
// field numbers of k8s.io/api core/v1, apps/v1 and apimachinery meta/v1
// generated.proto, one tag and length at a time.

std::string Varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}

// Field `n` as a varint (wire type 0).
std::string V(int n, uint64_t value) { return Varint((uint64_t(n) << 3) | 0) + Varint(value); }

// Field `n` length-delimited (wire type 2): strings, bytes, messages.
std::string L(int n, std::string_view bytes) {
  return Varint((uint64_t(n) << 3) | 2) + Varint(bytes.size()) + std::string(bytes);
}

std::string Cat(std::initializer_list<std::string> parts) {
  std::string out;
  for (const std::string& p : parts) out += p;
  return out;
}

const std::string kMagic("k8s\0", 4);

// "k8s\0" + Unknown{1: TypeMeta{1: apiVersion, 2: kind}, 2: raw, 3: "", 4: ""}.
std::string Envelope(std::string_view api_version, std::string_view kind, std::string_view raw) {
  return kMagic + L(1, L(1, api_version) + L(2, kind)) + L(2, raw) + L(3, "") + L(4, "");
}

// Kubernetes' IntOrString {1: type, 2: intVal, 3: strVal}.
std::string IntOrStringInt(int32_t v) { return V(1, 0) + V(2, uint32_t(v)) + L(3, ""); }
std::string IntOrStringStr(std::string_view s) { return V(1, 1) + V(2, 0) + L(3, s); }

bool Equal(const google::protobuf::Message& a, const google::protobuf::Message& b) {
  std::string report;
  MessageDifferencer differ;
  differ.ReportDifferencesToString(&report);
  bool equal = differ.Compare(a, b);
  if (!equal) ADD_FAILURE() << report;
  return equal;
}

// ------------------------------------------------------------------ fixtures

// A small Pod: metadata{name, namespace, labels}, one container.
std::string SmallPodRaw() {
  std::string metadata = Cat({L(1, "nginx"), L(3, "default"), L(11, L(1, "app") + L(2, "nginx"))});
  std::string container = Cat({L(1, "nginx"), L(2, "nginx:1.25")});
  std::string spec = L(2, container);  // PodSpec.containers = 2
  return L(1, metadata) + L(2, spec);
}

core::Pod SmallPod() {
  core::Pod pod;
  pod.set_api_version("v1");
  pod.set_kind("Pod");
  pod.mutable_metadata()->set_name("nginx");
  pod.mutable_metadata()->set_namespace_("default");
  (*pod.mutable_metadata()->mutable_labels())["app"] = "nginx";
  core::Container* c = pod.mutable_spec()->add_containers();
  c->set_name("nginx");
  c->set_image("nginx:1.25");
  return pod;
}

// A Deployment with maxUnavailable 1 and maxSurge "25%".
std::string DeploymentRaw() {
  std::string labels = L(11, L(1, "app") + L(2, "web"));
  std::string template_spec = L(2, L(1, "web") + L(2, "nginx"));  // PodSpec.containers
  std::string rolling_update = Cat({L(1, IntOrStringInt(1)), L(2, IntOrStringStr("25%"))});
  std::string strategy = Cat({L(1, "RollingUpdate"), L(2, rolling_update)});
  std::string spec = Cat({
      V(1, 3),                                   // replicas
      L(2, L(1, L(1, "app") + L(2, "web"))),     // selector.matchLabels
      L(3, L(1, labels) + L(2, template_spec)),  // template
      L(4, strategy),                            // strategy
  });
  return L(1, L(1, "web")) + L(2, spec);
}

apps::Deployment Deployment() {
  apps::Deployment d;
  d.set_api_version("apps/v1");
  d.set_kind("Deployment");
  d.mutable_metadata()->set_name("web");
  apps::DeploymentSpec* spec = d.mutable_spec();
  spec->set_replicas(3);
  (*spec->mutable_selector()->mutable_match_labels())["app"] = "web";
  (*spec->mutable_template_()->mutable_metadata()->mutable_labels())["app"] = "web";
  core::Container* c = spec->mutable_template_()->mutable_spec()->add_containers();
  c->set_name("web");
  c->set_image("nginx");
  spec->mutable_strategy()->set_type("RollingUpdate");
  spec->mutable_strategy()->mutable_rolling_update()->mutable_max_unavailable()->set_int_val(1);
  spec->mutable_strategy()->mutable_rolling_update()->mutable_max_surge()->set_str_val("25%");
  return d;
}

// --------------------------------------------------------------------- tests

TEST(K8sProtobufLayout, TableIsConsistent) {
  std::vector<std::string> problems = K8sLayoutTableProblems();
  EXPECT_TRUE(problems.empty()) << problems.front();
}

TEST(K8sProtobuf, DecodesDocumentedPodBytes) {
  absl::StatusOr<DecodedObject> decoded = DecodeK8sProtobuf(Envelope("v1", "Pod", SmallPodRaw()));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->kind->kind, "Pod");
  EXPECT_FALSE(decoded->is_list);
  Equal(*decoded->object, SmallPod());
}

TEST(K8sProtobuf, EncodesDocumentedPodBytes) {
  EXPECT_EQ(EncodeK8sProtobuf(SmallPod()), Envelope("v1", "Pod", SmallPodRaw()));
}

TEST(K8sProtobuf, DecodesDocumentedDeploymentBytes) {
  absl::StatusOr<DecodedObject> decoded =
      DecodeK8sProtobuf(Envelope("apps/v1", "Deployment", DeploymentRaw()));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->kind->kind, "Deployment");
  Equal(*decoded->object, Deployment());
  EXPECT_EQ(EncodeK8sProtobuf(Deployment()), Envelope("apps/v1", "Deployment", DeploymentRaw()));
}

// Fields where our numbering differs from Kubernetes' land at Kubernetes'
// numbers, including the inlined LocalObjectReference, VolumeSource and
// ProbeHandler, and IntOrString deep inside a probe.
std::string RenumberedPodRaw() {
  std::string secret_key_ref = Cat({L(1, L(1, "db-secret")), L(2, "password")});
  std::string env = Cat({L(1, "PASSWORD"), L(3, L(4, secret_key_ref))});  // valueFrom.secretKeyRef
  std::string readiness = Cat({
      L(1, L(2, Cat({L(1, "/healthz"), L(2, IntOrStringStr("http"))}))),  // handler.httpGet
      V(4, 5),                                                            // periodSeconds
  });
  std::string liveness = L(1, L(3, L(1, IntOrStringInt(8080))));  // handler.tcpSocket.port
  std::string container = Cat({
      L(1, "app"), L(2, "app:1"), L(7, env), L(10, liveness), L(11, readiness),
      L(14, "IfNotPresent"),           // imagePullPolicy
      L(15, V(4, 1000)),               // securityContext.runAsUser
      L(20, "FallbackToLogsOnError"),  // terminationMessagePolicy
  });
  std::string volume = L(1, "cfg") + L(2, L(19, L(1, L(1, "app-config"))));  // configMap.name
  std::string spec = Cat({
      L(1, volume),
      L(2, container),
      L(3, "Never"),
      L(8, "builder"),
      L(14, V(2, 1000) + V(6, 3000)),  // securityContext.runAsUser / runAsGroup
      L(19, "custom-scheduler"),
      V(25, 7),
  });
  std::string status =
      Cat({L(1, "Running"), L(5, "192.168.1.2"), L(6, "10.0.0.5"), L(9, "BestEffort"),
           L(12, L(1, "10.0.0.5")), L(16, L(1, "192.168.1.2"))});
  return L(1, L(1, "app")) + L(2, spec) + L(3, status);
}

core::Pod RenumberedPod() {
  core::Pod pod;
  pod.set_api_version("v1");
  pod.set_kind("Pod");
  pod.mutable_metadata()->set_name("app");
  core::PodSpec* spec = pod.mutable_spec();
  core::Volume* v = spec->add_volumes();
  v->set_name("cfg");
  v->mutable_config_map()->set_name("app-config");
  core::Container* c = spec->add_containers();
  c->set_name("app");
  c->set_image("app:1");
  core::EnvVar* env = c->add_env();
  env->set_name("PASSWORD");
  env->mutable_value_from()->mutable_secret_key_ref()->set_name("db-secret");
  env->mutable_value_from()->mutable_secret_key_ref()->set_key("password");
  c->mutable_liveness_probe()->mutable_tcp_socket()->mutable_port()->set_int_val(8080);
  c->mutable_readiness_probe()->mutable_http_get()->set_path("/healthz");
  c->mutable_readiness_probe()->mutable_http_get()->mutable_port()->set_str_val("http");
  c->mutable_readiness_probe()->set_period_seconds(5);
  c->set_image_pull_policy("IfNotPresent");
  c->mutable_security_context()->set_run_as_user(1000);
  c->set_termination_message_policy("FallbackToLogsOnError");
  spec->set_restart_policy("Never");
  spec->set_service_account_name("builder");
  spec->mutable_security_context()->set_run_as_user(1000);
  spec->mutable_security_context()->set_run_as_group(3000);
  spec->set_scheduler_name("custom-scheduler");
  spec->set_priority(7);
  core::PodStatus* status = pod.mutable_status();
  status->set_phase("Running");
  status->set_host_ip("192.168.1.2");
  status->set_pod_ip("10.0.0.5");
  status->set_qos_class("BestEffort");
  status->add_pod_ips()->set_ip("10.0.0.5");
  status->add_host_ips()->set_ip("192.168.1.2");
  return pod;
}

TEST(K8sProtobuf, RenumberedAndInlinedFieldsUseKubernetesNumbers) {
  EXPECT_EQ(EncodeK8sProtobuf(RenumberedPod()), Envelope("v1", "Pod", RenumberedPodRaw()));
  absl::StatusOr<DecodedObject> decoded =
      DecodeK8sProtobuf(Envelope("v1", "Pod", RenumberedPodRaw()));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  Equal(*decoded->object, RenumberedPod());
}

// PodSpec's host and DNS fields, readiness gates and os sit at Kubernetes'
// numbers: hostPID 12, hostIPC 13, hostAliases 23, dnsConfig 26,
// shareProcessNamespace 27, readinessGates 28, os 36.
TEST(K8sProtobuf, PodHostFieldsUseKubernetesNumbers) {
  core::Pod pod;
  pod.set_api_version("v1");
  pod.set_kind("Pod");
  pod.mutable_metadata()->set_name("p");
  core::PodSpec* spec = pod.mutable_spec();
  spec->add_containers()->set_name("c");
  spec->set_host_pid(true);
  spec->set_host_ipc(true);
  core::HostAlias* alias = spec->add_host_aliases();
  alias->set_ip("10.0.0.9");
  alias->add_hostnames("db");
  alias->add_hostnames("db.local");
  core::PodDNSConfig* dns = spec->mutable_dns_config();
  dns->add_nameservers("1.1.1.1");
  dns->add_searches("svc.local");
  dns->add_options()->set_name("ndots");
  dns->mutable_options(0)->set_value("2");
  spec->set_share_process_namespace(false);
  spec->add_readiness_gates()->set_condition_type("example.com/gate");
  spec->mutable_os()->set_name("linux");

  const std::string raw_spec = Cat({
      L(2, L(1, "c")),
      V(12, 1),
      V(13, 1),
      L(23, Cat({L(1, "10.0.0.9"), L(2, "db"), L(2, "db.local")})),
      L(26, Cat({L(1, "1.1.1.1"), L(2, "svc.local"), L(3, Cat({L(1, "ndots"), L(2, "2")}))})),
      V(27, 0),
      L(28, L(1, "example.com/gate")),
      L(36, L(1, "linux")),
  });
  const std::string raw = Cat({L(1, L(1, "p")), L(2, raw_spec)});
  EXPECT_EQ(EncodeK8sProtobuf(pod), Envelope("v1", "Pod", raw));
  absl::StatusOr<DecodedObject> decoded = DecodeK8sProtobuf(Envelope("v1", "Pod", raw));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  Equal(*decoded->object, pod);
}

// The ServiceAccount volume Kubernetes' admission adds to every pod: Volume
// inlines VolumeSource (projected = 26), and the ConfigMap projection embeds
// LocalObjectReference{name = 1}.
TEST(K8sProtobuf, ProjectedVolumeUsesKubernetesNumbers) {
  core::Pod pod;
  pod.set_api_version("v1");
  pod.set_kind("Pod");
  pod.mutable_metadata()->set_name("p");
  core::Volume* volume = pod.mutable_spec()->add_volumes();
  volume->set_name("kube-api-access-abcde");
  core::ProjectedVolumeSource* projected = volume->mutable_projected();
  projected->set_default_mode(420);
  core::ServiceAccountTokenProjection* token =
      projected->add_sources()->mutable_service_account_token();
  token->set_expiration_seconds(3607);
  token->set_path("token");
  core::ConfigMapProjection* config_map = projected->add_sources()->mutable_config_map();
  config_map->set_name("kube-root-ca.crt");
  core::KeyToPath* item = config_map->add_items();
  item->set_key("ca.crt");
  item->set_path("ca.crt");
  core::DownwardAPIVolumeFile* file = projected->add_sources()->mutable_downward_api()->add_items();
  file->set_path("namespace");
  file->mutable_field_ref()->set_api_version("v1");
  file->mutable_field_ref()->set_field_path("metadata.namespace");
  core::Volume* downward = pod.mutable_spec()->add_volumes();
  downward->set_name("podinfo");
  downward->mutable_downward_api()->set_default_mode(256);

  const std::string sources = Cat(
      {L(1, L(4, Cat({V(2, 3607), L(3, "token")}))),
       L(1,
         L(3, Cat({L(1, L(1, "kube-root-ca.crt")), L(2, Cat({L(1, "ca.crt"), L(2, "ca.crt")}))}))),
       L(1, L(2, L(1, Cat({L(1, "namespace"),
                           L(2, Cat({L(1, "v1"), L(2, "metadata.namespace")}))}))))});
  const std::string volumes =
      Cat({L(1, Cat({L(1, "kube-api-access-abcde"), L(2, L(26, Cat({sources, V(2, 420)})))})),
           L(1, Cat({L(1, "podinfo"), L(2, L(16, V(2, 256)))}))});
  const std::string raw = Cat({L(1, L(1, "p")), L(2, volumes)});
  EXPECT_EQ(EncodeK8sProtobuf(pod), Envelope("v1", "Pod", raw));
  absl::StatusOr<DecodedObject> decoded = DecodeK8sProtobuf(Envelope("v1", "Pod", raw));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  Equal(*decoded->object, pod);
}

// What Kubernetes' proto2 encoder really sends: every non-pointer field,
// zero or not, fields we do not model, an empty (zero) creationTimestamp.
TEST(K8sProtobuf, AcceptsKubernetesExplicitZerosAndUnknownFields) {
  std::string metadata = Cat({L(1, "nginx"), L(2, ""), L(3, "default"), L(4, ""), L(5, ""),
                              L(6, ""), V(7, 0), L(8, ""), L(17, L(1, "kubectl"))});
  std::string probe = Cat({L(1, L(1, L(1, "true"))),  // handler.exec.command
                           V(2, 0), V(3, 0), V(4, 10), V(5, 0), V(6, 3)});
  std::string container = Cat({L(1, "nginx"), L(2, "nginx"), L(5, ""), L(10, probe), L(13, ""),
                               L(14, ""), V(16, 0), V(17, 0), V(18, 0), L(20, "")});
  std::string spec = Cat({L(2, container), L(3, ""), L(8, ""), L(9, ""), V(11, 0), V(12, 0),
                          V(13, 0), L(14, ""), L(19, "")});
  std::string raw = Cat({L(1, metadata), L(2, spec), L(3, Cat({L(1, ""), L(3, "")}))});
  absl::StatusOr<DecodedObject> decoded = DecodeK8sProtobuf(Envelope("v1", "Pod", raw));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  const auto& pod = static_cast<const core::Pod&>(*decoded->object);
  EXPECT_FALSE(pod.metadata().has_creation_timestamp());
  const core::Probe& p = pod.spec().containers(0).liveness_probe();
  EXPECT_EQ(p.exec().command(0), "true");
  // Plain int32 in Kubernetes: 0 means "use the default", so it stays unset.
  EXPECT_FALSE(p.has_initial_delay_seconds());
  EXPECT_FALSE(p.has_timeout_seconds());
  EXPECT_FALSE(p.has_success_threshold());
  EXPECT_EQ(p.period_seconds(), 10);
  EXPECT_EQ(p.failure_threshold(), 3);
  EXPECT_TRUE(pod.spec().has_security_context());
  EXPECT_TRUE(pod.has_status());
}

TEST(K8sProtobuf, OptionalFieldsKeepPresenceOfZero) {
  // DeploymentSpec.replicas is *int32 in Kubernetes: an explicit 0 is "scale
  // to zero", not "unset".
  std::string raw = L(1, L(1, "web")) + L(2, V(1, 0));
  absl::StatusOr<DecodedObject> decoded = DecodeK8sProtobuf(Envelope("apps/v1", "Deployment", raw));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  const auto& d = static_cast<const apps::Deployment&>(*decoded->object);
  EXPECT_TRUE(d.spec().has_replicas());
  EXPECT_EQ(d.spec().replicas(), 0);
  // And it is written back.
  EXPECT_NE(EncodeK8sProtobuf(d).find(L(2, V(1, 0))), std::string::npos);
}

TEST(K8sProtobuf, RoundTrips) {
  core::Pod full = RenumberedPod();
  core::PodSpec* spec = full.mutable_spec();
  spec->add_init_containers()->set_name("init");
  spec->set_termination_grace_period_seconds(0);
  spec->set_active_deadline_seconds(60);
  spec->set_dns_policy("ClusterFirst");
  (*spec->mutable_node_selector())["disk"] = "ssd";
  (*spec->mutable_node_selector())["arch"] = "amd64";
  spec->set_node_name("node-1");
  spec->set_host_network(true);
  spec->set_hostname("h");
  spec->set_subdomain("s");
  spec->mutable_affinity()->mutable_node_affinity();
  spec->set_automount_service_account_token(false);
  core::Toleration* t = spec->add_tolerations();
  t->set_key("k");
  t->set_toleration_seconds(30);
  spec->set_priority_class_name("high");
  spec->set_enable_service_links(false);
  spec->set_preemption_policy("Never");
  spec->mutable_security_context()->add_supplemental_groups(1);
  spec->mutable_security_context()->add_supplemental_groups(2);
  core::Volume* v = spec->add_volumes();
  v->set_name("scratch");
  v->mutable_empty_dir()->mutable_size_limit()->set_value("1Gi");
  v = spec->add_volumes();
  v->set_name("host");
  v->mutable_host_path()->set_path("/var");
  v = spec->add_volumes();
  v->set_name("sec");
  v->mutable_secret()->set_secret_name("tls");
  v->mutable_secret()->set_default_mode(0400);
  core::Container* c = spec->mutable_containers(0);
  c->mutable_startup_probe()->mutable_grpc()->set_port(9000);
  c->mutable_startup_probe()->set_initial_delay_seconds(2);
  c->mutable_startup_probe()->set_termination_grace_period_seconds(5);
  c->set_stdin(true);
  c->set_tty(true);
  c->mutable_security_context()->set_run_as_group(2000);
  c->mutable_security_context()->set_privileged(false);
  (*c->mutable_resources()->mutable_limits())["cpu"].set_value("500m");
  (*c->mutable_resources()->mutable_requests())["memory"].set_value("128Mi");
  c->add_env()->mutable_value_from()->mutable_config_map_key_ref()->set_name("cm");
  c->add_ports()->set_container_port(80);
  full.mutable_metadata()->mutable_creation_timestamp()->set_seconds(0);  // the epoch, not "unset"
  full.mutable_metadata()->mutable_deletion_timestamp()->set_seconds(1'700'000'000);
  full.mutable_metadata()->set_deletion_grace_period_seconds(0);
  meta::OwnerReference* owner = full.mutable_metadata()->add_owner_references();
  owner->set_api_version("apps/v1");
  owner->set_kind("ReplicaSet");
  owner->set_controller(true);
  full.mutable_status()
      ->add_container_statuses()
      ->mutable_state()
      ->mutable_running()
      ->mutable_started_at()
      ->set_seconds(5);
  full.mutable_status()->add_init_container_statuses()->set_name("init");
  full.mutable_status()->set_nominated_node_name("node-2");
  full.mutable_status()->mutable_start_time()->set_seconds(10);

  absl::StatusOr<DecodedObject> decoded = DecodeK8sProtobuf(EncodeK8sProtobuf(full));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  Equal(*decoded->object, full);

  apps::Deployment d = Deployment();
  decoded = DecodeK8sProtobuf(EncodeK8sProtobuf(d));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  Equal(*decoded->object, d);

  core::Node node;
  node.set_api_version("v1");
  node.set_kind("Node");
  node.mutable_metadata()->set_name("n1");
  node.mutable_spec()->add_pod_cidrs("10.244.0.0/24");
  node.mutable_spec()->set_pod_cidr("10.244.0.0/24");
  (*node.mutable_status()->mutable_capacity())["cpu"].set_value("4");
  decoded = DecodeK8sProtobuf(EncodeK8sProtobuf(node));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  Equal(*decoded->object, node);
  // NodeSpec.podCIDRs is field 7 in Kubernetes (2 is the deprecated externalID).
  EXPECT_NE(EncodeK8sProtobuf(node).find(L(7, "10.244.0.0/24")), std::string::npos);

  minik8s::coordination::v1::Lease lease;
  lease.set_api_version("coordination.k8s.io/v1");
  lease.set_kind("Lease");
  lease.mutable_spec()->set_holder_identity("node-1");
  lease.mutable_spec()->set_lease_duration_seconds(40);
  lease.mutable_spec()->mutable_renew_time()->set_seconds(1'700'000'000);
  lease.mutable_spec()->mutable_renew_time()->set_nanos(123'456'000);
  decoded = DecodeK8sProtobuf(EncodeK8sProtobuf(lease));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  Equal(*decoded->object, lease);
}

TEST(K8sProtobuf, TimesAreTruncatedToTheirPrecision) {
  std::string lease_raw =
      L(1, L(1, "l") + L(8, V(1, 1'700'000'000) + V(2, 5))) +  // creationTimestamp
      L(2, L(4, V(1, 1'700'000'000) + V(2, 123'456'789)));     // renewTime
  absl::StatusOr<DecodedObject> decoded =
      DecodeK8sProtobuf(Envelope("coordination.k8s.io/v1", "Lease", lease_raw));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  const auto& lease = static_cast<const minik8s::coordination::v1::Lease&>(*decoded->object);
  EXPECT_EQ(lease.metadata().creation_timestamp().seconds(), 1'700'000'000);
  EXPECT_EQ(lease.metadata().creation_timestamp().nanos(), 0);
  EXPECT_EQ(lease.spec().renew_time().nanos(), 123'456'000);
}

TEST(K8sProtobuf, IntOrStringBothFormsAtDepth) {
  // Both forms under a probe in a Deployment's pod template, and in a list.
  apps::Deployment d = Deployment();
  core::Container* c = d.mutable_spec()->mutable_template_()->mutable_spec()->mutable_containers(0);
  c->mutable_liveness_probe()->mutable_http_get()->mutable_port()->set_int_val(8080);
  c->mutable_readiness_probe()->mutable_tcp_socket()->mutable_port()->set_str_val("web");
  d.mutable_spec()
      ->mutable_strategy()
      ->mutable_rolling_update()
      ->mutable_max_unavailable()
      ->set_int_val(0);
  apps::DeploymentList list;
  *list.add_items() = d;
  *list.add_items() = d;
  std::string bytes = EncodeK8sProtobuf(list);
  EXPECT_NE(bytes.find(L(2, IntOrStringInt(8080))), std::string::npos);
  EXPECT_NE(bytes.find(L(1, IntOrStringStr("web"))), std::string::npos);
  EXPECT_NE(bytes.find(L(1, IntOrStringInt(0))), std::string::npos);
  absl::StatusOr<DecodedObject> decoded = DecodeK8sProtobuf(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  list.set_api_version("apps/v1");
  list.set_kind("DeploymentList");
  for (apps::Deployment& item : *list.mutable_items()) {
    item.clear_api_version();  // list items carry no TypeMeta on the wire
    item.clear_kind();
  }
  Equal(*decoded->object, list);
  const auto& got = static_cast<const apps::DeploymentList&>(*decoded->object);
  EXPECT_TRUE(got.items(1).spec().strategy().rolling_update().max_unavailable().has_int_val());
}

TEST(K8sProtobuf, DecodesAList) {
  std::string pod = SmallPodRaw();
  std::string raw = L(1, L(2, "42") + L(3, "")) + L(2, pod) + L(2, pod);
  absl::StatusOr<DecodedObject> decoded = DecodeK8sProtobuf(Envelope("v1", "PodList", raw));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_TRUE(decoded->is_list);
  EXPECT_EQ(decoded->kind->kind, "Pod");
  const auto& list = static_cast<const core::PodList&>(*decoded->object);
  EXPECT_EQ(list.api_version(), "v1");
  EXPECT_EQ(list.kind(), "PodList");
  EXPECT_EQ(list.metadata().resource_version(), "42");
  ASSERT_EQ(list.items_size(), 2);
  core::Pod expected = SmallPod();
  expected.clear_api_version();  // list items carry no TypeMeta on the wire
  expected.clear_kind();
  Equal(list.items(1), expected);
}

TEST(K8sProtobuf, StatusForErrors) {
  meta::Status status;
  status.set_status("Failure");
  status.set_message("pods \"x\" not found");
  status.set_reason("NotFound");
  status.mutable_details()->set_name("x");
  status.mutable_details()->set_kind("pods");
  status.set_code(404);
  status.mutable_metadata();
  std::string raw = Cat({L(1, ""), L(2, "Failure"), L(3, "pods \"x\" not found"), L(4, "NotFound"),
                         L(5, L(1, "x") + L(3, "pods")), V(6, 404)});
  EXPECT_EQ(EncodeK8sProtobuf(status), Envelope("v1", "Status", raw));
  absl::StatusOr<DecodedObject> decoded = DecodeK8sProtobuf(Envelope("v1", "Status", raw));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  status.set_api_version("v1");
  status.set_kind("Status");
  Equal(*decoded->object, status);
}

TEST(K8sProtobuf, DeleteOptionsUnderAnyGroupAndScale) {
  // client-go's typed apps/v1 client sends DeleteOptions as apps/v1.
  std::string raw = Cat({V(1, 0), L(4, "Foreground"), L(5, "All")});
  meta::DeleteOptions options;
  absl::Status status = DecodeK8sProtobufInto(Envelope("apps/v1", "DeleteOptions", raw), &options);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_TRUE(options.has_grace_period_seconds());
  EXPECT_EQ(options.grace_period_seconds(), 0);
  EXPECT_EQ(options.propagation_policy(), "Foreground");
  EXPECT_EQ(options.dry_run(0), "All");
  EXPECT_EQ(options.kind(), "DeleteOptions");

  absl::StatusOr<DecodedObject> decoded =
      DecodeK8sProtobuf(Envelope("meta.k8s.io/v1", "DeleteOptions", raw));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->kind->kind, "DeleteOptions");

  minik8s::autoscaling::v1::Scale scale;
  std::string scale_raw =
      L(1, L(1, "web") + L(3, "default")) + L(2, V(1, 5)) + L(3, V(1, 3) + L(2, "app=web"));
  status = DecodeK8sProtobufInto(Envelope("autoscaling/v1", "Scale", scale_raw), &scale);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(scale.spec().replicas(), 5);
  EXPECT_EQ(scale.status().selector(), "app=web");
  EXPECT_EQ(scale.api_version(), "autoscaling/v1");
  // No TypeMeta at all is fine when the caller knows the type.
  status = DecodeK8sProtobufInto(kMagic + L(2, scale_raw), &scale);
  EXPECT_TRUE(status.ok()) << status;
  // A TypeMeta naming another type is not.
  status = DecodeK8sProtobufInto(Envelope("v1", "Pod", scale_raw), &scale);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(status.message()).find("expected autoscaling/v1/Scale"), std::string::npos)
      << status;
  status = DecodeK8sProtobufInto(Envelope("apps/v1", "Scale", scale_raw), &scale);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
}

TEST(K8sProtobuf, WatchFrame) {
  std::string frame = EncodeK8sProtobufWatchFrame("ADDED", SmallPod());
  ASSERT_GE(frame.size(), 4u);
  const uint32_t length = (uint32_t(uint8_t(frame[0])) << 24) |
                          (uint32_t(uint8_t(frame[1])) << 16) | (uint32_t(uint8_t(frame[2])) << 8) |
                          uint32_t(uint8_t(frame[3]));
  EXPECT_EQ(length, frame.size() - 4);
  // WatchEvent{1: type, 2: RawExtension{1: raw}}, no envelope of its own; the
  // object inside has its envelope.
  std::string pod = Envelope("v1", "Pod", SmallPodRaw());
  EXPECT_EQ(frame.substr(4), L(1, "ADDED") + L(2, L(1, pod)));
}

void ExpectRefused(std::string_view bytes, std::string_view message_part) {
  absl::StatusOr<DecodedObject> decoded = DecodeK8sProtobuf(bytes);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(decoded.status().message()).find(std::string(message_part)),
            std::string::npos)
      << decoded.status();
}

TEST(K8sProtobuf, RefusesBadInput) {
  const std::string raw = SmallPodRaw();
  ExpectRefused("", "does not start with");
  ExpectRefused("{\"kind\":\"Pod\"}", "does not start with");
  ExpectRefused(std::string("k8s\x01", 4) + L(2, raw), "does not start with");
  ExpectRefused(kMagic, "empty body");
  ExpectRefused(Envelope("v1", "Widget", raw),
                "no kind \"Widget\" is registered for apiVersion \"v1\"");
  ExpectRefused(Envelope("apps/v1", "Pod", raw), "no kind \"Pod\"");
  ExpectRefused(kMagic + L(2, raw), "names no kind");
  ExpectRefused(kMagic + L(1, L(1, "v1") + L(2, "Pod")) + L(2, raw) + L(3, "gzip"),
                "contentEncoding \"gzip\"");
  ExpectRefused(kMagic + L(1, L(1, "v1") + L(2, "Pod")) + L(2, raw) + L(4, "application/json"),
                "contentType \"application/json\"");
  // Truncated: the raw field declares more bytes than follow.
  std::string whole = Envelope("v1", "Pod", raw);
  ExpectRefused(whole.substr(0, whole.size() - 10), "exceeds");
  // A huge declared length allocates nothing.
  ExpectRefused(kMagic + L(1, L(1, "v1") + L(2, "Pod")) + Varint((2 << 3) | 2) + Varint(1ull << 40),
                "length 1099511627776 exceeds the 0 bytes left");
  ExpectRefused(Envelope("v1", "Pod", L(1, Varint((1 << 3) | 2) + Varint(0xffffffffull))),
                "metadata.name: length 4294967295 exceeds the 0 bytes left");
  // Inside the object: errors name the field.
  ExpectRefused(Envelope("v1", "Pod", L(1, V(1, 7))), "metadata.name: wire type 0 does not match");
  ExpectRefused(Envelope("v1", "Pod", L(1, L(1, "\xff\xfe"))), "metadata.name: invalid UTF-8");
  ExpectRefused(
      Envelope("v1", "Pod", L(2, L(2, L(1, "c") + L(8, L(1, L(1, "cpu") + L(2, L(1, "lots"))))))),
      "spec.containers[0].resources.limits");
  ExpectRefused(
      Envelope("apps/v1", "Deployment", L(2, L(4, L(2, L(2, V(1, 7) + V(2, 0) + L(3, "")))))),
      "IntOrString type 7");
  ExpectRefused(Envelope("v1", "Pod", std::string("\x0a", 1)), "truncated varint");
  ExpectRefused(Envelope("v1", "Pod", std::string("\x0b\x00", 2)), "groups");
  ExpectRefused(Envelope("v1", "Pod", std::string("\x00\x00", 2)), "invalid field number 0");

  // Every prefix of a valid body either decodes or is refused cleanly.
  for (size_t n = 0; n < whole.size(); ++n) {
    absl::StatusOr<DecodedObject> decoded = DecodeK8sProtobuf(whole.substr(0, n));
    if (!decoded.ok()) {
      EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
    }
  }
}

}  // namespace
}  // namespace minik8s::api
