// The kubelet owns pod and node status: a status someone else wrote to the
// apiserver (a forged `phase: Failed`, a node's Ready set to False) is
// written back within one period — and a status the apiserver already holds
// costs no write (nor, for the node, any request between reports).
// StatusManager with a fake writer; NodeStatusSync behind NodeHeartbeat on a
// FakeClock with a fake apiserver and informer.
#include <map>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "api/time.h"
#include "common/fake_clock.h"
#include "gtest/gtest.h"
#include "kubelet/node_heartbeat.h"
#include "kubelet/node_status_sync.h"
#include "kubelet/status_manager.h"

namespace minik8s::kubelet {
namespace {

namespace core = ::minik8s::core::v1;

// ---------------------------------------------------------------- pods

// The apiserver's pods by name; writes and reads counted.
class FakePodApi : public PodStatusWriter {
 public:
  absl::Status UpdatePodStatus(const core::Pod& pod) override {
    ++writes;
    pods[pod.metadata().name()] = pod;
    return absl::OkStatus();
  }
  absl::StatusOr<core::Pod> GetPod(const std::string&, const std::string& name) override {
    ++reads;
    auto it = pods.find(name);
    if (it == pods.end()) return absl::NotFoundError(absl::StrCat("pods \"", name, "\" not found"));
    return it->second;
  }
  std::map<std::string, core::Pod> pods;
  int writes = 0;
  int reads = 0;
};

core::Pod PodWithPhase(const std::string& uid, const std::string& phase) {
  core::Pod pod;
  pod.mutable_metadata()->set_namespace_("default");
  pod.mutable_metadata()->set_name("web");
  pod.mutable_metadata()->set_uid(uid);
  pod.mutable_status()->set_phase(phase);
  return pod;
}

core::PodStatus Running() {
  core::PodStatus s;
  s.set_phase("Running");
  s.set_pod_ip("10.244.0.7");
  core::PodCondition* c = s.add_conditions();
  c->set_type("Ready");
  c->set_status("True");
  return s;
}

class PodStatusReconcileTest : public ::testing::Test {
 protected:
  // The pod Running in the apiserver and in the StatusManager's cache.
  void SetUp() override {
    ASSERT_TRUE(manager_.SetPodStatus(PodWithPhase("u1", "Pending"), Running()).ok());
    ASSERT_EQ(api_.writes, 1);
  }
  core::Pod Server() { return api_.pods.at("web"); }

  FakePodApi api_;
  StatusManager manager_{&api_};
};

TEST_F(PodStatusReconcileTest, ForgedFailedPhaseIsWrittenBack) {
  core::Pod forged = Server();
  forged.mutable_status()->set_phase("Failed");
  forged.mutable_status()->set_reason("Forged");
  api_.pods["web"] = forged;
  // The informer delivers the forged copy: the kubelet's status is not it.
  EXPECT_TRUE(manager_.NeedsReconcile(forged));

  // The next sync computes the same status as before: written back anyway.
  ASSERT_TRUE(manager_.SetPodStatus(forged, Running()).ok());
  EXPECT_EQ(api_.reads, 1);
  EXPECT_EQ(api_.writes, 2);
  EXPECT_EQ(Server().status().phase(), "Running");
  EXPECT_EQ(Server().status().reason(), "");
  EXPECT_FALSE(manager_.NeedsReconcile(Server()));
  EXPECT_EQ(manager_.writes(), 2);
  EXPECT_EQ(manager_.reads(), 1);
}

TEST_F(PodStatusReconcileTest, AForgedConditionIsWrittenBackToo) {
  core::Pod forged = Server();
  forged.mutable_status()->mutable_conditions(0)->set_status("False");
  api_.pods["web"] = forged;
  ASSERT_TRUE(manager_.SetPodStatus(forged, Running()).ok());
  EXPECT_EQ(api_.writes, 2);
  EXPECT_EQ(Server().status().conditions(0).status(), "True");
}

TEST_F(PodStatusReconcileTest, NoWriteWhenTheApiserverAlreadyAgrees) {
  // The informer's copy matches: no request at all, however often synced.
  for (int i = 0; i < 100; ++i) {
    EXPECT_FALSE(manager_.NeedsReconcile(Server()));
    ASSERT_TRUE(manager_.SetPodStatus(Server(), Running()).ok());
  }
  EXPECT_EQ(api_.writes, 1);
  EXPECT_EQ(api_.reads, 0);
}

TEST_F(PodStatusReconcileTest, AnInformerCopyBehindOurWriteCostsOneReadAndNoWrite) {
  // The informer has not yet seen our write: it still holds the Pending pod.
  core::Pod behind = PodWithPhase("u1", "Pending");
  EXPECT_TRUE(manager_.NeedsReconcile(behind));
  ASSERT_TRUE(manager_.SetPodStatus(behind, Running()).ok());
  EXPECT_EQ(api_.reads, 1);
  EXPECT_EQ(api_.writes, 1);
}

TEST_F(PodStatusReconcileTest, ANewPodOfTheSameNameIsNotOverwritten) {
  api_.pods["web"] = PodWithPhase("u2", "Failed");  // deleted and created again
  ASSERT_TRUE(manager_.SetPodStatus(PodWithPhase("u1", "Failed"), Running()).ok());
  EXPECT_EQ(api_.writes, 1);
  EXPECT_EQ(Server().metadata().uid(), "u2");
  EXPECT_EQ(Server().status().phase(), "Failed");
}

TEST_F(PodStatusReconcileTest, APodGoneFromTheApiserverIsNotAnError) {
  api_.pods.clear();
  EXPECT_TRUE(manager_.SetPodStatus(PodWithPhase("u1", "Failed"), Running()).ok());
  EXPECT_EQ(api_.writes, 1);
}

TEST_F(PodStatusReconcileTest, NothingCachedNeedsNoReconcile) {
  EXPECT_FALSE(manager_.NeedsReconcile(PodWithPhase("other", "Failed")));
}

// ---------------------------------------------------------------- nodes

constexpr char kNode[] = "node-1";

// The apiserver's Node and the kubelet's informer copy of it.
class FakeNodeStatusApi : public NodeStatusApi {
 public:
  absl::StatusOr<core::Node> CachedNode(const std::string& name) override {
    if (!informer_synced) return absl::UnavailableError("not synced");
    const std::optional<core::Node>& copy = informer_behind ? stale : server;
    if (!copy.has_value() || copy->metadata().name() != name) {
      return absl::NotFoundError("node not cached");
    }
    return *copy;
  }
  absl::StatusOr<core::Node> GetNode(const std::string& name) override {
    ++reads;
    if (!server.has_value() || server->metadata().name() != name) {
      return absl::NotFoundError(absl::StrCat("nodes \"", name, "\" not found"));
    }
    return *server;
  }
  absl::StatusOr<core::Node> UpdateNodeStatus(const core::Node& node) override {
    ++writes;
    if (!server.has_value()) return absl::NotFoundError("gone");
    *server->mutable_status() = node.status();
    return *server;
  }

  // The status's Ready condition.
  const core::NodeCondition& Ready() const {
    for (const auto& c : server->status().conditions()) {
      if (c.type() == "Ready") return c;
    }
    ADD_FAILURE() << "no Ready condition";
    static const core::NodeCondition kNone;
    return kNone;
  }

  std::optional<core::Node> server;
  bool informer_synced = true;
  bool informer_behind = false;  // CachedNode answers `stale`
  std::optional<core::Node> stale;
  int writes = 0;
  int reads = 0;
};

// The heartbeat's apiserver side: registration creates the Node, the status
// step is NodeStatusSync's, the Lease is not looked at here.
class HeartbeatApi : public NodeApi {
 public:
  HeartbeatApi(FakeNodeStatusApi* api, common::FakeClock* clock, const NodeConfig& config,
               absl::Duration report_frequency)
      : api_(api), clock_(clock), config_(config), sync_(config, api, report_frequency) {}
  absl::Status RegisterNode(const std::string&) override {
    ++registrations;
    if (!api_->server.has_value()) api_->server = BuildNode(config_);
    return absl::OkStatus();
  }
  absl::Status SyncNodeStatus(const std::string&) override {
    return sync_.Sync(clock_->Now(), runtime_error);
  }
  absl::Status RenewLease(const std::string&) override { return absl::OkStatus(); }

  std::string runtime_error;
  int registrations = 0;

 private:
  FakeNodeStatusApi* const api_;
  common::FakeClock* const clock_;
  const NodeConfig config_;
  NodeStatusSync sync_;
};

NodeConfig Config() {
  NodeConfig c;
  c.name = kNode;
  c.pod_cidr = "10.244.0.0/24";
  c.container_runtime_version = "minik8s-runtime://0.1.0";
  return c;
}

class NodeStatusReconcileTest : public ::testing::Test {
 protected:
  static constexpr absl::Duration kPeriod = absl::Seconds(10);
  static constexpr absl::Duration kReport = absl::Minutes(5);

  NodeStatusReconcileTest()
      : hb_api_(&api_, &clock_, Config(), kReport),
        hb_(&hb_api_, &clock_, {kNode},
            NodeHeartbeatOptions{.node_status_update_frequency = kPeriod,
                                 .node_lease_renew_interval = absl::Hours(1),
                                 .workers = 1}) {}

  // Moves the fake clock by `d`, one due heartbeat at a time.
  void RunFor(absl::Duration d) {
    const absl::Time end = clock_.Now() + d;
    hb_.RunDue();
    while (hb_.NextDue() <= end) {
      clock_.AdvanceTo(hb_.NextDue());
      hb_.RunDue();
    }
    clock_.AdvanceTo(end);
  }

  // Sets the Ready condition in the apiserver as a foreign client would.
  void ForgeReady(const std::string& status, const std::string& reason) {
    for (auto& c : *api_.server->mutable_status()->mutable_conditions()) {
      if (c.type() != "Ready") continue;
      c.set_status(status);
      c.set_reason(reason);
      *c.mutable_last_transition_time() = api::ToProtoTime(clock_.Now());
    }
  }

  common::FakeClock clock_;
  FakeNodeStatusApi api_;
  HeartbeatApi hb_api_;
  NodeHeartbeat hb_;
};

TEST_F(NodeStatusReconcileTest, ForgedReadyFalseIsWrittenBackWithinOnePeriod) {
  RunFor(absl::ZeroDuration());  // registers and writes the first status
  ASSERT_EQ(api_.writes, 1);
  ASSERT_EQ(api_.Ready().status(), "True");
  RunFor(absl::Seconds(35));
  ASSERT_EQ(api_.writes, 1);

  ForgeReady("False", "Forged");
  const absl::Time forged_at = clock_.Now();
  RunFor(kPeriod);
  EXPECT_EQ(api_.writes, 2);
  EXPECT_EQ(api_.Ready().status(), "True");
  EXPECT_EQ(api_.Ready().reason(), "KubeletReady");
  // Re-asserted, so it transitioned (after the forgery).
  EXPECT_GT(api::FromProtoTime(api_.Ready().last_transition_time()), forged_at);

  // And it stays put: no further writes until the report is due.
  RunFor(absl::Minutes(4));
  EXPECT_EQ(api_.writes, 2);
}

TEST_F(NodeStatusReconcileTest, ReadyUnknownFromTheLifecycleControllerIsWrittenBack) {
  RunFor(absl::ZeroDuration());
  for (auto& c : *api_.server->mutable_status()->mutable_conditions()) {
    c.set_status("Unknown");
    c.set_reason("NodeStatusUnknown");
  }
  RunFor(kPeriod);
  EXPECT_EQ(api_.writes, 2);
  for (const auto& c : api_.server->status().conditions()) {
    EXPECT_NE(c.status(), "Unknown") << c.type();
  }
}

TEST_F(NodeStatusReconcileTest, ASteadyNodeCostsNoRequestBetweenReports) {
  RunFor(absl::ZeroDuration());
  ASSERT_EQ(api_.writes, 1);
  const int reads = api_.reads;
  RunFor(kReport - absl::Seconds(1));  // ~30 status steps
  EXPECT_EQ(api_.writes, 1);
  EXPECT_EQ(api_.reads, reads);
  RunFor(kPeriod);  // the report is due
  EXPECT_EQ(api_.writes, 2);
}

TEST_F(NodeStatusReconcileTest, AnInformerBehindCostsAReadButNoWrite) {
  RunFor(absl::ZeroDuration());
  ASSERT_EQ(api_.writes, 1);
  api_.informer_behind = true;
  api_.stale = BuildNode(Config());  // as registered: no conditions yet
  const int reads = api_.reads;
  RunFor(kPeriod);
  EXPECT_EQ(api_.reads, reads + 1);
  EXPECT_EQ(api_.writes, 1);
}

TEST_F(NodeStatusReconcileTest, BeforeTheInformerSyncsTheLastWrittenStatusDecides) {
  api_.informer_synced = false;
  RunFor(absl::ZeroDuration());
  ASSERT_EQ(api_.writes, 1);
  RunFor(absl::Minutes(1));
  EXPECT_EQ(api_.writes, 1);
  // A change of our own is still written at once.
  hb_api_.runtime_error = "container runtime is down";
  RunFor(kPeriod);
  EXPECT_EQ(api_.writes, 2);
  EXPECT_EQ(api_.Ready().status(), "False");
  EXPECT_EQ(api_.Ready().message(), "container runtime is down");
}

TEST_F(NodeStatusReconcileTest, ADeletedNodeIsRegisteredAndWrittenAgain) {
  RunFor(absl::ZeroDuration());
  ASSERT_EQ(hb_api_.registrations, 1);
  api_.server.reset();
  RunFor(kPeriod);
  EXPECT_EQ(hb_api_.registrations, 2);
  RunFor(kPeriod);
  ASSERT_TRUE(api_.server.has_value());
  EXPECT_EQ(api_.Ready().status(), "True");
}

}  // namespace
}  // namespace minik8s::kubelet
