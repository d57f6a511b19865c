// StatusManager: the kubelet writes a pod's status only when it changed,
// keeps the last written one per pod, and retries a failed write.
#include "kubelet/status_manager.h"

#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "api/errors.h"
#include "gtest/gtest.h"

namespace minik8s::kubelet {
namespace {

namespace core = ::minik8s::core::v1;

class FakeWriter : public PodStatusWriter {
 public:
  absl::Status UpdatePodStatus(const core::Pod& pod) override {
    absl::MutexLock lock(&mu_);
    writes.push_back(pod);
    const std::string& rv = pod.metadata().resource_version();
    auto it = server.find(pod.metadata().uid());
    if (!rv.empty() && it != server.end() && it->second.metadata().resource_version() != rv) {
      return api::NewConflict("pods", pod.metadata().name(),
                              "the object has been modified; please apply your changes to the "
                              "latest version and try again");
    }
    if (result.ok()) {
      core::Pod stored = pod;
      stored.mutable_metadata()->set_resource_version(std::to_string(++resource_version));
      server[pod.metadata().uid()] = stored;
    }
    return result;
  }
  // What the apiserver holds: the pod as last written (tests may change it).
  absl::StatusOr<core::Pod> GetPod(const std::string& ns, const std::string& name) override {
    absl::MutexLock lock(&mu_);
    ++reads;
    for (const auto& [uid, pod] : server) {
      if (pod.metadata().namespace_() == ns && pod.metadata().name() == name) return pod;
    }
    return absl::NotFoundError(absl::StrCat("pods \"", name, "\" not found"));
  }
  int count() const {
    absl::MutexLock lock(&mu_);
    return static_cast<int>(writes.size());
  }
  absl::Status result = absl::OkStatus();
  std::vector<core::Pod> writes;
  std::map<std::string, core::Pod> server;  // by uid
  int reads = 0;
  int64_t resource_version = 100;  // bumped by each stored write

 private:
  mutable absl::Mutex mu_;
};

core::Pod MakePod(const std::string& uid) {
  core::Pod pod;
  pod.mutable_metadata()->set_namespace_("default");
  pod.mutable_metadata()->set_name(absl::StrCat("pod-", uid));
  pod.mutable_metadata()->set_uid(uid);
  pod.mutable_metadata()->set_resource_version("42");
  pod.mutable_status()->set_phase("Pending");
  return pod;
}

core::PodStatus Phase(const std::string& phase) {
  core::PodStatus s;
  s.set_phase(phase);
  return s;
}

TEST(StatusManager, WritesOnlyWhenTheStatusChanges) {
  FakeWriter writer;
  StatusManager m(&writer);
  core::Pod pod = MakePod("u1");

  ASSERT_TRUE(m.SetPodStatus(pod, Phase("Running")).ok());
  ASSERT_EQ(writer.count(), 1);
  EXPECT_EQ(writer.writes[0].status().phase(), "Running");
  // Written without a resourceVersion precondition.
  EXPECT_EQ(writer.writes[0].metadata().resource_version(), "");
  EXPECT_EQ(m.GetPodStatus("u1")->phase(), "Running");

  // The same status again (the pod object still says Pending): no write.
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(m.SetPodStatus(pod, Phase("Running")).ok());
  EXPECT_EQ(writer.count(), 1);

  ASSERT_TRUE(m.SetPodStatus(pod, Phase("Succeeded")).ok());
  EXPECT_EQ(writer.count(), 2);
  EXPECT_EQ(m.GetPodStatus("u1")->phase(), "Succeeded");
}

TEST(StatusManager, NothingCachedComparesWithThePodsOwnStatus) {
  FakeWriter writer;
  StatusManager m(&writer);
  core::Pod pod = MakePod("u1");
  EXPECT_FALSE(m.GetPodStatus("u1").has_value());
  // What the apiserver already has is not written again, but remembered.
  ASSERT_TRUE(m.SetPodStatus(pod, Phase("Pending")).ok());
  EXPECT_EQ(writer.count(), 0);
  ASSERT_TRUE(m.GetPodStatus("u1").has_value());
  EXPECT_EQ(m.GetPodStatus("u1")->phase(), "Pending");
}

TEST(StatusManager, AFailedWriteIsRetriedByTheNextCall) {
  FakeWriter writer;
  StatusManager m(&writer);
  core::Pod pod = MakePod("u1");
  writer.result = absl::UnavailableError("apiserver down");
  absl::Status s = m.SetPodStatus(pod, Phase("Running"));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(m.GetPodStatus("u1").has_value());  // the cache keeps what was written

  writer.result = absl::OkStatus();
  ASSERT_TRUE(m.SetPodStatus(pod, Phase("Running")).ok());
  EXPECT_EQ(writer.count(), 2);
  EXPECT_EQ(m.GetPodStatus("u1")->phase(), "Running");
}

TEST(StatusManager, APodGoneFromTheApiserverIsNotAnError) {
  FakeWriter writer;
  StatusManager m(&writer);
  writer.result = absl::NotFoundError("pods \"pod-u1\" not found");
  EXPECT_TRUE(m.SetPodStatus(MakePod("u1"), Phase("Running")).ok());
  EXPECT_FALSE(m.GetPodStatus("u1").has_value());
  EXPECT_EQ(m.NumPods(), 0u);
}

TEST(StatusManager, RemovePodForgetsTheCachedStatus) {
  FakeWriter writer;
  StatusManager m(&writer);
  core::Pod pod = MakePod("u1");
  ASSERT_TRUE(m.SetPodStatus(pod, Phase("Running")).ok());
  ASSERT_TRUE(m.SetPodStatus(MakePod("u2"), Phase("Running")).ok());
  EXPECT_EQ(m.NumPods(), 2u);
  m.RemovePod("u1");
  EXPECT_EQ(m.NumPods(), 1u);
  EXPECT_FALSE(m.GetPodStatus("u1").has_value());
  // Compared with the pod's own (Pending) status again: written.
  ASSERT_TRUE(m.SetPodStatus(pod, Phase("Running")).ok());
  EXPECT_EQ(writer.count(), 3);
}

TEST(StatusManager, PodsOfDifferentWorkersInParallel) {
  FakeWriter writer;
  StatusManager m(&writer);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        core::Pod pod = MakePod(absl::StrCat("u", t, "-", i));
        ASSERT_TRUE(m.SetPodStatus(pod, Phase("Running")).ok());
        ASSERT_TRUE(m.SetPodStatus(pod, Phase("Running")).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(m.NumPods(), 200u);
  EXPECT_EQ(writer.count(), 200);
}

core::PodCondition Condition(const std::string& type, const std::string& value) {
  core::PodCondition c;
  c.set_type(type);
  c.set_status(value);
  return c;
}

// A pod with a readiness gate: its status carries a condition someone else
// owns, so writes are conditional on the copy the status was computed from.
TEST(StatusManager, ConditionsOthersOwnAreNeverOverwrittenWithOlderOnes) {
  FakeWriter writer;
  StatusManager m(&writer);
  core::Pod pod = MakePod("u1");
  pod.mutable_spec()->add_readiness_gates()->set_condition_type("example.com/lb");
  writer.server["u1"] = pod;  // resourceVersion 42

  core::PodStatus first = Phase("Running");
  *first.add_conditions() = Condition("example.com/lb", "False");
  ASSERT_TRUE(m.SetPodStatus(pod, first).ok());
  ASSERT_EQ(writer.count(), 1);
  EXPECT_EQ(writer.writes[0].metadata().resource_version(), "42");

  // The kubelet's copy still says 42 (its informer is behind its own
  // write): the conflict is resolved by a read, and the conditions from
  // others are unchanged, so the status is written on the current copy.
  core::PodStatus second = first;
  second.set_phase("Succeeded");
  ASSERT_TRUE(m.SetPodStatus(pod, second).ok());
  ASSERT_EQ(writer.count(), 3);
  EXPECT_EQ(writer.writes[2].metadata().resource_version(), "101");
  EXPECT_EQ(writer.server["u1"].status().phase(), "Succeeded");

  // A controller sets the gate True meanwhile; a status computed from an
  // older copy (gate False) must not undo it.
  core::Pod& stored = writer.server["u1"];
  *stored.mutable_status()->mutable_conditions(0) = Condition("example.com/lb", "True");
  stored.mutable_metadata()->set_resource_version("150");
  core::PodStatus third = first;
  third.set_phase("Failed");
  absl::Status s = m.SetPodStatus(pod, third);
  EXPECT_TRUE(api::IsConflict(s)) << s;
  EXPECT_EQ(writer.server["u1"].status().conditions(0).status(), "True");
  EXPECT_EQ(m.GetPodStatus("u1")->phase(), "Succeeded");  // unchanged

  // From the newer copy, the write goes through.
  core::PodStatus fourth = third;
  *fourth.mutable_conditions(0) = Condition("example.com/lb", "True");
  const core::Pod newer = writer.server["u1"];
  ASSERT_TRUE(m.SetPodStatus(newer, fourth).ok());
  EXPECT_EQ(writer.server["u1"].status().phase(), "Failed");
  EXPECT_EQ(writer.server["u1"].status().conditions(0).status(), "True");
}

}  // namespace
}  // namespace minik8s::kubelet
