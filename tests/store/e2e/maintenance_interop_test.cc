// Compaction and `etcdctl endpoint ...` against both backends.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/store/e2e/etcdctl_output.h"
#include "tests/store/e2e/store_test_base.h"

namespace minik8s::storetest {
namespace {

class MaintenanceInteropTest : public StoreE2ETest {};

TEST_P(MaintenanceInteropTest, Compaction) {
  for (int i = 1; i <= 5; ++i) ASSERT_EQ(CtlOk({"put", "k", absl::StrCat("v", i)}), "OK\n");
  // Revisions 2..6 hold v1..v5.
  EXPECT_EQ(CtlOk({"compaction", "4"}), "compacted revision 4\n");
  CtlFails({"get", "k", "--rev=3"}, "etcdserver: mvcc: required revision has been compacted");
  EXPECT_EQ(CtlOk({"get", "k", "--rev=4"}), "k\nv3\n");
  EXPECT_EQ(CtlOk({"get", "k", "--rev=6"}), "k\nv5\n");
  EXPECT_EQ(CtlOk({"get", "k"}), "k\nv5\n");
  CtlFails({"compaction", "4"}, "etcdserver: mvcc: required revision has been compacted");
  CtlFails({"compaction", "3"}, "etcdserver: mvcc: required revision has been compacted");
  CtlFails({"compaction", "100"}, "etcdserver: mvcc: required revision is a future revision");
  EXPECT_EQ(CtlOk({"compaction", "5", "--physical"}), "compacted revision 5\n");
  CtlFails({"get", "k", "--rev=4"}, "etcdserver: mvcc: required revision has been compacted");
  EXPECT_EQ(CtlOk({"get", "k", "--rev=5"}), "k\nv4\n");
  // Compaction is not a write and keeps the current revision.
  EXPECT_EQ(CtlOk({"put", "k", "v6"}), "OK\n");
  absl::StatusOr<etcdserverpb::RangeResponse> r =
      ParseEtcdctlJson<etcdserverpb::RangeResponse>(CtlOk({"get", "k", "-w", "json"}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->header().revision(), 7);
  ASSERT_EQ(r->kvs_size(), 1);
  EXPECT_EQ(r->kvs(0).version(), 6);
  EXPECT_EQ(r->kvs(0).create_revision(), 2);
}

TEST_P(MaintenanceInteropTest, CompactionKeepsTheLatestValueOfDeletedAndLiveKeys) {
  ASSERT_EQ(CtlOk({"put", "a", "1"}), "OK\n");  // 2
  ASSERT_EQ(CtlOk({"put", "b", "1"}), "OK\n");  // 3
  ASSERT_EQ(CtlOk({"del", "a"}), "1\n");        // 4
  ASSERT_EQ(CtlOk({"put", "b", "2"}), "OK\n");  // 5
  EXPECT_EQ(CtlOk({"compaction", "5", "--physical"}), "compacted revision 5\n");
  EXPECT_EQ(CtlOk({"get", "", "--prefix"}), "b\n2\n");
  EXPECT_EQ(CtlOk({"get", "", "--prefix", "--rev=5"}), "b\n2\n");
}

TEST_P(MaintenanceInteropTest, EndpointStatus) {
  ASSERT_EQ(CtlOk({"put", "a", "1"}), "OK\n");
  ASSERT_EQ(CtlOk({"put", "b", "2"}), "OK\n");
  std::string ep = backend().endpoint();
  // ENDPOINT, ID, VERSION, DB SIZE, IS LEADER, IS LEARNER, RAFT TERM,
  // RAFT INDEX, RAFT APPLIED INDEX, ERRORS
  std::regex line(absl::StrCat(
      "^", std::regex_replace(ep, std::regex(R"([.])"), R"(\.)"),
      R"(, [0-9a-f]+, [0-9]+\.[0-9]+\.[0-9]+[^,]*, [0-9.]+ [kMGT]?B, true, false, [0-9]+, [0-9]+, [0-9]+, \n$)"));
  std::string simple = CtlOk({"endpoint", "status"});
  EXPECT_TRUE(std::regex_match(simple, line)) << simple;

  std::string endpoint;
  absl::StatusOr<etcdserverpb::StatusResponse> status =
      ParseEndpointStatusJson(CtlOk({"endpoint", "status", "-w", "json"}), &endpoint);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(endpoint, ep);
  EXPECT_EQ(status->header().revision(), 3);
  EXPECT_NE(status->header().member_id(), 0u);
  EXPECT_EQ(status->leader(), status->header().member_id());
  EXPECT_GT(status->dbsize(), 0);
  EXPECT_FALSE(status->version().empty());
  EXPECT_FALSE(status->islearner());
  EXPECT_EQ(status->errors_size(), 0);

  std::string table = CtlOk({"endpoint", "status", "-w", "table"});
  EXPECT_NE(table.find("|        ENDPOINT        |"), std::string::npos) << table;
  EXPECT_NE(table.find(absl::StrCat("| ", ep, " |")), std::string::npos) << table;

  // --cluster discovers the endpoints through MemberList: the advertised URL.
  std::string cluster = CtlOk({"endpoint", "status", "--cluster"});
  EXPECT_TRUE(std::regex_match(cluster, line)) << cluster;
}

TEST_P(MaintenanceInteropTest, EndpointHealth) {
  std::string out = CtlOk({"endpoint", "health"});
  std::regex healthy(absl::StrCat(
      "^", std::regex_replace(backend().endpoint(), std::regex(R"([.])"), R"(\.)"),
      R"( is healthy: successfully committed proposal: took = [0-9.]+(µs|ns|ms|s)\n$)"));
  EXPECT_TRUE(std::regex_match(out, healthy)) << out;
  std::string cluster = CtlOk({"endpoint", "health", "--cluster"});
  EXPECT_TRUE(std::regex_match(cluster, healthy)) << cluster;
}

// grpc.health.v1.Health/Watch, which gRPC clients with client-side health
// checking call: the first message is the status (SERVING for the server
// as a whole, SERVICE_UNKNOWN for a service it does not know), and the
// stream then stays open until the client cancels it.
std::string HealthWatchFirstMessage(const std::string& address, const std::string& service,
                                    grpc::Status* status) {
  grpc::GenericStub stub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call =
      stub.PrepareCall(&ctx, "/grpc.health.v1.Health/Watch", &cq);
  // HealthCheckRequest{service}.
  std::string request_bytes;
  if (!service.empty()) {
    request_bytes = absl::StrCat(std::string(1, '\x0a'),
                                 std::string(1, static_cast<char>(service.size())), service);
  }
  grpc::Slice slice(request_bytes);
  grpc::ByteBuffer request(&slice, 1), response;
  void* tag;
  bool ok = false;
  auto next = [&](intptr_t want) {
    return cq.Next(&tag, &ok) && reinterpret_cast<intptr_t>(tag) == want && ok;
  };
  std::string first;
  call->StartCall(reinterpret_cast<void*>(1));
  if (next(1)) {
    call->WriteLast(request, grpc::WriteOptions(), reinterpret_cast<void*>(2));
    if (next(2)) {
      call->Read(&response, reinterpret_cast<void*>(3));
      if (next(3)) {
        std::vector<grpc::Slice> slices;
        if (response.Dump(&slices).ok()) {
          for (const auto& sl : slices) {
            first.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
          }
        }
        // The stream stays open: a second read only ends when we cancel.
        call->Read(&response, reinterpret_cast<void*>(4));
        ctx.TryCancel();
        next(4);
      }
    }
  }
  call->Finish(status, reinterpret_cast<void*>(5));
  while (cq.Next(&tag, &ok) && reinterpret_cast<intptr_t>(tag) != 5) {
  }
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return first;
}

TEST_P(MaintenanceInteropTest, HealthWatchAnswersAndStaysOpen) {
  grpc::Status status;
  EXPECT_EQ(HealthWatchFirstMessage(backend().grpc_address(), "", &status),
            std::string("\x08\x01", 2))
      << "SERVING";
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED) << status.error_message();
  EXPECT_EQ(HealthWatchFirstMessage(backend().grpc_address(), "no.such.Service", &status),
            std::string("\x08\x03", 2))
      << "SERVICE_UNKNOWN";
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED) << status.error_message();
}

MINIK8S_INSTANTIATE_STORE_E2E(MaintenanceInteropTest);

}  // namespace
}  // namespace minik8s::storetest
