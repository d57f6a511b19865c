// The pure parts of `mkctl logs -l` / --all-containers / --prefix /
// --max-log-requests, against what kubectl v1.32 prints.
#include "kubectl/logs/multi_logs.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace minik8s::kubectl {
namespace {

using ::testing::ElementsAre;

TEST(MultiLogsTest, SelectorAndPodExcludeEachOther) {
  EXPECT_TRUE(CheckLogsSelection(true, "").ok());
  EXPECT_TRUE(CheckLogsSelection(false, "app=web").ok());
  absl::Status both = CheckLogsSelection(true, "app=web");
  EXPECT_EQ(both.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(both.message(), "only a selector (-l) or a POD name is allowed");
}

TEST(MultiLogsTest, SelectorDefaultsTheTailToTenLines) {
  EXPECT_EQ(EffectiveTail(-1, false), -1);
  EXPECT_EQ(EffectiveTail(-1, true), 10);
  EXPECT_EQ(EffectiveTail(3, true), 3);
  EXPECT_EQ(EffectiveTail(0, true), 0);
}

TEST(MultiLogsTest, FollowConcurrencyIsLimited) {
  // Without -f the logs are read one after the other: no limit.
  EXPECT_TRUE(CheckFollowConcurrency(false, 12, kDefaultMaxLogRequests).ok());
  EXPECT_TRUE(CheckFollowConcurrency(true, 5, kDefaultMaxLogRequests).ok());
  // A single stream is never refused.
  EXPECT_TRUE(CheckFollowConcurrency(true, 1, 0).ok());
  absl::Status six = CheckFollowConcurrency(true, 6, kDefaultMaxLogRequests);
  EXPECT_EQ(six.message(),
            "you are attempting to follow 6 log streams, but maximum allowed concurrency is 5, "
            "use --max-log-requests to increase the limit");
  EXPECT_TRUE(CheckFollowConcurrency(true, 6, 6).ok());
}

TEST(MultiLogsTest, PrefixNamesPodAndContainer) {
  EXPECT_EQ(LogPrefix("web-1", "nginx"), "[pod/web-1/nginx] ");
}

TEST(MultiLogsTest, PrefixerStartsEveryLineAcrossChunks) {
  LinePrefixer p("[pod/a/c] ");
  std::string out = p.Apply("one\ntw");
  out += p.Apply("o\n");
  out += p.Apply("three\n");
  EXPECT_EQ(out, "[pod/a/c] one\n[pod/a/c] two\n[pod/a/c] three\n");
  EXPECT_EQ(p.Apply(""), "");
}

TEST(MultiLogsTest, AllContainersListsInitContainersFirst) {
  core::v1::Pod pod;
  pod.mutable_spec()->add_containers()->set_name("app");
  pod.mutable_spec()->add_containers()->set_name("sidecar");
  pod.mutable_spec()->add_init_containers()->set_name("setup");
  EXPECT_THAT(AllContainerNames(pod), ElementsAre("setup", "app", "sidecar"));
}

}  // namespace
}  // namespace minik8s::kubectl
