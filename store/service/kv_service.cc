#include "store/service/kv_service.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "google/protobuf/io/coded_stream.h"
#include "store/errors.h"

namespace minik8s::store {

namespace {

bool ReadVarint(std::string_view bytes, size_t end, size_t* pos, uint64_t* out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*pos >= end) return false;
    const uint8_t b = static_cast<uint8_t>(bytes[(*pos)++]);
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      *out = v;
      return true;
    }
  }
  return false;
}

}  // namespace

int TxnNestingDepth(std::string_view bytes, int stop_above) {
  // Field numbers in rpc.proto: TxnRequest.success = 2 and .failure = 3 are
  // RequestOps; RequestOp.request_txn = 4 is a TxnRequest.
  struct Frame {
    size_t end;
    bool txn;  // a TxnRequest (else a RequestOp)
    int depth;
  };
  std::vector<Frame> stack = {{bytes.size(), true, 1}};
  size_t pos = 0;
  int deepest = 1;
  while (true) {
    while (!stack.empty() && pos == stack.back().end) stack.pop_back();
    if (stack.empty()) return deepest;
    const Frame f = stack.back();
    uint64_t tag = 0;
    if (!ReadVarint(bytes, f.end, &pos, &tag)) return -1;
    const uint64_t field = tag >> 3;
    switch (tag & 7) {
      case 0: {
        uint64_t ignored;
        if (!ReadVarint(bytes, f.end, &pos, &ignored)) return -1;
        break;
      }
      case 1:
      case 5: {
        const size_t n = (tag & 7) == 1 ? 8 : 4;
        if (f.end - pos < n) return -1;
        pos += n;
        break;
      }
      case 2: {
        uint64_t len = 0;
        if (!ReadVarint(bytes, f.end, &pos, &len) || len > f.end - pos) return -1;
        const size_t end = pos + static_cast<size_t>(len);
        if (f.txn && (field == 2 || field == 3)) {
          stack.push_back({end, false, f.depth});
        } else if (!f.txn && field == 4) {
          deepest = std::max(deepest, f.depth + 1);
          if (deepest > stop_above) return deepest;
          stack.push_back({end, true, f.depth + 1});
        } else {
          pos = end;
        }
        break;
      }
      default:
        return -1;  // groups: not in etcd's messages
    }
  }
}

absl::Status ParseTxnRequest(std::string_view bytes, int64_t max_txn_ops,
                             etcdserverpb::TxnRequest* req) {
  // Each level below the top holds at least one op of its parent, which
  // comes out of the parent's budget (KvStore::CheckTxn): deeper than
  // max_txn_ops + 1 levels never fits.
  const int64_t allowed = std::min<int64_t>(max_txn_ops + 1, kMaxTxnNesting);
  const int depth = TxnNestingDepth(bytes, static_cast<int>(allowed));
  if (depth > allowed) return ErrTooManyOps();
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  // Two messages per level (TxnRequest, RequestOp) plus the ops inside.
  in.SetRecursionLimit(2 * std::max(depth, 1) + 8);
  if (depth < 0 || !req->ParseFromCodedStream(&in) || !in.ConsumedEntireMessage()) {
    return absl::InternalError("grpc: error unmarshalling request: malformed TxnRequest");
  }
  return absl::OkStatus();
}

KvService::KvService(KvStore* store, rpc::Server* server) : store_(store) {
  // A write from the RPC worker always goes to the apply thread: applied
  // there, it would hold up every other call for a sync, and make each
  // write wait for the previous one's.
  constexpr KvStore::ApplyOnCaller kNever = KvStore::ApplyOnCaller::kNever;
  RangeCall::Register(server, "/etcdserverpb.KV/Range", [this](RangeCall* call) {
    call->Reply(static_cast<int64_t>(call->req.ByteSizeLong()) > store_->options().max_request_bytes
                    ? ErrRequestTooLarge()
                    : store_->Range(call->req, &call->resp));
  });
  PutCall::Register(server, "/etcdserverpb.KV/Put", [this](PutCall* call) {
    store_->Put(
        &call->req, &call->resp, [call](absl::Status s) { call->Reply(s); }, kNever);
  });
  DeleteRangeCall::Register(server, "/etcdserverpb.KV/DeleteRange", [this](DeleteRangeCall* call) {
    store_->DeleteRange(
        &call->req, &call->resp, [call](absl::Status s) { call->Reply(s); }, kNever);
  });
  TxnCall::Register(server, "/etcdserverpb.KV/Txn", [this](TxnCall* call) { ServeTxn(call); });
  CompactCall::Register(server, "/etcdserverpb.KV/Compact", [this](CompactCall* call) {
    store_->Compact(
        &call->req, &call->resp, [call](absl::Status s) { call->Reply(s); }, kNever);
  });
}

void KvService::ServeTxn(TxnCall* call) {
  struct Parsed {
    etcdserverpb::TxnRequest req;
    etcdserverpb::TxnResponse resp;
  };
  auto parsed = std::make_shared<Parsed>();
  absl::Status s = ParseTxnRequest(call->req, store_->options().max_txn_ops, &parsed->req);
  if (!s.ok()) return call->Reply(s);
  // `parsed` lives in the callback, which the store keeps until it has run.
  Parsed* raw = parsed.get();
  store_->Txn(
      &raw->req, &raw->resp,
      [call, parsed](absl::Status s) {
        if (s.ok()) parsed->resp.SerializeToString(&call->resp);
        call->Reply(s);
      },
      KvStore::ApplyOnCaller::kNever);
}

}  // namespace minik8s::store
