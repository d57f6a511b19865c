// etcdctl put/get/del/txn against both backends, asserting etcd's exact output.
// Every test starts from a fresh store at revision 1, so the n-th write gets
// revision n+1.
#include <string>

#include "absl/strings/str_cat.h"
#include "etcd/etcdserverpb/rpc.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/store/e2e/etcdctl_output.h"
#include "tests/store/e2e/store_test_base.h"

namespace minik8s::storetest {
namespace {

class KvInteropTest : public StoreE2ETest {
 protected:
  etcdserverpb::RangeResponse GetJson(const std::vector<std::string>& args) {
    std::vector<std::string> full = {"get"};
    full.insert(full.end(), args.begin(), args.end());
    full.push_back("-w");
    full.push_back("json");
    std::string out = CtlOk(full);
    absl::StatusOr<etcdserverpb::RangeResponse> r =
        ParseEtcdctlJson<etcdserverpb::RangeResponse>(out);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : etcdserverpb::RangeResponse();
  }

  // Six keys written at revisions 2..7, then "a" rewritten at revision 8.
  void WriteSampleKeys() {
    for (const auto& [k, v] : std::vector<std::pair<std::string, std::string>>{
             {"a", "1"}, {"b", "2"}, {"c", "3"}, {"p/1", "x"}, {"p/2", "y"}, {"q", "z"}}) {
      ASSERT_EQ(CtlOk({"put", k, v}), "OK\n");
    }
    ASSERT_EQ(CtlOk({"put", "a", "11"}), "OK\n");
  }

  std::unique_ptr<etcdserverpb::KV::Stub> KvStub() {
    return etcdserverpb::KV::NewStub(
        grpc::CreateChannel(backend().grpc_address(), grpc::InsecureChannelCredentials()));
  }
};

TEST_P(KvInteropTest, FreshStoreIsAtRevisionOne) {
  etcdserverpb::RangeResponse empty = GetJson({"", "--prefix"});
  EXPECT_EQ(empty.header().revision(), 1);
  EXPECT_EQ(empty.count(), 0);
  EXPECT_EQ(CtlOk({"put", "first", "1"}), "OK\n");
  etcdserverpb::RangeResponse r = GetJson({"first"});
  ASSERT_EQ(r.kvs_size(), 1);
  EXPECT_EQ(r.kvs(0).create_revision(), 2);
  EXPECT_EQ(r.kvs(0).mod_revision(), 2);
  EXPECT_EQ(r.header().revision(), 2);
}

TEST_P(KvInteropTest, PutAndGetSingleKey) {
  EXPECT_EQ(CtlOk({"put", "foo", "bar"}), "OK\n");
  EXPECT_EQ(CtlOk({"get", "foo"}), "foo\nbar\n");
  EXPECT_EQ(CtlOk({"get", "missing"}), "");

  std::string raw = CtlOk({"get", "foo", "-w", "json"});
  // Keys and values are base64 in etcdctl's JSON: "foo" = Zm9v, "bar" = YmFy.
  EXPECT_NE(raw.find(R"("key":"Zm9v")"), std::string::npos) << raw;
  EXPECT_NE(raw.find(R"("value":"YmFy")"), std::string::npos) << raw;

  EXPECT_EQ(CtlOk({"put", "foo", "baz"}), "OK\n");
  etcdserverpb::RangeResponse r = GetJson({"foo"});
  EXPECT_EQ(r.header().revision(), 3);
  EXPECT_NE(r.header().member_id(), 0u);
  ASSERT_EQ(r.kvs_size(), 1);
  EXPECT_EQ(r.kvs(0).key(), "foo");
  EXPECT_EQ(r.kvs(0).value(), "baz");
  EXPECT_EQ(r.kvs(0).create_revision(), 2);
  EXPECT_EQ(r.kvs(0).mod_revision(), 3);
  EXPECT_EQ(r.kvs(0).version(), 2);
  EXPECT_EQ(r.kvs(0).lease(), 0);
  EXPECT_EQ(r.count(), 1);
  EXPECT_FALSE(r.more());

  // An empty range still reports the current revision.
  etcdserverpb::RangeResponse empty = GetJson({"missing"});
  EXPECT_EQ(empty.header().revision(), 3);
  EXPECT_EQ(empty.kvs_size(), 0);
  EXPECT_EQ(empty.count(), 0);
}

TEST_P(KvInteropTest, GetPrefixFromKeyAndRange) {
  WriteSampleKeys();
  EXPECT_EQ(CtlOk({"get", "p/", "--prefix"}), "p/1\nx\np/2\ny\n");
  EXPECT_EQ(CtlOk({"get", "b", "--from-key"}), "b\n2\nc\n3\np/1\nx\np/2\ny\nq\nz\n");
  EXPECT_EQ(CtlOk({"get", "a", "c"}), "a\n11\nb\n2\n");
  EXPECT_EQ(CtlOk({"get", "", "--prefix", "--keys-only"}), "a\n\nb\n\nc\n\np/1\n\np/2\n\nq\n\n");
  EXPECT_EQ(CtlOk({"get", "p/", "--prefix", "--print-value-only"}), "x\ny\n");
  EXPECT_EQ(CtlOk({"get", "r", "--from-key"}), "");
}

TEST_P(KvInteropTest, GetWithLimitReportsCountAndMore) {
  WriteSampleKeys();
  EXPECT_EQ(CtlOk({"get", "", "--prefix", "--limit=2"}), "a\n11\nb\n2\n");
  etcdserverpb::RangeResponse r = GetJson({"", "--prefix", "--limit=2"});
  EXPECT_EQ(r.kvs_size(), 2);
  EXPECT_EQ(r.count(), 6);
  EXPECT_TRUE(r.more());
  etcdserverpb::RangeResponse all = GetJson({"", "--prefix", "--limit=6"});
  EXPECT_EQ(all.kvs_size(), 6);
  EXPECT_EQ(all.count(), 6);
  EXPECT_FALSE(all.more());
}

TEST_P(KvInteropTest, GetSortedAndOrdered) {
  WriteSampleKeys();
  EXPECT_EQ(CtlOk({"get", "", "--prefix", "--keys-only", "--order=DESCEND"}),
            "q\n\np/2\n\np/1\n\nc\n\nb\n\na\n\n");
  EXPECT_EQ(CtlOk({"get", "", "--prefix", "--sort-by=VALUE", "--order=DESCEND"}),
            "q\nz\np/2\ny\np/1\nx\nc\n3\nb\n2\na\n11\n");  // bytewise: "2" > "11"
  EXPECT_EQ(CtlOk({"get", "", "--prefix", "--keys-only", "--sort-by=MODIFY"}),
            "b\n\nc\n\np/1\n\np/2\n\nq\n\na\n\n");
  EXPECT_EQ(CtlOk({"get", "", "--prefix", "--keys-only", "--sort-by=CREATE", "--order=DESCEND"}),
            "q\n\np/2\n\np/1\n\nc\n\nb\n\na\n\n");
  // "a" is the only key at version 2.
  EXPECT_EQ(CtlOk({"get", "", "--prefix", "--keys-only", "--sort-by=VERSION", "--order=DESCEND",
                   "--limit=1"}),
            "a\n\n");
  // Sorting applies before the limit.
  EXPECT_EQ(CtlOk({"get", "", "--prefix", "--sort-by=MODIFY", "--order=DESCEND", "--limit=2"}),
            "a\n11\nq\nz\n");
}

TEST_P(KvInteropTest, GetAtRevision) {
  WriteSampleKeys();
  EXPECT_EQ(CtlOk({"get", "a", "--rev=2"}), "a\n1\n");
  EXPECT_EQ(CtlOk({"get", "a", "--rev=7"}), "a\n1\n");
  EXPECT_EQ(CtlOk({"get", "a", "--rev=8"}), "a\n11\n");
  EXPECT_EQ(CtlOk({"get", "a", "--rev=1"}), "");
  EXPECT_EQ(CtlOk({"get", "", "--prefix", "--rev=4"}), "a\n1\nb\n2\nc\n3\n");
  etcdserverpb::RangeResponse r = GetJson({"a", "--rev=3"});
  EXPECT_EQ(r.header().revision(), 8);  // the current revision, not the one asked for
  ASSERT_EQ(r.kvs_size(), 1);
  EXPECT_EQ(r.kvs(0).mod_revision(), 2);
  EXPECT_EQ(r.kvs(0).version(), 1);
}

TEST_P(KvInteropTest, CountOnlyAndKeysOnlyOverGrpc) {
  // etcdctl 3.4 has no --count-only flag; the RPC field is checked directly.
  WriteSampleKeys();
  auto kv = KvStub();
  etcdserverpb::RangeRequest req;
  req.set_key("p/");
  req.set_range_end("p0");
  req.set_count_only(true);
  etcdserverpb::RangeResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  ASSERT_TRUE(kv->Range(&ctx, req, &resp).ok());
  EXPECT_EQ(resp.count(), 2);
  EXPECT_EQ(resp.kvs_size(), 0);
  EXPECT_EQ(resp.header().revision(), 8);

  etcdserverpb::RangeRequest keys_req;
  keys_req.set_key(std::string(1, '\0'));
  keys_req.set_range_end(std::string(1, '\0'));
  keys_req.set_keys_only(true);
  keys_req.set_limit(3);
  etcdserverpb::RangeResponse keys_resp;
  grpc::ClientContext ctx2;
  ctx2.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  ASSERT_TRUE(kv->Range(&ctx2, keys_req, &keys_resp).ok());
  ASSERT_EQ(keys_resp.kvs_size(), 3);
  EXPECT_EQ(keys_resp.count(), 6);
  EXPECT_TRUE(keys_resp.more());
  EXPECT_EQ(keys_resp.kvs(0).key(), "a");
  EXPECT_EQ(keys_resp.kvs(0).value(), "");
  EXPECT_EQ(keys_resp.kvs(0).mod_revision(), 8);
}

TEST_P(KvInteropTest, PutPrevKvAndIgnoreValue) {
  EXPECT_EQ(CtlOk({"put", "k", "v1"}), "OK\n");
  EXPECT_EQ(CtlOk({"put", "k", "v2", "--prev-kv"}), "OK\nk\nv1\n");
  EXPECT_EQ(CtlOk({"put", "new", "n1", "--prev-kv"}), "OK\n");
  EXPECT_EQ(CtlOk({"put", "k", "--ignore-value"}), "OK\n");
  etcdserverpb::RangeResponse r = GetJson({"k"});
  ASSERT_EQ(r.kvs_size(), 1);
  EXPECT_EQ(r.kvs(0).value(), "v2");
  EXPECT_EQ(r.kvs(0).mod_revision(), 5);
  EXPECT_EQ(r.kvs(0).version(), 3);
  CtlFails({"put", "absent", "--ignore-value"}, "etcdserver: key not found");
  EXPECT_EQ(GetJson({"k"}).header().revision(), 5);
}

TEST_P(KvInteropTest, PutWithLease) {
  std::string grant = CtlOk({"lease", "grant", "100"});
  absl::StatusOr<std::string> id_hex = ParseLeaseGrant(grant, 100);
  ASSERT_TRUE(id_hex.ok()) << id_hex.status();
  absl::StatusOr<int64_t> id = LeaseIdFromHex(*id_hex);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(CtlOk({"put", "leased", "v", absl::StrCat("--lease=", *id_hex)}), "OK\n");
  etcdserverpb::RangeResponse r = GetJson({"leased"});
  ASSERT_EQ(r.kvs_size(), 1);
  EXPECT_EQ(r.kvs(0).lease(), *id);
  CtlFails({"put", "k", "v", "--lease=1234abcd"}, "etcdserver: requested lease not found");
}

TEST_P(KvInteropTest, DeleteVariants) {
  WriteSampleKeys();  // revision 8
  EXPECT_EQ(CtlOk({"del", "missing"}), "0\n");
  EXPECT_EQ(GetJson({"a"}).header().revision(), 8);          // deleting nothing is no write
  EXPECT_EQ(CtlOk({"del", "c"}), "1\n");                     // 9
  EXPECT_EQ(CtlOk({"del", "b", "--prev-kv"}), "1\nb\n2\n");  // 10
  EXPECT_EQ(CtlOk({"del", "p/", "--prefix"}), "2\n");        // 11
  EXPECT_EQ(CtlOk({"get", "", "--prefix"}), "a\n11\nq\nz\n");
  EXPECT_EQ(CtlOk({"get", "c", "--rev=8"}), "c\n3\n");
  EXPECT_EQ(CtlOk({"del", "a", "--from-key", "--prev-kv"}), "2\na\n11\nq\nz\n");  // 12
  EXPECT_EQ(CtlOk({"get", "", "--prefix"}), "");
  EXPECT_EQ(GetJson({"a"}).header().revision(), 12);

  // A deleted key starts over: create_revision is the new creation, version 1.
  EXPECT_EQ(CtlOk({"put", "b", "again"}), "OK\n");  // 13
  etcdserverpb::RangeResponse r = GetJson({"b"});
  ASSERT_EQ(r.kvs_size(), 1);
  EXPECT_EQ(r.kvs(0).create_revision(), 13);
  EXPECT_EQ(r.kvs(0).version(), 1);
}

TEST_P(KvInteropTest, TxnSuccessBranch) {
  ASSERT_EQ(CtlOk({"put", "k", "v1"}), "OK\n");  // 2
  // Compares on value, version, create and mod; an absent key compares as zero.
  std::string txn =
      "value(\"k\") = \"v1\"\n"
      "version(\"k\") = \"1\"\n"
      "create(\"k\") = \"2\"\n"
      "mod(\"k\") < \"3\"\n"
      "mod(\"absent\") = \"0\"\n"
      "\n"
      "put k v2\n"
      "put other o1\n"
      "get k\n"
      "\n"
      "put k bad\n"
      "\n";
  EXPECT_EQ(CtlOk({"txn"}, txn), "SUCCESS\n\nOK\n\nOK\n\nk\nv2\n");
  // All changes of one txn share one revision.
  etcdserverpb::RangeResponse k = GetJson({"k"});
  etcdserverpb::RangeResponse other = GetJson({"other"});
  ASSERT_EQ(k.kvs_size(), 1);
  ASSERT_EQ(other.kvs_size(), 1);
  EXPECT_EQ(k.kvs(0).mod_revision(), 3);
  EXPECT_EQ(other.kvs(0).mod_revision(), 3);
  EXPECT_EQ(k.header().revision(), 3);
}

TEST_P(KvInteropTest, TxnFailureBranch) {
  ASSERT_EQ(CtlOk({"put", "k", "v1"}), "OK\n");    // 2
  ASSERT_EQ(CtlOk({"put", "gone", "g"}), "OK\n");  // 3
  std::string txn =
      "version(\"k\") > \"5\"\n"
      "\n"
      "put k never\n"
      "\n"
      "get k\n"
      "del gone\n"
      "\n";
  EXPECT_EQ(CtlOk({"txn"}, txn), "FAILURE\n\nk\nv1\n\n1\n");
  EXPECT_EQ(CtlOk({"get", "k"}), "k\nv1\n");
  EXPECT_EQ(CtlOk({"get", "gone"}), "");

  std::string json_txn = "value(\"k\") != \"v1\"\n\nput k x\n\nput k y\n\n";
  absl::StatusOr<etcdserverpb::TxnResponse> r =
      ParseEtcdctlJson<etcdserverpb::TxnResponse>(CtlOk({"txn", "-w", "json"}, json_txn));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->succeeded());
  EXPECT_EQ(r->header().revision(), 5);
  EXPECT_EQ(CtlOk({"get", "k"}), "k\ny\n");
}

TEST_P(KvInteropTest, TxnLimitsAndDuplicates) {
  std::string too_many = "\n";
  for (int i = 0; i < 129; ++i) absl::StrAppend(&too_many, "put k", i, " v\n");
  absl::StrAppend(&too_many, "\n\n");
  CtlFails({"txn"}, "etcdserver: too many operations in txn request", too_many);
  CtlFails({"txn"}, "etcdserver: duplicate key given in txn request", "\nput k 1\nput k 2\n\n\n");
  std::string max_ops = "\n";
  for (int i = 0; i < 128; ++i) absl::StrAppend(&max_ops, "put k", i, " v\n");
  absl::StrAppend(&max_ops, "\n\n");
  CommandResult ok = Ctl({"txn"}, max_ops);
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_EQ(GetJson({"k0"}).header().revision(), 2);
}

TEST_P(KvInteropTest, ErrorsAreEtcdsMessages) {
  CtlFails({"put", "", "x"}, "etcdserver: key is not provided");
  ASSERT_EQ(CtlOk({"put", "foo", "bar"}), "OK\n");
  CtlFails({"get", "foo", "--rev=100"}, "etcdserver: mvcc: required revision is a future revision");
  // The store still serves after errors.
  EXPECT_EQ(CtlOk({"get", "foo"}), "foo\nbar\n");
}

TEST_P(KvInteropTest, RequestJustOverLimitIsRejected) {
  // etcd's default --max-request-bytes is 1.5 MiB; etcdctl reads the value from
  // stdin (an argv string cannot be that long).
  const size_t kLimit = 3 * 1024 * 1024 / 2;
  CtlFails({"put", "big"}, "etcdserver: request is too large", std::string(kLimit + 1024, 'a'));
  EXPECT_EQ(CtlOk({"get", "big"}), "");
  // Just under the limit is fine, and the store keeps serving.
  std::string near(kLimit - 4096, 'b');
  EXPECT_EQ(CtlOk({"put", "big"}, near), "OK\n");
  EXPECT_EQ(CtlOk({"get", "big", "--print-value-only"}), near + "\n");
  EXPECT_EQ(CtlOk({"put", "small", "s"}), "OK\n");
  EXPECT_EQ(CtlOk({"get", "small"}), "small\ns\n");
}

MINIK8S_INSTANTIATE_STORE_E2E(KvInteropTest);

}  // namespace
}  // namespace minik8s::storetest
