#include "runtime/image_name.h"

#include "common/unix_socket.h"
#include "gtest/gtest.h"
#include "runtime/cri_log.h"
#include "runtime/endpoint.h"

namespace minik8s::runtime {
namespace {

TEST(NormalizeImageName, FollowsDockerReferenceRules) {
  EXPECT_EQ(NormalizeImageName("nginx"), "docker.io/library/nginx:latest");
  EXPECT_EQ(NormalizeImageName("nginx:1.14.2"), "docker.io/library/nginx:1.14.2");
  EXPECT_EQ(NormalizeImageName("bitnami/redis"), "docker.io/bitnami/redis:latest");
  EXPECT_EQ(NormalizeImageName("localhost:5000/app"), "localhost:5000/app:latest");
  EXPECT_EQ(NormalizeImageName("registry.k8s.io/pause:3.9"), "registry.k8s.io/pause:3.9");
  EXPECT_EQ(NormalizeImageName("docker.io/library/busybox:1.36"), "docker.io/library/busybox:1.36");
  EXPECT_EQ(NormalizeImageName("gcr.io/x/y@sha256:abc"), "gcr.io/x/y@sha256:abc");
  EXPECT_EQ(NormalizeImageName("  "), "");
  EXPECT_EQ(ImageRepository("docker.io/library/nginx:1.14.2"), "docker.io/library/nginx");
  EXPECT_EQ(ImageRepository("localhost:5000/app:latest"), "localhost:5000/app");
}

TEST(Sha256Hex, MatchesTheStandardTestVector) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(CriLog, FormatsAndParsesLines) {
  cri::LogEntry e;
  e.set_timestamp(absl::ToUnixNanos(absl::FromUnixSeconds(1704067200) + absl::Nanoseconds(5)));
  e.set_stream("stdout");
  e.set_text("hello world");
  std::string line = FormatCriLogLine(e);
  EXPECT_EQ(line, "2024-01-01T00:00:00.000000005Z stdout F hello world\n");
  auto parsed = ParseCriLogLine(line);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->timestamp(), e.timestamp());
  EXPECT_EQ(parsed->text(), "hello world");
  EXPECT_FALSE(ParseCriLogLine("garbage").ok());
}

TEST(Endpoint, AcceptsUnixUrlsPathsAndHostPorts) {
  EXPECT_EQ(*RuntimeEndpointToGrpcAddress("unix:///tmp/x.sock"), "unix:///tmp/x.sock");
  EXPECT_EQ(*RuntimeEndpointToGrpcAddress("/tmp/x.sock"), "unix:///tmp/x.sock");
  EXPECT_EQ(*RuntimeEndpointToGrpcAddress("127.0.0.1:7000"), "127.0.0.1:7000");
  EXPECT_FALSE(RuntimeEndpointToGrpcAddress("").ok());
  EXPECT_FALSE(RuntimeEndpointToGrpcAddress("unix://").ok());
  EXPECT_EQ(UnixSocketPath("unix:///tmp/x.sock"), "/tmp/x.sock");
  EXPECT_EQ(UnixSocketPath("127.0.0.1:7000"), "");
}

}  // namespace
}  // namespace minik8s::runtime
