#include "scheduler/framework/types.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "api/quantity.h"
#include "api/selector/labels.h"
#include "scheduler/framework/affinity_terms.h"

namespace minik8s::scheduler {
namespace {

using minik8s::api::QuantityOrZero;

Resources ContainerRequests(const minik8s::core::v1::Container& c, bool non_zero) {
  Resources r;
  const auto& req = c.resources().requests();
  auto cpu = req.find("cpu");
  auto mem = req.find("memory");
  auto eph = req.find("ephemeral-storage");
  if (cpu != req.end()) r.milli_cpu = QuantityOrZero(cpu->second).MilliValue();
  if (mem != req.end()) r.memory = QuantityOrZero(mem->second).Value();
  if (eph != req.end()) r.ephemeral_storage = QuantityOrZero(eph->second).Value();
  if (non_zero) {
    if (cpu == req.end()) r.milli_cpu = kDefaultMilliCpuRequest;
    if (mem == req.end()) r.memory = kDefaultMemoryRequest;
  }
  return r;
}

Resources Requests(const Pod& pod, bool non_zero) {
  Resources sum;
  for (const auto& c : pod.spec().containers()) sum.Add(ContainerRequests(c, non_zero));
  for (const auto& c : pod.spec().init_containers()) {
    Resources r = ContainerRequests(c, non_zero);
    sum.milli_cpu = std::max(sum.milli_cpu, r.milli_cpu);
    sum.memory = std::max(sum.memory, r.memory);
    sum.ephemeral_storage = std::max(sum.ephemeral_storage, r.ephemeral_storage);
  }
  return sum;
}

}  // namespace

std::string PodKey(const Pod& pod) {
  return absl::StrCat(pod.metadata().namespace_(), "/", pod.metadata().name());
}

Resources PodRequests(const Pod& pod) { return Requests(pod, false); }
Resources PodNonZeroRequests(const Pod& pod) { return Requests(pod, true); }

std::string ControllerUid(const Pod& pod) {
  for (const auto& ref : pod.metadata().owner_references()) {
    if (ref.has_controller() && ref.controller()) return ref.uid();
  }
  return "";
}

PodInfo MakePodInfo(std::shared_ptr<const Pod> pod) {
  PodInfo p;
  p.key = PodKey(*pod);
  p.requests = PodRequests(*pod);
  p.non_zero_requests = PodNonZeroRequests(*pod);
  p.owner_uid = ControllerUid(*pod);
  p.priority = pod->spec().has_priority() ? pod->spec().priority() : 0;
  p.pod = std::move(pod);
  return p;
}

void NodeInfo::SetNode(std::shared_ptr<const Node> node) {
  node_ = std::move(node);
  allocatable_ = Resources{};
  allowed_pods_ = 0;
  if (!node_) return;
  const auto& alloc = node_->status().allocatable();
  auto get = [&](const char* name) -> const minik8s::meta::v1::Quantity* {
    auto it = alloc.find(name);
    return it == alloc.end() ? nullptr : &it->second;
  };
  if (auto* q = get("cpu")) allocatable_.milli_cpu = QuantityOrZero(*q).MilliValue();
  if (auto* q = get("memory")) allocatable_.memory = QuantityOrZero(*q).Value();
  if (auto* q = get("ephemeral-storage")) {
    allocatable_.ephemeral_storage = QuantityOrZero(*q).Value();
  }
  if (auto* q = get("pods")) allowed_pods_ = QuantityOrZero(*q).Value();
}

const std::string& NodeInfo::name() const {
  static const std::string kEmpty;
  return node_ ? node_->metadata().name() : kEmpty;
}

void NodeInfo::AddPod(const Resources& requests, const Resources& non_zero,
                      const std::string& owner_uid, std::shared_ptr<const PodRef> ref) {
  requested_.Add(requests);
  non_zero_requested_.Add(non_zero);
  ++num_pods_;
  if (!owner_uid.empty()) ++owner_counts_[owner_uid];
  if (ref != nullptr) {
    if (ref->affinity != nullptr) {
      ++pods_with_affinity_;
      if (!ref->affinity->required_anti_affinity.empty()) ++pods_with_required_anti_affinity_;
    }
    pods_.push_back(std::move(ref));
  }
}

void NodeInfo::RemovePod(const Resources& requests, const Resources& non_zero,
                         const std::string& owner_uid, const PodRef* ref) {
  requested_.Sub(requests);
  non_zero_requested_.Sub(non_zero);
  --num_pods_;
  if (!owner_uid.empty()) {
    auto it = owner_counts_.find(owner_uid);
    if (it != owner_counts_.end() && --it->second <= 0) owner_counts_.erase(it);
  }
  if (ref != nullptr) {
    for (auto it = pods_.begin(); it != pods_.end(); ++it) {
      if ((*it)->key == ref->key) {
        if ((*it)->affinity != nullptr) {
          --pods_with_affinity_;
          if (!(*it)->affinity->required_anti_affinity.empty()) {
            --pods_with_required_anti_affinity_;
          }
        }
        pods_.erase(it);
        break;
      }
    }
  }
}

std::shared_ptr<const PodRef> MakePodRef(const Pod& pod) {
  auto ref = std::make_shared<PodRef>();
  ref->key = PodKey(pod);
  ref->namespace_name = pod.metadata().namespace_();
  ref->labels = pod.metadata().labels();
  ref->terminating = pod.metadata().has_deletion_timestamp();
  ref->affinity = CompileAffinityTerms(pod);
  return ref;
}

bool PodRefMatches(const PodRef& ref, const Pod& pod) {
  return ref.terminating == pod.metadata().has_deletion_timestamp() &&
         api::LabelsEqual(ref.labels, pod.metadata().labels());
}

int NodeInfo::PodsWithOwner(const std::string& uid) const {
  auto it = owner_counts_.find(uid);
  return it == owner_counts_.end() ? 0 : it->second;
}

}  // namespace minik8s::scheduler
