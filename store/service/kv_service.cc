#include "store/service/kv_service.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "common/grpc_status.h"
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

KvStore::Done FinishWith(grpc::ServerUnaryReactor* reactor) {
  return [reactor](absl::Status s) { reactor->Finish(ToGrpcStatus(s)); };
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

grpc::ServerUnaryReactor* KvService::Range(grpc::CallbackServerContext* ctx,
                                           const etcdserverpb::RangeRequest* req,
                                           etcdserverpb::RangeResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  absl::Status s = static_cast<int64_t>(req->ByteSizeLong()) > store_->options().max_request_bytes
                       ? ErrRequestTooLarge()
                       : store_->Range(*req, resp);
  reactor->Finish(ToGrpcStatus(s));
  return reactor;
}

grpc::ServerUnaryReactor* KvService::Put(grpc::CallbackServerContext* ctx,
                                         const etcdserverpb::PutRequest* req,
                                         etcdserverpb::PutResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  store_->Put(req, resp, FinishWith(reactor));
  return reactor;
}

grpc::ServerUnaryReactor* KvService::DeleteRange(grpc::CallbackServerContext* ctx,
                                                 const etcdserverpb::DeleteRangeRequest* req,
                                                 etcdserverpb::DeleteRangeResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  store_->DeleteRange(req, resp, FinishWith(reactor));
  return reactor;
}

grpc::ServerUnaryReactor* KvService::Txn(grpc::CallbackServerContext* ctx,
                                         const grpc::ByteBuffer* raw_req,
                                         grpc::ByteBuffer* raw_resp) {
  auto* reactor = ctx->DefaultReactor();
  struct Call {
    etcdserverpb::TxnRequest req;
    etcdserverpb::TxnResponse resp;
  };
  auto call = std::make_shared<Call>();
  std::string bytes;
  std::vector<grpc::Slice> slices;
  if (!raw_req->Dump(&slices).ok()) {
    reactor->Finish(grpc::Status(grpc::StatusCode::INTERNAL, "cannot read the request"));
    return reactor;
  }
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  absl::Status parsed = ParseTxnRequest(bytes, store_->options().max_txn_ops, &call->req);
  if (!parsed.ok()) {
    reactor->Finish(ToGrpcStatus(parsed));
    return reactor;
  }
  // `call` lives in the callback, which the store keeps until it has run.
  Call* raw = call.get();
  store_->Txn(&raw->req, &raw->resp, [reactor, raw_resp, call](absl::Status s) {
    if (s.ok()) {
      const std::string out = call->resp.SerializeAsString();
      grpc::Slice slice(out);
      *raw_resp = grpc::ByteBuffer(&slice, 1);
    }
    reactor->Finish(ToGrpcStatus(s));
  });
  return reactor;
}

grpc::ServerUnaryReactor* KvService::Compact(grpc::CallbackServerContext* ctx,
                                             const etcdserverpb::CompactionRequest* req,
                                             etcdserverpb::CompactionResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  store_->Compact(req, resp, FinishWith(reactor));
  return reactor;
}

}  // namespace minik8s::store
