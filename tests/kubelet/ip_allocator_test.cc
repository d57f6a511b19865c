#include "kubelet/ip_allocator.h"

#include <set>

#include "gtest/gtest.h"

namespace minik8s::kubelet {
namespace {

TEST(IpAllocator, SkipsNetworkBridgeAndBroadcast) {
  auto a = IpAllocator::Create("10.244.1.0/24");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->Capacity(), 253);
  EXPECT_EQ(*a->Allocate(), "10.244.1.2");
  EXPECT_EQ(*a->Allocate(), "10.244.1.3");
  std::set<std::string> all = {"10.244.1.2", "10.244.1.3"};
  for (int i = 0; i < 251; ++i) {
    auto ip = a->Allocate();
    ASSERT_TRUE(ip.ok());
    EXPECT_TRUE(all.insert(*ip).second) << *ip;
  }
  EXPECT_FALSE(all.contains("10.244.1.255"));
  EXPECT_FALSE(all.contains("10.244.1.1"));
  EXPECT_EQ(a->Allocate().status().code(), absl::StatusCode::kResourceExhausted);
  a->Release("10.244.1.77");
  EXPECT_EQ(*a->Allocate(), "10.244.1.77");
}

TEST(IpAllocator, ReleasedAddressIsNotReusedAtOnce) {
  auto a = IpAllocator::Create("10.0.0.0/24");
  ASSERT_TRUE(a.ok());
  std::string first = *a->Allocate();
  a->Release(first);
  EXPECT_NE(*a->Allocate(), first);
}

TEST(IpAllocator, ReserveForAdoptedPods) {
  auto a = IpAllocator::Create("10.0.0.0/30");  // one usable address
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->Reserve("10.0.0.2"));
  EXPECT_FALSE(a->Reserve("10.0.0.2"));
  EXPECT_FALSE(a->Reserve("10.0.1.2"));
  EXPECT_FALSE(a->Allocate().ok());
}

TEST(IpAllocator, RejectsBadCidrs) {
  EXPECT_FALSE(IpAllocator::Create("10.0.0.0").ok());
  EXPECT_FALSE(IpAllocator::Create("10.0.0.0/31").ok());
  EXPECT_FALSE(IpAllocator::Create("10.0.300.0/24").ok());
  EXPECT_FALSE(IpAllocator::Create("fd00::/64").ok());
}

TEST(IpAllocator, DerivedCidrsAreDistinct) {
  std::set<std::string> cidrs;
  for (int i = 0; i < 2000; ++i) EXPECT_TRUE(cidrs.insert(DerivedPodCidr(i)).second);
  EXPECT_EQ(DerivedPodCidr(0), "10.128.0.0/24");
  EXPECT_EQ(DerivedPodCidr(257), "10.129.1.0/24");
}

}  // namespace
}  // namespace minik8s::kubelet
