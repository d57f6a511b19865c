// Fuzzes the store's etcd request handling below gRPC: the requests the KV,
// Lease and Watch services hand to the KvStore (store/kvstore.h) and the
// WatchStream, and ParseTxnRequest, which parses Txn's raw bytes itself.
// Input: one byte that picks the request, then the serialized request as a
// client sends it (bytes that do not parse are dropped, as gRPC would).
//   0 Range  1 Put  2 DeleteRange  3 Txn (raw, through ParseTxnRequest)
//   4 Compact  5 LeaseGrant  6 LeaseRevoke  7 LeaseKeepAlive + TimeToLive
//   8 Watch (create/cancel/progress on a stream, a put on the watched key,
//     the responses drained)
// One store (RocksDB in a temporary folder, under /dev/shm when there is
// one) serves every input of the run, so later inputs see earlier writes.
//
// MINIK8S_FUZZ_WRITE_SEEDS=<dir> writes a seed corpus of well-formed
// requests to <dir> and exits (fuzz/corpus/store was made so).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include "etcd/etcdserverpb/rpc.pb.h"
#include "fuzz/fuzz_util.h"
#include "spdlog/spdlog.h"
#include "store/kvstore.h"
#include "store/service/kv_service.h"

namespace {

using minik8s::store::KvStore;
namespace pb = etcdserverpb;

enum Op : uint8_t {
  kRange,
  kPut,
  kDeleteRange,
  kTxn,
  kCompact,
  kLeaseGrant,
  kLeaseRevoke,
  kLeaseKeepAlive,
  kWatch,
  kOps
};

std::string* g_dir = nullptr;
KvStore* g_store = nullptr;

void Shutdown() {
  if (g_store != nullptr) {
    g_store->Stop();
    delete g_store;
    g_store = nullptr;
  }
  if (g_dir != nullptr) {
    std::error_code ec;
    std::filesystem::remove_all(*g_dir, ec);
  }
}

void WriteSeed(const std::string& dir, const std::string& name, Op op,
               const google::protobuf::Message& req) {
  std::ofstream out(dir + "/" + name, std::ios::binary);
  out << static_cast<char>(op) << req.SerializeAsString();
}

void WriteSeeds(const std::string& dir) {
  std::filesystem::create_directories(dir);
  pb::PutRequest put;
  put.set_key("/registry/pods/default/web");
  put.set_value("{\"kind\":\"Pod\"}");
  put.set_prev_kv(true);
  WriteSeed(dir, "put", kPut, put);
  pb::RangeRequest range;
  range.set_key("/registry/pods/");
  range.set_range_end("/registry/pods0");
  range.set_limit(10);
  WriteSeed(dir, "range-prefix", kRange, range);
  range.set_count_only(true);
  range.set_revision(1);
  WriteSeed(dir, "range-count", kRange, range);
  pb::DeleteRangeRequest del;
  del.set_key("/registry/pods/default/web");
  del.set_prev_kv(true);
  WriteSeed(dir, "delete", kDeleteRange, del);
  pb::TxnRequest txn;
  pb::Compare* cmp = txn.add_compare();
  cmp->set_key("/registry/pods/default/web");
  cmp->set_target(pb::Compare::MOD);
  cmp->set_result(pb::Compare::EQUAL);
  cmp->set_mod_revision(0);
  *txn.add_success()->mutable_request_put() = put;
  *txn.add_failure()->mutable_request_range() = range;
  pb::TxnRequest* inner = txn.add_success()->mutable_request_txn();
  *inner->add_success()->mutable_request_delete_range() = del;
  WriteSeed(dir, "txn", kTxn, txn);
  pb::CompactionRequest compact;
  compact.set_revision(2);
  WriteSeed(dir, "compact", kCompact, compact);
  pb::LeaseGrantRequest grant;
  grant.set_ttl(60);
  grant.set_id(7);
  WriteSeed(dir, "lease-grant", kLeaseGrant, grant);
  pb::LeaseRevokeRequest revoke;
  revoke.set_id(7);
  WriteSeed(dir, "lease-revoke", kLeaseRevoke, revoke);
  pb::LeaseKeepAliveRequest keep;
  keep.set_id(7);
  WriteSeed(dir, "lease-keepalive", kLeaseKeepAlive, keep);
  pb::WatchRequest watch;
  pb::WatchCreateRequest* create = watch.mutable_create_request();
  create->set_key("/registry/pods/");
  create->set_range_end("/registry/pods0");
  create->set_prev_kv(true);
  create->set_start_revision(1);
  WriteSeed(dir, "watch-create", kWatch, watch);
  pb::WatchRequest progress;
  progress.mutable_progress_request();
  WriteSeed(dir, "watch-progress", kWatch, progress);
}

void RunWatch(const pb::WatchRequest& req) {
  std::unique_ptr<minik8s::store::WatchStream> stream;
  minik8s::store::WatchStream* raw = nullptr;
  stream = g_store->watchable()->NewStream([&raw](pb::WatchResponse&&) {
    // The transport: take every queued response at once.
    while (raw->NextToSend().has_value()) {
    }
  });
  raw = stream.get();
  switch (req.request_union_case()) {
    case pb::WatchRequest::kCreateRequest: {
      stream->Create(req.create_request());
      pb::PutRequest put;
      put.set_key(req.create_request().key().empty() ? std::string("k")
                                                     : req.create_request().key());
      put.set_value("v");
      pb::PutResponse resp;
      (void)g_store->PutSync(put, &resp);
      break;
    }
    case pb::WatchRequest::kCancelRequest:
      stream->Cancel(req.cancel_request().watch_id());
      break;
    case pb::WatchRequest::kProgressRequest:
      stream->RequestProgress();
      break;
    default:
      break;
  }
  stream->Close();
  // A response the sync loop was handing over may still be in the SendFn.
  while (stream->Writing()) usleep(100);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  spdlog::set_level(spdlog::level::off);
  if (const char* seeds = std::getenv("MINIK8S_FUZZ_WRITE_SEEDS"); seeds != nullptr) {
    WriteSeeds(seeds);
    std::exit(0);
  }
  std::string base = std::filesystem::is_directory("/dev/shm")
                         ? std::string("/dev/shm")
                         : std::filesystem::temp_directory_path().string();
  std::string pattern = base + "/minik8s-store-fuzz-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) std::abort();
  g_dir = new std::string(pattern);
  minik8s::store::StoreOptions options;
  options.data_dir = *g_dir;
  options.lease_expiry_loop = false;
  options.compaction_pause = absl::ZeroDuration();
  options.watch.sync_interval = absl::Milliseconds(10);
  absl::StatusOr<std::unique_ptr<KvStore>> store = KvStore::Open(options);
  if (!store.ok()) {
    std::fprintf(stderr, "store: %s\n", std::string(store.status().message()).c_str());
    std::abort();
  }
  g_store = store->release();
  std::atexit(Shutdown);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const Op op = static_cast<Op>(data[0] % kOps);
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  const int64_t max_bytes = g_store->options().max_request_bytes;
  switch (op) {
    case kRange: {
      pb::RangeRequest req;
      pb::RangeResponse resp;
      if (req.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) &&
          static_cast<int64_t>(req.ByteSizeLong()) <= max_bytes) {
        (void)g_store->Range(req, &resp);
      }
      break;
    }
    case kPut: {
      pb::PutRequest req;
      pb::PutResponse resp;
      if (req.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
        (void)g_store->PutSync(req, &resp);
      }
      break;
    }
    case kDeleteRange: {
      pb::DeleteRangeRequest req;
      pb::DeleteRangeResponse resp;
      if (req.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
        (void)g_store->DeleteRangeSync(req, &resp);
      }
      break;
    }
    case kTxn: {
      pb::TxnRequest req;
      pb::TxnResponse resp;
      if (minik8s::store::ParseTxnRequest(bytes, g_store->options().max_txn_ops, &req).ok()) {
        (void)g_store->TxnSync(req, &resp);
      }
      break;
    }
    case kCompact: {
      pb::CompactionRequest req;
      pb::CompactionResponse resp;
      if (req.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
        (void)g_store->CompactSync(req, &resp);
      }
      break;
    }
    case kLeaseGrant: {
      pb::LeaseGrantRequest req;
      pb::LeaseGrantResponse resp;
      if (req.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
        (void)g_store->LeaseGrantSync(req, &resp);
      }
      break;
    }
    case kLeaseRevoke: {
      pb::LeaseRevokeRequest req;
      pb::LeaseRevokeResponse resp;
      if (req.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
        (void)g_store->LeaseRevokeSync(req, &resp);
      }
      break;
    }
    case kLeaseKeepAlive: {
      pb::LeaseKeepAliveRequest req;
      pb::LeaseKeepAliveResponse resp;
      if (req.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
        g_store->LeaseKeepAlive(req, &resp);
        pb::LeaseTimeToLiveRequest ttl;
        ttl.set_id(req.id());
        ttl.set_keys(true);
        pb::LeaseTimeToLiveResponse ttl_resp;
        g_store->LeaseTimeToLive(ttl, &ttl_resp);
        pb::LeaseLeasesResponse leases;
        g_store->LeaseLeases(&leases);
      }
      break;
    }
    case kWatch: {
      pb::WatchRequest req;
      if (req.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) RunWatch(req);
      break;
    }
    case kOps:
      break;
  }
  return 0;
}
