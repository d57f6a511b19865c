// VolumeManager: the pod volumes the kubelet sets up before a pod's
// containers are created — secret, configMap, downwardAPI and projected
// (sources secret, configMap, downwardAPI, serviceAccountToken), emptyDir and
// hostPath — and the CRI mounts through which each container sees them.
//
// Each volume but hostPath is a folder
//   <root-dir>/pods/<pod uid>/volumes/kubernetes.io~<plugin>/<volume name>/
// (plugin: secret, configmap, downward-api, projected, empty-dir). An
// emptyDir's folder is made empty (mode 0777, as Kubernetes makes it) the
// first time and kept for the pod's life, so its containers, and a
// container's next run, share what is written there; medium Memory is a
// folder as well (no tmpfs) and sizeLimit is not enforced. A hostPath is the
// host's own path, checked or made according to its type (Kubernetes'
// DirectoryOrCreate, Directory, FileOrCreate, File, Socket, CharDevice,
// BlockDevice; "" checks nothing). The other four are written atomically
// (atomic_writer.h: a timestamped folder, `..data` swapped by rename, every
// file a link through `..data`), with Kubernetes' rules: `items` pick keys
// and give paths, `mode`/`defaultMode` (default 0644) the file modes, a
// missing key or object is an error unless `optional`.
//
// Objects are read through VolumeObjectApi (the apiserver) and cached per
// (kind, namespace, name) for `object_ttl` (a NotFound for at most 2 s), so
// 10,000 pods reading `kube-root-ca.crt` make one request a TTL, not 10,000.
// ServiceAccount tokens come from the TokenManager (token_manager.h): a
// TokenRequest for the pod's ServiceAccount with audiences [audience] (none
// when the projection has none: the apiserver's), the projection's
// expirationSeconds and boundObjectRef {Pod, v1, name, uid}.
//
// A failed volume is an error in Kubernetes' words:
//   MountVolume.SetUp failed for volume "x" : configmap "y" not found
// which the PodSyncer turns into a FailedMount Warning Event, or
//   MountVolume.SetUp failed for volume "x" : hostPath type check failed: /y is not a directory
//
// Thread safety: SetUpPod and CleanupPod may run on several threads for
// different pods; one pod is set up by one thread at a time. The api, the
// token manager and the clock must outlive the VolumeManager.
#ifndef MINIK8S_KUBELET_VOLUME_MANAGER_H_
#define MINIK8S_KUBELET_VOLUME_MANAGER_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/api_client.h"
#include "client/token_request.h"
#include "common/clock.h"
#include "cri/v1/api.pb.h"
#include "k8s/core/v1/core.pb.h"
#include "kubelet/atomic_writer.h"
#include "kubelet/token_manager.h"

namespace minik8s::kubelet {

// Kubernetes' --root-dir default.
inline constexpr char kDefaultRootDir[] = "/var/lib/kubelet";

// The value of a pod field a downwardAPI volume or an env var's fieldRef
// names: metadata.name, .namespace, .uid, .labels, .annotations (the
// whole map, one `k="v"` line each), metadata.labels['k'],
// metadata.annotations['k'], spec.nodeName, spec.serviceAccountName.
// InvalidArgument for anything else (status fields are the caller's).
absl::StatusOr<std::string> PodFieldValue(const minik8s::core::v1::Pod& pod,
                                          const std::string& field_path);

// The apiserver reads the VolumeManager makes.
class VolumeObjectApi {
 public:
  virtual ~VolumeObjectApi() = default;
  virtual absl::StatusOr<minik8s::core::v1::ConfigMap> GetConfigMap(const std::string& ns,
                                                                    const std::string& name) = 0;
  virtual absl::StatusOr<minik8s::core::v1::Secret> GetSecret(const std::string& ns,
                                                              const std::string& name) = 0;
};

// Reads through the apiserver's generic verbs (the resources "configmaps"
// and "secrets"). `api` must outlive the result.
std::unique_ptr<VolumeObjectApi> NewApiVolumeObjectApi(client::ApiClient* api);

// Where a set-up volume is on the host, and whether containers may write to
// it (emptyDir and hostPath; the API-data volumes are always read-only).
struct VolumePath {
  std::string path;
  bool writable = false;
};
// Volume name -> where it is.
using VolumePaths = std::map<std::string, VolumePath>;

struct VolumeManagerOptions {
  std::string root_dir = kDefaultRootDir;
  // How long a ConfigMap or Secret read is reused.
  absl::Duration object_ttl = absl::Seconds(10);
};

class VolumeManager {
 public:
  VolumeManager(VolumeObjectApi* api, TokenManager* tokens, common::Clock* clock,
                VolumeManagerOptions options);

  // Whether `volume` is one the kubelet sets up (every source above).
  static bool Materialized(const minik8s::core::v1::Volume& volume);
  // Whether the pod has any such volume.
  static bool HasMaterializedVolumes(const minik8s::core::v1::Pod& pod);

  // Writes (or refreshes) every materialized volume of `pod`, makes its
  // emptyDirs and checks its hostPaths, and makes the folder of each subPath
  // a container mounts from an emptyDir or hostPath (as Kubernetes does
  // before it starts the container). On success `*dirs` (optional) maps each
  // volume name to where it is. Stops at the first volume that fails, with
  // the FailedMount message.
  absl::Status SetUpPod(const minik8s::core::v1::Pod& pod, VolumePaths* dirs = nullptr);

  // The CRI mounts of container `c`: one per volumeMount of a volume in
  // `dirs` (subPath: the file or folder under it). API-data volumes are
  // read-only as Kubernetes mounts them; emptyDir and hostPath mounts are
  // read-only when the volumeMount says readOnly.
  static std::vector<minik8s::cri::v1::Mount> MountsFor(const minik8s::core::v1::Container& c,
                                                        const VolumePaths& dirs);

  // The pod is gone: removes <root-dir>/pods/<uid> and its tokens.
  void CleanupPod(const std::string& pod_uid);

  // Housekeeping (Kubernetes' cleanupOrphanedPodDirs): removes every
  // <root-dir>/pods/<uid> whose uid is neither in `live` (the pods bound to
  // this kubelet's nodes) nor set up since its last CleanupPod — folders
  // left by pods deleted while the kubelet was down. Returns how many.
  int SweepOrphans(const absl::flat_hash_set<std::string>& live);

  const std::string& root_dir() const { return options_.root_dir; }
  // The folder of volume `name` of the pod (whether it exists or not); for a
  // hostPath, its path.
  std::string VolumeDir(const std::string& pod_uid, const minik8s::core::v1::Volume& volume) const;

  // The value a container's environment variable takes from a ConfigMap or
  // Secret key (`from`: configMapKeyRef or secretKeyRef; anything else is
  // InvalidArgument), read through the same cache as the volumes. nullopt:
  // the reference is optional and its object or key is missing (the
  // variable is left out). Errors in Kubernetes' words: `configmap "x" not
  // found`, `couldn't find key k in ConfigMap ns/x` (the container's
  // CreateContainerConfigError).
  absl::StatusOr<std::optional<std::string>> EnvValue(const std::string& ns,
                                                      const minik8s::core::v1::EnvVarSource& from);

  // The keys and values of the ConfigMap or Secret an envFrom entry names
  // (ConfigMap: data; Secret: data), through the same cache; nullopt when
  // it is optional and missing; `configmap "x" not found` otherwise.
  absl::StatusOr<std::optional<std::map<std::string, std::string>>> EnvFromValues(
      const std::string& ns, const minik8s::core::v1::EnvFromSource& from);

  // The files a volume holds (exposed for tests).
  absl::StatusOr<VolumePayload> Payload(const minik8s::core::v1::Pod& pod,
                                        const minik8s::core::v1::Volume& volume);

 private:
  struct CachedObject {
    absl::Time fetched;
    absl::Duration ttl;
    absl::StatusOr<minik8s::core::v1::ConfigMap> config_map = absl::UnknownError("");
    absl::StatusOr<minik8s::core::v1::Secret> secret = absl::UnknownError("");
  };
  absl::StatusOr<minik8s::core::v1::ConfigMap> ConfigMap(const std::string& ns,
                                                         const std::string& name);
  absl::StatusOr<minik8s::core::v1::Secret> Secret(const std::string& ns, const std::string& name);
  // The cached answer of `fetch` under `key`, kept in CachedObject::*slot:
  // an object or NotFound for its TTL; other errors are not kept.
  template <typename T>
  absl::StatusOr<T> Cached(const std::string& key, absl::StatusOr<T> CachedObject::*slot,
                           absl::FunctionRef<absl::StatusOr<T>()> fetch);

  VolumeObjectApi* const api_;
  TokenManager* const tokens_;
  common::Clock* const clock_;
  const VolumeManagerOptions options_;
  absl::Mutex mu_;
  // "configmap/<ns>/<name>" or "secret/<ns>/<name>".
  absl::flat_hash_map<std::string, CachedObject> cache_ ABSL_GUARDED_BY(mu_);
  // Pods set up and not cleaned up since (SweepOrphans leaves them).
  absl::flat_hash_set<std::string> active_ ABSL_GUARDED_BY(mu_);
};

}  // namespace minik8s::kubelet

#endif  // MINIK8S_KUBELET_VOLUME_MANAGER_H_
