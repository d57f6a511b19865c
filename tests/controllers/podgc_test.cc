// PodGCController::GcOnce on a fake clock and in-memory caches: orphaned
// pods go only after the node's quarantine and a live NotFound; unscheduled
// terminating pods go at once; everything else stays.
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "api/time.h"
#include "client/indexer.h"
#include "common/fake_clock.h"
#include "controllers/podgc/pod_gc_controller.h"
#include "gtest/gtest.h"

namespace minik8s::controllers {
namespace {

using minik8s::core::v1::Node;
using minik8s::core::v1::Pod;

// The apiserver's view of nodes is `live_nodes`; deletes leave the cache.
class FakeClient : public PodGCClient {
 public:
  explicit FakeClient(client::Indexer* pods) : pods_(pods) {}
  absl::Status GetNode(absl::string_view name) override {
    lookups.push_back(std::string(name));
    if (!get_error.ok()) return get_error;
    return live_nodes.contains(name) ? absl::OkStatus() : absl::NotFoundError("node not found");
  }
  absl::Status ForceDeletePod(absl::string_view ns, absl::string_view name) override {
    deleted.push_back(std::string(name));
    pods_->Delete(std::string(ns) + "/" + std::string(name));
    return absl::OkStatus();
  }
  absl::flat_hash_set<std::string> live_nodes;
  absl::Status get_error;
  std::vector<std::string> lookups, deleted;

 private:
  client::Indexer* pods_;
};

class PodGCTest : public ::testing::Test {
 protected:
  PodGCTest()
      : nodes_(client::DefaultIndexersFor(Node::descriptor())),
        pods_(client::DefaultIndexersFor(Pod::descriptor())) {
    auto c = std::make_unique<FakeClient>(&pods_);
    client_ = c.get();
    gc_ = std::make_unique<PodGCController>(
        client::Lister<Pod>(&pods_), client::Lister<Node>(&nodes_), std::move(c),
        PodGCOptions{
            .period = absl::Seconds(20), .quarantine = absl::Seconds(40), .clock = &clock_});
  }

  void AddNode(const std::string& name) {
    Node n;
    n.mutable_metadata()->set_name(name);
    nodes_.Upsert(std::make_shared<Node>(n));
    client_->live_nodes.insert(name);
  }
  void AddPod(const std::string& name, const std::string& node, bool terminating = false) {
    Pod p;
    p.mutable_metadata()->set_name(name);
    p.mutable_metadata()->set_namespace_("default");
    p.mutable_spec()->set_node_name(node);
    if (terminating) {
      *p.mutable_metadata()->mutable_deletion_timestamp() = api::ToProtoTime(clock_.Now());
    }
    pods_.Upsert(std::make_shared<Pod>(p));
  }

  common::FakeClock clock_;
  client::Indexer nodes_, pods_;
  FakeClient* client_;
  std::unique_ptr<PodGCController> gc_;
};

TEST_F(PodGCTest, OrphanedPodIsDeletedAfterQuarantineAndLiveNotFound) {
  AddNode("node-1");
  AddPod("on-live-node", "node-1");
  AddPod("orphan", "node-gone");
  AddPod("pending", "");  // not scheduled, not terminating: the scheduler's business

  ASSERT_TRUE(gc_->GcOnce().ok());
  EXPECT_TRUE(client_->deleted.empty());  // quarantined, not yet asked
  EXPECT_TRUE(client_->lookups.empty());
  clock_.Advance(absl::Seconds(39));
  ASSERT_TRUE(gc_->GcOnce().ok());
  EXPECT_TRUE(client_->deleted.empty());

  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(gc_->GcOnce().ok());
  EXPECT_EQ(client_->lookups, (std::vector<std::string>{"node-gone"}));
  EXPECT_EQ(client_->deleted, (std::vector<std::string>{"orphan"}));
  EXPECT_NE(client::Lister<Pod>(&pods_).Get("default", "on-live-node"), nullptr);
  EXPECT_NE(client::Lister<Pod>(&pods_).Get("default", "pending"), nullptr);
}

TEST_F(PodGCTest, NodeMissingOnlyFromTheCacheKeepsItsPods) {
  // The informer lags: the apiserver has the node, the cache does not.
  client_->live_nodes.insert("node-new");
  AddPod("fresh", "node-new");
  ASSERT_TRUE(gc_->GcOnce().ok());
  clock_.Advance(absl::Seconds(40));
  ASSERT_TRUE(gc_->GcOnce().ok());
  EXPECT_EQ(client_->lookups, (std::vector<std::string>{"node-new"}));
  EXPECT_TRUE(client_->deleted.empty());
}

TEST_F(PodGCTest, LookupErrorIsReturnedAndNothingDeleted) {
  AddPod("orphan", "node-gone");
  ASSERT_TRUE(gc_->GcOnce().ok());
  clock_.Advance(absl::Seconds(40));
  client_->get_error = absl::UnavailableError("apiserver down");
  EXPECT_EQ(gc_->GcOnce().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(client_->deleted.empty());
  client_->get_error = absl::OkStatus();
  ASSERT_TRUE(gc_->GcOnce().ok());
  EXPECT_EQ(client_->deleted, (std::vector<std::string>{"orphan"}));
}

TEST_F(PodGCTest, NodeThatComesBackLeavesQuarantine) {
  AddPod("p", "node-1");
  ASSERT_TRUE(gc_->GcOnce().ok());
  clock_.Advance(absl::Seconds(30));
  AddNode("node-1");  // appears in the cache: forgotten
  ASSERT_TRUE(gc_->GcOnce().ok());
  // Gone again: the quarantine starts over.
  ASSERT_NE(nodes_.Delete("node-1"), nullptr);
  client_->live_nodes.erase("node-1");
  ASSERT_TRUE(gc_->GcOnce().ok());
  clock_.Advance(absl::Seconds(30));
  ASSERT_TRUE(gc_->GcOnce().ok());
  EXPECT_TRUE(client_->lookups.empty());
  EXPECT_TRUE(client_->deleted.empty());
  clock_.Advance(absl::Seconds(10));
  ASSERT_TRUE(gc_->GcOnce().ok());
  EXPECT_EQ(client_->deleted, (std::vector<std::string>{"p"}));
}

TEST_F(PodGCTest, UnscheduledTerminatingPodIsDeletedAtOnce) {
  AddNode("node-1");
  AddPod("unscheduled-terminating", "", /*terminating=*/true);
  AddPod("scheduled-terminating", "node-1", /*terminating=*/true);  // its kubelet finishes it
  ASSERT_TRUE(gc_->GcOnce().ok());
  EXPECT_EQ(client_->deleted, (std::vector<std::string>{"unscheduled-terminating"}));
  EXPECT_TRUE(client_->lookups.empty());
}

}  // namespace
}  // namespace minik8s::controllers
