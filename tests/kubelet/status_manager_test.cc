// StatusManager: the kubelet writes a pod's status only when it changed,
// keeps the last written one per pod, and retries a failed write.
#include "kubelet/status_manager.h"

#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"

namespace minik8s::kubelet {
namespace {

namespace core = ::minik8s::core::v1;

class FakeWriter : public PodStatusWriter {
 public:
  absl::Status UpdatePodStatus(const core::Pod& pod) override {
    absl::MutexLock lock(&mu_);
    writes.push_back(pod);
    if (result.ok()) server[pod.metadata().uid()] = pod;
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

}  // namespace
}  // namespace minik8s::kubelet
