#include "cluster/launcher.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "api/yaml_limits.h"
#include "client/clientset.h"
#include "cluster/health.h"
#include "cluster/join.h"
#include "cluster/kubeconfig.h"
#include "cluster/kubelet_api_access.h"
#include "cluster/listener.h"
#include "cluster/state_file.h"
#include "cluster/supervisor.h"
#include "common/net.h"
#include "pki/cluster_pki.h"
#include "pki/pem_file.h"
#include "pki/pin.h"
#include "yaml-cpp/yaml.h"

namespace minik8s::cluster {
namespace {

constexpr absl::Duration kProbeTimeout = absl::Seconds(1);
// Health probes start every 5 ms and back off to every 100 ms, so a daemon
// that is up within a few milliseconds is reported as such.
constexpr absl::Duration kFirstPollInterval = absl::Milliseconds(5);
constexpr absl::Duration kPollInterval = absl::Milliseconds(100);
// A daemon without a health endpoint counts as started once it has run this
// long (flag errors and a refused connection show up well within it).
constexpr absl::Duration kStaysUpGrace = absl::Seconds(1);
constexpr int kLogTailLines = 15;

void Out(const std::string& text) { std::cout << text << std::flush; }

void Err(absl::string_view text) {
  std::cerr << "minik8s: " << absl::StripTrailingAsciiWhitespace(text) << "\n" << std::flush;
}

// Waits up to `timeout` for SIGINT/SIGTERM (blocked by the caller); returns
// the signal or 0.
int WaitSignal(absl::Duration timeout) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  timespec ts = absl::ToTimespec(timeout);
  int sig = sigtimedwait(&set, nullptr, &ts);
  return sig > 0 ? sig : 0;
}

// An exclusive flock on <data-dir>/minik8s.lock, held while `up` runs. The
// kernel drops it when the process dies, so a crashed `up` never blocks the
// next one.
class DataDirLock {
 public:
  ~DataDirLock() {
    if (fd_ >= 0) close(fd_);
  }
  // False when another process holds it.
  absl::StatusOr<bool> TryAcquire(const std::string& path) {
    fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0)
      return absl::InternalError(absl::StrCat("cannot open ", path, ": ", strerror(errno)));
    if (flock(fd_, LOCK_EX | LOCK_NB) == 0) return true;
    close(fd_);
    fd_ = -1;
    return false;
  }

 private:
  int fd_ = -1;
};

// True while some process (a running `minik8s up`) holds the data dir lock.
bool LockHeld(const std::string& data_dir) {
  int fd = open(LockFilePath(data_dir).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool held = flock(fd, LOCK_SH | LOCK_NB) != 0;
  close(fd);
  return held;
}

absl::Status MakeDirs(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  return absl::OkStatus();
}

// Writes `server: <address>` for mkctl (with `tls`: the https URL and the
// CA and client certificate to use), keeping a `namespace:` the user set.
absl::Status WriteMkctlConfig(const std::string& path, const std::string& server,
                              const std::optional<TlsClientFiles>& tls) {
  std::string ns;
  std::ifstream existing(path);
  std::stringstream text;
  text << existing.rdbuf();
  // Absent, unreadable or over the limits: replaced below.
  absl::StatusOr<YAML::Node> old = api::LoadLimited(text.str());
  try {
    if (old.ok() && old->IsMap() && (*old)["namespace"] && (*old)["namespace"].IsScalar()) {
      ns = (*old)["namespace"].Scalar();
    }
  } catch (const YAML::Exception&) {
  }
  const std::filesystem::path p(path);
  if (p.has_parent_path()) {
    if (absl::Status s = MakeDirs(p.parent_path().string()); !s.ok()) return s;
  }
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << "# written by `minik8s up`; read by mkctl\n";
    if (tls.has_value()) {
      out << "server: https://" << server << "\n"
          << "certificate-authority: " << tls->ca_file << "\n"
          << "client-certificate: " << tls->cert_file << "\n"
          << "client-key: " << tls->key_file << "\n";
    } else {
      out << "server: " << server << "\n";
    }
    if (!ns.empty()) out << "namespace: " << ns << "\n";
    out.flush();
    if (!out) return absl::InternalError(absl::StrCat("cannot write ", tmp));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot write ", path, ": ", strerror(errno)));
  }
  return absl::OkStatus();
}

std::string Indent(const std::string& text) {
  std::string out;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    absl::StrAppend(&out, "    | ", line, "\n");
  }
  return out;
}

std::string DeathMessage(const ChildProcess& c) {
  std::string tail = LogTail(c.log_file, kLogTailLines);
  return absl::StrCat(c.name, " (pid ", c.pid, ") ", DescribeWaitStatus(*c.wait_status),
                      tail.empty()
                          ? absl::StrCat("; its log ", c.log_file, " is empty")
                          : absl::StrCat("; last lines of ", c.log_file, ":\n", Indent(tail)));
}

// Runs the cluster of one `minik8s up`: starts the planned components stage
// by stage, then supervises them until a shutdown signal.
// How a user types the program at `path` from any folder: its bare name when
// the first of that name on $PATH is this very file, else the full path.
std::string CommandFor(const std::string& path) {
  const std::filesystem::path file(path);
  const std::string name = file.filename().string();
  const char* env = std::getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(env != nullptr ? env : "", ':', absl::SkipEmpty())) {
    const std::filesystem::path candidate = std::filesystem::path(std::string(dir)) / name;
    if (access(candidate.c_str(), X_OK) != 0) continue;
    std::error_code ec;
    return std::filesystem::equivalent(candidate, file, ec) ? name : path;
  }
  return path;
}

// The example Deployment of the source tree the binaries were built in
// (<bin>/../../examples), by absolute path; else the path within a checkout.
std::string ExampleManifest(const std::string& bin_dir) {
  std::error_code ec;
  const std::filesystem::path example = std::filesystem::weakly_canonical(
      std::filesystem::path(bin_dir) / ".." / ".." / "examples" / "nginx-deployment.yaml", ec);
  if (!ec && std::filesystem::exists(example, ec)) return example.string();
  return "examples/nginx-deployment.yaml";
}

// The running process of a recorded daemon: the recorded pid, or else the
// process of the same executable now serving the recorded address (a daemon
// restarted by hand after the recorded one died). `by_hand` says which.
std::optional<pid_t> LivePid(const ProcessRecord& p, bool* by_hand) {
  *by_hand = false;
  if (ProcessRunning(p.pid, p.binary)) return p.pid;
  if (p.address.empty()) return std::nullopt;
  std::optional<pid_t> pid = FindDaemonServing(p.address, p.binary);
  *by_hand = pid.has_value();
  return pid;
}

void StopDaemons(const ClusterState& state, int max_stage, absl::Duration timeout) {
  auto stop_stage = [](int stage) { return std::min(stage, kStopTogetherFromStage); };
  for (int stage = stop_stage(max_stage); stage >= 0; --stage) {
    std::vector<std::pair<pid_t, std::string>> group;
    for (const ProcessRecord& p : state.processes) {
      if (stop_stage(p.stage) != stage) continue;
      bool by_hand = false;
      std::optional<pid_t> pid = LivePid(p, &by_hand);
      if (!pid) continue;
      Out(absl::StrFormat("  stopping %s (pid %d%s)\n", p.name, *pid,
                          by_hand ? ", started outside minik8s up" : ""));
      // An empty binary: TerminateProcesses checks only that the pid lives
      // (a hand-started daemon's argv[0] need not be the recorded path).
      group.push_back({*pid, by_hand ? "" : p.binary});
    }
    for (pid_t pid : TerminateProcesses(group, timeout)) {
      Out(absl::StrFormat("  killed pid %d after %s\n", pid, absl::FormatDuration(timeout)));
    }
  }
}

// The admin's TLS files when the apiserver serves TLS (nullopt: plaintext).
std::optional<TlsClientFiles> AdminTls(const UpOptions& options) {
  if (!options.cluster.apiserver_tls) return std::nullopt;
  return AdminTlsFromPki(options.cluster.pki_dir);
}

// Each component's kubeconfig (ComponentKubeconfigPath) with its own client
// certificate: the controller-manager's, the scheduler's, the proxies'
// system:kube-proxy and each kubelet's system:node:<name>; the simulated
// nodes' kubelet, which writes many Node objects, presents the admin's.
absl::Status WriteComponentKubeconfigs(const ClusterOptions& co,
                                       const std::vector<ComponentSpec>& specs,
                                       const std::string& apiserver,
                                       const std::string& apiserver_grpc) {
  std::vector<std::string> nodes;
  for (int i = 1; i <= co.nodes; ++i) nodes.push_back(NodeName(i));
  const pki::ClusterPkiPaths pki = pki::ClusterPkiLayout(co.pki_dir, nodes);
  for (const ComponentSpec& spec : specs) {
    if (std::find(spec.args.begin(), spec.args.end(), "--kubeconfig") == spec.args.end()) continue;
    pki::CertKeyPaths who = pki.admin;
    if (spec.name == kControllerManager) who = pki.controller_manager;
    if (spec.name == kScheduler) who = pki.scheduler;
    if (spec.kind == kProxy) who = pki.kube_proxy;
    for (const std::string& node : spec.node_names) {
      if (auto it = pki.kubelets.find(node); it != pki.kubelets.end()) who = it->second.client;
    }
    const std::string path = ComponentKubeconfigPath(co.data_dir, spec.name);
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (absl::Status s = MakePrivateDirs(parent.string()); !s.ok()) return s;
    std::ofstream out(path + ".tmp", std::ios::trunc);
    out << KubeconfigText(
        apiserver, "",
        TlsClientFiles{.ca_file = pki.ca.cert, .cert_file = who.cert, .key_file = who.key},
        apiserver_grpc);
    out.close();
    if (!out || std::rename((path + ".tmp").c_str(), path.c_str()) != 0) {
      return absl::InternalError(absl::StrCat("cannot write ", path));
    }
    chmod(path.c_str(), 0600);
  }
  return absl::OkStatus();
}

class Cluster {
 public:
  // `ready_text`: printed once every component is healthy, instead of the
  // cluster's summary, and nothing else is written (`minik8s join`).
  Cluster(const UpOptions& options, std::vector<ComponentSpec> specs,
          std::optional<std::string> ready_text = std::nullopt)
      : options_(options), specs_(std::move(specs)), ready_text_(std::move(ready_text)) {
    state_.supervisor_pid = getpid();
    state_.apiserver =
        options.apiserver.empty() ? ApiserverAddress(options.cluster) : options.apiserver;
  }

  int Run() {
    size_t i = 0;
    while (i < specs_.size()) {
      const int stage = specs_[i].stage;
      std::vector<const ComponentSpec*> group;
      for (; i < specs_.size() && specs_[i].stage == stage; ++i) group.push_back(&specs_[i]);
      if (int code = StartStage(group); code != 0) {
        Shutdown(/*quiet=*/true);
        return code;
      }
    }
    if (ready_text_.has_value()) {
      Out(*ready_text_);
      return WaitAndStop();
    }
    if (options_.cluster.apiserver_tls) {
      GrantKubeletApiAccess();
      PrepareJoin();
    }
    if (!options_.mkctl_config.empty()) {
      if (absl::Status s =
              WriteMkctlConfig(options_.mkctl_config, state_.apiserver, AdminTls(options_));
          !s.ok()) {
        Err(absl::StrCat("warning: ", s.message()));
      }
    }
    if (!options_.kubeconfig.empty()) {
      if (absl::Status s =
              WriteKubeconfig(options_.kubeconfig, state_.apiserver, AdminTls(options_),
                              ApiserverGrpcAddress(options_.cluster));
          s.ok()) {
        kubeconfig_written_ = true;
      } else {
        Err(absl::StrCat("warning: ", s.message()));
      }
    }
    PrintReady();
    return WaitAndStop();
  }

 private:
  // Supervises until SIGINT or SIGTERM, then stops everything.
  int WaitAndStop() {
    int sig = 0;
    while ((sig = WaitSignal(absl::Milliseconds(500))) == 0) {
      for (const ChildProcess* c : supervisor_.Reap()) {
        Err(absl::StrCat("warning: ", DeathMessage(*c)));
      }
    }
    Out(absl::StrCat("\nminik8s: ", strsignal(sig), ": stopping the cluster\n"));
    Shutdown(/*quiet=*/false);
    Out(absl::StrCat("minik8s: ", ready_text_.has_value() ? "node" : "cluster",
                     " stopped; its data stays in ", options_.cluster.data_dir, "\n"));
    return 0;
  }

  // The apiserver's kubelet client may use the kubelets' API
  // (kubelet_api_access.h); a failure costs `kubectl logs`, so it is a
  // warning.
  void GrantKubeletApiAccess() {
    absl::StatusOr<std::unique_ptr<client::ApiClient>> admin =
        client::ApiClient::Connect({.server = state_.apiserver,
                                    .timeout = absl::Seconds(10),
                                    .user_agent = "minik8s",
                                    .tls = AdminTls(options_)});
    absl::Status granted = admin.ok() ? EnsureKubeletApiAccess(admin->get()) : admin.status();
    if (!granted.ok()) {
      Err(absl::StrCat("warning: the kubelets will refuse the apiserver (kubectl logs): ",
                       granted.message()));
    }
  }

  // The bootstrap token and bindings nodes join with (join.h); a failure
  // only costs `minik8s join`, so it is a warning.
  void PrepareJoin() {
    const ClusterOptions& co = options_.cluster;
    absl::StatusOr<std::unique_ptr<client::ApiClient>> admin =
        client::ApiClient::Connect({.server = state_.apiserver,
                                    .timeout = absl::Seconds(10),
                                    .user_agent = "minik8s",
                                    .tls = AdminTls(options_)});
    absl::StatusOr<std::string> token =
        admin.ok() ? EnsureJoinToken(admin->get(), absl::Now()) : admin.status();
    absl::StatusOr<pki::Certificate> ca =
        token.ok() ? pki::LoadCertificateFile(pki::ClusterPkiLayout(co.pki_dir, {}).ca.cert)
                   : token.status();
    absl::StatusOr<std::string> pin = ca.ok() ? pki::CaCertHash(*ca) : ca.status();
    if (!pin.ok()) {
      Err(absl::StrCat("warning: no join token (other machines cannot join): ",
                       pin.status().message()));
      return;
    }
    join_command_ = JoinCommand(state_.apiserver, *token, *pin,
                                absl::StrCat("https://", ApiserverGrpcAddress(options_.cluster)));
  }

  // Starts a stage's components and waits until all are healthy. Returns 0
  // or the exit code of `up`.
  int StartStage(const std::vector<const ComponentSpec*>& group) {
    // When each daemon was started: its "ready after" counts from there.
    std::map<std::string, absl::Time> started;
    for (const ComponentSpec* spec : group) {
      std::vector<std::string> argv = {spec->binary};
      argv.insert(argv.end(), spec->args.begin(), spec->args.end());
      if (absl::Status s = supervisor_.Start(spec->name, spec->stage, argv, spec->log_file);
          !s.ok()) {
        Err(absl::StrCat("cannot start ", spec->name, ": ", s.message()));
        return 1;
      }
      started[spec->name] = absl::Now();
      state_.processes.push_back({spec->name, spec->stage, supervisor_.children().back().pid,
                                  spec->address, spec->binary, spec->log_file});
      if (absl::Status s = WriteStateFile(StateFilePath(options_.cluster.data_dir), state_);
          !s.ok()) {
        Err(s.ToString());
        return 1;
      }
    }
    const absl::Time start = absl::Now();
    const absl::Time deadline = start + options_.start_timeout;
    std::vector<const ComponentSpec*> pending = group;
    std::map<std::string, std::string> last_reason;
    absl::Duration poll = kFirstPollInterval;
    while (true) {
      if (int sig = WaitSignal(absl::ZeroDuration()); sig != 0) {
        Err(absl::StrCat(strsignal(sig), " while starting; stopping what was started"));
        return 130;
      }
      for (const ChildProcess* c : supervisor_.Reap()) {
        Err(DeathMessage(*c));
        Err("stopping the cluster");
        return 1;
      }
      for (auto it = pending.begin(); it != pending.end();) {
        absl::Status s = Probe(**it, absl::Now() - started[(*it)->name]);
        if (s.ok()) {
          Out(absl::StrFormat("  %-20s ready after %s\n", (*it)->name,
                              FormatStartupTime(absl::Now() - started[(*it)->name])));
          it = pending.erase(it);
        } else {
          last_reason[(*it)->name] = std::string(s.message());
          ++it;
        }
      }
      if (pending.empty()) return 0;
      if (absl::Now() >= deadline) {
        const ComponentSpec& spec = *pending.front();
        std::string tail = LogTail(spec.log_file, kLogTailLines);
        Err(absl::StrCat(spec.name, " is not healthy after ",
                         absl::FormatDuration(options_.start_timeout), " (", last_reason[spec.name],
                         "); last lines of ", spec.log_file, ":\n", Indent(tail)));
        Err("stopping the cluster");
        return 1;
      }
      absl::SleepFor(poll);
      poll = std::min(poll * 2, kPollInterval);
    }
  }

  absl::Status Probe(const ComponentSpec& spec, absl::Duration running_for) {
    switch (spec.health) {
      case HealthCheck::kEtcdStatus:
        return CheckEtcd(spec.address, kProbeTimeout,
                         spec.health_uses_tls ? std::optional(spec.health_tls) : std::nullopt);
      case HealthCheck::kGrpcHealth:
        return CheckGrpcHealth(
            spec.address, kProbeTimeout,
            spec.health_uses_tls ? std::optional(spec.health_tls) : std::nullopt);
      case HealthCheck::kStaysUp:
        if (running_for >= kStaysUpGrace) return absl::OkStatus();
        return absl::UnavailableError("just started");
      case HealthCheck::kNodesReady: {
        if (clientset_ == nullptr) {
          auto cs = client::Clientset::Connect({.server = state_.apiserver,
                                                .timeout = absl::Seconds(2),
                                                .user_agent = "minik8s",
                                                .tls = AdminTls(options_)});
          if (!cs.ok()) return cs.status();
          clientset_ = *std::move(cs);
        }
        return CheckNodesReady(*clientset_, spec.node_names);
      }
    }
    return absl::InternalError("unknown health check");
  }

  void Shutdown(bool quiet) {
    // A daemon that died and was restarted by hand is no child of ours:
    // found by the address it serves, and stopped first.
    int max_stage = 0;
    std::vector<ProcessRecord> replaced;
    for (const ProcessRecord& p : state_.processes) {
      if (ProcessRunning(p.pid, p.binary)) continue;  // ours, stopped below
      replaced.push_back(p);
      max_stage = std::max(max_stage, p.stage);
    }
    if (!replaced.empty()) {
      StopDaemons({.processes = std::move(replaced)}, max_stage, options_.stop_timeout);
    }
    const absl::Time stop_start = absl::Now();
    supervisor_.StopAll(
        options_.stop_timeout,
        [&](const ChildProcess& c) {
          if (!quiet) {
            // The time since the stop began: where a slow stop spends it.
            Out(absl::StrFormat("  %-20s stopped (pid %d, %s) at +%s\n", c.name, c.pid,
                                DescribeWaitStatus(*c.wait_status),
                                FormatStartupTime(absl::Now() - stop_start)));
          }
        },
        kStopTogetherFromStage);
    std::remove(StateFilePath(options_.cluster.data_dir).c_str());
  }

  void PrintReady() {
    std::vector<std::vector<std::string>> rows = {{"COMPONENT", "PID", "ADDRESS", "LOG"}};
    for (const ComponentSpec& spec : specs_) {
      const ChildProcess* c = supervisor_.Find(spec.name);
      std::string address = spec.address.empty() ? "-" : spec.address;
      if (spec.node_names.size() == 1)
        absl::StrAppend(&address, " (node ", spec.node_names[0], ")");
      if (spec.node_names.size() > 1) {
        absl::StrAppend(&address, " (nodes ", spec.node_names.front(), "..", spec.node_names.back(),
                        ")");
      }
      rows.push_back({spec.name, c ? absl::StrCat(c->pid) : "-", address, spec.log_file});
    }
    const ClusterOptions& co = options_.cluster;
    if (!co.etcd_servers.empty())
      rows.insert(rows.begin() + 1, {"etcd", "-", co.etcd_servers, "-"});
    std::string text = absl::StrCat("\n", FormatTable(rows), "\n");
    const std::string mkctl = absl::StrCat(co.bin_dir, "/mkctl");
    const bool have_mkctl = access(mkctl.c_str(), X_OK) == 0;
    if (!options_.mkctl_config.empty()) {
      absl::StrAppend(&text, "mkctl reads the apiserver address (", state_.apiserver, ") from ",
                      options_.mkctl_config, "\n");
      const char* env = std::getenv("MINIK8S_CONFIG");
      const std::string home_config =
          absl::StrCat(std::getenv("HOME") ? std::getenv("HOME") : "", "/.minik8s/config");
      if ((env != nullptr && options_.mkctl_config != env) ||
          (env == nullptr && options_.mkctl_config != home_config)) {
        absl::StrAppend(&text, "  export MINIK8S_CONFIG=", options_.mkctl_config, "\n");
      }
    } else if (co.apiserver_tls && kubeconfig_written_) {
      absl::StrAppend(&text, "mkctl talks to this cluster with --kubeconfig ", options_.kubeconfig,
                      "\n");
    } else if (co.apiserver_tls) {
      const pki::ClusterPkiPaths pki = pki::ClusterPkiLayout(co.pki_dir, {});
      absl::StrAppend(&text, "mkctl talks to this cluster with --server https://", state_.apiserver,
                      " --certificate-authority ", pki.ca.cert, " --client-certificate ",
                      pki.admin.cert, " --client-key ", pki.admin.key, "\n");
    } else {
      absl::StrAppend(&text, "mkctl talks to this cluster with --server ", state_.apiserver, "\n");
    }
    // Commands that work from any folder, as printed.
    const std::string mkctl_cmd = CommandFor(mkctl);
    absl::StrAppend(&text,
                    have_mkctl ? "" : absl::StrCat("  (mkctl is not built in ", co.bin_dir, ")\n"),
                    "  ", mkctl_cmd, " get nodes\n", "  ", mkctl_cmd, " apply -f ",
                    ExampleManifest(co.bin_dir), "\n", "  ", mkctl_cmd, " get pods -o wide\n");
    if (kubeconfig_written_) {
      absl::StrAppend(&text, "kubectl reaches the cluster through ", options_.kubeconfig, "\n",
                      "  export KUBECONFIG=", options_.kubeconfig, "\n", "  kubectl get nodes\n");
    }
    if (!join_command_.empty()) {
      absl::StrAppend(&text, "Another machine joins as a node with (token valid 24 hours):\n  ",
                      join_command_, " --data-dir DIR\n");
    }
    absl::StrAppend(&text, "\nStop with Ctrl-C, or from another shell: minik8s down --data-dir ",
                    co.data_dir, "\n");
    const int nodes = co.nodes + co.scale_nodes;
    absl::StrAppend(&text, "minik8s: cluster is ready (", nodes, nodes == 1 ? " node" : " nodes",
                    ", apiserver ", state_.apiserver, ")\n");
    Out(text);
  }

  const UpOptions& options_;
  const std::vector<ComponentSpec> specs_;
  Supervisor supervisor_;
  ClusterState state_;
  std::unique_ptr<client::Clientset> clientset_;
  bool kubeconfig_written_ = false;
  const std::optional<std::string> ready_text_;
  std::string join_command_;
};

}  // namespace

std::string FormatTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& row : rows) {
    if (width.size() < row.size()) width.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 3, ' ');
    }
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

std::string FormatStartupTime(absl::Duration d) {
  if (d < absl::ZeroDuration()) d = absl::ZeroDuration();
  if (d < absl::Milliseconds(100)) return absl::StrCat(absl::ToInt64Milliseconds(d), "ms");
  return absl::StrFormat("%.1fs", absl::ToDoubleSeconds(d));
}

int Up(const UpOptions& up_options) {
  UpOptions options = up_options;
  ClusterOptions& co = options.cluster;
  if (!options.kubeconfig.empty()) {
    // Before the data dir, so that a fresh ~/.minik8s (the default home of
    // both) is created private. A failure here shows up when the kubeconfig
    // is written.
    std::filesystem::path parent = std::filesystem::path(options.kubeconfig).parent_path();
    if (!parent.empty()) MakePrivateDirs(parent.string()).IgnoreError();
  }
  for (const std::string& dir : {co.data_dir, LogDir(co.data_dir), RunDir(co.data_dir)}) {
    if (absl::Status s = MakeDirs(dir); !s.ok()) {
      Err(std::string(s.message()));
      return 1;
    }
  }
  DataDirLock lock;
  absl::StatusOr<bool> locked = lock.TryAcquire(LockFilePath(co.data_dir));
  if (!locked.ok()) {
    Err(std::string(locked.status().message()));
    return 1;
  }
  if (!*locked) {
    absl::StatusOr<ClusterState> state = ReadStateFile(StateFilePath(co.data_dir));
    Err(absl::StrCat(
        "a cluster is already running from ", co.data_dir,
        state.ok() ? absl::StrCat(" (minik8s up, pid ", state->supervisor_pid, ")") : "",
        "; see `minik8s status --data-dir ", co.data_dir,
        "`, stop it with `minik8s down --data-dir ", co.data_dir,
        "`, or choose another --data-dir"));
    return 1;
  }
  co.apiserver_tls = options.apiserver_tls;
  co.pki_dir = PkiDir(co.data_dir);
  if (co.scale_nodes > 0 && ::access("/dev/shm", W_OK | X_OK) == 0) {
    co.scale_kubelet_root_dir = MemoryBackedRootDir("/dev/shm", co.data_dir, ::getuid());
  }
  if (co.etcd_servers.empty() || co.apiserver_tls) {
    // The cluster's certificates (kubeadm's certs phase): made on the first
    // start, checked and completed on every later one.
    pki::ClusterPkiOptions pki_options;
    for (int i = 1; i <= co.nodes; ++i) pki_options.nodes.push_back({.name = NodeName(i)});
    if (co.advertise_address != "127.0.0.1") {
      pki_options.apiserver_ip_addresses.push_back(co.advertise_address);
    }
    if (co.scale_nodes > 0) pki_options.nodes.push_back({.name = kScaleKubeletPkiName});
    absl::StatusOr<pki::ClusterPkiPaths> pki =
        pki::EnsureClusterPki(PkiDir(co.data_dir), pki_options);
    if (!pki.ok()) {
      Err(absl::StrCat("cluster certificates: ", pki.status().message()));
      return 1;
    }
    if (!pki->written.empty()) {
      Out(absl::StrCat("minik8s: wrote ", pki->written.size(), " certificate and key files under ",
                       pki->dir, "\n"));
    }
    if (options.store_tls && co.etcd_servers.empty()) co.store_tls = StoreTlsFromPki(pki->dir);
  }
  absl::StatusOr<std::vector<ComponentSpec>> specs = PlanCluster(co);
  if (!specs.ok()) {
    Err(std::string(specs.status().message()));
    return 2;
  }
  for (const ComponentSpec& spec : *specs) {
    if (access(spec.binary.c_str(), X_OK) != 0) {
      Err(absl::StrCat("cannot find ", spec.binary, " (", spec.name,
                       "); build it, or point --bin-dir at the folder with the minik8s-* daemons"));
      return 1;
    }
  }
  for (const ComponentSpec& spec : *specs) {
    if (spec.port > 0 && LoopbackPortInUse(spec.port)) {
      Err(absl::StrCat("port ", spec.port, " is already in use (", spec.name,
                       "); choose another --port-base"));
      return 1;
    }
  }
  if (co.apiserver_tls) {
    if (absl::Status s =
            WriteComponentKubeconfigs(co, *specs, ApiserverAddress(co), ApiserverGrpcAddress(co));
        !s.ok()) {
      Err(absl::StrCat("component kubeconfigs: ", s.message()));
      return 1;
    }
  }
  if (!co.etcd_servers.empty()) {
    absl::StatusOr<std::vector<GrpcEndpoint>> endpoints = UrlListToGrpcEndpoints(co.etcd_servers);
    if (!endpoints.ok() || endpoints->empty()) {
      Err(absl::StrCat("--etcd-servers ", co.etcd_servers, ": ",
                       endpoints.ok() ? "no endpoint" : endpoints.status().message()));
      return 2;
    }
    const GrpcEndpoint& first = endpoints->front();
    if (absl::Status s =
            CheckEtcd(first.address, absl::Seconds(5),
                      first.tls ? std::optional(co.store_tls.ClientFiles()) : std::nullopt);
        !s.ok()) {
      Err(absl::StrCat("cannot reach etcd at ", first.address, ": ", s.message()));
      return 1;
    }
  }
  Out(absl::StrCat("minik8s: starting a cluster with ", co.nodes + co.scale_nodes,
                   co.nodes + co.scale_nodes == 1 ? " node" : " nodes", " (data dir ", co.data_dir,
                   ", ports from ", co.port_base, ")\n"));
  Cluster cluster(options, *std::move(specs));
  return cluster.Run();
}

int Supervise(const UpOptions& options, std::vector<ComponentSpec> specs,
              const std::string& ready_text) {
  const std::string& data_dir = options.cluster.data_dir;
  DataDirLock lock;
  absl::StatusOr<bool> locked = lock.TryAcquire(LockFilePath(data_dir));
  if (!locked.ok() || !*locked) {
    Err(locked.ok() ? absl::StrCat("something already runs from ", data_dir,
                                   "; stop it with `minik8s down --data-dir ", data_dir,
                                   "` or choose another --data-dir")
                    : std::string(locked.status().message()));
    return 1;
  }
  Cluster cluster(options, std::move(specs), ready_text);
  return cluster.Run();
}

int Down(const std::string& data_dir, absl::Duration timeout) {
  absl::StatusOr<ClusterState> state = ReadStateFile(StateFilePath(data_dir));
  if (absl::IsNotFound(state.status())) {
    Out(absl::StrCat("minik8s: no cluster is running from ", data_dir, "\n"));
    return 0;
  }
  if (!state.ok()) {
    Err(std::string(state.status().message()));
    return 1;
  }
  int max_stage = 0;
  for (const ProcessRecord& p : state->processes) max_stage = std::max(max_stage, p.stage);
  if (LockHeld(data_dir) && ProcessRunning(state->supervisor_pid, "")) {
    Out(absl::StrCat("minik8s: stopping the cluster of minik8s up (pid ", state->supervisor_pid,
                     ")\n"));
    kill(state->supervisor_pid, SIGTERM);
    const absl::Time deadline = absl::Now() + timeout * (max_stage + 1) + absl::Seconds(5);
    while (LockHeld(data_dir) && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(50));
    if (LockHeld(data_dir)) {
      Err(absl::StrCat("minik8s up (pid ", state->supervisor_pid,
                       ") did not stop in time; stopping its daemons directly"));
    }
  }
  // Whatever still runs (after a clean stop: nothing; after `up` was killed:
  // its daemons; and daemons restarted by hand), stage by stage from the last.
  StopDaemons(*state, max_stage, timeout);
  std::remove(StateFilePath(data_dir).c_str());
  Out("minik8s: cluster stopped\n");
  return 0;
}

int Status(const std::string& data_dir) {
  absl::StatusOr<ClusterState> state = ReadStateFile(StateFilePath(data_dir));
  if (absl::IsNotFound(state.status())) {
    Out(absl::StrCat("minik8s: no cluster is running from ", data_dir, "\n"));
    return 1;
  }
  if (!state.ok()) {
    Err(std::string(state.status().message()));
    return 1;
  }
  const bool up_alive = LockHeld(data_dir) && ProcessRunning(state->supervisor_pid, "");
  std::vector<std::vector<std::string>> rows = {{"COMPONENT", "PID", "STATUS", "ADDRESS", "LOG"}};
  rows.push_back({"minik8s up", absl::StrCat(state->supervisor_pid),
                  up_alive ? "running" : "not running", "-", "-"});
  bool all = up_alive;
  for (const ProcessRecord& p : state->processes) {
    bool by_hand = false;
    const std::optional<pid_t> pid = LivePid(p, &by_hand);
    all = all && pid.has_value();
    rows.push_back({p.name, absl::StrCat(pid.value_or(p.pid)),
                    !pid      ? "not running"
                    : by_hand ? "running (started by hand)"
                              : "running",
                    p.address.empty() ? "-" : p.address, p.log_file});
  }
  Out(FormatTable(rows));
  Out(absl::StrCat("apiserver: ", state->apiserver, "\n"));
  return all ? 0 : 1;
}

}  // namespace minik8s::cluster
