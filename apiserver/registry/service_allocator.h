// The apiserver's pools for Services (Kubernetes' ipallocator and
// portallocator, pkg/registry/core/service): cluster IPs from
// --service-cluster-ip-range (IPv4 CIDR, default 10.96.0.0/12) and node
// ports from --service-node-port-range (default 30000-32767).
//
// Each pool is a bitmap in memory. Kubernetes keeps it in etcd as a
// RangeAllocation object; here the stored Services are the only record: the
// server rebuilds the pools from them at startup and a repair loop
// (Repair, Kubernetes' repair controllers) re-reads them every few seconds,
// marking what a Service holds but the pool does not (a write this process
// did not see) and freeing what the pool holds but no Service uses after it
// has been seen leaked in kLeakRepairs repairs in a row (the time an
// allocation takes to reach the store; Kubernetes waits 3 repairs too).
// apiserver/README.md ("Services") explains the choice.
//
// Allocation (Allocate) follows Kubernetes: a requested clusterIP must be in
// the range and free, a requested nodePort in the range and free; missing
// ones are picked at random, from the upper part of the range first (the
// lower part, Kubernetes' "static" band, is left for requested values);
// "None" (headless) and ExternalName take no IP; only NodePort and
// LoadBalancer (allocateLoadBalancerNodePorts not false) take node ports.
// Errors are the apiserver's Invalid errors with Kubernetes' wording:
//   Service "x" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.10"}:
//     failed to allocate IP 10.96.0.10: provided IP is already allocated
//   Service "x" is invalid: spec.ports[0].nodePort: Invalid value: 30080:
//     provided port is already allocated
// and InternalError `failed to allocate a serviceIP: range is full` when a
// pool is exhausted.
//
// Thread safety: all methods are safe to call concurrently.
#ifndef MINIK8S_APISERVER_REGISTRY_SERVICE_ALLOCATOR_H_
#define MINIK8S_APISERVER_REGISTRY_SERVICE_ALLOCATOR_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::apiserver {

struct ServiceNetworkOptions {
  // --service-cluster-ip-range
  std::string cluster_ip_range = "10.96.0.0/12";
  // --service-node-port-range
  std::string node_port_range = "30000-32767";
};

// An IPv4 CIDR; its usable addresses exclude the network and broadcast
// addresses (for prefixes up to /30).
class Ipv4Range {
 public:
  // "10.96.0.0/12". InvalidArgument for anything else (IPv6 is not served).
  static absl::StatusOr<Ipv4Range> Parse(absl::string_view cidr);
  // Number of usable addresses.
  int64_t size() const { return size_; }
  // The usable address at `offset` (0 = the first, 10.96.0.1).
  uint32_t At(int64_t offset) const { return first_ + static_cast<uint32_t>(offset); }
  // The offset of `ip`, or nullopt when outside the usable addresses.
  std::optional<int64_t> Offset(uint32_t ip) const;
  const std::string& cidr() const { return cidr_; }

 private:
  std::string cidr_;
  uint32_t first_ = 0;
  int64_t size_ = 0;
};

// Dotted quad ⇄ host-order number. ParseIpv4 fails on anything but a
// canonical dotted quad.
std::optional<uint32_t> ParseIpv4(absl::string_view text);
std::string FormatIpv4(uint32_t ip);

// "30000-32767" (or a single port). InvalidArgument otherwise.
struct PortRange {
  int base = 0;
  int size = 0;
  static absl::StatusOr<PortRange> Parse(absl::string_view text);
  bool Contains(int port) const { return port >= base && port < base + size; }
  std::string String() const;
};

class ServiceAllocators {
 public:
  // A repair frees a leaked value after seeing it leaked this many times.
  static constexpr int kLeakRepairs = 3;

  static absl::StatusOr<std::unique_ptr<ServiceAllocators>> Create(
      const ServiceNetworkOptions& options);

  // What one Allocate took, to give back when the write does not happen.
  struct Taken {
    std::vector<int64_t> ip_offsets;
    std::vector<int> ports;
    bool empty() const { return ip_offsets.empty() && ports.empty(); }
  };

  // Takes what `service` needs and `old` (the stored object on an update,
  // else nullptr) does not already hold, and writes the allocated values
  // into `service` (spec.clusterIP, clusterIPs, ipFamilies,
  // ipFamilyPolicy, ports[].nodePort). On error nothing stays taken.
  absl::StatusOr<Taken> Allocate(core::v1::Service* service, const core::v1::Service* old);
  void Release(const Taken& taken);
  // Gives back everything `service` holds (it was removed).
  void ReleaseService(const core::v1::Service& service);
  // Gives back what `old` held and `now` no longer does (a committed update).
  void ReleaseUnused(const core::v1::Service& old, const core::v1::Service& now);

  struct RepairReport {
    int marked = 0;      // held by a Service, missing from the pool: now taken
    int freed = 0;       // leaked long enough: now free
    int duplicates = 0;  // values held by more than one Service (logged)
    int outside = 0;     // values outside the configured ranges (logged)
  };
  // Brings the pools in line with `services`, all the stored Services.
  RepairReport Repair(const std::vector<const core::v1::Service*>& services);

  // The first usable address (10.96.0.1): the `kubernetes` Service's.
  std::string FirstIp() const { return FormatIpv4(range_.At(0)); }
  const Ipv4Range& ip_range() const { return range_; }
  const PortRange& port_range() const { return ports_range_; }
  // Whether a repair has run: until then (the stored Services not read yet)
  // Allocate answers ServiceUnavailable.
  bool ready() const;
  bool IpAllocated(absl::string_view ip) const;
  bool PortAllocated(int port) const;
  int64_t ips_used() const;
  int ports_used() const;

 private:
  ServiceAllocators(Ipv4Range range, PortRange ports);

  // A bitmap with Kubernetes' static/dynamic bands.
  struct Bitmap {
    std::vector<bool> bits;
    int64_t used = 0;
    int64_t static_band = 0;
    bool Take(int64_t offset);
    void Free(int64_t offset);
    std::optional<int64_t> TakeNext(absl::BitGen& gen);
  };

  absl::Status AllocateLocked(core::v1::Service* service, const core::v1::Service* old,
                              Taken* taken) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ReleaseLocked(const Taken& taken) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Ipv4Range range_;
  const PortRange ports_range_;
  mutable absl::Mutex mu_;
  Bitmap ips_ ABSL_GUARDED_BY(mu_);
  Bitmap ports_ ABSL_GUARDED_BY(mu_);
  absl::BitGen gen_ ABSL_GUARDED_BY(mu_);
  // Values seen leaked by consecutive repairs → count. Taken values drop out.
  absl::flat_hash_map<int64_t, int> ip_leaks_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<int, int> port_leaks_ ABSL_GUARDED_BY(mu_);
  bool ready_ ABSL_GUARDED_BY(mu_) = false;
};

// What a Service needs from the pools (Kubernetes' needsClusterIP and
// needsNodePort).
bool NeedsClusterIp(const core::v1::Service& service);
bool NeedsNodePorts(const core::v1::Service& service);

}  // namespace minik8s::apiserver

#endif  // MINIK8S_APISERVER_REGISTRY_SERVICE_ALLOCATOR_H_
