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

TEST(UrlToGrpcEndpoint, MarksHttpsAndUnixsAsTls) {
  EXPECT_EQ(*UrlToGrpcEndpoint("https://127.0.0.1:2379"),
            (GrpcEndpoint{.address = "127.0.0.1:2379", .tls = true}));
  EXPECT_EQ(*UrlToGrpcEndpoint("https://localhost:2379/"),
            (GrpcEndpoint{.address = "localhost:2379", .tls = true}));
  EXPECT_EQ(*UrlToGrpcEndpoint("unixs:///run/s.sock"),
            (GrpcEndpoint{.address = "unix:///run/s.sock", .tls = true}));
  EXPECT_EQ(*UrlToGrpcEndpoint("http://127.0.0.1:2379"),
            (GrpcEndpoint{.address = "127.0.0.1:2379", .tls = false}));
  EXPECT_EQ(*UrlToGrpcEndpoint("127.0.0.1:2379"),
            (GrpcEndpoint{.address = "127.0.0.1:2379", .tls = false}));
  EXPECT_FALSE(UrlToGrpcEndpoint("https://").ok());
  EXPECT_FALSE(UrlToGrpcEndpoint("https://a:1/path").ok());
  EXPECT_FALSE(UrlToGrpcEndpoint("unixs:").ok());
}

TEST(UrlListToGrpcEndpoints, KeepsEachUrlsScheme) {
  auto list = UrlListToGrpcEndpoints("https://a:1, http://b:2");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_TRUE((*list)[0].tls);
  EXPECT_FALSE((*list)[1].tls);
  EXPECT_FALSE(UrlListToGrpcEndpoints("https://a:1,ftp://b").ok());
}

}  // namespace
}  // namespace minik8s
