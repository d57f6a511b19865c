// InterPodAffinity through its PreFilter/Filter and PreScore/Score entry
// points, on hand-built nodes and pods.
#include "scheduler/plugins/inter_pod_affinity/inter_pod_affinity.h"

#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "scheduler/framework/types.h"
#include "tests/scheduler/test_util.h"

namespace minik8s::scheduler::plugins {
namespace {

using minik8s::core::v1::PodAffinityTerm;
using testutil::Labeled;
using testutil::MakeNode;
using testutil::MakePod;
using testutil::Share;
using testutil::ZonedNode;

constexpr const char* kZone = testutil::kZoneLabel;
constexpr const char* kHost = testutil::kHostnameLabel;

void Select(PodAffinityTerm* t, const std::string& key, const std::string& app) {
  t->set_topology_key(key);
  (*t->mutable_label_selector()->mutable_match_labels())["app"] = app;
}

PodAffinityTerm* RequireAffinity(Pod* p, const std::string& key, const std::string& app) {
  auto* t = p->mutable_spec()
                ->mutable_affinity()
                ->mutable_pod_affinity()
                ->add_required_during_scheduling_ignored_during_execution();
  Select(t, key, app);
  return t;
}

PodAffinityTerm* RequireAntiAffinity(Pod* p, const std::string& key, const std::string& app) {
  auto* t = p->mutable_spec()
                ->mutable_affinity()
                ->mutable_pod_anti_affinity()
                ->add_required_during_scheduling_ignored_during_execution();
  Select(t, key, app);
  return t;
}

void PreferAffinity(Pod* p, const std::string& key, const std::string& app, int weight,
                    bool anti = false) {
  auto* w = anti ? p->mutable_spec()
                       ->mutable_affinity()
                       ->mutable_pod_anti_affinity()
                       ->add_preferred_during_scheduling_ignored_during_execution()
                 : p->mutable_spec()
                       ->mutable_affinity()
                       ->mutable_pod_affinity()
                       ->add_preferred_during_scheduling_ignored_during_execution();
  w->set_weight(weight);
  Select(w->mutable_pod_affinity_term(), key, app);
}

using Cluster = testutil::PluginHarness<InterPodAffinity>;

TEST(InterPodAffinity, RequiredAffinityFollowsTheMatchingPodsDomain) {
  Cluster c;
  c.Add(ZonedNode("a1", "a"), {Labeled("cache", {{"app", "cache"}})});
  c.Add(ZonedNode("a2", "a"));
  c.Add(ZonedNode("b1", "b"));
  c.Add(ZonedNode("bare", ""));
  Pod web = Labeled("web", {{"app", "web"}});
  RequireAffinity(&web, kZone, "cache");
  EXPECT_EQ(c.Filter(web), (std::map<std::string, std::string>{
                               {"a1", ""},
                               {"a2", ""},
                               {"b1", kReasonAffinityRules},
                               {"bare", kReasonAffinityRules},
                           }));
}

TEST(InterPodAffinity, FirstPodOfASelfAffineGroupGoesAnywhere) {
  Cluster c;
  c.Add(ZonedNode("a1", "a"));
  c.Add(ZonedNode("bare", ""));
  Pod first = Labeled("first", {{"app", "web"}});
  RequireAffinity(&first, kZone, "web");
  // Nothing matches yet and the pod matches its own term: any node with
  // the key.
  EXPECT_EQ(c.Filter(first), (std::map<std::string, std::string>{
                                 {"a1", ""},
                                 {"bare", kReasonAffinityRules},
                             }));
  // A pod that does not match its own term waits for a matching one.
  Pod lonely = Labeled("lonely", {{"app", "other"}});
  RequireAffinity(&lonely, kZone, "web");
  EXPECT_EQ(c.Filter(lonely)["a1"], kReasonAffinityRules);
}

TEST(InterPodAffinity, RequiredAntiAffinityKeepsOneAPerNode) {
  Pod placed = Labeled("web-0", {{"app", "web"}});
  RequireAntiAffinity(&placed, kHost, "web");
  Cluster c;
  c.Add(ZonedNode("n1", "a"), {placed});
  c.Add(ZonedNode("n2", "a"));
  Pod next = Labeled("web-1", {{"app", "web"}});
  RequireAntiAffinity(&next, kHost, "web");
  EXPECT_EQ(c.Filter(next), (std::map<std::string, std::string>{
                                {"n1", kReasonAntiAffinityRules},
                                {"n2", ""},
                            }));
  // A pod without terms of its own is still kept off n1 by web-0's.
  Pod plain = Labeled("plain", {{"app", "web"}});
  EXPECT_EQ(c.Filter(plain)["n1"], kReasonExistingAntiAffinityRules);
  EXPECT_EQ(c.Filter(plain)["n2"], "");
  // Pods the placed pod's term does not match are not kept off.
  EXPECT_EQ(c.Filter(Labeled("db", {{"app", "db"}}))["n1"], "");
}

TEST(InterPodAffinity, NamespacesOfATerm) {
  Cluster c;
  c.Add(ZonedNode("n1", "a"), {Labeled("cache", {{"app", "cache"}}, "infra")});
  c.Add(ZonedNode("n2", "b"));
  Pod web = Labeled("web", {{"app", "web"}});
  auto* t = RequireAntiAffinity(&web, kZone, "cache");
  EXPECT_EQ(c.Filter(web)["n1"], "");  // the pod's own namespace only
  t->add_namespaces("infra");
  EXPECT_EQ(c.Filter(web)["n1"], kReasonAntiAffinityRules);
  t->clear_namespaces();
  t->mutable_namespace_selector();  // {}: every namespace
  EXPECT_EQ(c.Filter(web)["n1"], kReasonAntiAffinityRules);
}

TEST(InterPodAffinity, MatchAndMismatchLabelKeys) {
  Cluster c;
  c.Add(ZonedNode("n1", "a"), {Labeled("old", {{"app", "web"}, {"rev", "1"}})});
  c.Add(ZonedNode("n2", "b"));
  Pod web = Labeled("new", {{"app", "web"}, {"rev", "2"}});
  auto* t = RequireAntiAffinity(&web, kHost, "web");
  EXPECT_EQ(c.Filter(web)["n1"], kReasonAntiAffinityRules);
  t->add_match_label_keys("rev");  // only rev=2 pods count
  EXPECT_EQ(c.Filter(web)["n1"], "");
  t->clear_match_label_keys();
  t->add_mismatch_label_keys("rev");  // only pods with another rev count
  EXPECT_EQ(c.Filter(web)["n1"], kReasonAntiAffinityRules);
}

TEST(InterPodAffinity, PodsWithoutTermsAreLeftAlone) {
  Cluster c;
  c.Add(ZonedNode("n1", "a"), {Labeled("web", {{"app", "web"}})});
  Pod plain = Labeled("plain", {{"app", "web"}});
  EXPECT_EQ(c.Filter(plain)["n1"], "");
  EXPECT_TRUE(c.Score(plain).empty());
}

TEST(InterPodAffinity, PreferredTermsScoreDomains) {
  Cluster c;
  c.Add(ZonedNode("a1", "a"), {Labeled("cache", {{"app", "cache"}})});
  c.Add(ZonedNode("b1", "b"), {Labeled("noisy", {{"app", "noisy"}})});
  c.Add(ZonedNode("c1", "c"));
  Pod web = Labeled("web", {{"app", "web"}});
  PreferAffinity(&web, kZone, "cache", 10);
  PreferAffinity(&web, kZone, "noisy", 5, /*anti=*/true);
  // Raw a = 10, b = -5, c = 0; 100 * (s - min) / (max - min).
  EXPECT_EQ(c.Score(web), (std::map<std::string, int64_t>{
                              {"a1", 100},
                              {"b1", 0},
                              {"c1", 33},
                          }));
}

TEST(InterPodAffinity, PlacedPodsTermsScoreTheIncomingPod) {
  Pod wants_web = Labeled("sidecar", {{"app", "sidecar"}});
  RequireAffinity(&wants_web, kZone, "web");  // hard: weight 1 for web pods
  Pod prefers_web = Labeled("cache", {{"app", "cache"}});
  PreferAffinity(&prefers_web, kZone, "web", 3);
  Pod avoids_web = Labeled("batch", {{"app", "batch"}});
  PreferAffinity(&avoids_web, kZone, "web", 4, /*anti=*/true);
  Cluster c;
  c.Add(ZonedNode("a1", "a"), {wants_web});
  c.Add(ZonedNode("b1", "b"), {prefers_web});
  c.Add(ZonedNode("c1", "c"), {avoids_web});
  // Raw a = 1, b = 3, c = -4: 100 * (s + 4) / 7.
  EXPECT_EQ(c.Score(Labeled("web", {{"app", "web"}})), (std::map<std::string, int64_t>{
                                                           {"a1", 71},
                                                           {"b1", 100},
                                                           {"c1", 0},
                                                       }));
}

}  // namespace
}  // namespace minik8s::scheduler::plugins
