// SandboxStore: the simulated pod sandboxes, their reserved names and the
// pod IPs they were given.
//
// A sandbox reserves its name (<name>_<namespace>_<uid>_<attempt>, as
// containerd spells it) until it is removed, and the pod IP it was given
// (PodSandboxConfig annotation kPodIpAnnotation, assigned by the kubelet
// from its node's podCIDR) until it is stopped. The store allocates no
// addresses: it only refuses one a live sandbox holds.
//
// Thread-compatible: the owner (Runtime, under its mutex) serialises calls.
#ifndef MINIK8S_RUNTIME_SANDBOX_STORE_H_
#define MINIK8S_RUNTIME_SANDBOX_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cri/v1/api.pb.h"

namespace minik8s::runtime {

namespace cri = ::minik8s::cri::v1;

struct Sandbox {
  std::string id;
  uint64_t seq = 0;  // creation order (List sorts by it)
  cri::PodSandboxConfig config;
  std::string runtime_handler;
  cri::PodSandboxState state = cri::SANDBOX_READY;
  absl::Time created_at;
  std::string ip;                          // as given; cleared when stopped
  std::vector<std::string> container_ids;  // creation order
};

class SandboxStore {
 public:
  // The name a sandbox reserves: <name>_<namespace>_<uid>_<attempt>.
  static std::string ReservedNameOf(const cri::PodSandboxMetadata& md);
  // The pod IP the config carries ("" when none), or InvalidArgument when
  // the annotation is not an IPv4 address.
  static absl::StatusOr<std::string> PodIpOf(const cri::PodSandboxConfig& config);

  // Stores `sb` (its id, seq, config and ip set by the caller). Fails with
  // AlreadyExists when its name is reserved or another sandbox holds its IP;
  // then nothing changes.
  absl::StatusOr<Sandbox*> Add(std::unique_ptr<Sandbox> sb);
  Sandbox* Find(const std::string& id) const;
  bool Contains(const std::string& id) const { return sandboxes_.contains(id); }
  // NOTREADY, and the IP released. The caller stops the containers.
  void MarkStopped(Sandbox& sb);
  // Forgets the sandbox and frees its name; no-op for an unknown id. The
  // caller removes the containers first.
  void Remove(const std::string& id);
  // The sandboxes the filter selects (id prefix, state, labels), oldest first.
  std::vector<Sandbox*> List(const cri::PodSandboxFilter& filter) const;

  // CRI views.
  static void FillStatus(const Sandbox& sb, cri::PodSandboxStatus* out);
  static void FillItem(const Sandbox& sb, cri::PodSandbox* out);

 private:
  absl::flat_hash_map<std::string, std::unique_ptr<Sandbox>> sandboxes_;
  // Reserved name -> sandbox id.
  absl::flat_hash_map<std::string, std::string> names_;
  // Pod IP -> id of the ready sandbox holding it.
  absl::flat_hash_map<std::string, std::string> ips_;
};

// Whether every selector pair is among the labels (an empty selector
// selects everything), as CRI list filters match.
bool LabelsMatch(const google::protobuf::Map<std::string, std::string>& selector,
                 const google::protobuf::Map<std::string, std::string>& labels);

}  // namespace minik8s::runtime

#endif  // MINIK8S_RUNTIME_SANDBOX_STORE_H_
