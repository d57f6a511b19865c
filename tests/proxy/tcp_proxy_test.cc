// The proxy's data plane (proxy/tcp_proxy.h) on real loopback sockets:
// round-robin over backends, refused connections without backends, the
// next backend after a failed connect, half-close, SO_REUSEPORT sharing
// and bind failures that do not stop the other frontends.
#include "proxy/tcp_proxy.h"

#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/net.h"
#include "gtest/gtest.h"
#include "tests/proxy/test_backend.h"

namespace minik8s::proxy {
namespace {

using testing::BackendOf;
using testing::Exchange;
using testing::TestBackend;

int FreePort() {
  absl::StatusOr<int> p = PickFreeLoopbackPort();
  return p.ok() ? *p : 0;
}

HostPort Of(const TestBackend& b) { return {b.ip(), b.port()}; }

TEST(TcpProxy, SpreadsConnectionsRoundRobinAndCarriesBytesBothWays) {
  TestBackend a("a", "127.0.0.1"), b("b", "127.0.0.1");
  ASSERT_TRUE(a.Start().ok());
  ASSERT_TRUE(b.Start().ok());
  TcpProxy proxy;
  // A cluster-IP-like address of 127/8 is bindable without root.
  HostPort frontend{"127.96.0.10", FreePort()};
  proxy.Apply({{frontend, {Of(a), Of(b)}}});
  std::map<std::string, int> seen;
  for (int i = 0; i < 20; ++i) {
    absl::StatusOr<std::string> got = Exchange(frontend.ip, frontend.port, absl::StrCat("req", i));
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->substr(got->find('\n') + 1), absl::StrCat("req", i));
    ++seen[BackendOf(got)];
  }
  EXPECT_EQ(seen["a"], 10);
  EXPECT_EQ(seen["b"], 10);
}

TEST(TcpProxy, WithoutBackendsTheFrontendRefuses) {
  TestBackend a("a", "127.0.0.1");
  ASSERT_TRUE(a.Start().ok());
  TcpProxy proxy;
  HostPort frontend{"127.0.0.1", FreePort()};
  proxy.Apply({{frontend, {}}});
  absl::StatusOr<std::string> got = Exchange(frontend.ip, frontend.port);
  EXPECT_FALSE(got.ok());
  EXPECT_NE(got.status().message().find("refused"), std::string::npos) << got.status();

  proxy.Apply({{frontend, {Of(a)}}});
  EXPECT_EQ(BackendOf(Exchange(frontend.ip, frontend.port)), "a");
  EXPECT_EQ(proxy.Listening().size(), 1u);

  proxy.Apply({});
  got = Exchange(frontend.ip, frontend.port);
  EXPECT_FALSE(got.ok());
  EXPECT_NE(got.status().message().find("refused"), std::string::npos) << got.status();
  EXPECT_TRUE(proxy.Listening().empty());
}

TEST(TcpProxy, AFailedConnectMovesOnToTheNextBackend) {
  TestBackend a("a", "127.0.0.1");
  ASSERT_TRUE(a.Start().ok());
  HostPort dead{"127.0.0.1", FreePort()};  // nothing listens there
  TcpProxy proxy;
  HostPort frontend{"127.0.0.1", FreePort()};
  proxy.Apply({{frontend, {dead, Of(a)}}});
  for (int i = 0; i < 6; ++i) EXPECT_EQ(BackendOf(Exchange(frontend.ip, frontend.port)), "a");
  EXPECT_GE(proxy.Stats().connect_failures, 3);

  // Only dead backends: the client connection is reset, not left hanging.
  proxy.Apply({{frontend, {dead}}});
  absl::StatusOr<std::string> got = Exchange(frontend.ip, frontend.port);
  EXPECT_FALSE(got.ok() && !got->empty()) << *got;
  EXPECT_GE(proxy.Stats().dropped, 1);
}

TEST(TcpProxy, ABackendLeavingTheTableGetsNoNewConnections) {
  TestBackend a("a", "127.0.0.1"), b("b", "127.0.0.1");
  ASSERT_TRUE(a.Start().ok());
  ASSERT_TRUE(b.Start().ok());
  TcpProxy proxy;
  HostPort frontend{"127.0.0.1", FreePort()};
  proxy.Apply({{frontend, {Of(a), Of(b)}}});
  ASSERT_TRUE(Exchange(frontend.ip, frontend.port).ok());
  proxy.Apply({{frontend, {Of(b)}}});
  const int a_before = a.accepted();
  for (int i = 0; i < 10; ++i) EXPECT_EQ(BackendOf(Exchange(frontend.ip, frontend.port)), "b");
  EXPECT_EQ(a.accepted(), a_before);
}

TEST(TcpProxy, LargeTransfersPassThroughTheBoundedBuffers) {
  TestBackend a("a", "127.0.0.1");
  ASSERT_TRUE(a.Start().ok());
  TcpProxy proxy(TcpProxyOptions{.buffer_bytes = 1024});
  HostPort frontend{"127.0.0.1", FreePort()};
  proxy.Apply({{frontend, {Of(a)}}});
  std::string payload(256 * 1024, 'x');
  for (size_t i = 0; i < payload.size(); i += 997) payload[i] = static_cast<char>('a' + i % 26);
  absl::StatusOr<std::string> got = Exchange(frontend.ip, frontend.port, payload);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, "a\n" + payload);
}

TEST(TcpProxy, TwoProxiesShareAFrontendThroughReusePort) {
  TestBackend a("a", "127.0.0.1");
  ASSERT_TRUE(a.Start().ok());
  HostPort frontend{"127.96.0.11", FreePort()};
  auto first = std::make_unique<TcpProxy>();
  TcpProxy second;
  first->Apply({{frontend, {Of(a)}}});
  second.Apply({{frontend, {Of(a)}}});
  EXPECT_EQ(first->Listening().size(), 1u);
  EXPECT_EQ(second.Listening().size(), 1u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(BackendOf(Exchange(frontend.ip, frontend.port)), "a");
  // One proxy gone (or without endpoints): the other still answers all.
  first.reset();
  const int64_t before = second.Stats().accepted;
  for (int i = 0; i < 10; ++i) EXPECT_EQ(BackendOf(Exchange(frontend.ip, frontend.port)), "a");
  EXPECT_EQ(second.Stats().accepted - before, 10);
}

TEST(TcpProxy, AFrontendThatCannotBeBoundDoesNotStopTheOthers) {
  TestBackend a("a", "127.0.0.1");
  ASSERT_TRUE(a.Start().ok());
  TcpProxy proxy;
  HostPort unbindable{"192.0.2.1", 80};  // TEST-NET-1: not a local address
  HostPort frontend{"127.0.0.1", FreePort()};
  proxy.Apply({{unbindable, {Of(a)}}, {frontend, {Of(a)}}});
  EXPECT_EQ(BackendOf(Exchange(frontend.ip, frontend.port)), "a");
  std::map<HostPort, std::string> failures = proxy.BindFailures();
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures.begin()->first, unbindable);
  proxy.Apply({{frontend, {Of(a)}}});
  EXPECT_TRUE(proxy.BindFailures().empty());
}

}  // namespace
}  // namespace minik8s::proxy
