// The fixture of the e2e suites that run mkctl and the real kubectl side by
// side: one store + apiserver for the suite (skipped when the daemons or
// mkctl are not built), namespaces `m` (mkctl's) and `k` (kubectl's), and
// helpers that run a command with each and compare exit code and output.
// The real kubectl talks to the apiserver's HTTP API; when /usr/bin/kubectl
// is missing, only mkctl's side runs.
#ifndef MINIK8S_TESTS_KUBECTL_MKCTL_VS_KUBECTL_H_
#define MINIK8S_TESTS_KUBECTL_MKCTL_VS_KUBECTL_H_

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "testing/control_plane.h"

namespace minik8s {

inline constexpr char kRealKubectl[] = "/usr/bin/kubectl";

class MkctlVsKubectlE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override;

  // mkctl against the test apiserver: the exit code; stdout+stderr in *out.
  int Mkctl(std::vector<std::string> args, std::string* out, const std::string& stdin_data = "");
  // mkctl expected to exit 0; its output.
  std::string MkctlOk(std::vector<std::string> args, const std::string& stdin_data = "");
  // The real kubectl over HTTP; false when it is not installed.
  bool Kubectl(std::vector<std::string> args, std::string* out, int* code);
  // Runs `args` with mkctl in namespace `m` and, when installed, the real
  // kubectl in namespace `k` (the same objects, made the same way with
  // Setup); expects the same exit code and output, and returns mkctl's.
  // With `first_line`, only the first lines are compared (the rest names
  // the namespace, uid or age, which differ).
  std::string Both(const std::vector<std::string>& args, int want_code, bool first_line = false);
  // Runs mkctl with `args` in both namespaces `m` and `k`.
  void Setup(const std::vector<std::string>& args, const std::string& stdin_data = "");

  static std::string* skip_reason_;
  static testing::ControlPlane* cp_;
  static int api_port_;
};

}  // namespace minik8s

#endif  // MINIK8S_TESTS_KUBECTL_MKCTL_VS_KUBECTL_H_
