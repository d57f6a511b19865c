#include "tests/kubectl/mkctl_vs_kubectl.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "testing/file_util.h"

namespace minik8s {

std::string* MkctlVsKubectlE2E::skip_reason_ = nullptr;
testing::ControlPlane* MkctlVsKubectlE2E::cp_ = nullptr;
int MkctlVsKubectlE2E::api_port_ = 0;

void MkctlVsKubectlE2E::SetUpTestSuite() {
  std::string why = testing::ControlPlane::MissingPrerequisite(testing::BackendKind::kMinik8sStore,
                                                               {"minik8s-apiserver", "mkctl"});
  if (!why.empty()) {
    skip_reason_ = new std::string(why);
    return;
  }
  cp_ = new testing::ControlPlane();
  absl::Status started = cp_->Start();
  ASSERT_TRUE(started.ok()) << started;
  api_port_ = cp_->apiserver_port();
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        std::string out;
        return testing::RunCommand({testing::BinPath("mkctl"), "--server",
                                    absl::StrCat("127.0.0.1:", api_port_), "get", "ns"},
                                   &out, absl::Seconds(10)) == 0;
      },
      absl::Seconds(30)));
  std::string out;
  ASSERT_EQ(testing::RunCommand({testing::BinPath("mkctl"), "--server",
                                 absl::StrCat("127.0.0.1:", api_port_), "apply", "-f", "-"},
                                &out, absl::Seconds(30),
                                "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: m\n---\n"
                                "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: k\n"),
            0)
      << out;
}

void MkctlVsKubectlE2E::TearDownTestSuite() {
  delete cp_;
  delete skip_reason_;
  cp_ = nullptr;
  skip_reason_ = nullptr;
}

void MkctlVsKubectlE2E::SetUp() {
  if (skip_reason_ != nullptr) GTEST_SKIP() << *skip_reason_;
}

int MkctlVsKubectlE2E::Mkctl(std::vector<std::string> args, std::string* out,
                             const std::string& stdin_data) {
  args.insert(args.begin(),
              {testing::BinPath("mkctl"), "--server", absl::StrCat("127.0.0.1:", api_port_)});
  return testing::RunCommand(args, out, absl::Seconds(60), stdin_data);
}

std::string MkctlVsKubectlE2E::MkctlOk(std::vector<std::string> args,
                                       const std::string& stdin_data) {
  std::string out;
  EXPECT_EQ(Mkctl(args, &out, stdin_data), 0) << absl::StrJoin(args, " ") << "\n" << out;
  return out;
}

bool MkctlVsKubectlE2E::Kubectl(std::vector<std::string> args, std::string* out, int* code) {
  if (access(kRealKubectl, X_OK) != 0) return false;
  std::vector<std::string> flags = cp_->KubectlCacheFlags();
  args.insert(args.begin(), flags.begin(), flags.end());
  args.insert(args.begin(),
              {kRealKubectl, "--server", absl::StrCat("http://127.0.0.1:", api_port_)});
  *code = testing::RunCommand(args, out, absl::Seconds(60));
  return true;
}

std::string MkctlVsKubectlE2E::Both(const std::vector<std::string>& args, int want_code,
                                    bool first_line) {
  std::vector<std::string> m = args, k = args;
  m.insert(m.begin(), {"-n", "m"});
  k.insert(k.begin(), {"-n", "k"});
  std::string out;
  EXPECT_EQ(Mkctl(m, &out), want_code) << absl::StrJoin(args, " ") << "\n" << out;
  std::string real;
  int code = 0;
  if (Kubectl(k, &real, &code)) {
    EXPECT_EQ(code, want_code) << "kubectl " << absl::StrJoin(args, " ") << "\n" << real;
    if (first_line) {
      EXPECT_EQ(out.substr(0, out.find('\n')), real.substr(0, real.find('\n')))
          << "kubectl " << absl::StrJoin(args, " ");
    } else {
      EXPECT_EQ(out, real) << "kubectl " << absl::StrJoin(args, " ");
    }
  }
  return out;
}

void MkctlVsKubectlE2E::Setup(const std::vector<std::string>& args, const std::string& stdin_data) {
  for (const char* ns : {"m", "k"}) {
    std::vector<std::string> a = args;
    a.insert(a.begin(), {"-n", ns});
    MkctlOk(a, stdin_data);
  }
}

}  // namespace minik8s
