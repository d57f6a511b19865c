// mkctl trace service/NAME on a `minik8s up` cluster (TLS, client
// certificates, RBAC: the proxies report as system:kube-proxy): a Deployment
// of three pods behind a Service shows, for every pod, its Ready
// transition, the EndpointSlice write that made it ready (stamped with
// endpoints.kubernetes.io/last-change-trigger-time) and each node's proxy
// programming it; the summary counts every node for every pod. Skips when a
// binary is not built.
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "testing/cluster_harness.h"
#include "testing/cluster_test.h"
#include "testing/wait.h"

namespace minik8s::clustertest {
namespace {

using ::minik8s::testing::BackendKind;
using ::minik8s::testing::ClusterHarness;
using ::minik8s::testing::WaitFor;

class ServiceTraceE2E : public testing::TwoNodeClusterTest {};

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

// True when one line holds every one of `parts`.
bool HasLine(const std::string& text, const std::vector<std::string>& parts) {
  for (const std::string& line : Lines(text)) {
    bool all = true;
    for (const std::string& p : parts) all = all && absl::StrContains(line, p);
    if (all) return true;
  }
  return false;
}

TEST_F(ServiceTraceE2E, EveryPodReadyAndProgrammedByEveryNode) {
  // The Service first, so that its slice starts empty and each pod joins
  // it as it becomes ready.
  int code = 0;
  const std::string service = cluster_->WriteFile("svc.yaml", R"(apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - port: 8080
    targetPort: 8080
)");
  std::string out = Mkctl({"apply", "-f", service}, &code);
  ASSERT_EQ(code, 0) << out;
  Mkctl({"create", "deployment", "web", "--image=nginx:1.25.3", "--replicas=3", "--port=8080"},
        &code);
  ASSERT_EQ(code, 0);
  out = Mkctl({"rollout", "status", "deployment/web", "--timeout=120s"}, &code);
  ASSERT_EQ(code, 0) << out << cluster_->Diagnostics();
  std::vector<std::string> pods = Lines(Mkctl({"get", "pods", "-l", "app=web", "-o", "name"}));
  ASSERT_EQ(pods.size(), 3u);

  // The proxies report within a second or so of programming.
  std::string trace;
  const bool all = WaitFor(
      [&] {
        trace = Mkctl({"trace", "service/web"}, &code);
        if (code != 0) return false;
        for (const std::string& pod : pods) {
          if (!HasLine(trace, {pod + " ", "2/2 nodes"})) return false;
        }
        return true;
      },
      absl::Seconds(30));
  ASSERT_TRUE(all) << trace << cluster_->Diagnostics();
  std::cout << trace;

  EXPECT_TRUE(HasLine(trace, {"service/web", "Created", "clusterIP 127."})) << trace;
  // The slice of a new Service is stamped with the Service's creation
  // (endpoints.kubernetes.io/last-change-trigger-time).
  EXPECT_TRUE(HasLine(trace, {"endpointslice/web-", "Created", "0/0 ready"})) << trace;
  EXPECT_FALSE(HasLine(trace, {"endpointslice/web-", "Created", "no last-change-trigger-time"}))
      << trace;
  for (const std::string& pod : pods) {
    EXPECT_TRUE(HasLine(trace, {pod, "Condition Ready", "True"})) << pod << "\n" << trace;
    EXPECT_TRUE(HasLine(trace, {"endpointslice/web-", "endpointslice-controller", "+" + pod}))
        << pod << "\n"
        << trace;
    for (const std::string node : {"node/node-1", "node/node-2"}) {
      EXPECT_TRUE(HasLine(trace, {node, "Programmed", "kube-proxy", "+" + pod}))
          << node << " " << pod << "\n"
          << trace;
    }
  }
  EXPECT_FALSE(absl::StrContains(trace, "No programming report")) << trace;

  // The reports are Events about the Service, one per node's proxy.
  out = Mkctl({"get", "events", "-o", "name"});
  EXPECT_TRUE(absl::StrContains(out, "web.proxy.node-1")) << out;
  EXPECT_TRUE(absl::StrContains(out, "web.proxy.node-2")) << out;
}

}  // namespace
}  // namespace minik8s::clustertest
