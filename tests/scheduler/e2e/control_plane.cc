#include "tests/scheduler/e2e/control_plane.h"

#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/net.h"

namespace minik8s::scheduler::e2e {

std::vector<std::string> ControlPlane::MissingBinaries() {
  std::vector<std::string> missing;
  for (const char* name : {"minik8s-store", "minik8s-apiserver", "minik8s-scheduler"}) {
    if (access(testing::BinPath(name).c_str(), X_OK) != 0) missing.push_back(name);
  }
  return missing;
}

ControlPlane::~ControlPlane() {
  for (auto& s : schedulers_) s->Stop(SIGTERM, absl::Seconds(10));
  apiserver_.Stop(SIGTERM, absl::Seconds(10));
  store_.Stop(SIGTERM, absl::Seconds(10));
}

absl::Status ControlPlane::Start() {
  absl::StatusOr<int> store_port = PickFreeLoopbackPort();
  if (!store_port.ok()) return store_port.status();
  absl::Status s = store_.Start(
      {testing::BinPath("minik8s-store"), "--name", "default", "--data-dir", dir_.Join("store"),
       "--listen-client-urls", absl::StrCat("http://127.0.0.1:", *store_port)},
      dir_.Join("store.log"));
  if (!s.ok()) return s;
  if (!testing::WaitFor([&] { return testing::PortAcceptsConnections(*store_port); },
                        absl::Seconds(20))) {
    return absl::DeadlineExceededError(
        absl::StrCat("minik8s-store did not start:\n", LogTail("store.log")));
  }
  absl::StatusOr<int> api_port;
  do {
    api_port = PickFreeLoopbackPort();
    if (!api_port.ok()) return api_port.status();
  } while (*api_port == *store_port);
  s = apiserver_.Start({testing::BinPath("minik8s-apiserver"), "--etcd-servers",
                        absl::StrCat("http://127.0.0.1:", *store_port), "--bind-address",
                        "127.0.0.1", "--port", absl::StrCat(*api_port)},
                       dir_.Join("apiserver.log"));
  if (!s.ok()) return s;
  apiserver_address_ = absl::StrCat("127.0.0.1:", *api_port);
  auto cs = client::Clientset::Connect({.server = apiserver_address_});
  if (!cs.ok()) return cs.status();
  clientset_ = *std::move(cs);
  // Ready once the default namespace exists (the apiserver creates it).
  if (!testing::WaitFor([&] { return clientset_->Namespaces().Get("", "default").ok(); },
                        absl::Seconds(30))) {
    return absl::DeadlineExceededError(
        absl::StrCat("minik8s-apiserver did not become ready:\n", LogTail("apiserver.log")));
  }
  return absl::OkStatus();
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

std::string ControlPlane::LogTail(const std::string& name, size_t bytes) const {
  std::ifstream in(dir_.Join(name));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string all = ss.str();
  return all.size() > bytes ? all.substr(all.size() - bytes) : all;
}

}  // namespace minik8s::scheduler::e2e
