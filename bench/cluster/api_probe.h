// ApiProbe: a light client that measures the apiserver's latency while the
// cluster benchmark runs. Every `interval` it issues, one after another:
//
//   get     GET the benchmark's Deployment (one object, from the store)
//   list    LIST pods of the benchmark's selector with limit 100 (one page)
//   update  UPDATE (renew) a Lease `cluster-bench-probe` it created
//
// and records each call's latency, from the call to its answer. Its own
// connection (a separate gRPC channel), so its calls do not queue behind the
// watcher's stream.
//
// Thread safety: Start/Stop from one thread; Stats() from any.
#ifndef MINIK8S_BENCH_CLUSTER_API_PROBE_H_
#define MINIK8S_BENCH_CLUSTER_API_PROBE_H_

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "client/clientset.h"

namespace minik8s::bench {

class ApiProbe {
 public:
  struct Stats {
    std::vector<double> get_ms, list_ms, update_ms;
    int errors = 0;
    std::string first_error;
  };

  // Connects its own client to `server`.
  static absl::StatusOr<std::unique_ptr<ApiProbe>> Create(const std::string& server,
                                                          std::string ns,
                                                          std::string deployment,
                                                          std::string label_selector,
                                                          absl::Duration interval);
  ~ApiProbe();
  ApiProbe(const ApiProbe&) = delete;
  ApiProbe& operator=(const ApiProbe&) = delete;

  // Creates the probe Lease, then starts the probe thread.
  absl::Status Start();
  void Stop();
  Stats stats() const;

 private:
  ApiProbe(std::unique_ptr<client::Clientset> cs, std::string ns, std::string deployment,
           std::string label_selector, absl::Duration interval);
  void Loop();
  void Record(std::vector<double> Stats::*series, absl::Time start, const absl::Status& s);

  const std::unique_ptr<client::Clientset> cs_;
  const std::string ns_, deployment_, label_selector_;
  const absl::Duration interval_;
  absl::Notification stop_;
  std::thread thread_;
  mutable absl::Mutex mu_;
  Stats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace minik8s::bench

#endif  // MINIK8S_BENCH_CLUSTER_API_PROBE_H_
