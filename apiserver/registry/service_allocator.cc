#include "apiserver/registry/service_allocator.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "api/errors.h"
#include "api/scheme.h"
#include "spdlog/spdlog.h"

namespace minik8s::apiserver {
namespace {

constexpr char kNone[] = "None";

// Go's %#v of a []string: []string{"a", "b"}.
std::string GoStringSlice(const google::protobuf::RepeatedPtrField<std::string>& values) {
  std::vector<std::string> quoted;
  for (const std::string& v : values) quoted.push_back(absl::StrCat("\"", v, "\""));
  return absl::StrCat("[]string{", absl::StrJoin(quoted, ", "), "}");
}

// An Invalid error of the Service with one field cause, as the apiserver
// answers a validation failure.
absl::Status InvalidService(const core::v1::Service& service, const std::string& field,
                            const std::string& printed_value, const std::string& detail) {
  const std::string body = absl::StrCat("Invalid value: ", printed_value, ": ", detail);
  meta::v1::StatusCause cause;
  cause.set_reason("FieldValueInvalid");
  cause.set_message(body);
  cause.set_field(field);
  const std::string& name = service.metadata().name();
  const std::string message =
      absl::StrCat("Service \"", name, "\" is invalid: ", field, ": ", body);
  const api::KindInfo* kind =
      api::Scheme::Default().FindByDescriptor(core::v1::Service::descriptor());
  if (kind == nullptr) return api::NewInvalid(message);
  return api::NewInvalid(*kind, name, message, {cause});
}

// The node ports a Service holds, without repeats (one number may serve two
// protocols).
std::set<int> HeldPorts(const core::v1::Service& service) {
  std::set<int> out;
  if (!NeedsNodePorts(service)) return out;
  for (const auto& port : service.spec().ports()) {
    if (port.node_port() != 0) out.insert(port.node_port());
  }
  if (service.spec().health_check_node_port() != 0) {
    out.insert(service.spec().health_check_node_port());
  }
  return out;
}

// The cluster IP a Service holds, if any.
std::optional<uint32_t> HeldIp(const core::v1::Service& service) {
  if (!NeedsClusterIp(service)) return std::nullopt;
  return ParseIpv4(service.spec().cluster_ip());
}

}  // namespace

bool NeedsClusterIp(const core::v1::Service& service) {
  return service.spec().type() != "ExternalName" && service.spec().cluster_ip() != kNone;
}

bool NeedsNodePorts(const core::v1::Service& service) {
  const auto& spec = service.spec();
  if (spec.type() == "NodePort") return true;
  if (spec.type() == "LoadBalancer") {
    return !spec.has_allocate_load_balancer_node_ports() ||
           spec.allocate_load_balancer_node_ports();
  }
  return false;
}

std::optional<uint32_t> ParseIpv4(absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '.');
  if (parts.size() != 4) return std::nullopt;
  uint32_t ip = 0;
  for (absl::string_view part : parts) {
    int value = 0;
    if (part.empty() || part.size() > 3 || (part.size() > 1 && part[0] == '0') ||
        !absl::SimpleAtoi(part, &value) || value < 0 || value > 255 ||
        part.find_first_not_of("0123456789") != absl::string_view::npos) {
      return std::nullopt;
    }
    ip = (ip << 8) | static_cast<uint32_t>(value);
  }
  return ip;
}

std::string FormatIpv4(uint32_t ip) {
  return absl::StrCat(ip >> 24, ".", (ip >> 16) & 255, ".", (ip >> 8) & 255, ".", ip & 255);
}

absl::StatusOr<Ipv4Range> Ipv4Range::Parse(absl::string_view cidr) {
  auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat("invalid service cluster IP range \"", cidr,
                                                   "\": want an IPv4 CIDR like 10.96.0.0/12"));
  };
  std::vector<absl::string_view> parts = absl::StrSplit(cidr, '/');
  if (parts.size() != 2) return bad();
  std::optional<uint32_t> ip = ParseIpv4(parts[0]);
  int bits = 0;
  if (!ip || !absl::SimpleAtoi(parts[1], &bits) || bits < 8 || bits > 30) return bad();
  const uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
  Ipv4Range range;
  const uint32_t network = *ip & mask;
  range.cidr_ = absl::StrCat(FormatIpv4(network), "/", bits);
  range.first_ = network + 1;
  range.size_ = (int64_t{1} << (32 - bits)) - 2;  // without network and broadcast
  return range;
}

std::optional<int64_t> Ipv4Range::Offset(uint32_t ip) const {
  if (ip < first_ || static_cast<int64_t>(ip - first_) >= size_) return std::nullopt;
  return static_cast<int64_t>(ip - first_);
}

absl::StatusOr<PortRange> PortRange::Parse(absl::string_view text) {
  auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat("invalid service node port range \"", text,
                                                   "\": want two ports like 30000-32767"));
  };
  std::vector<absl::string_view> parts = absl::StrSplit(text, '-');
  int lo = 0, hi = 0;
  if (parts.size() == 1 && absl::SimpleAtoi(parts[0], &lo)) {
    hi = lo;
  } else if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &lo) ||
             !absl::SimpleAtoi(parts[1], &hi)) {
    return bad();
  }
  if (lo < 1 || hi > 65535 || hi < lo) return bad();
  return PortRange{lo, hi - lo + 1};
}

std::string PortRange::String() const { return absl::StrCat(base, "-", base + size - 1); }

bool ServiceAllocators::Bitmap::Take(int64_t offset) {
  if (bits[offset]) return false;
  bits[offset] = true;
  ++used;
  return true;
}

void ServiceAllocators::Bitmap::Free(int64_t offset) {
  if (!bits[offset]) return;
  bits[offset] = false;
  --used;
}

std::optional<int64_t> ServiceAllocators::Bitmap::TakeNext(absl::BitGen& gen) {
  const int64_t size = static_cast<int64_t>(bits.size());
  if (used >= size) return std::nullopt;
  // The dynamic band first, from a random start; then the static band.
  auto scan = [&](int64_t lo, int64_t hi) -> std::optional<int64_t> {
    if (hi <= lo) return std::nullopt;
    const int64_t start = absl::Uniform<int64_t>(gen, lo, hi);
    for (int64_t i = 0; i < hi - lo; ++i) {
      const int64_t offset = lo + (start - lo + i) % (hi - lo);
      if (!bits[offset]) {
        Take(offset);
        return offset;
      }
    }
    return std::nullopt;
  };
  if (std::optional<int64_t> got = scan(static_band, size)) return got;
  return scan(0, std::min(static_band, size));
}

ServiceAllocators::ServiceAllocators(Ipv4Range range, PortRange ports)
    : range_(std::move(range)), ports_range_(ports) {
  ips_.bits.assign(range_.size(), false);
  // Kubernetes' bands: min(max(16, size/16), 256) addresses, min(max(16,
  // size/32), 128) ports.
  ips_.static_band = std::min<int64_t>(std::max<int64_t>(16, range_.size() / 16), 256);
  ports_.bits.assign(ports_range_.size, false);
  ports_.static_band = std::min<int64_t>(std::max<int64_t>(16, ports_range_.size / 32), 128);
}

absl::StatusOr<std::unique_ptr<ServiceAllocators>> ServiceAllocators::Create(
    const ServiceNetworkOptions& options) {
  absl::StatusOr<Ipv4Range> range = Ipv4Range::Parse(options.cluster_ip_range);
  if (!range.ok()) return range.status();
  absl::StatusOr<PortRange> ports = PortRange::Parse(options.node_port_range);
  if (!ports.ok()) return ports.status();
  return std::unique_ptr<ServiceAllocators>(new ServiceAllocators(*range, *ports));
}

absl::StatusOr<ServiceAllocators::Taken> ServiceAllocators::Allocate(core::v1::Service* service,
                                                                     const core::v1::Service* old) {
  absl::MutexLock lock(&mu_);
  if (!ready_) {
    return api::NewServiceUnavailable(
        "the service IP and node port allocators are not ready yet (the stored services are "
        "being read)");
  }
  Taken taken;
  absl::Status status = AllocateLocked(service, old, &taken);
  if (!status.ok()) {
    ReleaseLocked(taken);
    return status;
  }
  return taken;
}

absl::Status ServiceAllocators::AllocateLocked(core::v1::Service* service,
                                               const core::v1::Service* old, Taken* taken) {
  core::v1::ServiceSpec* spec = service->mutable_spec();
  if (spec->type() != "ExternalName") {
    if (!spec->has_ip_family_policy()) spec->set_ip_family_policy("SingleStack");
    if (spec->ip_families().empty()) spec->add_ip_families("IPv4");
  }
  if (NeedsClusterIp(*service)) {
    const std::optional<uint32_t> old_ip =
        old != nullptr ? HeldIp(*old) : std::optional<uint32_t>();
    if (spec->cluster_ip().empty()) {
      std::optional<int64_t> offset = ips_.TakeNext(gen_);
      if (!offset) {
        return api::NewInternalError("failed to allocate a serviceIP: range is full");
      }
      taken->ip_offsets.push_back(*offset);
      spec->set_cluster_ip(FormatIpv4(range_.At(*offset)));
    } else {
      std::optional<uint32_t> ip = ParseIpv4(spec->cluster_ip());
      if (!ip) {
        return InvalidService(*service, "spec.clusterIPs", GoStringSlice(spec->cluster_ips()),
                              "must be a valid IPv4 address");
      }
      if (!(old_ip && *old_ip == *ip)) {
        std::optional<int64_t> offset = range_.Offset(*ip);
        const std::string text = FormatIpv4(*ip);
        if (!offset) {
          return InvalidService(
              *service, "spec.clusterIPs", GoStringSlice(spec->cluster_ips()),
              absl::StrCat("failed to allocate IP ", text, ": the provided IP (", text,
                           ") is not in the valid range. The range of valid IPs is ",
                           range_.cidr()));
        }
        if (!ips_.Take(*offset)) {
          return InvalidService(
              *service, "spec.clusterIPs", GoStringSlice(spec->cluster_ips()),
              absl::StrCat("failed to allocate IP ", text, ": provided IP is already allocated"));
        }
        taken->ip_offsets.push_back(*offset);
        ip_leaks_.erase(*offset);
      }
    }
    spec->clear_cluster_ips();
    spec->add_cluster_ips(spec->cluster_ip());
  } else if (spec->cluster_ip() == kNone) {
    spec->clear_cluster_ips();
    spec->add_cluster_ips(kNone);
  }

  if (NeedsNodePorts(*service)) {
    const std::set<int> held = old != nullptr ? HeldPorts(*old) : std::set<int>();
    std::set<int> mine;  // numbers this Service already has (two protocols may share one)
    for (int i = 0; i < spec->ports_size(); ++i) {
      const int port = spec->ports(i).node_port();
      if (port == 0 || held.count(port) || mine.count(port)) {
        if (port != 0) mine.insert(port);
        continue;
      }
      const std::string field = absl::StrCat("spec.ports[", i, "].nodePort");
      if (!ports_range_.Contains(port)) {
        return InvalidService(*service, field, absl::StrCat(port),
                              absl::StrCat("provided port is not in the valid range. The range "
                                           "of valid ports is ",
                                           ports_range_.String()));
      }
      if (!ports_.Take(port - ports_range_.base)) {
        return InvalidService(*service, field, absl::StrCat(port),
                              "provided port is already allocated");
      }
      port_leaks_.erase(port);
      taken->ports.push_back(port);
      mine.insert(port);
    }
    for (int i = 0; i < spec->ports_size(); ++i) {
      core::v1::ServicePort* port = spec->mutable_ports(i);
      if (port->node_port() != 0) continue;
      std::optional<int64_t> offset = ports_.TakeNext(gen_);
      if (!offset) return api::NewInternalError("failed to allocate a nodePort: range is full");
      const int number = ports_range_.base + static_cast<int>(*offset);
      taken->ports.push_back(number);
      port->set_node_port(number);
    }
  }
  return absl::OkStatus();
}

void ServiceAllocators::Release(const Taken& taken) {
  absl::MutexLock lock(&mu_);
  ReleaseLocked(taken);
}

void ServiceAllocators::ReleaseLocked(const Taken& taken) {
  for (int64_t offset : taken.ip_offsets) ips_.Free(offset);
  for (int port : taken.ports) {
    if (ports_range_.Contains(port)) ports_.Free(port - ports_range_.base);
  }
}

void ServiceAllocators::ReleaseService(const core::v1::Service& service) {
  Taken taken;
  if (std::optional<uint32_t> ip = HeldIp(service)) {
    if (std::optional<int64_t> offset = range_.Offset(*ip)) taken.ip_offsets.push_back(*offset);
  }
  for (int port : HeldPorts(service)) taken.ports.push_back(port);
  Release(taken);
}

void ServiceAllocators::ReleaseUnused(const core::v1::Service& old, const core::v1::Service& now) {
  Taken taken;
  std::optional<uint32_t> old_ip = HeldIp(old);
  if (old_ip && HeldIp(now) != old_ip) {
    if (std::optional<int64_t> offset = range_.Offset(*old_ip)) {
      taken.ip_offsets.push_back(*offset);
    }
  }
  const std::set<int> kept = HeldPorts(now);
  for (int port : HeldPorts(old)) {
    if (!kept.count(port)) taken.ports.push_back(port);
  }
  Release(taken);
}

ServiceAllocators::RepairReport ServiceAllocators::Repair(
    const std::vector<const core::v1::Service*>& services) {
  RepairReport report;
  absl::flat_hash_map<int64_t, const core::v1::Service*> ips;
  absl::flat_hash_map<int, const core::v1::Service*> ports;
  auto name = [](const core::v1::Service* s) {
    return absl::StrCat(s->metadata().namespace_(), "/", s->metadata().name());
  };
  for (const core::v1::Service* service : services) {
    if (std::optional<uint32_t> ip = HeldIp(*service)) {
      std::optional<int64_t> offset = range_.Offset(*ip);
      if (!offset) {
        ++report.outside;
        spdlog::warn("service {}: cluster IP {} is not within the service CIDR {}", name(service),
                     FormatIpv4(*ip), range_.cidr());
      } else if (auto [it, inserted] = ips.emplace(*offset, service); !inserted) {
        ++report.duplicates;
        spdlog::warn("the cluster IP {} of service {} is also held by service {}", FormatIpv4(*ip),
                     name(service), name(it->second));
      }
    }
    for (int port : HeldPorts(*service)) {
      if (!ports_range_.Contains(port)) {
        ++report.outside;
        spdlog::warn("service {}: node port {} is not within the range {}", name(service), port,
                     ports_range_.String());
      } else if (auto [it, inserted] = ports.emplace(port, service); !inserted) {
        ++report.duplicates;
        spdlog::warn("the node port {} of service {} is also held by service {}", port,
                     name(service), name(it->second));
      }
    }
  }
  absl::MutexLock lock(&mu_);
  for (const auto& [offset, service] : ips) {
    if (ips_.Take(offset)) {
      ++report.marked;
      spdlog::warn("the cluster IP {} of service {} was not allocated; repairing",
                   FormatIpv4(range_.At(offset)), name(service));
    }
    ip_leaks_.erase(offset);
  }
  for (const auto& [port, service] : ports) {
    if (ports_.Take(port - ports_range_.base)) {
      ++report.marked;
      spdlog::warn("the node port {} of service {} was not allocated; repairing", port,
                   name(service));
    }
    port_leaks_.erase(port);
  }
  absl::flat_hash_map<int64_t, int> ip_leaks;
  for (int64_t offset = 0; offset < static_cast<int64_t>(ips_.bits.size()); ++offset) {
    if (!ips_.bits[offset] || ips.contains(offset)) continue;
    const int seen = ip_leaks_[offset] + 1;
    if (seen >= kLeakRepairs) {
      ips_.Free(offset);
      ++report.freed;
      spdlog::info("the cluster IP {} is not used by any service; releasing",
                   FormatIpv4(range_.At(offset)));
    } else {
      ip_leaks[offset] = seen;
    }
  }
  ip_leaks_ = std::move(ip_leaks);
  absl::flat_hash_map<int, int> port_leaks;
  for (int offset = 0; offset < ports_range_.size; ++offset) {
    const int port = ports_range_.base + offset;
    if (!ports_.bits[offset] || ports.contains(port)) continue;
    const int seen = port_leaks_[port] + 1;
    if (seen >= kLeakRepairs) {
      ports_.Free(offset);
      ++report.freed;
      spdlog::info("the node port {} is not used by any service; releasing", port);
    } else {
      port_leaks[port] = seen;
    }
  }
  port_leaks_ = std::move(port_leaks);
  ready_ = true;
  return report;
}

bool ServiceAllocators::ready() const {
  absl::MutexLock lock(&mu_);
  return ready_;
}

bool ServiceAllocators::IpAllocated(absl::string_view ip) const {
  std::optional<uint32_t> parsed = ParseIpv4(ip);
  if (!parsed) return false;
  std::optional<int64_t> offset = range_.Offset(*parsed);
  if (!offset) return false;
  absl::MutexLock lock(&mu_);
  return ips_.bits[*offset];
}

bool ServiceAllocators::PortAllocated(int port) const {
  if (!ports_range_.Contains(port)) return false;
  absl::MutexLock lock(&mu_);
  return ports_.bits[port - ports_range_.base];
}

int64_t ServiceAllocators::ips_used() const {
  absl::MutexLock lock(&mu_);
  return ips_.used;
}

int ServiceAllocators::ports_used() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(ports_.used);
}

}  // namespace minik8s::apiserver
