#include "store/watchable_store.h"

#include <algorithm>
#include <limits>

#include "spdlog/spdlog.h"
#include "store/index.h"

namespace minik8s::store {

using etcdserverpb::WatchResponse;

// ---------------------------------------------------------------- WatchStream

WatchStream::~WatchStream() { Close(); }

bool WatchStream::Enqueue(WatchResponse resp, bool force) {
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return true;
    if (writing_) {
      if (MergeIntoQueued(&resp)) return true;
      if (!force && queue_.size() >= store_->options_.stream_buffer) return false;
      queue_.push_back(std::move(resp));
      return true;
    }
    writing_ = true;
    queue_.push_back(std::move(resp));
  }
  // Callers hold store_->mu_, which Close() also takes, so the stream cannot
  // close between the unlock above and this.
  absl::MutexLock lock(&store_->send_mu_);
  if (!send_pending_) {
    send_pending_ = true;
    store_->pending_sends_.push_back(this);
  }
  return true;
}

bool WatchStream::MergeIntoQueued(WatchResponse* resp) {
  if (resp->events_size() == 0 || resp->created() || resp->canceled()) return false;
  // Look back a little for the newest queued response of the same watcher.
  // Responses of other watchers may be overtaken (clients demultiplex by
  // watch id); a stream-wide progress response may not, nor anything of the
  // same watcher that is not a plain event response.
  constexpr size_t kMaxLookBack = 16;
  size_t looked = 0;
  for (auto it = queue_.rbegin(); it != queue_.rend() && looked < kMaxLookBack; ++it, ++looked) {
    if (it->watch_id() == -1) return false;
    if (it->watch_id() != resp->watch_id()) continue;
    if (it->events_size() == 0 || it->created() || it->canceled()) return false;
    if (static_cast<size_t>(it->events_size() + resp->events_size()) >
        store_->options_.max_events_per_response) {
      return false;
    }
    auto* events = it->mutable_events();
    events->Reserve(events->size() + resp->events_size());
    for (mvccpb::Event& ev : *resp->mutable_events()) *events->Add() = std::move(ev);
    it->mutable_header()->set_revision(resp->header().revision());
    return true;
  }
  return false;
}

bool WatchStream::HasRoom(size_t limit) const {
  absl::MutexLock lock(&mu_);
  return !closed_ && queue_.size() < limit;
}

std::optional<WatchResponse> WatchStream::NextToSend() {
  bool drained = false;
  std::optional<WatchResponse> out;
  {
    absl::MutexLock lock(&mu_);
    if (closed_ || queue_.empty()) {
      writing_ = false;
      queue_.clear();
    } else {
      const size_t half = store_->options_.stream_buffer / 2;
      drained = queue_.size() == half;  // HasRoom(half) turns true with this pop
      out = std::move(queue_.front());
      queue_.pop_front();
    }
  }
  if (drained) {
    // Room again: unsynced watchers of this stream can make progress.
    store_->Kick();
  }
  return out;
}

bool WatchStream::Writing() const {
  absl::MutexLock lock(&mu_);
  return writing_;
}

void WatchStream::Create(const etcdserverpb::WatchCreateRequest& req) {
  AddWatcher(req);
  store_->StartPendingSends();
}

void WatchStream::AddWatcher(const etcdserverpb::WatchCreateRequest& req) {
  absl::MutexLock lock(&store_->mu_);
  WatchResponse created;
  int64_t id = req.watch_id();
  if (id != 0 && watchers_.contains(id)) {
    // etcd answers a duplicate client-chosen id with a failed creation.
    store_->source_->FillHeader(created.mutable_header(), store_->current_rev_);
    created.set_watch_id(-1);
    created.set_created(true);
    created.set_canceled(true);
    created.set_cancel_reason("mvcc: duplicate watch ID provided on the WatchStream");
    Enqueue(std::move(created), true);
    return;
  }
  if (id == 0) {
    while (watchers_.contains(next_id_)) ++next_id_;
    id = next_id_++;
  }
  auto w = std::make_unique<Watcher>();
  w->id = id;
  w->key = req.key();
  w->end = req.range_end();
  w->prev_kv = req.prev_kv();
  w->progress_notify = req.progress_notify();
  for (int f : req.filters()) {
    if (f == etcdserverpb::WatchCreateRequest::NOPUT) w->no_put = true;
    if (f == etcdserverpb::WatchCreateRequest::NODELETE) w->no_delete = true;
  }
  w->stream = this;
  const int64_t current = store_->current_rev_;
  store_->source_->FillHeader(created.mutable_header(), current);
  created.set_watch_id(id);
  created.set_created(true);
  Enqueue(std::move(created), true);

  const int64_t start = req.start_revision();
  Watcher* raw = w.get();
  watchers_[id] = std::move(w);
  if (raw->prev_kv) store_->prev_kv_watchers_.fetch_add(1, std::memory_order_acq_rel);
  if (start > 0 && start <= current) {
    raw->next_rev = start;
    const int64_t compacted = store_->source_->CompactedRevision();
    if (start < compacted) {
      store_->CancelCompacted(raw, compacted);
      return;
    }
    store_->unsynced_.insert(raw);
    store_->Kick();
  } else {
    raw->next_rev = start > 0 ? start : current + 1;
    store_->AddSynced(raw);
  }
}

void WatchStream::Cancel(int64_t watch_id) {
  {
    absl::MutexLock lock(&store_->mu_);
    auto it = watchers_.find(watch_id);
    if (it == watchers_.end()) return;
    store_->RemoveWatcher(it->second.get());
    store_->Forget(*it->second);
    watchers_.erase(it);
    WatchResponse resp;
    store_->source_->FillHeader(resp.mutable_header(), store_->current_rev_);
    resp.set_watch_id(watch_id);
    resp.set_canceled(true);
    Enqueue(std::move(resp), true);
    store_->MaybeSendDeferredProgress(this);
  }
  store_->StartPendingSends();
}

void WatchStream::RequestProgress() {
  {
    absl::MutexLock lock(&store_->mu_);
    progress_deferred_ = true;
    store_->MaybeSendDeferredProgress(this);
  }
  store_->StartPendingSends();
}

bool WatchStream::AllSynced() const {
  for (const auto& [id, w] : watchers_) {
    if (!w->synced) return false;
  }
  return true;
}

void WatchStream::Close() {
  absl::MutexLock lock(&store_->mu_);
  for (auto& [id, w] : watchers_) {
    store_->RemoveWatcher(w.get());
    store_->Forget(*w);
  }
  watchers_.clear();
  absl::MutexLock send_lock(&store_->send_mu_);
  absl::MutexLock stream_lock(&mu_);
  if (send_pending_) {
    // Claimed but not yet handed to the transport: release the claim, so
    // that the transport sees the stream idle and may finish.
    auto& pending = store_->pending_sends_;
    pending.erase(std::find(pending.begin(), pending.end(), this));
    send_pending_ = false;
    writing_ = false;
  }
  closed_ = true;
  queue_.clear();
}

// ------------------------------------------------------------- WatchableStore

WatchableStore::WatchableStore(const HistorySource* source, int64_t current_rev,
                               WatchOptions options)
    : source_(source), options_(options), current_rev_(current_rev) {}

WatchableStore::~WatchableStore() { Stop(); }

void WatchableStore::Start() {
  sync_thread_ = std::thread([this] {
    while (true) {
      {
        absl::MutexLock lock(&loop_mu_);
        auto cond = [this]()
                        ABSL_EXCLUSIVE_LOCKS_REQUIRED(loop_mu_) { return stopping_ || kicked_; };
        loop_mu_.AwaitWithTimeout(absl::Condition(&cond), options_.sync_interval);
        if (stopping_) return;
        kicked_ = false;
      }
      SyncOnce();
    }
  });
  progress_thread_ = std::thread([this] {
    while (true) {
      {
        absl::MutexLock lock(&loop_mu_);
        auto cond = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(loop_mu_) { return stopping_; };
        loop_mu_.AwaitWithTimeout(absl::Condition(&cond), options_.progress_notify_interval);
        if (stopping_) return;
      }
      SendProgressNotifications();
    }
  });
}

void WatchableStore::Stop() {
  {
    absl::MutexLock lock(&loop_mu_);
    stopping_ = true;
  }
  if (sync_thread_.joinable()) sync_thread_.join();
  if (progress_thread_.joinable()) progress_thread_.join();
}

void WatchableStore::Kick() {
  absl::MutexLock lock(&loop_mu_);
  kicked_ = true;
}

void WatchableStore::StartPendingSends() {
  while (true) {
    WatchStream* stream = nullptr;
    std::optional<WatchResponse> first;
    {
      absl::MutexLock lock(&send_mu_);
      if (pending_sends_.empty()) return;
      stream = pending_sends_.front();
      pending_sends_.pop_front();
      stream->send_pending_ = false;
      // Under send_mu_, so that Close() cannot slip in between: once popped,
      // the stream stays Writing() until its transport is done with `first`.
      first = stream->NextToSend();
    }
    if (first.has_value()) stream->send_(std::move(*first));
  }
}

std::unique_ptr<WatchStream> WatchableStore::NewStream(WatchStream::SendFn send) {
  return std::unique_ptr<WatchStream>(new WatchStream(this, std::move(send)));
}

void WatchableStore::AddSynced(Watcher* w) {
  w->synced = true;
  synced_hint_.store(++synced_count_, std::memory_order_relaxed);
  if (w->end.empty()) {
    synced_keys_[w->key].insert(w);
  } else {
    synced_ranges_.insert(w);
  }
}

void WatchableStore::RemoveWatcher(Watcher* w) {
  if (w->synced) {
    w->synced = false;
    synced_hint_.store(--synced_count_, std::memory_order_relaxed);
    if (w->end.empty()) {
      auto it = synced_keys_.find(w->key);
      if (it != synced_keys_.end()) {
        it->second.erase(w);
        if (it->second.empty()) synced_keys_.erase(it);
      }
    } else {
      synced_ranges_.erase(w);
    }
  } else {
    unsynced_.erase(w);
  }
}

void WatchableStore::CancelCompacted(Watcher* w, int64_t compacted) {
  RemoveWatcher(w);
  WatchResponse resp;
  source_->FillHeader(resp.mutable_header(), current_rev_);
  resp.set_watch_id(w->id);
  resp.set_canceled(true);
  resp.set_compact_revision(compacted);
  resp.set_cancel_reason("etcdserver: mvcc: required revision has been compacted");
  WatchStream* stream = w->stream;
  stream->Enqueue(std::move(resp), true);
  Forget(*w);
  stream->watchers_.erase(w->id);  // destroys w
  MaybeSendDeferredProgress(stream);
}

void WatchableStore::Forget(const Watcher& w) {
  if (w.prev_kv) prev_kv_watchers_.fetch_sub(1, std::memory_order_acq_rel);
}

void WatchableStore::MaybeSendDeferredProgress(WatchStream* stream) {
  if (!stream->progress_deferred_ || !stream->AllSynced()) return;
  stream->progress_deferred_ = false;
  WatchResponse resp;
  source_->FillHeader(resp.mutable_header(), current_rev_);
  resp.set_watch_id(-1);
  stream->Enqueue(std::move(resp), true);
}

WatchResponse WatchableStore::MakeResponse(const Watcher& w, int64_t rev) const {
  WatchResponse resp;
  source_->FillHeader(resp.mutable_header(), rev);
  resp.set_watch_id(w.id);
  return resp;
}

size_t WatchableStore::AppendEvents(const Watcher& w, const RevisionEvents& re,
                                    WatchResponse* resp) const {
  size_t n = 0;
  for (const mvccpb::Event& ev : re.events) {
    if (!InRange(ev.kv().key(), w.key, w.end)) continue;
    if (ev.type() == mvccpb::Event::PUT && w.no_put) continue;
    if (ev.type() == mvccpb::Event::DELETE && w.no_delete) continue;
    mvccpb::Event* out = resp->add_events();
    out->set_type(ev.type());
    *out->mutable_kv() = ev.kv();
    if (w.prev_kv) {
      if (ev.has_prev_kv()) {
        *out->mutable_prev_kv() = ev.prev_kv();
      } else if (re.prev_kv_missing) {
        // The watcher appeared after the put or delete was applied without
        // its previous value (rare): read it back.
        mvccpb::KeyValue prev;
        if (source_->ReadPrevKv(ev.kv().key(), re.rev, &prev))
          *out->mutable_prev_kv() = std::move(prev);
      }
    }
    ++n;
  }
  return n;
}

void WatchableStore::Notify(const std::vector<RevisionEvents>& batch, int64_t current_rev) {
  absl::MutexLock lock(&mu_);
  current_rev_ = std::max(current_rev_, current_rev);
  if (synced_count_ == 0) return;
  // One response per watcher for the whole batch (several revisions when
  // writes were group-committed), sent in the order watchers first matched.
  struct Out {
    Watcher* w;
    WatchResponse resp;
    int64_t first_rev = 0;  // first revision in resp
    bool victim = false;
  };
  std::vector<Out> outs;
  absl::flat_hash_map<Watcher*, size_t> slot;
  bool kick = false;
  // Hands a watcher's pending response to its stream; false if the stream is
  // full, in which case the watcher leaves the synced group and will catch up
  // from history starting at the first revision it did not get.
  auto flush = [&](Out& o) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (o.resp.events_size() == 0) return true;
    if (o.w->stream->Enqueue(std::move(o.resp), false)) {
      o.resp = MakeResponse(*o.w, 0);
      return true;
    }
    RemoveWatcher(o.w);
    o.w->next_rev = o.first_rev;
    unsynced_.insert(o.w);
    o.victim = true;
    kick = true;
    return false;
  };
  std::vector<Watcher*> matched;
  absl::flat_hash_set<Watcher*> seen;
  for (const RevisionEvents& re : batch) {
    matched.clear();
    seen.clear();
    for (const mvccpb::Event& ev : re.events) {
      auto it = synced_keys_.find(ev.kv().key());
      if (it == synced_keys_.end()) continue;
      for (Watcher* w : it->second) {
        if (seen.insert(w).second) matched.push_back(w);
      }
    }
    for (Watcher* w : synced_ranges_) {
      for (const mvccpb::Event& ev : re.events) {
        if (InRange(ev.kv().key(), w->key, w->end)) {
          if (seen.insert(w).second) matched.push_back(w);
          break;
        }
      }
    }
    for (Watcher* w : matched) {
      if (re.rev < w->next_rev) continue;  // start revision in the future
      auto [it, inserted] = slot.try_emplace(w, outs.size());
      if (inserted) outs.push_back(Out{w, MakeResponse(*w, re.rev)});
      Out& o = outs[it->second];
      if (o.victim) continue;
      if (o.resp.events_size() == 0) o.first_rev = re.rev;
      if (AppendEvents(*w, re, &o.resp) > 0) {
        o.resp.mutable_header()->set_revision(re.rev);
        if (static_cast<size_t>(o.resp.events_size()) >= options_.max_events_per_response &&
            !flush(o)) {
          continue;
        }
      }
      w->next_rev = re.rev + 1;
    }
  }
  for (Out& o : outs) {
    if (!o.victim) flush(o);
  }
  if (kick) Kick();
}

void WatchableStore::SyncOnce() {
  if (SyncRound()) StartPendingSends();
}

bool WatchableStore::SyncRound() {
  absl::MutexLock lock(&mu_);
  if (unsynced_.empty()) return false;
  const int64_t compacted = source_->CompactedRevision();
  const size_t room_limit = options_.stream_buffer / 2;
  std::vector<Watcher*> eligible;
  for (Watcher* w : std::vector<Watcher*>(unsynced_.begin(), unsynced_.end())) {
    if (w->next_rev < compacted) {
      CancelCompacted(w, compacted);
      continue;
    }
    if (w->stream->HasRoom(room_limit)) eligible.push_back(w);
  }
  if (eligible.empty()) return true;
  int64_t from = std::numeric_limits<int64_t>::max();
  bool with_prev = false;
  for (Watcher* w : eligible) {
    from = std::min(from, w->next_rev);
    with_prev = with_prev || w->prev_kv;
  }
  const int64_t current = current_rev_;
  if (from > current) {
    for (Watcher* w : eligible) {
      unsynced_.erase(w);
      AddSynced(w);
      MaybeSendDeferredProgress(w->stream);
    }
    return true;
  }
  const int64_t to = std::min(current, from + options_.max_revs_per_sync - 1);
  std::vector<RevisionEvents> history;
  absl::Status s = source_->ReadHistory(from, to, options_.max_revs_per_sync, with_prev, &history);
  if (!s.ok()) {
    spdlog::error("watch: reading history {}..{} failed: {}", from, to, s.ToString());
    return true;
  }
  bool progressed = false;
  for (Watcher* w : eligible) {
    WatchResponse resp = MakeResponse(*w, to);
    int64_t pending_next = w->next_rev;
    bool stalled = false;
    for (const RevisionEvents& re : history) {
      if (re.rev < w->next_rev) continue;
      if (static_cast<size_t>(resp.events_size()) >= options_.max_events_per_response) {
        resp.mutable_header()->set_revision(pending_next - 1);
        if (!w->stream->Enqueue(std::move(resp), false)) {
          stalled = true;
          break;
        }
        w->next_rev = pending_next;
        resp = MakeResponse(*w, to);
      }
      AppendEvents(*w, re, &resp);
      pending_next = re.rev + 1;
    }
    if (stalled) continue;
    if (resp.events_size() > 0) {
      resp.mutable_header()->set_revision(pending_next - 1);
      if (!w->stream->Enqueue(std::move(resp), false)) continue;
    }
    w->next_rev = to + 1;
    progressed = true;
    if (to >= current) {
      unsynced_.erase(w);
      AddSynced(w);
      MaybeSendDeferredProgress(w->stream);
    }
  }
  // More history to read for watchers whose streams still have room.
  if (progressed && !unsynced_.empty()) Kick();
  return true;
}

void WatchableStore::SendProgressNotifications() {
  {
    absl::MutexLock lock(&mu_);
    auto notify = [this](Watcher* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      if (!w->progress_notify) return;
      WatchResponse resp = MakeResponse(*w, current_rev_);
      w->stream->Enqueue(std::move(resp), false);
    };
    for (auto& [key, set] : synced_keys_) {
      for (Watcher* w : set) notify(w);
    }
    for (Watcher* w : synced_ranges_) notify(w);
  }
  StartPendingSends();
}

size_t WatchableStore::SyncedCount() const {
  absl::MutexLock lock(&mu_);
  return synced_count_;
}

size_t WatchableStore::UnsyncedCount() const {
  absl::MutexLock lock(&mu_);
  return unsynced_.size();
}

}  // namespace minik8s::store
