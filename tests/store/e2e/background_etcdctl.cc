#include "tests/store/e2e/background_etcdctl.h"

#include <signal.h>

#include <fstream>
#include <sstream>

namespace minik8s::storetest {

absl::Status BackgroundEtcdctl::Start(const std::vector<std::string>& args) {
  return process_.Start(backend_->EtcdctlArgv(args), dir_.Join("output"));
}

std::string BackgroundEtcdctl::Output() const {
  std::ifstream in(dir_.Join("output"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string BackgroundEtcdctl::WaitForOutput(const std::string& expected, absl::Duration timeout) {
  std::string last;
  testing::WaitFor(
      [&] {
        last = Output();
        return last == expected;
      },
      timeout);
  return last;
}

bool BackgroundEtcdctl::WaitForExit(absl::Duration timeout) {
  return testing::WaitFor([&] { return process_.Exited(); }, timeout);
}

void BackgroundEtcdctl::Kill() {
  if (process_.running()) process_.Stop(SIGKILL);
}

}  // namespace minik8s::storetest
