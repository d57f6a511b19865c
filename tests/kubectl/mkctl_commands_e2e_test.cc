// End to end, against the real minik8s-store and minik8s-apiserver: label,
// annotate, patch and api-versions (compared with the real kubectl over the
// apiserver's HTTP API when /usr/bin/kubectl exists), and the trace's
// replay of the store's history. Skips when the daemons are not built.
#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "testing/control_plane.h"
#include "testing/file_util.h"
#include "tests/kubectl/mkctl_vs_kubectl.h"

namespace minik8s {
namespace {

class MkctlCommandsE2E : public MkctlVsKubectlE2E {};

TEST_F(MkctlCommandsE2E, LabelAndAnnotateAsKubectl) {
  Setup({"create", "deployment", "lab", "--image=nginx"});
  EXPECT_EQ(Both({"label", "deploy", "lab", "tier=web"}, 0), "deployment.apps/lab labeled\n");
  EXPECT_EQ(Both({"label", "deploy", "lab", "tier=api"}, 1),
            "error: 'tier' already has a value (web), and --overwrite is false\n");
  EXPECT_EQ(Both({"label", "deploy/lab", "tier=api", "--overwrite"}, 0),
            "deployment.apps/lab labeled\n");
  EXPECT_EQ(Both({"label", "deploy", "lab", "tier=api"}, 0), "deployment.apps/lab not labeled\n");
  EXPECT_EQ(Both({"label", "deploy", "lab", "tier-"}, 0), "deployment.apps/lab unlabeled\n");
  EXPECT_EQ(Both({"label", "deploy", "lab", "tier-"}, 0),
            "label \"tier\" not found.\ndeployment.apps/lab not labeled\n");
  EXPECT_EQ(Both({"label", "deploy", "--all", "team=a"}, 0), "deployment.apps/lab labeled\n");
  EXPECT_EQ(Both({"label", "deploy", "-l", "team=a", "team=b", "--overwrite"}, 0),
            "deployment.apps/lab labeled\n");
  EXPECT_NE(MkctlOk({"get", "deploy", "lab", "-n", "m", "--show-labels"}).find("app=lab,team=b"),
            std::string::npos);

  EXPECT_EQ(Both({"annotate", "deploy", "lab", "note=one"}, 0), "deployment.apps/lab annotated\n");
  EXPECT_EQ(Both({"annotate", "deploy", "lab", "note=two"}, 1),
            "error: --overwrite is false but found the following declared annotation(s): 'note' "
            "already has a value (one)\n");
  EXPECT_EQ(Both({"annotate", "deploy", "lab", "note-"}, 0), "deployment.apps/lab annotated\n");
  EXPECT_EQ(MkctlOk({"get", "deploy", "lab", "-n", "m", "-o", "yaml"}).find("note:"),
            std::string::npos);
  EXPECT_EQ(Both({"label", "deploy", "nope", "a=b"}, 1),
            "Error from server (NotFound): deployments.apps \"nope\" not found\n");
}

TEST_F(MkctlCommandsE2E, PatchEveryType) {
  Setup({"create", "deployment", "pat", "--image=nginx:1.25", "--port=80"});
  // Strategic (the default): the container merged by name, its port kept.
  EXPECT_EQ(
      Both(
          {"patch", "deploy", "pat", "-p",
           R"({"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.26"}]}}}})"},
          0),
      "deployment.apps/pat patched\n");
  std::string yaml = MkctlOk({"get", "deploy", "pat", "-n", "m", "-o", "yaml"});
  EXPECT_NE(yaml.find("image: nginx:1.26"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("containerPort: 80"), std::string::npos) << yaml;
  EXPECT_EQ(Both({"patch", "deploy/pat", "--type", "merge", "-p", R"({"spec":{"replicas":3}})"}, 0),
            "deployment.apps/pat patched\n");
  EXPECT_EQ(Both({"patch", "deploy/pat", "--type", "merge", "-p", R"({"spec":{"replicas":3}})"}, 0),
            "deployment.apps/pat patched (no change)\n");
  EXPECT_EQ(Both({"patch", "deploy/pat", "--type", "json", "-p",
                  R"([{"op":"replace","path":"/spec/replicas","value":2}])"},
                 0),
            "deployment.apps/pat patched\n");
  EXPECT_NE(MkctlOk({"get", "deploy", "pat", "-n", "m", "-o", "json"}).find("\"replicas\": 2"),
            std::string::npos);
  std::string out;
  EXPECT_EQ(Mkctl({"patch", "-n", "m", "deploy/pat", "--type", "json", "-p",
                   R"([{"op":"test","path":"/spec/replicas","value":9}])"},
                  &out),
            1);
  EXPECT_TRUE(absl::StartsWith(out, "The Deployment \"pat\" is invalid") ||
              absl::StartsWith(out, "Error from server"))
      << out;
  // YAML is accepted as kubectl accepts it.
  EXPECT_EQ(
      MkctlOk({"patch", "-n", "m", "deploy", "pat", "--type=merge", "-p", "spec: {replicas: 1}"}),
      "deployment.apps/pat patched\n");
}

TEST_F(MkctlCommandsE2E, ApiVersionsAsKubectl) {
  const std::string out = Both({"api-versions"}, 0);
  EXPECT_NE(out.find("apps/v1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("\nv1\n"), std::string::npos) << out;
}

TEST_F(MkctlCommandsE2E, TraceReplaysHistoryWithinOneSecond) {
  // A pod taken through scheduling, start and readiness by status patches,
  // all stamped with the same whole second: only the store's history orders
  // them.
  MkctlOk({"apply", "-f", "-"},
          "apiVersion: v1\nkind: Pod\nmetadata:\n  name: tp\nspec:\n  containers:\n"
          "  - name: c\n    image: nginx\n");
  const std::string t = "2030-01-01T00:00:00Z";
  MkctlOk({"patch", "pod", "tp", "--subresource=status", "--type=merge", "-p",
           absl::StrCat(R"({"status":{"conditions":[{"type":"Ready","status":"True",)",
                        R"("lastTransitionTime":")", t, R"("},{"type":"PodScheduled",)",
                        R"("status":"True","lastTransitionTime":")", t, R"("}]}})")});
  // Written out of their natural order on purpose: Ready first (above, with
  // PodScheduled), then the container start.
  MkctlOk({"patch", "pod", "tp", "--subresource=status", "--type=merge", "-p",
           absl::StrCat(R"({"status":{"containerStatuses":[{"name":"c","image":"nginx",)",
                        R"("ready":true,"restartCount":0,)", R"("state":{"running":{"startedAt":")",
                        t, R"("}}}]}})")});
  const std::string trace = MkctlOk({"trace", "pod/tp"});
  const size_t timeline = trace.find("TIME (UTC)");
  ASSERT_NE(timeline, std::string::npos) << trace;
  const size_t created = trace.find(" Created ", timeline);
  const size_t ready = trace.find(" Condition Ready ", timeline);
  const size_t running = trace.find(" Running ", timeline);
  ASSERT_NE(created, std::string::npos) << trace;
  ASSERT_NE(ready, std::string::npos) << trace;
  ASSERT_NE(running, std::string::npos) << trace;
  // The revisions: creation, then the first status write, then the second.
  EXPECT_LT(created, ready) << trace;
  EXPECT_LT(ready, running) << trace;
  EXPECT_EQ(trace.find("Order approximate"), std::string::npos) << trace;
}

TEST_F(MkctlCommandsE2E, EventsSortedByLastTimestampKeepWriteOrder) {
  // Two events in the same second, written Deployment first: listed by name
  // the ReplicaSet's (`web-x.…`) would come first.
  const std::string ts = "2030-01-01T00:00:00Z";
  auto event = [&](const std::string& name, const std::string& kind, const std::string& obj) {
    return absl::StrCat("apiVersion: v1\nkind: Event\nmetadata:\n  name: ", name,
                        "\ninvolvedObject:\n  kind: ", kind, "\n  name: ", obj,
                        "\n  namespace: default\nreason: R", kind, "\nmessage: m\ntype: Normal\n",
                        "firstTimestamp: ", ts, "\nlastTimestamp: ", ts,
                        "\nsource:\n  component: test\n");
  };
  MkctlOk({"apply", "-f", "-"}, event("web.1", "Deployment", "web"));
  MkctlOk({"apply", "-f", "-"}, event("web-x.1", "ReplicaSet", "web-x"));
  const std::string out = MkctlOk({"get", "events", "--sort-by=.lastTimestamp"});
  const size_t d = out.find("RDeployment");
  const size_t r = out.find("RReplicaSet");
  ASSERT_NE(d, std::string::npos) << out;
  ASSERT_NE(r, std::string::npos) << out;
  EXPECT_LT(d, r) << out;
}

}  // namespace
}  // namespace minik8s
