// mkctl trace: steps in order with their components and the delays.
#include "kubectl/printers/trace.h"

#include "absl/strings/str_cat.h"
#include "api/time.h"
#include "gtest/gtest.h"
#include "tests/kubectl/test_objects.h"

namespace minik8s::kubectl {
namespace {

using testing::FromYaml;
using testing::Now;

std::string At(int seconds) { return api::FormatRfc3339(Now() + absl::Seconds(seconds)); }
std::string AtMicro(int millis) {
  return api::FormatRfc3339Micro(Now() + absl::Milliseconds(millis));
}

TraceInput Chain() {
  TraceInput in;
  in.deployments.push_back(FromYaml<apps::v1::Deployment>(absl::StrCat(
      "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: default\n  uid: "
      "d1\n"
      "  creationTimestamp: ",
      At(0), "\nspec:\n  replicas: 1\nstatus:\n  readyReplicas: 1\n  updatedReplicas: 1\n")));
  in.replica_sets.push_back(FromYaml<apps::v1::ReplicaSet>(
      absl::StrCat("apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: web-abc\n  "
                   "namespace: default\n  uid: r1\n"
                   "  creationTimestamp: ",
                   At(0),
                   "\n  ownerReferences:\n  - kind: Deployment\n    name: web\n    uid: d1\n"
                   "    controller: true\n    apiVersion: apps/v1\nspec:\n  replicas: 1\nstatus:\n "
                   " readyReplicas: 1\n")));
  in.pods.push_back(FromYaml<core::v1::Pod>(absl::StrCat(
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-abc-x\n  namespace: default\n  uid: p1\n"
      "  creationTimestamp: ",
      At(1),
      "\n  ownerReferences:\n  - kind: ReplicaSet\n    name: web-abc\n    uid: r1\n"
      "    controller: true\n    apiVersion: apps/v1\n"
      "spec:\n  nodeName: node-1\n  containers:\n  - name: nginx\n    image: nginx\n"
      "status:\n  phase: Running\n  conditions:\n  - type: PodScheduled\n    status: \"True\"\n"
      "    lastTransitionTime: ",
      At(1), "\n  - type: Ready\n    status: \"True\"\n    lastTransitionTime: ", At(4),
      "\n  containerStatuses:\n  - name: nginx\n    image: nginx\n    ready: true\n    state:\n    "
      "  running:\n"
      "        startedAt: ",
      At(3), "\n")));
  auto event = [](const std::string& kind, const std::string& name, const std::string& uid,
                  const std::string& reason, const std::string& component, const std::string& time,
                  const std::string& message) {
    return FromYaml<core::v1::Event>(absl::StrCat(
        "apiVersion: v1\nkind: Event\nmetadata:\n  name: e\ninvolvedObject:\n  kind: ", kind,
        "\n  name: ", name, "\n  uid: ", uid, "\nreason: ", reason, "\nmessage: \"", message, "\"",
        "\nreportingComponent: ", component, "\ntype: Normal\neventTime: ", time, "\n"));
  };
  in.events.push_back(event("Pod", "web-abc-x", "p1", "Started", "kubelet", AtMicro(3100),
                            "Started container nginx"));
  in.events.push_back(event("Deployment", "web", "d1", "ScalingReplicaSet", "deployment-controller",
                            AtMicro(200), "Scaled up replica set web-abc to 1"));
  in.events.push_back(event("ReplicaSet", "web-abc", "r1", "SuccessfulCreate",
                            "replicaset-controller", AtMicro(1300), "Created pod: web-abc-x"));
  in.events.push_back(event("Pod", "web-abc-x", "p1", "Scheduled", "default-scheduler",
                            AtMicro(1500), "Successfully assigned default/web-abc-x to node-1"));
  in.events.push_back(
      event("Pod", "other", "p9", "Scheduled", "default-scheduler", AtMicro(1500), "not ours"));
  return in;
}

TEST(Trace, StepsInOrderWithComponents) {
  std::vector<TraceStep> steps = TraceSteps(Chain());
  std::vector<std::string> got;
  for (const TraceStep& s : steps) got.push_back(absl::StrCat(s.object, " ", s.step, " ", s.by));
  EXPECT_EQ(got, (std::vector<std::string>{
                     "deployment/web Created -",
                     "replicaset/web-abc Created -",
                     "deployment/web ScalingReplicaSet deployment-controller",
                     "pod/web-abc-x Created -",
                     "pod/web-abc-x Condition PodScheduled -",
                     "replicaset/web-abc SuccessfulCreate replicaset-controller",
                     "pod/web-abc-x Scheduled default-scheduler",
                     "pod/web-abc-x Started kubelet",
                     // Known only to the second: after the Started event.
                     "pod/web-abc-x Running kubelet",
                     "pod/web-abc-x Condition Ready kubelet",
                 }));
}

TEST(Trace, RenderShowsTreeTimelineAndDelays) {
  const std::string text = RenderTrace(Chain(), Now() + absl::Seconds(60));
  EXPECT_NE(
      text.find(
          "Deployment web (namespace default): 1/1 ready, 1 up-to-date, revision 0, age 60s\n"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("  ReplicaSet web-abc: 1/1 ready, revision 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("    Pod web-abc-x: Running, 1/1 ready, on node-1\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("#    TIME (UTC)     AFTER    OBJECT"), std::string::npos) << text;
  EXPECT_NE(text.find("7    22:13:21.500   +200ms   pod/web-abc-x        Scheduled"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("10 steps over 4.0s"), std::string::npos) << text;
}

TEST(Trace, EventTimeOrdersStepsWithinOneSecond) {
  // What the event recorders write: firstTimestamp to the second, eventTime
  // to the microsecond. Listed out of order, within one second.
  auto event = [](const std::string& reason, int millis) {
    return FromYaml<core::v1::Event>(absl::StrCat(
        "apiVersion: v1\nkind: Event\nmetadata:\n  name: e\ninvolvedObject:\n  kind: Pod\n"
        "  name: web-abc-x\n  uid: p1\nreason: ",
        reason,
        "\nmessage: m\n"
        "source:\n  component: kubelet\ntype: Normal\nfirstTimestamp: ",
        At(0), "\nlastTimestamp: ", At(0), "\neventTime: ", AtMicro(millis), "\n"));
  };
  TraceInput in;
  in.pods.push_back(
      FromYaml<core::v1::Pod>("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-abc-x\n  "
                              "namespace: default\n  uid: p1\n"));
  in.events.push_back(event("Started", 900));
  in.events.push_back(event("Pulled", 400));
  in.events.push_back(event("Created", 650));
  std::vector<TraceStep> steps = TraceSteps(in);
  std::vector<std::string> got;
  for (const TraceStep& s : steps) {
    EXPECT_TRUE(s.precise) << s.step;
    got.push_back(absl::StrCat(s.step, " ", absl::ToInt64Milliseconds(s.time - Now())));
  }
  EXPECT_EQ(got, (std::vector<std::string>{"Pulled 400", "Created 650", "Started 900"}));
  const std::string text = RenderTrace(in, Now() + absl::Seconds(5));
  EXPECT_NE(text.find("22:13:20.650   +250ms"), std::string::npos) << text;
}

TEST(Trace, ConditionsShowTheirStatusFalseIncluded) {
  TraceInput in;
  in.pods.push_back(FromYaml<core::v1::Pod>(absl::StrCat(
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-abc-x\n  namespace: default\n  uid: p1\n"
      "  creationTimestamp: ",
      At(0),
      "\nspec:\n  nodeName: node-1\n  containers:\n  - name: c\n"
      "    image: nginx\nstatus:\n  phase: Pending\n  conditions:\n"
      "  - type: Ready\n    status: \"False\"\n    reason: ContainersNotReady\n"
      "    message: \"containers with unready status: [c]\"\n    lastTransitionTime: ",
      At(2),
      "\n"
      "  - type: ContainersReady\n    status: \"False\"\n    reason: ContainersNotReady\n"
      "    message: \"containers with unready status: [c]\"\n    lastTransitionTime: ",
      At(2),
      "\n"
      "  - type: Initialized\n    status: \"True\"\n    lastTransitionTime: ",
      At(2),
      "\n"
      "  - type: PodScheduled\n    status: \"True\"\n    lastTransitionTime: ",
      At(1), "\n")));
  in.pods.push_back(FromYaml<core::v1::Pod>(absl::StrCat(
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: big\n  namespace: default\n  uid: p2\n"
      "  creationTimestamp: ",
      At(5),
      "\nspec:\n  containers:\n  - name: c\n    image: nginx\n"
      "status:\n  phase: Pending\n  conditions:\n  - type: PodScheduled\n    status: \"False\"\n"
      "    reason: Unschedulable\n    message: \"0/1 nodes are available: 1 Insufficient cpu.\"\n"
      "    lastTransitionTime: ",
      At(6), "\n")));
  std::vector<std::string> got;
  for (const TraceStep& s : TraceSteps(in)) {
    got.push_back(absl::StrCat(s.object, " ", s.step, " ", s.by, " ", s.detail));
  }
  EXPECT_EQ(got, (std::vector<std::string>{
                     "pod/web-abc-x Created - stored by the apiserver",
                     "pod/web-abc-x Condition PodScheduled - bound to node-1",
                     "pod/web-abc-x Condition Initialized kubelet True",
                     "pod/web-abc-x Condition ContainersReady kubelet False: ContainersNotReady "
                     "(containers with unready status: [c])",
                     "pod/web-abc-x Condition Ready kubelet False: ContainersNotReady "
                     "(containers with unready status: [c])",
                     "pod/big Created - stored by the apiserver",
                     "pod/big Condition PodScheduled scheduler False: Unschedulable "
                     "(0/1 nodes are available: 1 Insufficient cpu.)",
                 }));
}

TEST(Trace, FormatDelta) {
  EXPECT_EQ(FormatDelta(absl::Milliseconds(350)), "+350ms");
  EXPECT_EQ(FormatDelta(absl::Milliseconds(1250)), "+1.2s");
  EXPECT_EQ(FormatDelta(absl::Seconds(182)), "+3m2s");
  EXPECT_EQ(FormatDelta(-absl::Seconds(1)), "+0ms");
}

}  // namespace
}  // namespace minik8s::kubectl
