// mkctl trace in causal order: steps placed by store revision (events'
// resourceVersion, and the writes a replay of the history saw), the
// fallback by time for what the replay missed, and `--sort-by` on events.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/time.h"
#include "gtest/gtest.h"
#include "kubectl/printers/sort.h"
#include "kubectl/printers/trace.h"
#include "tests/kubectl/test_objects.h"

namespace minik8s::kubectl {
namespace {

using testing::FromYaml;
using testing::Now;

// Everything happens within the second Now(): the whole-second times are
// all equal, only revisions and eventTime tell the order.
std::string Second() { return api::FormatRfc3339(Now()); }
std::string Micro(int millis) {
  return api::FormatRfc3339Micro(Now() + absl::Milliseconds(millis));
}

core::v1::Event Ev(const std::string& kind, const std::string& name, const std::string& uid,
                   const std::string& reason, int revision, int millis, int count = 1) {
  return FromYaml<core::v1::Event>(absl::StrCat(
      "apiVersion: v1\nkind: Event\nmetadata:\n  name: ", name, ".", revision,
      "\n  resourceVersion: \"", revision, "\"\ninvolvedObject:\n  kind: ", kind,
      "\n  name: ", name, "\n  uid: ", uid, "\nreason: ", reason,
      "\nmessage: m\nreportingComponent: c\ntype: Normal\ncount: ", count, "\neventTime: ",
      Micro(millis), "\nfirstTimestamp: ", Second(), "\nlastTimestamp: ", Second(), "\n"));
}

// A pod at some stage: `stage` 0 created, 1 scheduled, 2 initialized, 3
// running and ready.
core::v1::Pod PodAt(const std::string& name, const std::string& uid, int stage, int revision) {
  std::string yaml =
      absl::StrCat("apiVersion: v1\nkind: Pod\nmetadata:\n  name: ", name,
                   "\n  namespace: default\n  uid: ", uid, "\n  resourceVersion: \"", revision,
                   "\"\n  creationTimestamp: ", Second(),
                   "\n  ownerReferences:\n  - kind: ReplicaSet\n    name: web-abc\n    uid: r1\n"
                   "    controller: true\n    apiVersion: apps/v1\n"
                   "spec:\n",
                   stage >= 1 ? "  nodeName: node-1\n" : "",
                   "  containers:\n  - name: nginx\n    image: nginx\nstatus:\n  phase: ",
                   stage >= 3 ? "Running" : "Pending", "\n");
  if (stage >= 1) {
    absl::StrAppend(&yaml, "  conditions:\n  - type: PodScheduled\n    status: \"True\"\n",
                    "    lastTransitionTime: ", Second(), "\n");
  }
  if (stage >= 2) {
    absl::StrAppend(&yaml, "  - type: Initialized\n    status: \"True\"\n",
                    "    lastTransitionTime: ", Second(), "\n");
  }
  if (stage >= 3) {
    absl::StrAppend(&yaml, "  - type: ContainersReady\n    status: \"True\"\n",
                    "    lastTransitionTime: ", Second(), "\n",
                    "  - type: Ready\n    status: \"True\"\n    lastTransitionTime: ", Second(),
                    "\n  containerStatuses:\n  - name: nginx\n    image: nginx\n    ready: true\n",
                    "    state:\n      running:\n        startedAt: ", Second(), "\n");
  }
  return FromYaml<core::v1::Pod>(yaml);
}

// A Deployment with two pods; each write's revision as the store would give
// it. Pod a's writes come before pod b's except where they interleave.
TraceInput TwoPods(bool with_history) {
  TraceInput in;
  in.deployments.push_back(FromYaml<apps::v1::Deployment>(absl::StrCat(
      "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: default\n"
      "  uid: d1\n  resourceVersion: \"60\"\n  creationTimestamp: ",
      Second(), "\nspec:\n  replicas: 2\n")));
  in.replica_sets.push_back(FromYaml<apps::v1::ReplicaSet>(absl::StrCat(
      "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: web-abc\n  namespace: default\n"
      "  uid: r1\n  resourceVersion: \"59\"\n  creationTimestamp: ",
      Second(),
      "\n  ownerReferences:\n  - kind: Deployment\n    name: web\n    uid: d1\n"
      "    controller: true\n    apiVersion: apps/v1\nspec:\n  replicas: 2\n")));
  in.pods.push_back(PodAt("web-abc-a", "pa", 3, 40));
  in.pods.push_back(PodAt("web-abc-b", "pb", 3, 45));
  in.events = {
      Ev("Deployment", "web", "d1", "ScalingReplicaSet", 12, 100),
      Ev("ReplicaSet", "web-abc", "r1", "SuccessfulCreate", 14, 150),
      Ev("ReplicaSet", "web-abc", "r1", "SuccessfulCreate", 16, 160),
      Ev("Pod", "web-abc-a", "pa", "Scheduled", 18, 200),
      Ev("Pod", "web-abc-b", "pb", "Scheduled", 20, 210),
      Ev("Pod", "web-abc-a", "pa", "Pulling", 22, 300),
      Ev("Pod", "web-abc-b", "pb", "Pulling", 23, 310),
      Ev("Pod", "web-abc-a", "pa", "Started", 30, 600),
      Ev("Pod", "web-abc-b", "pb", "Started", 41, 900),
  };
  if (with_history) {
    in.history.created = {{"d1", 10}, {"r1", 11}, {"pa", 13}, {"pb", 15}};
    in.history.pod_versions = {
        PodAt("web-abc-a", "pa", 0, 13), PodAt("web-abc-b", "pb", 0, 15),
        PodAt("web-abc-a", "pa", 1, 17), PodAt("web-abc-b", "pb", 1, 19),
        PodAt("web-abc-a", "pa", 2, 21), PodAt("web-abc-b", "pb", 2, 24),
        PodAt("web-abc-a", "pa", 3, 40), PodAt("web-abc-b", "pb", 3, 45),
    };
  }
  return in;
}

std::vector<std::string> Steps(const TraceInput& in) {
  std::vector<std::string> got;
  for (const TraceStep& s : TraceSteps(in)) got.push_back(absl::StrCat(s.object, " ", s.step));
  return got;
}

// The position of `object step` in `steps`; fails the test when absent.
size_t Pos(const std::vector<std::string>& steps, const std::string& object,
           const std::string& step) {
  for (size_t i = 0; i < steps.size(); ++i) {
    if (steps[i] == absl::StrCat(object, " ", step)) return i;
  }
  ADD_FAILURE() << object << " " << step << " missing";
  return steps.size();
}

void ExpectCausalOrder(const std::vector<std::string>& steps) {
  for (const std::string pod : {"pod/web-abc-a", "pod/web-abc-b"}) {
    SCOPED_TRACE(pod);
    const size_t created = Pos(steps, pod, "Created");
    const size_t scheduled = Pos(steps, pod, "Scheduled");
    const size_t pulling = Pos(steps, pod, "Pulling");
    const size_t started = Pos(steps, pod, "Started");
    const size_t running = Pos(steps, pod, "Running");
    const size_t ready = Pos(steps, pod, "Condition Ready");
    EXPECT_LT(Pos(steps, pod, "Condition PodScheduled"), pulling);
    EXPECT_LT(created, scheduled);
    EXPECT_LT(scheduled, pulling);
    EXPECT_LT(pulling, started);
    EXPECT_LT(started, running);
    EXPECT_LT(running, ready);
  }
}

TEST(TraceOrder, ReplayedHistoryPlacesEveryStepAtItsRevision) {
  const std::vector<std::string> steps = Steps(TwoPods(true));
  EXPECT_EQ(steps, (std::vector<std::string>{
                       "deployment/web Created",                   // 10
                       "replicaset/web-abc Created",               // 11
                       "deployment/web ScalingReplicaSet",         // 12
                       "pod/web-abc-a Created",                    // 13
                       "replicaset/web-abc SuccessfulCreate",      // 14
                       "pod/web-abc-b Created",                    // 15
                       "replicaset/web-abc SuccessfulCreate",      // 16
                       "pod/web-abc-a Condition PodScheduled",     // 17
                       "pod/web-abc-a Scheduled",                  // 18
                       "pod/web-abc-b Condition PodScheduled",     // 19
                       "pod/web-abc-b Scheduled",                  // 20
                       "pod/web-abc-a Condition Initialized",      // 21
                       "pod/web-abc-a Pulling",                    // 22
                       "pod/web-abc-b Pulling",                    // 23
                       "pod/web-abc-b Condition Initialized",      // 24
                       "pod/web-abc-a Started",                    // 30
                       "pod/web-abc-a Running",                    // 40
                       "pod/web-abc-a Condition ContainersReady",  // 40
                       "pod/web-abc-a Condition Ready",            // 40
                       "pod/web-abc-b Started",                    // 41
                       "pod/web-abc-b Running",                    // 45
                       "pod/web-abc-b Condition ContainersReady",  // 45
                       "pod/web-abc-b Condition Ready",            // 45
                   }));
  ExpectCausalOrder(steps);
  const std::string text = RenderTrace(TwoPods(true), Now() + absl::Seconds(5));
  EXPECT_EQ(text.find("Order approximate"), std::string::npos) << text;
  // A whole-second time after a precise one shows no negative delay.
  EXPECT_NE(text.find("17   22:13:20       +0ms     pod/web-abc-a"), std::string::npos) << text;
}

TEST(TraceOrder, WithoutHistoryDependentStepsStillFollowTheirCauses) {
  TraceInput in = TwoPods(false);
  const std::vector<std::string> steps = Steps(in);
  ExpectCausalOrder(steps);
  const std::string text = RenderTrace(in, Now() + absl::Seconds(5));
  EXPECT_NE(text.find("Order approximate for 14 steps known only to the second, placed by time "
                      "(their writes were not seen in the store's history)"),
            std::string::npos)
      << text;
  in.history.note = "the apiserver's history starts after revision 99";
  EXPECT_NE(RenderTrace(in, Now()).find("(the apiserver's history starts after revision 99)"),
            std::string::npos);
}

TEST(TraceOrder, HistoryWithoutTheCreationIsNotTrusted) {
  // The replay began after pod a was created: its first seen version is not
  // where its conditions changed, so they are placed by time.
  TraceInput in = TwoPods(true);
  in.history.created.erase("pa");
  for (const TraceStep& s : TraceSteps(in)) {
    if (s.object == "pod/web-abc-a" && !s.precise) EXPECT_EQ(s.revision, 0) << s.step;
    if (s.object == "pod/web-abc-b" && s.step == "Running") EXPECT_EQ(s.revision, 45);
  }
  ExpectCausalOrder(Steps(in));
}

TEST(TraceOrder, RepeatedEventIsPlacedByItsFirstTime) {
  // Recorded twice: its resourceVersion is the second write, not the first.
  TraceInput in = TwoPods(true);
  in.events.push_back(Ev("Pod", "web-abc-a", "pa", "BackOff", 99, 650, 2));
  for (const TraceStep& s : TraceSteps(in)) {
    if (s.step == "BackOff") EXPECT_EQ(s.revision, 0);
  }
  // By its time (650 ms): between the two Started events (600 and 900 ms).
  const std::vector<std::string> steps = Steps(in);
  EXPECT_LT(Pos(steps, "pod/web-abc-a", "Started"), Pos(steps, "pod/web-abc-a", "BackOff"));
  EXPECT_LT(Pos(steps, "pod/web-abc-a", "BackOff"), Pos(steps, "pod/web-abc-b", "Started"));
}

TEST(TraceOrder, EventsWrittenLateStillPrecedeTheWritesTheyCaused) {
  // What a real cluster shows: the kubelet's events are sent asynchronously,
  // so Pulling/Started land in the store after the status write that says
  // the container runs (revision 40 for pod a, 45 for pod b). Their
  // eventTime says when they happened; the writes follow their causes.
  TraceInput in = TwoPods(true);
  in.events = {
      Ev("Deployment", "web", "d1", "ScalingReplicaSet", 12, 100),
      Ev("ReplicaSet", "web-abc", "r1", "SuccessfulCreate", 14, 150),
      Ev("ReplicaSet", "web-abc", "r1", "SuccessfulCreate", 16, 160),
      Ev("Pod", "web-abc-a", "pa", "Scheduled", 18, 200),
      Ev("Pod", "web-abc-b", "pb", "Scheduled", 20, 210),
      Ev("Pod", "web-abc-a", "pa", "Pulling", 50, 300),
      Ev("Pod", "web-abc-b", "pb", "Pulling", 51, 310),
      Ev("Pod", "web-abc-a", "pa", "Started", 52, 600),
      Ev("Pod", "web-abc-b", "pb", "Started", 53, 900),
  };
  const std::vector<std::string> steps = Steps(in);
  ExpectCausalOrder(steps);
  // Pod a ran before pod b started: its status write (revision 40) needs
  // only its own Started (600 ms).
  EXPECT_LT(Pos(steps, "pod/web-abc-a", "Condition Ready"), Pos(steps, "pod/web-abc-b", "Started"));
  EXPECT_EQ(RenderTrace(in, Now()).find("Order approximate"), std::string::npos);
}

TEST(SortEvents, TiesOnLastTimestampKeepTheWriteOrder) {
  // The list comes by name: the pod's and the ReplicaSet's events (`web-…`)
  // before the Deployment's (`web.…`), all stamped in the same second.
  std::vector<core::v1::Event> listed = {
      Ev("Pod", "web-abc-a", "pa", "Scheduled", 18, 200),
      Ev("ReplicaSet", "web-abc", "r1", "SuccessfulCreate", 14, 150),
      Ev("Deployment", "web", "d1", "ScalingReplicaSet", 12, 100),
  };
  std::vector<const google::protobuf::Message*> v;
  for (const auto& e : listed) v.push_back(&e);
  ASSERT_TRUE(SortObjects(".lastTimestamp", &v).ok());
  EXPECT_EQ(v, (std::vector<const google::protobuf::Message*>{&listed[2], &listed[1], &listed[0]}));
}

}  // namespace
}  // namespace minik8s::kubectl
