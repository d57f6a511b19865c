#include "api/validation/defaults.h"

#include <fstream>
#include <sstream>
#include <string>

#include "api/codec.h"
#include "api/validation/validation.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace minik8s::validation {
namespace {

using google::protobuf::util::MessageDifferencer;
using minik8s::apps::v1::Deployment;
using minik8s::core::v1::Pod;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The nginx Deployment from the examples, defaulted, equals what a real
// apiserver stores for it (`kubectl get deploy -o yaml`, server-set
// metadata and status left out).
TEST(SetDefaults, NginxDeploymentLikeKubernetes) {
  std::string text = ReadFile(std::string(MINIK8S_SOURCE_DIR) + "/examples/nginx-deployment.yaml");
  ASSERT_FALSE(text.empty());
  auto decoded = api::DecodeAs<Deployment>(text);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  Deployment d = *decoded;
  SetDefaults(&d);

  auto want = api::DecodeAs<Deployment>(R"(apiVersion: apps/v1
kind: Deployment
metadata:
  labels:
    app: nginx
  name: nginx-deployment
spec:
  progressDeadlineSeconds: 600
  replicas: 3
  revisionHistoryLimit: 10
  selector:
    matchLabels:
      app: nginx
  strategy:
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 25%
    type: RollingUpdate
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - image: nginx:1.14.2
        imagePullPolicy: IfNotPresent
        name: nginx
        ports:
        - containerPort: 80
          protocol: TCP
        resources: {}
        terminationMessagePath: /dev/termination-log
        terminationMessagePolicy: File
      dnsPolicy: ClusterFirst
      restartPolicy: Always
      schedulerName: default-scheduler
      securityContext: {}
      terminationGracePeriodSeconds: 30
)");
  ASSERT_TRUE(want.ok()) << want.status();
  std::string diff;
  MessageDifferencer differ;
  differ.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differ.Compare(*want, d)) << diff << "\n" << api::EncodeYaml(d);

  // Defaulting is idempotent and the result validates (with a namespace,
  // which the apiserver fills from the request).
  Deployment again = d;
  SetDefaults(&again);
  EXPECT_TRUE(MessageDifferencer::Equals(again, d));
  d.mutable_metadata()->set_namespace_("default");
  EXPECT_TRUE(ValidateObject(d).empty());
}

TEST(SetDefaults, DeploymentKeepsUserValues) {
  Deployment d;
  d.mutable_spec()->set_replicas(0);
  d.mutable_spec()->mutable_strategy()->set_type("Recreate");
  d.mutable_spec()->set_revision_history_limit(2);
  SetDefaults(&d);
  EXPECT_EQ(d.spec().replicas(), 0);
  EXPECT_EQ(d.spec().strategy().type(), "Recreate");
  EXPECT_FALSE(d.spec().strategy().has_rolling_update());
  EXPECT_EQ(d.spec().revision_history_limit(), 2);
  EXPECT_EQ(d.spec().progress_deadline_seconds(), 600);
}

TEST(SetDefaults, PodDefaults) {
  Pod pod;
  auto* c = pod.mutable_spec()->add_containers();
  c->set_name("app");
  c->set_image("busybox");
  (*c->mutable_resources()->mutable_limits())["cpu"].set_value("500m");
  (*c->mutable_resources()->mutable_limits())["memory"].set_value("128Mi");
  (*c->mutable_resources()->mutable_requests())["memory"].set_value("64Mi");
  auto* probe = c->mutable_readiness_probe();
  probe->mutable_http_get()->mutable_port()->set_int_val(8080);
  SetDefaults(&pod);

  const auto& spec = pod.spec();
  EXPECT_EQ(spec.restart_policy(), "Always");
  EXPECT_EQ(spec.termination_grace_period_seconds(), 30);
  EXPECT_EQ(spec.dns_policy(), "ClusterFirst");
  EXPECT_EQ(spec.scheduler_name(), "default-scheduler");
  EXPECT_TRUE(spec.enable_service_links());
  const auto& ctr = spec.containers(0);
  EXPECT_EQ(ctr.image_pull_policy(), "Always");
  EXPECT_EQ(ctr.termination_message_path(), "/dev/termination-log");
  EXPECT_EQ(ctr.termination_message_policy(), "File");
  EXPECT_EQ(ctr.resources().requests().at("cpu").value(), "500m");
  EXPECT_EQ(ctr.resources().requests().at("memory").value(), "64Mi");
  EXPECT_EQ(ctr.readiness_probe().timeout_seconds(), 1);
  EXPECT_EQ(ctr.readiness_probe().period_seconds(), 10);
  EXPECT_EQ(ctr.readiness_probe().success_threshold(), 1);
  EXPECT_EQ(ctr.readiness_probe().failure_threshold(), 3);
  EXPECT_EQ(ctr.readiness_probe().http_get().path(), "/");
  EXPECT_EQ(ctr.readiness_probe().http_get().scheme(), "HTTP");
}

TEST(SetDefaults, ImagePullPolicy) {
  struct Case {
    std::string image;
    std::string want;
  };
  const Case cases[] = {
      {"nginx", "Always"},
      {"nginx:latest", "Always"},
      {"nginx:1.25", "IfNotPresent"},
      {"localhost:5000/app", "Always"},
      {"localhost:5000/app:v2", "IfNotPresent"},
      {"registry.io/team/app:latest", "Always"},
      {"nginx@sha256:abcd", "IfNotPresent"},
      {"nginx:latest@sha256:abcd", "Always"},
  };
  for (const Case& c : cases) EXPECT_EQ(DefaultImagePullPolicy(c.image), c.want) << c.image;
}

TEST(SetDefaults, NamespaceAndNode) {
  minik8s::core::v1::Namespace ns;
  SetDefaults(&ns);
  EXPECT_EQ(ns.status().phase(), "Active");

  minik8s::core::v1::Node node;
  (*node.mutable_status()->mutable_capacity())["cpu"].set_value("4");
  SetDefaults(&node);
  EXPECT_EQ(node.status().allocatable().at("cpu").value(), "4");
}

TEST(AddDefaultTolerations, AddsNotReadyAndUnreachable) {
  Pod pod;
  AddDefaultTolerations(&pod);
  ASSERT_EQ(pod.spec().tolerations_size(), 2);
  EXPECT_EQ(pod.spec().tolerations(0).key(), "node.kubernetes.io/not-ready");
  EXPECT_EQ(pod.spec().tolerations(1).key(), "node.kubernetes.io/unreachable");
  for (const auto& t : pod.spec().tolerations()) {
    EXPECT_EQ(t.operator_(), "Exists");
    EXPECT_EQ(t.effect(), "NoExecute");
    EXPECT_EQ(t.toleration_seconds(), 300);
  }
  // Idempotent.
  AddDefaultTolerations(&pod);
  EXPECT_EQ(pod.spec().tolerations_size(), 2);

  // A pod that already tolerates not-ready keeps its own value.
  Pod own;
  auto* t = own.mutable_spec()->add_tolerations();
  t->set_key("node.kubernetes.io/not-ready");
  t->set_operator_("Exists");
  t->set_effect("NoExecute");
  t->set_toleration_seconds(5);
  AddDefaultTolerations(&own);
  ASSERT_EQ(own.spec().tolerations_size(), 2);
  EXPECT_EQ(own.spec().tolerations(0).toleration_seconds(), 5);
  EXPECT_EQ(own.spec().tolerations(1).key(), "node.kubernetes.io/unreachable");

  // A wildcard toleration covers both.
  Pod all;
  all.mutable_spec()->add_tolerations()->set_operator_("Exists");
  AddDefaultTolerations(&all);
  EXPECT_EQ(all.spec().tolerations_size(), 1);
}

TEST(AddDefaultTolerations, TakesOneValueEach) {
  Pod pod;
  AddDefaultTolerations(&pod, /*not_ready_seconds=*/2, /*unreachable_seconds=*/7);
  ASSERT_EQ(pod.spec().tolerations_size(), 2);
  EXPECT_EQ(pod.spec().tolerations(0).key(), "node.kubernetes.io/not-ready");
  EXPECT_EQ(pod.spec().tolerations(0).toleration_seconds(), 2);
  EXPECT_EQ(pod.spec().tolerations(1).key(), "node.kubernetes.io/unreachable");
  EXPECT_EQ(pod.spec().tolerations(1).toleration_seconds(), 7);

  // A NoSchedule toleration of the same key does not count; one with an
  // empty effect (all effects) does.
  Pod other;
  auto* no_schedule = other.mutable_spec()->add_tolerations();
  no_schedule->set_key("node.kubernetes.io/not-ready");
  no_schedule->set_operator_("Exists");
  no_schedule->set_effect("NoSchedule");
  auto* any_effect = other.mutable_spec()->add_tolerations();
  any_effect->set_key("node.kubernetes.io/unreachable");
  any_effect->set_operator_("Exists");
  AddDefaultTolerations(&other, 2, 7);
  ASSERT_EQ(other.spec().tolerations_size(), 3);
  EXPECT_EQ(other.spec().tolerations(2).key(), "node.kubernetes.io/not-ready");
  EXPECT_EQ(other.spec().tolerations(2).effect(), "NoExecute");
  EXPECT_EQ(other.spec().tolerations(2).toleration_seconds(), 2);
}

}  // namespace
}  // namespace minik8s::validation
