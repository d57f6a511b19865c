#include "testing/store_backend.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <deque>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/net.h"

namespace minik8s::testing {
namespace {

// etcdctl reads ETCDCTL_API from the environment; 3.4 defaults to v3 already,
// but an inherited ETCDCTL_API=2 would silently change every command.
void PinEtcdctlApi() { setenv("ETCDCTL_API", "3", /*overwrite=*/1); }

absl::StatusOr<int> PickPortOtherThan(int other) {
  for (int attempt = 0; attempt < 20; ++attempt) {
    absl::StatusOr<int> port = PickFreeLoopbackPort();
    if (!port.ok()) return port.status();
    if (*port != other) return *port;
  }
  return absl::UnavailableError("could not find two distinct free loopback ports");
}

}  // namespace

std::string BackendName(BackendKind kind) {
  return kind == BackendKind::kMinik8sStore ? "minik8s_store" : "etcd";
}

void PrintTo(BackendKind kind, std::ostream* os) { *os << BackendName(kind); }

std::string FindOnPath(const std::string& name) {
  const char* path = getenv("PATH");
  if (path == nullptr) return "";
  for (absl::string_view dir : absl::StrSplit(path, ':')) {
    if (dir.empty()) continue;
    std::string candidate = absl::StrCat(dir, "/", name);
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

std::string DefaultBinary(BackendKind kind) {
  if (kind == BackendKind::kMinik8sStore) {
    const char* override_bin = getenv("MINIK8S_STORE_BIN");
    if (override_bin != nullptr && *override_bin != '\0') return override_bin;
    return testing::BinPath("minik8s-store");
  }
  std::string etcd = FindOnPath("etcd");
  return etcd.empty() ? "/usr/bin/etcd" : etcd;
}

StoreBackend::StoreBackend(Options options)
    : options_(std::move(options)),
      binary_(options_.binary.empty() ? DefaultBinary(options_.kind) : options_.binary) {
  PinEtcdctlApi();
}

StoreBackend::~StoreBackend() {
  if (process_.running()) process_.Stop(SIGKILL);
}

std::string StoreBackend::endpoint() const {
  return absl::StrCat(options_.tls.ca_file.empty() ? "http" : "https",
                      "://127.0.0.1:", client_port_);
}

std::string StoreBackend::grpc_address() const { return absl::StrCat("127.0.0.1:", client_port_); }

std::vector<std::string> StoreBackend::DaemonArgv() const {
  std::string client_url = endpoint();
  std::string listen_urls = client_url;
  if (options_.unix_socket) absl::StrAppend(&listen_urls, ",", unix_endpoint());
  std::vector<std::string> argv = {binary_,     "--name",
                                   "default",   "--data-dir",
                                   data_dir(),  "--listen-client-urls",
                                   listen_urls, "--advertise-client-urls",
                                   client_url};
  if (options_.kind == BackendKind::kEtcd) {
    std::string peer_url = absl::StrCat("http://127.0.0.1:", peer_port_);
    argv.insert(argv.end(), {"--listen-peer-urls", peer_url, "--initial-advertise-peer-urls",
                             peer_url, "--initial-cluster", absl::StrCat("default=", peer_url)});
  }
  if (const Options::Tls& tls = options_.tls; !tls.ca_file.empty()) {
    argv.insert(argv.end(), {"--cert-file", tls.server_cert, "--key-file", tls.server_key,
                             "--trusted-ca-file", tls.ca_file, "--client-cert-auth"});
  }
  argv.insert(argv.end(), options_.extra_flags.begin(), options_.extra_flags.end());
  return argv;
}

std::string StoreBackend::unix_endpoint() const {
  return options_.unix_socket ? absl::StrCat("unix://", dir_.Join("store.sock")) : "";
}

absl::Status StoreBackend::Start() {
  if (process_.running()) return absl::FailedPreconditionError("backend already running");
  if (options_.unix_socket && options_.kind != BackendKind::kMinik8sStore) {
    return absl::InvalidArgumentError("a unix socket is for minik8s-store only");
  }
  if (access(binary_.c_str(), X_OK) != 0) {
    return absl::NotFoundError(absl::StrCat("store binary not found: ", binary_));
  }
  absl::StatusOr<int> client = PickFreeLoopbackPort();
  if (!client.ok()) return client.status();
  client_port_ = *client;
  if (options_.kind == BackendKind::kEtcd) {
    absl::StatusOr<int> peer = PickPortOtherThan(client_port_);
    if (!peer.ok()) return peer.status();
    peer_port_ = *peer;
  }
  return LaunchAndWait();
}

absl::Status StoreBackend::Restart() {
  if (process_.running()) return absl::FailedPreconditionError("backend still running");
  if (client_port_ == 0) return absl::FailedPreconditionError("backend was never started");
  return LaunchAndWait();
}

absl::Status StoreBackend::LaunchAndWait() {
  {
    std::ofstream log(log_path(), std::ios::app);
    log << "=== starting:";
    for (const auto& arg : DaemonArgv()) log << " " << arg;
    log << "\n";
  }
  if (absl::Status s = process_.Start(DaemonArgv(), log_path()); !s.ok()) return s;
  bool exited = false;
  bool ready = testing::WaitFor(
      [&] {
        if (process_.Exited()) {
          exited = true;
          return true;
        }
        if (!testing::PortAcceptsConnections(client_port_)) return false;
        return Etcdctl({"endpoint", "health"}, "", absl::Seconds(10)).exit_code == 0;
      },
      options_.ready_timeout);
  if (exited) {
    return absl::InternalError(
        absl::StrCat(BackendName(options_.kind), " exited during startup; log tail:\n", LogTail()));
  }
  if (!ready) {
    return absl::DeadlineExceededError(
        absl::StrCat(BackendName(options_.kind), " not healthy within ",
                     absl::FormatDuration(options_.ready_timeout), "; log tail:\n", LogTail()));
  }
  return absl::OkStatus();
}

void StoreBackend::Kill9() {
  if (process_.running()) process_.Stop(SIGKILL);
}

absl::Status StoreBackend::Stop(absl::Duration timeout) {
  if (!process_.running()) return absl::FailedPreconditionError("backend not running");
  std::optional<int> status = process_.Stop(SIGTERM, timeout);
  if (!status.has_value()) return absl::InternalError("backend vanished");
  if (WIFEXITED(*status) && WEXITSTATUS(*status) == 0) return absl::OkStatus();
  if (WIFSIGNALED(*status) && WTERMSIG(*status) == SIGTERM) {
    // Default action for SIGTERM: acceptable for a daemon without a handler.
    return absl::OkStatus();
  }
  return absl::InternalError(absl::StrCat("backend did not exit cleanly on SIGTERM (wait status ",
                                          *status, "); log tail:\n", LogTail()));
}

std::string StoreBackend::LogTail(int lines) const {
  std::ifstream in(log_path());
  std::deque<std::string> tail;
  std::string line;
  while (std::getline(in, line)) {
    tail.push_back(line);
    if (static_cast<int>(tail.size()) > lines) tail.pop_front();
  }
  std::string out;
  for (const auto& l : tail) absl::StrAppend(&out, l, "\n");
  return out;
}

std::vector<std::string> StoreBackend::EtcdctlArgv(const std::vector<std::string>& args) const {
  std::string etcdctl = FindOnPath("etcdctl");
  std::vector<std::string> argv = {etcdctl.empty() ? "/usr/bin/etcdctl" : etcdctl,
                                   absl::StrCat("--endpoints=", endpoint()),
                                   "--command-timeout=5s"};
  if (const Options::Tls& tls = options_.tls; !tls.ca_file.empty()) {
    argv.push_back("--cacert=" + tls.ca_file);
    if (!tls.client_cert.empty()) {
      argv.insert(argv.end(), {"--cert=" + tls.client_cert, "--key=" + tls.client_key});
    }
  }
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

CommandResult StoreBackend::Etcdctl(const std::vector<std::string>& args,
                                    const std::string& stdin_data, absl::Duration timeout) const {
  CommandResult result;
  result.exit_code = testing::RunCommand(EtcdctlArgv(args), &result.output, timeout, stdin_data);
  return result;
}

}  // namespace minik8s::testing
