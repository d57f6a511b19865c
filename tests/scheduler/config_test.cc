#include "scheduler/config.h"

#include "gtest/gtest.h"

namespace minik8s::scheduler {
namespace {

TEST(SchedulerConfig, EmptyMeansDefaults) {
  auto c = ParseSchedulerConfig("");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->profile.filter_plugins, plugins::DefaultFilterPlugins());
  EXPECT_FALSE(c->scheduler_name.has_value());
}

TEST(SchedulerConfig, PluginsAndWeights) {
  auto c = ParseSchedulerConfig(R"(
schedulerName: my-scheduler
percentageOfNodesToScore: 30
plugins:
  filter:
    - NodeUnschedulable
    - name: NodeResourcesFit
  score:
    - name: NodeResourcesBalancedAllocation
      weight: 5
    - SelectorSpread
)");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(*c->scheduler_name, "my-scheduler");
  EXPECT_EQ(*c->percentage_of_nodes_to_score, 30);
  EXPECT_EQ(c->profile.filter_plugins,
            (std::vector<std::string>{"NodeUnschedulable", "NodeResourcesFit"}));
  ASSERT_EQ(c->profile.score_plugins.size(), 2u);
  EXPECT_EQ(c->profile.score_plugins[0].name, "NodeResourcesBalancedAllocation");
  EXPECT_EQ(c->profile.score_plugins[0].weight, 5);
  EXPECT_EQ(c->profile.score_plugins[1].weight, 1);
  auto fw = Framework::Create(c->profile);
  ASSERT_TRUE(fw.ok()) << fw.status();
  EXPECT_EQ((*fw)->ScoreNames(),
            (std::vector<std::string>{"NodeResourcesBalancedAllocation", "SelectorSpread"}));
}

TEST(SchedulerConfig, Errors) {
  EXPECT_FALSE(ParseSchedulerConfig("bogus: 1").ok());
  EXPECT_FALSE(ParseSchedulerConfig("percentageOfNodesToScore: 101").ok());
  EXPECT_FALSE(ParseSchedulerConfig("plugins: {filter: x}").ok());
  EXPECT_FALSE(ParseSchedulerConfig("plugins: [").ok());
  Profile unknown;
  unknown.filter_plugins = {"NoSuchPlugin"};
  EXPECT_EQ(Framework::Create(unknown).status().message(), "unknown plugin \"NoSuchPlugin\"");
  Profile not_filter;
  not_filter.filter_plugins = {"SelectorSpread"};
  EXPECT_FALSE(Framework::Create(not_filter).ok());
  Profile zero_weight;
  zero_weight.score_plugins = {{"SelectorSpread", 0}};
  EXPECT_FALSE(Framework::Create(zero_weight).ok());
}

}  // namespace
}  // namespace minik8s::scheduler
