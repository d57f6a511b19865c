#include "testing/cluster_harness.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <random>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cluster/plan.h"
#include "cluster/state_file.h"
#include "cluster/supervisor.h"
#include "testing/file_util.h"

namespace minik8s::testing {
namespace {

constexpr char kReadyLine[] = "minik8s: cluster is ready";

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

}  // namespace

int PickClusterPortBase(int nodes) {
  std::mt19937 rng(std::random_device{}());
  // Below the kernel's ephemeral range (ip_local_port_range, 32768 by
  // default): a client socket of a test running beside this one can take any
  // port in that range between our check and the daemon's bind.
  int ephemeral_low = 32768;
  {
    std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
    int low = 0;
    if (range >> low && low > 12000) ephemeral_low = low;
  }
  const absl::StatusOr<cluster::PortPlan> probe = cluster::DerivePorts(20000, nodes);
  const int span = probe.ok() ? probe->last - probe->first + 1 : 1000;
  // Bases 100 * [100, 100 + kClusterNetworks): clusters running side by side
  // then also get distinct pod and service networks (cluster/plan.h).
  std::uniform_int_distribution<int> dist(
      100, std::max(100, std::min((ephemeral_low - span) / 100 - 1,
                                  100 + cluster::kClusterNetworks - 1)));
  for (int attempt = 0; attempt < 200; ++attempt) {
    const int base = dist(rng) * 100;  // 10000 .. below the ephemeral range
    auto ports = cluster::DerivePorts(base, nodes);
    if (!ports.ok()) continue;
    bool free = true;
    for (int p = ports->first; p <= ports->last && free; ++p) {
      free = !cluster::LoopbackPortInUse(p);
    }
    if (free) return base;
  }
  return 0;
}

std::string ClusterHarness::MissingPrerequisite(BackendKind backend) {
  for (const char* bin :
       {"minik8s", "minik8s-apiserver", "minik8s-controller-manager", "minik8s-scheduler",
        "minik8s-runtime", "minik8s-kubelet", "minik8s-proxy", "mkctl"}) {
    if (!Exists(testing::BinPath(bin))) return absl::StrCat(testing::BinPath(bin), " is not built");
  }
  if (backend == BackendKind::kMinik8sStore && !Exists(testing::BinPath("minik8s-store"))) {
    return absl::StrCat(testing::BinPath("minik8s-store"), " is not built");
  }
  if (backend == BackendKind::kEtcd && testing::FindOnPath("etcd").empty()) {
    return "etcd is not on PATH";
  }
  return "";
}

ClusterHarness::ClusterHarness(Options options) : options_(std::move(options)) {
  data_dir_ = dir_.Join("data");
}

ClusterHarness::~ClusterHarness() {
  cs_.reset();
  if (up_.running()) up_.Stop(SIGTERM, absl::Seconds(60));
  if (etcd_ != nullptr && etcd_->running()) (void)etcd_->Stop();
}

absl::Status ClusterHarness::Start() {
  if (port_base_ != 0) return StartAtPortBase();
  // A test running beside this one may take a port of the range between
  // PickClusterPortBase's check and `minik8s up`'s (seen: another test
  // holding a port on purpose), which up refuses at once: another range then.
  for (int attempt = 1;; ++attempt) {
    port_base_ = PickClusterPortBase(options_.nodes);
    if (port_base_ == 0) return absl::UnavailableError("no free port range found");
    api_ = absl::StrCat("127.0.0.1:", port_base_ + 3);
    absl::Status s = StartAtPortBase();
    if (s.ok() || attempt == 3 || !absl::StrContains(s.message(), "is already in use")) return s;
    std::cerr << "ClusterHarness: port base " << port_base_ << " was taken, another\n";
  }
}

absl::Status ClusterHarness::StartAtPortBase() {
  std::vector<std::string> argv = {testing::BinPath("minik8s"),
                                   "up",
                                   "--nodes",
                                   std::to_string(options_.nodes),
                                   "--port-base",
                                   std::to_string(port_base_),
                                   "--data-dir",
                                   data_dir_,
                                   "--mkctl-config",
                                   "",
                                   "--kubeconfig",
                                   kubeconfig()};
  if (options_.backend == BackendKind::kEtcd) {
    if (etcd_ == nullptr) {
      etcd_ = std::make_unique<testing::StoreBackend>(
          testing::StoreBackend::Options{.kind = testing::BackendKind::kEtcd});
    }
    absl::Status s =
        etcd_started_ ? (etcd_->running() ? absl::OkStatus() : etcd_->Restart()) : etcd_->Start();
    if (!s.ok()) return s;
    etcd_started_ = true;
    argv.push_back("--etcd-servers");
    argv.push_back(etcd_->endpoint());
  }
  argv.push_back(options_.apiserver_tls ? "--apiserver-tls=true" : "--apiserver-tls=false");
  for (const std::string& f : options_.up_flags) argv.push_back(f);
  const std::string log = dir_.Join("up.log");
  std::remove(log.c_str());
  absl::Status s = up_.Start(argv, log);
  if (!s.ok()) return s;
  if (!testing::WaitFor(
          [&] { return absl::StrContains(ReadFile(log), kReadyLine) || up_.Exited(); },
          absl::Seconds(120)) ||
      !up_.running()) {
    return absl::InternalError(absl::StrCat("minik8s up did not get ready:\n", ReadFile(log)));
  }
  auto cs = client::Clientset::Connect(
      {.server = api_, .timeout = absl::Seconds(10), .tls = admin_tls()});
  if (!cs.ok()) return cs.status();
  cs_ = *std::move(cs);
  const bool ready = testing::WaitFor(
      [&] {
        auto nodes = cs_->Nodes().List("");
        if (!nodes.ok()) return false;
        int n = 0;
        for (const auto& node : nodes->items) {
          for (const auto& c : node.status().conditions()) {
            if (c.type() == "Ready" && c.status() == "True") ++n;
          }
        }
        return n == options_.nodes;
      },
      absl::Seconds(60));
  if (!ready) return absl::InternalError("the nodes did not become Ready");
  return absl::OkStatus();
}

absl::Status ClusterHarness::Stop(bool stop_etcd) {
  cs_.reset();
  std::vector<cluster::ProcessRecord> daemons;
  if (auto state = cluster::ReadStateFile(cluster::StateFilePath(data_dir_)); state.ok()) {
    daemons = state->processes;
  }
  std::optional<int> status = up_.Stop(SIGTERM, absl::Seconds(90));
  if (!status.has_value() || !WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
    return absl::InternalError(
        absl::StrCat("minik8s up did not exit cleanly: ",
                     status.has_value() ? cluster::DescribeWaitStatus(*status) : "no status"));
  }
  for (const cluster::ProcessRecord& p : daemons) {
    if (cluster::ProcessRunning(p.pid, p.binary)) {
      return absl::InternalError(absl::StrCat(p.name, " still runs after minik8s up stopped"));
    }
  }
  if (stop_etcd && etcd_ != nullptr && etcd_->running()) return etcd_->Stop();
  return absl::OkStatus();
}

std::optional<TlsClientFiles> ClusterHarness::admin_tls() const {
  if (!options_.apiserver_tls) return std::nullopt;
  return cluster::AdminTlsFromPki(cluster::PkiDir(data_dir_));
}

std::vector<std::string> ClusterHarness::MkctlCommand(std::vector<std::string> args) const {
  if (options_.apiserver_tls) {
    // The kubeconfig `up` wrote carries the CA and the admin's certificate.
    args.insert(args.begin(), {testing::BinPath("mkctl"), "--kubeconfig", kubeconfig()});
  } else {
    args.insert(args.begin(), {testing::BinPath("mkctl"), "--server", api_});
  }
  return args;
}

int ClusterHarness::Mkctl(std::vector<std::string> args, std::string* out,
                          const std::string& stdin_data) const {
  return testing::RunCommand(MkctlCommand(std::move(args)), out, absl::Seconds(120), stdin_data);
}

std::vector<std::string> ClusterHarness::KubectlCommand(std::vector<std::string> args) const {
  args.insert(args.begin(), {"/usr/bin/kubectl", "--kubeconfig", kubeconfig(), "--cache-dir",
                             dir_.Join("kube-cache")});
  return args;
}

int ClusterHarness::Kubectl(std::vector<std::string> args, std::string* out,
                            const std::string& stdin_data, absl::Duration timeout) const {
  return testing::RunCommand(KubectlCommand(std::move(args)), out, timeout, stdin_data);
}

std::string ClusterHarness::WriteFile(const std::string& name, const std::string& text) const {
  const std::string path = dir_.Join(name);
  (void)::minik8s::testing::WriteFile(path, text);  // a failed write shows as a missing file
  return path;
}

pid_t ClusterHarness::DaemonPid(const std::string& name) const {
  auto state = cluster::ReadStateFile(cluster::StateFilePath(data_dir_));
  if (!state.ok()) return 0;
  for (const auto& p : state->processes) {
    if (p.name == name) return p.pid;
  }
  return 0;
}

std::string ClusterHarness::UpOutput() const { return ReadFile(dir_.Join("up.log")); }

std::string ClusterHarness::Diagnostics() const {
  std::string out = absl::StrCat("---- minik8s up output\n", ReadFile(dir_.Join("up.log")), "\n");
  std::vector<std::string> names = {"apiserver", "controller-manager", "scheduler"};
  for (int i = 1; i <= options_.nodes; ++i) names.push_back(absl::StrCat("kubelet-node-", i));
  for (const std::string& name : names) {
    absl::StrAppend(&out, "---- ", name, " log (tail)\n",
                    cluster::LogTail(absl::StrCat(data_dir_, "/logs/", name, ".log"), 25), "\n");
  }
  if (etcd_ != nullptr) absl::StrAppend(&out, "---- etcd log (tail)\n", etcd_->LogTail(15), "\n");
  return out;
}

std::vector<std::vector<std::string>> TableRows(const std::string& table) {
  std::vector<std::vector<std::string>> rows;
  bool header = true;
  for (absl::string_view line : absl::StrSplit(table, '\n', absl::SkipEmpty())) {
    if (header) {
      header = false;
      continue;
    }
    rows.push_back(absl::StrSplit(line, ' ', absl::SkipEmpty()));
  }
  return rows;
}

}  // namespace minik8s::testing
