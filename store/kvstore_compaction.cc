// KvStore: compaction. A compaction at revision R is first recorded in meta
// ("scheduled", in the same durable batch that answers the request), then the
// compactor thread trims the index and deletes obsolete history records in
// small batches, and finally records R as "finished". A crash in between
// leaves scheduled > finished; the next Open() runs the compaction again.
#include "common/status_macros.h"
#include "spdlog/spdlog.h"
#include "store/errors.h"
#include "store/kvstore.h"

namespace minik8s::store {

absl::Status KvStore::CheckCompact(int64_t rev) const {
  // Apply thread: compactions of earlier requests in this batch are not yet
  // published, so check against the highest scheduled revision too.
  int64_t compacted = CompactedRevision();
  {
    absl::MutexLock lock(&compact_mu_);
    for (const auto& [r, done] : compact_queue_) compacted = std::max(compacted, r);
  }
  if (rev <= compacted) return ErrCompacted();
  if (rev > applied_rev_) return ErrFutureRev();
  return absl::OkStatus();
}

absl::Status KvStore::RunCompaction(int64_t rev) {
  const absl::Time start = absl::Now();
  absl::flat_hash_set<Revision> keep = index_.Compact(rev);
  const absl::Time index_done = absl::Now();
  rocksdb::WriteBatch wb;
  int64_t deleted = 0;
  int64_t steps = 0;
  // Collect a step of obsolete records, delete them, repeat: writers and
  // readers are never blocked for more than one small batch. Each step
  // resumes at the exact key where the last one stopped: restarting at its
  // main revision would walk again over every record of that revision already
  // deleted (RocksDB skips deletion markers one by one), and a DeleteRange of
  // many keys puts them all in one revision, which made the pass quadratic.
  //
  // A run of at least kMinRangeRun consecutive obsolete records (the puts
  // and tombstones of keys created and deleted in bulk, or many revisions of
  // one key) is deleted with one RocksDB range deletion instead of a
  // deletion per record: a step's write then costs the same whatever the
  // run's length, and the records it covers cost nothing more to skip
  // later. Every key in [first, end) of such a range was visited in this step
  // and found obsolete, and records written meanwhile have higher revisions,
  // so the range holds nothing else.
  constexpr size_t kMinRangeRun = 32;
  const size_t batch = std::max<size_t>(1, options_.compaction_batch);
  std::string next;  // "" = from the first record
  absl::Duration slowest_step;
  std::vector<std::string> run;  // consecutive obsolete records, in key order
  while (true) {
    const absl::Time step_start = absl::Now();
    wb.Clear();
    run.clear();
    size_t ops = 0;
    int64_t step_deleted = 0;
    // Ends the current run at `end` (exclusive): one range deletion, or a
    // deletion per record when the run is short.
    auto flush_run = [&](std::string_view end) {
      if (run.empty()) return;
      if (run.size() >= kMinRangeRun) {
        wb.DeleteRange(backend_->history(), run.front(), rocksdb::Slice(end.data(), end.size()));
        ++ops;
      } else {
        for (const auto& k : run) wb.Delete(backend_->history(), k);
        ops += run.size();
      }
      step_deleted += static_cast<int64_t>(run.size());
      run.clear();
    };
    bool more = false;
    size_t scanned = 0;
    RETURN_IF_ERROR(backend_->ScanHistoryKeys(
        next, rev, [&](std::string_view key, const Revision& r, bool tombstone) {
          // Bound the records a step walks too, so that shutdown is noticed
          // promptly and a step's write stays small.
          const size_t pending = run.size() >= kMinRangeRun ? 1 : run.size();
          if (ops + pending >= batch || scanned >= 16 * batch) {
            next.assign(key);
            flush_run(key);
            more = true;
            return false;
          }
          ++scanned;
          if (tombstone || !keep.contains(r)) {
            run.emplace_back(key);
          } else {
            flush_run(key);
          }
          return true;
        }));
    if (!run.empty()) {
      // The last obsolete records at or below `rev`: the range ends just
      // after the last of them (the smallest key above it).
      std::string end = run.back();
      end.push_back('\0');
      flush_run(end);
    }
    if (compactor_abort_.load()) {
      // Stopping: the compaction stays scheduled but unfinished in meta, and
      // the next Open() runs it again.
      return absl::AbortedError("compaction interrupted by shutdown");
    }
    if (step_deleted > 0) {
      // Not synced: a crash before the "finished" mark below (whose synced
      // write makes every earlier record durable) runs the compaction again
      // on the next Open(), and deleting a deleted record is harmless.
      RETURN_IF_ERROR(backend_->WriteUnsynced(&wb));
      deleted += step_deleted;
      compaction_deleted_.fetch_add(step_deleted);
      ++steps;
    }
    slowest_step = std::max(slowest_step, absl::Now() - step_start);
    if (!more) break;
    if (step_deleted > 0 && options_.compaction_pause > absl::ZeroDuration()) {
      absl::SleepFor(options_.compaction_pause);
    }
  }
  wb.Clear();
  wb.Put(backend_->meta(), kMetaFinishedCompact, EncodeInt64(rev));
  RETURN_IF_ERROR(backend_->Write(&wb));
  finished_compact_rev_.store(rev);
  spdlog::info(
      "store: finished compaction at revision {}: {} records deleted in {} steps, {} (index {}, "
      "slowest step {})",
      rev, deleted, steps, absl::FormatDuration(absl::Now() - start),
      absl::FormatDuration(index_done - start), absl::FormatDuration(slowest_step));
  return absl::OkStatus();
}

void KvStore::Defragment(Done done) {
  {
    absl::MutexLock lock(&compact_mu_);
    if (!compact_stopping_ && !compactor_abort_.load()) {
      compact_queue_.emplace_back(0, std::move(done));
      return;
    }
  }
  done(ErrStopped());
}

absl::Status KvStore::RunDefragment() {
  const absl::Time start = absl::Now();
  const int64_t before = backend_->ApproximateSize();
  absl::Status s = backend_->Defragment();
  if (absl::IsAborted(s)) return ErrStopped();
  if (!s.ok()) {
    spdlog::error("store: defragment failed: {}", s.ToString());
    return s;
  }
  const int64_t after = backend_->ApproximateSize();
  db_size_.store(after);
  spdlog::info("store: defragmented in {}: database size {} -> {} bytes",
               absl::FormatDuration(absl::Now() - start), before, after);
  return absl::OkStatus();
}

void KvStore::CompactorLoop() {
  while (true) {
    std::pair<int64_t, Done> job;
    {
      absl::MutexLock lock(&compact_mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(compact_mu_) {
        return compact_stopping_ || !compact_queue_.empty();
      };
      compact_mu_.Await(absl::Condition(&ready));
      if (compact_queue_.empty()) return;
      job = std::move(compact_queue_.front());
      compact_queue_.pop_front();
    }
    if (job.first == 0) {
      absl::Status s = compactor_abort_.load() ? ErrStopped() : RunDefragment();
      if (job.second) job.second(s);
      continue;
    }
    absl::Status s = compactor_abort_.load()
                         ? absl::AbortedError("compaction interrupted by shutdown")
                         : RunCompaction(job.first);
    if (absl::IsAborted(s)) {
      spdlog::info("store: compaction at {} left for the next start: {}", job.first,
                   std::string(s.message()));
      s = ErrStopped();
    } else if (!s.ok()) {
      spdlog::error("store: compaction at {} failed: {}", job.first, s.ToString());
    }
    if (job.second) job.second(s);
  }
}

}  // namespace minik8s::store
