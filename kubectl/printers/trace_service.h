// `mkctl trace service/NAME`: how a Service's endpoints came to be served —
// when each pod became Ready, which EndpointSlice write carried it, and when
// each node's proxy programmed it.
//
// The timeline merges:
//   - the Service's creation (creationTimestamp) with its cluster IP, which
//     the apiserver allocates in the create;
//   - each pod's Ready condition (its lastTransitionTime, with the status
//     as it is: `True`, or `False: Reason`);
//   - each observed version of the Service's EndpointSlices (the replay of
//     the store's history, revision order): the endpoints it made ready or
//     unready. A slice carries no write time; it is shown at its
//     endpoints.kubernetes.io/last-change-trigger-time — the pod or Service
//     change it reflects, which the write follows — or, without one, at the
//     previous step of the slice; a slice's deletion, which carries no
//     time either, at the latest slice step of a lower revision;
//   - each proxy's programming report (proxy/programming_report.h: per
//     slice, the resourceVersions its rules reflected and when): one step
//     per programmed version that changed which endpoints are ready, naming
//     them. The endpoints of a programmed version are those of the newest
//     observed slice version at or before it.
// Steps are in time order; ties keep Service < pod < slice < proxy.
//
// Then a summary per endpoint: Ready since, the slice revision that first
// carried it as ready, and which nodes programmed it (with the delay after
// Ready of the last one) or have not; nodes with no report are named.
//
// Thread safety: pure functions.
#ifndef MINIK8S_KUBECTL_PRINTERS_TRACE_SERVICE_H_
#define MINIK8S_KUBECTL_PRINTERS_TRACE_SERVICE_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "k8s/core/v1/core.pb.h"
#include "k8s/discovery/v1/discovery.pb.h"
#include "kubectl/printers/trace.h"
#include "proxy/programming_report.h"

namespace minik8s::kubectl {

struct ServiceTraceInput {
  minik8s::core::v1::Service service;
  std::vector<minik8s::core::v1::Pod> pods;  // the pods the Service selects
  // Every observed version of the Service's slices (resourceVersion set),
  // in revision order; the current ones at least.
  std::vector<minik8s::discovery::v1::EndpointSlice> slice_versions;
  // The slices whose creation the replay saw (earlier versions are known).
  std::set<std::string> slices_created;
  // The slices the replay saw deleted: name -> the revision of the deletion.
  std::map<std::string, int64_t> slices_deleted;
  std::vector<proxy::ProgrammingReport> reports;
  std::vector<std::string> nodes;  // the cluster's nodes ("" list: unknown)
  std::string note;                // why the history is incomplete, "" if it is not
};

std::vector<TraceStep> ServiceTraceSteps(const ServiceTraceInput& input);

// The heading, the numbered timeline and the summary per endpoint.
std::string RenderServiceTrace(const ServiceTraceInput& input, absl::Time now);

}  // namespace minik8s::kubectl

#endif  // MINIK8S_KUBECTL_PRINTERS_TRACE_SERVICE_H_
