// Durability under kill -9, against both backends.
//
// Concurrent writers (one thread and one gRPC channel each) put keys through
// the etcd KV API and record every acknowledged put with the revision from its
// response header. The daemon is killed with SIGKILL mid-stream and restarted
// on the same data dir. Then: every acknowledged put is readable at its
// revision with its value, no revision was handed out twice, new writes get
// revisions above every acknowledged one, and the store keeps serving.
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "etcd/etcdserverpb/rpc.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/store/e2e/store_test_base.h"

namespace minik8s::storetest {
namespace {

constexpr int kWriters = 8;
constexpr int kKeysPerWriter = 16;  // keys are rewritten, so old revisions matter
constexpr int kRounds = 2;
constexpr size_t kAcksBeforeKill = 1000;

struct Ack {
  std::string key;
  std::string value;
  int64_t revision = 0;
};

std::unique_ptr<etcdserverpb::KV::Stub> NewKvStub(const std::string& address, int channel_id) {
  grpc::ChannelArguments args;
  // A distinct argument gives each channel its own TCP connection instead of a
  // shared subchannel.
  args.SetInt("minik8s.test_channel_id", channel_id);
  return etcdserverpb::KV::NewStub(
      grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
}

template <typename Request, typename Response, typename Call>
grpc::Status CallWithDeadline(Call call, const Request& req, Response* resp) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return call(&ctx, req, resp);
}

class CrashTest : public StoreE2ETest {
 protected:
  // Runs the writers until kAcksBeforeKill puts were acknowledged, kills the
  // daemon under them, and appends the acknowledged puts to `acks`.
  void WriteAndKill(int round, std::vector<Ack>* acks) {
    absl::Mutex mu;
    std::vector<Ack> round_acks;
    std::atomic<bool> killing{false};
    std::atomic<int> failures_before_kill{0};
    std::string first_error;
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
      writers.emplace_back([&, w] {
        auto kv = NewKvStub(backend().grpc_address(), round * kWriters + w);
        for (int seq = 0;; ++seq) {
          etcdserverpb::PutRequest req;
          req.set_key(absl::StrCat("crash/w", w, "/", seq % kKeysPerWriter));
          req.set_value(absl::StrCat("round", round, "-w", w, "-seq", seq));
          etcdserverpb::PutResponse resp;
          grpc::Status s = CallWithDeadline(
              [&](grpc::ClientContext* c, const auto& rq, auto* rs) { return kv->Put(c, rq, rs); },
              req, &resp);
          if (!s.ok()) {
            if (!killing.load()) {
              failures_before_kill++;
              absl::MutexLock l(&mu);
              if (first_error.empty()) first_error = s.error_message();
            }
            return;  // the daemon is gone (or broken): stop writing
          }
          absl::MutexLock l(&mu);
          round_acks.push_back({req.key(), req.value(), resp.header().revision()});
        }
      });
    }
    bool enough = testing::WaitFor(
        [&] {
          absl::MutexLock l(&mu);
          return round_acks.size() >= kAcksBeforeKill;
        },
        absl::Seconds(60));
    killing = true;
    backend().Kill9();
    for (auto& t : writers) t.join();
    ASSERT_TRUE(enough) << "writers were too slow: fewer than " << kAcksBeforeKill
                        << " acknowledged puts in 60 s";
    EXPECT_EQ(failures_before_kill.load(), 0) << "puts failed before the kill: " << first_error;
    acks->insert(acks->end(), round_acks.begin(), round_acks.end());
  }

  // Checks every acknowledged put after a restart; returns the highest
  // acknowledged revision.
  int64_t VerifyAcks(const std::vector<Ack>& acks) {
    auto kv = NewKvStub(backend().grpc_address(), 1000);
    std::set<int64_t> revisions;
    std::map<std::string, int64_t> latest_ack;
    int64_t max_rev = 0;
    for (const Ack& a : acks) {
      EXPECT_TRUE(revisions.insert(a.revision).second)
          << "revision " << a.revision << " acknowledged twice";
      latest_ack[a.key] = std::max(latest_ack[a.key], a.revision);
      max_rev = std::max(max_rev, a.revision);
    }
    int missing = 0;
    for (const Ack& a : acks) {
      etcdserverpb::RangeRequest req;
      req.set_key(a.key);
      req.set_revision(a.revision);
      etcdserverpb::RangeResponse resp;
      grpc::Status s = CallWithDeadline(
          [&](grpc::ClientContext* c, const auto& rq, auto* rs) { return kv->Range(c, rq, rs); },
          req, &resp);
      bool ok = s.ok() && resp.kvs_size() == 1 && resp.kvs(0).value() == a.value &&
                resp.kvs(0).mod_revision() == a.revision;
      if (!ok && ++missing <= 5) {
        ADD_FAILURE() << "acknowledged put lost: " << a.key << "=" << a.value << " at revision "
                      << a.revision
                      << "; read: " << (s.ok() ? resp.ShortDebugString() : s.error_message());
      }
      if (s.ok()) {
        EXPECT_GE(resp.header().revision(), max_rev) << "store restarted at an older revision";
      }
    }
    EXPECT_EQ(missing, 0) << "of " << acks.size() << " acknowledged puts";
    // The newest version of each key is at least its last acknowledged write
    // (an unacknowledged in-flight write may also have landed).
    for (const auto& [key, rev] : latest_ack) {
      etcdserverpb::RangeRequest req;
      req.set_key(key);
      etcdserverpb::RangeResponse resp;
      grpc::Status s = CallWithDeadline(
          [&](grpc::ClientContext* c, const auto& rq, auto* rs) { return kv->Range(c, rq, rs); },
          req, &resp);
      if (!s.ok() || resp.kvs_size() != 1) {
        ADD_FAILURE() << "latest " << key << ": "
                      << (s.ok() ? resp.ShortDebugString() : s.error_message());
        continue;
      }
      EXPECT_GE(resp.kvs(0).mod_revision(), rev) << key;
    }
    return max_rev;
  }
};

TEST_P(CrashTest, AcknowledgedWritesSurviveKill9) {
  std::vector<Ack> acks;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE(absl::StrCat("round ", round));
    ASSERT_NO_FATAL_FAILURE(WriteAndKill(round, &acks));
    absl::Status restarted = backend().Restart();
    ASSERT_TRUE(restarted.ok()) << restarted;
    int64_t max_rev = VerifyAcks(acks);

    // New writes continue above every acknowledged revision.
    auto kv = NewKvStub(backend().grpc_address(), 2000 + round);
    etcdserverpb::PutRequest req;
    req.set_key("crash/after-restart");
    req.set_value(absl::StrCat("round", round));
    etcdserverpb::PutResponse resp;
    grpc::Status s = CallWithDeadline(
        [&](grpc::ClientContext* c, const auto& rq, auto* rs) { return kv->Put(c, rq, rs); }, req,
        &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_GT(resp.header().revision(), max_rev);
    EXPECT_EQ(CtlOk({"get", "crash/after-restart", "--print-value-only"}),
              absl::StrCat("round", round, "\n"));
  }
  std::string health = CtlOk({"endpoint", "health"});
  EXPECT_NE(health.find("is healthy"), std::string::npos) << health;
  absl::Status stopped = backend().Stop();
  EXPECT_TRUE(stopped.ok()) << stopped;
}

MINIK8S_INSTANTIATE_STORE_E2E(CrashTest);

}  // namespace
}  // namespace minik8s::storetest
