// JobController::Sync against in-memory caches and a fake client: pods up to
// parallelism with the tracking finalizer and a controllerRef, counting
// finished pods once (uncountedTerminatedPods, then the counters), the
// SuccessCriteriaMet/Complete and FailureTarget/Failed conditions, pod
// backoff, activeDeadlineSeconds, suspend, ttlSecondsAfterFinished and the
// finalizer of pods whose Job is gone.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "api/errors.h"
#include "api/time.h"
#include "client/event_recorder.h"
#include "client/indexer.h"
#include "common/fake_clock.h"
#include "controllers/job/job_controller.h"
#include "gtest/gtest.h"

namespace minik8s::controllers {
namespace {

using minik8s::batch::v1::Job;
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
  std::vector<std::string> Reasons() {
    absl::MutexLock l(&mu);
    std::vector<std::string> out;
    for (const Event& e : events) out.push_back(e.reason());
    return out;
  }
  absl::Mutex mu;
  std::vector<Event> events;
};

class FakeClient : public JobClient {
 public:
  absl::StatusOr<Pod> CreatePod(const Pod& pod) override {
    absl::MutexLock l(&mu);
    Pod p = pod;
    p.mutable_metadata()->set_name(pod.metadata().generate_name() + std::to_string(created.size()));
    p.mutable_metadata()->set_uid("created-" + std::to_string(created.size()));
    created.push_back(p);
    return p;
  }
  absl::Status DeletePod(absl::string_view, absl::string_view name) override {
    absl::MutexLock l(&mu);
    deleted.push_back(std::string(name));
    return absl::OkStatus();
  }
  absl::StatusOr<Pod> UpdatePod(const Pod& pod) override { return pod; }
  absl::Status RemovePodFinalizer(absl::string_view, absl::string_view name, absl::string_view,
                                  absl::string_view finalizer) override {
    absl::MutexLock l(&mu);
    EXPECT_EQ(finalizer, kJobTrackingFinalizer);
    unfinalized.push_back(std::string(name));
    return absl::OkStatus();
  }
  absl::StatusOr<Job> GetJob(absl::string_view, absl::string_view) override {
    absl::MutexLock l(&mu);
    if (!job_exists) return absl::NotFoundError("jobs.batch \"pi\" not found");
    return job;
  }
  absl::StatusOr<Job> UpdateJobStatus(const Job& j) override {
    absl::MutexLock l(&mu);
    statuses.push_back(j);
    Job out = j;
    out.mutable_metadata()->set_resource_version(std::to_string(statuses.size() + 100));
    return out;
  }
  absl::Status DeleteJob(absl::string_view, absl::string_view name, absl::string_view) override {
    absl::MutexLock l(&mu);
    deleted_jobs.push_back(std::string(name));
    return absl::OkStatus();
  }

  absl::Mutex mu;
  Job job;
  bool job_exists = true;
  std::vector<Pod> created;
  std::vector<std::string> deleted, unfinalized, deleted_jobs;
  std::vector<Job> statuses;
};

class JobSyncTest : public ::testing::Test {
 protected:
  JobSyncTest()
      : job_cache_(client::DefaultIndexersFor(Job::descriptor())),
        pod_cache_(client::DefaultIndexersFor(Pod::descriptor())),
        recorder_(&sink_, {.component = "job-controller", .clock = &clock_}),
        controller_(client::Lister<Job>(&job_cache_), client::Lister<Pod>(&pod_cache_), &client_,
                    &recorder_, {.clock = &clock_}) {}

  Job MakeJob(int completions, int parallelism, int backoff_limit = 6) {
    Job job;
    job.mutable_metadata()->set_name("pi");
    job.mutable_metadata()->set_namespace_("default");
    job.mutable_metadata()->set_uid("job-uid");
    job.mutable_metadata()->set_resource_version("7");
    auto* spec = job.mutable_spec();
    spec->set_completions(completions);
    spec->set_parallelism(parallelism);
    spec->set_backoff_limit(backoff_limit);
    (*spec->mutable_selector()->mutable_match_labels())["batch.kubernetes.io/controller-uid"] =
        "job-uid";
    (*spec->mutable_template_()
          ->mutable_metadata()
          ->mutable_labels())["batch.kubernetes.io/controller-uid"] = "job-uid";
    auto* c = spec->mutable_template_()->mutable_spec()->add_containers();
    c->set_name("pi");
    c->set_image("busybox");
    spec->mutable_template_()->mutable_spec()->set_restart_policy("Never");
    Store(job);
    return job;
  }

  void Store(const Job& job) {
    client_.job = job;
    job_cache_.Upsert(std::make_shared<Job>(job));
  }

  // The last status written, as the informer would deliver it.
  Job ObserveStatus() {
    Job job = client_.statuses.back();
    Store(job);
    return job;
  }

  Pod AddPod(const std::string& name, const std::string& phase, bool finalizer = true) {
    Pod p;
    p.mutable_metadata()->set_name(name);
    p.mutable_metadata()->set_namespace_("default");
    p.mutable_metadata()->set_uid("uid-" + name);
    p.mutable_metadata()->set_resource_version("1");
    *p.mutable_metadata()->mutable_creation_timestamp() = api::ToProtoTime(clock_.Now());
    (*p.mutable_metadata()->mutable_labels())["batch.kubernetes.io/controller-uid"] = "job-uid";
    if (finalizer) p.mutable_metadata()->add_finalizers(kJobTrackingFinalizer);
    auto* ref = p.mutable_metadata()->add_owner_references();
    ref->set_api_version("batch/v1");
    ref->set_kind("Job");
    ref->set_name("pi");
    ref->set_uid("job-uid");
    ref->set_controller(true);
    p.mutable_status()->set_phase(phase);
    pod_cache_.Upsert(std::make_shared<Pod>(p));
    return p;
  }

  // The reasons of the events recorded so far.
  std::vector<std::string> Reasons() {
    recorder_.Flush();
    return sink_.Reasons();
  }
  std::string LastReason() {
    std::vector<std::string> reasons = Reasons();
    return reasons.empty() ? "" : reasons.back();
  }

  const batch::v1::JobCondition* Condition(const Job& job, const std::string& type) {
    return FindJobCondition(job, type);
  }

  common::FakeClock clock_;
  client::Indexer job_cache_, pod_cache_;
  FakeSink sink_;
  FakeClient client_;
  client::EventRecorder recorder_;
  JobController controller_;
};

TEST_F(JobSyncTest, CreatesParallelismPodsWithFinalizerAndControllerRef) {
  MakeJob(3, 2);
  ASSERT_TRUE(controller_.Sync("default/pi").ok());
  ASSERT_EQ(client_.created.size(), 2u);
  const Pod& p = client_.created[0];
  EXPECT_EQ(p.metadata().generate_name(), "pi-");
  EXPECT_EQ(p.metadata().labels().at("batch.kubernetes.io/controller-uid"), "job-uid");
  ASSERT_EQ(p.metadata().finalizers_size(), 1);
  EXPECT_EQ(p.metadata().finalizers(0), "batch.kubernetes.io/job-tracking");
  ASSERT_EQ(p.metadata().owner_references_size(), 1);
  const auto& ref = p.metadata().owner_references(0);
  EXPECT_EQ(ref.api_version(), "batch/v1");
  EXPECT_EQ(ref.kind(), "Job");
  EXPECT_EQ(ref.uid(), "job-uid");
  EXPECT_TRUE(ref.controller());
  EXPECT_TRUE(ref.block_owner_deletion());
  EXPECT_EQ(p.spec().restart_policy(), "Never");
  // startTime and an empty uncountedTerminatedPods are written.
  ASSERT_EQ(client_.statuses.size(), 1u);
  EXPECT_TRUE(client_.statuses[0].status().has_start_time());
  EXPECT_TRUE(client_.statuses[0].status().has_uncounted_terminated_pods());
  EXPECT_EQ(Reasons(), (std::vector<std::string>{"SuccessfulCreate", "SuccessfulCreate"}));

  // Until the informer reports them, a second sync creates nothing more.
  ASSERT_TRUE(controller_.Sync("default/pi").ok());
  EXPECT_EQ(client_.created.size(), 2u);
}

TEST_F(JobSyncTest, RemainingCompletionsBoundTheActivePods) {
  Job job = MakeJob(3, 2);
  job.mutable_status()->set_succeeded(2);
  Store(job);
  ASSERT_TRUE(controller_.Sync("default/pi").ok());
  EXPECT_EQ(client_.created.size(), 1u);
}

TEST_F(JobSyncTest, CountsFinishedPodsOnceThenCompletes) {
  MakeJob(3, 2);
  AddPod("pi-a", "Succeeded");
  AddPod("pi-b", "Succeeded");
  AddPod("pi-c", "Succeeded");
  ASSERT_TRUE(controller_.Sync("default/pi").ok());
  ASSERT_EQ(client_.statuses.size(), 2u);
  // First the uids, before any finalizer goes.
  const auto& uncounted = client_.statuses[0].status().uncounted_terminated_pods();
  EXPECT_EQ(uncounted.succeeded_size(), 3);
  EXPECT_EQ(client_.statuses[0].status().succeeded(), 0);
  std::vector<std::string> unfinalized = client_.unfinalized;
  std::sort(unfinalized.begin(), unfinalized.end());
  EXPECT_EQ(unfinalized, (std::vector<std::string>{"pi-a", "pi-b", "pi-c"}));
  // Then the counters and the conditions.
  Job done = ObserveStatus();
  EXPECT_EQ(done.status().succeeded(), 3);
  EXPECT_EQ(done.status().uncounted_terminated_pods().succeeded_size(), 0);
  EXPECT_EQ(done.status().active(), 0);
  ASSERT_NE(Condition(done, "SuccessCriteriaMet"), nullptr);
  const auto* complete = Condition(done, "Complete");
  ASSERT_NE(complete, nullptr);
  EXPECT_EQ(complete->reason(), "CompletionsReached");
  EXPECT_EQ(complete->message(), "Reached expected number of succeeded pods");
  EXPECT_TRUE(done.status().has_completion_time());
  EXPECT_TRUE(IsJobFinished(done));
  EXPECT_EQ(LastReason(), "Completed");
  EXPECT_TRUE(client_.created.empty());

  // The cache still shows the finalizers (the removals are not back yet):
  // a new sync counts nothing again and writes nothing.
  ASSERT_TRUE(controller_.Sync("default/pi").ok());
  EXPECT_EQ(client_.statuses.size(), 2u);
}

TEST_F(JobSyncTest, AStaleCacheDoesNotCountAPodTwice) {
  MakeJob(3, 1);
  AddPod("pi-a", "Succeeded");
  ASSERT_TRUE(controller_.Sync("default/pi").ok());
  Job job = ObserveStatus();
  EXPECT_EQ(job.status().succeeded(), 1);
  // pi-a still has its finalizer in the cache: not counted again.
  ASSERT_TRUE(controller_.Sync("default/pi").ok());
  EXPECT_EQ(client_.statuses.back().status().succeeded(), 1);
  EXPECT_EQ(client_.unfinalized.size(), 1u);
}

TEST_F(JobSyncTest, BackoffLimitExceededFailsTheJob) {
  MakeJob(1, 1, /*backoff_limit=*/1);
  AddPod("pi-a", "Failed");
  AddPod("pi-b", "Failed");
  ASSERT_TRUE(controller_.Sync("default/pi").ok());
  Job job = ObserveStatus();
  EXPECT_EQ(job.status().failed(), 2);
  const auto* target = Condition(job, "FailureTarget");
  ASSERT_NE(target, nullptr);
  EXPECT_EQ(target->reason(), "BackoffLimitExceeded");
  const auto* failed = Condition(job, "Failed");
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->reason(), "BackoffLimitExceeded");
  EXPECT_EQ(failed->message(), "Job has reached the specified backoff limit");
  EXPECT_FALSE(job.status().has_completion_time());
  EXPECT_TRUE(client_.created.empty());
  EXPECT_EQ(LastReason(), "BackoffLimitExceeded");
}

TEST_F(JobSyncTest, AFailedPodIsReplacedAfterTheBackoff) {
  MakeJob(1, 1);
  AddPod("pi-a", "Failed");
  ASSERT_TRUE(controller_.Sync("default/pi").ok());
  Job job = ObserveStatus();
  EXPECT_EQ(job.status().failed(), 1);
  EXPECT_EQ(Condition(job, "FailureTarget"), nullptr);
  EXPECT_TRUE(client_.created.empty());  // 10s backoff
  clock_.Advance(absl::Seconds(10));
  ASSERT_TRUE(controller_.Sync("default/pi").ok());
  EXPECT_EQ(client_.created.size(), 1u);
}

TEST_F(JobSyncTest, ActiveDeadlineDeletesPodsThenFails) {
  Job job = MakeJob(1, 1);
  job.mutable_spec()->set_active_deadline_seconds(60);
  *job.mutable_status()->mutable_start_time() = api::ToProtoTime(clock_.Now() - absl::Seconds(61));
  Store(job);
  AddPod("pi-a", "Running");
  ASSERT_TRUE(controller_.Sync("default/pi").ok());
  EXPECT_EQ(client_.deleted, std::vector<std::string>{"pi-a"});
  job = ObserveStatus();
  ASSERT_NE(Condition(job, "FailureTarget"), nullptr);
  EXPECT_EQ(Condition(job, "FailureTarget")->reason(), "DeadlineExceeded");
  EXPECT_EQ(Condition(job, "Failed"), nullptr);  // pi-a still there

  // pi-a terminating: counted as failed, its finalizer goes; once it is
  // gone the job is Failed.
  Pod p = AddPod("pi-a", "Running");
  *p.mutable_metadata()->mutable_deletion_timestamp() = api::ToProtoTime(clock_.Now());
  p.mutable_metadata()->set_resource_version("2");
  pod_cache_.Upsert(std::make_shared<Pod>(p));
  controller_.expectations()->DeleteExpectations("default/pi");
  ASSERT_TRUE(controller_.Sync("default/pi").ok());
  job = ObserveStatus();
  EXPECT_EQ(job.status().failed(), 1);
  EXPECT_EQ(job.status().terminating(), 1);
  EXPECT_EQ(Condition(job, "Failed"), nullptr);
  pod_cache_.Delete("default/pi-a");
  ASSERT_TRUE(controller_.Sync("default/pi").ok());
  job = ObserveStatus();
  ASSERT_NE(Condition(job, "Failed"), nullptr);
  EXPECT_EQ(Condition(job, "Failed")->message(), "Job was active longer than specified deadline");
}

TEST_F(JobSyncTest, SuspendedJobHasNoActivePods) {
  Job job = MakeJob(2, 2);
  job.mutable_spec()->set_suspend(true);
  Store(job);
  AddPod("pi-a", "Running");
  ASSERT_TRUE(controller_.Sync("default/pi").ok());
  EXPECT_EQ(client_.deleted, std::vector<std::string>{"pi-a"});
  EXPECT_TRUE(client_.created.empty());
  job = ObserveStatus();
  ASSERT_NE(Condition(job, "Suspended"), nullptr);
  EXPECT_EQ(Condition(job, "Suspended")->reason(), "JobSuspended");
  EXPECT_FALSE(job.status().has_start_time());
}

TEST_F(JobSyncTest, FinishedJobIsDeletedAfterItsTtl) {
  Job job = MakeJob(1, 1);
  job.mutable_spec()->set_ttl_seconds_after_finished(30);
  auto* c = job.mutable_status()->add_conditions();
  c->set_type("Complete");
  c->set_status("True");
  *job.mutable_status()->mutable_completion_time() = api::ToProtoTime(clock_.Now());
  Store(job);
  ASSERT_TRUE(controller_.Sync("default/pi").ok());
  EXPECT_TRUE(client_.deleted_jobs.empty());
  clock_.Advance(absl::Seconds(30));
  ASSERT_TRUE(controller_.Sync("default/pi").ok());
  EXPECT_EQ(client_.deleted_jobs, std::vector<std::string>{"pi"});
}

TEST_F(JobSyncTest, PodOfADeletedJobLosesItsFinalizer) {
  AddPod("pi-a", "Running");
  client_.job_exists = false;
  ASSERT_TRUE(controller_.Sync("pod:default/pi-a").ok());
  EXPECT_EQ(client_.unfinalized, std::vector<std::string>{"pi-a"});
}

TEST(JobMath, WantActivePods) {
  batch::v1::JobSpec spec;
  spec.set_parallelism(2);
  spec.set_completions(3);
  EXPECT_EQ(WantActivePods(spec, 0, 0), 2);
  EXPECT_EQ(WantActivePods(spec, 2, 0), 1);
  EXPECT_EQ(WantActivePods(spec, 5, 0), 0);
  spec.clear_completions();  // a work queue: no new pods after a success
  EXPECT_EQ(WantActivePods(spec, 0, 1), 2);
  EXPECT_EQ(WantActivePods(spec, 1, 1), 1);
}

TEST(JobMath, PodBackoffDoublesUpToTheMaximum) {
  const absl::Duration base = absl::Seconds(10), max = absl::Minutes(6);
  EXPECT_EQ(JobPodBackoff(0, base, max), absl::ZeroDuration());
  EXPECT_EQ(JobPodBackoff(1, base, max), absl::Seconds(10));
  EXPECT_EQ(JobPodBackoff(3, base, max), absl::Seconds(40));
  EXPECT_EQ(JobPodBackoff(30, base, max), absl::Minutes(6));
}

}  // namespace
}  // namespace minik8s::controllers
