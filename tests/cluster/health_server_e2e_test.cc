// The health endpoint of the controller-manager and the scheduler
// (common/health_server.h), checked the way `minik8s up` checks it
// (cluster/health.h), on a loopback port.
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "cluster/health.h"
#include "common/health_server.h"
#include "common/net.h"

namespace minik8s {
namespace {

TEST(HealthServer, ServingOnlyWhenToldAndOnePerPort) {
  absl::StatusOr<int> port = PickFreeLoopbackPort();
  ASSERT_TRUE(port.ok()) << port.status();
  const std::string address = absl::StrCat("127.0.0.1:", *port);
  auto health = HealthServer::Start(address);
  ASSERT_TRUE(health.ok()) << health.status();
  // Started, caches not synced yet: not SERVING.
  EXPECT_FALSE(cluster::CheckGrpcHealth(address, absl::Seconds(5)).ok());
  (*health)->SetServing(true);
  EXPECT_TRUE(cluster::CheckGrpcHealth(address, absl::Seconds(5)).ok());
  // A second daemon on the same port gets a clear error.
  auto second = HealthServer::Start(address);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find("port in use"), std::string::npos);
  (*health)->SetServing(false);
  EXPECT_FALSE(cluster::CheckGrpcHealth(address, absl::Seconds(5)).ok());
  health->reset();
  EXPECT_FALSE(cluster::CheckGrpcHealth(address, absl::Seconds(1)).ok());
}

}  // namespace
}  // namespace minik8s
