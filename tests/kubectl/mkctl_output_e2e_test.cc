// End to end, against the real minik8s-store and minik8s-apiserver: get's
// -o jsonpath / jsonpath-file / jsonpath-as-json / custom-columns /
// custom-columns-file and -L, compared with the real kubectl over the
// apiserver's HTTP API when /usr/bin/kubectl exists (the same objects in
// namespaces m and k). Skips when the daemons are not built.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "testing/control_plane.h"
#include "testing/file_util.h"

namespace minik8s {
namespace {

constexpr char kRealKubectl[] = "/usr/bin/kubectl";

class MkctlOutputE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string why = testing::ControlPlane::MissingPrerequisite(
        testing::BackendKind::kMinik8sStore, {"minik8s-apiserver", "mkctl"});
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

  static void TearDownTestSuite() {
    delete cp_;
    delete skip_reason_;
    cp_ = nullptr;
    skip_reason_ = nullptr;
  }

  void SetUp() override {
    if (skip_reason_ != nullptr) GTEST_SKIP() << *skip_reason_;
  }

  // mkctl against the test apiserver: the exit code; stdout+stderr in *out.
  int Mkctl(std::vector<std::string> args, std::string* out, const std::string& stdin_data = "") {
    args.insert(args.begin(),
                {testing::BinPath("mkctl"), "--server", absl::StrCat("127.0.0.1:", api_port_)});
    return testing::RunCommand(args, out, absl::Seconds(60), stdin_data);
  }
  std::string MkctlOk(std::vector<std::string> args, const std::string& stdin_data = "") {
    std::string out;
    EXPECT_EQ(Mkctl(args, &out, stdin_data), 0) << absl::StrJoin(args, " ") << "\n" << out;
    return out;
  }
  // The real kubectl over HTTP; false when it is not installed.
  bool Kubectl(std::vector<std::string> args, std::string* out, int* code) {
    if (access(kRealKubectl, X_OK) != 0) return false;
    args.insert(args.begin(),
                {kRealKubectl, "--server", absl::StrCat("http://127.0.0.1:", api_port_)});
    *code = testing::RunCommand(args, out, absl::Seconds(60));
    return true;
  }
  // Runs `args` with mkctl in namespace `m` and, when installed, the real
  // kubectl in namespace `k` (the same objects, made the same way with
  // Setup); expects the same exit code and output, and returns mkctl's.
  // With `first_line`, only the first lines are compared (the rest names
  // the namespace, uid or age, which differ).
  std::string Both(const std::vector<std::string>& args, int want_code, bool first_line = false) {
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
  // Runs mkctl with `args` in both namespaces `m` and `k`.
  void Setup(const std::vector<std::string>& args, const std::string& stdin_data = "") {
    for (const char* ns : {"m", "k"}) {
      std::vector<std::string> a = args;
      a.insert(a.begin(), {"-n", ns});
      MkctlOk(a, stdin_data);
    }
  }

  static std::string* skip_reason_;
  static testing::ControlPlane* cp_;
  static int api_port_;
};

std::string* MkctlOutputE2E::skip_reason_ = nullptr;
testing::ControlPlane* MkctlOutputE2E::cp_ = nullptr;
int MkctlOutputE2E::api_port_ = 0;

TEST_F(MkctlOutputE2E, JsonPathAsKubectl) {
  Setup({"create", "deployment", "jp", "--image=nginx:1.25", "--replicas=2"});
  Setup({"label", "deploy", "jp", "app.kubernetes.io/name=shop"});
  Setup({"apply", "-f", "-"},
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: jp-pod\n  labels:\n    app: jp\n"
        "spec:\n  containers:\n  - name: a\n    image: nginx\n  - name: b\n    image: redis\n");
  EXPECT_EQ(Both({"get", "deploy", "jp", "-o", "jsonpath={.metadata.name} {.spec.replicas}"}, 0),
            "jp 2");
  EXPECT_EQ(Both({"get", "deploy", "jp", "-o", "jsonpath={.metadata.labels}"}, 0),
            R"({"app":"jp","app.kubernetes.io/name":"shop"})");
  EXPECT_EQ(
      Both({"get", "deploy", "jp", "-o", R"(jsonpath={.metadata.labels.app\.kubernetes\.io/name})"},
           0),
      "shop");
  EXPECT_EQ(Both({"get", "pods", "-o",
                  R"(jsonpath={range .items[*]}{.metadata.name}:{range .spec.containers[*]})"
                  R"( {.name}={.image}{end}{"\n"}{end})"},
                 0),
            "jp-pod: a=nginx b=redis\n");
  EXPECT_EQ(
      Both({"get", "pod", "jp-pod", "-o", R"(jsonpath={.spec.containers[?(@.name=="b")].image})"},
           0),
      "redis");
  EXPECT_EQ(Both({"get", "deploy,pods", "-o", "jsonpath={.items[*].kind} {.kind}"}, 0),
            "Deployment Pod List");
  EXPECT_EQ(Both({"get", "pod", "jp-pod", "-o", "jsonpath-as-json={.spec.containers[*].name}"}, 0),
            "[\n    \"a\",\n    \"b\"\n]\n");
  EXPECT_EQ(Both({"get", "deploy", "jp", "-o", "jsonpath", "--template={.kind}"}, 0), "Deployment");
  EXPECT_EQ(Both({"get", "deploy", "-l", "none=here", "-o", "jsonpath={.items}"}, 0), "[]");
  EXPECT_EQ(Both({"get", "deploy", "jp", "-o", "jsonpath={.items[*}"}, 1),
            "error: error parsing jsonpath {.items[*}, unterminated array\n");
  EXPECT_EQ(Both({"get", "deploy", "jp", "-o", "jsonpath"}, 1),
            "error: template format specified but no template given\n");
  EXPECT_TRUE(absl::StartsWith(
      Both({"get", "pod", "jp-pod", "-o", "jsonpath={.spec.containers[5]}"}, 1, true),
      "error: error executing jsonpath \"{.spec.containers[5]}\": Error executing template: "
      "array index out of bounds: index 5, length 2. Printing more information"));
  EXPECT_TRUE(absl::StartsWith(
      Both({"get", "deploy", "jp", "-o", "jsonpath={.nope}", "--allow-missing-template-keys=false"},
           1, true),
      "error: error executing jsonpath \"{.nope}\": Error executing template: nope is not "
      "found."));
  const std::string file = ::testing::TempDir() + "mkctl_jsonpath_" + std::to_string(getpid());
  std::ofstream(file) << "{.metadata.name}{\"\\n\"}";
  EXPECT_EQ(Both({"get", "deploy", "jp", "-o", "jsonpath-file=" + file}, 0), "jp\n");
  std::remove(file.c_str());
}

TEST_F(MkctlOutputE2E, CustomColumnsAndLabelColumnsAsKubectl) {
  Setup({"create", "deployment", "cc", "--image=nginx", "--replicas=3"});
  Setup({"apply", "-f", "-"},
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: cc-pod\n  labels:\n    app: cc\n"
        "    tier: web\nspec:\n  containers:\n  - name: a\n    image: nginx\n  - name: b\n"
        "    image: redis\n");
  EXPECT_EQ(Both({"get", "pods", "-l", "app=cc", "-o",
                  "custom-columns=NAME:.metadata.name,IMAGES:.spec.containers[*].image,"
                  "LABELS:.metadata.labels,NODE:.spec.nodeName"},
                 0),
            "NAME     IMAGES        LABELS                 NODE\n"
            "cc-pod   nginx,redis   map[app:cc tier:web]   <none>\n");
  EXPECT_EQ(Both({"get", "deploy", "cc", "-o", "custom-columns=R:{.spec.replicas},K:kind",
                  "--no-headers"},
                 0),
            "3     Deployment\n");
  const std::string file = ::testing::TempDir() + "mkctl_columns_" + std::to_string(getpid());
  std::ofstream(file) << "NAME   REPLICAS\n.metadata.name   .spec.replicas\n";
  EXPECT_EQ(Both({"get", "deploy", "cc", "-o", "custom-columns-file=" + file}, 0),
            "NAME   REPLICAS\ncc     3\n");
  std::remove(file.c_str());
  EXPECT_EQ(Both({"get", "deploy", "-o", "custom-columns=NAME"}, 1),
            "error: unexpected custom-columns spec: NAME, expected <header>:<json-path-expr>\n");
  EXPECT_EQ(Both({"get", "deploy", "-o", "custom-columns="}, 1),
            "error: custom-columns format specified but no custom columns given\n");
  const std::string l = Both({"get", "pods", "-L", "tier,app", "-L", "nope"}, 0, true);
  EXPECT_TRUE(
      absl::StartsWith(l, "NAME     READY   STATUS    RESTARTS   AGE   TIER   APP   NOPE\n"))
      << l;
}

}  // namespace
}  // namespace minik8s
