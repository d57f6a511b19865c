#include "proxy/rules_page.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace minik8s::proxy {

namespace {

std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (c < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string Time(absl::Time t) {
  if (t == absl::InfinitePast()) return "null";
  return Quote(absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone()));
}

const char* Bool(bool b) { return b ? "true" : "false"; }

}  // namespace

std::string RulesPage(const RulesPageInput& in) {
  std::string out = "{\"nodes\": [";
  for (size_t i = 0; i < in.nodes.size(); ++i) {
    absl::StrAppend(&out, i > 0 ? ", " : "", Quote(in.nodes[i]));
  }
  absl::StrAppend(&out, "],\n \"lastSync\": ", Time(in.last_sync), ",\n \"rules\": [");
  for (size_t i = 0; i < in.rules.size(); ++i) {
    const ProgrammedRule& p = in.rules[i];
    const Rule& r = p.rule;
    absl::StrAppend(
        &out, i > 0 ? ",\n  " : "\n  ",
        "{\"service\": ", Quote(absl::StrCat(r.service_namespace, "/", r.service_name)),
        ", \"portName\": ", Quote(r.port_name),
        ", \"type\": ", Quote(r.kind == FrontendKind::kClusterIP ? "ClusterIP" : "NodePort"),
        ", \"frontend\": ", Quote(r.Frontend()), ", \"localPolicy\": ", Bool(r.local_policy),
        ", \"programmed\": ", Time(p.programmed), ", \"changed\": ", Time(p.changed),
        ",\n   \"listeners\": [");
    std::vector<HostPort> frontends;
    if (r.kind == FrontendKind::kClusterIP) {
      frontends.push_back({r.ip, r.port});
    } else {
      for (const std::string& a : in.nodeport_addresses) frontends.push_back({a, r.port});
    }
    for (size_t j = 0; j < frontends.size(); ++j) {
      const HostPort& f = frontends[j];
      absl::StrAppend(&out, j > 0 ? ", " : "", "{\"address\": ", Quote(f.ToString()),
                      ", \"listening\": ", Bool(in.listening.contains(f)));
      auto failure = in.bind_failures.find(f);
      if (failure != in.bind_failures.end()) {
        absl::StrAppend(&out, ", \"error\": ", Quote(failure->second));
      }
      out += "}";
    }
    out += "],\n   \"endpoints\": [";
    for (size_t j = 0; j < r.endpoints.size(); ++j) {
      const RuleEndpoint& e = r.endpoints[j];
      auto since = p.endpoint_since.find(e.Address());
      absl::StrAppend(&out, j > 0 ? ",\n     " : "\n     ", "{\"address\": ", Quote(e.Address()),
                      ", \"nodeName\": ", Quote(e.node_name), ", \"ready\": ", Bool(e.ready),
                      ", \"serving\": ", Bool(e.serving),
                      ", \"terminating\": ", Bool(e.terminating), ", \"programmed\": ",
                      Time(since == p.endpoint_since.end() ? absl::InfinitePast() : since->second),
                      "}");
    }
    out += "]}";
  }
  out += "]}\n";
  return out;
}

}  // namespace minik8s::proxy
