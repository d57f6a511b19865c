#include "common/grpc_setup.h"

#include <stdlib.h>

#include <mutex>

#include "absl/synchronization/mutex.h"

namespace minik8s {

void ConfigureGrpcForProcess() {
  static std::once_flag once;
  std::call_once(once, [] {
    // overwrite = 0: an operator's own setting wins.
    setenv("GRPC_CLIENT_CHANNEL_BACKUP_POLL_INTERVAL_MS", "100", 0);
  });
}

void TurnOffMutexDeadlockDetection() {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

}  // namespace minik8s
