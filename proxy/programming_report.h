// How a node's proxy tells the cluster, through the apiserver, when it
// programmed each version of a Service's EndpointSlices: one Event per
// (Service, proxy process), kept up to date with merge patches, as
// kube-proxy reports through Events (its RBAC role system:node-proxier may
// create, patch and update events, nothing else).
//
//   name:            <service>.proxy.<first node>   (namespace of the Service)
//   involvedObject:  the Service
//   reason:          EndpointsProgrammed, type Normal
//   source:          component kube-proxy, host <first node>
//   count, firstTimestamp, lastTimestamp: the reports sent
//   annotations:
//     proxy.minik8s.io/nodes:       node-1            (comma list: every node
//                                                     the process serves)
//     proxy.minik8s.io/programmed:  web-x7k2p=812@2026-12-05T09:25:33.412345Z,815@...;web-9qz4d=...
//
// `programmed` lists, per slice of the Service, the resourceVersions the
// proxy's rules reflected and when they were programmed (the sync that
// applied them; a version the proxy never saw because a newer one came
// first is not listed), oldest first, the last kMaxProgrammedVersions per
// slice; a leading `...` says older ones were dropped.
//
// Cost: one object per Service and proxy process, rewritten at most once a
// report period and only when one of the Service's slices changed; never an
// object per endpoint. `mkctl trace service/NAME` reads these Events.
//
// Thread safety: ProgrammingLog is not thread-safe (the proxier guards it);
// the rest are pure functions.
#ifndef MINIK8S_PROXY_PROGRAMMING_REPORT_H_
#define MINIK8S_PROXY_PROGRAMMING_REPORT_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "k8s/core/v1/core.pb.h"
#include "k8s/discovery/v1/discovery.pb.h"

namespace minik8s::proxy {

inline constexpr char kReasonEndpointsProgrammed[] = "EndpointsProgrammed";
inline constexpr char kProxyComponent[] = "kube-proxy";
inline constexpr char kAnnotationProgrammedNodes[] = "proxy.minik8s.io/nodes";
inline constexpr char kAnnotationProgrammed[] = "proxy.minik8s.io/programmed";
inline constexpr size_t kMaxProgrammedVersions = 16;

struct ProgrammedVersion {
  int64_t resource_version = 0;
  absl::Time at;
  bool operator==(const ProgrammedVersion& o) const {
    return resource_version == o.resource_version && at == o.at;
  }
};

struct SliceProgramming {
  bool truncated = false;                   // older versions were dropped
  std::vector<ProgrammedVersion> versions;  // oldest first
  bool operator==(const SliceProgramming& o) const {
    return truncated == o.truncated && versions == o.versions;
  }
};

struct ProgrammingReport {
  std::string service_namespace;
  std::string service_name;
  std::string service_uid;
  std::vector<std::string> nodes;                  // the nodes the process serves
  std::map<std::string, SliceProgramming> slices;  // by slice name
};

// The `programmed` annotation's value, and back.
std::string FormatProgrammed(const std::map<std::string, SliceProgramming>& slices);
absl::StatusOr<std::map<std::string, SliceProgramming>> ParseProgrammed(absl::string_view text);

std::string ReportEventName(const ProgrammingReport& report);
// The Event to create (count 1, first and last time `now`).
minik8s::core::v1::Event ReportEvent(const ProgrammingReport& report, absl::Time now);
// The merge patch that brings an existing report Event up to date.
std::string ReportPatch(const ProgrammingReport& report, int32_t count, absl::Time now);
// A report read back from an Event (InvalidArgument when it is not one).
absl::StatusOr<ProgrammingReport> ReportFromEvent(const minik8s::core::v1::Event& event);

// The proxier's memory of what it programmed, per Service.
class ProgrammingLog {
 public:
  explicit ProgrammingLog(size_t max_versions = kMaxProgrammedVersions)
      : max_versions_(max_versions) {}

  // After a sync at `at`: `services` are the Services that have rules
  // ("namespace/name" -> uid), `slices` the slices in the cache. Records
  // each slice version of those Services not recorded yet; forgets the
  // others.
  void Record(const std::map<std::string, std::string>& services,
              const std::vector<const minik8s::discovery::v1::EndpointSlice*>& slices,
              absl::Time at);
  // The reports of the Services whose record changed since the last call.
  std::vector<ProgrammingReport> TakeChanged(const std::vector<std::string>& nodes);

 private:
  struct Entry {
    std::string uid;
    bool changed = false;
    std::map<std::string, SliceProgramming> slices;
  };
  const size_t max_versions_;
  std::map<std::string, Entry> services_;
};

}  // namespace minik8s::proxy

#endif  // MINIK8S_PROXY_PROGRAMMING_REPORT_H_
