// Rollout status messages, history table and undo target.
#include "kubectl/printers/rollout.h"

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
      "\n  annotations:\n    deployment.kubernetes.io/revision: \"2\"\nspec:\n  replicas: ", replicas,
      "\nstatus:\n  observedGeneration: ", observed, "\n  replicas: ", total,
      "\n  updatedReplicas: ", updated, "\n  availableReplicas: ", available, "\n");
  if (!progressing_reason.empty()) {
    absl::StrAppend(&yaml, "  conditions:\n  - type: Progressing\n    status: \"False\"\n    reason: ",
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
            "Waiting for deployment \"web\" rollout to finish: 1 out of 3 new replicas have been updated...\n");
  EXPECT_EQ(Message(D(2, 2, 3, 3, 4, 3)),
            "Waiting for deployment \"web\" rollout to finish: 1 old replicas are pending termination...\n");
  EXPECT_EQ(Message(D(2, 2, 3, 3, 3, 2)),
            "Waiting for deployment \"web\" rollout to finish: 2 of 3 updated replicas are available...\n");
  absl::StatusOr<RolloutState> done = DeploymentRolloutStatus(D(2, 2, 3, 3, 3, 3));
  ASSERT_TRUE(done.ok());
  EXPECT_TRUE(done->done);
  EXPECT_EQ(done->message, "deployment \"web\" successfully rolled out\n");
}

TEST(RolloutStatus, ProgressDeadlineAndRevision) {
  absl::StatusOr<RolloutState> s = DeploymentRolloutStatus(D(2, 2, 3, 1, 3, 1, "ProgressDeadlineExceeded"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(), "deployment \"web\" exceeded its progress deadline");
  s = DeploymentRolloutStatus(D(2, 2, 3, 3, 3, 3), 5);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(), "desired revision (5) is different from the running revision (2)");
  EXPECT_TRUE(DeploymentRolloutStatus(D(2, 2, 3, 3, 3, 3), 2).ok());
}

apps::v1::ReplicaSet Rs(const std::string& name, int revision, const std::string& image,
                        const std::string& cause = "") {
  std::string yaml = absl::StrCat("apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: ", name,
                                  "\n  annotations:\n    deployment.kubernetes.io/revision: \"", revision, "\"\n");
  if (!cause.empty()) absl::StrAppend(&yaml, "    kubernetes.io/change-cause: ", cause, "\n");
  absl::StrAppend(&yaml, "spec:\n  template:\n    metadata:\n      labels:\n        app: web\n"
                         "        pod-template-hash: h", revision,
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
  apps::v1::ReplicaSet a = Rs("a", 1, "nginx:1"), b = Rs("b", 2, "nginx:2"), c = Rs("c", 3, "nginx:3");
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

}  // namespace
}  // namespace minik8s::kubectl
