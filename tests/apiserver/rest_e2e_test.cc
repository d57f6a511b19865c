// End-to-end tests of the apiserver's Kubernetes HTTP API: the real daemon
// over minik8s-store and over a real etcd, driven with plain HTTP/1.1
// requests as kubectl and client libraries send them.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/codec.h"
#include "api/k8s_protobuf.h"
#include "gtest/gtest.h"
#include "k8s/core/v1/core.pb.h"
#include "testing/control_plane.h"
#include "testing/http_client.h"
#include "yaml-cpp/yaml.h"

namespace minik8s {
namespace {

using testing::BackendKind;
using testing::ControlPlane;
using testing::HttpCall;
using testing::HttpResult;

constexpr char kPod[] =
    R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"%s","labels":{"app":"web"}},
  "spec":{"containers":[{"name":"c","image":"nginx:1.25"}]}})";

std::string PodJson(const std::string& name) {
  std::string out = kPod;
  out.replace(out.find("%s"), 2, name);
  return out;
}

constexpr char kDeployment[] = R"({"apiVersion":"apps/v1","kind":"Deployment",
  "metadata":{"name":"web"},
  "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},
    "template":{"metadata":{"labels":{"app":"web"}},
      "spec":{"containers":[{"name":"nginx","image":"nginx:1.14.2","ports":[{"containerPort":80}]},
                            {"name":"sidecar","image":"busybox"}]}}}})";

YAML::Node Json(const std::string& text) { return YAML::Load(text); }

class RestE2E : public ::testing::TestWithParam<BackendKind> {
 protected:
  void SetUp() override {
    if (std::string why = ControlPlane::MissingPrerequisite(GetParam()); !why.empty()) {
      GTEST_SKIP() << why;
    }
    cp_ = std::make_unique<ControlPlane>(ControlPlane::Options{
        .backend = GetParam(),
        .apiserver_flags = {"--watch-cache-size=50", "--bookmark-interval=200ms"}});
    absl::Status started = cp_->Start();
    ASSERT_TRUE(started.ok()) << started;
    port_ = cp_->apiserver_port();
  }

  void TearDown() override {
    if (cp_ == nullptr) return;
    if (auto status = cp_->StopApiserver(SIGTERM); status.has_value()) {
      EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
          << "apiserver did not shut down cleanly\n"
          << Log();
    }
  }

  std::string Log() { return cp_->LogTail("apiserver.log", 3000); }

  absl::StatusOr<HttpResult> Do(HttpCall call) { return testing::HttpRequest(port_, call); }
  absl::StatusOr<HttpResult> Get(const std::string& target,
                                 std::map<std::string, std::string> headers = {}) {
    return Do({.method = "GET", .target = target, .headers = std::move(headers)});
  }
  absl::StatusOr<HttpResult> Send(const std::string& method, const std::string& target,
                                  const std::string& body,
                                  const std::string& type = "application/json") {
    return Do(
        {.method = method, .target = target, .headers = {{"Content-Type", type}}, .body = body});
  }

  std::unique_ptr<ControlPlane> cp_;
  int port_ = 0;
};

TEST_P(RestE2E, VersionHealthAndDiscovery) {
  absl::StatusOr<HttpResult> version = Get("/version");
  ASSERT_TRUE(version.ok()) << version.status();
  EXPECT_EQ(version->status, 200);
  EXPECT_EQ(version->headers["content-type"], "application/json");
  EXPECT_TRUE(
      absl::StartsWith(Json(version->body)["gitVersion"].as<std::string>(), "v1.32.0-minik8s"))
      << version->body;
  for (const char* probe : {"/healthz", "/livez", "/readyz"}) {
    absl::StatusOr<HttpResult> r = Get(probe);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 200) << probe;
    EXPECT_EQ(r->body, "ok") << probe;
  }
  absl::StatusOr<HttpResult> core = Get("/api/v1");
  ASSERT_TRUE(core.ok());
  ASSERT_EQ(core->status, 200) << core->body;
  bool pods = false;
  for (const auto& resource : Json(core->body)["resources"]) {
    if (resource["name"].as<std::string>() == "pods") {
      pods = true;
      EXPECT_EQ(resource["shortNames"][0].as<std::string>(), "po");
    }
  }
  EXPECT_TRUE(pods) << core->body;
  absl::StatusOr<HttpResult> missing = Get("/api/v1/nothings");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(Json(missing->body)["reason"].as<std::string>(), "NotFound");
}

TEST_P(RestE2E, CreateGetConflictNotFound) {
  absl::StatusOr<HttpResult> created =
      Send("POST", "/api/v1/namespaces/default/pods", PodJson("p1"));
  ASSERT_TRUE(created.ok());
  ASSERT_EQ(created->status, 201) << created->body;
  YAML::Node pod = Json(created->body);
  EXPECT_EQ(pod["kind"].as<std::string>(), "Pod");
  EXPECT_EQ(pod["apiVersion"].as<std::string>(), "v1");
  EXPECT_FALSE(pod["metadata"]["uid"].as<std::string>().empty());
  EXPECT_FALSE(pod["metadata"]["resourceVersion"].as<std::string>().empty());

  absl::StatusOr<HttpResult> got = Get("/api/v1/namespaces/default/pods/p1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(Json(got->body)["metadata"]["name"].as<std::string>(), "p1");

  absl::StatusOr<HttpResult> again = Send("POST", "/api/v1/namespaces/default/pods", PodJson("p1"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status, 409);
  YAML::Node status = Json(again->body);
  EXPECT_EQ(status["kind"].as<std::string>(), "Status");
  EXPECT_EQ(status["reason"].as<std::string>(), "AlreadyExists");
  EXPECT_EQ(status["message"].as<std::string>(), "pods \"p1\" already exists");
  EXPECT_EQ(status["code"].as<int>(), 409);

  absl::StatusOr<HttpResult> missing = Get("/api/v1/namespaces/default/pods/nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(Json(missing->body)["message"].as<std::string>(), "pods \"nope\" not found");

  // A namespace in the body that differs from the URL's.
  std::string other = PodJson("p2");
  other.replace(other.find("\"name\":\"p2\""), 11, R"("name":"p2","namespace":"kube-system")");
  absl::StatusOr<HttpResult> mismatch = Send("POST", "/api/v1/namespaces/default/pods", other);
  ASSERT_TRUE(mismatch.ok());
  EXPECT_EQ(mismatch->status, 400) << mismatch->body;
}

TEST_P(RestE2E, ValidationAndFieldValidation) {
  std::string bad = kDeployment;
  bad.replace(bad.find("\"replicas\":2"), 12, "\"replicas\":-1");
  absl::StatusOr<HttpResult> invalid =
      Send("POST", "/apis/apps/v1/namespaces/default/deployments", bad);
  ASSERT_TRUE(invalid.ok());
  EXPECT_EQ(invalid->status, 422) << invalid->body;
  YAML::Node status = Json(invalid->body);
  EXPECT_EQ(status["reason"].as<std::string>(), "Invalid");
  EXPECT_TRUE(absl::StrContains(status["message"].as<std::string>(), "spec.replicas"))
      << invalid->body;
  EXPECT_EQ(status["details"]["causes"][0]["field"].as<std::string>(), "spec.replicas");

  std::string unknown = kDeployment;
  unknown.replace(unknown.find("\"replicas\":2"), 12, "\"replicas\":2,\"foo\":1");
  absl::StatusOr<HttpResult> strict =
      Send("POST", "/apis/apps/v1/namespaces/default/deployments?fieldValidation=Strict", unknown);
  ASSERT_TRUE(strict.ok());
  EXPECT_EQ(strict->status, 400);
  EXPECT_TRUE(absl::StrContains(Json(strict->body)["message"].as<std::string>(),
                                "strict decoding error: unknown field \"spec.foo\""))
      << strict->body;

  // The default (Warn) drops the field and says so in a Warning header.
  absl::StatusOr<HttpResult> warn =
      Send("POST", "/apis/apps/v1/namespaces/default/deployments", unknown);
  ASSERT_TRUE(warn.ok());
  EXPECT_EQ(warn->status, 201) << warn->body;
  EXPECT_TRUE(absl::StrContains(warn->headers["warning"], "unknown field"))
      << warn->headers["warning"];
}

TEST_P(RestE2E, ListWithSelectorsAndTables) {
  for (const char* name : {"a", "b"}) {
    ASSERT_EQ(Send("POST", "/api/v1/namespaces/default/pods", PodJson(name))->status, 201);
  }
  absl::StatusOr<HttpResult> list =
      Get("/api/v1/namespaces/default/pods?labelSelector=app%3Dweb&limit=1");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->status, 200) << list->body;
  YAML::Node pods = Json(list->body);
  EXPECT_EQ(pods["kind"].as<std::string>(), "PodList");
  EXPECT_EQ(pods["items"].size(), 1u);
  EXPECT_FALSE(pods["metadata"]["continue"].as<std::string>().empty());
  absl::StatusOr<HttpResult> rest =
      Get(absl::StrCat("/api/v1/namespaces/default/pods?labelSelector=app%3Dweb&limit=1&continue=",
                       pods["metadata"]["continue"].as<std::string>()));
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(Json(rest->body)["items"][0]["metadata"]["name"].as<std::string>(), "b");

  absl::StatusOr<HttpResult> table =
      Get("/api/v1/namespaces/default/pods",
          {{"Accept",
            "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g="
            "meta.k8s.io,application/json"}});
  ASSERT_TRUE(table.ok());
  ASSERT_EQ(table->status, 200);
  YAML::Node t = Json(table->body);
  EXPECT_EQ(t["kind"].as<std::string>(), "Table");
  EXPECT_EQ(t["columnDefinitions"][0]["name"].as<std::string>(), "Name");
  EXPECT_EQ(t["rows"].size(), 2u);
  EXPECT_EQ(t["rows"][0]["object"]["kind"].as<std::string>(), "PartialObjectMetadata");

  absl::StatusOr<HttpResult> yaml =
      Get("/api/v1/namespaces/default/pods/a", {{"Accept", "application/yaml"}});
  ASSERT_TRUE(yaml.ok());
  EXPECT_EQ(yaml->headers["content-type"], "application/yaml");
  EXPECT_TRUE(absl::StrContains(yaml->body, "kind: Pod")) << yaml->body;

  // An empty list still has its items (kubectl tells lists by them).
  absl::StatusOr<HttpResult> empty =
      Get("/api/v1/namespaces/default/pods?labelSelector=app%3Dnone");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(absl::StrContains(empty->body, R"("items":[])")) << empty->body;

  absl::StatusOr<HttpResult> refused = Get("/api/v1/pods", {{"Accept", "image/png"}});
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->status, 406);
}

TEST_P(RestE2E, WatchStreamsEventsAndEnds) {
  absl::StatusOr<HttpResult> list = Get("/api/v1/namespaces/default/pods");
  ASSERT_TRUE(list.ok());
  const std::string rv = Json(list->body)["metadata"]["resourceVersion"].as<std::string>();
  absl::StatusOr<std::unique_ptr<testing::HttpStream>> watch = testing::HttpStream::Open(
      port_, {.target = absl::StrCat("/api/v1/namespaces/default/pods?watch=True&resourceVersion=",
                                     rv, "&timeoutSeconds=3")});
  ASSERT_TRUE(watch.ok()) << watch.status();
  EXPECT_EQ((*watch)->status(), 200);
  ASSERT_EQ(Send("POST", "/api/v1/namespaces/default/pods", PodJson("w1"))->status, 201);
  absl::StatusOr<std::string> line = (*watch)->ReadLine(absl::Seconds(10));
  ASSERT_TRUE(line.ok()) << line.status();
  YAML::Node event = Json(*line);
  EXPECT_EQ(event["type"].as<std::string>(), "ADDED");
  EXPECT_EQ(event["object"]["metadata"]["name"].as<std::string>(), "w1");
  EXPECT_EQ(event["object"]["kind"].as<std::string>(), "Pod");
  ASSERT_EQ(Send("DELETE", "/api/v1/namespaces/default/pods/w1?gracePeriodSeconds=0", "")->status,
            200);
  bool deleted = false;
  for (int i = 0; i < 5 && !deleted; ++i) {
    line = (*watch)->ReadLine(absl::Seconds(10));
    ASSERT_TRUE(line.ok()) << line.status();
    deleted = Json(*line)["type"].as<std::string>() == "DELETED";
  }
  EXPECT_TRUE(deleted);
  // timeoutSeconds ends the stream.
  absl::StatusOr<std::string> rest = (*watch)->ReadToEnd(absl::Seconds(10));
  EXPECT_TRUE(rest.ok()) << rest.status();

  // A compacted-away resourceVersion: one ERROR event with 410 Expired.
  for (int i = 0; i < 60; ++i) {
    ASSERT_EQ(
        Send("POST", "/api/v1/namespaces/default/pods", PodJson(absl::StrCat("x", i)))->status,
        201);
  }
  absl::StatusOr<std::unique_ptr<testing::HttpStream>> old = testing::HttpStream::Open(
      port_, {.target = "/api/v1/namespaces/default/pods?watch=1&resourceVersion=2"});
  ASSERT_TRUE(old.ok());
  line = (*old)->ReadLine(absl::Seconds(10));
  ASSERT_TRUE(line.ok()) << line.status();
  YAML::Node error = Json(*line);
  EXPECT_EQ(error["type"].as<std::string>(), "ERROR");
  EXPECT_EQ(error["object"]["code"].as<int>(), 410);
  EXPECT_EQ(error["object"]["reason"].as<std::string>(), "Expired");
}

TEST_P(RestE2E, PatchTypesAndScale) {
  ASSERT_EQ(Send("POST", "/apis/apps/v1/namespaces/default/deployments", kDeployment)->status, 201);
  const std::string path = "/apis/apps/v1/namespaces/default/deployments/web";
  // Strategic merge: the container list merges by name.
  absl::StatusOr<HttpResult> smp = Send(
      "PATCH", path,
      R"({"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.16"}]}}}})",
      "application/strategic-merge-patch+json");
  ASSERT_TRUE(smp.ok());
  ASSERT_EQ(smp->status, 200) << smp->body;
  YAML::Node containers = Json(smp->body)["spec"]["template"]["spec"]["containers"];
  ASSERT_EQ(containers.size(), 2u);
  EXPECT_EQ(containers[0]["image"].as<std::string>(), "nginx:1.16");
  EXPECT_EQ(containers[1]["name"].as<std::string>(), "sidecar");
  // Merge patch: the list is replaced.
  absl::StatusOr<HttpResult> merge = Send(
      "PATCH", path,
      R"({"metadata":{"labels":{"tier":"front"}},"spec":{"template":{"spec":{"containers":[{"name":"only","image":"busybox"}]}}}})",
      "application/merge-patch+json");
  ASSERT_EQ(merge->status, 200) << merge->body;
  EXPECT_EQ(Json(merge->body)["spec"]["template"]["spec"]["containers"].size(), 1u);
  // JSON patch, and a failing test operation.
  absl::StatusOr<HttpResult> json =
      Send("PATCH", path, R"([{"op":"replace","path":"/spec/replicas","value":4}])",
           "application/json-patch+json");
  ASSERT_EQ(json->status, 200) << json->body;
  EXPECT_EQ(Json(json->body)["spec"]["replicas"].as<int>(), 4);
  absl::StatusOr<HttpResult> failed =
      Send("PATCH", path, R"([{"op":"test","path":"/spec/replicas","value":9}])",
           "application/json-patch+json");
  EXPECT_EQ(failed->status, 422) << failed->body;
  absl::StatusOr<HttpResult> unsupported = Send("PATCH", path, "{}", "text/plain");
  EXPECT_EQ(unsupported->status, 415) << unsupported->body;

  // The scale subresource answers an autoscaling/v1 Scale.
  absl::StatusOr<HttpResult> scale =
      Send("PATCH", path + "/scale", R"({"spec":{"replicas":7}})", "application/merge-patch+json");
  ASSERT_EQ(scale->status, 200) << scale->body;
  YAML::Node s = Json(scale->body);
  EXPECT_EQ(s["kind"].as<std::string>(), "Scale");
  EXPECT_EQ(s["apiVersion"].as<std::string>(), "autoscaling/v1");
  EXPECT_EQ(s["spec"]["replicas"].as<int>(), 7);
  EXPECT_EQ(Json(Get(path)->body)["spec"]["replicas"].as<int>(), 7);

  // dryRun changes nothing.
  absl::StatusOr<HttpResult> dry = Send("PATCH", path + "?dryRun=All", R"({"spec":{"replicas":1}})",
                                        "application/merge-patch+json");
  EXPECT_EQ(Json(dry->body)["spec"]["replicas"].as<int>(), 1);
  EXPECT_EQ(Json(Get(path)->body)["spec"]["replicas"].as<int>(), 7);

  // A dry-run delete answers as a delete would and deletes nothing.
  absl::StatusOr<HttpResult> dry_delete =
      Send("DELETE", path, R"({"kind":"DeleteOptions","apiVersion":"v1","dryRun":["All"]})");
  ASSERT_EQ(dry_delete->status, 200) << dry_delete->body;
  EXPECT_EQ(Get(path)->status, 200);
  EXPECT_EQ(Send("DELETE", path + "?dryRun=Nope", "")->status, 400);

  // Delete: a Success Status for an object deleted at once.
  absl::StatusOr<HttpResult> deleted =
      Send("DELETE", path,
           R"({"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"Background"})");
  ASSERT_EQ(deleted->status, 200) << deleted->body;
  EXPECT_EQ(Json(deleted->body)["status"].as<std::string>(), "Success");
  EXPECT_EQ(Get(path)->status, 404);
}

TEST_P(RestE2E, ProtobufRequestsAndResponses) {
  core::v1::Pod pod;
  ASSERT_TRUE(api::DecodeInto(PodJson("proto"), &pod).ok());
  absl::StatusOr<HttpResult> created =
      Do({.method = "POST",
          .target = "/api/v1/namespaces/default/pods",
          .headers = {{"Content-Type", "application/vnd.kubernetes.protobuf"},
                      {"Accept",
                       "application/vnd.kubernetes.protobuf,"
                       "application/json"}},
          .body = api::EncodeK8sProtobuf(pod)});
  ASSERT_TRUE(created.ok());
  ASSERT_EQ(created->status, 201) << created->body;
  EXPECT_EQ(created->headers["content-type"], "application/vnd.kubernetes.protobuf");
  absl::StatusOr<api::DecodedObject> decoded = api::DecodeK8sProtobuf(created->body);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  const auto& out = static_cast<const core::v1::Pod&>(*decoded->object);
  EXPECT_EQ(out.metadata().name(), "proto");
  EXPECT_FALSE(out.metadata().uid().empty());
}

TEST_P(RestE2E, BadRequestsGetErrorsAndTheServerCarriesOn) {
  // Over 3 MiB: 413.
  absl::StatusOr<HttpResult> big =
      Send("POST", "/api/v1/namespaces/default/pods", std::string(4 * 1024 * 1024, ' '));
  ASSERT_TRUE(big.ok()) << big.status();
  EXPECT_EQ(big->status, 413);
  // Malformed JSON: 400.
  absl::StatusOr<HttpResult> malformed =
      Send("POST", "/api/v1/namespaces/default/pods", "{\"apiVersion\":");
  ASSERT_TRUE(malformed.ok());
  EXPECT_EQ(malformed->status, 400) << malformed->body;
  // Not HTTP at all: the connection is answered 400 or closed.
  {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port_);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    const char garbage[] = "\x01\x02 not http\r\n\r\n";
    ASSERT_GT(write(fd, garbage, sizeof(garbage) - 1), 0);
    char buf[256];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n > 0) {
      EXPECT_TRUE(absl::StartsWith(std::string(buf, n), "HTTP/1.1 400"));
    }
    close(fd);
  }
  // A client that connects and says nothing does not block others.
  int idle = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(idle, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  absl::StatusOr<HttpResult> after = Get("/version");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->status, 200);
  close(idle);
  absl::StatusOr<HttpResult> metrics = Get("/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_TRUE(absl::StrContains(metrics->body, "apiserver_request_total{")) << metrics->body;
  EXPECT_TRUE(absl::StrContains(metrics->body, "apiserver_storage_objects{")) << metrics->body;
}

INSTANTIATE_TEST_SUITE_P(Backends, RestE2E,
                         ::testing::Values(BackendKind::kMinik8sStore, BackendKind::kEtcd),
                         [](const ::testing::TestParamInfo<BackendKind>& info) {
                           return testing::BackendName(info.param);
                         });

}  // namespace
}  // namespace minik8s
