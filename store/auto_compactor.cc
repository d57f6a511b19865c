#include "store/auto_compactor.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace minik8s::store {

absl::StatusOr<AutoCompactionConfig> ParseAutoCompaction(const std::string& mode,
                                                         const std::string& retention) {
  AutoCompactionConfig c;
  if (mode != "periodic" && mode != "revision") {
    return absl::InvalidArgumentError(
        absl::StrCat("--auto-compaction-mode must be 'periodic' or 'revision', got '", mode, "'"));
  }
  if (retention.empty() || retention == "0") return c;
  if (mode == "revision") {
    int64_t n = 0;
    if (!absl::SimpleAtoi(retention, &n) || n < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--auto-compaction-retention must be a number of revisions in revision mode, got '",
          retention, "'"));
    }
    if (n == 0) return c;
    c.mode = AutoCompactionConfig::Mode::kRevision;
    c.revisions = n;
    return c;
  }
  int64_t hours = 0;
  absl::Duration d;
  if (absl::SimpleAtoi(retention, &hours)) {
    d = absl::Hours(hours);
  } else if (!absl::ParseDuration(retention, &d)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--auto-compaction-retention must be a duration like 1h or 30m, got '", retention, "'"));
  }
  if (d < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--auto-compaction-retention must not be negative");
  }
  if (d == absl::ZeroDuration()) return c;
  c.mode = AutoCompactionConfig::Mode::kPeriodic;
  c.retention = d;
  return c;
}

AutoCompactor::AutoCompactor(KvStore* store, AutoCompactionConfig config,
                             const common::Clock* clock)
    : store_(store), config_(config), clock_(clock) {}

AutoCompactor::~AutoCompactor() { Stop(); }

absl::Duration AutoCompactor::interval() const {
  if (config_.mode == AutoCompactionConfig::Mode::kRevision) return absl::Minutes(5);
  return std::max(config_.retention / 10, absl::Seconds(1));
}

void AutoCompactor::Start() {
  if (config_.mode == AutoCompactionConfig::Mode::kOff) return;
  thread_ = std::thread([this] {
    while (true) {
      {
        absl::MutexLock lock(&mu_);
        auto cond = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
        mu_.AwaitWithTimeout(absl::Condition(&cond), interval());
        if (stopping_) return;
      }
      Tick();
    }
  });
}

void AutoCompactor::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

int64_t AutoCompactor::Tick() {
  const int64_t current = store_->CurrentRevision();
  int64_t target = 0;
  if (config_.mode == AutoCompactionConfig::Mode::kRevision) {
    target = current - config_.revisions;
  } else if (config_.mode == AutoCompactionConfig::Mode::kPeriodic) {
    const absl::Time now = clock_->Now();
    absl::MutexLock lock(&mu_);
    samples_.emplace_back(now, current);
    // The newest sample at least `retention` old is the compaction point;
    // older samples are no longer needed.
    while (samples_.size() >= 2 && samples_[1].first <= now - config_.retention) {
      samples_.pop_front();
    }
    if (samples_.front().first <= now - config_.retention) target = samples_.front().second;
  }
  if (target <= 0 || target <= store_->CompactedRevision()) return 0;
  etcdserverpb::CompactionRequest req;
  req.set_revision(target);
  etcdserverpb::CompactionResponse resp;
  absl::Status s = store_->CompactSync(req, &resp);
  if (!s.ok()) {
    spdlog::warn("auto-compaction to revision {} failed: {}", target, s.ToString());
    return 0;
  }
  spdlog::info("auto-compaction: compacted to revision {}", target);
  return target;
}

}  // namespace minik8s::store
