#include "common/daemon.h"

#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/grpc_setup.h"
#include "common/signals.h"
#include "spdlog/pattern_formatter.h"
#include "spdlog/spdlog.h"

namespace minik8s {
namespace {

// %j in a pattern: the log message as the inside of a JSON string.
class JsonMessageFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    static constexpr char kHex[] = "0123456789abcdef";
    for (char c : absl::string_view(msg.payload.data(), msg.payload.size())) {
      switch (c) {
        case '"':
          dest.append(absl::string_view("\\\""));
          break;
        case '\\':
          dest.append(absl::string_view("\\\\"));
          break;
        case '\n':
          dest.append(absl::string_view("\\n"));
          break;
        case '\r':
          dest.append(absl::string_view("\\r"));
          break;
        case '\t':
          dest.append(absl::string_view("\\t"));
          break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            const char escaped[] = {'\\', 'u', '0', '0', kHex[(c >> 4) & 0xf], kHex[c & 0xf]};
            dest.append(escaped, escaped + sizeof(escaped));
          } else {
            dest.push_back(c);
          }
      }
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessageFlag>();
  }
};

}  // namespace

Daemon::Daemon(DaemonInfo info)
    : info_(std::move(info)), app_(absl::StrCat(info_.name, ": ", info_.description)) {
  TurnOffMutexDeadlockDetection();
  ConfigureGrpcForProcess();
  BlockShutdownSignals();
  health_address_ = info_.default_health_address;
  app_.add_option("--log-level", log_level_,
                  "Log level: trace, debug, info, warn, error, "
                  "critical or off")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  app_.add_option("--log-format", log_format_,
                  "Log line format: text, or json (one object a line with ts, level and msg, "
                  "as Kubernetes' --logging-format=json)")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
  app_.add_option("--health-address", health_address_,
                  info_.health_help.empty()
                      ? "host:port of the health and metrics endpoint: gRPC health "
                        "(grpc.health.v1) and HTTP GET /healthz, /readyz, /livez and /metrics "
                        "(Prometheus text) on one port; empty = none"
                      : info_.health_help)
      ->capture_default_str();
  app_.add_option("--health-tls-cert-file", health_cert_file_,
                  "PEM certificate (chain) the health endpoint presents; with "
                  "--health-tls-private-key-file the endpoint speaks TLS only (HTTPS and gRPC "
                  "over TLS), as kube-scheduler's and kube-controller-manager's secure ports do; "
                  "empty = plaintext");
  app_.add_option("--health-tls-private-key-file", health_key_file_,
                  "PEM private key of --health-tls-cert-file");
  app_.add_option("--health-client-ca-file", health_client_ca_file_,
                  "PEM CA bundle: a client certificate that is sent to the TLS health endpoint "
                  "must chain to it, and GET /metrics and the daemon's own pages need one "
                  "(401 without); /healthz, /readyz, /livez and gRPC health stay open. Needs "
                  "--health-tls-cert-file");
}

Daemon::~Daemon() = default;

void Daemon::AddLeaderElectionFlags(LeaderElectionFlags* flags, bool resource_flags) {
  app_.add_option("--leader-elect", flags->leader_elect,
                  "Take a Lease before doing any work, so only one replica is active "
                  "(true/false)")
      ->capture_default_str();
  AddDurationFlag("--leader-elect-lease-duration", &flags->lease_duration,
                  "How long a non-leader waits after the last renewal before taking over",
                  DurationBound::kPositive);
  AddDurationFlag("--leader-elect-renew-deadline", &flags->renew_deadline,
                  "How long the leader keeps retrying a renewal before giving up leadership "
                  "(the process then exits)",
                  DurationBound::kPositive);
  AddDurationFlag("--leader-elect-retry-period", &flags->retry_period,
                  "Wait between attempts to acquire or renew leadership", DurationBound::kPositive);
  if (resource_flags) {
    app_.add_option("--leader-elect-resource-namespace", flags->resource_namespace,
                    "Namespace of the leader election Lease")
        ->capture_default_str();
    app_.add_option("--leader-elect-resource-name", flags->resource_name,
                    "Name of the leader election Lease")
        ->capture_default_str();
  }
}

std::optional<int> Daemon::Parse(int argc, char** argv) {
  try {
    app_.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help prints and gives 0; every usage error 2 (as Go's flag package
    // exits), whatever CLI11's own code for it.
    return app_.exit(e) == 0 ? 0 : 2;
  }
  spdlog::set_level(spdlog::level::from_str(log_level_));
  if (log_format_ == "json") {
    auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    formatter->add_flag<JsonMessageFlag>('j').set_pattern(
        R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","logger":")" + info_.name +
        R"(","msg":"%j"})");
    spdlog::set_formatter(std::move(formatter));
  }
  return std::nullopt;
}

absl::Status Daemon::StartHealth(HealthServer::Options options) {
  if (health_cert_file_.empty() != health_key_file_.empty()) {
    return absl::InvalidArgumentError(
        "--health-tls-cert-file and --health-tls-private-key-file go together");
  }
  if (!health_client_ca_file_.empty() && health_cert_file_.empty()) {
    return absl::InvalidArgumentError("--health-client-ca-file needs --health-tls-cert-file");
  }
  if (!health_cert_file_.empty()) {
    if (health_address_.empty()) {
      return absl::InvalidArgumentError("--health-tls-cert-file needs --health-address");
    }
    options.tls = TlsServerFiles{.cert_file = health_cert_file_,
                                 .key_file = health_key_file_,
                                 .trusted_ca_file = health_client_ca_file_};
  }
  absl::StatusOr<std::unique_ptr<HealthServer>> started =
      HealthServer::StartIfSet(health_address_, std::move(options));
  if (!started.ok()) return started.status();
  health_ = *std::move(started);
  if (health_ != nullptr) {
    spdlog::info("health and metrics on {} (port {}{})", health_address_, health_->port(),
                 health_cert_file_.empty() ? ", plaintext" : ", TLS");
  }
  return absl::OkStatus();
}

void Daemon::SetServing(bool serving) {
  if (health_ != nullptr) health_->SetServing(serving);
}

int Daemon::WaitForShutdown() {
  const int sig = WaitForShutdownSignal();
  spdlog::info("signal {} received, shutting down", sig);
  SetServing(false);
  return sig;
}

int Daemon::Fail(absl::string_view message, int code) {
  spdlog::error("{}", std::string(message));
  std::fprintf(stderr, "%s: %.*s\n", info_.name.c_str(), static_cast<int>(message.size()),
               message.data());
  return code;
}

}  // namespace minik8s
