// Rollout status messages, history table and undo target.
#include "kubectl/printers/rollout.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/kubectl/test_objects.h"

namespace minik8s::kubectl {
namespace {

using testing::FromYaml;

apps::v1::Deployment D(int generation, int observed, int replicas, int updated, int total,
                       int available, const std::string& progressing_reason = "") {
  std::string yaml = absl::StrCat(
      "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  generation: ", generation,
      "\n  annotations:\n    deployment.kubernetes.io/revision: \"2\"\nspec:\n  replicas: ",
      replicas, "\nstatus:\n  observedGeneration: ", observed, "\n  replicas: ", total,
      "\n  updatedReplicas: ", updated, "\n  availableReplicas: ", available, "\n");
  if (!progressing_reason.empty()) {
    absl::StrAppend(&yaml,
                    "  conditions:\n  - type: Progressing\n    status: \"False\"\n    reason: ",
                    progressing_reason, "\n");
  }
  return FromYaml<apps::v1::Deployment>(yaml);
}

std::string Message(const apps::v1::Deployment& d) {
  absl::StatusOr<RolloutState> s = DeploymentRolloutStatus(d);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? s->message : "";
}

TEST(RolloutStatus, Messages) {
  EXPECT_EQ(Message(D(2, 1, 3, 0, 3, 3)), "Waiting for deployment spec update to be observed...\n");
  EXPECT_EQ(Message(D(2, 2, 3, 1, 4, 3)),
            "Waiting for deployment \"web\" rollout to finish: 1 out of 3 new replicas have been "
            "updated...\n");
  EXPECT_EQ(Message(D(2, 2, 3, 3, 4, 3)),
            "Waiting for deployment \"web\" rollout to finish: 1 old replicas are pending "
            "termination...\n");
  EXPECT_EQ(Message(D(2, 2, 3, 3, 3, 2)),
            "Waiting for deployment \"web\" rollout to finish: 2 of 3 updated replicas are "
            "available...\n");
  absl::StatusOr<RolloutState> done = DeploymentRolloutStatus(D(2, 2, 3, 3, 3, 3));
  ASSERT_TRUE(done.ok());
  EXPECT_TRUE(done->done);
  EXPECT_EQ(done->message, "deployment \"web\" successfully rolled out\n");
}

TEST(RolloutStatus, ProgressDeadlineAndRevision) {
  absl::StatusOr<RolloutState> s =
      DeploymentRolloutStatus(D(2, 2, 3, 1, 3, 1, "ProgressDeadlineExceeded"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(), "deployment \"web\" exceeded its progress deadline");
  s = DeploymentRolloutStatus(D(2, 2, 3, 3, 3, 3), 5);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(),
            "desired revision (5) is different from the running revision (2)");
  EXPECT_TRUE(DeploymentRolloutStatus(D(2, 2, 3, 3, 3, 3), 2).ok());
}

apps::v1::ReplicaSet Rs(const std::string& name, int revision, const std::string& image,
                        const std::string& cause = "") {
  std::string yaml =
      absl::StrCat("apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: ", name,
                   "\n  annotations:\n    deployment.kubernetes.io/revision: \"", revision, "\"\n");
  if (!cause.empty()) absl::StrAppend(&yaml, "    kubernetes.io/change-cause: ", cause, "\n");
  absl::StrAppend(&yaml,
                  "spec:\n  template:\n    metadata:\n      labels:\n        app: web\n"
                  "        pod-template-hash: h",
                  revision,
                  "\n    spec:\n      containers:\n      - name: c\n        image: ", image, "\n");
  return FromYaml<apps::v1::ReplicaSet>(yaml);
}

TEST(RolloutHistory, Table) {
  apps::v1::ReplicaSet a = Rs("a", 1, "nginx:1"), b = Rs("b", 12, "nginx:2", "set image to 2");
  EXPECT_EQ(RolloutHistoryTable({&b, &a}),
            "REVISION  CHANGE-CAUSE\n"
            "1         <none>\n"
            "12        set image to 2\n");
}

TEST(RolloutUndo, Target) {
  apps::v1::Deployment d = D(2, 2, 3, 3, 3, 3);
  apps::v1::ReplicaSet a = Rs("a", 1, "nginx:1"), b = Rs("b", 2, "nginx:2"),
                       c = Rs("c", 3, "nginx:3");
  absl::StatusOr<const apps::v1::ReplicaSet*> t = RollbackTarget(d, {&a, &c, &b}, 0);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, &b);  // the revision before the latest
  t = RollbackTarget(d, {&a, &c, &b}, 1);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, &a);
  t = RollbackTarget(d, {&a, &c}, 7);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(), "unable to find specified revision 7 in history");
  t = RollbackTarget(d, {&a}, 0);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(), "no rollout history found for deployment \"web\"");
  const core::v1::PodTemplateSpec tmpl = TemplateWithoutHash(a);
  EXPECT_EQ(tmpl.metadata().labels().count("pod-template-hash"), 0u);
  EXPECT_EQ(tmpl.metadata().labels().at("app"), "web");
}

TEST(RolloutUndo, AnnotationsComeFromTheReplicaSetExceptBookkeeping) {
  apps::v1::Deployment d = D(2, 2, 3, 3, 3, 3);
  auto& da = *d.mutable_metadata()->mutable_annotations();
  da["deployment.kubernetes.io/revision"] = "3";
  da["kubectl.kubernetes.io/last-applied-configuration"] = "{}";
  da["kubernetes.io/change-cause"] = "set image to 3";
  da["example.com/only-on-deployment"] = "x";
  apps::v1::ReplicaSet rs = Rs("a", 1, "nginx:1");
  auto& ra = *rs.mutable_metadata()->mutable_annotations();
  ra["deployment.kubernetes.io/revision"] = "1";
  ra["deployment.kubernetes.io/desired-replicas"] = "3";
  ra["deployment.kubernetes.io/max-replicas"] = "4";
  ra["kubernetes.io/change-cause"] = "first";
  ra["example.com/team"] = "web";
  const auto out = RollbackAnnotations(d, rs);
  std::map<std::string, std::string> got(out.begin(), out.end());
  EXPECT_EQ(got, (std::map<std::string, std::string>{
                     {"deployment.kubernetes.io/revision", "3"},
                     {"kubectl.kubernetes.io/last-applied-configuration", "{}"},
                     {"kubernetes.io/change-cause", "first"},
                     {"example.com/team", "web"},
                 }));
}

// A template whose labels, annotations, node selector and resource limits
// (all map fields) are written in the order of `keys`.
core::v1::PodTemplateSpec TemplateWithKeys(const std::vector<std::string>& keys,
                                           const std::string& image) {
  std::string labels, annotations, selector, limits;
  for (const std::string& k : keys) {
    absl::StrAppend(&labels, "      l-", k, ": v-", k, "\n");
    absl::StrAppend(&annotations, "      example.com/", k, ": a-", k, "\n");
    absl::StrAppend(&selector, "    n-", k, ": s-", k, "\n");
    absl::StrAppend(&limits, "          example.com/r-", k, ": \"", k.size(), "\"\n");
  }
  return FromYaml<core::v1::PodTemplateSpec>(absl::StrCat(
      "metadata:\n  labels:\n", labels, "  annotations:\n", annotations, "spec:\n  nodeSelector:\n",
      selector, "  containers:\n  - name: c\n    image: ", image,
      "\n    resources:\n      limits:\n", limits));
}

TEST(RolloutUndo, EqualIgnoreHashComparesMapsAsMaps) {
  std::vector<std::string> keys;
  for (char c = 'a'; c <= 'z'; ++c) keys.push_back(std::string(3, c));
  const std::vector<std::string> reversed(keys.rbegin(), keys.rend());
  const core::v1::PodTemplateSpec forward = TemplateWithKeys(keys, "nginx:1");
  core::v1::PodTemplateSpec backward = TemplateWithKeys(reversed, "nginx:1");
  ASSERT_EQ(forward.metadata().labels().size(), keys.size());
  EXPECT_TRUE(EqualIgnoreHash(forward, backward));
  // A run of equal templates must never compare unequal, whatever order
  // their maps serialize in.
  for (int i = 0; i < 50; ++i) {
    const core::v1::PodTemplateSpec copy = TemplateWithKeys(i % 2 ? keys : reversed, "nginx:1");
    ASSERT_TRUE(EqualIgnoreHash(forward, copy)) << i;
  }
  // The replica set's pod-template-hash label is ignored, on either side.
  (*backward.mutable_metadata()->mutable_labels())["pod-template-hash"] = "5f6c7d8b9";
  EXPECT_TRUE(EqualIgnoreHash(forward, backward));
  EXPECT_TRUE(EqualIgnoreHash(backward, forward));
  // Any other difference counts.
  EXPECT_FALSE(EqualIgnoreHash(forward, TemplateWithKeys(keys, "nginx:2")));
  core::v1::PodTemplateSpec other_label = forward;
  (*other_label.mutable_metadata()->mutable_labels())["l-aaa"] = "changed";
  EXPECT_FALSE(EqualIgnoreHash(forward, other_label));
  core::v1::PodTemplateSpec fewer_limits = forward;
  fewer_limits.mutable_spec()->mutable_containers(0)->mutable_resources()->mutable_limits()->erase(
      "example.com/r-aaa");
  EXPECT_FALSE(EqualIgnoreHash(forward, fewer_limits));
}

TEST(RolloutHistory, RevisionShowsTheTemplateWithItsHashLabel) {
  const apps::v1::ReplicaSet rs = Rs("web-h2", 2, "nginx:2", "set image to 2");
  const core::v1::PodTemplateSpec t = HistoryTemplate(rs);
  EXPECT_EQ(t.metadata().labels().at("pod-template-hash"), "h2");
  EXPECT_EQ(t.metadata().annotations().at("kubernetes.io/change-cause"), "set image to 2");
  EXPECT_EQ(RolloutRevisionText("web", 2, rs),
            "deployment.apps/web with revision #2\n"
            "Pod Template:\n"
            "  Labels:       app=web\n"
            "                pod-template-hash=h2\n"
            "  Annotations:  kubernetes.io/change-cause: set image to 2\n"
            "  Containers:\n"
            "   c:\n"
            "    Image:         nginx:2\n"
            "    Port:          <none>\n"
            "    Host Port:     <none>\n"
            "    Environment:   <none>\n"
            "    Mounts:        <none>\n"
            "  Volumes:         <none>\n"
            "  Node-Selectors:  <none>\n"
            "  Tolerations:     <none>\n"
            "\n");
  // Without a change cause there is no Annotations line.
  EXPECT_EQ(HistoryTemplate(Rs("web-h1", 1, "nginx:1")).metadata().annotations_size(), 0);
}

}  // namespace
}  // namespace minik8s::kubectl
