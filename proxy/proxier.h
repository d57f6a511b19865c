// Proxier: turns the Services and EndpointSlices of the informers' caches
// into rules (rules.h) and programs them into the data plane (tcp_proxy.h),
// as kube-proxy's proxier does with iptables.
//
// Informer handlers only mark the state dirty; one sync thread rebuilds the
// whole rule table from the listers (no sooner than min_sync_period after
// the previous sync, so a burst of changes makes one sync; at least every
// sync_period, which also retries frontends that could not be bound), maps
// it to frontends — each cluster IP:port, and each node port on every
// nodeport address — and applies it. Whole-table rebuilds keep the
// proxy level-triggered: a missed event cannot leave a stale rule.
//
// The proxier remembers when each rule and each of its endpoints was first
// programmed (RulesSnapshot), logs each change (info: a frontend gaining or
// losing endpoints; debug: every endpoint), and counts syncs in kube-proxy's
// metrics (kubeproxy_sync_proxy_rules_*). A slice that carries
// endpoints.kubernetes.io/last-change-trigger-time (the time of the pod or
// Service change it reflects) adds, once programmed, the time since then to
// kubeproxy_network_programming_duration_seconds, as kube-proxy does.
// It also remembers which resourceVersion of each slice each sync programmed
// (ProgrammingLog, programming_report.h), for the reports the
// ProgrammingReporter writes through the apiserver.
//
// Thread safety: all public methods are safe from any thread. The informers
// (listers) must outlive the proxier.
#ifndef MINIK8S_PROXY_PROXIER_H_
#define MINIK8S_PROXY_PROXIER_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/informer.h"
#include "client/lister.h"
#include "k8s/core/v1/core.pb.h"
#include "k8s/discovery/v1/discovery.pb.h"
#include "proxy/programming_report.h"
#include "proxy/rules.h"
#include "proxy/tcp_proxy.h"

namespace minik8s::proxy {

// The annotation the EndpointSlice controller stamps with the time of the
// change a slice reflects (Kubernetes' EndpointsLastChangeTriggerTime).
inline constexpr char kLastChangeTriggerTime[] = "endpoints.kubernetes.io/last-change-trigger-time";

struct ProxierOptions {
  // The nodes this process serves (their endpoints are "local").
  std::vector<std::string> node_names;
  // Where node ports listen.
  std::vector<std::string> nodeport_addresses = {"127.0.0.1"};
  absl::Duration min_sync_period = absl::ZeroDuration();
  absl::Duration sync_period = absl::Seconds(30);
  TcpProxyOptions tcp;
};

// One rule as programmed, with when it and its endpoints got there.
struct ProgrammedRule {
  Rule rule;
  absl::Time programmed;  // when the rule first appeared
  absl::Time changed;     // when its endpoints last changed
  // endpoint address ("ip:port") -> when it was added to the rule.
  std::map<std::string, absl::Time> endpoint_since;
};

// The frontend -> backends table of `rules` (node ports on every address of
// `nodeport_addresses`). Two rules on one frontend share it (union).
TcpProxy::Table FrontendTable(const std::vector<Rule>& rules,
                              const std::vector<std::string>& nodeport_addresses);

class Proxier {
 public:
  Proxier(client::Lister<minik8s::core::v1::Service> services,
          client::Lister<minik8s::discovery::v1::EndpointSlice> slices, ProxierOptions options);
  ~Proxier();  // Stop()
  Proxier(const Proxier&) = delete;
  Proxier& operator=(const Proxier&) = delete;

  void RegisterHandlers(client::Informer<minik8s::core::v1::Service>* services,
                        client::Informer<minik8s::discovery::v1::EndpointSlice>* slices);
  // Starts the sync thread (the first sync at once).
  void Run();
  void Stop();

  // What the slice informer's handlers call (public for tests): marks the
  // state dirty and notes the slice's change trigger time.
  void OnSliceChange(const minik8s::discovery::v1::EndpointSlice& slice);

  // One sync now, on the calling thread.
  void Sync();
  // Completed syncs.
  int64_t syncs() const;

  std::vector<ProgrammedRule> RulesSnapshot() const;
  // The programming reports of the Services whose slices were programmed at
  // a new version since the last call.
  std::vector<ProgrammingReport> TakeProgrammingReports();
  // The /rules page (rules_page.h).
  std::string RulesPageJson();
  TcpProxy* data_plane() { return &data_plane_; }

 private:
  void MarkDirty();
  void SyncLoop();

  client::Lister<minik8s::core::v1::Service> services_;
  client::Lister<minik8s::discovery::v1::EndpointSlice> slices_;
  const ProxierOptions options_;
  const absl::flat_hash_set<std::string> local_nodes_;
  TcpProxy data_plane_;
  const absl::Time started_;

  absl::Mutex sync_mu_;  // one Sync at a time; before mu_
  mutable absl::Mutex mu_;
  bool dirty_ ABSL_GUARDED_BY(mu_) = true;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time last_sync_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  int64_t syncs_ ABSL_GUARDED_BY(mu_) = 0;
  // rule key (service port name + frontend) -> programmed state.
  std::map<std::string, ProgrammedRule> programmed_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> unsupported_logged_ ABSL_GUARDED_BY(mu_);
  // The trigger times of the slice changes the next sync programs.
  std::vector<absl::Time> pending_triggers_ ABSL_GUARDED_BY(mu_);
  ProgrammingLog programming_log_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace minik8s::proxy

#endif  // MINIK8S_PROXY_PROXIER_H_
