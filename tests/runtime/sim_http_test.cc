// The pure pieces of the containers' ports: the kubelet's port annotation
// (container_ports.h) and the simulated nginx's HTTP (sim_http.h). No
// sockets here; port_listeners_e2e_test.cc has them.
#include "runtime/sim_http.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "common/fake_clock.h"
#include "gtest/gtest.h"
#include "runtime/container_ports.h"
#include "runtime/runtime.h"
#include "runtime/runtime_client.h"

namespace minik8s::runtime {
namespace {

TEST(ContainerPorts, ParsesTheKubeletAnnotation) {
  auto ports = ParseContainerPorts(
      R"([{"name":"http","containerPort":80,"protocol":"TCP"},)"
      R"({"containerPort":53,"protocol":"UDP"},{"containerPort":8080,"hostPort":18080,)"
      R"("hostIP":"0.0.0.0","unknownField":1}])");
  ASSERT_TRUE(ports.ok()) << ports.status();
  EXPECT_EQ(*ports,
            (std::vector<DeclaredPort>{{"http", 80, "TCP"}, {"", 53, "UDP"}, {"", 8080, "TCP"}}));
  EXPECT_TRUE(ParseContainerPorts("[]")->empty());
}

TEST(ContainerPorts, RefusesWhatIsNotAnArrayOfPorts) {
  for (const char* bad : {"", "{}", "[1]", R"([{"containerPort":"x"}])", R"([{"containerPort":0}])",
                          R"([{"containerPort":65536}])", "[{"}) {
    SCOPED_TRACE(bad);
    auto ports = ParseContainerPorts(bad);
    EXPECT_EQ(ports.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StrContains(ports.status().message(), kContainerPortsAnnotation));
  }
  std::string huge = "[" + std::string(kMaxContainerPortsJson, ' ') + "]";
  EXPECT_TRUE(absl::StrContains(ParseContainerPorts(huge).status().message(), "longer than"));
  std::string many = "[";
  for (int i = 0; i <= kMaxContainerPorts; ++i) {
    many += std::string(i > 0 ? "," : "") + R"({"containerPort":80})";
  }
  EXPECT_TRUE(absl::StrContains(ParseContainerPorts(many + "]").status().message(), "more than"));
}

TEST(ContainerPorts, TcpPortsOfAConfigAreDistinctAndInOrder) {
  cri::ContainerConfig config;
  EXPECT_TRUE(TcpPortsOf(config)->empty());
  (*config.mutable_annotations())[kContainerPortsAnnotation] =
      R"([{"containerPort":8080},{"containerPort":53,"protocol":"UDP"},)"
      R"({"containerPort":80,"protocol":"TCP"},{"containerPort":8080,"protocol":"TCP"}])";
  EXPECT_EQ(*TcpPortsOf(config), (std::vector<int>{8080, 80}));
  (*config.mutable_annotations())[kContainerPortsAnnotation] = "nope";
  EXPECT_FALSE(TcpPortsOf(config).ok());
}

TEST(ContainerPorts, LoopbackAddresses) {
  EXPECT_TRUE(IsLoopbackIpv4("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackIpv4("127.244.1.2"));
  EXPECT_FALSE(IsLoopbackIpv4("10.244.1.2"));
  EXPECT_FALSE(IsLoopbackIpv4("128.0.0.1"));
  EXPECT_FALSE(IsLoopbackIpv4(""));
  EXPECT_FALSE(IsLoopbackIpv4("127.1"));
  EXPECT_FALSE(IsLoopbackIpv4("::1"));
}

// Off loopback (scale mode's 10.x pods) the annotation is not even read: a
// malformed one creates and starts the container as before, with no socket.
TEST(ContainerPorts, PodsOffLoopbackIgnoreTheAnnotation) {
  common::FakeClock clock;
  auto rt = Runtime::Create(RuntimeOptions{.clock = &clock});
  ASSERT_TRUE(rt.ok()) << rt.status();
  cri::RunPodSandboxRequest sandbox;
  auto* md = sandbox.mutable_config()->mutable_metadata();
  md->set_name("web");
  md->set_namespace_("default");
  md->set_uid("uid-web");
  (*sandbox.mutable_config()->mutable_annotations())[kPodIpAnnotation] = "10.244.0.5";
  auto sb = (*rt)->RunPodSandbox(sandbox);
  ASSERT_TRUE(sb.ok()) << sb.status();
  cri::PullImageRequest pull;
  pull.mutable_image()->set_image("nginx");
  ASSERT_TRUE((*rt)->PullImage(pull).ok());
  cri::CreateContainerRequest create;
  create.set_pod_sandbox_id(sb->pod_sandbox_id());
  create.mutable_config()->mutable_metadata()->set_name("nginx");
  create.mutable_config()->mutable_image()->set_image("nginx");
  (*create.mutable_config()->mutable_annotations())[kContainerPortsAnnotation] = "not json";
  auto created = (*rt)->CreateContainer(create);
  ASSERT_TRUE(created.ok()) << created.status();
  std::optional<absl::StatusOr<cri::StartContainerResponse>> started;
  cri::StartContainerRequest start;
  start.set_container_id(created->container_id());
  (*rt)->StartContainer(start, [&](auto r) { started = std::move(r); });
  ASSERT_TRUE(started.has_value() && started->ok());
}

TEST(SimHttp, ParsesARequestHead) {
  auto r = ParseHttpRequestHead(
      "GET /index.html HTTP/1.1\r\nHost: x\r\nUser-Agent: curl/8.5.0\r\n"
      "content-length: 3\r\nReferer: http://a/\r\n\r\n");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->method, "GET");
  EXPECT_EQ(r->target, "/index.html");
  EXPECT_EQ(r->version, "HTTP/1.1");
  EXPECT_EQ(r->user_agent, "curl/8.5.0");
  EXPECT_EQ(r->referer, "http://a/");
  EXPECT_EQ(r->content_length, 3);
  EXPECT_TRUE(r->keep_alive);
  EXPECT_FALSE(r->chunked);
}

TEST(SimHttp, KeepAliveFollowsTheVersionAndTheConnectionHeader) {
  EXPECT_TRUE(ParseHttpRequestHead("GET / HTTP/1.1\r\n\r\n")->keep_alive);
  EXPECT_FALSE(ParseHttpRequestHead("GET / HTTP/1.1\r\nConnection: close\r\n\r\n")->keep_alive);
  EXPECT_FALSE(
      ParseHttpRequestHead("GET / HTTP/1.1\r\nConnection: keep-alive, Close\r\n\r\n")->keep_alive);
  EXPECT_FALSE(ParseHttpRequestHead("GET / HTTP/1.0\r\n\r\n")->keep_alive);
  EXPECT_TRUE(ParseHttpRequestHead("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")->keep_alive);
  EXPECT_TRUE(
      ParseHttpRequestHead("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")->chunked);
}

TEST(SimHttp, RefusesMalformedHeads) {
  for (const char* bad :
       {"", "\r\n\r\n", "GET /\r\n\r\n", "GET / HTTP/2\r\n\r\n", "get / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nNoColon\r\n\r\n", "GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(ParseHttpRequestHead(bad).has_value());
  }
}

const HttpServerIdentity kWho{.pod_namespace = "default",
                              .pod_name = "web-1",
                              .container_name = "nginx",
                              .nginx_version = "1.25.3"};
const absl::Time kNow = absl::FromUnixSeconds(1764925561);  // 2025-12-05 09:06:01 UTC

TEST(SimHttp, AGetIsAnsweredWithAPageNamingThePodAndTheContainer) {
  HttpResponse r = NginxResponse(ParseHttpRequestHead("GET / HTTP/1.1\r\n\r\n"), kWho, kNow, false);
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.close);
  EXPECT_TRUE(absl::StartsWith(r.bytes, "HTTP/1.1 200 OK\r\nServer: nginx/1.25.3\r\n")) << r.bytes;
  EXPECT_TRUE(absl::StrContains(r.bytes, "Date: Fri, 05 Dec 2025 09:06:01 GMT\r\n"));
  EXPECT_TRUE(absl::StrContains(r.bytes, "Content-Type: text/html\r\n"));
  EXPECT_TRUE(absl::StrContains(r.bytes, "Connection: keep-alive\r\n\r\n"));
  const std::string body = r.bytes.substr(r.bytes.find("\r\n\r\n") + 4);
  EXPECT_EQ(r.body_bytes, static_cast<int64_t>(body.size()));
  EXPECT_TRUE(absl::StrContains(r.bytes, "Content-Length: " + std::to_string(body.size())));
  EXPECT_TRUE(absl::StrContains(body, "default/web-1")) << body;
  EXPECT_TRUE(absl::StrContains(body, "container <b>nginx</b>")) << body;
}

TEST(SimHttp, HeadCloseMethodsAndErrors) {
  HttpResponse head =
      NginxResponse(ParseHttpRequestHead("HEAD / HTTP/1.1\r\n\r\n"), kWho, kNow, false);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body_bytes, 0);
  EXPECT_TRUE(absl::EndsWith(head.bytes, "\r\n\r\n"));
  EXPECT_FALSE(absl::StrContains(head.bytes, "Content-Length: 0"));

  HttpResponse closing = NginxResponse(
      ParseHttpRequestHead("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"), kWho, kNow, false);
  EXPECT_TRUE(closing.close);
  EXPECT_TRUE(absl::StrContains(closing.bytes, "Connection: close\r\n"));
  // The container is stopping: the answer closes the connection.
  EXPECT_TRUE(
      NginxResponse(ParseHttpRequestHead("GET / HTTP/1.1\r\n\r\n"), kWho, kNow, true).close);

  HttpResponse post =
      NginxResponse(ParseHttpRequestHead("POST / HTTP/1.1\r\n\r\n"), kWho, kNow, false);
  EXPECT_EQ(post.status, 405);
  EXPECT_TRUE(absl::StartsWith(post.bytes, "HTTP/1.1 405 Not Allowed\r\n"));

  HttpResponse bad = NginxResponse(std::nullopt, kWho, kNow, false);
  EXPECT_EQ(bad.status, 400);
  EXPECT_TRUE(bad.close);
  EXPECT_TRUE(absl::StrContains(bad.bytes, "<center><h1>400 Bad Request</h1></center>"));
  EXPECT_EQ(NginxErrorResponse(413, kWho, kNow).status, 413);
}

TEST(SimHttp, PageEscapesNames) {
  HttpServerIdentity who = kWho;
  who.container_name = "<x>";
  HttpResponse r = NginxResponse(ParseHttpRequestHead("GET / HTTP/1.1\r\n\r\n"), who, kNow, false);
  EXPECT_TRUE(absl::StrContains(r.bytes, "&lt;x&gt;"));
  EXPECT_FALSE(absl::StrContains(r.bytes, "<x>"));
}

TEST(SimHttp, AccessLogLineIsNginxCombinedFormat) {
  auto request = ParseHttpRequestHead("GET /a HTTP/1.1\r\nUser-Agent: curl/8.5.0\r\n\r\n");
  HttpResponse r = NginxResponse(request, kWho, kNow, false);
  EXPECT_EQ(NginxAccessLogLine("127.0.0.1", kNow, "GET /a HTTP/1.1", r, request),
            "127.0.0.1 - - [05/Dec/2025:09:06:01 +0000] \"GET /a HTTP/1.1\" 200 " +
                std::to_string(r.body_bytes) + " \"-\" \"curl/8.5.0\" \"-\"");
  HttpResponse bad = NginxResponse(std::nullopt, kWho, kNow, false);
  EXPECT_EQ(NginxAccessLogLine("127.0.0.1", kNow, "x\"y", bad, std::nullopt),
            "127.0.0.1 - - [05/Dec/2025:09:06:01 +0000] \"x\\x22y\" 400 " +
                std::to_string(bad.body_bytes) + " \"-\" \"-\" \"-\"");
}

}  // namespace
}  // namespace minik8s::runtime
