#include "client/event_recorder.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "api/errors.h"
#include "common/clock.h"
#include "common/fake_clock.h"
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
    created_.push_back(event);
    events_[MakeKey(event.metadata().namespace_(), event.metadata().name())] = event;
    return event;
  }
  absl::StatusOr<Event> Patch(absl::string_view ns, absl::string_view name,
                              absl::string_view json) override {
    absl::MutexLock lock(&mu_);
    ++patches_;
    patch_bodies_.push_back(std::string(json));
    auto it = events_.find(MakeKey(ns, name));
    if (it == events_.end()) return api::NewNotFound("events", name);
    // The recorder sends {"count":N,"lastTimestamp":"..."} and, for an
    // aggregate Event, "message":"..." (test messages escape only quotes).
    std::string s(json);
    it->second.set_count(std::stoi(s.substr(s.find(':') + 1)));
    const std::string message_field = "\"message\":\"";
    if (size_t m = s.find(message_field); m != std::string::npos) {
      size_t start = m + message_field.size();
      std::string message;
      for (size_t i = start; i < s.rfind('"'); ++i) {
        if (s[i] == '\\') ++i;
        message += s[i];
      }
      it->second.set_message(message);
    }
    return it->second;
  }
  std::map<std::string, Event> Events() {
    absl::MutexLock lock(&mu_);
    return events_;
  }
  // Every Event created, in order (names may repeat within a nanosecond).
  std::vector<Event> Created() {
    absl::MutexLock lock(&mu_);
    return created_;
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
  std::vector<Event> created_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> patch_bodies_ ABSL_GUARDED_BY(mu_);
  int creates_ ABSL_GUARDED_BY(mu_) = 0;
  int patches_ ABSL_GUARDED_BY(mu_) = 0;
};

EventRecorderOptions Opts(common::Clock* clock) {
  EventRecorderOptions o;
  o.component = "default-scheduler";
  o.host = "host-1";
  o.clock = clock;
  return o;
}

TEST(EventRecorder, RecordsAnEventAboutAnObject) {
  common::FakeClock clock;
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
  common::FakeClock clock(absl::FromUnixSeconds(1700000000) + absl::Microseconds(123456) +
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
  common::FakeClock clock;
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
  common::FakeClock clock;
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
  common::FakeClock clock;
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

minik8s::core::v1::ObjectReference RsRef(const std::string& name) {
  minik8s::core::v1::ObjectReference ref;
  ref.set_kind("ReplicaSet");
  ref.set_api_version("apps/v1");
  ref.set_namespace_("default");
  ref.set_name(name);
  ref.set_uid("uid-" + name);
  return ref;
}

int CountInvolving(FakeSink& sink, const std::string& name) {
  int n = 0;
  for (const Event& e : sink.Created()) n += e.involved_object().name() == name ? 1 : 0;
  return n;
}

TEST(EventRecorder, SpamFilterDropsThe26thEventAboutOneObject) {
  common::FakeClock clock;
  FakeSink sink;
  EventRecorderOptions o = Opts(&clock);
  o.component = "replicaset-controller";
  o.host = "";
  EventRecorder recorder(&sink, o);
  // Distinct reasons, so nothing is aggregated or counted as a repeat.
  for (int i = 0; i < 30; ++i) {
    recorder.Event(RsRef("web"), kEventTypeNormal, "Reason" + std::to_string(i), "created pod");
  }
  // Filtered in Event() itself, before the queue.
  EXPECT_EQ(recorder.spam_filtered(), 5);
  recorder.Flush();
  EXPECT_EQ(sink.creates(), 25);
  EXPECT_EQ(sink.patches(), 0);
  EXPECT_EQ(recorder.dropped(), 0);
  std::set<std::string> reasons;
  for (const Event& e : sink.Created()) reasons.insert(e.reason());
  EXPECT_EQ(reasons.count("Reason24"), 1u);
  EXPECT_EQ(reasons.count("Reason25"), 0u);
}

TEST(EventRecorder, SpamFilterGivesATokenBackEveryFiveMinutes) {
  common::FakeClock clock;
  FakeSink sink;
  EventRecorder recorder(&sink, Opts(&clock));
  auto send = [&](int i) {
    recorder.Event(RsRef("web"), kEventTypeNormal, "Reason" + std::to_string(i), "m");
  };
  for (int i = 0; i < 25; ++i) send(i);
  send(25);
  EXPECT_EQ(recorder.spam_filtered(), 1);
  clock.Advance(absl::Minutes(5) - absl::Seconds(1));
  send(26);
  EXPECT_EQ(recorder.spam_filtered(), 2);
  clock.Advance(absl::Seconds(1));  // 5 minutes since the bucket ran dry
  send(27);
  EXPECT_EQ(recorder.spam_filtered(), 2);
  send(28);  // that was the only token
  EXPECT_EQ(recorder.spam_filtered(), 3);
  // An hour refills 12 tokens.
  clock.Advance(absl::Hours(1));
  for (int i = 100; i < 115; ++i) send(i);
  EXPECT_EQ(recorder.spam_filtered(), 6);
  recorder.Flush();
  EXPECT_EQ(sink.creates(), 25 + 1 + 12);
}

TEST(EventRecorder, SpamFilterKeepsABucketPerObject) {
  common::FakeClock clock;
  FakeSink sink;
  EventRecorder recorder(&sink, Opts(&clock));
  for (int i = 0; i < 40; ++i) {
    recorder.Event(RsRef("web"), kEventTypeNormal, "R" + std::to_string(i), "m");
  }
  EXPECT_EQ(recorder.spam_filtered(), 15);
  // Another object, and the same name with another uid (a recreated
  // object), have full buckets of their own.
  auto other_uid = RsRef("web");
  other_uid.set_uid("uid-web-2");
  for (int i = 0; i < 25; ++i) {
    recorder.Event(RsRef("db"), kEventTypeNormal, "R" + std::to_string(i), "m");
    recorder.Event(other_uid, kEventTypeNormal, "R" + std::to_string(i), "m");
  }
  // Per-pod events about many pods are never filtered.
  for (int i = 0; i < 100; ++i) {
    auto pod = testing::MakePod("default", "web-" + std::to_string(i));
    recorder.Event(pod, kEventTypeNormal, "Scheduled", "assigned");
  }
  EXPECT_EQ(recorder.spam_filtered(), 15);
  recorder.Flush();
  EXPECT_EQ(CountInvolving(sink, "db"), 25);
  EXPECT_EQ(CountInvolving(sink, "web"), 50);
  EXPECT_EQ(sink.creates(), 25 + 25 + 25 + 100);
}

TEST(EventRecorder, SpamFilterOffWithBurstZero) {
  common::FakeClock clock;
  FakeSink sink;
  EventRecorderOptions o = Opts(&clock);
  o.spam_burst = 0;
  EventRecorder recorder(&sink, o);
  for (int i = 0; i < 200; ++i) {
    recorder.Event(RsRef("web"), kEventTypeNormal, "R" + std::to_string(i), "m");
  }
  recorder.Flush();
  EXPECT_EQ(recorder.spam_filtered(), 0);
  EXPECT_EQ(sink.creates(), 200);
}

TEST(EventRecorder, SpamFilterRemembersAtMostCacheSizeBuckets) {
  common::FakeClock clock;
  FakeSink sink;
  EventRecorderOptions o = Opts(&clock);
  o.cache_size = 2;
  EventRecorder recorder(&sink, o);
  for (int i = 0; i < 25; ++i) {
    recorder.Event(RsRef("a"), kEventTypeNormal, "R" + std::to_string(i), "m");
  }
  recorder.Event(RsRef("a"), kEventTypeNormal, "R-last", "m");
  EXPECT_EQ(recorder.spam_filtered(), 1);
  // Two other objects push "a" out of the LRU: it starts with a full bucket.
  recorder.Event(RsRef("b"), kEventTypeNormal, "R", "m");
  recorder.Event(RsRef("c"), kEventTypeNormal, "R", "m");
  recorder.Event(RsRef("a"), kEventTypeNormal, "R-again", "m");
  EXPECT_EQ(recorder.spam_filtered(), 1);
  recorder.Flush();
}

TEST(EventRecorder, AggregatesSimilarEventsIntoACombinedEvent) {
  common::FakeClock clock;
  FakeSink sink;
  EventRecorder recorder(&sink, Opts(&clock));
  auto send = [&](int i) {
    recorder.Event(RsRef("web"), kEventTypeWarning, "FailedCreate",
                   "pods \"web-" + std::to_string(i) + "\" is forbidden");
    recorder.Flush();
    clock.Advance(absl::Seconds(10));
  };
  // Nine similar events (same object, type and reason, other messages) are
  // recorded as they are.
  for (int i = 0; i < 9; ++i) send(i);
  EXPECT_EQ(sink.creates(), 9);
  for (auto& [k, e] : sink.Events()) {
    EXPECT_EQ(e.message().rfind("pods \"web-", 0), 0u) << e.message();
    EXPECT_EQ(e.count(), 1);
  }
  // The tenth distinct message within 10 minutes becomes an aggregate Event.
  send(9);
  EXPECT_EQ(sink.creates(), 10);
  EXPECT_EQ(sink.patches(), 0);
  auto find_combined = [&]() {
    std::vector<Event> combined;
    for (auto& [k, e] : sink.Events()) {
      if (e.message().rfind("(combined from similar events): ", 0) == 0) combined.push_back(e);
    }
    return combined;
  };
  auto combined = find_combined();
  ASSERT_EQ(combined.size(), 1u);
  EXPECT_EQ(combined[0].message(), "(combined from similar events): pods \"web-9\" is forbidden");
  EXPECT_EQ(combined[0].count(), 1);
  EXPECT_EQ(combined[0].reason(), "FailedCreate");
  EXPECT_EQ(combined[0].type(), "Warning");
  EXPECT_EQ(combined[0].involved_object().name(), "web");
  // Further similar events count up on that one Event, showing the latest
  // message.
  send(10);
  send(11);
  EXPECT_EQ(sink.creates(), 10);
  EXPECT_EQ(sink.patches(), 2);
  combined = find_combined();
  ASSERT_EQ(combined.size(), 1u);
  EXPECT_EQ(combined[0].count(), 3);
  EXPECT_EQ(combined[0].message(), "(combined from similar events): pods \"web-11\" is forbidden");
  EXPECT_NE(sink.patch_bodies().back().find(
                "\"message\":\"(combined from similar events): pods \\\"web-11\\\" is forbidden\""),
            std::string::npos)
      << sink.patch_bodies().back();
  // Another reason about the same object is another group.
  recorder.Event(RsRef("web"), kEventTypeWarning, "FailedDelete", "pods \"web-0\" is forbidden");
  recorder.Flush();
  EXPECT_EQ(sink.creates(), 11);
  EXPECT_EQ(find_combined().size(), 1u);
}

TEST(EventRecorder, SimilarEventsFurtherApartThanTheIntervalAreNotAggregated) {
  common::FakeClock clock;
  FakeSink sink;
  EventRecorder recorder(&sink, Opts(&clock));
  auto pod = testing::MakePod("default", "web-1");
  for (int i = 0; i < 9; ++i) {
    recorder.Event(pod, kEventTypeWarning, "FailedMount", "try " + std::to_string(i));
  }
  recorder.Flush();
  // More than 10 minutes without a similar event: the group starts over.
  clock.Advance(absl::Minutes(10) + absl::Seconds(1));
  for (int i = 9; i < 18; ++i) {
    recorder.Event(pod, kEventTypeWarning, "FailedMount", "try " + std::to_string(i));
  }
  recorder.Flush();
  EXPECT_EQ(sink.creates(), 18);
  EXPECT_EQ(sink.patches(), 0);
  for (const Event& e : sink.Created()) EXPECT_EQ(e.message().rfind("try ", 0), 0u);
  // One more within the interval makes ten distinct messages.
  recorder.Event(pod, kEventTypeWarning, "FailedMount", "try 18");
  recorder.Flush();
  int combined = 0;
  for (const Event& e : sink.Created()) {
    combined += e.message() == "(combined from similar events): try 18" ? 1 : 0;
  }
  EXPECT_EQ(combined, 1);
}

TEST(EventRecorder, ExactRepeatsAreCountedNotAggregated) {
  common::FakeClock clock;
  FakeSink sink;
  EventRecorder recorder(&sink, Opts(&clock));
  auto pod = testing::MakePod("default", "web-1");
  for (int i = 0; i < 20; ++i) {
    recorder.Event(pod, kEventTypeWarning, "BackOff", "Back-off restarting failed container");
    clock.Advance(absl::Seconds(1));
  }
  recorder.Flush();
  EXPECT_EQ(sink.creates(), 1);
  EXPECT_EQ(sink.patches(), 19);
  auto events = sink.Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events.begin()->second.count(), 20);
  EXPECT_EQ(events.begin()->second.message(), "Back-off restarting failed container");
  // A repeat's patch carries no message.
  EXPECT_EQ(sink.patch_bodies().back().find("message"), std::string::npos);
}

TEST(EventRecorder, AggregationOffWithMaxEventsZero) {
  common::FakeClock clock;
  FakeSink sink;
  EventRecorderOptions o = Opts(&clock);
  o.aggregate_max_events = 0;
  EventRecorder recorder(&sink, o);
  for (int i = 0; i < 20; ++i) {
    recorder.Event(RsRef("web"), kEventTypeNormal, "SuccessfulCreate",
                   "Created pod: web-" + std::to_string(i));
  }
  recorder.Flush();
  EXPECT_EQ(sink.creates(), 20);
  for (auto& [k, e] : sink.Events()) EXPECT_EQ(e.message().rfind("Created pod: ", 0), 0u);
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
  common::FakeClock clock;
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
  common::FakeClock clock;
  FakeSink sink;
  EventRecorderOptions o = Opts(&clock);
  o.shutdown_timeout = absl::InfiniteDuration();  // no deadline: every event is written
  // 50 events about one pod: without this, the spam filter would keep 25 and
  // aggregation would fold the similar ones; this test is about shutdown.
  o.spam_burst = 0;
  o.aggregate_max_events = 0;
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
  common::FakeClock clock;
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
