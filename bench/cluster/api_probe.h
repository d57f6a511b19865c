// ApiProbe: a light client that measures the apiserver's latency while the
// cluster benchmark runs. Every `interval` it issues, one after another:
//
//   get     GET one Node (one object; the apiserver reads it from the store)
//   list    LIST pods of the benchmark's selector with limit 100 (one page)
//   update  UPDATE (renew) a Lease `cluster-bench-probe` it created
//
// and, straight to the store (etcd v3 API, bypassing the apiserver), when a
// store address is given:
//
//   store put    Put of the key /cluster-bench/probe (64 bytes, outside
//                /registry/, so no apiserver watch sees it)
//   store range  Range of that key (linearizable)
//
// and records each call's latency, from the call to its answer. The
// difference between `update` and `store put` is the apiserver's share of a
// write. Its own connections (separate gRPC channels), so its calls do not
// queue behind the watcher's stream.
//
// Thread safety: Start/Stop from one thread; Stats() from any.
#ifndef MINIK8S_BENCH_CLUSTER_API_PROBE_H_
#define MINIK8S_BENCH_CLUSTER_API_PROBE_H_

#include <grpcpp/security/credentials.h>

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "client/clientset.h"
#include "common/tls.h"
#include "etcd/etcdserverpb/rpc.grpc.pb.h"

namespace minik8s::bench {

class ApiProbe {
 public:
  struct Stats {
    std::vector<double> get_ms, list_ms, update_ms, store_put_ms, store_range_ms;
    int errors = 0;
    std::string first_error;
  };

  // Connects its own clients to the apiserver `server` and (unless empty)
  // the store `store` ("127.0.0.1:2379", dialled with `store_credentials`).
  static absl::StatusOr<std::unique_ptr<ApiProbe>> Create(
      const std::string& server, const std::string& store,
      std::shared_ptr<grpc::ChannelCredentials> store_credentials, std::string ns, std::string node,
      std::string label_selector, absl::Duration interval,
      std::optional<TlsClientFiles> api_tls = std::nullopt);
  ~ApiProbe();
  ApiProbe(const ApiProbe&) = delete;
  ApiProbe& operator=(const ApiProbe&) = delete;

  // Creates the probe Lease, then starts the probe thread.
  absl::Status Start();
  void Stop();
  Stats stats() const;

 private:
  ApiProbe(std::unique_ptr<client::Clientset> cs, std::unique_ptr<etcdserverpb::KV::Stub> store,
           std::string ns, std::string node, std::string label_selector, absl::Duration interval);
  void ProbeStore();
  void Loop();
  void Record(std::vector<double> Stats::*series, absl::Time start, const absl::Status& s);

  const std::unique_ptr<client::Clientset> cs_;
  const std::unique_ptr<etcdserverpb::KV::Stub> store_;  // null: no store probes
  const std::string ns_, node_, label_selector_;
  const absl::Duration interval_;
  absl::Notification stop_;
  std::thread thread_;
  mutable absl::Mutex mu_;
  Stats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace minik8s::bench

#endif  // MINIK8S_BENCH_CLUSTER_API_PROBE_H_
