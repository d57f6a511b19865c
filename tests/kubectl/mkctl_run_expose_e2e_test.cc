// End to end, against the real minik8s-store and minik8s-apiserver: `mkctl
// run` creates the Pod kubectl run would, `mkctl expose` a Service whose
// selector and ports come from the object and whose cluster IP (and node
// port) the apiserver allocates. Skips when the daemons are not built.
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "k8s/core/v1/core.pb.h"
#include "testing/control_plane.h"

namespace minik8s {
namespace {

class MkctlRunExposeE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why = testing::ControlPlane::MissingPrerequisite(
        testing::BackendKind::kMinik8sStore, {"minik8s-apiserver", "mkctl"});
    if (!why.empty()) GTEST_SKIP() << why;
    cp_ = std::make_unique<testing::ControlPlane>();
    absl::Status started = cp_->Start();
    ASSERT_TRUE(started.ok()) << started;
  }

  // mkctl against the test apiserver: the exit code; stdout+stderr in *out.
  int Mkctl(std::vector<std::string> args, std::string* out) {
    args.insert(args.begin(), {testing::BinPath("mkctl"), "--server", cp_->apiserver_address()});
    return testing::RunCommand(args, out, absl::Seconds(60));
  }
  std::string MkctlOk(const std::vector<std::string>& args) {
    std::string out;
    EXPECT_EQ(Mkctl(args, &out), 0) << absl::StrJoin(args, " ") << "\n" << out;
    return out;
  }

  template <typename T>
  T Get(const std::string& resource, const std::string& name) {
    T object;
    absl::Status st = cp_->clientset()->api()->Get(resource, "default", name, &object);
    EXPECT_TRUE(st.ok()) << resource << "/" << name << ": " << st;
    return object;
  }

  std::unique_ptr<testing::ControlPlane> cp_;
};

TEST_F(MkctlRunExposeE2E, RunThenExposeThePod) {
  EXPECT_EQ(
      MkctlOk({"run", "web", "--image=nginx", "--port=80", "--env=MODE=prod", "--", "--verbose"}),
      "pod/web created\n");
  core::v1::Pod pod = Get<core::v1::Pod>("pods", "web");
  EXPECT_EQ(pod.metadata().labels().at("run"), "web");
  ASSERT_EQ(pod.spec().containers_size(), 1);
  const core::v1::Container& c = pod.spec().containers(0);
  EXPECT_EQ(c.name(), "web");
  EXPECT_EQ(c.image(), "nginx");
  ASSERT_EQ(c.ports_size(), 1);
  EXPECT_EQ(c.ports(0).container_port(), 80);
  ASSERT_EQ(c.env_size(), 1);
  EXPECT_EQ(c.env(0).value(), "prod");
  ASSERT_EQ(c.args_size(), 1);
  EXPECT_EQ(c.args(0), "--verbose");
  EXPECT_EQ(pod.spec().restart_policy(), "Always");

  // The port comes from the pod's container, the selector from its labels.
  EXPECT_EQ(MkctlOk({"expose", "pod", "web"}), "service/web exposed\n");
  core::v1::Service svc = Get<core::v1::Service>("services", "web");
  ASSERT_EQ(svc.spec().selector().size(), 1u);
  EXPECT_EQ(svc.spec().selector().at("run"), "web");
  ASSERT_EQ(svc.spec().ports_size(), 1);
  EXPECT_EQ(svc.spec().ports(0).port(), 80);
  EXPECT_EQ(svc.spec().ports(0).target_port().int_val(), 80);
  EXPECT_EQ(svc.spec().ports(0).protocol(), "TCP");
  EXPECT_EQ(svc.spec().type(), "ClusterIP");
  EXPECT_TRUE(absl::StartsWith(svc.spec().cluster_ip(), "10.")) << svc.spec().cluster_ip();

  // A second Service of the same pod: NodePort, named target port.
  EXPECT_EQ(MkctlOk({"expose", "pod/web", "--name=web-np", "--port=8080", "--target-port=http",
                     "--type=NodePort"}),
            "service/web-np exposed\n");
  core::v1::Service np = Get<core::v1::Service>("services", "web-np");
  EXPECT_EQ(np.spec().type(), "NodePort");
  ASSERT_EQ(np.spec().ports_size(), 1);
  EXPECT_EQ(np.spec().ports(0).port(), 8080);
  EXPECT_EQ(np.spec().ports(0).target_port().str_val(), "http");
  EXPECT_GE(np.spec().ports(0).node_port(), 30000);
  EXPECT_LE(np.spec().ports(0).node_port(), 32767);
  EXPECT_NE(np.spec().cluster_ip(), svc.spec().cluster_ip());

  // Exposing again under the same name: the server's AlreadyExists.
  std::string out;
  EXPECT_EQ(Mkctl({"expose", "pod", "web"}, &out), 1);
  EXPECT_EQ(out, "Error from server (AlreadyExists): services \"web\" already exists\n");
}

TEST_F(MkctlRunExposeE2E, ExposeDeploymentAndErrors) {
  MkctlOk({"create", "deployment", "api", "--image=nginx", "--port=9000"});
  // Server dry run creates nothing.
  EXPECT_EQ(MkctlOk({"expose", "deployment", "api", "--dry-run=server"}),
            "service/api exposed (server dry run)\n");
  core::v1::Service none;
  EXPECT_TRUE(absl::IsNotFound(cp_->clientset()->api()->Get("services", "default", "api", &none)));

  EXPECT_EQ(MkctlOk({"expose", "deploy", "api", "--port=80", "--target-port=9000"}),
            "service/api exposed\n");
  core::v1::Service svc = Get<core::v1::Service>("services", "api");
  EXPECT_EQ(svc.metadata().labels().at("app"), "api");
  EXPECT_EQ(svc.spec().selector().at("app"), "api");
  EXPECT_EQ(svc.spec().ports(0).port(), 80);
  EXPECT_EQ(svc.spec().ports(0).target_port().int_val(), 9000);
  EXPECT_FALSE(svc.spec().cluster_ip().empty());

  // Expose the Service itself: its selector and port carry over.
  EXPECT_EQ(MkctlOk({"expose", "svc", "api", "--name=api2"}), "service/api2 exposed\n");
  core::v1::Service svc2 = Get<core::v1::Service>("services", "api2");
  EXPECT_EQ(svc2.spec().selector().at("app"), "api");
  EXPECT_EQ(svc2.spec().ports(0).port(), 80);

  std::string out;
  MkctlOk({"create", "deployment", "noport", "--image=nginx"});
  EXPECT_EQ(Mkctl({"expose", "deployment", "noport"}, &out), 1);
  EXPECT_EQ(out, "error: couldn't find port via --port flag or introspection\n");
  EXPECT_EQ(Mkctl({"expose", "deployment", "missing", "--port=80"}, &out), 1);
  EXPECT_EQ(out, "Error from server (NotFound): deployments.apps \"missing\" not found\n");
  EXPECT_EQ(Mkctl({"expose", "namespace", "default", "--port=80"}, &out), 1);
  EXPECT_EQ(out, "error: cannot expose a Namespace\n");
  EXPECT_EQ(Mkctl({"run", "x"}, &out), 1);
  EXPECT_EQ(out, "error: --image is required\n");
  EXPECT_EQ(Mkctl({"run", "x", "--image=nginx", "--restart=Sometimes"}, &out), 1);
  EXPECT_TRUE(absl::StartsWith(out, "error: invalid restart policy: Sometimes\n")) << out;
}

}  // namespace
}  // namespace minik8s
