#include "store/kvstore.h"

#include <algorithm>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"
#include "store/errors.h"

namespace minik8s::store {

using etcdserverpb::RangeRequest;
using etcdserverpb::RangeResponse;

namespace {

// etcd's warning threshold for a slow apply (its "expected-duration").
constexpr absl::Duration kSlowApply = absl::Milliseconds(100);

}  // namespace

KvStore::KvStore(const StoreOptions& options) : options_(options) {
  if (options_.quota_backend_bytes > 0) quota_ = options_.quota_backend_bytes;
}

absl::StatusOr<std::unique_ptr<KvStore>> KvStore::Open(const StoreOptions& options) {
  auto store = std::unique_ptr<KvStore>(new KvStore(options));
  ASSIGN_OR_RETURN(store->backend_,
                   Backend::Open(options.data_dir, {.unsafe_repair = options.unsafe_repair}));
  store->lessor_ = std::make_unique<Lessor>(options.clock, options.min_lease_ttl);
  RETURN_IF_ERROR(store->Recover());
  if (metrics::GaugeFuncFamily* keys = GetStoreMetrics().keys) {
    const Index* index = &store->index_;
    store->keys_gauge_ = keys->AddCallback([index] {
      return std::vector<metrics::GaugeFuncFamily::Sample>{
          {.label_values = {}, .value = static_cast<double>(index->KeyCount())}};
    });
  }
  store->watchable_ =
      std::make_unique<WatchableStore>(store.get(), store->applied_rev_, options.watch);
  store->watchable_->Start();
  KvStore* raw = store.get();
  store->completion_thread_ = std::thread([raw] { raw->CompletionLoop(); });
  store->apply_thread_ = std::thread([raw] { raw->ApplyLoop(); });
  store->compactor_thread_ = std::thread([raw] { raw->CompactorLoop(); });
  if (options.lease_expiry_loop) {
    store->lease_thread_ = std::thread([raw] { raw->LeaseExpiryLoop(); });
  }
  return store;
}

KvStore::~KvStore() { Stop(); }

absl::Status KvStore::Recover() {
  // Identity.
  ASSIGN_OR_RETURN(auto member, backend_->GetMeta(kMetaMemberId));
  ASSIGN_OR_RETURN(auto cluster, backend_->GetMeta(kMetaClusterId));
  if (!member.has_value() || !cluster.has_value()) {
    std::mt19937_64 rng(std::random_device{}());
    member_id_ = rng() | 1;
    cluster_id_ = rng() | 1;
    rocksdb::WriteBatch wb;
    wb.Put(backend_->meta(), kMetaMemberId, EncodeInt64(static_cast<int64_t>(member_id_)));
    wb.Put(backend_->meta(), kMetaClusterId, EncodeInt64(static_cast<int64_t>(cluster_id_)));
    RETURN_IF_ERROR(backend_->Write(&wb));
  } else {
    member_id_ = static_cast<uint64_t>(*member);
    cluster_id_ = static_cast<uint64_t>(*cluster);
  }
  ASSIGN_OR_RETURN(auto current, backend_->GetMeta(kMetaCurrentRev));
  ASSIGN_OR_RETURN(auto scheduled, backend_->GetMeta(kMetaScheduledCompact));
  ASSIGN_OR_RETURN(auto finished, backend_->GetMeta(kMetaFinishedCompact));
  ASSIGN_OR_RETURN(auto nospace, backend_->GetMeta(kMetaAlarmNoSpace));
  nospace_alarm_.store(nospace.value_or(0) != 0);
  if (NoSpaceAlarm()) {
    spdlog::warn(
        "store: the NOSPACE alarm is raised: writes that add data are refused until "
        "it is disarmed (etcdctl alarm disarm)");
  }
  // Like etcd, an empty store is at revision 1: the first write gets 2.
  int64_t rev = current.value_or(1);

  // Leases first, so keys can be attached while the index is rebuilt.
  RETURN_IF_ERROR(
      backend_->ScanLeases([this](int64_t id, int64_t ttl) { lessor_->Restore(id, ttl); }));

  absl::flat_hash_map<std::string, int64_t> key_lease;
  absl::Status parse_status;
  RETURN_IF_ERROR(backend_->ScanHistory(
      0, std::numeric_limits<int64_t>::max(),
      [&](const Revision& r, bool tombstone, const std::string& value) {
        mvccpb::KeyValue kv;
        if (!kv.ParseFromString(value)) {
          parse_status = absl::DataLossError(absl::StrCat("corrupt record at revision ", r.main));
          return false;
        }
        index_.Restore(kv.key(), r, Revision{kv.create_revision(), 0}, kv.version(), tombstone);
        if (tombstone || kv.lease() == 0) {
          key_lease.erase(kv.key());
        } else {
          key_lease[kv.key()] = kv.lease();
        }
        rev = std::max(rev, r.main);
        return true;
      }));
  RETURN_IF_ERROR(parse_status);
  for (const auto& [key, lease] : key_lease) lessor_->Attach(lease, key);

  applied_rev_ = rev;
  committed_rev_.store(rev);
  const int64_t compact = scheduled.value_or(0);
  compacted_rev_.store(compact);
  finished_compact_rev_.store(finished.value_or(0));
  if (compact > finished.value_or(0)) {
    spdlog::info("store: finishing compaction at revision {} interrupted before restart", compact);
    RETURN_IF_ERROR(RunCompaction(compact));
  } else if (compact > 0) {
    index_.Compact(compact);
  }
  db_size_.store(backend_->ApproximateSize());
  spdlog::info("store: recovered data dir {}: revision {}, compacted {}, {} keys",
               options_.data_dir, rev, compact, index_.KeyCount());
  return absl::OkStatus();
}

void KvStore::Stop() {
  {
    absl::MutexLock lock(&lease_loop_mu_);
    lease_loop_stopping_ = true;
  }
  if (lease_thread_.joinable()) lease_thread_.join();
  {
    absl::MutexLock lock(&queue_mu_);
    stopping_ = true;
  }
  if (apply_thread_.joinable()) apply_thread_.join();
  // Writes are done: what the compactor still has to do (deleting compacted
  // history, defragmenting) is left for later, not waited for.
  compactor_abort_.store(true);
  if (backend_ != nullptr && compactor_thread_.joinable()) backend_->AbortDefragment();
  {
    absl::MutexLock lock(&completion_mu_);
    completion_stopping_ = true;
  }
  if (completion_thread_.joinable()) completion_thread_.join();
  {
    absl::MutexLock lock(&compact_mu_);
    compact_stopping_ = true;
  }
  if (compactor_thread_.joinable()) compactor_thread_.join();
  if (watchable_) watchable_->Stop();
}

// ------------------------------------------------------------------ writes

void KvStore::Submit(Kind kind, const google::protobuf::Message* req,
                     google::protobuf::Message* resp, etcdserverpb::ResponseHeader* header,
                     Done done, ApplyOnCaller on_caller) {
  PendingWrite w{kind, req, resp, std::move(done), header};
  std::deque<PendingWrite> batch;
  bool stopped = false;
  {
    absl::MutexLock lock(&queue_mu_);
    stopped = stopping_;
    if (!stopped) {
      queue_.push_back(std::move(w));
      // The applier in progress, or the apply thread it wakes, takes it.
      if (applying_ || !last_batch_single_ || on_caller == ApplyOnCaller::kNever) return;
      // Writes come one at a time and the store is idle: apply this one on
      // the calling thread rather than waking the apply thread, which saves
      // a thread switch and cuts the latency of a lone writer. Writes that
      // arrive meanwhile queue up, and the apply thread takes them once this
      // batch is done. Under concurrent load the gRPC threads stay free for
      // I/O while the apply thread waits for the disk.
      applying_ = true;
      TakeBatch(&batch);
    }
  }
  if (stopped) return w.done(ErrStopped());
  ApplyBatch(&batch);
  absl::MutexLock lock(&queue_mu_);
  applying_ = false;
}

void KvStore::TakeBatch(std::deque<PendingWrite>* batch) {
  const size_t n = std::min(queue_.size(), options_.max_batch);
  for (size_t i = 0; i < n; ++i) {
    batch->push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  last_batch_single_ = n == 1;
}

void KvStore::Put(const etcdserverpb::PutRequest* req, etcdserverpb::PutResponse* resp, Done done,
                  ApplyOnCaller on_caller) {
  if (req->key().empty()) return done(ErrEmptyKey());
  if (static_cast<int64_t>(req->ByteSizeLong()) > options_.max_request_bytes) {
    return done(ErrRequestTooLarge());
  }
  Submit(Kind::kPut, req, resp, resp->mutable_header(), std::move(done), on_caller);
}

void KvStore::DeleteRange(const etcdserverpb::DeleteRangeRequest* req,
                          etcdserverpb::DeleteRangeResponse* resp, Done done,
                          ApplyOnCaller on_caller) {
  if (req->key().empty()) return done(ErrEmptyKey());
  if (static_cast<int64_t>(req->ByteSizeLong()) > options_.max_request_bytes) {
    return done(ErrRequestTooLarge());
  }
  Submit(Kind::kDeleteRange, req, resp, resp->mutable_header(), std::move(done), on_caller);
}

void KvStore::Txn(const etcdserverpb::TxnRequest* req, etcdserverpb::TxnResponse* resp, Done done,
                  ApplyOnCaller on_caller) {
  if (static_cast<int64_t>(req->ByteSizeLong()) > options_.max_request_bytes) {
    return done(ErrRequestTooLarge());
  }
  absl::Status s = CheckTxn(*req, options_.max_txn_ops);
  if (!s.ok()) return done(s);
  if (IsReadOnly(*req)) return done(ReadOnlyTxn(*req, CurrentRevision(), resp));
  Submit(Kind::kTxn, req, resp, resp->mutable_header(), std::move(done), on_caller);
}

void KvStore::Compact(const etcdserverpb::CompactionRequest* req,
                      etcdserverpb::CompactionResponse* resp, Done done, ApplyOnCaller on_caller) {
  Submit(Kind::kCompact, req, resp, resp->mutable_header(), std::move(done), on_caller);
}

void KvStore::LeaseGrant(const etcdserverpb::LeaseGrantRequest* req,
                         etcdserverpb::LeaseGrantResponse* resp, Done done,
                         ApplyOnCaller on_caller) {
  Submit(Kind::kLeaseGrant, req, resp, resp->mutable_header(), std::move(done), on_caller);
}

void KvStore::Alarm(const etcdserverpb::AlarmRequest* req, etcdserverpb::AlarmResponse* resp,
                    Done done, ApplyOnCaller on_caller) {
  Submit(Kind::kAlarm, req, resp, resp->mutable_header(), std::move(done), on_caller);
}

void KvStore::LeaseRevoke(const etcdserverpb::LeaseRevokeRequest* req,
                          etcdserverpb::LeaseRevokeResponse* resp, Done done,
                          ApplyOnCaller on_caller) {
  Submit(Kind::kLeaseRevoke, req, resp, resp->mutable_header(), std::move(done), on_caller);
}

void KvStore::ApplyLoop() {
  std::deque<PendingWrite> batch;
  while (true) {
    {
      absl::MutexLock lock(&queue_mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(queue_mu_) {
        return !applying_ && (stopping_ || !queue_.empty());
      };
      queue_mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) {
        stopped_ = true;
        return;  // stopping, and every queued write is done
      }
      applying_ = true;
      TakeBatch(&batch);
    }
    ApplyBatch(&batch);
    batch.clear();
    absl::MutexLock lock(&queue_mu_);
    applying_ = false;
  }
}

void KvStore::ApplyBatch(std::deque<PendingWrite>* batch) {
  const absl::Time start = absl::Now();
  batch_.Clear();
  overlay_.clear();
  batch_events_.clear();
  const int64_t rev_before = applied_rev_;
  for (PendingWrite& w : *batch) ApplyOne(&w);
  const absl::Time applied = absl::Now();
  if (batch_.Count() > 0) {
    if (applied_rev_ != rev_before) {
      batch_.Put(backend_->meta(), kMetaCurrentRev, EncodeInt64(applied_rev_));
    }
    absl::Status s = backend_->Write(&batch_);
    if (!s.ok()) {
      // The in-memory state is ahead of the disk and cannot be rolled back.
      spdlog::critical("store: durable write failed, stopping: {}", s.ToString());
      std::abort();
    }
  }
  overlay_.clear();
  committed_rev_.store(applied_rev_, std::memory_order_release);
  // The exact size needs RocksDB's DB mutex; between refreshes, count the
  // bytes written (an overestimate: overwritten history is compacted later).
  const absl::Time now = absl::Now();
  if (now - last_size_refresh_ >= absl::Milliseconds(100)) {
    last_size_refresh_ = now;
    db_size_.store(backend_->ApproximateSize());
  } else {
    db_size_.fetch_add(static_cast<int64_t>(batch_.GetDataSize()));
  }
  int64_t new_compact = 0;
  for (PendingWrite& w : *batch) {
    if (w.kind == Kind::kCompact && w.status.ok())
      new_compact = std::max(new_compact, w.compact_rev);
  }
  if (new_compact > 0) compacted_rev_.store(new_compact, std::memory_order_release);
  for (PendingWrite& w : *batch) {
    if (w.status.ok()) FillHeader(w.header, w.header_rev);
    if (w.kind == Kind::kCompact && w.status.ok()) {
      const auto* req = static_cast<const etcdserverpb::CompactionRequest*>(w.req);
      absl::MutexLock lock(&compact_mu_);
      // Physical: answered by the compactor once the deletion is done.
      if (req->physical()) {
        compact_queue_.emplace_back(w.compact_rev, std::move(w.done));
        w.done = nullptr;
      } else {
        compact_queue_.emplace_back(w.compact_rev, nullptr);
      }
    }
  }
  const absl::Time written = absl::Now();
  const size_t writes = batch->size();
  Committed c{std::move(*batch), std::move(batch_events_), applied_rev_};
  batch->clear();
  batch_events_.clear();
  bool inline_ok = false;
  {
    absl::MutexLock lock(&completion_mu_);
    // The completion stage runs beside the next batch's apply and sync. A
    // batch is completed here instead, saving a thread hop, when the stage is
    // idle and completing is cheap: few synced watchers to notify and at most
    // 1,000 events (freeing the events of a DeleteRange of many keys takes
    // tens of milliseconds, which the next writes would wait for). The number
    // of writes does not matter: answering them delays the next sync a
    // little, and the writes that queue up meanwhile make that sync larger.
    size_t events = 0;
    for (const RevisionEvents& re : c.events) events += re.events.size();
    inline_ok = !completion_busy_ && completion_queue_.empty() && events <= 1000 &&
                (events == 0 || watchable_->SyncedCountHint() <= 16);
    if (!inline_ok) completion_queue_.push_back(std::move(c));
  }
  if (inline_ok) {
    Complete(&c);
    c = Committed();  // the batch's requests and events are freed here, inside the timing
  }
  // As etcd's "apply request took too long": a batch that held the writes
  // queued behind it for longer than kSlowApply says where the time went.
  const absl::Time end = absl::Now();
  if (end - start > kSlowApply) {
    spdlog::warn(
        "store: applying {} writes up to revision {} took {} (in memory {}, backend write of {} "
        "bytes {}, completion{} {}), expected under {}",
        writes, applied_rev_, absl::FormatDuration(end - start),
        absl::FormatDuration(applied - start), batch_.GetDataSize(),
        absl::FormatDuration(written - applied), inline_ok ? "" : " hand-off",
        absl::FormatDuration(end - written), absl::FormatDuration(kSlowApply));
  }
}

void KvStore::Complete(Committed* c) {
  // Watchers first: once a writer has its answer, a progress request on any
  // watch stream reports at least its revision (the events are queued on the
  // streams before it). The transports get the responses after the writers
  // got their answers, so that the writers' next requests are already being
  // applied while the responses go out.
  if (!c->events.empty()) watchable_->Notify(c->events, c->rev);
  for (PendingWrite& w : c->writes) {
    if (w.done) w.done(w.status);
  }
  if (!c->events.empty()) watchable_->StartPendingSends();
}

void KvStore::CompletionLoop() {
  while (true) {
    Committed c;
    {
      absl::MutexLock lock(&completion_mu_);
      completion_busy_ = false;
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(completion_mu_) {
        return completion_stopping_ || !completion_queue_.empty();
      };
      completion_mu_.Await(absl::Condition(&ready));
      if (completion_queue_.empty()) return;  // stopping, and everything is done
      // Every batch that piled up while the previous ones were completed, as
      // one: each watcher then gets one response for all of them.
      c = std::move(completion_queue_.front());
      completion_queue_.pop_front();
      while (!completion_queue_.empty()) {
        Committed& next = completion_queue_.front();
        for (PendingWrite& w : next.writes) c.writes.push_back(std::move(w));
        for (RevisionEvents& re : next.events) c.events.push_back(std::move(re));
        c.rev = next.rev;
        completion_queue_.pop_front();
      }
      completion_busy_ = true;
    }
    Complete(&c);
    {
      // Every request of `c` is answered: later batches may be completed
      // inline while `c` is freed (a large DeleteRange's events take tens of
      // milliseconds).
      absl::MutexLock lock(&completion_mu_);
      if (completion_queue_.empty()) completion_busy_ = false;
    }
  }
}

void KvStore::ApplyOne(PendingWrite* w) {
  WriteCtx ctx;
  ctx.rev = applied_rev_ + 1;
  ctx.events.rev = ctx.rev;
  switch (w->kind) {
    case Kind::kPut: {
      const auto& req = *static_cast<const etcdserverpb::PutRequest*>(w->req);
      auto* resp = static_cast<etcdserverpb::PutResponse*>(w->resp);
      w->status = CheckSpace(req.ByteSizeLong());
      if (!w->status.ok()) break;
      w->status = CheckPut(req, applied_rev_, true);
      if (w->status.ok()) w->status = ApplyPut(req, &ctx, resp);
      break;
    }
    case Kind::kDeleteRange: {
      const auto& req = *static_cast<const etcdserverpb::DeleteRangeRequest*>(w->req);
      ApplyDelete(req, &ctx, static_cast<etcdserverpb::DeleteRangeResponse*>(w->resp));
      break;
    }
    case Kind::kTxn: {
      const auto& req = *static_cast<const etcdserverpb::TxnRequest*>(w->req);
      w->status = ApplyTxn(req, &ctx, static_cast<etcdserverpb::TxnResponse*>(w->resp));
      break;
    }
    case Kind::kCompact: {
      const auto& req = *static_cast<const etcdserverpb::CompactionRequest*>(w->req);
      w->status = CheckCompact(req.revision());
      if (w->status.ok()) {
        w->compact_rev = req.revision();
        batch_.Put(backend_->meta(), kMetaScheduledCompact, EncodeInt64(req.revision()));
      }
      break;
    }
    case Kind::kLeaseGrant: {
      const auto& req = *static_cast<const etcdserverpb::LeaseGrantRequest*>(w->req);
      auto* resp = static_cast<etcdserverpb::LeaseGrantResponse*>(w->resp);
      w->status = CheckSpace(0);
      if (!w->status.ok()) break;
      w->status = lessor_->CheckGrant(req.id(), req.ttl());
      if (!w->status.ok()) break;
      const int64_t id = req.id() != 0 ? req.id() : lessor_->NewId();
      const int64_t ttl = lessor_->Grant(id, req.ttl());
      batch_.Put(backend_->lease(), EncodeInt64(id), EncodeInt64(ttl));
      resp->set_id(id);
      resp->set_ttl(ttl);
      break;
    }
    case Kind::kLeaseRevoke: {
      const auto& req = *static_cast<const etcdserverpb::LeaseRevokeRequest*>(w->req);
      auto keys = lessor_->Revoke(req.id());
      if (!keys.ok()) {
        w->status = keys.status();
        break;
      }
      for (const std::string& key : *keys) {
        KeyAt at;
        if (index_.Get(key, ctx.rev, &at)) DeleteKey(key, &ctx, nullptr);
      }
      batch_.Delete(backend_->lease(), EncodeInt64(req.id()));
      break;
    }
    case Kind::kAlarm: {
      const auto& req = *static_cast<const etcdserverpb::AlarmRequest*>(w->req);
      w->status = ApplyAlarm(req, static_cast<etcdserverpb::AlarmResponse*>(w->resp));
      break;
    }
  }
  if (ctx.sub > 0) {
    applied_rev_ = ctx.rev;
    batch_events_.push_back(std::move(ctx.events));
  }
  w->header_rev = applied_rev_;
}

bool KvStore::QuotaExceeded(size_t request_bytes) const {
  return quota_ > 0 && db_size_.load() + static_cast<int64_t>(request_bytes) > quota_;
}

absl::Status KvStore::CheckSpace(size_t request_bytes) {
  if (NoSpaceAlarm()) return ErrNoSpace();
  if (!QuotaExceeded(request_bytes)) return absl::OkStatus();
  nospace_alarm_.store(true, std::memory_order_release);
  batch_.Put(backend_->meta(), kMetaAlarmNoSpace, EncodeInt64(1));
  spdlog::warn(
      "store: database space exceeded (about {} bytes, quota {}): NOSPACE alarm "
      "raised; writes that add data are refused until it is disarmed "
      "(etcdctl alarm disarm) once space is freed (compact, delete)",
      db_size_.load(), quota_);
  return ErrNoSpace();
}

absl::Status KvStore::ApplyAlarm(const etcdserverpb::AlarmRequest& req,
                                 etcdserverpb::AlarmResponse* resp) {
  using etcdserverpb::AlarmRequest;
  using etcdserverpb::AlarmType;
  auto add = [&](AlarmType type) {
    auto* m = resp->add_alarms();
    m->set_memberid(member_id_);
    m->set_alarm(type);
  };
  switch (req.action()) {
    case AlarmRequest::GET:
      if (NoSpaceAlarm()) add(etcdserverpb::NOSPACE);
      return absl::OkStatus();
    case AlarmRequest::ACTIVATE:
      if (req.alarm() == etcdserverpb::NONE) return absl::OkStatus();
      if (req.alarm() != etcdserverpb::NOSPACE) {
        return absl::UnimplementedError(
            "etcdserver: minik8s-store only implements the NOSPACE alarm");
      }
      if (!NoSpaceAlarm()) {
        nospace_alarm_.store(true, std::memory_order_release);
        batch_.Put(backend_->meta(), kMetaAlarmNoSpace, EncodeInt64(1));
      }
      add(etcdserverpb::NOSPACE);
      return absl::OkStatus();
    case AlarmRequest::DEACTIVATE:
      // Like etcd, deactivating an alarm that is not raised answers nothing.
      if (req.alarm() != etcdserverpb::NOSPACE || !NoSpaceAlarm()) return absl::OkStatus();
      if (req.memberid() != 0 && req.memberid() != member_id_) return absl::OkStatus();
      nospace_alarm_.store(false, std::memory_order_release);
      batch_.Delete(backend_->meta(), kMetaAlarmNoSpace);
      spdlog::info("store: NOSPACE alarm disarmed");
      add(etcdserverpb::NOSPACE);
      return absl::OkStatus();
    default:
      return absl::InvalidArgumentError("etcdserver: unknown alarm action");
  }
}

// ------------------------------------------------------------------- reads

void KvStore::FillHeader(etcdserverpb::ResponseHeader* header, int64_t rev) const {
  header->set_cluster_id(cluster_id_);
  header->set_member_id(member_id_);
  header->set_revision(rev);
  header->set_raft_term(1);
}

absl::Status KvStore::ReadValue(const Revision& rev, bool overlay, mvccpb::KeyValue* kv) const {
  if (overlay) {
    auto it = overlay_.find(rev);
    if (it != overlay_.end()) {
      *kv = it->second;
      return absl::OkStatus();
    }
  }
  absl::Status s = backend_->GetKeyValue(rev, kv);
  if (absl::IsNotFound(s)) return ErrCompacted();
  return s;
}

bool KvStore::GetKey(const std::string& key, int64_t at_rev, bool overlay,
                     mvccpb::KeyValue* kv) const {
  KeyAt at;
  if (!index_.Get(key, at_rev, &at)) return false;
  return ReadValue(at.modified, overlay, kv).ok();
}

absl::Status KvStore::CheckRangeRevision(int64_t rev, int64_t current) const {
  if (rev > current) return ErrFutureRev();
  if (rev < CompactedRevision()) return ErrCompacted();
  return absl::OkStatus();
}

absl::Status KvStore::Range(const RangeRequest& req, RangeResponse* resp) const {
  if (req.key().empty()) return ErrEmptyKey();
  const int64_t current = CurrentRevision();
  RETURN_IF_ERROR(RangeAt(req, current, current, false, resp));
  FillHeader(resp->mutable_header(), current);
  return absl::OkStatus();
}

absl::Status KvStore::RangeAt(const RangeRequest& req, int64_t current, int64_t read_rev,
                              bool overlay, RangeResponse* resp) const {
  int64_t rev = read_rev;
  if (req.revision() > 0) {
    RETURN_IF_ERROR(CheckRangeRevision(req.revision(), current));
    rev = req.revision();
  }
  int64_t limit = req.limit();
  if (req.sort_order() != RangeRequest::NONE || req.min_mod_revision() != 0 ||
      req.max_mod_revision() != 0 || req.min_create_revision() != 0 ||
      req.max_create_revision() != 0) {
    limit = 0;  // fetch everything; filter, sort and truncate afterwards
  }
  if (limit > 0) ++limit;  // one extra tells whether there is more
  int64_t total = 0;
  std::vector<IndexEntry> entries =
      index_.Range(req.key(), req.range_end(), rev, req.count_only() ? 0 : limit, &total);
  resp->set_count(total);
  if (req.count_only()) return absl::OkStatus();

  std::vector<mvccpb::KeyValue> kvs(entries.size());
  if (overlay) {
    for (size_t i = 0; i < entries.size(); ++i) {
      RETURN_IF_ERROR(ReadValue(entries[i].at.modified, true, &kvs[i]));
    }
  } else {
    std::vector<Revision> revs;
    revs.reserve(entries.size());
    for (const auto& e : entries) revs.push_back(e.at.modified);
    std::vector<absl::Status> statuses;
    backend_->MultiGetKeyValues(revs, &kvs, &statuses);
    for (const auto& s : statuses) {
      if (absl::IsNotFound(s)) return ErrCompacted();  // compacted under our feet
      RETURN_IF_ERROR(s);
    }
  }
  auto keep = [&req](const mvccpb::KeyValue& kv) {
    if (req.max_mod_revision() != 0 && kv.mod_revision() > req.max_mod_revision()) return false;
    if (req.min_mod_revision() != 0 && kv.mod_revision() < req.min_mod_revision()) return false;
    if (req.max_create_revision() != 0 && kv.create_revision() > req.max_create_revision())
      return false;
    if (req.min_create_revision() != 0 && kv.create_revision() < req.min_create_revision())
      return false;
    return true;
  };
  kvs.erase(std::remove_if(kvs.begin(), kvs.end(), [&](const auto& kv) { return !keep(kv); }),
            kvs.end());

  auto order = req.sort_order();
  if (req.sort_target() != RangeRequest::KEY && order == RangeRequest::NONE) {
    order = RangeRequest::ASCEND;
  }
  if (order != RangeRequest::NONE) {
    auto less = [&req](const mvccpb::KeyValue& a, const mvccpb::KeyValue& b) {
      switch (req.sort_target()) {
        case RangeRequest::VERSION:
          return a.version() < b.version();
        case RangeRequest::CREATE:
          return a.create_revision() < b.create_revision();
        case RangeRequest::MOD:
          return a.mod_revision() < b.mod_revision();
        case RangeRequest::VALUE:
          return a.value() < b.value();
        default:
          return a.key() < b.key();
      }
    };
    if (order == RangeRequest::ASCEND) {
      std::stable_sort(kvs.begin(), kvs.end(), less);
    } else {
      std::stable_sort(kvs.begin(), kvs.end(),
                       [&less](const auto& a, const auto& b) { return less(b, a); });
    }
  }
  if (req.limit() > 0 && static_cast<int64_t>(kvs.size()) > req.limit()) {
    kvs.resize(req.limit());
    resp->set_more(true);
  }
  for (auto& kv : kvs) {
    if (req.keys_only()) kv.clear_value();
    *resp->add_kvs() = std::move(kv);
  }
  return absl::OkStatus();
}

absl::Status KvStore::ReadHistory(int64_t from, int64_t to, int64_t max_revs, bool with_prev_kv,
                                  std::vector<RevisionEvents>* out) const {
  absl::Status parse_status;
  RETURN_IF_ERROR(backend_->ScanHistory(
      from, to, [&](const Revision& r, bool tombstone, const std::string& value) {
        if (out->empty() || out->back().rev != r.main) {
          if (static_cast<int64_t>(out->size()) >= max_revs) return false;
          out->push_back(RevisionEvents{r.main, {}});
        }
        mvccpb::Event ev;
        mvccpb::KeyValue* kv = ev.mutable_kv();
        if (!kv->ParseFromString(value)) {
          parse_status = absl::DataLossError("corrupt history record");
          return false;
        }
        if (tombstone) {
          ev.set_type(mvccpb::Event::DELETE);
          const std::string key = kv->key();
          kv->Clear();
          kv->set_key(key);
          kv->set_mod_revision(r.main);
        } else {
          ev.set_type(mvccpb::Event::PUT);
        }
        if (with_prev_kv) {
          mvccpb::KeyValue prev;
          if (GetKey(kv->key(), r.main - 1, false, &prev)) *ev.mutable_prev_kv() = std::move(prev);
        }
        out->back().events.push_back(std::move(ev));
        return true;
      }));
  return parse_status;
}

bool KvStore::ReadPrevKv(const std::string& key, int64_t rev, mvccpb::KeyValue* prev) const {
  return GetKey(key, rev - 1, false, prev);
}

// ------------------------------------------------------------------ leases

void KvStore::LeaseKeepAlive(const etcdserverpb::LeaseKeepAliveRequest& req,
                             etcdserverpb::LeaseKeepAliveResponse* resp) {
  auto ttl = lessor_->Renew(req.id());
  resp->set_id(req.id());
  resp->set_ttl(ttl.ok() ? *ttl : 0);
  FillHeader(resp->mutable_header(), CurrentRevision());
}

void KvStore::LeaseTimeToLive(const etcdserverpb::LeaseTimeToLiveRequest& req,
                              etcdserverpb::LeaseTimeToLiveResponse* resp) const {
  resp->set_id(req.id());
  auto snap = lessor_->Get(req.id());
  if (!snap.ok()) {
    resp->set_ttl(-1);
  } else {
    resp->set_ttl(snap->remaining_ttl);
    resp->set_grantedttl(snap->granted_ttl);
    if (req.keys()) {
      for (auto& k : snap->keys) resp->add_keys(k);
    }
  }
  FillHeader(resp->mutable_header(), CurrentRevision());
}

void KvStore::LeaseLeases(etcdserverpb::LeaseLeasesResponse* resp) const {
  for (int64_t id : lessor_->Ids()) resp->add_leases()->set_id(id);
  FillHeader(resp->mutable_header(), CurrentRevision());
}

void KvStore::RevokeExpiredLeases() {
  std::vector<int64_t> ids = lessor_->TakeExpired();
  if (ids.empty()) return;
  struct Call {
    etcdserverpb::LeaseRevokeRequest req;
    etcdserverpb::LeaseRevokeResponse resp;
    absl::Notification done;
  };
  std::vector<std::unique_ptr<Call>> calls;
  for (int64_t id : ids) {
    auto call = std::make_unique<Call>();
    call->req.set_id(id);
    Call* raw = call.get();
    LeaseRevoke(&raw->req, &raw->resp, [raw, id, this](absl::Status s) {
      if (!s.ok() && !absl::IsNotFound(s)) {
        spdlog::warn("store: revoking expired lease {:x} failed: {}", id, s.ToString());
        lessor_->ClearRevoking(id);
      } else {
        spdlog::debug("store: lease {:x} expired and was revoked", id);
      }
      raw->done.Notify();
    });
    calls.push_back(std::move(call));
  }
  for (auto& c : calls) c->done.WaitForNotification();
}

void KvStore::LeaseExpiryLoop() {
  while (true) {
    {
      absl::MutexLock lock(&lease_loop_mu_);
      auto cond = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(lease_loop_mu_) {
        return lease_loop_stopping_;
      };
      lease_loop_mu_.AwaitWithTimeout(absl::Condition(&cond), options_.lease_check_interval);
      if (lease_loop_stopping_) return;
    }
    RevokeExpiredLeases();
  }
}

// ------------------------------------------------------- sync conveniences

namespace {

template <typename Fn>
absl::Status Wait(Fn&& start) {
  absl::Notification n;
  absl::Status result;
  start([&](absl::Status s) {
    result = s;
    n.Notify();
  });
  n.WaitForNotification();
  return result;
}

}  // namespace

absl::Status KvStore::PutSync(const etcdserverpb::PutRequest& req,
                              etcdserverpb::PutResponse* resp) {
  return Wait([&](Done d) { Put(&req, resp, std::move(d)); });
}
absl::Status KvStore::DeleteRangeSync(const etcdserverpb::DeleteRangeRequest& req,
                                      etcdserverpb::DeleteRangeResponse* resp) {
  return Wait([&](Done d) { DeleteRange(&req, resp, std::move(d)); });
}
absl::Status KvStore::TxnSync(const etcdserverpb::TxnRequest& req,
                              etcdserverpb::TxnResponse* resp) {
  return Wait([&](Done d) { Txn(&req, resp, std::move(d)); });
}
absl::Status KvStore::CompactSync(const etcdserverpb::CompactionRequest& req,
                                  etcdserverpb::CompactionResponse* resp) {
  return Wait([&](Done d) { Compact(&req, resp, std::move(d)); });
}
absl::Status KvStore::LeaseGrantSync(const etcdserverpb::LeaseGrantRequest& req,
                                     etcdserverpb::LeaseGrantResponse* resp) {
  return Wait([&](Done d) { LeaseGrant(&req, resp, std::move(d)); });
}
absl::Status KvStore::DefragmentSync() {
  return Wait([&](Done d) { Defragment(std::move(d)); });
}
absl::Status KvStore::AlarmSync(const etcdserverpb::AlarmRequest& req,
                                etcdserverpb::AlarmResponse* resp) {
  return Wait([&](Done d) { Alarm(&req, resp, std::move(d)); });
}
absl::Status KvStore::LeaseRevokeSync(const etcdserverpb::LeaseRevokeRequest& req,
                                      etcdserverpb::LeaseRevokeResponse* resp) {
  return Wait([&](Done d) { LeaseRevoke(&req, resp, std::move(d)); });
}

}  // namespace minik8s::store
