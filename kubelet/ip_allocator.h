// IpAllocator: hands out pod IPs from a node's podCIDR (IPv4). The network
// address and the first host address (the node's bridge) are never given
// out, nor the broadcast address. Allocation scans forward from the last
// address given, so a freed address is not reused at once.
//
// Thread-compatible: the owner serialises calls.
#ifndef MINIK8S_KUBELET_IP_ALLOCATOR_H_
#define MINIK8S_KUBELET_IP_ALLOCATOR_H_

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"

namespace minik8s::kubelet {

class IpAllocator {
 public:
  // `cidr` like "10.244.0.0/24"; prefix length 8..30.
  static absl::StatusOr<IpAllocator> Create(const std::string& cidr);

  // A free address, or ResourceExhausted when the range is full.
  absl::StatusOr<std::string> Allocate();
  // Marks `ip` used (a pod adopted after a restart). False if it is outside
  // the range or already taken.
  bool Reserve(const std::string& ip);
  void Release(const std::string& ip);
  int InUse() const { return static_cast<int>(used_.size()); }
  int Capacity() const { return static_cast<int>(count_); }

 private:
  IpAllocator(uint32_t first, uint32_t count) : first_(first), count_(count) {}
  const uint32_t first_;  // first address handed out
  const uint32_t count_;  // how many
  uint32_t next_ = 0;     // offset to try next
  absl::flat_hash_set<uint32_t> used_;
};

// "10.244.3.0/24" for node `index` of a simulated cluster:
// 10.(128 + index / 256).(index % 256).0/24.
std::string DerivedPodCidr(int index);

// Parses "a.b.c.d" into host order.
absl::StatusOr<uint32_t> ParseIpv4(const std::string& text);
std::string FormatIpv4(uint32_t ip);

}  // namespace minik8s::kubelet

#endif  // MINIK8S_KUBELET_IP_ALLOCATOR_H_
