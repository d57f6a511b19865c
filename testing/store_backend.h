// A store daemon speaking the etcd v3 gRPC API, started for an end-to-end test
// or a benchmark: either our `minik8s-store` or a real single-member `etcd`.
//
// The backend runs on free loopback ports in its own TempDir (data dir and log
// file inside it), so several backends can run side by side. Start() waits
// until the daemon serves: its client port accepts connections and
// `etcdctl endpoint health` succeeds. Kill9() simulates a crash; Restart()
// starts the daemon again on the same data dir and ports; Stop() is a clean
// SIGTERM shutdown. The destructor kills a daemon that is still running.
//
// Etcdctl() runs the real `etcdctl` (v3 API) against the backend and captures
// its combined output and exit code.
//
// Not thread-safe: one owner drives a StoreBackend. Etcdctl() may be called
// from several threads at once while no other method runs.
#ifndef MINIK8S_TESTING_STORE_BACKEND_H_
#define MINIK8S_TESTING_STORE_BACKEND_H_

#include <sys/types.h>

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace minik8s::testing {

enum class BackendKind { kMinik8sStore, kEtcd };

// "minik8s_store" / "etcd": usable in test names.
std::string BackendName(BackendKind kind);

// GoogleTest prints parameters with PrintTo.
void PrintTo(BackendKind kind, std::ostream* os);

// The binary a kind runs by default: $MINIK8S_STORE_BIN if set, else
// <build>/bin/minik8s-store; etcd from PATH.
std::string DefaultBinary(BackendKind kind);

// Absolute path of `name` found on $PATH, or "" when absent.
std::string FindOnPath(const std::string& name);

struct CommandResult {
  int exit_code = -1;  // -1: could not start, or killed after its timeout
  std::string output;  // stdout and stderr, interleaved
};

class StoreBackend {
 public:
  struct Options {
    BackendKind kind = BackendKind::kEtcd;
    // Daemon binary; empty means DefaultBinary(kind).
    std::string binary;
    // Appended to the daemon's command line, e.g. {"--max-txn-ops=16"}.
    std::vector<std::string> extra_flags;
    absl::Duration ready_timeout = absl::Seconds(30);
    // When ca_file is set the daemon serves https with etcd's flags (the same
    // for both kinds): --cert-file/--key-file, --trusted-ca-file and
    // --client-cert-auth; etcdctl and grpc clients then dial with the CA and
    // the client certificate.
    struct Tls {
      std::string ca_file;
      std::string server_cert, server_key;
      std::string client_cert, client_key;
    };
    Tls tls;
    // minik8s-store only: also listen on a unix socket in the backend's
    // folder (unix_endpoint()), plaintext, as `minik8s up`'s store serves
    // its apiserver (cluster/plan.h, ClusterOptions::store_socket).
    bool unix_socket = false;
  };

  explicit StoreBackend(Options options);
  ~StoreBackend();
  StoreBackend(const StoreBackend&) = delete;
  StoreBackend& operator=(const StoreBackend&) = delete;

  // Picks ports, starts the daemon on a fresh data dir and waits until it serves.
  absl::Status Start();
  // Starts the (stopped or killed) daemon again on the same data dir and ports.
  absl::Status Restart();
  // SIGKILL, no chance to flush anything.
  void Kill9();
  // SIGTERM, then waits up to `timeout` for the exit (SIGKILL after that).
  // Error if the daemon was not running or did not exit cleanly.
  absl::Status Stop(absl::Duration timeout = absl::Seconds(15));

  bool running() const { return process_.running(); }
  pid_t pid() const { return process_.pid(); }
  BackendKind kind() const { return options_.kind; }
  int client_port() const { return client_port_; }
  // "http(s)://127.0.0.1:<port>", as etcdctl --endpoints wants it.
  std::string endpoint() const;
  // "127.0.0.1:<port>", as grpc::CreateChannel wants it.
  std::string grpc_address() const;
  // With Options::unix_socket: "unix:///<dir>/store.sock", for --etcd-servers
  // and grpc::CreateChannel alike; else "".
  std::string unix_endpoint() const;
  std::string data_dir() const { return dir_.Join("data"); }
  std::string log_path() const { return dir_.Join("daemon.log"); }
  // The last `lines` lines of the daemon log, for failure messages.
  std::string LogTail(int lines = 40) const;

  // Runs `etcdctl --endpoints=<this> --command-timeout=5s <args...>` with
  // ETCDCTL_API=3, feeding `stdin_data` to it.
  CommandResult Etcdctl(const std::vector<std::string>& args, const std::string& stdin_data = "",
                        absl::Duration timeout = absl::Seconds(30)) const;

  // Command line of a background `etcdctl` (e.g. a watch) against this backend,
  // for testing::Subprocess::Start.
  std::vector<std::string> EtcdctlArgv(const std::vector<std::string>& args) const;

 private:
  std::vector<std::string> DaemonArgv() const;
  absl::Status LaunchAndWait();

  Options options_;
  std::string binary_;
  testing::TempDir dir_;
  testing::Subprocess process_;
  int client_port_ = 0;
  int peer_port_ = 0;  // etcd only
};

}  // namespace minik8s::testing

#endif  // MINIK8S_TESTING_STORE_BACKEND_H_
