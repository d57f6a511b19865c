// ProgrammingReporter: writes the proxier's programming reports
// (programming_report.h) as Events through the apiserver, at most once per
// `period` per Service and only for the Services whose slices changed: the
// first report of a Service creates its Event, later ones merge-patch it
// (count, lastTimestamp, the annotations); a report Event that is gone (TTL,
// deleted) is created again, one left by an earlier run is patched.
// A failed write is logged and retried at the next period with what is then
// current.
//
// Thread safety: Start/Stop from one owner thread. The client and the
// proxier must outlive the reporter.
#ifndef MINIK8S_PROXY_PROGRAMMING_REPORTER_H_
#define MINIK8S_PROXY_PROGRAMMING_REPORTER_H_

#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/api_client.h"
#include "proxy/programming_report.h"
#include "proxy/proxier.h"

namespace minik8s::proxy {

class ProgrammingReporter {
 public:
  ProgrammingReporter(client::ApiClient* api, Proxier* proxier, absl::Duration period);
  ~ProgrammingReporter();  // Stop()

  void Start();
  void Stop();
  // Writes what changed now, on the calling thread (tests).
  void ReportNow();

 private:
  absl::Status Write(const ProgrammingReport& report);

  client::ApiClient* const api_;
  Proxier* const proxier_;
  const absl::Duration period_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Event name -> reports written into it (its count).
  std::map<std::string, int32_t> counts_;
  // Reports whose write failed, retried first next time (by event name).
  std::map<std::string, ProgrammingReport> failed_;
  std::thread thread_;
};

}  // namespace minik8s::proxy

#endif  // MINIK8S_PROXY_PROGRAMMING_REPORTER_H_
