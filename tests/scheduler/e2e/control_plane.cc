#include "tests/scheduler/e2e/control_plane.h"

#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/net.h"

namespace minik8s::scheduler::e2e {

std::vector<std::string> ControlPlane::MissingBinaries(const std::vector<std::string>& names) {
  std::vector<std::string> missing;
  for (const std::string& name : names) {
    if (access(testing::BinPath(name).c_str(), X_OK) != 0) missing.push_back(name);
  }
  return missing;
}

ControlPlane::~ControlPlane() {
  for (auto& c : controller_managers_) c->Stop(SIGTERM, absl::Seconds(10));
  for (auto& s : schedulers_) s->Stop(SIGTERM, absl::Seconds(10));
  apiserver_.Stop(SIGTERM, absl::Seconds(10));
  store_.Stop(SIGTERM, absl::Seconds(10));
}

absl::Status ControlPlane::StartStore() {
  absl::Status s = store_.Start(
      {testing::BinPath("minik8s-store"), "--name", "default", "--data-dir", dir_.Join("store"),
       "--listen-client-urls", absl::StrCat("http://127.0.0.1:", store_port_)},
      dir_.Join("store.log"));
  if (!s.ok()) return s;
  if (!testing::WaitFor([&] { return testing::PortAcceptsConnections(store_port_); },
                        absl::Seconds(20))) {
    return absl::DeadlineExceededError(
        absl::StrCat("minik8s-store did not start:\n", LogTail("store.log")));
  }
  return absl::OkStatus();
}

absl::Status ControlPlane::StartApiserver() {
  absl::Status s = apiserver_.Start(
      {testing::BinPath("minik8s-apiserver"), "--etcd-servers",
       absl::StrCat("http://127.0.0.1:", store_port_), "--bind-address", "127.0.0.1", "--port",
       absl::StrCat(apiserver_port_)},
      dir_.Join("apiserver.log"));
  if (!s.ok()) return s;
  // Ready once the default namespace can be read (the apiserver creates it).
  if (!testing::WaitFor([&] { return clientset_->Namespaces().Get("", "default").ok(); },
                        absl::Seconds(30))) {
    return absl::DeadlineExceededError(
        absl::StrCat("minik8s-apiserver did not become ready:\n", LogTail("apiserver.log")));
  }
  return absl::OkStatus();
}

absl::Status ControlPlane::Start() {
  absl::StatusOr<int> store_port = PickFreeLoopbackPort();
  if (!store_port.ok()) return store_port.status();
  store_port_ = *store_port;
  if (absl::Status s = StartStore(); !s.ok()) return s;
  absl::StatusOr<int> api_port;
  do {
    api_port = PickFreeLoopbackPort();
    if (!api_port.ok()) return api_port.status();
  } while (*api_port == store_port_);
  apiserver_port_ = *api_port;
  apiserver_address_ = absl::StrCat("127.0.0.1:", apiserver_port_);
  auto cs = client::Clientset::Connect({.server = apiserver_address_});
  if (!cs.ok()) return cs.status();
  clientset_ = *std::move(cs);
  return StartApiserver();
}

absl::Status ControlPlane::RestartStore(int sig) {
  store_.Stop(sig, absl::Seconds(20));
  return StartStore();
}

absl::Status ControlPlane::RestartApiserver(int sig) {
  apiserver_.Stop(sig, absl::Seconds(20));
  return StartApiserver();
}

absl::Status ControlPlane::StartScheduler(const std::vector<std::string>& extra_flags) {
  std::vector<std::string> argv = {testing::BinPath("minik8s-scheduler"), "--server",
                                   apiserver_address_};
  argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
  auto proc = std::make_unique<testing::Subprocess>();
  absl::Status s =
      proc->Start(argv, dir_.Join(absl::StrCat("scheduler-", schedulers_.size(), ".log")));
  if (!s.ok()) return s;
  schedulers_.push_back(std::move(proc));
  return absl::OkStatus();
}

std::optional<int> ControlPlane::StopScheduler() {
  if (schedulers_.empty()) return std::nullopt;
  return schedulers_.back()->Stop(SIGTERM, absl::Seconds(20));
}

std::optional<int> ControlPlane::StopScheduler(size_t n, int sig) {
  if (n >= schedulers_.size()) return std::nullopt;
  return schedulers_[n]->Stop(sig, absl::Seconds(20));
}

absl::Status ControlPlane::StartControllerManager(const std::vector<std::string>& extra_flags) {
  std::vector<std::string> argv = {testing::BinPath("minik8s-controller-manager"), "--server",
                                   apiserver_address_};
  argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
  auto proc = std::make_unique<testing::Subprocess>();
  absl::Status s = proc->Start(
      argv, dir_.Join(absl::StrCat("controller-manager-", controller_managers_.size(), ".log")));
  if (!s.ok()) return s;
  controller_managers_.push_back(std::move(proc));
  return absl::OkStatus();
}

std::optional<int> ControlPlane::StopControllerManager(size_t n, int sig) {
  if (n >= controller_managers_.size()) return std::nullopt;
  return controller_managers_[n]->Stop(sig, absl::Seconds(20));
}

pid_t ControlPlane::scheduler_pid(size_t n) const {
  return n < schedulers_.size() ? schedulers_[n]->pid() : -1;
}

pid_t ControlPlane::controller_manager_pid(size_t n) const {
  return n < controller_managers_.size() ? controller_managers_[n]->pid() : -1;
}

std::string ControlPlane::LogTail(const std::string& name, size_t bytes) const {
  std::ifstream in(dir_.Join(name));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string all = ss.str();
  return all.size() > bytes ? all.substr(all.size() - bytes) : all;
}

}  // namespace minik8s::scheduler::e2e
