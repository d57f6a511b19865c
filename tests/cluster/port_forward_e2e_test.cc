// mkctl port-forward on a `minik8s up` cluster (minik8s-store, two nodes):
// through the kubelet of the pod's node, a local port reaches an nginx pod
// (by pod and by Service, whose port maps to the pod's named targetPort),
// `:REMOTE` picks a free local port, a Deployment's selector picks a
// running pod, a refused pod port fails that
// connection only, a missing pod is refused in kubectl's words, and SIGTERM
// ends the command with exit 0. Skips when a binary is not built.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/net.h"
#include "gtest/gtest.h"
#include "testing/cluster_harness.h"
#include "testing/cluster_test.h"
#include "testing/file_util.h"
#include "testing/subprocess.h"
#include "testing/tcp_exchange.h"
#include "testing/wait.h"

namespace minik8s::clustertest {
namespace {

using ::minik8s::testing::BackendKind;
using ::minik8s::testing::ClusterHarness;
using ::minik8s::testing::Subprocess;
using ::minik8s::testing::WaitFor;

// 127.0.0.1:port's answer to `request` ("" when nothing answers).
std::string Exchange(int port, const std::string& request, size_t enough) {
  return testing::TcpExchange("127.0.0.1", port, request, enough).answer;
}

constexpr char kGet[] = "GET / HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n";

class PortForwardE2E : public testing::TwoNodeClusterTest {
 protected:
  bool WaitRunning(const std::string& name) {
    return WaitFor(
        [&] {
          return absl::StartsWith(Mkctl({"get", "pod", name, "-o", "jsonpath={.status.phase}"}),
                                  "Running");
        },
        absl::Seconds(60));
  }

  // Starts `mkctl port-forward args...` in the background, output in `log`.
  void StartForward(Subprocess& p, const std::string& log, std::vector<std::string> args) {
    args.insert(args.begin(), "port-forward");
    ASSERT_TRUE(p.Start(cluster_->MkctlCommand(std::move(args)), log).ok());
  }

  // The local port of the first `Forwarding from 127.0.0.1:L -> remote`
  // line in `log` (0 after 20 s).
  int ForwardedPort(const std::string& log, int remote) {
    int port = 0;
    const std::string suffix = absl::StrCat(" -> ", remote);
    WaitFor(
        [&] {
          const std::string prefix = "Forwarding from 127.0.0.1:";
          for (absl::string_view line : absl::StrSplit(testing::ReadFile(log), '\n')) {
            if (absl::ConsumePrefix(&line, prefix) && absl::ConsumeSuffix(&line, suffix) &&
                absl::SimpleAtoi(line, &port)) {
              return true;
            }
          }
          return false;
        },
        absl::Seconds(20));
    return port;
  }
};

TEST_F(PortForwardE2E, ForwardsToAPodAndAServiceThroughTheKubelet) {
  int code = 0;
  // A named container port, so the Service can target it by name.
  const std::string manifest = cluster_->WriteFile("web.yaml", R"(apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
spec:
  containers:
  - name: nginx
    image: nginx:1.25.3
    ports:
    - name: http
      containerPort: 8080
)");
  Mkctl({"apply", "-f", manifest}, &code);
  ASSERT_EQ(code, 0);
  ASSERT_TRUE(WaitRunning("web")) << Mkctl({"describe", "pod", "web"}) << cluster_->Diagnostics();

  // pod/NAME with `:REMOTE`: a free local port.
  Subprocess by_pod;
  const std::string pod_log = cluster_->WriteFile("pf-pod.log", "");
  StartForward(by_pod, pod_log, {"pod/web", ":8080", ":9999"});
  const int local = ForwardedPort(pod_log, 8080);
  ASSERT_GT(local, 0) << testing::ReadFile(pod_log);
  std::string page = Exchange(local, kGet, 1 << 20);
  EXPECT_TRUE(absl::StartsWith(page, "HTTP/1.1 200 OK")) << page << testing::ReadFile(pod_log);
  EXPECT_TRUE(absl::StrContains(page, "default/web")) << page;
  EXPECT_TRUE(absl::StrContains(testing::ReadFile(pod_log),
                                absl::StrCat("Handling connection for ", local, "\n")))
      << testing::ReadFile(pod_log);

  // Nothing listens on the pod's 9999: that connection fails, with an error
  // naming it, and the forwarder goes on.
  const int refused_local = ForwardedPort(pod_log, 9999);
  ASSERT_GT(refused_local, 0) << testing::ReadFile(pod_log);
  EXPECT_EQ(Exchange(refused_local, "hello", 5), "");
  EXPECT_TRUE(WaitFor(
      [&] {
        return absl::StrContains(
            testing::ReadFile(pod_log),
            absl::StrCat("an error occurred forwarding ", refused_local, " -> 9999: "));
      },
      absl::Seconds(10)))
      << testing::ReadFile(pod_log);
  EXPECT_TRUE(absl::StrContains(testing::ReadFile(pod_log), "connection refused"))
      << testing::ReadFile(pod_log);
  page = Exchange(local, kGet, 1 << 20);
  EXPECT_TRUE(absl::StartsWith(page, "HTTP/1.1 200 OK")) << page;
  std::optional<int> status = by_pod.Stop(SIGTERM);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << testing::ReadFile(pod_log);

  // svc/NAME LOCAL:PORT: the service port 80 maps to targetPort `http`,
  // the pod's 8080.
  Mkctl({"expose", "pod", "web", "--port=80", "--target-port=http"}, &code);
  ASSERT_EQ(code, 0);
  absl::StatusOr<int> chosen = PickFreeLoopbackPort();
  ASSERT_TRUE(chosen.ok());
  Subprocess by_service;
  const std::string svc_log = cluster_->WriteFile("pf-svc.log", "");
  StartForward(by_service, svc_log, {"svc/web", absl::StrCat(*chosen, ":80")});
  ASSERT_EQ(ForwardedPort(svc_log, 8080), *chosen) << testing::ReadFile(svc_log);
  page = Exchange(*chosen, kGet, 1 << 20);
  EXPECT_TRUE(absl::StartsWith(page, "HTTP/1.1 200 OK")) << page << testing::ReadFile(svc_log);
  EXPECT_TRUE(absl::StrContains(page, "default/web")) << page;
  status = by_service.Stop(SIGINT);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << testing::ReadFile(svc_log);
}

TEST_F(PortForwardE2E, DeploymentPicksARunningPodBySelector) {
  int code = 0;
  Mkctl({"create", "deployment", "dep", "--image=nginx:1.25.3", "--port=8080", "--replicas=2"},
        &code);
  ASSERT_EQ(code, 0);
  ASSERT_TRUE(WaitFor(
      [&] {
        return absl::StrContains(
            Mkctl({"get", "pods", "-l", "app=dep", "-o", "jsonpath={.items[*].status.phase}"}),
            "Running");
      },
      absl::Seconds(60)))
      << Mkctl({"get", "pods", "-o", "wide"});
  Subprocess forward;
  const std::string log = cluster_->WriteFile("pf-dep.log", "");
  StartForward(forward, log, {"deployment/dep", ":8080"});
  const int local = ForwardedPort(log, 8080);
  ASSERT_GT(local, 0) << testing::ReadFile(log);
  const std::string page = Exchange(local, kGet, 1 << 20);
  EXPECT_TRUE(absl::StartsWith(page, "HTTP/1.1 200 OK")) << page << testing::ReadFile(log);
  EXPECT_TRUE(absl::StrContains(page, "default/dep-")) << page;
  forward.Stop(SIGTERM);
}

TEST_F(PortForwardE2E, MissingPodIsRefusedInKubectlWords) {
  int code = 0;
  const std::string out = Mkctl({"port-forward", "pod/nope", "8080:80"}, &code);
  EXPECT_EQ(code, 1);
  EXPECT_EQ(out, "Error from server (NotFound): pods \"nope\" not found\n");
  const std::string usage = Mkctl({"port-forward", "pod/nope"}, &code);
  EXPECT_EQ(code, 1);
  EXPECT_TRUE(
      absl::StartsWith(usage, "error: TYPE/NAME and list of ports are required for port-forward\n"))
      << usage;
}

}  // namespace
}  // namespace minik8s::clustertest
