// Issue #13: a rolling update behind a Service loses no request. A
// `minik8s up` cluster (two nodes, each with its minik8s-proxy) runs a
// Deployment of three nginx pods with an httpGet readiness probe (run by
// the kubelet against the pod's port), strategy RollingUpdate with
// maxUnavailable 0 and maxSurge 1, behind a ClusterIP Service, and a
// preStop sleep of 2 s. A client
// thread sends one request after another (a new connection each, as curl
// does) to the cluster IP while `mkctl set image` rolls every replica; not
// one may fail, and at the end every answer comes from a new pod (the
// simulated nginx names its version in `Server:` and its pod in the page).
// The preStop sleep is what Kubernetes users add for this: a deleted pod's
// stop (the kubelet, one watch event away) races its endpoint's removal
// (the endpoint controller, then the proxy: two hops), and nginx drops a
// request in flight when it exits. Without the sleep the proxy only
// usually wins.
// Then the other half of the contract: a new template whose readiness
// probe never passes (its port does not answer) gets no traffic and stalls
// the rollout with the old pods still serving, until `rollout undo`.
// Skips when a binary is not built.
#include <atomic>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "testing/cluster_harness.h"
#include "testing/cluster_test.h"
#include "testing/tcp_exchange.h"
#include "testing/wait.h"

namespace minik8s::clustertest {
namespace {

using ::minik8s::testing::BackendKind;
using ::minik8s::testing::ClusterHarness;
using ::minik8s::testing::WaitFor;

constexpr char kManifest[] = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 1
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: nginx:1.25.3
        ports:
        - name: http
          containerPort: 8080
        readinessProbe:
          httpGet:
            path: /healthz
            port: http
          initialDelaySeconds: 1
          periodSeconds: 1
        lifecycle:
          preStop:
            sleep:
              seconds: 2
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - port: 8080
    targetPort: http
)";

// One answer: which pod and which nginx version, or why there was none.
struct Answer {
  bool ok = false;
  std::string pod;      // "default/web-..."
  std::string version;  // "1.25.3"
  std::string error;
};

Answer Get(const std::string& ip, int port) {
  Answer a;
  testing::TcpExchangeResult r =
      testing::TcpExchange(ip, port, "GET / HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n");
  if (!r.connected) {
    a.error = r.refused ? "connection refused" : absl::StrCat("connect: ", r.error);
    return a;
  }
  const std::string& in = r.answer;
  const size_t open = in.find("<title>");
  const size_t end = in.find("</title>");
  const size_t server = in.find("Server: nginx/");
  if (!absl::StartsWith(in, "HTTP/1.1 200 ") || open == std::string::npos ||
      end == std::string::npos || server == std::string::npos) {
    a.error = absl::StrCat("answer: \"", in.substr(0, 200), "\"");
    return a;
  }
  a.ok = true;
  a.pod = in.substr(open + 7, end - open - 7);
  a.version = in.substr(server + 14, in.find("\r\n", server) - server - 14);
  return a;
}

// A client thread: one request after another (a new connection each) until
// Stop().
class Client {
 public:
  Client(std::string ip, int port) : ip_(std::move(ip)), port_(port) {
    thread_ = std::thread([this] {
      while (!stop_.load()) {
        Answer a = Get(ip_, port_);
        const bool ok = a.ok;
        {
          std::lock_guard<std::mutex> lock(mu_);
          if (!a.ok) failures_.emplace_back(absl::Now(), a.error);
          answers_.push_back(std::move(a));
        }
        if (ok) absl::SleepFor(absl::Milliseconds(5));
      }
    });
  }
  ~Client() { Stop(); }
  void Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }
  size_t count() {
    std::lock_guard<std::mutex> lock(mu_);
    return answers_.size();
  }
  // Waits for `n` more answers than now.
  bool WaitForMore(size_t n) {
    const size_t start = count();
    return WaitFor([&] { return count() >= start + n; }, absl::Seconds(30));
  }
  // After Stop().
  const std::vector<Answer>& answers() const { return answers_; }
  std::string Failures() const {
    std::string out;
    for (const auto& [when, why] : failures_) {
      absl::StrAppend(&out, absl::FormatTime("%H:%M:%E3S", when, absl::UTCTimeZone()), " ", why,
                      "\n");
    }
    return out;
  }
  size_t failures() const { return failures_.size(); }
  // Answers by nginx version, from answer `from` on.
  std::map<std::string, int> ByVersion(size_t from = 0) const {
    std::map<std::string, int> out;
    for (size_t i = from; i < answers_.size(); ++i) {
      if (answers_[i].ok) ++out[answers_[i].version];
    }
    return out;
  }

 private:
  const std::string ip_;
  const int port_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<Answer> answers_;
  std::vector<std::pair<absl::Time, std::string>> failures_;
  std::thread thread_;
};

std::string Describe(const std::map<std::string, int>& m) {
  std::string out;
  for (const auto& [k, v] : m) absl::StrAppend(&out, k, "=", v, " ");
  return out;
}

class ServiceRollingUpdateE2E : public testing::TwoNodeClusterTest {
 protected:
  std::set<std::string> PodNames() {
    std::string out = Mkctl({"get", "pods", "-l", "app=web", "-o",
                             "jsonpath={range .items[*]}{.metadata.name}{\"\\n\"}{end}"});
    std::set<std::string> names;
    for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipWhitespace())) {
      names.insert(absl::StrCat("default/", absl::StripAsciiWhitespace(line)));
    }
    return names;
  }

  // Applies kManifest, waits for the rollout and for every replica to
  // answer through the cluster IP; sets ip_ and old_pods_.
  void DeployAndReach() {
    int code = 0;
    std::string out = Mkctl({"apply", "-f", cluster_->WriteFile("web.yaml", kManifest)}, &code);
    ASSERT_EQ(code, 0) << out;
    out = Mkctl({"rollout", "status", "deployment/web", "--timeout=120s"}, &code);
    ASSERT_EQ(code, 0) << out << cluster_->Diagnostics();
    ip_ = std::string(absl::StripAsciiWhitespace(
        Mkctl({"get", "svc", "web", "-o", "jsonpath={.spec.clusterIP}"})));
    ASSERT_TRUE(absl::StartsWith(ip_, "127.")) << ip_;
    old_pods_ = PodNames();
    ASSERT_EQ(old_pods_.size(), 3u);
    std::set<std::string> seen;
    ASSERT_TRUE(WaitFor(
        [&] {
          Answer a = Get(ip_, 8080);
          if (a.ok) seen.insert(a.pod);
          return seen == old_pods_;
        },
        absl::Seconds(30)))
        << seen.size() << cluster_->Diagnostics();
  }

  std::string ip_;
  std::set<std::string> old_pods_;
};

TEST_F(ServiceRollingUpdateE2E, SetImageRollsEveryReplicaWithoutAFailedRequest) {
  ASSERT_NO_FATAL_FAILURE(DeployAndReach());
  Client client(ip_, 8080);
  ASSERT_TRUE(client.WaitForMore(10));

  const absl::Time rollout_start = absl::Now();
  int code = 0;
  std::string out = Mkctl({"set", "image", "deployment/web", "web=nginx:1.25.4"}, &code);
  EXPECT_EQ(code, 0) << out;
  out = Mkctl({"rollout", "status", "deployment/web", "--timeout=180s"}, &code);
  EXPECT_EQ(code, 0) << out << cluster_->Diagnostics();
  // The old pods go (after the preStop sleep nginx exits on SIGTERM, well
  // within its grace period).
  std::set<std::string> new_pods;
  EXPECT_TRUE(WaitFor(
      [&] {
        new_pods = PodNames();
        if (new_pods.size() != 3) return false;
        for (const auto& p : new_pods) {
          if (old_pods_.contains(p)) return false;
        }
        return true;
      },
      absl::Seconds(60)))
      << new_pods.size();
  const absl::Duration rollout = absl::Now() - rollout_start;
  // Some more requests once only new pods are left.
  const size_t settled = client.count();
  EXPECT_TRUE(client.WaitForMore(30));
  client.Stop();

  const std::map<std::string, int> versions = client.ByVersion();
  std::cout << "rolling update: " << client.answers().size() << " requests, rollout "
            << absl::FormatDuration(rollout) << ", " << client.failures()
            << " failed; answers by version: " << Describe(versions) << "\n";
  EXPECT_EQ(client.failures(), 0u) << client.failures() << " failed requests:\n"
                                   << client.Failures() << cluster_->Diagnostics();
  EXPECT_TRUE(versions.contains("1.25.3")) << Describe(versions);
  EXPECT_TRUE(versions.contains("1.25.4")) << Describe(versions);
  // The last answers all come from the new pods, with the new image.
  for (size_t i = settled; i < client.answers().size(); ++i) {
    const Answer& a = client.answers()[i];
    if (!a.ok) continue;
    EXPECT_EQ(a.version, "1.25.4") << a.pod;
    EXPECT_TRUE(new_pods.contains(a.pod)) << a.pod;
  }
}

TEST_F(ServiceRollingUpdateE2E, ANewPodWhoseProbeNeverPassesGetsNoTrafficAndStallsTheRollout) {
  ASSERT_NO_FATAL_FAILURE(DeployAndReach());
  Client client(ip_, 8080);
  ASSERT_TRUE(client.WaitForMore(10));

  // The new template probes a port the container does not listen on: the
  // kubelet's httpGet is refused, the pod runs but never becomes ready.
  std::string broken = kManifest;
  broken.replace(broken.find("image: nginx:1.25.3"), 19, "image: nginx:1.25.4");
  broken.replace(broken.find("port: http\n"), 10, "port: 9090");
  int code = 0;
  std::string out = Mkctl({"apply", "-f", cluster_->WriteFile("broken.yaml", broken)}, &code);
  ASSERT_EQ(code, 0) << out;
  std::string surge;
  ASSERT_TRUE(WaitFor(
      [&] {
        for (const std::string& p : PodNames()) {
          if (!old_pods_.contains(p)) surge = p;
        }
        if (surge.empty()) return false;
        return Mkctl({"get", "pod", surge.substr(8), "-o", "jsonpath={.status.phase}"}) ==
               "Running";
      },
      absl::Seconds(60)))
      << surge << cluster_->Diagnostics();
  // Several probe periods later it is still not ready, and the rollout has
  // not gone further (maxUnavailable 0: no old pod was taken away).
  absl::SleepFor(absl::Seconds(4));
  EXPECT_EQ(
      Mkctl({"get", "pod", surge.substr(8), "-o", "jsonpath={.status.containerStatuses[0].ready}"}),
      "false");
  EXPECT_EQ(PodNames().size(), 4u);
  out = Mkctl(
      {"get", "events", "--field-selector", absl::StrCat("involvedObject.name=", surge.substr(8))});
  EXPECT_TRUE(absl::StrContains(out, "Readiness probe failed: Get \"http://")) << out;
  EXPECT_TRUE(absl::StrContains(out, ":9090/healthz\": dial tcp ")) << out;
  EXPECT_TRUE(absl::StrContains(out, "connect: connection refused")) << out;
  out = Mkctl({"rollout", "status", "deployment/web", "--timeout=2s"}, &code);
  EXPECT_NE(code, 0) << out;

  // Undo: the stuck pod goes, the old ones stay.
  out = Mkctl({"rollout", "undo", "deployment/web"}, &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_TRUE(WaitFor([&] { return PodNames() == old_pods_; }, absl::Seconds(60)))
      << PodNames().size() << cluster_->Diagnostics();
  EXPECT_TRUE(client.WaitForMore(10));
  client.Stop();

  const std::map<std::string, int> versions = client.ByVersion();
  std::cout << "stalled rollout: " << client.answers().size() << " requests, " << client.failures()
            << " failed; answers by version: " << Describe(versions) << "\n";
  EXPECT_EQ(client.failures(), 0u) << client.Failures();
  // Not one answer came from the pod that never became ready.
  EXPECT_EQ(versions.size(), 1u) << Describe(versions);
  EXPECT_TRUE(versions.contains("1.25.3")) << Describe(versions);
}

}  // namespace
}  // namespace minik8s::clustertest
