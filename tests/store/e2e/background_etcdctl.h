// A long-running etcdctl (e.g. `etcdctl watch`) whose combined output is
// collected in a file, for tests that read it while the command runs.
// The destructor kills the command. Not thread-safe.
#ifndef MINIK8S_TESTS_STORE_E2E_BACKGROUND_ETCDCTL_H_
#define MINIK8S_TESTS_STORE_E2E_BACKGROUND_ETCDCTL_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "testing/store_backend.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace minik8s::storetest {

// The launcher lives in the shared test harness; these suites name it
// unqualified.
using testing::BackendKind;
using testing::BackendName;
using testing::CommandResult;
using testing::FindOnPath;
using testing::StoreBackend;

class BackgroundEtcdctl {
 public:
  // `backend` must outlive this object.
  explicit BackgroundEtcdctl(const StoreBackend* backend) : backend_(backend) {}
  ~BackgroundEtcdctl() { Kill(); }

  absl::Status Start(const std::vector<std::string>& args);
  // Everything the command printed so far.
  std::string Output() const;
  // Waits until Output() == expected; returns the last output seen.
  std::string WaitForOutput(const std::string& expected, absl::Duration timeout);
  // Waits until the command exits by itself; false on timeout.
  bool WaitForExit(absl::Duration timeout);
  void Kill();

 private:
  const StoreBackend* backend_;
  testing::TempDir dir_;
  testing::Subprocess process_;
};

}  // namespace minik8s::storetest

#endif  // MINIK8S_TESTS_STORE_E2E_BACKGROUND_ETCDCTL_H_
