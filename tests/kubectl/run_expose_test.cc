// The objects `mkctl run` and `mkctl expose` build (no server): kubectl
// v1.32's Pod and Service for the same flags, and its error messages.
#include "gtest/gtest.h"
#include "k8s/apps/v1/apps.pb.h"
#include "kubectl/cmd/expose.h"
#include "kubectl/cmd/run.h"

namespace minik8s::kubectl {
namespace {

TEST(RunPod, DefaultsAsKubectl) {
  RunOptions o;
  o.name = "web";
  o.image = "nginx:1.25";
  absl::StatusOr<core::v1::Pod> pod = BuildRunPod(o);
  ASSERT_TRUE(pod.ok()) << pod.status();
  EXPECT_EQ(pod->metadata().name(), "web");
  ASSERT_EQ(pod->metadata().labels().size(), 1u);
  EXPECT_EQ(pod->metadata().labels().at("run"), "web");
  ASSERT_EQ(pod->spec().containers_size(), 1);
  const core::v1::Container& c = pod->spec().containers(0);
  EXPECT_EQ(c.name(), "web");
  EXPECT_EQ(c.image(), "nginx:1.25");
  EXPECT_EQ(c.ports_size(), 0);
  EXPECT_EQ(c.args_size(), 0);
  EXPECT_EQ(pod->spec().restart_policy(), "Always");
  EXPECT_EQ(pod->spec().dns_policy(), "ClusterFirst");
}

TEST(RunPod, FlagsFillThePod) {
  RunOptions o;
  o.name = "x";
  o.image = "busybox";
  o.port = "8080";
  o.labels = "app=x,tier=fe";
  o.env = {"A=1", "B=", "C=x=y"};
  o.restart = "Never";
  o.args = {"sleep", "3600"};
  absl::StatusOr<core::v1::Pod> pod = BuildRunPod(o);
  ASSERT_TRUE(pod.ok()) << pod.status();
  EXPECT_EQ(pod->metadata().labels().size(), 2u);
  EXPECT_EQ(pod->metadata().labels().count("run"), 0u);
  EXPECT_EQ(pod->metadata().labels().at("tier"), "fe");
  const core::v1::Container& c = pod->spec().containers(0);
  ASSERT_EQ(c.ports_size(), 1);
  EXPECT_EQ(c.ports(0).container_port(), 8080);
  ASSERT_EQ(c.env_size(), 3);
  EXPECT_EQ(c.env(0).name(), "A");
  EXPECT_EQ(c.env(0).value(), "1");
  EXPECT_EQ(c.env(1).name(), "B");
  EXPECT_EQ(c.env(1).value(), "");
  EXPECT_EQ(c.env(2).name(), "C");
  EXPECT_EQ(c.env(2).value(), "x=y");
  ASSERT_EQ(c.args_size(), 2);
  EXPECT_EQ(c.args(1), "3600");
  EXPECT_EQ(c.command_size(), 0);
  EXPECT_EQ(pod->spec().restart_policy(), "Never");

  o.command = true;
  pod = BuildRunPod(o);
  ASSERT_TRUE(pod.ok());
  EXPECT_EQ(pod->spec().containers(0).command_size(), 2);
  EXPECT_EQ(pod->spec().containers(0).args_size(), 0);
}

TEST(RunPod, KubectlErrors) {
  RunOptions o;
  o.name = "x";
  o.image = "nginx";
  auto message = [](const RunOptions& opts) {
    absl::StatusOr<core::v1::Pod> pod = BuildRunPod(opts);
    return pod.ok() ? std::string("ok") : std::string(pod.status().message());
  };
  RunOptions bad = o;
  bad.restart = "always";
  EXPECT_EQ(message(bad), "invalid restart policy: always");
  bad = o;
  bad.env = {"NOEQ"};
  EXPECT_EQ(message(bad), "invalid env: NOEQ");
  bad.env = {"=v"};
  EXPECT_EQ(message(bad), "invalid env: =v");
  bad = o;
  bad.labels = "a=b,bad";
  EXPECT_EQ(message(bad), "unexpected label spec: bad");
  bad = o;
  bad.port = "abc";
  EXPECT_EQ(message(bad), "strconv.Atoi: parsing \"abc\": invalid syntax");
  bad.port = "99999999999";
  EXPECT_EQ(message(bad), "strconv.Atoi: parsing \"99999999999\": value out of range");
  bad = o;
  bad.name = "";
  EXPECT_EQ(message(bad), "NAME is required for run");
}

apps::v1::Deployment WebDeployment() {
  apps::v1::Deployment d;
  d.mutable_metadata()->set_name("web");
  (*d.mutable_metadata()->mutable_labels())["app"] = "web";
  (*d.mutable_spec()->mutable_selector()->mutable_match_labels())["app"] = "web";
  auto* spec = d.mutable_spec()->mutable_template_()->mutable_spec();
  auto* c = spec->add_containers();
  c->set_name("nginx");
  c->add_ports()->set_container_port(80);
  return d;
}

TEST(ExposeService, DeploymentSelectorAndPort) {
  absl::StatusOr<core::v1::Service> svc = BuildExposeService(WebDeployment(), {});
  ASSERT_TRUE(svc.ok()) << svc.status();
  EXPECT_EQ(svc->metadata().name(), "web");
  EXPECT_EQ(svc->metadata().labels().at("app"), "web");
  ASSERT_EQ(svc->spec().selector().size(), 1u);
  EXPECT_EQ(svc->spec().selector().at("app"), "web");
  ASSERT_EQ(svc->spec().ports_size(), 1);
  const core::v1::ServicePort& p = svc->spec().ports(0);
  EXPECT_EQ(p.name(), "");
  EXPECT_EQ(p.port(), 80);
  EXPECT_EQ(p.protocol(), "TCP");
  EXPECT_EQ(p.target_port().int_val(), 80);
  EXPECT_EQ(svc->spec().type(), "");
}

TEST(ExposeService, FlagsOverride) {
  ExposeOptions o;
  o.name = "front";
  o.port = "8080";
  o.target_port = "http";
  o.type = "NodePort";
  o.protocol = "UDP";
  o.selector = "x=y,z=w";
  o.labels = "team=a";
  absl::StatusOr<core::v1::Service> svc = BuildExposeService(WebDeployment(), o);
  ASSERT_TRUE(svc.ok()) << svc.status();
  EXPECT_EQ(svc->metadata().name(), "front");
  EXPECT_EQ(svc->metadata().labels().size(), 1u);
  EXPECT_EQ(svc->metadata().labels().at("team"), "a");
  EXPECT_EQ(svc->spec().selector().size(), 2u);
  EXPECT_EQ(svc->spec().selector().at("z"), "w");
  EXPECT_EQ(svc->spec().ports(0).port(), 8080);
  EXPECT_EQ(svc->spec().ports(0).protocol(), "UDP");
  EXPECT_EQ(svc->spec().ports(0).target_port().str_val(), "http");
  EXPECT_EQ(svc->spec().type(), "NodePort");

  o.target_port = "9090";
  svc = BuildExposeService(WebDeployment(), o);
  ASSERT_TRUE(svc.ok());
  EXPECT_EQ(svc->spec().ports(0).target_port().int_val(), 9090);
}

TEST(ExposeService, SeveralPortsAreNamedAndKeepTheirProtocols) {
  apps::v1::ReplicaSet rs;
  rs.mutable_metadata()->set_name("dns");
  (*rs.mutable_spec()->mutable_selector()->mutable_match_labels())["app"] = "dns";
  auto* spec = rs.mutable_spec()->mutable_template_()->mutable_spec();
  auto* a = spec->add_containers();
  a->add_ports()->set_container_port(80);
  auto* udp = a->add_ports();
  udp->set_container_port(53);
  udp->set_protocol("UDP");
  spec->add_containers()->add_ports()->set_container_port(9090);
  absl::StatusOr<core::v1::Service> svc = BuildExposeService(rs, {});
  ASSERT_TRUE(svc.ok()) << svc.status();
  EXPECT_TRUE(svc->metadata().labels().empty());
  ASSERT_EQ(svc->spec().ports_size(), 3);
  EXPECT_EQ(svc->spec().ports(0).name(), "port-1");
  EXPECT_EQ(svc->spec().ports(1).name(), "port-2");
  EXPECT_EQ(svc->spec().ports(1).port(), 53);
  EXPECT_EQ(svc->spec().ports(1).protocol(), "UDP");
  EXPECT_EQ(svc->spec().ports(2).port(), 9090);
  EXPECT_EQ(svc->spec().ports(2).protocol(), "TCP");

  // --port names its own ports; a port the object does not declare is TCP.
  ExposeOptions o;
  o.port = "53,443";
  svc = BuildExposeService(rs, o);
  ASSERT_TRUE(svc.ok());
  ASSERT_EQ(svc->spec().ports_size(), 2);
  EXPECT_EQ(svc->spec().ports(0).protocol(), "UDP");
  EXPECT_EQ(svc->spec().ports(1).protocol(), "TCP");
  EXPECT_EQ(svc->spec().ports(1).name(), "port-2");
}

TEST(ExposeService, PodAndService) {
  core::v1::Pod pod;
  pod.mutable_metadata()->set_name("p");
  (*pod.mutable_metadata()->mutable_labels())["run"] = "p";
  pod.mutable_spec()->add_containers()->add_ports()->set_container_port(8080);
  absl::StatusOr<core::v1::Service> svc = BuildExposeService(pod, {});
  ASSERT_TRUE(svc.ok()) << svc.status();
  EXPECT_EQ(svc->spec().selector().at("run"), "p");
  EXPECT_EQ(svc->spec().ports(0).port(), 8080);

  core::v1::Service source;
  source.mutable_metadata()->set_name("s");
  (*source.mutable_spec()->mutable_selector())["app"] = "s";
  auto* port = source.mutable_spec()->add_ports();
  port->set_port(80);
  port->mutable_target_port()->set_int_val(8080);
  ExposeOptions o;
  o.name = "s2";
  svc = BuildExposeService(source, o);
  ASSERT_TRUE(svc.ok()) << svc.status();
  EXPECT_EQ(svc->metadata().name(), "s2");
  EXPECT_EQ(svc->spec().selector().at("app"), "s");
  // As kubectl: the new Service targets the old one's port, not its targetPort.
  EXPECT_EQ(svc->spec().ports(0).target_port().int_val(), 80);
}

TEST(ExposeService, KubectlErrors) {
  auto message = [](const google::protobuf::Message& object, const ExposeOptions& o) {
    absl::StatusOr<core::v1::Service> svc = BuildExposeService(object, o);
    return svc.ok() ? std::string("ok") : std::string(svc.status().message());
  };
  apps::v1::Deployment no_port = WebDeployment();
  no_port.mutable_spec()->mutable_template_()->mutable_spec()->mutable_containers(0)->clear_ports();
  EXPECT_EQ(message(no_port, {}), "couldn't find port via --port flag or introspection");
  ExposeOptions with_port;
  with_port.port = "80";
  EXPECT_EQ(message(no_port, with_port), "ok");

  apps::v1::Deployment expr = WebDeployment();
  expr.mutable_spec()->mutable_selector()->clear_match_labels();
  auto* req = expr.mutable_spec()->mutable_selector()->add_match_expressions();
  req->set_key("app");
  req->set_operator_("In");
  req->add_values("web");
  EXPECT_EQ(message(expr, {}),
            "couldn't retrieve selectors via --selector flag or introspection: invalid "
            "deployment: no selectors, therefore cannot be exposed");
  (*expr.mutable_spec()->mutable_selector()->mutable_match_labels())["app"] = "web";
  EXPECT_EQ(message(expr, {}),
            "couldn't retrieve selectors via --selector flag or introspection: couldn't convert "
            "expressions - \"[{Key:app Operator:In Values:[web]}]\" to map-based selector format");

  core::v1::Pod unlabeled;
  unlabeled.mutable_metadata()->set_name("p");
  unlabeled.mutable_spec()->add_containers()->add_ports()->set_container_port(80);
  EXPECT_EQ(message(unlabeled, {}),
            "couldn't retrieve selectors via --selector flag or introspection: the pod has no "
            "labels and cannot be exposed");
  ExposeOptions with_selector;
  with_selector.selector = "a=b";
  EXPECT_EQ(message(unlabeled, with_selector), "ok");
  with_selector.selector = "bad";
  EXPECT_EQ(message(unlabeled, with_selector), "unexpected label spec: bad");

  core::v1::Service headless;
  headless.mutable_spec()->add_ports()->set_port(80);
  EXPECT_EQ(message(headless, {}),
            "couldn't retrieve selectors via --selector flag or introspection: the service has "
            "no pod selector set");

  core::v1::Namespace ns;
  EXPECT_EQ(message(ns, with_port), "cannot expose a Namespace");

  ExposeOptions bad_port;
  bad_port.port = "abc";
  EXPECT_EQ(message(WebDeployment(), bad_port), "strconv.Atoi: parsing \"abc\": invalid syntax");
}

}  // namespace
}  // namespace minik8s::kubectl
