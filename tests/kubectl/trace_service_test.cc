// mkctl trace service/NAME without a server: the order of the steps (Service,
// pods' Ready, slice versions at their trigger time, each proxy's
// programming of the versions it saw), what each programming step names,
// and the summary per endpoint (nodes programmed, delay after Ready, nodes
// that never reported).
#include "kubectl/printers/trace_service.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace minik8s::kubectl {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// 2026-12-05T09:25:30Z
const absl::Time kT0 =
    absl::FromCivil(absl::CivilSecond(2026, 12, 5, 9, 25, 30), absl::UTCTimeZone());

core::v1::Pod ReadyPod(const std::string& name, const std::string& node, absl::Time at) {
  core::v1::Pod p;
  p.mutable_metadata()->set_name(name);
  p.mutable_metadata()->set_namespace_("default");
  p.mutable_spec()->set_node_name(node);
  p.mutable_status()->set_pod_ip("127.244.1.2");
  auto* c = p.mutable_status()->add_conditions();
  c->set_type("Ready");
  c->set_status("True");
  *c->mutable_last_transition_time() = api::ToProtoTime(at);
  return p;
}

discovery::v1::EndpointSlice Slice(const std::string& rv, const std::vector<std::string>& ready,
                                   absl::Time trigger) {
  discovery::v1::EndpointSlice s;
  s.mutable_metadata()->set_name("web-x");
  s.mutable_metadata()->set_namespace_("default");
  s.mutable_metadata()->set_resource_version(rv);
  (*s.mutable_metadata()
        ->mutable_annotations())["endpoints.kubernetes.io/last-change-trigger-time"] =
      api::FormatRfc3339(trigger);
  for (const std::string& pod : ready) {
    auto* e = s.add_endpoints();
    e->add_addresses("127.244.1.2");
    e->mutable_conditions()->set_ready(true);
    e->mutable_target_ref()->set_kind("Pod");
    e->mutable_target_ref()->set_name(pod);
  }
  return s;
}

proxy::ProgrammingReport Report(const std::string& node,
                                std::vector<proxy::ProgrammedVersion> versions) {
  proxy::ProgrammingReport r;
  r.service_namespace = "default";
  r.service_name = "web";
  r.nodes = {node};
  r.slices["web-x"].versions = std::move(versions);
  return r;
}

ServiceTraceInput Scenario() {
  ServiceTraceInput in;
  auto& svc = in.service;
  svc.mutable_metadata()->set_name("web");
  svc.mutable_metadata()->set_namespace_("default");
  *svc.mutable_metadata()->mutable_creation_timestamp() = api::ToProtoTime(kT0);
  svc.mutable_spec()->set_type("ClusterIP");
  svc.mutable_spec()->set_cluster_ip("127.96.0.10");
  auto* port = svc.mutable_spec()->add_ports();
  port->set_name("http");
  port->set_port(80);
  port->set_protocol("TCP");
  in.pods = {ReadyPod("a", "node-1", kT0 + absl::Seconds(2)),
             ReadyPod("b", "node-2", kT0 + absl::Seconds(3))};
  in.slice_versions = {Slice("10", {}, kT0), Slice("12", {"a"}, kT0 + absl::Seconds(2)),
                       Slice("14", {"a", "b"}, kT0 + absl::Seconds(3))};
  in.slices_created = {"web-x"};
  // node-1's proxy saw revision 12 only as part of 14.
  in.reports = {
      Report("node-1", {{10, kT0 + absl::Milliseconds(100)}, {14, kT0 + absl::Milliseconds(3200)}}),
      Report("node-2", {{10, kT0 + absl::Milliseconds(200)},
                        {12, kT0 + absl::Milliseconds(2300)},
                        {14, kT0 + absl::Milliseconds(3400)}})};
  in.nodes = {"node-1", "node-2", "node-3"};
  return in;
}

std::vector<std::string> Summary(const std::vector<TraceStep>& steps) {
  std::vector<std::string> out;
  for (const TraceStep& s : steps) {
    out.push_back(absl::StrCat(s.object, " ", s.step, ": ", s.detail));
  }
  return out;
}

TEST(TraceService, StepsInCausalOrder) {
  EXPECT_THAT(
      Summary(ServiceTraceSteps(Scenario())),
      ::testing::ElementsAre(
          "service/web Created: clusterIP 127.96.0.10 allocated; ClusterIP; ports http 80/TCP",
          "endpointslice/web-x Created: revision 10, 0/0 ready: no change in ready endpoints",
          "node/node-1 Programmed: endpointslice/web-x revision 10: no change in ready "
          "endpoints (0 ready)",
          "node/node-2 Programmed: endpointslice/web-x revision 10: no change in ready "
          "endpoints (0 ready)",
          "pod/a Condition Ready: True (on node-1, IP 127.244.1.2)",
          "endpointslice/web-x Updated: revision 12, 1/1 ready: +pod/a",
          "node/node-2 Programmed: endpointslice/web-x revision 12: +pod/a (1 ready)",
          "pod/b Condition Ready: True (on node-2, IP 127.244.1.2)",
          "endpointslice/web-x Updated: revision 14, 2/2 ready: +pod/b",
          "node/node-1 Programmed: endpointslice/web-x revision 14: +pod/a +pod/b (2 ready)",
          "node/node-2 Programmed: endpointslice/web-x revision 14: +pod/b (2 ready)"));
}

TEST(TraceService, RenderedTimelineAndSummary) {
  const std::string out = RenderServiceTrace(Scenario(), kT0 + absl::Minutes(5));
  EXPECT_THAT(out, HasSubstr("Service web (namespace default): ClusterIP 127.96.0.10, 2 selected "
                             "pod(s), age 5m\n"));
  EXPECT_THAT(out, HasSubstr("#    TIME (UTC)     AFTER    OBJECT"));
  // The proxies' times are precise; AFTER counts from the previous step.
  EXPECT_THAT(out, HasSubstr("09:25:33.200   +200ms   node/node-1"));
  EXPECT_THAT(out, HasSubstr("11 steps over 3.4s\n"));
  // Per endpoint: the slice revision that carried it, who programmed it,
  // and the last node's delay after Ready.
  std::vector<std::string> lines = absl::StrSplit(out, '\n');
  auto line_of = [&](const std::string& prefix) {
    for (const std::string& l : lines) {
      if (absl::StartsWith(l, prefix)) return l;
    }
    return std::string();
  };
  EXPECT_THAT(line_of("ENDPOINT"), HasSubstr("READY SINCE"));
  EXPECT_THAT(line_of("pod/a "), HasSubstr("endpointslice/web-x revision 12"));
  EXPECT_THAT(line_of("pod/a "), HasSubstr("2/3 nodes (not node-3)"));
  EXPECT_THAT(line_of("pod/a "), HasSubstr("1.2s"));
  EXPECT_THAT(line_of("pod/b "), HasSubstr("endpointslice/web-x revision 14"));
  EXPECT_THAT(line_of("pod/b "), HasSubstr("400ms"));
  EXPECT_THAT(out, HasSubstr("No programming report from the proxy of 1 node: node-3\n"));
  EXPECT_THAT(out, Not(HasSubstr("Order approximate")));
}

TEST(TraceService, DeletedSliceAfterTheWritesBeforeIt) {
  ServiceTraceInput in = Scenario();
  in.slice_versions.insert(in.slice_versions.begin(), Slice("9", {}, kT0));
  in.slice_versions[0].mutable_metadata()->set_name("web-placeholder");
  in.slices_created.insert("web-placeholder");
  in.slices_deleted["web-placeholder"] = 13;
  const std::vector<TraceStep> steps = ServiceTraceSteps(in);
  std::vector<std::string> slice_steps;
  for (const TraceStep& s : steps) {
    if (absl::StartsWith(s.object, "endpointslice/")) {
      slice_steps.push_back(absl::StrCat(s.object, " ", s.step, " ", s.revision));
    }
  }
  EXPECT_THAT(slice_steps, ::testing::ElementsAre("endpointslice/web-placeholder Created 9",
                                                  "endpointslice/web-x Created 10",
                                                  "endpointslice/web-x Updated 12",
                                                  "endpointslice/web-placeholder Deleted 13",
                                                  "endpointslice/web-x Updated 14"));
}

TEST(TraceService, UnreadyEndpointLeavesAndHistoryGaps) {
  ServiceTraceInput in = Scenario();
  // b became unready: revision 16 drops it, node-2 programs that.
  in.pods[1].mutable_status()->mutable_conditions(0)->set_status("False");
  in.pods[1].mutable_status()->mutable_conditions(0)->set_reason("ContainersNotReady");
  *in.pods[1].mutable_status()->mutable_conditions(0)->mutable_last_transition_time() =
      api::ToProtoTime(kT0 + absl::Seconds(8));
  in.slice_versions.push_back(Slice("16", {"a"}, kT0 + absl::Seconds(8)));
  in.reports[1].slices["web-x"].versions.push_back({16, kT0 + absl::Milliseconds(8100)});
  in.nodes = {"node-1", "node-2"};
  const std::vector<std::string> steps = Summary(ServiceTraceSteps(in));
  EXPECT_THAT(steps, ::testing::Contains("pod/b Condition Ready: False: ContainersNotReady (on "
                                         "node-2, IP 127.244.1.2)"));
  EXPECT_THAT(steps, ::testing::Contains("endpointslice/web-x Updated: revision 16, 1/1 ready: "
                                         "-pod/b"));
  EXPECT_THAT(steps, ::testing::Contains("node/node-2 Programmed: endpointslice/web-x revision "
                                         "16: -pod/b (1 ready)"));
  const std::string out = RenderServiceTrace(in, kT0 + absl::Minutes(5));
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    EXPECT_FALSE(absl::StartsWith(line, "pod/b")) << "not an endpoint any more: " << line;
  }
  EXPECT_THAT(out, Not(HasSubstr("No programming report")));

  // The history starts at revision 14: the slice's first known version
  // lists what is ready, and a report of an older version is left out.
  in.slice_versions.erase(in.slice_versions.begin(), in.slice_versions.begin() + 2);
  in.slices_created.clear();
  in.note = "the apiserver's history starts after revision 13";
  const std::vector<std::string> partial = Summary(ServiceTraceSteps(in));
  EXPECT_THAT(partial, ::testing::Contains("endpointslice/web-x Updated: revision 14, 2/2 ready: "
                                           "pod/a pod/b (earlier versions not in the history)"));
  for (const std::string& s : partial) EXPECT_THAT(s, Not(HasSubstr("revision 10")));
  EXPECT_THAT(RenderServiceTrace(in, kT0),
              HasSubstr("Order approximate: the apiserver's history starts after revision 13\n"));
}

}  // namespace
}  // namespace minik8s::kubectl
