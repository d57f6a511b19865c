// mkctl describe service / endpoints next to the real kubectl v1.32 on the
// same objects (headless, so that no allocated cluster IP differs between
// the two namespaces; the EndpointSlices and Endpoints are written by hand,
// as no controller-manager runs here). The Namespace line is the only one that
// differs and is masked.
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/kubectl/mkctl_vs_kubectl.h"

namespace minik8s {
namespace {

constexpr char kService[] = R"(apiVersion: v1
kind: Service
metadata:
  name: web
  labels: {app: web, tier: front}
  annotations: {team: blue}
spec:
  clusterIP: None
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: 8080}
  - {name: metrics, port: 9090, targetPort: metrics, protocol: TCP}
)";

constexpr char kEndpoints[] = R"(apiVersion: v1
kind: Endpoints
metadata:
  name: web
  labels: {app: web}
subsets:
- addresses: [{ip: 10.0.0.1}, {ip: 10.0.0.2}, {ip: 10.0.0.3}, {ip: 10.0.0.4}]
  notReadyAddresses: [{ip: 10.0.0.9}]
  ports: [{name: http, port: 8080, protocol: TCP}, {name: metrics, port: 9090, protocol: TCP}]
)";

// What the EndpointSlice controller would write for kService (kubectl v1.32
// reads slices): four ready endpoints and one not ready.
constexpr char kSlice[] = R"(apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-abcde
  labels: {kubernetes.io/service-name: web}
addressType: IPv4
endpoints:
- {addresses: [10.0.0.1], conditions: {ready: true}}
- {addresses: [10.0.0.2], conditions: {ready: true}}
- {addresses: [10.0.0.9], conditions: {ready: false}}
- {addresses: [10.0.0.3]}
- {addresses: [10.0.0.4], conditions: {ready: true}}
ports:
- {name: http, port: 8080, protocol: TCP}
- {name: metrics, port: 9090, protocol: TCP}
)";

constexpr char kBare[] = R"(apiVersion: v1
kind: Service
metadata: {name: bare}
spec:
  clusterIP: None
  ports: [{port: 53, protocol: UDP}]
)";

std::string MaskNamespace(const std::string& text) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  for (std::string& line : lines) {
    if (line.rfind("Namespace:", 0) == 0) line = "Namespace: <masked>";
  }
  return absl::StrJoin(lines, "\n");
}

class MkctlDescribeServiceE2E : public MkctlVsKubectlE2E {
 protected:
  void Compare(const std::vector<std::string>& args) {
    std::vector<std::string> m = args, k = args;
    m.insert(m.begin(), {"-n", "m"});
    k.insert(k.begin(), {"-n", "k"});
    std::string out;
    ASSERT_EQ(Mkctl(m, &out), 0) << out;
    std::string real;
    int code = 0;
    if (!Kubectl(k, &real, &code)) return;
    ASSERT_EQ(code, 0) << real;
    EXPECT_EQ(MaskNamespace(out), MaskNamespace(real)) << "kubectl " << absl::StrJoin(args, " ");
  }
};

TEST_F(MkctlDescribeServiceE2E, ServiceWithEndpointsAsKubectl) {
  if (IsSkipped()) return;
  Setup({"apply", "-f", "-"}, kService);
  Setup({"apply", "-f", "-"}, kSlice);
  Compare({"describe", "service", "web"});
  const std::string out = MkctlOk({"-n", "m", "describe", "svc", "web"});
  EXPECT_NE(out.find("10.0.0.1:8080,10.0.0.2:8080,10.0.0.3:8080 + 1 more..."), std::string::npos)
      << out;
}

TEST_F(MkctlDescribeServiceE2E, ServiceWithoutEndpointsOrNamesAsKubectl) {
  if (IsSkipped()) return;
  Setup({"apply", "-f", "-"}, kBare);
  Compare({"describe", "service", "bare"});
}

TEST_F(MkctlDescribeServiceE2E, EndpointsAsKubectl) {
  if (IsSkipped()) return;
  Setup({"apply", "-f", "-"}, kService);
  Setup({"apply", "-f", "-"}, kEndpoints);
  Compare({"describe", "endpoints", "web"});
}

}  // namespace
}  // namespace minik8s
