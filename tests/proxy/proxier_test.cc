// The Proxier over hand-filled caches: when rules and endpoints were
// programmed (kept across syncs, new for what is new), the frontends handed
// to the data plane, and the network programming latency metric. The
// cluster IP is a TEST-NET address, so the data plane's bind fails at once
// and nothing listens (no network).
#include "proxy/proxier.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "api/time.h"
#include "client/indexer.h"
#include "common/metrics.h"
#include "gtest/gtest.h"

namespace minik8s::proxy {
namespace {

using minik8s::core::v1::Service;
using minik8s::discovery::v1::EndpointSlice;

std::shared_ptr<const Service> MakeService() {
  auto s = std::make_shared<Service>();
  s->mutable_metadata()->set_name("web");
  s->mutable_metadata()->set_namespace_("default");
  s->mutable_spec()->set_cluster_ip("192.0.2.10");
  auto* p = s->mutable_spec()->add_ports();
  p->set_port(80);
  p->set_protocol("TCP");
  return s;
}

std::shared_ptr<EndpointSlice> MakeSlice(const std::vector<std::string>& ips) {
  auto e = std::make_shared<EndpointSlice>();
  e->mutable_metadata()->set_name("web-a");
  e->mutable_metadata()->set_namespace_("default");
  (*e->mutable_metadata()->mutable_labels())[kLabelServiceName] = "web";
  e->set_address_type("IPv4");
  auto* p = e->add_ports();
  p->set_name("");
  p->set_protocol("TCP");
  p->set_port(8080);
  for (const std::string& ip : ips) {
    auto* ep = e->add_endpoints();
    ep->add_addresses(ip);
    ep->mutable_conditions()->set_ready(true);
  }
  return e;
}

class ProxierTest : public ::testing::Test {
 protected:
  client::Indexer services_;
  client::Indexer slices_;
  Proxier proxier_{client::Lister<Service>(&services_), client::Lister<EndpointSlice>(&slices_),
                   ProxierOptions{.node_names = {"node-1"}}};
};

TEST_F(ProxierTest, RemembersWhenEachEndpointWasProgrammed) {
  services_.Upsert(MakeService());
  slices_.Upsert(MakeSlice({"127.244.1.2", "127.244.1.3"}));
  proxier_.Sync();
  std::vector<ProgrammedRule> first = proxier_.RulesSnapshot();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].rule.Frontend(), "192.0.2.10:80/TCP");
  ASSERT_EQ(first[0].endpoint_since.size(), 2u);
  const absl::Time programmed = first[0].programmed;
  EXPECT_EQ(first[0].endpoint_since.at("127.244.1.2:8080"), programmed);
  EXPECT_EQ(first[0].endpoint_since.at("127.244.1.3:8080"), programmed);
  // The frontend went to the data plane, which could not bind it.
  EXPECT_EQ(proxier_.data_plane()->BindFailures().count(HostPort{"192.0.2.10", 80}), 1u);

  // .3 leaves, .4 comes: .2 keeps its time, .4 gets the new sync's.
  slices_.Upsert(MakeSlice({"127.244.1.2", "127.244.1.4"}));
  proxier_.Sync();
  std::vector<ProgrammedRule> second = proxier_.RulesSnapshot();
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].programmed, programmed);
  EXPECT_EQ(second[0].endpoint_since.at("127.244.1.2:8080"), programmed);
  EXPECT_EQ(second[0].endpoint_since.count("127.244.1.3:8080"), 0u);
  EXPECT_GE(second[0].endpoint_since.at("127.244.1.4:8080"), programmed);
  EXPECT_EQ(second[0].changed, second[0].endpoint_since.at("127.244.1.4:8080"));

  // Nothing changed: nothing moves.
  proxier_.Sync();
  std::vector<ProgrammedRule> third = proxier_.RulesSnapshot();
  EXPECT_EQ(third[0].changed, second[0].changed);
  EXPECT_EQ(third[0].endpoint_since, second[0].endpoint_since);

  // The Service goes: so does its rule, and the data plane forgets it.
  services_.Delete("default/web");
  proxier_.Sync();
  EXPECT_TRUE(proxier_.RulesSnapshot().empty());
  EXPECT_TRUE(proxier_.data_plane()->BindFailures().empty());
  EXPECT_EQ(proxier_.syncs(), 4);
}

double MetricValue(const std::string& line_prefix) {
  const std::string text = metrics::Registry::Default().Expose();
  size_t at = text.find("\n" + line_prefix + " ");
  if (at == std::string::npos) return -1;
  at += line_prefix.size() + 2;
  return std::stod(text.substr(at, text.find('\n', at) - at));
}

TEST_F(ProxierTest, ObservesNetworkProgrammingLatencyFromTheTriggerTime) {
  const std::string count = "kubeproxy_network_programming_duration_seconds_count";
  services_.Upsert(MakeService());
  proxier_.Sync();
  const double before = std::max(0.0, MetricValue(count));

  auto slice = MakeSlice({"127.244.1.2"});
  (*slice->mutable_metadata()->mutable_annotations())[kLastChangeTriggerTime] =
      api::FormatRfc3339Micro(absl::Now());
  slices_.Upsert(slice);
  proxier_.OnSliceChange(*slice);
  proxier_.Sync();
  EXPECT_EQ(MetricValue(count), before + 1);

  // A trigger from before the proxy started is not a programming latency.
  auto old = MakeSlice({"127.244.1.3"});
  (*old->mutable_metadata()->mutable_annotations())[kLastChangeTriggerTime] =
      "2020-01-01T00:00:00Z";
  proxier_.OnSliceChange(*old);
  proxier_.Sync();
  EXPECT_EQ(MetricValue(count), before + 1);
}

}  // namespace
}  // namespace minik8s::proxy
