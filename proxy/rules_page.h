// The proxy's /rules page (on its --health-address port): the rule table as
// programmed, as JSON, with when each rule and each endpoint was programmed
// and whether each listener is open — what `mkctl trace service/NAME` needs
// to say when each node's proxy programmed an endpoint.
//
//   {"nodes": ["node-1"], "lastSync": "2026-01-02T03:04:05.123456789+00:00",
//    "rules": [{"service": "default/web", "portName": "http",
//               "type": "ClusterIP", "frontend": "127.96.0.10:80/TCP",
//               "localPolicy": false,
//               "programmed": "...", "changed": "...",
//               "listeners": [{"address": "127.96.0.10:80", "listening": true}],
//               "endpoints": [{"address": "127.244.1.2:8080", "nodeName": "node-1",
//                              "ready": true, "serving": true, "terminating": false,
//                              "programmed": "..."}]}]}
//
// A listener that cannot be bound has "listening": false and "error"; one
// without endpoints is closed on purpose ("listening": false, no error).
//
// Thread safety: a pure function.
#ifndef MINIK8S_PROXY_RULES_PAGE_H_
#define MINIK8S_PROXY_RULES_PAGE_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "proxy/proxier.h"
#include "proxy/tcp_proxy.h"

namespace minik8s::proxy {

struct RulesPageInput {
  std::vector<std::string> nodes;
  std::vector<std::string> nodeport_addresses;
  absl::Time last_sync = absl::InfinitePast();
  std::vector<ProgrammedRule> rules;
  std::set<HostPort> listening;
  std::map<HostPort, std::string> bind_failures;
};

std::string RulesPage(const RulesPageInput& in);

}  // namespace minik8s::proxy

#endif  // MINIK8S_PROXY_RULES_PAGE_H_
