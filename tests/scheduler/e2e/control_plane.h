// ControlPlane: a real minik8s-store + minik8s-apiserver on free loopback
// ports in a TempDir, for scheduler end-to-end tests and the scheduler
// benchmark. Also starts minik8s-scheduler processes on request. Every
// process is killed and reaped by the destructor.
//
// Not thread-safe: one owner drives it.
#ifndef MINIK8S_TESTS_SCHEDULER_E2E_CONTROL_PLANE_H_
#define MINIK8S_TESTS_SCHEDULER_E2E_CONTROL_PLANE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "client/clientset.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace minik8s::scheduler::e2e {

class ControlPlane {
 public:
  // The binaries the control plane needs that are missing from the build
  // tree (empty: all there).
  static std::vector<std::string> MissingBinaries();

  ControlPlane() = default;
  ~ControlPlane();

  // Starts store and apiserver and waits until the apiserver answers.
  absl::Status Start();
  // Starts a scheduler with extra flags; its log is scheduler-<n>.log.
  absl::Status StartScheduler(const std::vector<std::string>& extra_flags = {});
  // SIGTERM to the most recent scheduler; returns its exit status.
  std::optional<int> StopScheduler();

  client::Clientset* clientset() { return clientset_.get(); }
  const std::string& apiserver_address() const { return apiserver_address_; }
  const testing::TempDir& dir() const { return dir_; }
  // The tail of a process log (for failure messages).
  std::string LogTail(const std::string& name, size_t bytes = 4000) const;

 private:
  testing::TempDir dir_;
  testing::Subprocess store_;
  testing::Subprocess apiserver_;
  std::vector<std::unique_ptr<testing::Subprocess>> schedulers_;
  std::string apiserver_address_;
  std::unique_ptr<client::Clientset> clientset_;
};

}  // namespace minik8s::scheduler::e2e

#endif  // MINIK8S_TESTS_SCHEDULER_E2E_CONTROL_PLANE_H_
