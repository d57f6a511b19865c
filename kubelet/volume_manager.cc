#include "kubelet/volume_manager.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/errors.h"
#include "api/resource_field.h"

namespace minik8s::kubelet {

namespace core = ::minik8s::core::v1;
namespace cri = ::minik8s::cri::v1;
namespace fs = std::filesystem;
using minik8s::authentication::v1::TokenRequest;

namespace {

constexpr int kDefaultMode = 0644;
constexpr absl::Duration kNotFoundTtl = absl::Seconds(2);
constexpr size_t kMaxCachedObjects = 4096;

std::string PluginOf(const core::Volume& v) {
  if (v.has_secret()) return "kubernetes.io~secret";
  if (v.has_config_map()) return "kubernetes.io~configmap";
  if (v.has_downward_api()) return "kubernetes.io~downward-api";
  if (v.has_empty_dir()) return "kubernetes.io~empty-dir";
  return "kubernetes.io~projected";
}

// emptyDir and hostPath: containers may write to them.
bool Writable(const core::Volume& v) { return v.has_empty_dir() || v.has_host_path(); }

// An emptyDir's folder: made on first use, then kept for the pod's life.
absl::Status SetUpEmptyDir(const std::string& dir) {
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return absl::OkStatus();
  fs::create_directories(dir, ec);
  if (!ec) fs::permissions(dir, fs::perms::all, ec);  // 0777 whatever the umask
  if (ec) return absl::InternalError(absl::StrCat("mkdir ", dir, ": ", ec.message()));
  return absl::OkStatus();
}

// Kubernetes' hostPath type check: the *OrCreate types make what is missing
// (a folder 0755, an empty file 0644), the others check what is there.
absl::Status CheckHostPath(const core::HostPathVolumeSource& source) {
  const std::string& path = source.path();
  const std::string& type = source.type();
  auto not_a = [&](absl::string_view what) {
    return absl::FailedPreconditionError(
        absl::StrCat("hostPath type check failed: ", path, " is not a ", what));
  };
  if (type.empty()) return absl::OkStatus();
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);  // follows symlinks, as stat(2)
  const bool exists = !ec && fs::exists(st);
  if (type == "DirectoryOrCreate" && !exists) {
    fs::create_directories(path, ec);
    if (!ec) {
      fs::permissions(path,
                      fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                          fs::perms::others_read | fs::perms::others_exec,
                      ec);
    }
    if (ec) return absl::InternalError(absl::StrCat("mkdir ", path, ": ", ec.message()));
    return absl::OkStatus();
  }
  if (type == "DirectoryOrCreate" || type == "Directory") {
    return exists && fs::is_directory(st) ? absl::OkStatus() : not_a("directory");
  }
  if (type == "FileOrCreate" && !exists) {
    const int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0) {
      return absl::InternalError(absl::StrCat("open ", path, ": ", std::strerror(errno)));
    }
    ::close(fd);
    return absl::OkStatus();
  }
  if (type == "FileOrCreate" || type == "File") {
    return exists && fs::is_regular_file(st) ? absl::OkStatus() : not_a("file");
  }
  if (type == "Socket")
    return exists && fs::is_socket(st) ? absl::OkStatus() : not_a("socket file");
  if (type == "CharDevice") {
    return exists && fs::is_character_file(st) ? absl::OkStatus() : not_a("character device");
  }
  if (type == "BlockDevice") {
    return exists && fs::is_block_file(st) ? absl::OkStatus() : not_a("block device");
  }
  return absl::InvalidArgumentError(absl::StrCat("invalid HostPath type: ", type));
}

std::string SetUpFailed(const core::Volume& v, absl::string_view why) {
  return absl::StrCat("MountVolume.SetUp failed for volume \"", v.name(), "\" : ", why);
}

// A lookup error in Kubernetes' words: `configmap "y" not found`.
absl::Status ObjectError(absl::string_view kind, absl::string_view name, const absl::Status& s) {
  if (api::IsNotFound(s)) {
    return absl::NotFoundError(absl::StrCat(kind, " \"", name, "\" not found"));
  }
  return s;
}

// Kubernetes' fieldpath.FormatMap: sorted `key="value"` lines.
std::string FormatMap(const google::protobuf::Map<std::string, std::string>& m) {
  std::vector<std::pair<std::string, std::string>> sorted(m.begin(), m.end());
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::string> lines;
  for (const auto& [k, v] : sorted) {
    std::string quoted = "\"";
    for (char c : v) {
      if (c == '"' || c == '\\') quoted += '\\';
      if (c == '\n') {
        quoted += "\\n";
        continue;
      }
      quoted += c;
    }
    lines.push_back(absl::StrCat(k, "=", quoted, "\""));
  }
  return absl::StrJoin(lines, "\n");
}

// metadata.labels['k'] -> k (or "" when `path` is not of that form).
std::string Subscript(const std::string& path, absl::string_view field) {
  const std::string prefix = absl::StrCat(field, "['");
  if (path.size() > prefix.size() + 2 && path.compare(0, prefix.size(), prefix) == 0 &&
      path.compare(path.size() - 2, 2, "']") == 0) {
    return path.substr(prefix.size(), path.size() - prefix.size() - 2);
  }
  return "";
}

absl::StatusOr<std::string> DownwardValue(const core::Pod& pod,
                                          const core::DownwardAPIVolumeFile& f) {
  if (f.has_field_ref()) return PodFieldValue(pod, f.field_ref().field_path());
  if (f.has_resource_field_ref()) {
    const auto& ref = f.resource_field_ref();
    for (const core::Container& c : pod.spec().containers()) {
      if (c.name() == ref.container_name()) return api::ContainerResourceValue(c, ref);
    }
    return absl::InvalidArgumentError(
        absl::StrCat("container ", ref.container_name(), " not found for resourceFieldRef"));
  }
  return absl::InvalidArgumentError(absl::StrCat("no fieldRef or resourceFieldRef for ", f.path()));
}

// Adds `data` (key -> content) by `items` (or every key) to `out`.
template <typename Data>
absl::Status AddKeys(const Data& data,
                     const google::protobuf::RepeatedPtrField<core::KeyToPath>& items, int mode,
                     bool optional, absl::string_view what, VolumePayload* out) {
  if (items.empty()) {
    for (const auto& [key, value] : data) (*out)[key] = {std::string(value), mode};
    return absl::OkStatus();
  }
  for (const core::KeyToPath& item : items) {
    auto it = data.find(item.key());
    if (it == data.end()) {
      if (optional) continue;
      return absl::NotFoundError(absl::StrCat(what, item.key()));
    }
    (*out)[item.path()] = {std::string(it->second), item.has_mode() ? item.mode() : mode};
  }
  return absl::OkStatus();
}

class ApiVolumeObjects : public VolumeObjectApi {
 public:
  explicit ApiVolumeObjects(client::ApiClient* api) : api_(api) {}
  absl::StatusOr<core::ConfigMap> GetConfigMap(const std::string& ns,
                                               const std::string& name) override {
    core::ConfigMap out;
    absl::Status s = api_->Get("configmaps", ns, name, &out);
    if (!s.ok()) return s;
    return out;
  }
  absl::StatusOr<core::Secret> GetSecret(const std::string& ns, const std::string& name) override {
    core::Secret out;
    absl::Status s = api_->Get("secrets", ns, name, &out);
    if (!s.ok()) return s;
    return out;
  }

 private:
  client::ApiClient* const api_;
};

}  // namespace

absl::StatusOr<std::string> PodFieldValue(const core::Pod& pod, const std::string& field_path) {
  const std::string& p = field_path;
  const auto& meta = pod.metadata();
  if (p == "metadata.name") return meta.name();
  if (p == "metadata.namespace") return meta.namespace_();
  if (p == "metadata.uid") return meta.uid();
  if (p == "metadata.labels") return FormatMap(meta.labels());
  if (p == "metadata.annotations") return FormatMap(meta.annotations());
  if (p == "spec.serviceAccountName") return pod.spec().service_account_name();
  if (p == "spec.nodeName") return pod.spec().node_name();
  if (std::string k = Subscript(p, "metadata.labels"); !k.empty()) {
    auto it = meta.labels().find(k);
    return it == meta.labels().end() ? "" : it->second;
  }
  if (std::string k = Subscript(p, "metadata.annotations"); !k.empty()) {
    auto it = meta.annotations().find(k);
    return it == meta.annotations().end() ? "" : it->second;
  }
  return absl::InvalidArgumentError(absl::StrCat("unsupported fieldPath: ", p));
}

std::unique_ptr<VolumeObjectApi> NewApiVolumeObjectApi(client::ApiClient* api) {
  return std::make_unique<ApiVolumeObjects>(api);
}

VolumeManager::VolumeManager(VolumeObjectApi* api, TokenManager* tokens, common::Clock* clock,
                             VolumeManagerOptions options)
    : api_(api), tokens_(tokens), clock_(clock), options_(std::move(options)) {}

bool VolumeManager::Materialized(const core::Volume& v) {
  return v.has_secret() || v.has_config_map() || v.has_downward_api() || v.has_projected() ||
         v.has_empty_dir() || v.has_host_path();
}

bool VolumeManager::HasMaterializedVolumes(const core::Pod& pod) {
  for (const core::Volume& v : pod.spec().volumes()) {
    if (Materialized(v)) return true;
  }
  return false;
}

std::string VolumeManager::VolumeDir(const std::string& pod_uid, const core::Volume& v) const {
  if (v.has_host_path()) return v.host_path().path();
  return absl::StrCat(options_.root_dir, "/pods/", pod_uid, "/volumes/", PluginOf(v), "/",
                      v.name());
}

template <typename T>
absl::StatusOr<T> VolumeManager::Cached(const std::string& key,
                                        absl::StatusOr<T> CachedObject::*slot,
                                        absl::FunctionRef<absl::StatusOr<T>()> fetch) {
  const absl::Time now = clock_->Now();
  {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(key);
    if (it != cache_.end() && now - it->second.fetched < it->second.ttl) {
      return it->second.*slot;
    }
  }
  absl::StatusOr<T> got = fetch();
  if (!got.ok() && !api::IsNotFound(got.status())) return got;  // errors are not kept
  absl::MutexLock lock(&mu_);
  if (cache_.size() >= kMaxCachedObjects) {
    absl::erase_if(cache_, [&](const auto& e) { return now - e.second.fetched >= e.second.ttl; });
  }
  CachedObject& c = cache_[key];
  c.fetched = now;
  c.ttl = got.ok() ? options_.object_ttl : std::min(options_.object_ttl, kNotFoundTtl);
  c.*slot = got;
  return got;
}

absl::StatusOr<core::ConfigMap> VolumeManager::ConfigMap(const std::string& ns,
                                                         const std::string& name) {
  return Cached<core::ConfigMap>(absl::StrCat("configmap/", ns, "/", name),
                                 &CachedObject::config_map,
                                 [&] { return api_->GetConfigMap(ns, name); });
}

absl::StatusOr<core::Secret> VolumeManager::Secret(const std::string& ns, const std::string& name) {
  return Cached<core::Secret>(absl::StrCat("secret/", ns, "/", name), &CachedObject::secret,
                              [&] { return api_->GetSecret(ns, name); });
}

absl::StatusOr<VolumePayload> VolumeManager::Payload(const core::Pod& pod, const core::Volume& v) {
  const std::string& ns = pod.metadata().namespace_();
  VolumePayload out;
  auto add_config_map = [&](const std::string& name,
                            const google::protobuf::RepeatedPtrField<core::KeyToPath>& items,
                            int mode, bool optional) -> absl::Status {
    absl::StatusOr<core::ConfigMap> cm = ConfigMap(ns, name);
    if (!cm.ok()) {
      if (optional && api::IsNotFound(cm.status())) return absl::OkStatus();
      return ObjectError("configmap", name, cm.status());
    }
    if (items.empty()) {
      for (const auto& [key, value] : cm->data()) out[key] = {value, mode};
      for (const auto& [key, value] : cm->binary_data()) out[key] = {value, mode};
      return absl::OkStatus();
    }
    for (const core::KeyToPath& item : items) {
      const std::string* value = nullptr;
      if (auto it = cm->data().find(item.key()); it != cm->data().end()) {
        value = &it->second;
      } else if (auto b = cm->binary_data().find(item.key()); b != cm->binary_data().end()) {
        value = &b->second;
      }
      if (value == nullptr) {
        if (optional) continue;
        return absl::NotFoundError(
            absl::StrCat("configmap references non-existent config key: ", item.key()));
      }
      out[item.path()] = {*value, item.has_mode() ? item.mode() : mode};
    }
    return absl::OkStatus();
  };
  auto add_secret = [&](const std::string& name,
                        const google::protobuf::RepeatedPtrField<core::KeyToPath>& items, int mode,
                        bool optional) -> absl::Status {
    absl::StatusOr<core::Secret> secret = Secret(ns, name);
    if (!secret.ok()) {
      if (optional && api::IsNotFound(secret.status())) return absl::OkStatus();
      return ObjectError("secret", name, secret.status());
    }
    return AddKeys(secret->data(), items, mode, optional,
                   "references non-existent secret key: ", &out);
  };
  auto add_downward =
      [&](const google::protobuf::RepeatedPtrField<core::DownwardAPIVolumeFile>& items,
          int mode) -> absl::Status {
    for (const core::DownwardAPIVolumeFile& f : items) {
      absl::StatusOr<std::string> value = DownwardValue(pod, f);
      if (!value.ok()) return value.status();
      out[f.path()] = {*std::move(value), f.has_mode() ? f.mode() : mode};
    }
    return absl::OkStatus();
  };

  absl::Status s;
  if (v.has_config_map()) {
    const auto& src = v.config_map();
    s = add_config_map(src.name(), src.items(),
                       src.has_default_mode() ? src.default_mode() : kDefaultMode,
                       src.has_optional() && src.optional());
  } else if (v.has_secret()) {
    const auto& src = v.secret();
    s = add_secret(src.secret_name(), src.items(),
                   src.has_default_mode() ? src.default_mode() : kDefaultMode,
                   src.has_optional() && src.optional());
  } else if (v.has_downward_api()) {
    const auto& src = v.downward_api();
    s = add_downward(src.items(), src.has_default_mode() ? src.default_mode() : kDefaultMode);
  } else if (v.has_projected()) {
    const auto& src = v.projected();
    const int mode = src.has_default_mode() ? src.default_mode() : kDefaultMode;
    for (const core::VolumeProjection& p : src.sources()) {
      if (p.has_secret()) {
        s = add_secret(p.secret().name(), p.secret().items(), mode,
                       p.secret().has_optional() && p.secret().optional());
      } else if (p.has_config_map()) {
        s = add_config_map(p.config_map().name(), p.config_map().items(), mode,
                           p.config_map().has_optional() && p.config_map().optional());
      } else if (p.has_downward_api()) {
        s = add_downward(p.downward_api().items(), mode);
      } else if (p.has_service_account_token()) {
        const core::ServiceAccountTokenProjection& t = p.service_account_token();
        TokenRequest req;
        if (!t.audience().empty()) req.mutable_spec()->add_audiences(t.audience());
        if (t.has_expiration_seconds()) {
          req.mutable_spec()->set_expiration_seconds(t.expiration_seconds());
        } else {
          req.mutable_spec()->set_expiration_seconds(3600);  // the API's default
        }
        auto* ref = req.mutable_spec()->mutable_bound_object_ref();
        ref->set_kind("Pod");
        ref->set_api_version("v1");
        ref->set_name(pod.metadata().name());
        ref->set_uid(pod.metadata().uid());
        const std::string sa = pod.spec().service_account_name().empty()
                                   ? "default"
                                   : pod.spec().service_account_name();
        absl::StatusOr<TokenRequest> token = tokens_ == nullptr
                                                 ? absl::UnavailableError("no token manager")
                                                 : tokens_->GetServiceAccountToken(ns, sa, req);
        if (!token.ok()) {
          s = absl::Status(token.status().code(),
                           absl::StrCat("failed to fetch token: ", token.status().message()));
        } else {
          out[t.path()] = {token->status().token(), mode};
        }
      }
      if (!s.ok()) break;
    }
  }
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<std::optional<std::string>> VolumeManager::EnvValue(const std::string& ns,
                                                                   const core::EnvVarSource& from) {
  if (from.has_config_map_key_ref()) {
    const core::ConfigMapKeySelector& ref = from.config_map_key_ref();
    const bool optional = ref.has_optional() && ref.optional();
    absl::StatusOr<core::ConfigMap> cm = ConfigMap(ns, ref.name());
    if (!cm.ok()) {
      if (optional && api::IsNotFound(cm.status())) return std::nullopt;
      return ObjectError("configmap", ref.name(), cm.status());
    }
    auto it = cm->data().find(ref.key());
    if (it != cm->data().end()) return it->second;
    if (optional) return std::nullopt;
    return absl::NotFoundError(
        absl::StrCat("couldn't find key ", ref.key(), " in ConfigMap ", ns, "/", ref.name()));
  }
  if (from.has_secret_key_ref()) {
    const core::SecretKeySelector& ref = from.secret_key_ref();
    const bool optional = ref.has_optional() && ref.optional();
    absl::StatusOr<core::Secret> secret = Secret(ns, ref.name());
    if (!secret.ok()) {
      if (optional && api::IsNotFound(secret.status())) return std::nullopt;
      return ObjectError("secret", ref.name(), secret.status());
    }
    auto it = secret->data().find(ref.key());
    if (it != secret->data().end()) return it->second;
    if (optional) return std::nullopt;
    return absl::NotFoundError(
        absl::StrCat("couldn't find key ", ref.key(), " in Secret ", ns, "/", ref.name()));
  }
  return absl::InvalidArgumentError("neither configMapKeyRef nor secretKeyRef");
}

absl::StatusOr<std::optional<std::map<std::string, std::string>>> VolumeManager::EnvFromValues(
    const std::string& ns, const core::EnvFromSource& from) {
  std::map<std::string, std::string> out;
  if (from.has_config_map_ref()) {
    const core::ConfigMapEnvSource& ref = from.config_map_ref();
    absl::StatusOr<core::ConfigMap> cm = ConfigMap(ns, ref.name());
    if (!cm.ok()) {
      if (ref.has_optional() && ref.optional() && api::IsNotFound(cm.status())) return std::nullopt;
      return ObjectError("configmap", ref.name(), cm.status());
    }
    out.insert(cm->data().begin(), cm->data().end());
    return out;
  }
  if (from.has_secret_ref()) {
    const core::SecretEnvSource& ref = from.secret_ref();
    absl::StatusOr<core::Secret> secret = Secret(ns, ref.name());
    if (!secret.ok()) {
      if (ref.has_optional() && ref.optional() && api::IsNotFound(secret.status())) {
        return std::nullopt;
      }
      return ObjectError("secret", ref.name(), secret.status());
    }
    out.insert(secret->data().begin(), secret->data().end());
    return out;
  }
  return absl::InvalidArgumentError("neither configMapRef nor secretRef");
}

absl::Status VolumeManager::SetUpPod(const core::Pod& pod, VolumePaths* dirs) {
  const std::string& uid = pod.metadata().uid();
  {
    absl::MutexLock lock(&mu_);
    active_.insert(uid);
  }
  VolumePaths set_up;
  for (const core::Volume& v : pod.spec().volumes()) {
    if (!Materialized(v)) continue;
    const std::string dir = VolumeDir(uid, v);
    absl::Status s;
    if (v.has_empty_dir()) {
      s = SetUpEmptyDir(dir);
    } else if (v.has_host_path()) {
      s = CheckHostPath(v.host_path());
    } else {
      absl::StatusOr<VolumePayload> payload = Payload(pod, v);
      s = payload.ok() ? WriteVolumeAtomically(dir, *payload, clock_->Now()) : payload.status();
    }
    if (!s.ok()) return absl::Status(s.code(), SetUpFailed(v, s.message()));
    set_up[v.name()] = {dir, Writable(v)};
  }
  // A subPath of a writable volume is made before the container starts
  // (Kubernetes makes it so that its owner and mode are the kubelet's).
  auto make_sub_paths = [&](const core::Container& c) -> absl::Status {
    for (const core::VolumeMount& m : c.volume_mounts()) {
      auto it = set_up.find(m.name());
      if (m.sub_path().empty() || it == set_up.end() || !it->second.writable) continue;
      std::error_code ec;
      const std::string sub = absl::StrCat(it->second.path, "/", m.sub_path());
      if (fs::exists(sub, ec)) continue;
      fs::create_directories(sub, ec);
      if (ec) {
        return absl::InternalError(
            absl::StrCat("failed to create subPath directory for volumeMount \"", m.name(),
                         "\" of container \"", c.name(), "\": ", ec.message()));
      }
    }
    return absl::OkStatus();
  };
  for (const core::Container& c : pod.spec().init_containers()) {
    if (absl::Status s = make_sub_paths(c); !s.ok()) return s;
  }
  for (const core::Container& c : pod.spec().containers()) {
    if (absl::Status s = make_sub_paths(c); !s.ok()) return s;
  }
  if (dirs != nullptr) *dirs = std::move(set_up);
  return absl::OkStatus();
}

std::vector<cri::Mount> VolumeManager::MountsFor(const core::Container& c,
                                                 const VolumePaths& dirs) {
  std::vector<cri::Mount> out;
  for (const core::VolumeMount& m : c.volume_mounts()) {
    auto it = dirs.find(m.name());
    if (it == dirs.end() || m.mount_path().empty()) continue;
    cri::Mount mount;
    mount.set_container_path(m.mount_path());
    const VolumePath& volume = it->second;
    mount.set_host_path(m.sub_path().empty() ? volume.path
                                             : absl::StrCat(volume.path, "/", m.sub_path()));
    mount.set_readonly(!volume.writable || m.read_only());
    out.push_back(std::move(mount));
  }
  return out;
}

void VolumeManager::CleanupPod(const std::string& pod_uid) {
  if (tokens_ != nullptr) tokens_->DeleteServiceAccountTokens(pod_uid);
  {
    absl::MutexLock lock(&mu_);
    active_.erase(pod_uid);
  }
  if (pod_uid.empty() || pod_uid.find('/') != std::string::npos || pod_uid == "." ||
      pod_uid == "..") {
    return;
  }
  std::error_code ec;
  fs::remove_all(fs::path(options_.root_dir) / "pods" / pod_uid, ec);
}

int VolumeManager::SweepOrphans(const absl::flat_hash_set<std::string>& live) {
  const fs::path pods = fs::path(options_.root_dir) / "pods";
  std::error_code ec;
  std::vector<std::string> uids;
  for (const fs::directory_entry& e : fs::directory_iterator(pods, ec)) {
    uids.push_back(e.path().filename().string());
  }
  // Read after the listing: a pod set up meanwhile is in active_ by now.
  std::vector<std::string> orphans;
  {
    absl::MutexLock lock(&mu_);
    for (std::string& uid : uids) {
      if (!live.contains(uid) && !active_.contains(uid)) orphans.push_back(std::move(uid));
    }
  }
  int removed = 0;
  for (const std::string& uid : orphans) {
    if (fs::remove_all(pods / uid, ec) > 0 && !ec) ++removed;
  }
  return removed;
}

}  // namespace minik8s::kubelet
