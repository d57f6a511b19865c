#include <map>
#include <thread>

#include "testing/subprocess.h"
#include "tests/store/unit/store_fixture.h"

namespace minik8s::store {
namespace {

using etcdserverpb::WatchCreateRequest;
using etcdserverpb::WatchResponse;

// Stands in for the gRPC reactor: records what the stream sends. With
// auto_drain the "transport" is infinitely fast; otherwise a write stays in
// flight until Drain().
class FakeTransport {
 public:
  FakeTransport(KvStore* store, bool auto_drain) : auto_drain_(auto_drain) {
    stream_ = store->watchable()->NewStream([this](WatchResponse&& r) {
      absl::MutexLock lock(&mu_);
      got_.push_back(std::move(r));
      if (!auto_drain_) {
        in_flight_ = true;
        return;
      }
      while (auto next = stream_->NextToSend()) got_.push_back(std::move(*next));
    });
  }
  ~FakeTransport() { stream_->Close(); }
  WatchStream* stream() { return stream_.get(); }

  // Completes the write in flight, if any, and every one after it (a
  // transport calls NextToSend() only after a send).
  void Drain() {
    absl::MutexLock lock(&mu_);
    if (!in_flight_) return;
    while (auto next = stream_->NextToSend()) got_.push_back(std::move(*next));
    in_flight_ = false;
  }
  std::vector<WatchResponse> Got() {
    absl::MutexLock lock(&mu_);
    return got_;
  }
  // All events, in order.
  std::vector<mvccpb::Event> Events() {
    std::vector<mvccpb::Event> out;
    for (const auto& r : Got()) {
      for (const auto& e : r.events()) out.push_back(e);
    }
    return out;
  }
  bool WaitEvents(size_t n) {
    return testing::WaitFor([&] { return Events().size() >= n; }, absl::Seconds(10));
  }

 private:
  const bool auto_drain_;
  absl::Mutex mu_;
  std::vector<WatchResponse> got_ ABSL_GUARDED_BY(mu_);
  bool in_flight_ ABSL_GUARDED_BY(mu_) = false;
  std::unique_ptr<WatchStream> stream_;
};

WatchCreateRequest Watch(const std::string& key, const std::string& end = "", int64_t start = 0) {
  WatchCreateRequest w;
  w.set_key(key);
  w.set_range_end(end);
  w.set_start_revision(start);
  return w;
}

TEST_F(StoreTest, WatchLiveEventsWithIdsAndCreatedReply) {
  FakeTransport t(store_.get(), true);
  t.stream()->Create(Watch("a"));
  t.stream()->Create(Watch("p/", "p0"));
  Put("a", "1");
  Put("p/x", "2");
  Put("other", "3");
  Delete("a");
  ASSERT_TRUE(t.WaitEvents(3));
  auto got = t.Got();
  ASSERT_GE(got.size(), 5u);
  EXPECT_TRUE(got[0].created());
  EXPECT_EQ(got[0].watch_id(), 0);
  EXPECT_TRUE(got[1].created());
  EXPECT_EQ(got[1].watch_id(), 1);
  auto ev = t.Events();
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[0].kv().key(), "a");
  EXPECT_EQ(ev[1].kv().key(), "p/x");
  EXPECT_EQ(ev[2].type(), mvccpb::Event::DELETE);
  EXPECT_EQ(ev[2].kv().mod_revision(), 5);  // a fresh store is at revision 1
  EXPECT_FALSE(ev[2].has_prev_kv());        // not asked for
}

TEST_F(StoreTest, WatchFromHistoryFiltersAndPrevKv) {
  Put("k", "1");  // 2
  Put("k", "2");  // 3
  Delete("k");    // 4
  FakeTransport t(store_.get(), true);
  auto w = Watch("k", "", 1);
  w.set_prev_kv(true);
  t.stream()->Create(w);
  auto puts_only = Watch("k", "", 1);
  puts_only.add_filters(WatchCreateRequest::NODELETE);
  t.stream()->Create(puts_only);
  ASSERT_TRUE(t.WaitEvents(5));
  Put("k", "4");  // 5, live after catching up
  ASSERT_TRUE(t.WaitEvents(7));
  std::vector<mvccpb::Event> w0, w1;
  for (const auto& r : t.Got()) {
    for (const auto& e : r.events()) (r.watch_id() == 0 ? w0 : w1).push_back(e);
  }
  ASSERT_EQ(w0.size(), 4u);
  EXPECT_FALSE(w0[0].has_prev_kv());
  EXPECT_EQ(w0[1].prev_kv().value(), "1");
  EXPECT_EQ(w0[2].type(), mvccpb::Event::DELETE);
  EXPECT_EQ(w0[2].prev_kv().value(), "2");
  EXPECT_EQ(w0[3].kv().value(), "4");
  ASSERT_EQ(w1.size(), 3u);
  for (const auto& e : w1) EXPECT_EQ(e.type(), mvccpb::Event::PUT);
}

TEST_F(StoreTest, LivePrevKvWatcherGetsPreviousValues) {
  Put("k", "1");
  FakeTransport plain(store_.get(), true);
  plain.stream()->Create(Watch("k"));
  Put("k", "2");  // no prev_kv watcher yet: applied without reading "1"
  ASSERT_TRUE(plain.WaitEvents(1));
  EXPECT_FALSE(plain.Events()[0].has_prev_kv());
  FakeTransport t(store_.get(), true);
  auto w = Watch("k");
  w.set_prev_kv(true);
  t.stream()->Create(w);
  Put("k", "3");
  Delete("k");
  ASSERT_TRUE(t.WaitEvents(2));
  auto ev = t.Events();
  EXPECT_EQ(ev[0].kv().value(), "3");
  EXPECT_EQ(ev[0].prev_kv().value(), "2");
  EXPECT_EQ(ev[1].prev_kv().value(), "3");
}

// A history source with one stored value, to drive WatchableStore directly.
class OneValueHistory : public HistorySource {
 public:
  int64_t CompactedRevision() const override { return 0; }
  absl::Status ReadHistory(int64_t, int64_t, int64_t, bool,
                           std::vector<RevisionEvents>*) const override {
    return absl::OkStatus();
  }
  void FillHeader(etcdserverpb::ResponseHeader* header, int64_t rev) const override {
    header->set_revision(rev);
  }
  bool ReadPrevKv(const std::string& key, int64_t rev, mvccpb::KeyValue* prev) const override {
    ++reads;
    if (key != "k" || rev != 6) return false;
    prev->set_key("k");
    prev->set_value("old");
    prev->set_mod_revision(5);
    return true;
  }
  mutable int reads = 0;
};

class WatchableStoreTest : public ::testing::TestWithParam<mvccpb::Event::EventType> {};

TEST_P(WatchableStoreTest, EventAppliedWithoutItsPreviousValueIsCompletedForPrevKvWatchers) {
  // The race the flag covers: a prev_kv watcher registered after the put or
  // delete was applied without reading the previous value, but before it was
  // notified.
  OneValueHistory history;
  WatchableStore ws(&history, 5, WatchOptions());
  std::vector<WatchResponse> got;
  absl::Mutex mu;
  std::unique_ptr<WatchStream> stream;
  stream = ws.NewStream([&](WatchResponse&& r) {
    absl::MutexLock lock(&mu);
    got.push_back(std::move(r));
    while (auto next = stream->NextToSend()) got.push_back(std::move(*next));
  });
  WatchCreateRequest with_prev = Watch("k");
  with_prev.set_prev_kv(true);
  stream->Create(with_prev);
  stream->Create(Watch("k"));
  EXPECT_TRUE(ws.WantsPrevKv());
  RevisionEvents re;
  re.rev = 6;
  re.prev_kv_missing = true;
  mvccpb::Event& ev = re.events.emplace_back();
  ev.set_type(GetParam());
  ev.mutable_kv()->set_key("k");
  if (GetParam() == mvccpb::Event::PUT) ev.mutable_kv()->set_value("new");
  ws.Notify({re}, 6);
  ws.StartPendingSends();
  {
    absl::MutexLock lock(&mu);
    std::map<int64_t, mvccpb::Event> by_watch;
    for (const auto& r : got) {
      for (const auto& e : r.events()) by_watch[r.watch_id()] = e;
    }
    ASSERT_EQ(by_watch.size(), 2u);
    EXPECT_EQ(by_watch[0].type(), GetParam());
    EXPECT_EQ(by_watch[0].prev_kv().value(), "old");
    EXPECT_FALSE(by_watch[1].has_prev_kv());
  }
  EXPECT_EQ(history.reads, 1);
  stream->Close();
  EXPECT_FALSE(ws.WantsPrevKv());
}

INSTANTIATE_TEST_SUITE_P(PutAndDelete, WatchableStoreTest,
                         ::testing::Values(mvccpb::Event::PUT, mvccpb::Event::DELETE));

TEST_F(StoreTest, WatchCompactedStartIsCanceled) {
  Put("k", "1");
  Put("k", "2");
  Put("k", "3");
  ASSERT_TRUE(Compact(2).ok());
  FakeTransport t(store_.get(), true);
  t.stream()->Create(Watch("k", "", 1));
  auto got = t.Got();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(got[0].created());
  EXPECT_TRUE(got[1].canceled());
  EXPECT_EQ(got[1].compact_revision(), 2);
}

TEST_F(StoreTest, WatchCancelAndProgress) {
  FakeTransport t(store_.get(), true);
  t.stream()->Create(Watch("k"));
  t.stream()->Cancel(0);
  Put("k", "1");
  t.stream()->RequestProgress();
  auto got = t.Got();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_TRUE(got[1].canceled());
  EXPECT_EQ(got[2].watch_id(), -1);
  EXPECT_EQ(got[2].header().revision(), 2);
  EXPECT_EQ(got[2].events_size(), 0);
}

// Events of one put at `rev`, as the apply path hands them to Notify().
std::vector<RevisionEvents> PutEvents(const std::string& key, int64_t rev) {
  RevisionEvents re;
  re.rev = rev;
  mvccpb::Event ev;
  ev.set_type(mvccpb::Event::PUT);
  ev.mutable_kv()->set_key(key);
  ev.mutable_kv()->set_mod_revision(rev);
  re.events.push_back(ev);
  return {re};
}

TEST_F(StoreTest, WatchResponsesQueuedBeforeTheSendStartsAreMerged) {
  FakeTransport t(store_.get(), true);
  t.stream()->Create(Watch("k"));
  ASSERT_EQ(t.Got().size(), 1u);  // created
  WatchableStore* ws = store_->watchable();
  ws->Notify(PutEvents("k", 2), 2);
  ws->Notify(PutEvents("k", 3), 3);
  // Queued and claimed, not yet handed to the transport.
  EXPECT_TRUE(t.stream()->Writing());
  EXPECT_EQ(t.Got().size(), 1u);
  ws->StartPendingSends();
  auto got = t.Got();
  ASSERT_EQ(got.size(), 2u);
  ASSERT_EQ(got[1].events_size(), 2);
  EXPECT_EQ(got[1].events(0).kv().mod_revision(), 2);
  EXPECT_EQ(got[1].events(1).kv().mod_revision(), 3);
  EXPECT_EQ(got[1].header().revision(), 3);
  EXPECT_FALSE(t.stream()->Writing());
}

TEST_F(StoreTest, WatchStreamClosedWithAPendingSendIsReleasedAndSendsNothing) {
  FakeTransport t(store_.get(), true);
  t.stream()->Create(Watch("k"));
  WatchableStore* ws = store_->watchable();
  ws->Notify(PutEvents("k", 2), 2);
  EXPECT_TRUE(t.stream()->Writing());
  t.stream()->Close();
  // The transport may finish now: nothing is on its way to it.
  EXPECT_FALSE(t.stream()->Writing());
  ws->StartPendingSends();
  EXPECT_EQ(t.Got().size(), 1u);  // only the created response
}

class SlowWatcherTest : public StoreTest {
 protected:
  void SetUp() override {
    stream_buffer_ = 4;
    Reopen();
  }
};

TEST_F(SlowWatcherTest, SlowWatcherCatchesUpWithoutLossOrReorder) {
  FakeTransport slow(store_.get(), false);
  FakeTransport fast(store_.get(), true);
  slow.stream()->Create(Watch("k", "l"));
  fast.stream()->Create(Watch("k", "l"));
  constexpr int kWrites = 300;
  std::thread writer([&] {
    for (int i = 0; i < kWrites; ++i) Put("k" + std::to_string(i % 7), std::to_string(i));
  });
  // The slow consumer drains now and then while the writer keeps going.
  for (int i = 0; i < 50; ++i) {
    slow.Drain();
    absl::SleepFor(absl::Milliseconds(2));
  }
  writer.join();
  // Writers are answered before the responses go to the transports, so the
  // last events may still be on their way.
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        slow.Drain();
        return slow.Events().size() >= kWrites && fast.Events().size() >= kWrites;
      },
      absl::Seconds(20)));
  for (auto* t : {&slow, &fast}) {
    auto ev = t->Events();
    ASSERT_EQ(ev.size(), static_cast<size_t>(kWrites)) << (t == &slow ? "slow" : "fast");
    for (int i = 0; i < kWrites; ++i) {
      EXPECT_EQ(ev[i].kv().mod_revision(), i + 2);
      EXPECT_EQ(ev[i].kv().value(), std::to_string(i));
    }
  }
  EXPECT_EQ(store_->watchable()->UnsyncedCount(), 0u);
}

TEST_F(SlowWatcherTest, ProgressWaitsUntilEveryWatcherOfTheStreamIsSynced) {
  for (int i = 0; i < 5; ++i) Put("k", std::to_string(i));  // revisions 2..6
  FakeTransport t(store_.get(), false);
  // Three live watchers first: their first created response is in flight
  // and two are queued, so the stream has no room (half of 4) and the
  // watchers from history created next stay unsynced until it drains.
  for (int i = 0; i < 3; ++i) t.stream()->Create(Watch("other"));
  for (int i = 0; i < 3; ++i) t.stream()->Create(Watch("k", "", 2));
  EXPECT_EQ(store_->watchable()->UnsyncedCount(), 3u);
  t.stream()->RequestProgress();
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        t.Drain();
        for (const auto& r : t.Got()) {
          if (r.watch_id() == -1) return true;
        }
        return false;
      },
      absl::Seconds(10)));
  // The progress notification comes after every watcher's five events.
  std::map<int64_t, int> events;
  for (const auto& r : t.Got()) {
    if (r.watch_id() == -1) {
      EXPECT_EQ(r.header().revision(), 6);
      break;
    }
    if (r.events_size() > 0) events[r.watch_id()] += r.events_size();
  }
  EXPECT_EQ(events, (std::map<int64_t, int>{{3, 5}, {4, 5}, {5, 5}}));
}

}  // namespace
}  // namespace minik8s::store
