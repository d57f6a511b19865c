// ReplicaSetController::Sync against in-memory caches and a fake client:
// creates with ownerReferences, expectations, ranked deletes, adoption,
// release, status, slow-start stop on error, events.
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "api/errors.h"
#include "api/time.h"
#include "client/event_recorder.h"
#include "client/indexer.h"
#include "common/fake_clock.h"
#include "controllers/replicaset/replica_set_controller.h"
#include "gtest/gtest.h"

namespace minik8s::controllers {
namespace {

using minik8s::apps::v1::ReplicaSet;
using minik8s::core::v1::Event;
using minik8s::core::v1::Pod;

class FakeSink : public client::EventSink {
 public:
  absl::StatusOr<Event> Create(const Event& e) override {
    absl::MutexLock l(&mu);
    events.push_back(e);
    return e;
  }
  absl::StatusOr<Event> Patch(absl::string_view, absl::string_view, absl::string_view) override {
    return absl::NotFoundError("no");
  }
  std::vector<std::string> Messages() {
    absl::MutexLock l(&mu);
    std::vector<std::string> out;
    for (const Event& e : events) out.push_back(e.reason() + ": " + e.message());
    return out;
  }
  absl::Mutex mu;
  std::vector<Event> events;
};

class FakeClient : public ReplicaSetClient {
 public:
  absl::StatusOr<Pod> CreatePod(const Pod& pod) override {
    absl::MutexLock l(&mu);
    if (create_failures_after >= 0 && static_cast<int>(created.size()) >= create_failures_after) {
      return absl::ResourceExhaustedError("exceeded quota");
    }
    Pod p = pod;
    p.mutable_metadata()->set_name(pod.metadata().generate_name() + std::to_string(created.size()));
    p.mutable_metadata()->set_uid("pod-uid-" + std::to_string(created.size()));
    created.push_back(p);
    return p;
  }
  absl::Status DeletePod(absl::string_view ns, absl::string_view name) override {
    absl::MutexLock l(&mu);
    deleted.push_back(std::string(name));
    return absl::OkStatus();
  }
  absl::StatusOr<Pod> UpdatePod(const Pod& pod) override {
    absl::MutexLock l(&mu);
    updated.push_back(pod);
    return pod;
  }
  absl::StatusOr<ReplicaSet> GetReplicaSet(absl::string_view, absl::string_view) override {
    absl::MutexLock l(&mu);
    return rs;
  }
  absl::StatusOr<ReplicaSet> UpdateReplicaSetStatus(const ReplicaSet& r) override {
    absl::MutexLock l(&mu);
    statuses.push_back(r);
    return r;
  }
  absl::Mutex mu;
  ReplicaSet rs;
  int create_failures_after = -1;
  std::vector<Pod> created, updated;
  std::vector<std::string> deleted;
  std::vector<ReplicaSet> statuses;
};

class ReplicaSetSyncTest : public ::testing::Test {
 protected:
  ReplicaSetSyncTest()
      : rs_cache_(client::DefaultIndexersFor(ReplicaSet::descriptor())),
        pod_cache_(client::DefaultIndexersFor(Pod::descriptor())),
        recorder_(&sink_, {.component = "replicaset-controller", .clock = &clock_}),
        controller_(client::Lister<ReplicaSet>(&rs_cache_), client::Lister<Pod>(&pod_cache_),
                    &client_, &recorder_, {.clock = &clock_}) {}

  ReplicaSet MakeRs(int replicas) {
    ReplicaSet rs;
    rs.mutable_metadata()->set_name("web");
    rs.mutable_metadata()->set_namespace_("default");
    rs.mutable_metadata()->set_uid("rs-uid");
    rs.mutable_metadata()->set_generation(2);
    rs.mutable_spec()->set_replicas(replicas);
    (*rs.mutable_spec()->mutable_selector()->mutable_match_labels())["app"] = "web";
    (*rs.mutable_spec()->mutable_template_()->mutable_metadata()->mutable_labels())["app"] = "web";
    rs.mutable_spec()->mutable_template_()->mutable_spec()->add_containers()->set_image("nginx");
    client_.rs = rs;
    rs_cache_.Upsert(std::make_shared<ReplicaSet>(rs));
    return rs;
  }

  // Feeds the pods the fake created back into the cache (as the informer would).
  void ObserveCreated() {
    std::vector<Pod> created;
    {
      absl::MutexLock l(&client_.mu);
      created = client_.created;
    }
    for (const Pod& p : created) {
      if (pod_cache_.Get("default", p.metadata().name()) != nullptr) continue;
      auto ptr = std::make_shared<Pod>(p);
      pod_cache_.Upsert(ptr);
      controller_.OnPodAdd(ptr);
    }
  }

  Pod AddPod(const std::string& name, bool owned, const std::string& node, bool ready) {
    Pod p;
    p.mutable_metadata()->set_name(name);
    p.mutable_metadata()->set_namespace_("default");
    p.mutable_metadata()->set_uid("uid-" + name);
    p.mutable_metadata()->set_resource_version("1");
    (*p.mutable_metadata()->mutable_labels())["app"] = "web";
    if (owned) {
      auto* ref = p.mutable_metadata()->add_owner_references();
      ref->set_kind("ReplicaSet");
      ref->set_name("web");
      ref->set_uid("rs-uid");
      ref->set_controller(true);
    }
    p.mutable_spec()->set_node_name(node);
    p.mutable_status()->set_phase(node.empty() ? "Pending" : "Running");
    auto* c = p.mutable_status()->add_conditions();
    c->set_type("Ready");
    c->set_status(ready ? "True" : "False");
    *c->mutable_last_transition_time() = api::ToProtoTime(clock_.Now() - absl::Hours(1));
    pod_cache_.Upsert(std::make_shared<Pod>(p));
    return p;
  }

  common::FakeClock clock_;
  client::Indexer rs_cache_, pod_cache_;
  FakeSink sink_;
  FakeClient client_;
  client::EventRecorder recorder_;
  ReplicaSetController controller_;
};

TEST_F(ReplicaSetSyncTest, CreatesPodsFromTemplateWithControllerRef) {
  MakeRs(3);
  ASSERT_TRUE(controller_.Sync("default/web").ok());
  ASSERT_EQ(client_.created.size(), 3u);
  const Pod& p = client_.created[0];
  EXPECT_EQ(p.metadata().generate_name(), "web-");
  EXPECT_EQ(p.metadata().labels().at("app"), "web");
  ASSERT_EQ(p.metadata().owner_references_size(), 1);
  EXPECT_EQ(p.metadata().owner_references(0).uid(), "rs-uid");
  EXPECT_EQ(p.metadata().owner_references(0).kind(), "ReplicaSet");
  EXPECT_TRUE(p.metadata().owner_references(0).controller());
  EXPECT_TRUE(p.metadata().owner_references(0).block_owner_deletion());

  // Before the creations are observed, a second sync does nothing more.
  ASSERT_TRUE(controller_.Sync("default/web").ok());
  EXPECT_EQ(client_.created.size(), 3u);
  ObserveCreated();
  ASSERT_TRUE(controller_.Sync("default/web").ok());
  EXPECT_EQ(client_.created.size(), 3u);
  ASSERT_FALSE(client_.statuses.empty());
  EXPECT_EQ(client_.statuses.back().status().replicas(), 3);
  EXPECT_EQ(client_.statuses.back().status().observed_generation(), 2);
  recorder_.Flush();
  auto messages = sink_.Messages();
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0].rfind("SuccessfulCreate: Created pod: web-", 0), 0u) << messages[0];
}

TEST_F(ReplicaSetSyncTest, SlowStartStopsAtFirstFailure) {
  MakeRs(10);
  client_.create_failures_after = 3;  // batches 1, 2 succeed; batch of 4 fails
  absl::Status s = controller_.Sync("default/web");
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(client_.created.size(), 3u);
  // Skipped creations were subtracted: only the 3 real ones are awaited.
  EXPECT_EQ(controller_.expectations()->Pending("default/web").first, 3);
  ASSERT_FALSE(client_.statuses.empty());
  const auto& conds = client_.statuses.back().status().conditions();
  ASSERT_EQ(conds.size(), 1);
  EXPECT_EQ(conds[0].type(), "ReplicaFailure");
  EXPECT_EQ(conds[0].reason(), "FailedCreate");
  recorder_.Flush();
  bool failed_event = false;
  for (const auto& m : sink_.Messages()) {
    if (m == "FailedCreate: Error creating: exceeded quota") failed_event = true;
  }
  EXPECT_TRUE(failed_event);
}

TEST_F(ReplicaSetSyncTest, DeletesLowestRankedPodsFirst) {
  MakeRs(2);
  AddPod("ready-a", true, "n1", true);
  AddPod("unscheduled", true, "", false);
  AddPod("ready-b", true, "n2", true);
  AddPod("not-ready", true, "n1", false);
  ASSERT_TRUE(controller_.Sync("default/web").ok());
  std::vector<std::string> deleted = client_.deleted;
  std::sort(deleted.begin(), deleted.end());
  EXPECT_EQ(deleted, (std::vector<std::string>{"not-ready", "unscheduled"}));
  EXPECT_EQ(controller_.expectations()->Pending("default/web").second, 2);
  EXPECT_FALSE(controller_.expectations()->SatisfiedExpectations("default/web"));
}

TEST_F(ReplicaSetSyncTest, AdoptsMatchingOrphansAndReleasesMismatches) {
  MakeRs(2);
  AddPod("orphan", false, "n1", true);
  Pod stray = AddPod("stray", true, "n1", true);
  (*stray.mutable_metadata()->mutable_labels())["app"] = "other";
  pod_cache_.Upsert(std::make_shared<Pod>(stray));
  ASSERT_TRUE(controller_.Sync("default/web").ok());
  ASSERT_EQ(client_.updated.size(), 2u);
  for (const Pod& p : client_.updated) {
    if (p.metadata().name() == "orphan") {
      ASSERT_EQ(p.metadata().owner_references_size(), 1);
      EXPECT_EQ(p.metadata().owner_references(0).uid(), "rs-uid");
    } else {
      EXPECT_EQ(p.metadata().name(), "stray");
      EXPECT_EQ(p.metadata().owner_references_size(), 0);
    }
  }
  // One adopted pod counts; one more is created.
  EXPECT_EQ(client_.created.size(), 1u);
}

TEST_F(ReplicaSetSyncTest, IgnoresFinishedAndTerminatingPodsAndReportsStatus) {
  ReplicaSet rs = MakeRs(2);
  rs.mutable_spec()->set_min_ready_seconds(30);
  rs_cache_.Upsert(std::make_shared<ReplicaSet>(rs));
  AddPod("a", true, "n1", true);
  Pod b = AddPod("b", true, "n1", true);
  b.mutable_status()->mutable_conditions(0)->mutable_last_transition_time()->set_seconds(
      absl::ToUnixSeconds(clock_.Now()) - 10);
  pod_cache_.Upsert(std::make_shared<Pod>(b));
  Pod done = AddPod("done", true, "n1", false);
  done.mutable_status()->set_phase("Succeeded");
  pod_cache_.Upsert(std::make_shared<Pod>(done));
  Pod going = AddPod("going", true, "n1", true);
  *going.mutable_metadata()->mutable_deletion_timestamp() = api::ToProtoTime(clock_.Now());
  pod_cache_.Upsert(std::make_shared<Pod>(going));
  ASSERT_TRUE(controller_.Sync("default/web").ok());
  EXPECT_TRUE(client_.created.empty());
  EXPECT_TRUE(client_.deleted.empty());
  ASSERT_FALSE(client_.statuses.empty());
  const auto& st = client_.statuses.back().status();
  EXPECT_EQ(st.replicas(), 2);
  EXPECT_EQ(st.fully_labeled_replicas(), 2);
  EXPECT_EQ(st.ready_replicas(), 2);
  EXPECT_EQ(st.available_replicas(), 1);  // b is ready for only 10 s of 30
}

TEST_F(ReplicaSetSyncTest, DeletedReplicaSetIsDone) {
  EXPECT_TRUE(controller_.Sync("default/gone").ok());
  EXPECT_TRUE(client_.created.empty());
}

}  // namespace
}  // namespace minik8s::controllers
