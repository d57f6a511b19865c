#include "store/metrics.h"

#include "spdlog/spdlog.h"

namespace minik8s::store {

const StoreMetrics& GetStoreMetrics() {
  static const StoreMetrics* const m = [] {
    metrics::Registry& r = metrics::Registry::Default();
    auto* out = new StoreMetrics;
    auto puts =
        metrics::NewCounter(r, "etcd_mvcc_put_total", "Total number of puts seen by this member.");
    // etcd's buckets: 1 ms doubling 14 times (to ~8 s).
    auto fsync = metrics::NewHistogram(r, "etcd_disk_wal_fsync_duration_seconds",
                                       "The latency distributions of fsync called by WAL.", {},
                                       *metrics::ExponentialBuckets(0.001, 2, 14));
    auto keys = metrics::NewGaugeFunc(r, "etcd_debugging_mvcc_keys_total", "Total number of keys.");
    if (puts.ok()) out->puts = &(*puts)->WithLabelValues({});
    if (fsync.ok()) out->wal_fsync = &(*fsync)->WithLabelValues({});
    if (keys.ok()) out->keys = *keys;
    if (!puts.ok() || !fsync.ok() || !keys.ok()) {
      spdlog::error("store metrics cannot all be registered");
    }
    return out;
  }();
  return *m;
}

}  // namespace minik8s::store
