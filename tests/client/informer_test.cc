#include "client/informer.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/fake_clock.h"
#include "testing/wait.h"
#include "tests/client/fake_lister_watcher.h"

namespace minik8s::client {
namespace {

using minik8s::core::v1::Pod;
using testing::FakeListerWatcher;
using testing::MakePod;

// Records handler calls as strings ("add default/a@2", "update ...",
// "delete ... unknown") and counts adds per key.
class Recorder {
 public:
  EventHandlers<Pod> Handlers() {
    EventHandlers<Pod> h;
    h.on_add = [this](const std::shared_ptr<const Pod>& p) {
      Log(absl::StrCat("add ", KeyOf(*p), "@", p->metadata().resource_version()));
    };
    h.on_update = [this](const std::shared_ptr<const Pod>& o, const std::shared_ptr<const Pod>& n) {
      Log(absl::StrCat("update ", KeyOf(*n), "@", o->metadata().resource_version(), "->",
                       n->metadata().resource_version()));
    };
    h.on_delete = [this](const std::shared_ptr<const Pod>& p, bool unknown) {
      Log(absl::StrCat("delete ", KeyOf(*p), unknown ? " unknown" : ""));
    };
    return h;
  }
  std::vector<std::string> Events() {
    absl::MutexLock lock(&mu_);
    return events_;
  }
  // Waits (real time) until at least n events were recorded.
  bool WaitForCount(size_t n) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return events_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(10));
  }
  int CountPrefix(const std::string& prefix) {
    absl::MutexLock lock(&mu_);
    int n = 0;
    for (auto& e : events_) n += e.rfind(prefix, 0) == 0 ? 1 : 0;
    return n;
  }

 private:
  void Log(std::string s) {
    absl::MutexLock lock(&mu_);
    events_.push_back(std::move(s));
  }
  absl::Mutex mu_;
  std::vector<std::string> events_ ABSL_GUARDED_BY(mu_);
};

InformerOptions FastOptions(common::Clock* clock = nullptr) {
  InformerOptions o;
  o.name = "pods";
  o.initial_backoff = absl::Milliseconds(1);
  o.max_backoff = absl::Milliseconds(5);
  o.clock = clock;
  return o;
}

// The informer's cache equals the fake's objects (keys and resourceVersions).
void ExpectMirror(FakeListerWatcher& fake, const Informer<Pod>& informer) {
  std::map<std::string, std::string> want, got;
  for (auto& [k, p] : fake.Objects()) want[k] = p.metadata().resource_version();
  for (auto& p : informer.GetLister().List()) got[KeyOf(*p)] = p->metadata().resource_version();
  EXPECT_EQ(got, want);
}

bool WaitUntil(const std::function<bool()>& cond) {
  return ::minik8s::testing::WaitFor(cond, absl::Seconds(10), absl::Milliseconds(1));
}

TEST(Informer, ListsThenWatches) {
  FakeListerWatcher fake;
  fake.Upsert(MakePod("default", "a"));  // rv 2
  fake.Upsert(MakePod("default", "b"));  // rv 3
  Informer<Pod> informer(fake.Proxy(), FastOptions());
  Recorder rec;
  informer.AddEventHandler(rec.Handlers());
  informer.Start();
  ASSERT_TRUE(informer.WaitForCacheSync(absl::Seconds(10)));
  ASSERT_TRUE(rec.WaitForCount(2));
  EXPECT_EQ(informer.LastSyncResourceVersion(), "3");

  ASSERT_TRUE(WaitUntil([&] { return fake.NumOpenWatches() == 1; }));
  fake.Upsert(MakePod("default", "c"));  // rv 4
  Pod a = MakePod("default", "a");
  a.mutable_metadata()->mutable_labels()->insert({"x", "y"});
  fake.Upsert(a);            // rv 5
  fake.Delete("default/b");  // rv 6
  ASSERT_TRUE(rec.WaitForCount(5));
  EXPECT_EQ(rec.Events(),
            (std::vector<std::string>{"add default/a@2", "add default/b@3", "add default/c@4",
                                      "update default/a@2->5", "delete default/b"}));
  EXPECT_EQ(fake.LastWatchFrom(), "3");
  ExpectMirror(fake, informer);
  auto got = informer.GetLister().Get("default", "a");
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(got->metadata().labels().at("x"), "y");
  EXPECT_EQ(informer.GetLister().Get("default", "b"), nullptr);
  informer.Stop();
}

TEST(Informer, ResumesADroppedWatchWithoutDuplicates) {
  FakeListerWatcher fake;
  fake.Upsert(MakePod("default", "a"));
  Informer<Pod> informer(fake.Proxy(), FastOptions());
  Recorder rec;
  informer.AddEventHandler(rec.Handlers());
  informer.Start();
  ASSERT_TRUE(informer.WaitForCacheSync(absl::Seconds(10)));
  ASSERT_TRUE(WaitUntil([&] { return fake.NumOpenWatches() == 1; }));

  // The connection drops; changes happen while the client is away.
  fake.SetUnavailable(true);
  fake.DropWatches();
  fake.Upsert(MakePod("default", "b"));
  fake.Upsert(MakePod("default", "c"));
  fake.Delete("default/a");
  // Let the informer fail a few reconnects, then come back.
  int watches_before = fake.NumWatches();
  ASSERT_TRUE(WaitUntil([&] { return fake.NumRefused() >= 3; }));
  fake.SetUnavailable(false);
  ASSERT_TRUE(rec.WaitForCount(4));
  ASSERT_TRUE(WaitUntil([&] { return fake.NumOpenWatches() == 1; }));
  EXPECT_EQ(rec.Events(), (std::vector<std::string>{"add default/a@2", "add default/b@3",
                                                    "add default/c@4", "delete default/a"}));
  // Resumed from the last version seen, without listing again.
  EXPECT_EQ(fake.NumLists(), 1);
  EXPECT_EQ(informer.shared().NumLists(), 1);
  EXPECT_GT(fake.NumWatches(), watches_before);
  fake.Upsert(MakePod("default", "d"));
  ASSERT_TRUE(rec.WaitForCount(5));
  EXPECT_EQ(rec.CountPrefix("add default/b"), 1);
  ExpectMirror(fake, informer);
}

TEST(Informer, BookmarksAdvanceTheResumeVersion) {
  FakeListerWatcher fake;
  Informer<Pod> informer(fake.Proxy(), FastOptions());
  informer.Start();
  ASSERT_TRUE(informer.WaitForCacheSync(absl::Seconds(10)));
  ASSERT_TRUE(WaitUntil([&] { return fake.NumOpenWatches() == 1; }));
  fake.Bookmark();  // rv 2
  ASSERT_TRUE(WaitUntil([&] { return informer.LastSyncResourceVersion() == "2"; }));
  fake.DropWatches();
  ASSERT_TRUE(WaitUntil([&] { return fake.NumOpenWatches() == 1; }));
  EXPECT_EQ(fake.LastWatchFrom(), "2");
}

TEST(Informer, RelistsWhenTooOldAndEmitsTheDifference) {
  FakeListerWatcher fake;
  fake.Upsert(MakePod("default", "a"));  // rv 2
  fake.Upsert(MakePod("default", "b"));  // rv 3
  fake.Upsert(MakePod("default", "c"));  // rv 4
  Informer<Pod> informer(fake.Proxy(), FastOptions());
  Recorder rec;
  informer.AddEventHandler(rec.Handlers());
  informer.Start();
  ASSERT_TRUE(informer.WaitForCacheSync(absl::Seconds(10)));
  ASSERT_TRUE(rec.WaitForCount(3));
  ASSERT_TRUE(WaitUntil([&] { return fake.NumOpenWatches() == 1; }));

  fake.SetUnavailable(true);
  fake.DropWatches();
  fake.Delete("default/a");  // rv 5, vanishes unseen
  Pod b = MakePod("default", "b");
  b.mutable_spec()->set_node_name("n1");
  fake.Upsert(b);                        // rv 6
  fake.Upsert(MakePod("default", "d"));  // rv 7
  fake.Compact();                        // history before 7 is gone
  fake.SetUnavailable(false);

  ASSERT_TRUE(rec.WaitForCount(6));
  std::vector<std::string> events = rec.Events();
  std::vector<std::string> tail(events.begin() + 3, events.end());
  std::sort(tail.begin(), tail.end());
  EXPECT_EQ(tail, (std::vector<std::string>{"add default/d@7", "delete default/a unknown",
                                            "update default/b@3->6"}));
  EXPECT_EQ(fake.NumLists(), 2);
  EXPECT_EQ(informer.LastSyncResourceVersion(), "7");
  ExpectMirror(fake, informer);
  // c did not change: no event for it.
  EXPECT_EQ(rec.CountPrefix("update default/c"), 0);
  // Indexes followed the relist.
  auto on_n1 = informer.GetLister().ListByIndex(kIndexPodNodeName, "n1");
  ASSERT_EQ(on_n1.size(), 1u);
  EXPECT_EQ(on_n1[0]->metadata().name(), "b");
}

TEST(Informer, RelistsOnAGoneErrorEvent) {
  FakeListerWatcher fake;
  fake.Upsert(MakePod("default", "a"));
  Informer<Pod> informer(fake.Proxy(), FastOptions());
  Recorder rec;
  informer.AddEventHandler(rec.Handlers());
  informer.Start();
  ASSERT_TRUE(informer.WaitForCacheSync(absl::Seconds(10)));
  ASSERT_TRUE(WaitUntil([&] { return fake.NumOpenWatches() == 1; }));
  fake.SendGoneErrorEvent();
  ASSERT_TRUE(WaitUntil([&] { return fake.NumLists() == 2; }));
  ASSERT_TRUE(WaitUntil([&] { return fake.NumOpenWatches() == 1; }));
  fake.Upsert(MakePod("default", "b"));
  ASSERT_TRUE(rec.WaitForCount(2));
  // The relist found nothing new: no duplicate add of a.
  EXPECT_EQ(rec.Events(), (std::vector<std::string>{"add default/a@2", "add default/b@3"}));
}

TEST(Informer, RetriesListUntilTheServerAnswers) {
  FakeListerWatcher fake;
  fake.Upsert(MakePod("default", "a"));
  fake.FailNextLists(3);
  Informer<Pod> informer(fake.Proxy(), FastOptions());
  EXPECT_FALSE(informer.HasSynced());
  informer.Start();
  ASSERT_TRUE(informer.WaitForCacheSync(absl::Seconds(10)));
  EXPECT_EQ(informer.GetLister().List().size(), 1u);
}

TEST(Informer, ResyncRedeliversEverythingAsUpdates) {
  common::FakeClock clock;
  FakeListerWatcher fake;
  fake.Upsert(MakePod("default", "a"));
  fake.Upsert(MakePod("default", "b"));
  InformerOptions options = FastOptions(&clock);
  options.resync_period = absl::Minutes(1);
  Informer<Pod> informer(fake.Proxy(), options);
  Recorder rec;
  informer.AddEventHandler(rec.Handlers());
  informer.Start();
  ASSERT_TRUE(informer.WaitForCacheSync(absl::Seconds(10)));
  ASSERT_TRUE(rec.WaitForCount(2));
  clock.Advance(absl::Seconds(59));
  // What is under test is that nothing happens before the period: give a
  // wrong early resync 20 ms of real time to show up.
  absl::SleepFor(absl::Milliseconds(20));
  EXPECT_EQ(rec.Events().size(), 2u);
  clock.Advance(absl::Seconds(1));
  ASSERT_TRUE(rec.WaitForCount(4));
  EXPECT_EQ(rec.CountPrefix("update default/a@2->2"), 1);
  EXPECT_EQ(rec.CountPrefix("update default/b@3->3"), 1);
  clock.Advance(absl::Minutes(1));
  ASSERT_TRUE(rec.WaitForCount(6));
  informer.Stop();
}

TEST(Informer, LateHandlerGetsTheCacheOnceThenLiveEvents) {
  FakeListerWatcher fake;
  fake.Upsert(MakePod("default", "a"));
  fake.Upsert(MakePod("default", "b"));
  Informer<Pod> informer(fake.Proxy(), FastOptions());
  informer.Start();
  ASSERT_TRUE(informer.WaitForCacheSync(absl::Seconds(10)));
  ASSERT_TRUE(WaitUntil([&] { return fake.NumOpenWatches() == 1; }));
  Recorder rec;
  informer.AddEventHandler(rec.Handlers());
  fake.Upsert(MakePod("default", "c"));
  ASSERT_TRUE(rec.WaitForCount(3));
  // A later event is the barrier: a duplicate of the replay or of c would
  // reach the handler before d does.
  fake.Upsert(MakePod("default", "d"));
  ASSERT_TRUE(rec.WaitForCount(4));
  std::vector<std::string> events = rec.Events();
  std::sort(events.begin(), events.end());
  EXPECT_EQ(events, (std::vector<std::string>{"add default/a@2", "add default/b@3",
                                              "add default/c@4", "add default/d@5"}));
}

TEST(Informer, StopEndsAWatchInProgress) {
  FakeListerWatcher fake;
  Informer<Pod> informer(fake.Proxy(), FastOptions());
  informer.Start();
  ASSERT_TRUE(informer.WaitForCacheSync(absl::Seconds(10)));
  ASSERT_TRUE(WaitUntil([&] { return fake.NumOpenWatches() == 1; }));
  informer.Stop();  // must not hang on the blocked Next()
  EXPECT_EQ(fake.NumOpenWatches(), 0);
}

}  // namespace
}  // namespace minik8s::client
