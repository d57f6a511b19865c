#include "scheduler/framework/fit_error.h"

#include "gtest/gtest.h"
#include "scheduler/schedule_one.h"

namespace minik8s::scheduler {
namespace {

// Kubernetes sorts the "<count> <reason>" strings with sort.Strings, so the
// 1-node reason comes before "2 Insufficient cpu".
TEST(FitError, KubernetesMessage) {
  FitError fe;
  fe.num_all_nodes = 3;
  fe.Add(FilterStatus::Unschedulable("Insufficient cpu"));
  fe.Add(FilterStatus::Unschedulable("Insufficient cpu"));
  fe.Add(FilterStatus::Unresolvable(
      "node(s) had untolerated taint {node.kubernetes.io/unreachable: }"));
  EXPECT_EQ(fe.Message(),
            "0/3 nodes are available: 1 node(s) had untolerated taint "
            "{node.kubernetes.io/unreachable: }, 2 Insufficient cpu.");
}

TEST(FitError, EveryReasonOfANodeCountsAndSortIsByString) {
  FitError fe;
  fe.num_all_nodes = 12;
  for (int i = 0; i < 10; ++i) {
    fe.Add(FilterStatus(Code::kUnschedulable, {"Insufficient cpu", "Insufficient memory"}));
  }
  fe.Add(FilterStatus::Unresolvable("node(s) were unschedulable"));
  fe.Add(FilterStatus::Unresolvable("node(s) didn't match Pod's node affinity/selector"));
  // As Kubernetes sorts the "<count> <reason>" strings: "1 ..." < "10 ...".
  EXPECT_EQ(fe.Message(),
            "0/12 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, "
            "1 node(s) were unschedulable, 10 Insufficient cpu, 10 Insufficient memory.");
}

TEST(FitError, NoNodes) {
  ScheduleResult r;
  r.fit_error = FitError{};
  EXPECT_EQ(r.FailureMessage(), "no nodes available to schedule pods");
}

}  // namespace
}  // namespace minik8s::scheduler
