// Process-wide settings minik8s needs before gRPC initialises.
//
// gRPC notices a client connection's progress (the TCP connect finishing,
// the server's first HTTP/2 frames) only while some thread polls the
// channel. A synchronous client whose calls fail fast while the server is
// down polls nothing, and gRPC's backup poller then looks only every 5 s:
// a client that tried while its server was restarting took about 10 s to
// reconnect after the server was back (measured: a ControlPlane's first
// apiserver call, 10.0 s; with a 100 ms backup poll, 0.3 s). The backup
// poll period is read once, from the environment, when gRPC initialises.
#ifndef MINIK8S_COMMON_GRPC_SETUP_H_
#define MINIK8S_COMMON_GRPC_SETUP_H_

namespace minik8s {

// Sets GRPC_CLIENT_CHANNEL_BACKUP_POLL_INTERVAL_MS to 100 unless the
// environment already sets it. Call before the process's first gRPC
// channel or server (Daemon's constructor and ApiClient::Connect do);
// later calls, and calls after gRPC has initialised, change nothing.
// Thread-safe.
void ConfigureGrpcForProcess();

// Turns off absl::Mutex's deadlock detection for the whole process (gRPC's
// own locks are absl::Mutex too). Debian builds Abseil without NDEBUG, which
// leaves the detection on: every lock taken while another is held is
// recorded in a process-wide lock graph behind one global mutex, which a
// release build of Abseil never does. Measured (callgrind, the apiserver
// during 1,500 gRPC creates): 10 % of its instructions. The daemons and the
// load generators call it first thing; tests keep the detection.
// Thread-safe; call before other threads start.
void TurnOffMutexDeadlockDetection();

}  // namespace minik8s

#endif  // MINIK8S_COMMON_GRPC_SETUP_H_
