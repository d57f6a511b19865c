#include "kubelet/ip_allocator.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace minik8s::kubelet {

absl::StatusOr<uint32_t> ParseIpv4(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, '.');
  if (parts.size() != 4)
    return absl::InvalidArgumentError(absl::StrCat("invalid IPv4 address \"", text, "\""));
  uint32_t ip = 0;
  for (const auto& p : parts) {
    uint32_t octet;
    if (p.empty() || !absl::SimpleAtoi(p, &octet) || octet > 255) {
      return absl::InvalidArgumentError(absl::StrCat("invalid IPv4 address \"", text, "\""));
    }
    ip = (ip << 8) | octet;
  }
  return ip;
}

std::string FormatIpv4(uint32_t ip) {
  return absl::StrCat(ip >> 24, ".", (ip >> 16) & 255, ".", (ip >> 8) & 255, ".", ip & 255);
}

absl::StatusOr<IpAllocator> IpAllocator::Create(const std::string& cidr) {
  std::vector<std::string> parts = absl::StrSplit(cidr, '/');
  int prefix = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[1], &prefix) || prefix < 8 || prefix > 30) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid pod CIDR \"", cidr, "\": want an IPv4 range like 10.244.0.0/24"));
  }
  auto base = ParseIpv4(parts[0]);
  if (!base.ok()) return base.status();
  uint32_t size = 1u << (32 - prefix);
  uint32_t network = *base & ~(size - 1);
  // Skip the network address and the bridge (.1); leave out broadcast.
  return IpAllocator(network + 2, size - 3);
}

absl::StatusOr<std::string> IpAllocator::Allocate() {
  for (uint32_t i = 0; i < count_; ++i) {
    uint32_t off = (next_ + i) % count_;
    if (!used_.contains(off)) {
      used_.insert(off);
      next_ = (off + 1) % count_;
      return FormatIpv4(first_ + off);
    }
  }
  return absl::ResourceExhaustedError("no pod IP left in the node's podCIDR");
}

bool IpAllocator::Reserve(const std::string& ip) {
  auto v = ParseIpv4(ip);
  if (!v.ok() || *v < first_ || *v - first_ >= count_) return false;
  return used_.insert(*v - first_).second;
}

void IpAllocator::Release(const std::string& ip) {
  auto v = ParseIpv4(ip);
  if (!v.ok() || *v < first_ || *v - first_ >= count_) return;
  used_.erase(*v - first_);
}

std::string DerivedPodCidr(int index) {
  return absl::StrCat("10.", 128 + (index / 256) % 128, ".", index % 256, ".0/24");
}

}  // namespace minik8s::kubelet
