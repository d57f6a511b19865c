// The /rules page (proxy/rules_page.h): rules, listeners and endpoints with
// their programming times, as JSON.
#include "proxy/rules_page.h"

#include <string>

#include "gtest/gtest.h"

namespace minik8s::proxy {
namespace {

TEST(RulesPage, ListsRulesListenersAndEndpointTimes) {
  ProgrammedRule cluster;
  cluster.rule.service_namespace = "default";
  cluster.rule.service_name = "web";
  cluster.rule.port_name = "http";
  cluster.rule.ip = "127.96.0.10";
  cluster.rule.port = 80;
  cluster.rule.endpoints.push_back({.ip = "127.244.1.2", .port = 8080, .node_name = "node-1"});
  cluster.programmed = absl::FromUnixSeconds(1767225600);                       // 2026-01-01
  cluster.changed = absl::FromUnixSeconds(1767225600) + absl::Milliseconds(5);  // +5ms
  cluster.endpoint_since["127.244.1.2:8080"] = cluster.changed;
  ProgrammedRule node_port = cluster;
  node_port.rule.kind = FrontendKind::kNodePort;
  node_port.rule.port = 30080;
  node_port.rule.local_policy = true;

  RulesPageInput in;
  in.nodes = {"node-1", "we\"ird"};
  in.nodeport_addresses = {"127.0.0.1", "192.0.2.1"};
  in.last_sync = cluster.changed;
  in.rules = {cluster, node_port};
  in.listening = {{"127.96.0.10", 80}, {"127.0.0.1", 30080}};
  in.bind_failures[{"192.0.2.1", 30080}] = "Cannot assign requested address";
  const std::string page = RulesPage(in);
  for (const std::string want : {
           R"("nodes": ["node-1", "we\"ird"])",
           R"("lastSync": "2026-01-01T00:00:00.005+00:00")",
           R"({"service": "default/web", "portName": "http", "type": "ClusterIP", )"
           R"("frontend": "127.96.0.10:80/TCP", "localPolicy": false, )"
           R"("programmed": "2026-01-01T00:00:00+00:00", )"
           R"("changed": "2026-01-01T00:00:00.005+00:00")",
           R"("listeners": [{"address": "127.96.0.10:80", "listening": true}])",
           R"("type": "NodePort", "frontend": "nodePort 30080/TCP", "localPolicy": true)",
           R"("listeners": [{"address": "127.0.0.1:30080", "listening": true}, )"
           R"({"address": "192.0.2.1:30080", "listening": false, )"
           R"("error": "Cannot assign requested address"}])",
           R"({"address": "127.244.1.2:8080", "nodeName": "node-1", "ready": true, )"
           R"("serving": true, "terminating": false, )"
           R"("programmed": "2026-01-01T00:00:00.005+00:00"})",
       }) {
    EXPECT_NE(page.find(want), std::string::npos) << want << "\nnot in\n" << page;
  }
}

TEST(RulesPage, BeforeTheFirstSync) {
  EXPECT_EQ(RulesPage({.nodes = {"node-1"}}),
            "{\"nodes\": [\"node-1\"],\n \"lastSync\": null,\n \"rules\": []}\n");
}

}  // namespace
}  // namespace minik8s::proxy
