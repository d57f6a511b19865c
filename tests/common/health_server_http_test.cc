// The health port (common/health_server.h) speaking both protocols on one
// loopback port: HTTP GET /metrics, /healthz, /readyz, /livez and the gRPC
// health service `minik8s up` asks.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cluster/health.h"
#include "common/health_server.h"
#include "common/metrics.h"
#include "gtest/gtest.h"
#include "tests/common/prometheus_text.h"

namespace minik8s {
namespace {

// Sends `request` raw to 127.0.0.1:port, half-closes, and reads until the
// server closes.
std::string Exchange(int port, const std::string& request) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return "connect failed";
  }
  timeval tv{.tv_sec = 10, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  shutdown(fd, SHUT_WR);  // all sent: the server sees the end of the request
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

std::string Get(int port, const std::string& path) {
  return Exchange(port, absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: x\r\n\r\n"));
}

std::string Body(const std::string& response) {
  size_t at = response.find("\r\n\r\n");
  return at == std::string::npos ? "" : response.substr(at + 4);
}

TEST(HealthServerHttp, ServesMetricsHealthAndGrpcOnOnePort) {
  metrics::Registry registry;
  metrics::CounterFamily* hits =
      *metrics::NewCounter(registry, "test_hits_total", "Hits \"so far\".", {"path"});
  hits->WithLabelValues({"/a\nb"}).Inc();
  auto health = HealthServer::Start("127.0.0.1:0", {.metrics = [&] { return registry.Expose(); }});
  ASSERT_TRUE(health.ok()) << health.status();
  const int port = (*health)->port();
  ASSERT_GT(port, 0);
  const std::string grpc_target = absl::StrCat("127.0.0.1:", port);

  std::string r = Get(port, "/metrics");
  EXPECT_TRUE(absl::StartsWith(r, "HTTP/1.1 200 OK\r\n")) << r;
  EXPECT_TRUE(absl::StrContains(r, "Content-Type: text/plain; version=0.0.4; charset=utf-8")) << r;
  EXPECT_TRUE(absl::StrContains(r, absl::StrCat("Content-Length: ", Body(r).size()))) << r;
  absl::StatusOr<testing::Exposition> e = testing::ParsePrometheusText(Body(r));
  ASSERT_TRUE(e.ok()) << e.status() << "\n" << r;
  EXPECT_EQ(e->Sum("test_hits_total", {{"path", "/a\nb"}}), 1);

  // Not serving until told: HTTP and gRPC agree.
  EXPECT_TRUE(absl::StartsWith(Get(port, "/healthz"), "HTTP/1.1 503")) << Get(port, "/healthz");
  EXPECT_TRUE(absl::StartsWith(Get(port, "/readyz"), "HTTP/1.1 503"));
  EXPECT_TRUE(absl::StartsWith(Get(port, "/livez"), "HTTP/1.1 200"));
  EXPECT_FALSE(cluster::CheckGrpcHealth(grpc_target, absl::Seconds(5)).ok());
  (*health)->SetServing(true);
  r = Get(port, "/healthz?verbose=1");
  EXPECT_TRUE(absl::StartsWith(r, "HTTP/1.1 200")) << r;
  EXPECT_EQ(Body(r), "ok");
  EXPECT_TRUE(cluster::CheckGrpcHealth(grpc_target, absl::Seconds(5)).ok());
  // HTTP still works while a gRPC connection is open.
  EXPECT_TRUE(absl::StartsWith(Get(port, "/metrics"), "HTTP/1.1 200"));

  r = Exchange(port, "HEAD /metrics HTTP/1.1\r\n\r\n");
  EXPECT_TRUE(absl::StartsWith(r, "HTTP/1.1 200")) << r;
  EXPECT_EQ(Body(r), "");
  EXPECT_TRUE(absl::StartsWith(Get(port, "/nope"), "HTTP/1.1 404"));
  EXPECT_TRUE(absl::StartsWith(Exchange(port, "POST /metrics HTTP/1.1\r\n\r\n"), "HTTP/1.1 405"));
  EXPECT_TRUE(absl::StartsWith(Exchange(port, "garbage\r\n\r\n"), "HTTP/1.1 400"));
  EXPECT_TRUE(absl::StartsWith(Exchange(port, std::string(20000, 'a')), "HTTP/1.1 431"));
  // A far larger one gets the same answer; the rest is read and dropped.
  EXPECT_TRUE(absl::StartsWith(Exchange(port, std::string(300000, 'a')), "HTTP/1.1 431"));
  // A client that connects and goes away does not hurt.
  EXPECT_EQ(Exchange(port, ""), "");

  (*health)->SetServing(false);
  EXPECT_TRUE(absl::StartsWith(Get(port, "/healthz"), "HTTP/1.1 503"));
  EXPECT_FALSE(cluster::CheckGrpcHealth(grpc_target, absl::Seconds(5)).ok());
}

TEST(HealthServerHttp, DefaultsToTheProcessRegistryAndRefusesABusyPort) {
  metrics::CounterFamily* c = *metrics::NewCounter(metrics::Registry::Default(),
                                                   "health_server_test_total", "A test counter.");
  c->WithLabelValues({}).Inc();
  auto health = HealthServer::Start("127.0.0.1:0");
  ASSERT_TRUE(health.ok()) << health.status();
  const std::string body = Body(Get((*health)->port(), "/metrics"));
  EXPECT_TRUE(absl::StrContains(body, "health_server_test_total 1\n")) << body;
  auto second = HealthServer::Start(absl::StrCat("127.0.0.1:", (*health)->port()));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(HealthServer::Start("127.0.0.1").ok());  // no port
  auto none = HealthServer::StartIfSet("");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, nullptr);
}

}  // namespace
}  // namespace minik8s
