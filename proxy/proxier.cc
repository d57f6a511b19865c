#include "proxy/proxier.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/time.h"
#include "common/metrics.h"
#include "proxy/rules_page.h"
#include "spdlog/spdlog.h"

namespace minik8s::proxy {

using minik8s::core::v1::Service;
using minik8s::discovery::v1::EndpointSlice;

namespace {

struct Metrics {
  metrics::Histogram* sync_duration = nullptr;
  metrics::Gauge* last_sync = nullptr;
  metrics::Counter* endpoint_changes = nullptr;
  metrics::Counter* service_changes = nullptr;
  metrics::Gauge* rules = nullptr;
  metrics::Histogram* network_programming = nullptr;
};

// kube-proxy's metric names (pkg/proxy/metrics).
const Metrics& GetMetrics() {
  static const Metrics* const m = [] {
    metrics::Registry& r = metrics::Registry::Default();
    auto* out = new Metrics;
    auto duration = metrics::NewHistogram(r, "kubeproxy_sync_proxy_rules_duration_seconds",
                                          "SyncProxyRules latency in seconds", {},
                                          *metrics::ExponentialBuckets(0.001, 2, 15));
    auto last = metrics::NewGauge(r, "kubeproxy_sync_proxy_rules_last_timestamp_seconds",
                                  "The last time proxy rules were successfully synced");
    auto endpoints = metrics::NewCounter(r, "kubeproxy_sync_proxy_rules_endpoint_changes_total",
                                         "Cumulative proxy rules Endpoint changes");
    auto services = metrics::NewCounter(r, "kubeproxy_sync_proxy_rules_service_changes_total",
                                        "Cumulative proxy rules Service changes");
    auto rules = metrics::NewGauge(r, "minik8s_proxy_rules",
                                   "Rules (Service port frontends) in the last sync");
    // 1 ms doubling to ~4.4 min.
    auto programming = metrics::NewHistogram(
        r, "kubeproxy_network_programming_duration_seconds",
        "In Cluster Network Programming Latency in seconds: from the change that triggered an "
        "EndpointSlice (its endpoints.kubernetes.io/last-change-trigger-time) to its rules "
        "being programmed",
        {}, *metrics::ExponentialBuckets(0.001, 2, 19));
    if (duration.ok() && last.ok() && endpoints.ok() && services.ok() && rules.ok() &&
        programming.ok()) {
      out->sync_duration = &(*duration)->WithLabelValues({});
      out->last_sync = &(*last)->WithLabelValues({});
      out->endpoint_changes = &(*endpoints)->WithLabelValues({});
      out->service_changes = &(*services)->WithLabelValues({});
      out->rules = &(*rules)->WithLabelValues({});
      out->network_programming = &(*programming)->WithLabelValues({});
    } else {
      spdlog::error("proxy metrics cannot be registered");
    }
    return out;
  }();
  return *m;
}

// Trigger times kept for the next sync at most (a sync that comes late
// measures the first ones).
constexpr size_t kMaxPendingTriggers = 100000;

std::string RuleKey(const Rule& r) { return absl::StrCat(r.ServicePortName(), " ", r.Frontend()); }

std::string Addresses(const std::vector<std::string>& a) {
  return a.empty() ? "none" : absl::StrJoin(a, ",");
}

}  // namespace

TcpProxy::Table FrontendTable(const std::vector<Rule>& rules,
                              const std::vector<std::string>& nodeport_addresses) {
  TcpProxy::Table table;
  auto add = [&](HostPort frontend, const Rule& r) {
    std::vector<HostPort>& backends = table[std::move(frontend)];
    for (const RuleEndpoint& e : r.endpoints) {
      HostPort b{e.ip, e.port};
      if (std::find(backends.begin(), backends.end(), b) == backends.end()) backends.push_back(b);
    }
  };
  for (const Rule& r : rules) {
    if (r.kind == FrontendKind::kClusterIP) {
      add(HostPort{r.ip, r.port}, r);
    } else {
      for (const std::string& a : nodeport_addresses) add(HostPort{a, r.port}, r);
    }
  }
  return table;
}

Proxier::Proxier(client::Lister<Service> services, client::Lister<EndpointSlice> slices,
                 ProxierOptions options)
    : services_(std::move(services)),
      slices_(std::move(slices)),
      options_(std::move(options)),
      local_nodes_(options_.node_names.begin(), options_.node_names.end()),
      data_plane_(options_.tcp),
      started_(absl::Now()) {}

Proxier::~Proxier() { Stop(); }

void Proxier::RegisterHandlers(client::Informer<Service>* services,
                               client::Informer<EndpointSlice>* slices) {
  services->AddEventHandler({
      .on_add = [this](const auto&) { MarkDirty(); },
      .on_update =
          [this](const auto& a, const auto& b) {
            if (a != b) MarkDirty();
          },
      .on_delete = [this](const auto&, bool) { MarkDirty(); },
  });
  slices->AddEventHandler({
      .on_add = [this](const auto& s) { OnSliceChange(*s); },
      .on_update =
          [this](const auto& a, const auto& b) {
            if (a != b) OnSliceChange(*b);
          },
      .on_delete = [this](const auto&, bool) { MarkDirty(); },
  });
}

void Proxier::OnSliceChange(const EndpointSlice& slice) {
  auto trigger = slice.metadata().annotations().find(kLastChangeTriggerTime);
  std::optional<absl::Time> at;
  if (trigger != slice.metadata().annotations().end()) {
    absl::StatusOr<absl::Time> parsed = api::ParseRfc3339(trigger->second);
    // A change from before this proxy started measures the proxy's start,
    // not network programming (kube-proxy skips those too).
    if (parsed.ok() && *parsed >= started_) at = *parsed;
  }
  absl::MutexLock l(&mu_);
  dirty_ = true;
  if (at && pending_triggers_.size() < kMaxPendingTriggers) pending_triggers_.push_back(*at);
}

void Proxier::MarkDirty() {
  absl::MutexLock l(&mu_);
  dirty_ = true;
}

void Proxier::Run() {
  thread_ = std::thread([this] { SyncLoop(); });
}

void Proxier::Stop() {
  {
    absl::MutexLock l(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

int64_t Proxier::syncs() const {
  absl::MutexLock l(&mu_);
  return syncs_;
}

void Proxier::SyncLoop() {
  while (true) {
    {
      absl::MutexLock l(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return dirty_ || stopping_; };
      mu_.AwaitWithDeadline(absl::Condition(&ready), last_sync_ + options_.sync_period);
      if (stopping_) return;
      // Batch a burst: no sooner than min_sync_period after the last sync.
      absl::Time earliest = last_sync_ + options_.min_sync_period;
      if (absl::Now() < earliest) {
        auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
        mu_.AwaitWithDeadline(absl::Condition(&stop), earliest);
        if (stopping_) return;
      }
    }
    Sync();
  }
}

void Proxier::Sync() {
  absl::MutexLock sync_lock(&sync_mu_);
  const absl::Time start = absl::Now();
  std::vector<absl::Time> triggers;
  {
    absl::MutexLock l(&mu_);
    dirty_ = false;
    triggers.swap(pending_triggers_);
  }
  std::vector<std::shared_ptr<const Service>> services = services_.List();
  std::vector<std::shared_ptr<const EndpointSlice>> slices = slices_.List();
  std::vector<const Service*> service_ptrs;
  service_ptrs.reserve(services.size());
  for (const auto& s : services) service_ptrs.push_back(s.get());
  std::vector<const EndpointSlice*> slice_ptrs;
  slice_ptrs.reserve(slices.size());
  for (const auto& s : slices) slice_ptrs.push_back(s.get());
  RuleTable table = BuildRules(service_ptrs, slice_ptrs, local_nodes_);

  data_plane_.Apply(FrontendTable(table.rules, options_.nodeport_addresses));
  const absl::Time programmed = absl::Now();

  const Metrics& m = GetMetrics();
  int64_t endpoint_changes = 0;
  int64_t service_changes = 0;
  absl::MutexLock l(&mu_);
  for (const UnsupportedPort& u : table.unsupported) {
    if (unsupported_logged_.insert(u.service_port).second) {
      spdlog::info("{}: only TCP is proxied; not carried", u.description);
    }
  }
  std::map<std::string, ProgrammedRule> next;
  for (Rule& r : table.rules) {
    std::string key = RuleKey(r);
    auto old = programmed_.find(key);
    ProgrammedRule p;
    if (old == programmed_.end()) {
      ++service_changes;
      p.programmed = programmed;
      p.changed = programmed;
    } else {
      p.programmed = old->second.programmed;
      p.changed = old->second.changed;
    }
    std::vector<std::string> added;
    std::vector<std::string> removed;
    for (const RuleEndpoint& e : r.endpoints) {
      std::string address = e.Address();
      absl::Time since = programmed;
      if (old != programmed_.end()) {
        auto was = old->second.endpoint_since.find(address);
        if (was != old->second.endpoint_since.end()) since = was->second;
      }
      if (since == programmed) added.push_back(address);
      p.endpoint_since.emplace(std::move(address), since);
    }
    if (old != programmed_.end()) {
      for (const auto& [address, since] : old->second.endpoint_since) {
        if (!p.endpoint_since.contains(address)) removed.push_back(address);
      }
    }
    if (!added.empty() || !removed.empty()) {
      p.changed = programmed;
      endpoint_changes += static_cast<int64_t>(added.size() + removed.size());
      spdlog::info("{} {}: {} endpoint(s) (added {}, removed {})", r.ServicePortName(),
                   r.Frontend(), r.endpoints.size(), Addresses(added), Addresses(removed));
      for (const std::string& a : added) {
        spdlog::debug("programmed {} {} -> {} at {}", r.ServicePortName(), r.Frontend(), a,
                      absl::FormatTime(programmed));
      }
    }
    p.rule = std::move(r);
    next.emplace(std::move(key), std::move(p));
  }
  for (const auto& [key, p] : programmed_) {
    if (!next.contains(key)) {
      ++service_changes;
      endpoint_changes += static_cast<int64_t>(p.endpoint_since.size());
      spdlog::info("{} {}: rule removed", p.rule.ServicePortName(), p.rule.Frontend());
    }
  }
  programmed_ = std::move(next);
  std::map<std::string, std::string> with_rules;  // "ns/name" -> uid
  for (const auto& [key, p] : programmed_) {
    with_rules.emplace(absl::StrCat(p.rule.service_namespace, "/", p.rule.service_name), "");
  }
  for (const Service* svc : service_ptrs) {
    auto it =
        with_rules.find(absl::StrCat(svc->metadata().namespace_(), "/", svc->metadata().name()));
    if (it != with_rules.end()) it->second = svc->metadata().uid();
  }
  programming_log_.Record(with_rules, slice_ptrs, programmed);
  last_sync_ = absl::Now();
  ++syncs_;
  if (m.sync_duration != nullptr) {
    m.sync_duration->Observe(absl::ToDoubleSeconds(last_sync_ - start));
    m.last_sync->Set(absl::ToDoubleSeconds(last_sync_ - absl::UnixEpoch()));
    m.endpoint_changes->Add(static_cast<double>(endpoint_changes));
    m.service_changes->Add(static_cast<double>(service_changes));
    m.rules->Set(static_cast<double>(programmed_.size()));
    for (absl::Time t : triggers) {
      m.network_programming->Observe(std::max(0.0, absl::ToDoubleSeconds(programmed - t)));
    }
  }
  spdlog::debug("synced {} rules in {}", programmed_.size(),
                absl::FormatDuration(last_sync_ - start));
}

std::string Proxier::RulesPageJson() {
  RulesPageInput in;
  in.nodes = options_.node_names;
  in.nodeport_addresses = options_.nodeport_addresses;
  for (const HostPort& h : data_plane_.Listening()) in.listening.insert(h);
  in.bind_failures = data_plane_.BindFailures();
  {
    absl::MutexLock l(&mu_);
    in.last_sync = last_sync_;
  }
  in.rules = RulesSnapshot();
  return RulesPage(in);
}

std::vector<ProgrammingReport> Proxier::TakeProgrammingReports() {
  absl::MutexLock l(&mu_);
  return programming_log_.TakeChanged(options_.node_names);
}

std::vector<ProgrammedRule> Proxier::RulesSnapshot() const {
  absl::MutexLock l(&mu_);
  std::vector<ProgrammedRule> out;
  out.reserve(programmed_.size());
  for (const auto& [key, p] : programmed_) out.push_back(p);
  return out;
}

}  // namespace minik8s::proxy
