// Daemon: the frame every minik8s daemon's main() is written in, so each
// main.cc only declares its own flags and wires its objects:
//
//   int main(int argc, char** argv) {
//     minik8s::Daemon daemon({.name = "minik8s-scheduler",
//                             .description = "assigns pending pods to nodes"});
//     std::string server = "127.0.0.1:6443";
//     daemon.app().add_option("--server", server, "Apiserver address");
//     if (std::optional<int> exit = daemon.Parse(argc, argv)) return *exit;
//     if (absl::Status s = daemon.StartHealth(); !s.ok()) return daemon.Fail(s);
//     ... build and start the component ...
//     daemon.SetServing(true);
//     daemon.WaitForShutdown();
//     ... stop it ...
//   }
//
// What the frame gives every daemon alike:
// - SIGINT/SIGTERM blocked in every thread from the constructor on (so it
//   must run first in main, before any thread starts) and awaited by
//   WaitForShutdown(); SIGPIPE ignored.
// - --log-level (trace, debug, info, warn, error, critical, off) and
//   --log-format (text, json), applied by Parse().
// - --health-address: the health and metrics port (common/health_server.h):
//   gRPC health, GET /healthz, /readyz, /livez and /metrics (the process'
//   metrics::Registry::Default()); empty = none. With
//   --health-tls-cert-file and --health-tls-private-key-file it speaks TLS
//   only, and --health-client-ca-file makes /metrics and the daemon's pages
//   ask for a client certificate signed by that CA (health stays open).
// - optional leader-election flags (AddLeaderElectionFlags) with Kubernetes'
//   names; the election itself runs in client/leader_election.h
//   (DaemonLeaderElection), whose lost lease ends WaitForShutdown().
// - duration flags in Go's syntax (AddDurationFlag, common/duration_flag.h).
//
// Thread safety: one owner thread (main); SetServing from any thread.
#ifndef MINIK8S_COMMON_DAEMON_H_
#define MINIK8S_COMMON_DAEMON_H_

#include <memory>
#include <optional>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/duration_flag.h"
#include "common/health_server.h"

namespace minik8s {

// Kubernetes' leader-election flags (component-base's
// LeaderElectionConfiguration), with its defaults.
struct LeaderElectionFlags {
  bool leader_elect = true;
  absl::Duration lease_duration = absl::Seconds(15);
  absl::Duration renew_deadline = absl::Seconds(10);
  absl::Duration retry_period = absl::Seconds(2);
  std::string resource_namespace = "kube-system";
  std::string resource_name;  // the daemon's default, e.g. "kube-scheduler"
};

struct DaemonInfo {
  std::string name;         // the binary, e.g. "minik8s-scheduler"
  std::string description;  // one line for --help
  // Default of --health-address; empty: no endpoint unless asked for.
  std::string default_health_address;
  // Help text of --health-address when the daemon says more than the default.
  std::string health_help;
};

class Daemon {
 public:
  // Blocks the shutdown signals (see the file comment) and declares the
  // common flags.
  explicit Daemon(DaemonInfo info);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // The daemon's own flags go here before Parse().
  CLI::App& app() { return app_; }
  const std::string& name() const { return info_.name; }

  CLI::Option* AddDurationFlag(const std::string& name, absl::Duration* out,
                               const std::string& help,
                               DurationBound bound = DurationBound::kNonNegative) {
    return minik8s::AddDurationFlag(app_, name, out, help, bound);
  }
  // --leader-elect, --leader-elect-lease-duration, --leader-elect-renew-deadline,
  // --leader-elect-retry-period and, with `resource_flags`,
  // --leader-elect-resource-namespace and --leader-elect-resource-name.
  // `flags` holds the defaults and must outlive Parse().
  void AddLeaderElectionFlags(LeaderElectionFlags* flags, bool resource_flags = true);

  // Parses the command line and applies the logging flags. nullopt: go on;
  // otherwise main returns the value (0 after --help, 2 for a usage error,
  // which has been printed).
  std::optional<int> Parse(int argc, char** argv);

  // Starts the health endpoint at --health-address (nothing when empty).
  absl::Status StartHealth(HealthServer::Options options = {});
  // The endpoint, or nullptr when there is none.
  HealthServer* health() { return health_.get(); }
  // Whether the daemon is ready (gRPC health SERVING, /healthz 200).
  void SetServing(bool serving);

  // Waits for SIGINT or SIGTERM (also the one a lost leader election sends),
  // logs it and marks the daemon not serving. Returns the signal.
  int WaitForShutdown();

  // Logs `message`, also writes "<name>: <message>" to stderr (a daemon
  // that fails before its logs are set up must still say why), and returns
  // `code` for main to return.
  int Fail(absl::string_view message, int code = 1);
  int Fail(const absl::Status& status, int code = 1) { return Fail(status.message(), code); }

 private:
  DaemonInfo info_;
  CLI::App app_;
  std::string log_level_ = "info";
  std::string log_format_ = "text";
  std::string health_address_;
  std::string health_cert_file_;
  std::string health_key_file_;
  std::string health_client_ca_file_;
  std::unique_ptr<HealthServer> health_;
};

}  // namespace minik8s

#endif  // MINIK8S_COMMON_DAEMON_H_
