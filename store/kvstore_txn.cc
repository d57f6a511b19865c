// KvStore: transactions, puts and deletes (the write half of the applier).
#include <algorithm>
#include <set>

#include "common/status_macros.h"
#include "store/errors.h"
#include "store/kvstore.h"

namespace minik8s::store {

using etcdserverpb::Compare;
using etcdserverpb::RequestOp;
using etcdserverpb::TxnRequest;
using Ops = google::protobuf::RepeatedPtrField<RequestOp>;

namespace {

struct Interval {
  std::string key;
  std::string end;
};

bool Intersects(const std::vector<Interval>& dels, const std::string& key) {
  for (const auto& d : dels) {
    if (InRange(key, d.key, d.end)) return true;
  }
  return false;
}

absl::Status CheckPutFields(const etcdserverpb::PutRequest& put) {
  if (put.key().empty()) return ErrEmptyKey();
  if (put.ignore_value() && !put.value().empty()) {
    return absl::InvalidArgumentError("etcdserver: value is provided");
  }
  if (put.ignore_lease() && put.lease() != 0) {
    return absl::InvalidArgumentError("etcdserver: lease is provided");
  }
  return absl::OkStatus();
}

absl::Status CheckOpFields(const Ops& ops, int64_t max_ops);

// etcd's checkTxnRequest: the largest of a txn's compare, success and
// failure lists counts against the budget, and what is left of it is the
// budget of every txn nested in it. So nesting uses the budget up too: with
// --max-txn-ops=128, a chain of one-op txns can be at most 129 deep.
absl::Status CheckTxnFields(const TxnRequest& req, int64_t max_ops) {
  const int64_t ops = std::max({req.compare_size(), req.success_size(), req.failure_size()});
  if (ops > max_ops) return ErrTooManyOps();
  RETURN_IF_ERROR(CheckOpFields(req.success(), max_ops - ops));
  return CheckOpFields(req.failure(), max_ops - ops);
}

absl::Status CheckOpFields(const Ops& ops, int64_t max_ops) {
  for (const RequestOp& op : ops) {
    switch (op.request_case()) {
      case RequestOp::kRequestRange:
        if (op.request_range().key().empty()) return ErrEmptyKey();
        break;
      case RequestOp::kRequestPut:
        RETURN_IF_ERROR(CheckPutFields(op.request_put()));
        break;
      case RequestOp::kRequestDeleteRange:
        if (op.request_delete_range().key().empty()) return ErrEmptyKey();
        break;
      case RequestOp::kRequestTxn:
        RETURN_IF_ERROR(CheckTxnFields(op.request_txn(), max_ops));
        break;
      default:
        break;
    }
  }
  return absl::OkStatus();
}

// etcd's checkIntervals: a key may be put at most once per executed path and
// never inside a range deleted on that path.
absl::Status CheckIntervals(const Ops& ops, std::set<std::string>* puts,
                            std::vector<Interval>* dels) {
  for (const RequestOp& op : ops) {
    if (op.has_request_delete_range()) {
      dels->push_back({op.request_delete_range().key(), op.request_delete_range().range_end()});
    }
  }
  for (const RequestOp& op : ops) {
    if (!op.has_request_txn()) continue;
    std::set<std::string> puts_then, puts_else;
    std::vector<Interval> dels_then, dels_else;
    RETURN_IF_ERROR(CheckIntervals(op.request_txn().success(), &puts_then, &dels_then));
    RETURN_IF_ERROR(CheckIntervals(op.request_txn().failure(), &puts_else, &dels_else));
    for (const auto& k : puts_then) {
      if (puts->contains(k) || Intersects(*dels, k)) return ErrDuplicateKey();
      puts->insert(k);
    }
    for (const auto& k : puts_else) {
      if (puts->contains(k) && !puts_then.contains(k)) return ErrDuplicateKey();
      if (Intersects(*dels, k)) return ErrDuplicateKey();
      puts->insert(k);
    }
    dels->insert(dels->end(), dels_then.begin(), dels_then.end());
    dels->insert(dels->end(), dels_else.begin(), dels_else.end());
  }
  for (const RequestOp& op : ops) {
    if (!op.has_request_put()) continue;
    const std::string& k = op.request_put().key();
    if (puts->contains(k) || Intersects(*dels, k)) return ErrDuplicateKey();
    puts->insert(k);
  }
  return absl::OkStatus();
}

bool CompareKV(const Compare& c, const mvccpb::KeyValue& kv) {
  int r = 0;
  auto cmp = [](int64_t a, int64_t b) { return a < b ? -1 : (a > b ? 1 : 0); };
  switch (c.target()) {
    case Compare::VALUE: {
      int x = kv.value().compare(c.value());
      r = x < 0 ? -1 : (x > 0 ? 1 : 0);
      break;
    }
    case Compare::CREATE:
      r = cmp(kv.create_revision(), c.create_revision());
      break;
    case Compare::MOD:
      r = cmp(kv.mod_revision(), c.mod_revision());
      break;
    case Compare::VERSION:
      r = cmp(kv.version(), c.version());
      break;
    case Compare::LEASE:
      r = cmp(kv.lease(), c.lease());
      break;
    default:
      return false;
  }
  switch (c.result()) {
    case Compare::EQUAL:
      return r == 0;
    case Compare::NOT_EQUAL:
      return r != 0;
    case Compare::GREATER:
      return r > 0;
    case Compare::LESS:
      return r < 0;
    default:
      return false;
  }
}

bool HasPut(const Ops& ops) {
  for (const RequestOp& op : ops) {
    if (op.has_request_put()) return true;
    if (op.has_request_txn() &&
        (HasPut(op.request_txn().success()) || HasPut(op.request_txn().failure()))) {
      return true;
    }
  }
  return false;
}

void SetInnerRevisions(etcdserverpb::TxnResponse* resp, int64_t rev) {
  for (auto& r : *resp->mutable_responses()) {
    switch (r.response_case()) {
      case etcdserverpb::ResponseOp::kResponseRange:
        r.mutable_response_range()->mutable_header()->set_revision(rev);
        break;
      case etcdserverpb::ResponseOp::kResponsePut:
        r.mutable_response_put()->mutable_header()->set_revision(rev);
        break;
      case etcdserverpb::ResponseOp::kResponseDeleteRange:
        r.mutable_response_delete_range()->mutable_header()->set_revision(rev);
        break;
      case etcdserverpb::ResponseOp::kResponseTxn:
        r.mutable_response_txn()->mutable_header()->set_revision(rev);
        SetInnerRevisions(r.mutable_response_txn(), rev);
        break;
      default:
        break;
    }
  }
}

}  // namespace

absl::Status KvStore::CheckTxn(const TxnRequest& req, int64_t max_txn_ops) {
  RETURN_IF_ERROR(CheckTxnFields(req, max_txn_ops));
  for (const Ops* ops : {&req.success(), &req.failure()}) {
    std::set<std::string> puts;
    std::vector<Interval> dels;
    RETURN_IF_ERROR(CheckIntervals(*ops, &puts, &dels));
  }
  return absl::OkStatus();
}

bool KvStore::IsReadOnly(const TxnRequest& req) {
  for (const Ops* ops : {&req.success(), &req.failure()}) {
    for (const RequestOp& op : *ops) {
      if (op.has_request_range()) continue;
      if (op.has_request_txn() && IsReadOnly(op.request_txn())) continue;
      return false;
    }
  }
  return true;
}

bool KvStore::EvalCompares(const TxnRequest& req, int64_t read_rev, bool overlay) const {
  for (const Compare& c : req.compare()) {
    etcdserverpb::RangeRequest rr;
    rr.set_key(c.key());
    rr.set_range_end(c.range_end());
    etcdserverpb::RangeResponse resp;
    if (!RangeAt(rr, read_rev, read_rev, overlay, &resp).ok()) return false;
    if (resp.kvs_size() == 0) {
      // A missing key compares as all zeros; a value compare on it fails.
      if (c.target() == Compare::VALUE) return false;
      if (!CompareKV(c, mvccpb::KeyValue())) return false;
      continue;
    }
    for (const auto& kv : resp.kvs()) {
      if (!CompareKV(c, kv)) return false;
    }
  }
  return true;
}

absl::Status KvStore::CheckPut(const etcdserverpb::PutRequest& req, int64_t read_rev,
                               bool overlay) const {
  RETURN_IF_ERROR(CheckPutFields(req));
  if (req.ignore_value() || req.ignore_lease()) {
    mvccpb::KeyValue kv;
    if (!GetKey(req.key(), read_rev, overlay, &kv)) return ErrKeyNotFound();
  }
  if (!req.ignore_lease() && req.lease() != 0 && !lessor_->Exists(req.lease())) {
    return ErrLeaseNotFound();
  }
  return absl::OkStatus();
}

absl::Status KvStore::CheckOps(const Ops& ops, int64_t read_rev, bool overlay) const {
  for (const RequestOp& op : ops) {
    switch (op.request_case()) {
      case RequestOp::kRequestRange:
        if (op.request_range().revision() > 0) {
          RETURN_IF_ERROR(CheckRangeRevision(op.request_range().revision(), read_rev));
        }
        break;
      case RequestOp::kRequestPut:
        RETURN_IF_ERROR(CheckPut(op.request_put(), read_rev, overlay));
        break;
      case RequestOp::kRequestTxn: {
        const TxnRequest& t = op.request_txn();
        const bool ok = EvalCompares(t, read_rev, overlay);
        RETURN_IF_ERROR(CheckOps(ok ? t.success() : t.failure(), read_rev, overlay));
        break;
      }
      default:
        break;
    }
  }
  return absl::OkStatus();
}

absl::Status KvStore::ReadOnlyTxn(const TxnRequest& req, int64_t rev,
                                  etcdserverpb::TxnResponse* resp) const {
  const bool ok = EvalCompares(req, rev, false);
  resp->set_succeeded(ok);
  for (const RequestOp& op : ok ? req.success() : req.failure()) {
    auto* r = resp->add_responses();
    if (op.has_request_range()) {
      auto* rr = r->mutable_response_range();
      RETURN_IF_ERROR(RangeAt(op.request_range(), rev, rev, false, rr));
      rr->mutable_header()->set_revision(rev);
    } else if (op.has_request_txn()) {
      RETURN_IF_ERROR(ReadOnlyTxn(op.request_txn(), rev, r->mutable_response_txn()));
    }
  }
  FillHeader(resp->mutable_header(), rev);
  return absl::OkStatus();
}

absl::Status KvStore::ApplyTxn(const TxnRequest& req, WriteCtx* ctx,
                               etcdserverpb::TxnResponse* resp) {
  const int64_t before = applied_rev_;
  const bool top = ctx->sub == 0 && resp->responses_size() == 0;
  const int64_t read_rev = ctx->sub > 0 ? ctx->rev : before;
  const bool ok = EvalCompares(req, read_rev, true);
  const Ops& ops = ok ? req.success() : req.failure();
  if (top) {
    // Validate the executed path before changing anything.
    RETURN_IF_ERROR(CheckOps(ops, before, true));
    if (HasPut(ops)) RETURN_IF_ERROR(CheckSpace(req.ByteSizeLong()));
  }
  resp->set_succeeded(ok);
  for (const RequestOp& op : ops) {
    auto* r = resp->add_responses();
    switch (op.request_case()) {
      case RequestOp::kRequestRange: {
        const int64_t rev = ctx->sub > 0 ? ctx->rev : before;
        RETURN_IF_ERROR(
            RangeAt(op.request_range(), before, rev, true, r->mutable_response_range()));
        break;
      }
      case RequestOp::kRequestPut:
        RETURN_IF_ERROR(ApplyPut(op.request_put(), ctx, r->mutable_response_put()));
        break;
      case RequestOp::kRequestDeleteRange:
        ApplyDelete(op.request_delete_range(), ctx, r->mutable_response_delete_range());
        break;
      case RequestOp::kRequestTxn:
        RETURN_IF_ERROR(ApplyTxn(op.request_txn(), ctx, r->mutable_response_txn()));
        break;
      default:
        break;
    }
  }
  if (top) SetInnerRevisions(resp, ctx->sub > 0 ? ctx->rev : before);
  return absl::OkStatus();
}

absl::Status KvStore::ApplyPut(const etcdserverpb::PutRequest& req, WriteCtx* ctx,
                               etcdserverpb::PutResponse* resp) {
  KeyAt at;
  const bool exists = index_.Get(req.key(), ctx->rev, &at);
  // The previous value costs a backend read; most puts need only its lease,
  // which the lessor knows.
  const bool read_prev = exists && (req.prev_kv() || req.ignore_value() || req.ignore_lease() ||
                                    watchable_->WantsPrevKv());
  mvccpb::KeyValue prev;
  if (read_prev) RETURN_IF_ERROR(ReadValue(at.modified, true, &prev));
  const int64_t prev_lease = read_prev ? prev.lease() : (exists ? lessor_->LeaseOf(req.key()) : 0);
  const Revision rev{ctx->rev, ctx->sub};
  mvccpb::KeyValue kv;
  kv.set_key(req.key());
  kv.set_value(req.ignore_value() ? prev.value() : req.value());
  kv.set_lease(req.ignore_lease() ? prev.lease() : req.lease());
  kv.set_create_revision(exists ? at.created.main : ctx->rev);
  kv.set_mod_revision(ctx->rev);
  kv.set_version(exists ? at.version + 1 : 1);
  RETURN_IF_ERROR(index_.Put(req.key(), rev));
  if (metrics::Counter* puts = GetStoreMetrics().puts) puts->Inc();
  ++ctx->sub;
  char rev_key[kRevisionBytes + 1];
  const size_t rev_key_size = EncodeRevisionTo(rev, /*tombstone=*/false, rev_key);
  kv.SerializeToString(&record_);
  batch_.Put(backend_->history(), rocksdb::Slice(rev_key, rev_key_size), record_);
  if (prev_lease != 0 && prev_lease != kv.lease()) lessor_->Detach(prev_lease, kv.key());
  if (kv.lease() != 0) lessor_->Attach(kv.lease(), kv.key());

  mvccpb::Event& ev = ctx->events.events.emplace_back();
  ev.set_type(mvccpb::Event::PUT);
  *ev.mutable_kv() = kv;
  if (read_prev) {
    *ev.mutable_prev_kv() = prev;
    if (req.prev_kv()) *resp->mutable_prev_kv() = std::move(prev);
  } else if (exists) {
    ctx->events.prev_kv_missing = true;
  }
  overlay_[rev] = std::move(kv);
  return absl::OkStatus();
}

void KvStore::DeleteKey(const std::string& key, WriteCtx* ctx, mvccpb::KeyValue* prev_out) {
  KeyAt at;
  if (!index_.Get(key, ctx->rev, &at)) return;
  // As for a put, the previous value costs a backend read per key (a
  // DeleteRange of 300,000 keys spent most of its apply on them): read it
  // only when the request or a watcher wants it; the lease comes from the
  // lessor.
  const bool read_prev = prev_out != nullptr || watchable_->WantsPrevKv();
  mvccpb::KeyValue prev;
  if (read_prev) (void)ReadValue(at.modified, true, &prev);
  const int64_t prev_lease = read_prev ? prev.lease() : lessor_->LeaseOf(key);
  const Revision rev{ctx->rev, ctx->sub};
  if (!index_.Tombstone(key, rev).ok()) return;
  ++ctx->sub;
  mvccpb::KeyValue tomb;
  tomb.set_key(key);
  tomb.set_mod_revision(ctx->rev);
  char rev_key[kRevisionBytes + 1];
  const size_t rev_key_size = EncodeRevisionTo(rev, /*tombstone=*/true, rev_key);
  tomb.SerializeToString(&record_);
  batch_.Put(backend_->history(), rocksdb::Slice(rev_key, rev_key_size), record_);
  if (prev_lease != 0) lessor_->Detach(prev_lease, key);
  mvccpb::Event& ev = ctx->events.events.emplace_back();
  ev.set_type(mvccpb::Event::DELETE);
  *ev.mutable_kv() = std::move(tomb);
  if (!read_prev) {
    ctx->events.prev_kv_missing = true;
    return;
  }
  if (prev_out != nullptr) *prev_out = prev;
  *ev.mutable_prev_kv() = std::move(prev);
}

void KvStore::ApplyDelete(const etcdserverpb::DeleteRangeRequest& req, WriteCtx* ctx,
                          etcdserverpb::DeleteRangeResponse* resp) {
  std::vector<IndexEntry> entries = index_.Range(req.key(), req.range_end(), ctx->rev, 0, nullptr);
  for (const IndexEntry& e : entries) {
    if (req.prev_kv()) {
      DeleteKey(e.key, ctx, resp->add_prev_kvs());
    } else {
      DeleteKey(e.key, ctx, nullptr);
    }
  }
  resp->set_deleted(static_cast<int64_t>(entries.size()));
}

}  // namespace minik8s::store
