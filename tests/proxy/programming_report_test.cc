// The programming reports a proxy writes as Events: the annotation format
// both ways, the Event and its merge patch, what the proxier's log records
// per sync (new slice versions only, the last N, forgotten Services), and
// the proxier handing over the reports of the Services that changed.
#include "proxy/programming_report.h"

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "api/time.h"
#include "client/indexer.h"
#include "gtest/gtest.h"
#include "proxy/proxier.h"

namespace minik8s::proxy {
namespace {

using minik8s::core::v1::Service;
using minik8s::discovery::v1::EndpointSlice;

const absl::Time kT0 = absl::FromUnixMicros(1796000000123456);

EndpointSlice MakeSlice(const std::string& name, const std::string& rv,
                        const std::string& service = "web") {
  EndpointSlice e;
  e.mutable_metadata()->set_name(name);
  e.mutable_metadata()->set_namespace_("default");
  e.mutable_metadata()->set_resource_version(rv);
  (*e.mutable_metadata()->mutable_labels())["kubernetes.io/service-name"] = service;
  e.set_address_type("IPv4");
  auto* p = e.add_ports();
  p->set_protocol("TCP");
  p->set_port(8080);
  auto* ep = e.add_endpoints();
  ep->add_addresses("127.244.1.2");
  ep->mutable_conditions()->set_ready(true);
  return e;
}

TEST(ProgrammedAnnotation, RoundTrips) {
  std::map<std::string, SliceProgramming> slices;
  slices["web-a"].versions = {{812, kT0}, {815, kT0 + absl::Milliseconds(250)}};
  slices["web-b"].truncated = true;
  slices["web-b"].versions = {{900, kT0 + absl::Seconds(3)}};
  const std::string text = FormatProgrammed(slices);
  EXPECT_EQ(text,
            "web-a=812@2026-11-30T00:53:20.123456Z,815@2026-11-30T00:53:20.373456Z;"
            "web-b=...,900@2026-11-30T00:53:23.123456Z");
  absl::StatusOr<std::map<std::string, SliceProgramming>> back = ParseProgrammed(text);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, slices);
  EXPECT_FALSE(ParseProgrammed("web-a=812").ok());
  EXPECT_FALSE(ParseProgrammed("=812@2026-11-30T00:53:20Z").ok());
  EXPECT_FALSE(ParseProgrammed("web-a=x@2026-11-30T00:53:20Z").ok());
}

TEST(ReportEvent, NamesTheServiceAndTheNodeAndReadsBack) {
  ProgrammingReport r;
  r.service_namespace = "default";
  r.service_name = "web";
  r.service_uid = "svc-uid";
  r.nodes = {"node-2"};
  r.slices["web-a"].versions = {{812, kT0}};
  const auto e = ReportEvent(r, kT0);
  EXPECT_EQ(e.metadata().name(), "web.proxy.node-2");
  EXPECT_EQ(e.metadata().namespace_(), "default");
  EXPECT_EQ(e.involved_object().kind(), "Service");
  EXPECT_EQ(e.involved_object().uid(), "svc-uid");
  EXPECT_EQ(e.reason(), "EndpointsProgrammed");
  EXPECT_EQ(e.source().component(), "kube-proxy");
  EXPECT_EQ(e.source().host(), "node-2");
  EXPECT_EQ(e.count(), 1);
  EXPECT_EQ(e.message(),
            "Rules of default/web programmed on node-2 from EndpointSlice web-a at "
            "resourceVersion 812");
  absl::StatusOr<ProgrammingReport> back = ReportFromEvent(e);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->nodes, r.nodes);
  EXPECT_EQ(back->service_uid, "svc-uid");
  EXPECT_EQ(back->slices, r.slices);

  const std::string patch = ReportPatch(r, 3, kT0);
  EXPECT_TRUE(absl::StrContains(patch, R"("count":3)")) << patch;
  EXPECT_TRUE(absl::StrContains(patch, R"("proxy.minik8s.io/programmed":"web-a=812@)")) << patch;
  EXPECT_TRUE(absl::StrContains(patch, R"("lastTimestamp":"2026-11-30T00:53:20Z")")) << patch;

  core::v1::Event other = e;
  other.set_reason("Started");
  EXPECT_FALSE(ReportFromEvent(other).ok());
}

TEST(ProgrammingLog, RecordsNewVersionsOnlyAndForgets) {
  ProgrammingLog log(/*max_versions=*/2);
  const std::map<std::string, std::string> services = {{"default/web", "uid-1"}};
  EndpointSlice a1 = MakeSlice("web-a", "10");
  EndpointSlice other = MakeSlice("db-a", "11", "db");  // no rules: not recorded
  log.Record(services, {&a1, &other}, kT0);
  std::vector<ProgrammingReport> reports = log.TakeChanged({"node-1"});
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].service_name, "web");
  EXPECT_EQ(reports[0].service_uid, "uid-1");
  EXPECT_EQ(reports[0].nodes, std::vector<std::string>{"node-1"});
  ASSERT_EQ(reports[0].slices.size(), 1u);
  EXPECT_EQ(reports[0].slices["web-a"].versions, (std::vector<ProgrammedVersion>{{10, kT0}}));

  // The same version again: nothing to report.
  log.Record(services, {&a1}, kT0 + absl::Seconds(1));
  EXPECT_TRUE(log.TakeChanged({"node-1"}).empty());

  // Two new versions: the oldest of three is dropped, marked truncated.
  EndpointSlice a2 = MakeSlice("web-a", "12");
  EndpointSlice a3 = MakeSlice("web-a", "14");
  log.Record(services, {&a2}, kT0 + absl::Seconds(2));
  log.Record(services, {&a3}, kT0 + absl::Seconds(3));
  reports = log.TakeChanged({"node-1"});
  ASSERT_EQ(reports.size(), 1u);
  const SliceProgramming& s = reports[0].slices["web-a"];
  EXPECT_TRUE(s.truncated);
  EXPECT_EQ(s.versions, (std::vector<ProgrammedVersion>{{12, kT0 + absl::Seconds(2)},
                                                        {14, kT0 + absl::Seconds(3)}}));

  // The Service recreated (new uid): its record starts over.
  log.Record({{"default/web", "uid-2"}}, {&a3}, kT0 + absl::Seconds(4));
  reports = log.TakeChanged({"node-1"});
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_FALSE(reports[0].slices["web-a"].truncated);
  EXPECT_EQ(reports[0].slices["web-a"].versions,
            (std::vector<ProgrammedVersion>{{14, kT0 + absl::Seconds(4)}}));
}

TEST(ProxierReports, EachSyncThatProgramsANewSliceVersion) {
  client::Indexer services;
  client::Indexer slices;
  Proxier proxier(client::Lister<Service>(&services), client::Lister<EndpointSlice>(&slices),
                  ProxierOptions{.node_names = {"node-1", "node-2"}});
  auto svc = std::make_shared<Service>();
  svc->mutable_metadata()->set_name("web");
  svc->mutable_metadata()->set_namespace_("default");
  svc->mutable_metadata()->set_uid("uid-1");
  svc->mutable_spec()->set_cluster_ip("192.0.2.10");  // TEST-NET: never bound
  auto* p = svc->mutable_spec()->add_ports();
  p->set_port(80);
  p->set_protocol("TCP");
  services.Upsert(svc);
  slices.Upsert(std::make_shared<EndpointSlice>(MakeSlice("web-a", "10")));
  proxier.Sync();
  std::vector<ProgrammingReport> reports = proxier.TakeProgrammingReports();
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].nodes, (std::vector<std::string>{"node-1", "node-2"}));
  EXPECT_EQ(reports[0].service_uid, "uid-1");
  ASSERT_EQ(reports[0].slices["web-a"].versions.size(), 1u);
  EXPECT_EQ(reports[0].slices["web-a"].versions[0].resource_version, 10);
  proxier.Sync();
  EXPECT_TRUE(proxier.TakeProgrammingReports().empty());
  slices.Upsert(std::make_shared<EndpointSlice>(MakeSlice("web-a", "11")));
  proxier.Sync();
  reports = proxier.TakeProgrammingReports();
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].slices["web-a"].versions.size(), 2u);
}

}  // namespace
}  // namespace minik8s::proxy
