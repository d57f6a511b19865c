#include "client/event_recorder.h"

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "absl/synchronization/mutex.h"
#include "client/clock.h"
#include "client/errors.h"
#include "tests/client/fake_lister_watcher.h"

namespace minik8s::client {
namespace {

using minik8s::core::v1::Event;

// Stores events by ns/name; Patch applies count and lastTimestamp.
class FakeSink : public EventSink {
 public:
  absl::StatusOr<Event> Create(const Event& event) override {
    absl::MutexLock lock(&mu_);
    ++creates_;
    events_[MakeKey(event.metadata().namespace_(), event.metadata().name())] = event;
    return event;
  }
  absl::StatusOr<Event> Patch(absl::string_view ns, absl::string_view name,
                              absl::string_view json) override {
    absl::MutexLock lock(&mu_);
    ++patches_;
    patch_bodies_.push_back(std::string(json));
    auto it = events_.find(MakeKey(ns, name));
    if (it == events_.end()) return NewNotFound("events", name);
    // The recorder only sends {"count":N,"lastTimestamp":"..."}.
    std::string s(json);
    it->second.set_count(std::stoi(s.substr(s.find(':') + 1)));
    return it->second;
  }
  std::map<std::string, Event> Events() {
    absl::MutexLock lock(&mu_);
    return events_;
  }
  void Clear() {
    absl::MutexLock lock(&mu_);
    events_.clear();
  }
  int creates() {
    absl::MutexLock lock(&mu_);
    return creates_;
  }
  int patches() {
    absl::MutexLock lock(&mu_);
    return patches_;
  }
  std::vector<std::string> patch_bodies() {
    absl::MutexLock lock(&mu_);
    return patch_bodies_;
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, Event> events_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> patch_bodies_ ABSL_GUARDED_BY(mu_);
  int creates_ ABSL_GUARDED_BY(mu_) = 0;
  int patches_ ABSL_GUARDED_BY(mu_) = 0;
};

EventRecorderOptions Opts(Clock* clock) {
  EventRecorderOptions o;
  o.component = "default-scheduler";
  o.host = "host-1";
  o.clock = clock;
  return o;
}

TEST(EventRecorder, RecordsAnEventAboutAnObject) {
  FakeClock clock;
  FakeSink sink;
  EventRecorder recorder(&sink, Opts(&clock));
  auto pod = testing::MakePod("default", "web-1");
  pod.mutable_metadata()->set_resource_version("7");
  recorder.Eventf(pod, kEventTypeNormal, "Scheduled", "Successfully assigned %s/%s to %s",
                  "default", "web-1", "node-1");
  recorder.Flush();
  auto events = sink.Events();
  ASSERT_EQ(events.size(), 1u);
  const Event& e = events.begin()->second;
  EXPECT_EQ(e.metadata().namespace_(), "default");
  EXPECT_EQ(e.metadata().name().rfind("web-1.", 0), 0u);
  EXPECT_EQ(e.involved_object().kind(), "Pod");
  EXPECT_EQ(e.involved_object().api_version(), "v1");
  EXPECT_EQ(e.involved_object().name(), "web-1");
  EXPECT_EQ(e.involved_object().uid(), "uid-default-web-1");
  EXPECT_EQ(e.involved_object().resource_version(), "7");
  EXPECT_EQ(e.reason(), "Scheduled");
  EXPECT_EQ(e.message(), "Successfully assigned default/web-1 to node-1");
  EXPECT_EQ(e.type(), "Normal");
  EXPECT_EQ(e.source().component(), "default-scheduler");
  EXPECT_EQ(e.source().host(), "host-1");
  EXPECT_EQ(e.count(), 1);
  EXPECT_EQ(e.first_timestamp().seconds(), absl::ToUnixSeconds(clock.Now()));
  EXPECT_EQ(e.last_timestamp().seconds(), absl::ToUnixSeconds(clock.Now()));
}

TEST(EventRecorder, EventTimeHasMicrosecondPrecision) {
  // Two events 250.5 microseconds apart within one second: the
  // second-precision timestamps are equal, eventTime tells them apart.
  FakeClock clock(absl::FromUnixSeconds(1700000000) + absl::Microseconds(123456) +
                  absl::Nanoseconds(789));
  FakeSink sink;
  EventRecorder recorder(&sink, Opts(&clock));
  auto pod = testing::MakePod("default", "web-1");
  recorder.Event(pod, kEventTypeNormal, "Scheduled", "first");
  recorder.Flush();
  clock.Advance(absl::Nanoseconds(250500));
  recorder.Event(pod, kEventTypeNormal, "Pulled", "second");
  recorder.Flush();
  std::map<std::string, Event> by_reason;
  for (auto& [k, e] : sink.Events()) by_reason[e.reason()] = e;
  ASSERT_EQ(by_reason.size(), 2u);
  const Event& first = by_reason["Scheduled"];
  const Event& second = by_reason["Pulled"];
  EXPECT_EQ(first.first_timestamp().seconds(), 1700000000);
  EXPECT_EQ(first.first_timestamp().nanos(), 0);
  EXPECT_EQ(second.first_timestamp().seconds(), 1700000000);
  // Truncated to the microsecond.
  EXPECT_EQ(first.event_time().seconds(), 1700000000);
  EXPECT_EQ(first.event_time().nanos(), 123456000);
  EXPECT_EQ(second.event_time().seconds(), 1700000000);
  EXPECT_EQ(second.event_time().nanos(), 123707000);
}

TEST(EventRecorder, AggregatesRepeatsIntoCount) {
  FakeClock clock;
  FakeSink sink;
  EventRecorder recorder(&sink, Opts(&clock));
  auto pod = testing::MakePod("default", "web-1");
  recorder.Event(pod, kEventTypeWarning, "FailedScheduling", "0/3 nodes are available");
  recorder.Flush();
  clock.Advance(absl::Seconds(30));
  recorder.Event(pod, kEventTypeWarning, "FailedScheduling", "0/3 nodes are available");
  recorder.Event(pod, kEventTypeWarning, "FailedScheduling", "0/3 nodes are available");
  // A different message is a different Event.
  recorder.Event(pod, kEventTypeWarning, "FailedScheduling", "0/4 nodes are available");
  recorder.Flush();
  EXPECT_EQ(sink.creates(), 2);
  EXPECT_EQ(sink.patches(), 2);
  auto bodies = sink.patch_bodies();
  ASSERT_EQ(bodies.size(), 2u);
  EXPECT_EQ(bodies[1], "{\"count\":3,\"lastTimestamp\":\"2023-11-14T22:13:50Z\"}");
  int threes = 0;
  for (auto& [k, e] : sink.Events()) threes += e.count() == 3 ? 1 : 0;
  EXPECT_EQ(threes, 1);
}

TEST(EventRecorder, RecreatesAnEventThatIsGone) {
  FakeClock clock;
  FakeSink sink;
  EventRecorder recorder(&sink, Opts(&clock));
  auto pod = testing::MakePod("default", "web-1");
  recorder.Event(pod, kEventTypeNormal, "Pulled", "pulled");
  recorder.Flush();
  sink.Clear();
  clock.Advance(absl::Seconds(1));
  recorder.Event(pod, kEventTypeNormal, "Pulled", "pulled");
  recorder.Flush();
  EXPECT_EQ(sink.creates(), 2);
  auto events = sink.Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events.begin()->second.count(), 1);
}

TEST(EventRecorder, ClusterScopedObjectsGoToDefaultNamespace) {
  FakeClock clock;
  FakeSink sink;
  EventRecorder recorder(&sink, Opts(&clock));
  minik8s::core::v1::Node node;
  node.mutable_metadata()->set_name("node-1");
  recorder.Event(node, kEventTypeNormal, "NodeReady", "Node node-1 status is now: NodeReady");
  recorder.Flush();
  auto events = sink.Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events.begin()->second.metadata().namespace_(), "default");
  EXPECT_EQ(events.begin()->second.involved_object().kind(), "Node");
}

// A sink that blocks until released, to fill the queue.
class BlockingSink : public FakeSink {
 public:
  absl::StatusOr<Event> Create(const Event& event) override {
    absl::MutexLock lock(&mu_);
    ++entered_;
    mu_.Await(absl::Condition(&open_));
    return event;
  }
  // Waits until `n` Create calls have started.
  void AwaitEntered(int n) {
    absl::MutexLock lock(&mu_);
    auto entered = [this, n]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return entered_ >= n; };
    mu_.Await(absl::Condition(&entered));
  }
  int entered() {
    absl::MutexLock lock(&mu_);
    return entered_;
  }
  void Open() {
    absl::MutexLock lock(&mu_);
    open_ = true;
  }

 private:
  absl::Mutex mu_;
  bool open_ = false;
  int entered_ = 0;
};

TEST(EventRecorder, DropsWhenTheQueueIsFullWithoutBlocking) {
  FakeClock clock;
  BlockingSink sink;
  EventRecorderOptions o = Opts(&clock);
  o.queue_size = 3;
  EventRecorder recorder(&sink, o);
  auto pod = testing::MakePod("default", "web-1");
  for (int i = 0; i < 20; ++i) {
    recorder.Event(pod, kEventTypeNormal, "R", "message " + std::to_string(i));
  }
  // 1 being written + 3 queued at most.
  EXPECT_GE(recorder.dropped(), 16);
  sink.Open();
  recorder.Flush();
}

TEST(EventRecorder, ShutdownWritesWhatIsQueued) {
  FakeClock clock;
  FakeSink sink;
  EventRecorderOptions o = Opts(&clock);
  o.shutdown_timeout = absl::InfiniteDuration();  // no deadline: every event is written
  auto recorder = std::make_unique<EventRecorder>(&sink, o);
  auto pod = testing::MakePod("default", "web-1");
  for (int i = 0; i < 50; ++i) {
    recorder->Event(pod, kEventTypeNormal, "R", "message " + std::to_string(i));
  }
  recorder->Shutdown();
  EXPECT_EQ(sink.creates(), 50);
  EXPECT_EQ(recorder->dropped(), 0);
}

TEST(EventRecorder, ShutdownDropsWhatIsNotWrittenWithinTheDeadline) {
  FakeClock clock;
  BlockingSink sink;
  EventRecorderOptions o = Opts(&clock);
  o.shutdown_timeout = absl::ZeroDuration();
  EventRecorder recorder(&sink, o);
  auto pod = testing::MakePod("default", "web-1");
  recorder.Event(pod, kEventTypeNormal, "R", "first");
  sink.AwaitEntered(1);  // the first event is being written
  for (int i = 0; i < 5; ++i) {
    recorder.Event(pod, kEventTypeNormal, "R", "queued " + std::to_string(i));
  }
  std::thread stopper([&] { recorder.Shutdown(); });
  // Shutdown drops the queue, then waits for the write in flight.
  while (recorder.dropped() < 5) absl::SleepFor(absl::Milliseconds(1));
  sink.Open();
  stopper.join();
  EXPECT_EQ(recorder.dropped(), 5);
  EXPECT_EQ(sink.entered(), 1);
  // Nothing is taken after shutdown.
  recorder.Event(pod, kEventTypeNormal, "R", "late");
  EXPECT_EQ(sink.entered(), 1);
}

}  // namespace
}  // namespace minik8s::client
