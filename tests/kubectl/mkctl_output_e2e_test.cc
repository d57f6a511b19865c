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
#include "tests/kubectl/mkctl_vs_kubectl.h"

namespace minik8s {
namespace {

class MkctlOutputE2E : public MkctlVsKubectlE2E {};

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
