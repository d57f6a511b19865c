// Recovering from a full quota, stopping promptly, deep txns and torn logs,
// against both backends where etcd has the same behaviour.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "etcd/etcdserverpb/rpc.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/io/coded_stream.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "testing/subprocess.h"
#include "tests/store/e2e/background_etcdctl.h"
#include "tests/store/e2e/etcdctl_output.h"
#include "tests/store/e2e/store_test_base.h"

namespace minik8s::storetest {
namespace {

using ::testing::HasSubstr;

int64_t CurrentRevision(StoreE2ETest* test, const std::string& output) {
  absl::StatusOr<etcdserverpb::RangeResponse> r =
      ParseEtcdctlJson<etcdserverpb::RangeResponse>(output);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? r->header().revision() : 0;
}

class QuotaRecoveryInteropTest : public StoreE2ETest {
 protected:
  // Room for the memtables' allocated arena blocks (about 1 MiB, which
  // minik8s-store counts in its size as etcd counts bbolt's free pages) and
  // for the three writes after the defragment.
  std::vector<std::string> ExtraFlags() const override { return {"--quota-backend-bytes=3000000"}; }
};

// etcd's documented way out of NOSPACE: free space (delete, compact),
// defragment, disarm; no restart.
TEST_P(QuotaRecoveryInteropTest, DeleteCompactDefragDisarmAcceptsWritesAgain) {
  const std::string no_space = "etcdserver: mvcc: database space exceeded";
  const std::string value(100000, 'x');
  ASSERT_EQ(CtlOk({"put", "keep", "v"}), "OK\n");
  int written = 0;
  while (true) {
    CommandResult r = Ctl({"put", absl::StrCat("big/", written)}, value);
    if (r.exit_code != 0) {
      ASSERT_THAT(r.output, HasSubstr(no_space));
      break;
    }
    ASSERT_LT(++written, 60) << "the quota was never reached";
  }
  EXPECT_THAT(CtlOk({"alarm", "list"}), HasSubstr("alarm:NOSPACE"));
  // etcd may keep the put that raised the alarm: its apply step writes the
  // put and only then answers NOSPACE when the size, refreshed at each batch
  // commit, had not yet crossed the quota at the proposal's check.
  const std::string stored = CtlOk({"get", "big/", "--prefix", "--keys-only", "-w", "json"});
  absl::StatusOr<etcdserverpb::RangeResponse> counted =
      ParseEtcdctlJson<etcdserverpb::RangeResponse>(stored);
  ASSERT_TRUE(counted.ok()) << counted.status();
  EXPECT_GE(counted->count(), written);
  EXPECT_LE(counted->count(), written + 1);
  EXPECT_EQ(CtlOk({"del", "big/", "--prefix"}), absl::StrCat(counted->count(), "\n"));
  const int64_t rev = CurrentRevision(this, CtlOk({"get", "keep", "-w", "json"}));
  EXPECT_EQ(CtlOk({"compaction", absl::StrCat(rev), "--physical"}),
            absl::StrCat("compacted revision ", rev, "\n"));
  EXPECT_THAT(CtlOk({"defrag"}), HasSubstr("Finished defragmenting etcd member"));
  CtlOk({"alarm", "disarm"});
  EXPECT_EQ(CtlOk({"alarm", "list"}), "");
  // Writes work again, and keep working: the freed space is counted as free.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(CtlOk({"put", absl::StrCat("again/", i)}, value), "OK\n") << i;
  }
  EXPECT_EQ(CtlOk({"alarm", "list"}), "");
  EXPECT_EQ(CtlOk({"get", "keep", "--print-value-only"}), "v\n");
}

MINIK8S_INSTANTIATE_STORE_E2E(QuotaRecoveryInteropTest);

class ShutdownInteropTest : public StoreE2ETest {};

// SIGTERM with a watch and a lease keep-alive stream open: the daemon exits
// promptly and a new one starts on the same data dir at once, with every
// acknowledged write.
TEST_P(ShutdownInteropTest, SigtermExitsPromptlyAndRestartsAtOnce) {
  BackgroundEtcdctl watch(&backend());
  ASSERT_TRUE(watch.Start({"watch", "--prefix", "w"}).ok());
  BackgroundEtcdctl keepalive(&backend());
  const std::string grant = CtlOk({"lease", "grant", "60"});
  const std::string id = grant.substr(6, grant.find(' ', 6) - 6);  // "lease <id> granted ..."
  ASSERT_TRUE(keepalive.Start({"lease", "keep-alive", id}).ok());
  std::string events;
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(CtlOk({"put", absl::StrCat("w", i), absl::StrCat("v", i)}), "OK\n");
    absl::StrAppend(&events, "PUT\nw", i, "\nv", i, "\n");
  }
  EXPECT_EQ(watch.WaitForOutput(events, absl::Seconds(10)), events);
  absl::SleepFor(absl::Milliseconds(300));  // the keep-alive stream is open

  const absl::Time start = absl::Now();
  absl::Status stopped = backend().Stop(absl::Seconds(15));
  const absl::Duration took = absl::Now() - start;
  ASSERT_TRUE(stopped.ok()) << stopped;
  // A second is the goal; the bound is generous for a loaded machine.
  EXPECT_LT(took, absl::Seconds(3)) << "SIGTERM took " << took;

  absl::Status restarted = backend().Restart();
  ASSERT_TRUE(restarted.ok()) << restarted;
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(CtlOk({"get", absl::StrCat("w", i), "--print-value-only"}),
              absl::StrCat("v", i, "\n"));
  }
}

MINIK8S_INSTANTIATE_STORE_E2E(ShutdownInteropTest);

class NestedTxnInteropTest : public StoreE2ETest {
 protected:
  // A chain of `depth` txns, each the success op of the one above; the
  // innermost puts `key`.
  static etcdserverpb::TxnRequest Chain(int depth, const std::string& key) {
    etcdserverpb::TxnRequest top;
    etcdserverpb::TxnRequest* t = &top;
    for (int level = 1; level < depth; ++level) t = t->add_success()->mutable_request_txn();
    auto* put = t->add_success()->mutable_request_put();
    put->set_key(key);
    put->set_value("v");
    return top;
  }

  grpc::Status Txn(const etcdserverpb::TxnRequest& req) {
    auto kv = etcdserverpb::KV::NewStub(
        grpc::CreateChannel(backend().grpc_address(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    etcdserverpb::TxnResponse resp;
    return kv->Txn(&ctx, req, &resp);
  }
};

TEST_P(NestedTxnInteropTest, TooDeepIsTooManyOperations) {
  grpc::Status s = Txn(Chain(200, "deep"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_EQ(s.error_message(), "etcdserver: too many operations in txn request");
  EXPECT_EQ(CtlOk({"get", "deep"}), "");
}

TEST_P(NestedTxnInteropTest, DeepWithinTheOpBudgetIsApplied) {
  // 100 levels: beyond protobuf's default parse depth (100 messages, which
  // the old Txn edge hit at about 50 levels), within --max-txn-ops. Sent
  // and received as bytes: the C++ client's own parser would refuse the
  // equally deep response.
  const std::string bytes = Chain(100, "deep").SerializeAsString();
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1), response;
  grpc::GenericStub stub(
      grpc::CreateChannel(backend().grpc_address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  absl::Notification done;
  grpc::Status status;
  stub.UnaryCall(&ctx, "/etcdserverpb.KV/Txn", grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) {
                   status = s;
                   done.Notify();
                 });
  done.WaitForNotification();
  ASSERT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(response.Dump(&slices).ok());
  std::string out;
  for (const auto& sl : slices) out.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(out.data()),
                                            static_cast<int>(out.size()));
  in.SetRecursionLimit(1000);
  etcdserverpb::TxnResponse resp;
  ASSERT_TRUE(resp.ParseFromCodedStream(&in));
  EXPECT_TRUE(resp.succeeded());
  EXPECT_EQ(CtlOk({"get", "deep", "--print-value-only"}), "v\n");
}

MINIK8S_INSTANTIATE_STORE_E2E(NestedTxnInteropTest);

// minik8s-store only: etcd's WAL is a different format with its own repair.
class TornWalTest : public StoreE2ETest {
 protected:
  std::vector<std::string> StoreArgv(bool unsafe_repair) {
    std::vector<std::string> argv = {testing::BinPath("minik8s-store"), "--data-dir",
                                     backend().data_dir(), "--listen-client-urls",
                                     absl::StrCat("http://127.0.0.1:", backend().client_port())};
    if (unsafe_repair) argv.push_back("--unsafe-repair");
    return argv;
  }

  // Cuts the newest WAL 100 bytes before the end of its data (its last
  // non-zero byte), inside its last record.
  static std::string TearNewestWal(const std::string& dir) {
    namespace fs = std::filesystem;
    std::string wal;
    for (const auto& e : fs::directory_iterator(dir)) {
      const std::string p = e.path().string();
      if (e.path().extension() == ".log" && fs::file_size(p) > 0 && p > wal) wal = p;
    }
    if (wal.empty()) return wal;
    std::ifstream in(wal, std::ios::binary);
    const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    fs::resize_file(wal, data.find_last_not_of('\0') + 1 - 100);
    return wal;
  }
};

TEST_P(TornWalTest, RefusedUntilUnsafeRepairThenRecoversToTheTear) {
  if (GetParam() != BackendKind::kMinik8sStore) GTEST_SKIP() << "minik8s-store's own WAL check";
  for (int i = 1; i <= 30; ++i) {
    ASSERT_EQ(CtlOk({"put", absl::StrCat("k", i)}, std::string(300, 'v')), "OK\n");
  }
  ASSERT_TRUE(backend().Stop().ok());
  const std::string wal = TearNewestWal(backend().data_dir());
  ASSERT_FALSE(wal.empty());

  std::string output;
  const int code = testing::RunCommand(StoreArgv(false), &output, absl::Seconds(30));
  EXPECT_EQ(code, 1) << output;
  EXPECT_THAT(output, HasSubstr(wal));
  EXPECT_THAT(output, HasSubstr("is torn"));
  EXPECT_THAT(output, HasSubstr("--unsafe-repair"));

  testing::Subprocess repaired;
  const std::string log = backend().data_dir() + "-repair.log";
  ASSERT_TRUE(repaired.Start(StoreArgv(true), log).ok());
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (!testing::PortAcceptsConnections(backend().client_port()) && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  // The last put (revision 31) was in the torn record.
  EXPECT_EQ(CtlOk({"get", "k29", "--print-value-only"}), std::string(300, 'v') + "\n");
  EXPECT_EQ(CtlOk({"get", "k30"}), "");
  EXPECT_EQ(CurrentRevision(this, CtlOk({"get", "k1", "-w", "json"})), 30);
  ASSERT_TRUE(repaired.Stop(SIGTERM).has_value());
  std::ifstream in(log);
  const std::string logged((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_THAT(logged, HasSubstr("--unsafe-repair: dropping the torn tail"));
  EXPECT_THAT(logged, HasSubstr("recovering to revision 30"));
  // Repaired for good: a plain start works.
  ASSERT_TRUE(backend().Restart().ok());
  EXPECT_EQ(CtlOk({"get", "k29", "--print-value-only"}), std::string(300, 'v') + "\n");
}

MINIK8S_INSTANTIATE_STORE_E2E(TornWalTest);

}  // namespace
}  // namespace minik8s::storetest
