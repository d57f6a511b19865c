// The store's metrics, under etcd's names, in metrics::Registry::Default()
// (served on minik8s-store's /metrics, see --health-address):
//
//   etcd_mvcc_put_total                    puts applied (also inside txns)
//   etcd_disk_wal_fsync_duration_seconds   latency of each synced backend
//                                          write (RocksDB's WAL append +
//                                          fdatasync: what etcd's WAL fsync
//                                          measures)
//   etcd_debugging_mvcc_keys_total         keys in the index (KvStore
//                                          registers it; deleted keys count
//                                          until compaction removes them)
//
// Thread safety: safe from any thread.
#ifndef MINIK8S_STORE_METRICS_H_
#define MINIK8S_STORE_METRICS_H_

#include "common/metrics.h"

namespace minik8s::store {

struct StoreMetrics {
  metrics::Counter* puts = nullptr;
  metrics::Histogram* wal_fsync = nullptr;
  metrics::GaugeFuncFamily* keys = nullptr;
};

// The process' store metrics (registered on first use). A member is null
// when registration failed (a clashing family), which is logged once.
const StoreMetrics& GetStoreMetrics();

}  // namespace minik8s::store

#endif  // MINIK8S_STORE_METRICS_H_
