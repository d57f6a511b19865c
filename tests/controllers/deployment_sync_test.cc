// DeploymentController::Sync against in-memory caches and a fake client that
// writes straight back into them (as the informers would deliver).
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "api/intstr.h"
#include "api/time.h"
#include "client/event_recorder.h"
#include "client/indexer.h"
#include "common/fake_clock.h"
#include "controllers/deployment/deployment_controller.h"
#include "gtest/gtest.h"

namespace minik8s::controllers::deployment {
namespace {

using minik8s::core::v1::Event;
using minik8s::core::v1::Pod;

class Sink : public client::EventSink {
 public:
  absl::StatusOr<Event> Create(const Event& e) override {
    absl::MutexLock l(&mu);
    messages.push_back(e.reason() + ": " + e.message());
    return e;
  }
  absl::StatusOr<Event> Patch(absl::string_view, absl::string_view, absl::string_view) override {
    return absl::NotFoundError("no");
  }
  absl::Mutex mu;
  std::vector<std::string> messages;
};

class CacheClient : public DeploymentClient {
 public:
  CacheClient(client::Indexer* ds, client::Indexer* rss, common::Clock* clock)
      : ds_(ds), rss_(rss), clock_(clock) {}
  absl::StatusOr<Deployment> GetDeployment(absl::string_view ns, absl::string_view name) override {
    auto o = ds_->Get(ns, name);
    if (!o) return absl::NotFoundError("no");
    return static_cast<const Deployment&>(*o);
  }
  absl::StatusOr<Deployment> UpdateDeployment(const Deployment& d) override { return Store(d); }
  absl::StatusOr<Deployment> UpdateDeploymentStatus(const Deployment& d) override {
    return Store(d);
  }
  absl::StatusOr<ReplicaSet> CreateReplicaSet(const ReplicaSet& rs) override {
    const std::string& name = rs.metadata().name();
    if (rss_->Get(rs.metadata().namespace_(), name) != nullptr || unseen.contains(name)) {
      return absl::AlreadyExistsError(absl::StrCat("replicasets \"", name, "\" already exists"));
    }
    if (lose_answers) {
      // Stored, but the answer is lost and the informer has not seen it.
      unseen[name] = rs;
      return absl::UnavailableError("connection reset");
    }
    ReplicaSet r = rs;
    r.mutable_metadata()->set_uid("uid-" + rs.metadata().name());
    *r.mutable_metadata()->mutable_creation_timestamp() = api::ToProtoTime(clock_->Now());
    r.mutable_metadata()->set_resource_version(absl::StrCat(++rv_));
    rss_->Upsert(std::make_shared<ReplicaSet>(r));
    return r;
  }
  absl::StatusOr<ReplicaSet> UpdateReplicaSet(const ReplicaSet& rs) override {
    ReplicaSet r = rs;
    r.mutable_metadata()->set_resource_version(absl::StrCat(++rv_));
    rss_->Upsert(std::make_shared<ReplicaSet>(r));
    return r;
  }
  absl::Status DeleteReplicaSet(absl::string_view ns, absl::string_view name) override {
    deleted.push_back(std::string(name));
    rss_->Delete(absl::StrCat(ns, "/", name));
    return absl::OkStatus();
  }
  // The cache catches up with every ReplicaSet created while answers were lost.
  void CatchUp() {
    for (const auto& [name, rs] : unseen) {
      ReplicaSet r = rs;
      r.mutable_metadata()->set_uid("uid-" + name);
      r.mutable_metadata()->set_resource_version(absl::StrCat(++rv_));
      rss_->Upsert(std::make_shared<ReplicaSet>(r));
    }
    unseen.clear();
  }
  std::vector<std::string> deleted;
  bool lose_answers = false;
  std::map<std::string, ReplicaSet> unseen;

 private:
  Deployment Store(const Deployment& d) {
    Deployment out = d;
    out.mutable_metadata()->set_resource_version(absl::StrCat(++rv_));
    ds_->Upsert(std::make_shared<Deployment>(out));
    return out;
  }
  client::Indexer* ds_;
  client::Indexer* rss_;
  common::Clock* clock_;
  int rv_ = 100;
};

class DeploymentSyncTest : public ::testing::Test {
 protected:
  DeploymentSyncTest()
      : ds_(client::DefaultIndexersFor(Deployment::descriptor())),
        rss_(client::DefaultIndexersFor(ReplicaSet::descriptor())),
        pods_(client::DefaultIndexersFor(Pod::descriptor())),
        client_(&ds_, &rss_, &clock_),
        recorder_(&sink_, {.component = "deployment-controller", .clock = &clock_}),
        controller_(client::Lister<Deployment>(&ds_), client::Lister<ReplicaSet>(&rss_),
                    client::Lister<Pod>(&pods_), &client_, &recorder_, {.clock = &clock_}) {}

  Deployment Put(int replicas, const std::string& image) {
    Deployment d;
    d.mutable_metadata()->set_name("web");
    d.mutable_metadata()->set_namespace_("default");
    d.mutable_metadata()->set_uid("d-uid");
    d.mutable_metadata()->set_generation(++generation_);
    d.mutable_spec()->set_replicas(replicas);
    d.mutable_spec()->set_revision_history_limit(1);
    d.mutable_spec()->set_progress_deadline_seconds(600);
    (*d.mutable_spec()->mutable_selector()->mutable_match_labels())["app"] = "web";
    d.mutable_spec()->mutable_strategy()->set_type("RollingUpdate");
    auto* ru = d.mutable_spec()->mutable_strategy()->mutable_rolling_update();
    *ru->mutable_max_surge() = api::IntOrStringFromInt(2);
    *ru->mutable_max_unavailable() = api::IntOrStringFromInt(2);
    auto* t = d.mutable_spec()->mutable_template_();
    (*t->mutable_metadata()->mutable_labels())["app"] = "web";
    t->mutable_spec()->add_containers()->set_image(image);
    if (auto old = ds_.Get("default", "web")) {
      *d.mutable_metadata()->mutable_annotations() = client::MetaOf(*old).annotations();
      *d.mutable_status() = static_cast<const Deployment&>(*old).status();
    }
    ds_.Upsert(std::make_shared<Deployment>(d));
    return d;
  }

  // The ReplicaSet controller's part: every RS gets status = spec, all available.
  void SettleReplicaSets() {
    for (const auto& o : rss_.List()) {
      ReplicaSet rs = static_cast<const ReplicaSet&>(*o);
      rs.mutable_status()->set_replicas(rs.spec().replicas());
      rs.mutable_status()->set_ready_replicas(rs.spec().replicas());
      rs.mutable_status()->set_available_replicas(rs.spec().replicas());
      rs.mutable_status()->set_observed_generation(rs.metadata().generation());
      rss_.Upsert(std::make_shared<ReplicaSet>(rs));
    }
  }

  std::shared_ptr<const ReplicaSet> Rs(const std::string& image) {
    for (const auto& o : rss_.List()) {
      const auto& rs = static_cast<const ReplicaSet&>(*o);
      if (rs.spec().template_().spec().containers(0).image() == image) {
        return std::make_shared<ReplicaSet>(rs);
      }
    }
    return nullptr;
  }

  std::vector<std::string> Events() {
    recorder_.Flush();
    absl::MutexLock l(&sink_.mu);
    return sink_.messages;
  }

  common::FakeClock clock_;
  client::Indexer ds_, rss_, pods_;
  CacheClient client_;
  Sink sink_;
  client::EventRecorder recorder_;
  DeploymentController controller_;
  int generation_ = 0;
};

TEST_F(DeploymentSyncTest, CreatesTheNewReplicaSet) {
  Deployment d = Put(3, "nginx:1");
  ASSERT_TRUE(controller_.Sync("default/web").ok());
  auto rs = Rs("nginx:1");
  ASSERT_NE(rs, nullptr);
  const std::string hash = ComputeHash(d.spec().template_(), std::nullopt);
  EXPECT_EQ(rs->metadata().name(), "web-" + hash);
  EXPECT_EQ(rs->metadata().labels().at(kPodTemplateHashLabel), hash);
  EXPECT_EQ(rs->spec().selector().match_labels().at(kPodTemplateHashLabel), hash);
  EXPECT_EQ(rs->spec().template_().metadata().labels().at(kPodTemplateHashLabel), hash);
  EXPECT_EQ(rs->spec().replicas(), 3);
  EXPECT_EQ(rs->metadata().annotations().at(kRevisionAnnotation), "1");
  EXPECT_EQ(rs->metadata().annotations().at(kDesiredReplicasAnnotation), "3");
  EXPECT_EQ(rs->metadata().annotations().at(kMaxReplicasAnnotation), "5");
  ASSERT_EQ(rs->metadata().owner_references_size(), 1);
  EXPECT_EQ(rs->metadata().owner_references(0).uid(), "d-uid");
  auto stored = client_.GetDeployment("default", "web");
  EXPECT_EQ(stored->metadata().annotations().at(kRevisionAnnotation), "1");
  const DeploymentCondition* c = GetCondition(stored->status(), kConditionProgressing);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->reason(), kReasonNewReplicaSetCreated);
  EXPECT_EQ(c->message(), absl::StrCat("Created new replica set \"web-", hash, "\""));
  EXPECT_EQ(Events(), (std::vector<std::string>{absl::StrCat(
                          "ScalingReplicaSet: Scaled up replica set web-", hash, " to 3")}));
}

TEST_F(DeploymentSyncTest, RollingUpdateStepsWithinSurgeAndUnavailable) {
  Put(10, "nginx:1");
  ASSERT_TRUE(controller_.Sync("default/web").ok());
  SettleReplicaSets();
  ASSERT_TRUE(controller_.Sync("default/web").ok());
  auto stored = client_.GetDeployment("default", "web");
  EXPECT_EQ(stored->status().available_replicas(), 10);
  EXPECT_EQ(GetCondition(stored->status(), kConditionProgressing)->reason(),
            kReasonNewReplicaSetAvailable);

  clock_.Advance(absl::Seconds(5));
  Put(10, "nginx:2");
  ASSERT_TRUE(controller_.Sync("default/web").ok());
  // New RS created at maxSurge (2); old scaled down within maxUnavailable
  // in the same sync: maxScaledDown = 12 - (10 - 2) - 2 unavailable new = 2.
  EXPECT_EQ(Rs("nginx:2")->spec().replicas(), 2);
  EXPECT_EQ(Rs("nginx:1")->spec().replicas(), 8);
  ASSERT_TRUE(controller_.Sync("default/web").ok());
  // Room for surge again (8 + 2 < 12): new grows to 4; old cannot shrink
  // while nothing new is available (8 available = minAvailable).
  EXPECT_EQ(Rs("nginx:2")->spec().replicas(), 4);
  EXPECT_EQ(Rs("nginx:1")->spec().replicas(), 8);
  EXPECT_EQ(Rs("nginx:2")->metadata().annotations().at(kRevisionAnnotation), "2");
  int rounds = 0;
  while ((Rs("nginx:1")->spec().replicas() > 0 || Rs("nginx:2")->spec().replicas() < 10) &&
         rounds++ < 20) {
    SettleReplicaSets();
    ASSERT_TRUE(controller_.Sync("default/web").ok());
    const int total = Rs("nginx:1")->spec().replicas() + Rs("nginx:2")->spec().replicas();
    EXPECT_LE(total, 12);
  }
  EXPECT_EQ(Rs("nginx:1")->spec().replicas(), 0);
  EXPECT_EQ(Rs("nginx:2")->spec().replicas(), 10);
  bool down_event = false;
  for (const auto& m : Events()) {
    if (m == absl::StrCat("ScalingReplicaSet: Scaled down replica set ",
                          Rs("nginx:1")->metadata().name(), " to 8 from 10")) {
      down_event = true;
    }
  }
  EXPECT_TRUE(down_event);

  // Another rollout: with revisionHistoryLimit 1 the oldest idle RS goes.
  SettleReplicaSets();
  Put(10, "nginx:3");
  for (int i = 0; i < 20; ++i) {
    SettleReplicaSets();
    ASSERT_TRUE(controller_.Sync("default/web").ok());
  }
  EXPECT_EQ(Rs("nginx:3")->spec().replicas(), 10);
  EXPECT_EQ(Rs("nginx:1"), nullptr) << "revisionHistoryLimit cleanup";
  EXPECT_NE(Rs("nginx:2"), nullptr);
}

TEST_F(DeploymentSyncTest, StaleStatusOfAScaledDownReplicaSetIsNotCountedTwice) {
  Put(10, "nginx:1");
  ASSERT_TRUE(controller_.Sync("default/web").ok());
  SettleReplicaSets();
  ASSERT_TRUE(controller_.Sync("default/web").ok());
  clock_.Advance(absl::Seconds(5));
  Put(10, "nginx:2");
  ASSERT_TRUE(controller_.Sync("default/web").ok());
  ASSERT_TRUE(controller_.Sync("default/web").ok());
  ASSERT_EQ(Rs("nginx:2")->spec().replicas(), 4);
  ASSERT_EQ(Rs("nginx:1")->spec().replicas(), 8);
  // The new ReplicaSet's 4 pods are available; the old one's status still
  // shows the 10 pods it had before its scale-down to 8.
  ReplicaSet fresh = *Rs("nginx:2");
  fresh.mutable_status()->set_replicas(4);
  fresh.mutable_status()->set_ready_replicas(4);
  fresh.mutable_status()->set_available_replicas(4);
  rss_.Upsert(std::make_shared<ReplicaSet>(fresh));
  ReplicaSet stale = *Rs("nginx:1");
  stale.mutable_status()->set_replicas(10);
  stale.mutable_status()->set_ready_replicas(10);
  stale.mutable_status()->set_available_replicas(10);
  rss_.Upsert(std::make_shared<ReplicaSet>(stale));
  // No "invalid request to scale down 8 -> 10"; and only the 8 wanted old
  // pods count as available: 8 + 4 - minAvailable 8 = 4 may go.
  ASSERT_TRUE(controller_.Sync("default/web").ok());
  EXPECT_EQ(Rs("nginx:1")->spec().replicas(), 4);
  EXPECT_EQ(Rs("nginx:2")->spec().replicas(), 4);
}

TEST_F(DeploymentSyncTest, PausedScalesButDoesNotRollOut) {
  Put(4, "nginx:1");
  ASSERT_TRUE(controller_.Sync("default/web").ok());
  SettleReplicaSets();
  Deployment d = Put(6, "nginx:2");
  d.mutable_spec()->set_paused(true);
  ds_.Upsert(std::make_shared<Deployment>(d));
  ASSERT_TRUE(controller_.Sync("default/web").ok());
  EXPECT_EQ(Rs("nginx:2"), nullptr);               // no new ReplicaSet while paused
  EXPECT_EQ(Rs("nginx:1")->spec().replicas(), 6);  // but scaling applies
  auto stored = client_.GetDeployment("default", "web");
  EXPECT_EQ(GetCondition(stored->status(), kConditionProgressing)->reason(),
            kReasonDeploymentPaused);
}

TEST_F(DeploymentSyncTest, MaximalReplicasReachTheReplicaSet) {
  // replicas + maxSurge overflows int32: the new ReplicaSet must still get
  // every replica, not 0, and the annotations the clamped maximum.
  Put(INT32_MAX, "nginx:1");
  ASSERT_TRUE(controller_.Sync("default/web").ok());
  auto rs = Rs("nginx:1");
  ASSERT_NE(rs, nullptr);
  EXPECT_EQ(rs->spec().replicas(), INT32_MAX);
  EXPECT_EQ(rs->metadata().annotations().at(kDesiredReplicasAnnotation), "2147483647");
  EXPECT_EQ(rs->metadata().annotations().at(kMaxReplicasAnnotation), "2147483647");

  // A rollout from there surges by 2 on top of INT32_MAX old replicas.
  SettleReplicaSets();
  ASSERT_TRUE(controller_.Sync("default/web").ok());
  clock_.Advance(absl::Seconds(5));
  Put(INT32_MAX, "nginx:2");
  ASSERT_TRUE(controller_.Sync("default/web").ok());
  ASSERT_NE(Rs("nginx:2"), nullptr);
  EXPECT_EQ(Rs("nginx:2")->spec().replicas(), 2);
  EXPECT_EQ(Rs("nginx:1")->spec().replicas(), INT32_MAX - 2);
  auto stored = client_.GetDeployment("default", "web");
  EXPECT_GE(stored->status().replicas(), 0);
  EXPECT_GE(stored->status().unavailable_replicas(), 0);
}

TEST_F(DeploymentSyncTest, ALostCreateAnswerIsRetriedNotCountedAsACollision) {
  Put(3, "nginx:1");
  client_.lose_answers = true;
  EXPECT_FALSE(controller_.Sync("default/web").ok());  // created, answer lost
  client_.lose_answers = false;
  // The informer has not seen it yet: AlreadyExists, and no collision.
  EXPECT_FALSE(controller_.Sync("default/web").ok());
  EXPECT_FALSE(client_.GetDeployment("default", "web")->status().has_collision_count());
  client_.CatchUp();
  ASSERT_TRUE(controller_.Sync("default/web").ok());
  EXPECT_EQ(rss_.List().size(), 1u);
  EXPECT_FALSE(client_.GetDeployment("default", "web")->status().has_collision_count());
}

TEST_F(DeploymentSyncTest, ANameTakenByAnotherTemplateBumpsTheCollisionCount) {
  Deployment d = Put(3, "nginx:1");
  const std::string hash = ComputeHash(d.spec().template_(), std::nullopt);
  ReplicaSet squatter;
  squatter.mutable_metadata()->set_name("web-" + hash);
  squatter.mutable_metadata()->set_namespace_("default");
  squatter.mutable_spec()->mutable_template_()->mutable_spec()->add_containers()->set_image(
      "other");
  rss_.Upsert(std::make_shared<ReplicaSet>(squatter));

  EXPECT_FALSE(controller_.Sync("default/web").ok());
  EXPECT_EQ(client_.GetDeployment("default", "web")->status().collision_count(), 1);
  ASSERT_TRUE(controller_.Sync("default/web").ok());
  auto rs = Rs("nginx:1");
  ASSERT_NE(rs, nullptr);
  EXPECT_EQ(rs->metadata().name(), "web-" + ComputeHash(d.spec().template_(), 1));
}

}  // namespace
}  // namespace minik8s::controllers::deployment
