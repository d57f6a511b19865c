#include "common/net.h"

#include <gtest/gtest.h>

namespace minik8s {
namespace {

TEST(UrlToGrpcAddress, AcceptsHttpAndBareAddresses) {
  EXPECT_EQ(*UrlToGrpcAddress("http://127.0.0.1:2379"), "127.0.0.1:2379");
  EXPECT_EQ(*UrlToGrpcAddress("http://localhost:2379/"), "localhost:2379");
  EXPECT_EQ(*UrlToGrpcAddress("127.0.0.1:1"), "127.0.0.1:1");
  EXPECT_EQ(*UrlToGrpcAddress("unix:///tmp/x.sock"), "unix:///tmp/x.sock");
}

TEST(UrlToGrpcAddress, RejectsTlsAndGarbage) {
  EXPECT_EQ(UrlToGrpcAddress("https://127.0.0.1:2379").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(UrlToGrpcAddress("").ok());
  EXPECT_FALSE(UrlToGrpcAddress("http://nohostport").ok());
  EXPECT_FALSE(UrlToGrpcAddress("http://a:1/path").ok());
}

TEST(UrlListToGrpcAddresses, SplitsOnCommas) {
  auto list = UrlListToGrpcAddresses("http://a:1, http://b:2");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(*list, (std::vector<std::string>{"a:1", "b:2"}));
  EXPECT_FALSE(UrlListToGrpcAddresses(" , ").ok());
}

}  // namespace
}  // namespace minik8s
