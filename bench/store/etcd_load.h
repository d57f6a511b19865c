// Load generators for any server speaking the etcd v3 gRPC API.
//
// All of them use gRPC's callback API: N logical clients are N outstanding
// calls spread over a few channels, never a thread per client. Each client is
// a closed loop: it issues its next request when the previous one completes.
//
// Thread-safety: each Run* call is self-contained and blocks until its load
// finished; call them one at a time.
#ifndef MINIK8S_BENCH_STORE_ETCD_LOAD_H_
#define MINIK8S_BENCH_STORE_ETCD_LOAD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace minik8s::bench {

struct LoadOptions {
  std::string address;     // "127.0.0.1:port"
  int clients = 1;         // concurrent outstanding requests
  int max_channels = 100;  // clients are spread round-robin over this many channels
  absl::Duration duration = absl::Seconds(5);
};

struct LoadResult {
  int64_t ok = 0;
  int64_t errors = 0;
  std::string first_error;
  absl::Duration elapsed;
  // Latency percentiles of successful requests, in milliseconds.
  double p50_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;

  double PerSecond() const;
};

// Durable puts: each client rewrites its own keys
// ("bench/put/<client>/<n mod 100>") with `value_size`-byte values.
LoadResult RunPutLoad(const LoadOptions& options, int value_size);

// Linearizable ranges. With prefix_keys == 0, a Range of one existing key;
// otherwise a Range of a prefix holding `prefix_keys` keys (written first).
absl::StatusOr<LoadResult> RunRangeLoad(const LoadOptions& options, int prefix_keys);

struct WatchResult {
  int64_t puts = 0;             // acknowledged puts under the watched prefix
  int64_t events_expected = 0;  // puts x watchers
  int64_t events_delivered = 0;
  absl::Duration elapsed;  // first put to last event (or the timeout)
  bool complete = false;   // every watcher received every event

  double EventsPerSecond() const;
};

// Opens `watchers` Watch streams on one prefix (spread over the channels of
// `options`), waits until all are created, then `writer_clients` clients put
// `puts` keys under the prefix. Measures events delivered to all watchers per
// second, from the first put until the last event arrived (or `timeout`).
absl::StatusOr<WatchResult> RunWatchFanout(const LoadOptions& options, int watchers, int puts,
                                           int writer_clients, int value_size,
                                           absl::Duration timeout);

struct CompactionResult {
  int64_t keys = 0;               // distinct keys put (and then deleted)
  absl::Duration put_elapsed;     // putting them, `options.clients` at a time
  absl::Duration delete_elapsed;  // one DeleteRange of their prefix
  // One put sent as soon as the DeleteRange was answered: how long the
  // delete's aftermath held the next write.
  absl::Duration first_put_after_delete;
  // One Compact(revision of the delete, physical=true), until it answered.
  absl::Duration compact_elapsed;
  // One client putting other keys, one at a time, while the compaction runs:
  // its slowest put shows how long the compaction stalled writes.
  // (Only ok, errors, first_error, elapsed and max_ms are filled in.)
  LoadResult concurrent_puts;
  absl::Duration slowest_put_at;  // when the slowest one started, from the compaction's start
  // The same for one client reading one key (linearizable Range).
  LoadResult concurrent_ranges;
  absl::Duration slowest_range_at;
};

// Puts `keys` distinct keys under a fresh prefix (`options.clients` closed
// loops over the channels of `options`), deletes them with one DeleteRange,
// times one put right after it, then times a physical compaction at the
// delete's revision while one client keeps putting and another keeps
// reading, each on its own connection.
absl::StatusOr<CompactionResult> RunCompaction(const LoadOptions& options, int64_t keys,
                                               int value_size);

}  // namespace minik8s::bench

#endif  // MINIK8S_BENCH_STORE_ETCD_LOAD_H_
