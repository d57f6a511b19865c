// The rows of `get -w`: the header with the first event after an empty
// list, the widths of the listed table kept, AGE taken when each row prints.
#include "kubectl/printers/watch_table.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/scheme.h"
#include "gtest/gtest.h"
#include "k8s/core/v1/core.pb.h"
#include "kubectl/printers/table.h"
#include "tests/kubectl/test_objects.h"

namespace minik8s::kubectl {
namespace {

using testing::FromYaml;
using testing::Now;

const api::KindInfo& Pods() { return *api::Scheme::Default().FindByResource("pods"); }

core::v1::Pod PendingPod(const std::string& name, absl::Time created) {
  return FromYaml<core::v1::Pod>(absl::StrCat(
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: ", name,
      "\n  namespace: default\n  creationTimestamp: ", api::FormatRfc3339(created),
      "\nspec:\n  containers:\n  - name: c\n    image: nginx\nstatus:\n  phase: Pending\n"));
}

TEST(WatchTable, HeaderComesWithTheFirstRowAlignedToIt) {
  const absl::Time now = Now();
  WatchTable table(Pods(), {}, /*no_headers=*/false, /*list_widths=*/{}, [&] { return now; });
  const core::v1::Pod pod = PendingPod("a-rather-long-pod-name", now - absl::Seconds(3));
  EXPECT_EQ(table.Row(pod),
            "NAME                     READY   STATUS    RESTARTS   AGE\n"
            "a-rather-long-pod-name   0/1     Pending   0          3s\n");
  // Later rows keep those widths and print no header.
  const core::v1::Pod other = PendingPod("b", now - absl::Seconds(1));
  EXPECT_EQ(table.Row(other), "b                        0/1     Pending   0          1s\n");
}

TEST(WatchTable, NoHeaders) {
  const absl::Time now = Now();
  WatchTable table(Pods(), {}, /*no_headers=*/true, {}, [&] { return now; });
  EXPECT_EQ(table.Row(PendingPod("web", now - absl::Seconds(7))),
            "web   0/1   Pending   0     7s\n");
}

TEST(WatchTable, ContinuesTheListedTable) {
  const absl::Time now = Now();
  const core::v1::Pod listed = PendingPod("web-1", now - absl::Minutes(5));
  TableOptions options;
  options.now = now;
  const Table list = ResourceTable(Pods(), {&listed}, options);
  WatchTable table(Pods(), {}, false, ColumnWidths(list, true), [&] { return now; });
  EXPECT_EQ(table.Row(PendingPod("web-2", now - absl::Seconds(2))),
            "web-2   0/1     Pending   0          2s\n");
}

TEST(WatchTable, AgeIsTakenWhenEachRowPrints) {
  absl::Time now = Now();
  const core::v1::Pod pod = PendingPod("web", now);
  WatchTable table(Pods(), {}, true, {}, [&] { return now; });
  EXPECT_EQ(table.Row(pod), "web   0/1   Pending   0     0s\n");
  now += absl::Seconds(42);
  EXPECT_EQ(table.Row(pod), "web   0/1   Pending   0     42s\n");
  now += absl::Minutes(3);
  EXPECT_EQ(table.Row(pod), "web   0/1   Pending   0     3m42s\n");
}

}  // namespace
}  // namespace minik8s::kubectl
