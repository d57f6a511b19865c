// The audit log end to end: minik8s-apiserver with --audit-log-path writes
// one audit.k8s.io/v1 Event per request of either API, with the verb, the
// object, the response code and the caller, and a watch's ResponseStarted
// and ResponseComplete under one audit ID. Skips when the binaries are not
// built.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "client/api_client.h"
#include "k8s/core/v1/core.pb.h"
#include "testing/control_plane.h"
#include "testing/file_util.h"
#include "testing/http_client.h"
#include "testing/temp_dir.h"
#include "testing/wait.h"
#include "yaml-cpp/yaml.h"

namespace minik8s::apiserver {
namespace {

using minik8s::testing::BackendKind;
using minik8s::testing::ControlPlane;

std::vector<YAML::Node> ReadEvents(const std::string& path) {
  std::vector<YAML::Node> out;
  for (absl::string_view line : absl::StrSplit(testing::ReadFile(path), '\n', absl::SkipEmpty())) {
    out.push_back(YAML::Load(std::string(line)));  // JSON is YAML
  }
  return out;
}

class AuditE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = ControlPlane::MissingPrerequisite(BackendKind::kMinik8sStore);
        !why.empty()) {
      GTEST_SKIP() << why;
    }
    path_ = dir_.Join("audit.log");
    cp_ = std::make_unique<ControlPlane>(ControlPlane::Options{
        .backend = BackendKind::kMinik8sStore, .apiserver_flags = {"--audit-log-path=" + path_}});
    absl::Status started = cp_->Start();
    ASSERT_TRUE(started.ok()) << started;
    auto c =
        client::ApiClient::Connect({.server = cp_->apiserver_address(), .user_agent = "audit-e2e"});
    ASSERT_TRUE(c.ok()) << c.status();
    client_ = *std::move(c);
  }

  // The events written after the first `skip` ones, once there are `want`.
  std::vector<YAML::Node> EventsAfter(size_t skip, size_t want) {
    std::vector<YAML::Node> events;
    testing::WaitFor(
        [&] {
          events = ReadEvents(path_);
          return events.size() >= skip + want;
        },
        absl::Seconds(10));
    return std::vector<YAML::Node>(events.begin() + std::min(skip, events.size()), events.end());
  }

  testing::TempDir dir_;
  std::string path_;
  std::unique_ptr<ControlPlane> cp_;
  std::unique_ptr<client::ApiClient> client_;
};

TEST_F(AuditE2E, OneEventPerRequestOfEitherApi) {
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const size_t before = ReadEvents(path_).size();  // the harness's own readiness checks

  const int port = cp_->apiserver_port();
  auto ns = testing::HttpRequest(port, {.target = "/api/v1/namespaces/default",
                                        .headers = {{"User-Agent", "audit \"quoted\" agent"}}});
  ASSERT_TRUE(ns.ok());
  auto missing = testing::HttpRequest(port, {.target = "/api/v1/namespaces/default/pods/nope"});
  ASSERT_TRUE(missing.ok());
  auto created = testing::HttpRequest(
      port, {.method = "POST",
             .target = "/api/v1/namespaces",
             .headers = {{"Content-Type", "application/json"}},
             .body = R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"audited"}})"});
  ASSERT_TRUE(created.ok());
  ASSERT_EQ(created->status, 201) << created->body;
  core::v1::Pod pod;
  EXPECT_EQ(client_->Get("pods", "default", "nope", &pod).code(), absl::StatusCode::kNotFound);
  pod.mutable_metadata()->set_name("web");
  pod.mutable_spec()->add_containers()->set_name("c");
  pod.mutable_spec()->mutable_containers(0)->set_image("nginx");
  core::v1::Pod out;
  ASSERT_TRUE(client_->Create("pods", "default", pod, &out).ok());

  std::vector<YAML::Node> events = EventsAfter(before, 5);
  ASSERT_EQ(events.size(), 5u) << testing::ReadFile(path_);
  for (const YAML::Node& e : events) {
    EXPECT_EQ(e["apiVersion"].as<std::string>(), "audit.k8s.io/v1");
    EXPECT_EQ(e["kind"].as<std::string>(), "Event");
    EXPECT_EQ(e["level"].as<std::string>(), "Metadata");
    EXPECT_EQ(e["stage"].as<std::string>(), "ResponseComplete");
    EXPECT_EQ(e["user"]["username"].as<std::string>(), "system:anonymous");
    EXPECT_FALSE(e["auditID"].as<std::string>().empty());
    EXPECT_FALSE(e["requestReceivedTimestamp"].as<std::string>().empty());
    EXPECT_FALSE(e["stageTimestamp"].as<std::string>().empty());
  }
  EXPECT_EQ(events[0]["verb"].as<std::string>(), "get");
  EXPECT_EQ(events[0]["requestURI"].as<std::string>(), "/api/v1/namespaces/default");
  EXPECT_EQ(events[0]["objectRef"]["resource"].as<std::string>(), "namespaces");
  EXPECT_EQ(events[0]["objectRef"]["name"].as<std::string>(), "default");
  EXPECT_EQ(events[0]["userAgent"].as<std::string>(), "audit \"quoted\" agent");
  EXPECT_EQ(events[0]["sourceIPs"][0].as<std::string>(), "127.0.0.1");
  EXPECT_EQ(events[0]["responseStatus"]["code"].as<int>(), 200);
  EXPECT_EQ(events[1]["responseStatus"]["code"].as<int>(), 404);
  EXPECT_EQ(events[2]["verb"].as<std::string>(), "create");
  EXPECT_EQ(events[2]["responseStatus"]["code"].as<int>(), 201);
  // The gRPC API: the method names the request.
  EXPECT_EQ(events[3]["requestURI"].as<std::string>(), "/minik8s.apiserver.v1.ApiServer/Get");
  EXPECT_EQ(events[3]["verb"].as<std::string>(), "get");
  EXPECT_EQ(events[3]["objectRef"]["resource"].as<std::string>(), "pods");
  EXPECT_EQ(events[3]["objectRef"]["namespace"].as<std::string>(), "default");
  EXPECT_EQ(events[3]["objectRef"]["name"].as<std::string>(), "nope");
  EXPECT_EQ(events[3]["responseStatus"]["code"].as<int>(), 404);
  EXPECT_EQ(events[3]["userAgent"].as<std::string>().rfind("audit-e2e", 0), 0u);
  EXPECT_EQ(events[4]["verb"].as<std::string>(), "create");
  EXPECT_EQ(events[4]["responseStatus"]["code"].as<int>(), 201);
}

TEST_F(AuditE2E, AWatchIsStartedThenCompletedUnderOneId) {
  const size_t before = ReadEvents(path_).size();
  auto watch =
      testing::HttpRequest(cp_->apiserver_port(),
                           {.target = "/api/v1/namespaces/default/pods?watch=1&timeoutSeconds=1"});
  ASSERT_TRUE(watch.ok());
  std::vector<YAML::Node> events = EventsAfter(before, 2);
  ASSERT_EQ(events.size(), 2u) << testing::ReadFile(path_);
  EXPECT_EQ(events[0]["stage"].as<std::string>(), "ResponseStarted");
  EXPECT_EQ(events[1]["stage"].as<std::string>(), "ResponseComplete");
  EXPECT_EQ(events[0]["auditID"].as<std::string>(), events[1]["auditID"].as<std::string>());
  EXPECT_EQ(events[1]["verb"].as<std::string>(), "watch");
  EXPECT_EQ(events[1]["objectRef"]["resource"].as<std::string>(), "pods");
}

}  // namespace
}  // namespace minik8s::apiserver
