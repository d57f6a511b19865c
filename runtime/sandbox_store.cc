#include "runtime/sandbox_store.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runtime/runtime_client.h"

namespace minik8s::runtime {

namespace {

// "a.b.c.d", four decimal octets.
bool IsIpv4(const std::string& text) {
  std::vector<std::string> octets = absl::StrSplit(text, '.');
  if (octets.size() != 4) return false;
  for (const std::string& o : octets) {
    int v = 0;
    if (o.empty() || o.size() > 3 || !absl::SimpleAtoi(o, &v) || v < 0 || v > 255) return false;
  }
  return true;
}

}  // namespace

bool LabelsMatch(const google::protobuf::Map<std::string, std::string>& selector,
                 const google::protobuf::Map<std::string, std::string>& labels) {
  for (const auto& [k, v] : selector) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  return true;
}

std::string SandboxStore::ReservedNameOf(const cri::PodSandboxMetadata& md) {
  return absl::StrCat(md.name(), "_", md.namespace_(), "_", md.uid(), "_", md.attempt());
}

absl::StatusOr<std::string> SandboxStore::PodIpOf(const cri::PodSandboxConfig& config) {
  auto it = config.annotations().find(kPodIpAnnotation);
  if (it == config.annotations().end()) return std::string();
  if (!IsIpv4(it->second)) {
    return absl::InvalidArgumentError(absl::StrCat("pod sandbox config: annotation ",
                                                   kPodIpAnnotation, " \"", it->second,
                                                   "\" is not an IPv4 address"));
  }
  return it->second;
}

absl::StatusOr<Sandbox*> SandboxStore::Add(std::unique_ptr<Sandbox> sb) {
  std::string name = ReservedNameOf(sb->config.metadata());
  if (auto it = names_.find(name); it != names_.end()) {
    return absl::AlreadyExistsError(absl::StrCat("failed to reserve sandbox name \"", name,
                                                 "\": name is reserved for \"", it->second, "\""));
  }
  if (!sb->ip.empty()) {
    if (auto it = ips_.find(sb->ip); it != ips_.end()) {
      return absl::AlreadyExistsError(
          absl::StrCat("pod IP ", sb->ip, " is in use by pod sandbox \"", it->second, "\""));
    }
    ips_.emplace(sb->ip, sb->id);
  }
  names_.emplace(std::move(name), sb->id);
  Sandbox* out = sb.get();
  sandboxes_.emplace(sb->id, std::move(sb));
  return out;
}

Sandbox* SandboxStore::Find(const std::string& id) const {
  auto it = sandboxes_.find(id);
  return it == sandboxes_.end() ? nullptr : it->second.get();
}

void SandboxStore::MarkStopped(Sandbox& sb) {
  if (!sb.ip.empty()) ips_.erase(sb.ip);
  sb.ip.clear();
  sb.state = cri::SANDBOX_NOTREADY;
}

void SandboxStore::Remove(const std::string& id) {
  auto it = sandboxes_.find(id);
  if (it == sandboxes_.end()) return;
  MarkStopped(*it->second);
  names_.erase(ReservedNameOf(it->second->config.metadata()));
  sandboxes_.erase(it);
}

std::vector<Sandbox*> SandboxStore::List(const cri::PodSandboxFilter& f) const {
  std::vector<Sandbox*> found;
  for (const auto& [id, sb] : sandboxes_) {
    if (!f.id().empty() && !absl::StartsWith(id, f.id())) continue;
    if (f.has_state() && sb->state != f.state().state()) continue;
    if (!LabelsMatch(f.label_selector(), sb->config.labels())) continue;
    found.push_back(sb.get());
  }
  std::sort(found.begin(), found.end(), [](Sandbox* a, Sandbox* b) { return a->seq < b->seq; });
  return found;
}

void SandboxStore::FillStatus(const Sandbox& sb, cri::PodSandboxStatus* s) {
  s->set_id(sb.id);
  *s->mutable_metadata() = sb.config.metadata();
  s->set_state(sb.state);
  s->set_created_at(absl::ToUnixNanos(sb.created_at));
  s->mutable_network()->set_ip(sb.ip);
  *s->mutable_labels() = sb.config.labels();
  *s->mutable_annotations() = sb.config.annotations();
  s->set_runtime_handler(sb.runtime_handler);
}

void SandboxStore::FillItem(const Sandbox& sb, cri::PodSandbox* p) {
  p->set_id(sb.id);
  *p->mutable_metadata() = sb.config.metadata();
  p->set_state(sb.state);
  p->set_created_at(absl::ToUnixNanos(sb.created_at));
  *p->mutable_labels() = sb.config.labels();
  *p->mutable_annotations() = sb.config.annotations();
  p->set_runtime_handler(sb.runtime_handler);
}

}  // namespace minik8s::runtime
