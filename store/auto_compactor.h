// AutoCompactor: etcd's --auto-compaction-mode / --auto-compaction-retention.
//   periodic: keep `retention` of history. Every retention/10 the current
//             revision is sampled; the store is compacted to the newest
//             sample at least `retention` old.
//   revision: every 5 minutes, compact to (current revision - retention).
// Thread-safe. The store must outlive the compactor.
#ifndef MINIK8S_STORE_AUTO_COMPACTOR_H_
#define MINIK8S_STORE_AUTO_COMPACTOR_H_

#include <cstdint>
#include <deque>
#include <string>
#include <thread>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "store/kvstore.h"

namespace minik8s::store {

struct AutoCompactionConfig {
  enum class Mode { kOff, kPeriodic, kRevision };
  Mode mode = Mode::kOff;
  absl::Duration retention;  // periodic
  int64_t revisions = 0;     // revision
};

// Parses the two flags as etcd does: periodic retention is a duration ("1h",
// "30m") or a bare number of hours ("1"); revision retention is a count; "0"
// turns auto-compaction off.
absl::StatusOr<AutoCompactionConfig> ParseAutoCompaction(const std::string& mode,
                                                         const std::string& retention);

class AutoCompactor {
 public:
  AutoCompactor(KvStore* store, AutoCompactionConfig config,
                const common::Clock* clock = common::RealClock::Get());
  ~AutoCompactor();

  void Start();
  void Stop();
  // One check (the loop calls it on its interval). Returns the revision it
  // compacted to, or 0.
  int64_t Tick();
  absl::Duration interval() const;

 private:
  KvStore* store_;
  const AutoCompactionConfig config_;
  const common::Clock* clock_;
  absl::Mutex mu_;
  std::deque<std::pair<absl::Time, int64_t>> samples_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace minik8s::store

#endif  // MINIK8S_STORE_AUTO_COMPACTOR_H_
