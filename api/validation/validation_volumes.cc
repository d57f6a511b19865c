// Validation and defaulting of a pod's volumes (validation_volumes.h).
#include "api/validation/validation_volumes.h"

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/quantity.h"
#include "api/validation/names.h"
#include "api/validation/validation_internal.h"

namespace minik8s::validation {

using minik8s::core::v1::ConfigMapVolumeSource;
using minik8s::core::v1::DownwardAPIVolumeFile;
using minik8s::core::v1::DownwardAPIVolumeSource;
using minik8s::core::v1::HostPathVolumeSource;
using minik8s::core::v1::KeyToPath;
using minik8s::core::v1::ObjectFieldSelector;
using minik8s::core::v1::ProjectedVolumeSource;
using minik8s::core::v1::ResourceFieldSelector;
using minik8s::core::v1::SecretVolumeSource;
using minik8s::core::v1::Volume;

namespace {

constexpr int32_t kDefaultFileMode = 0644;
constexpr int64_t kDefaultTokenSeconds = 3600;
constexpr int64_t kMinTokenSeconds = 10 * 60;
constexpr int64_t kMaxTokenSeconds = int64_t{1} << 32;
constexpr char kMoreThanOneType[] = "may not specify more than 1 volume type";
constexpr char kDuplicatePaths[] = "conflicting duplicate paths";

// The fields a downwardAPI volume may show (sorted, as Kubernetes lists them).
const std::vector<std::string>& VolumeFieldPaths() {
  static const auto* paths =
      new std::vector<std::string>{"metadata.annotations", "metadata.labels", "metadata.name",
                                   "metadata.namespace", "metadata.uid"};
  return *paths;
}

// The fields an environment variable may take (sorted, as Kubernetes lists
// them), besides metadata.labels['k'] and metadata.annotations['k'].
const std::vector<std::string>& EnvFieldPaths() {
  static const auto* paths = new std::vector<std::string>{"metadata.name",
                                                          "metadata.namespace",
                                                          "metadata.uid",
                                                          "spec.nodeName",
                                                          "spec.serviceAccountName",
                                                          "status.hostIP",
                                                          "status.hostIPs",
                                                          "status.podIP",
                                                          "status.podIPs"};
  return *paths;
}

// The container resources a downwardAPI volume may show.
const std::vector<std::string>& ResourceFieldPaths() {
  static const auto* paths =
      new std::vector<std::string>{"limits.cpu",   "limits.ephemeral-storage",   "limits.memory",
                                   "requests.cpu", "requests.ephemeral-storage", "requests.memory"};
  return *paths;
}

// The fields Kubernetes' ConvertDownwardAPIFieldLabel knows for v1 pods.
bool IsConvertibleFieldLabel(std::string_view label) {
  static const auto* labels =
      new std::set<std::string, std::less<>>{"metadata.annotations",
                                             "metadata.labels",
                                             "metadata.name",
                                             "metadata.namespace",
                                             "metadata.uid",
                                             "spec.nodeName",
                                             "spec.restartPolicy",
                                             "spec.serviceAccountName",
                                             "spec.schedulerName",
                                             "status.phase",
                                             "status.hostIP",
                                             "status.hostIPs",
                                             "status.podIP",
                                             "status.podIPs",
                                             "spec.terminationGracePeriodSeconds",
                                             "spec.host"};
  return labels->contains(label);
}

void FileMode(const FieldPath& path, int32_t mode, FieldErrors* errs) {
  if (mode < 0 || mode > 0777) {
    errs->push_back(Invalid(path, static_cast<int64_t>(mode), kFileModeErrorMsg));
  }
}

// Kubernetes' validatePathNoBacksteps: no `..` element.
void NoBacksteps(const std::string& target, const FieldPath& path, FieldErrors* errs) {
  for (absl::string_view part : absl::StrSplit(target, '/')) {
    if (part == "..") {
      errs->push_back(Invalid(path, target, "must not contain '..'"));
      return;
    }
  }
}

// Kubernetes' ValidateLocalNonReservedPath: relative, no `..` element, not
// starting with `..`.
void LocalNonReservedPath(const std::string& target, const FieldPath& path, FieldErrors* errs) {
  if (absl::StartsWith(target, "/")) {
    errs->push_back(Invalid(path, target, "must be a relative path"));
  }
  NoBacksteps(target, path, errs);
  if (absl::StartsWith(target, "..") && !absl::StartsWith(target, "../")) {
    errs->push_back(Invalid(path, target, "must not start with '..'"));
  }
}

void ValidateKeyToPath(const KeyToPath& item, const FieldPath& path, FieldErrors* errs) {
  if (item.key().empty()) errs->push_back(Required(path.Child("key"), ""));
  if (item.path().empty()) errs->push_back(Required(path.Child("path"), ""));
  LocalNonReservedPath(item.path(), path.Child("path"), errs);
  if (item.has_mode()) FileMode(path.Child("mode"), item.mode(), errs);
}

void ValidateItems(const google::protobuf::RepeatedPtrField<KeyToPath>& items,
                   const FieldPath& path, FieldErrors* errs) {
  for (int i = 0; i < items.size(); ++i) ValidateKeyToPath(items[i], path.Index(i), errs);
}

// Kubernetes' fieldpath.SplitMaybeSubscriptedPath: `metadata.labels['k']`
// is ("metadata.labels", "k").
bool SplitSubscript(absl::string_view field_path, std::string* path, std::string* subscript) {
  if (!absl::EndsWith(field_path, "']")) return false;
  field_path.remove_suffix(2);
  const size_t open = field_path.find("['");
  if (open == absl::string_view::npos || open == 0) return false;
  *path = std::string(field_path.substr(0, open));
  *subscript = std::string(field_path.substr(open + 2));
  return true;
}

void ValidateObjectFieldSelector(const ObjectFieldSelector& selector,
                                 const std::vector<std::string>& allowed, const FieldPath& path,
                                 FieldErrors* errs) {
  if (selector.api_version().empty()) {
    errs->push_back(Required(path.Child("apiVersion"), ""));
    return;
  }
  const std::string& field_path = selector.field_path();
  if (field_path.empty()) {
    errs->push_back(Required(path.Child("fieldPath"), ""));
    return;
  }
  auto conversion_error = [&](const std::string& why) {
    errs->push_back(Invalid(path.Child("fieldPath"), field_path,
                            absl::StrCat("error converting fieldPath: ", why)));
  };
  if (selector.api_version() != "v1") {
    conversion_error(absl::StrCat("unsupported pod version: ", selector.api_version()));
    return;
  }
  std::string base, subscript;
  if (SplitSubscript(field_path, &base, &subscript)) {
    if (base == "metadata.annotations") {
      const std::string key = absl::AsciiStrToLower(subscript);
      for (const std::string& msg : IsQualifiedName(key)) errs->push_back(Invalid(path, key, msg));
    } else if (base == "metadata.labels") {
      for (const std::string& msg : IsQualifiedName(subscript)) {
        errs->push_back(Invalid(path, subscript, msg));
      }
    } else {
      conversion_error(absl::StrCat("field label does not support subscript: ", field_path));
    }
    return;
  }
  if (!IsConvertibleFieldLabel(field_path)) {
    conversion_error(absl::StrCat("field label not supported: ", field_path));
    return;
  }
  const std::string internal = field_path == "spec.host" ? "spec.nodeName" : field_path;
  bool ok = false;
  for (const std::string& p : allowed) ok = ok || p == internal;
  if (!ok) errs->push_back(NotSupported(path.Child("fieldPath"), internal, allowed));
}

// A volume's selector names its container; an env var's may leave it to
// be the var's own.
void ValidateResourceFieldSelector(const ResourceFieldSelector& selector, bool volume,
                                   const FieldPath& path, FieldErrors* errs) {
  if (volume && selector.container_name().empty()) {
    errs->push_back(Required(path.Child("containerName"), ""));
    return;
  }
  const std::string& resource = selector.resource();
  if (resource.empty()) {
    errs->push_back(Required(path.Child("resource"), ""));
    return;
  }
  bool allowed = absl::StartsWith(resource, "limits.hugepages-") ||
                 absl::StartsWith(resource, "requests.hugepages-");
  for (const std::string& r : ResourceFieldPaths()) allowed = allowed || r == resource;
  if (!allowed)
    errs->push_back(NotSupported(path.Child("resource"), resource, ResourceFieldPaths()));
}

void ValidateDownwardAPIVolumeFile(const DownwardAPIVolumeFile& file, const FieldPath& path,
                                   FieldErrors* errs) {
  if (file.path().empty()) errs->push_back(Required(path.Child("path"), ""));
  LocalNonReservedPath(file.path(), path.Child("path"), errs);
  if (file.has_field_ref()) {
    ValidateObjectFieldSelector(file.field_ref(), VolumeFieldPaths(), path.Child("fieldRef"), errs);
    if (file.has_resource_field_ref()) {
      errs->push_back(Invalid(path, "resource",
                              "fieldRef and resourceFieldRef can not be specified simultaneously"));
    }
  } else if (file.has_resource_field_ref()) {
    ValidateResourceFieldSelector(file.resource_field_ref(), /*volume=*/true,
                                  path.Child("resourceFieldRef"), errs);
  } else {
    errs->push_back(Required(path, "one of fieldRef and resourceFieldRef is required"));
  }
  if (file.has_mode()) FileMode(path.Child("mode"), file.mode(), errs);
}

void ValidateSecretSource(const SecretVolumeSource& source, const FieldPath& path,
                          FieldErrors* errs) {
  if (source.secret_name().empty()) errs->push_back(Required(path.Child("secretName"), ""));
  if (source.has_default_mode()) FileMode(path.Child("defaultMode"), source.default_mode(), errs);
  ValidateItems(source.items(), path.Child("items"), errs);
}

void ValidateConfigMapSource(const ConfigMapVolumeSource& source, const FieldPath& path,
                             FieldErrors* errs) {
  if (source.name().empty()) errs->push_back(Required(path.Child("name"), ""));
  if (source.has_default_mode()) FileMode(path.Child("defaultMode"), source.default_mode(), errs);
  ValidateItems(source.items(), path.Child("items"), errs);
}

void ValidateDownwardAPISource(const DownwardAPIVolumeSource& source, const FieldPath& path,
                               FieldErrors* errs) {
  if (source.has_default_mode()) FileMode(path.Child("defaultMode"), source.default_mode(), errs);
  // Each item at the source's path, as Kubernetes reports them.
  for (const DownwardAPIVolumeFile& file : source.items()) {
    ValidateDownwardAPIVolumeFile(file, path, errs);
  }
}

void ValidateHostPathSource(const HostPathVolumeSource& source, const FieldPath& path,
                            FieldErrors* errs) {
  if (source.path().empty()) {
    errs->push_back(Required(path.Child("path"), ""));
    return;
  }
  NoBacksteps(source.path(), path.Child("path"), errs);
  static const auto* types = new std::vector<std::string>{
      "",     "BlockDevice",  "CharDevice", "Directory", "DirectoryOrCreate",
      "File", "FileOrCreate", "Socket"};
  if (source.has_type()) {
    bool known = false;
    for (const std::string& t : *types) known = known || t == source.type();
    if (!known) errs->push_back(NotSupported(path.Child("type"), source.type(), *types));
  }
}

void ValidateProjectedSource(const ProjectedVolumeSource& projected, const FieldPath& path,
                             FieldErrors* errs) {
  if (projected.has_default_mode()) {
    FileMode(path.Child("defaultMode"), projected.default_mode(), errs);
  }
  std::set<std::string> paths;
  // `value` is what Kubernetes reports with a repeated path.
  auto claim = [&](const std::string& file, const std::string& value) {
    if (file.empty()) return;
    if (!paths.insert(file).second) errs->push_back(Invalid(path, value, kDuplicatePaths));
  };
  for (int i = 0; i < projected.sources_size(); ++i) {
    const auto& source = projected.sources(i);
    const FieldPath source_path = path.Child("sources").Index(i);
    int types = 0;
    if (source.has_secret()) {
      ++types;
      const FieldPath p = source_path.Child("secret");
      if (source.secret().name().empty()) errs->push_back(Required(p.Child("name"), ""));
      for (int j = 0; j < source.secret().items_size(); ++j) {
        const KeyToPath& item = source.secret().items(j);
        ValidateKeyToPath(item, p.Child("items").Index(j), errs);
        claim(item.path(), source.secret().name());
      }
    }
    if (source.has_config_map()) {
      ++types;
      const FieldPath p = source_path.Child("configMap");
      if (source.config_map().name().empty()) errs->push_back(Required(p.Child("name"), ""));
      for (int j = 0; j < source.config_map().items_size(); ++j) {
        const KeyToPath& item = source.config_map().items(j);
        ValidateKeyToPath(item, p.Child("items").Index(j), errs);
        claim(item.path(), source.config_map().name());
      }
    }
    if (source.has_downward_api()) {
      ++types;
      const FieldPath p = source_path.Child("downwardAPI");
      for (const DownwardAPIVolumeFile& file : source.downward_api().items()) {
        ValidateDownwardAPIVolumeFile(file, p, errs);
        claim(file.path(), file.path());
      }
    }
    if (source.has_service_account_token()) {
      ++types;
      const auto& token = source.service_account_token();
      const FieldPath p = source_path.Child("serviceAccountToken");
      const int64_t seconds = token.expiration_seconds();
      if (seconds < kMinTokenSeconds) {
        errs->push_back(Invalid(p.Child("expirationSeconds"), seconds,
                                "may not specify a duration less than 10 minutes"));
      }
      if (seconds > kMaxTokenSeconds) {
        errs->push_back(Invalid(p.Child("expirationSeconds"), seconds,
                                "may not specify a duration larger than 2^32 seconds"));
      }
      if (token.path().empty()) {
        errs->push_back(Required(path.Child("path"), ""));
      } else {
        LocalNonReservedPath(token.path(), path.Child("path"), errs);
        claim(token.path(), token.path());
      }
    }
    if (types > 1) errs->push_back(Forbidden(source_path, kMoreThanOneType));
  }
}

// Kubernetes' validateVolumeSource: one source, checked; a second one is
// refused (and not checked).
void ValidateVolumeSource(const Volume& volume, const FieldPath& path, FieldErrors* errs) {
  int types = 0;
  auto another = [&](const char* field) {
    if (types > 0) {
      errs->push_back(Forbidden(path.Child(field), kMoreThanOneType));
      return false;
    }
    ++types;
    return true;
  };
  if (volume.has_empty_dir()) {
    ++types;
    if (volume.empty_dir().has_size_limit()) {
      absl::StatusOr<api::Quantity> limit =
          api::Quantity::FromProto(volume.empty_dir().size_limit());
      if (limit.ok() && limit->Sign() < 0) {
        errs->push_back(Forbidden(path.Child("emptyDir").Child("sizeLimit"),
                                  "SizeLimit field must be a valid resource quantity"));
      }
    }
  }
  if (volume.has_host_path() && another("hostPath")) {
    ValidateHostPathSource(volume.host_path(), path.Child("hostPath"), errs);
  }
  if (volume.has_secret() && another("secret")) {
    ValidateSecretSource(volume.secret(), path.Child("secret"), errs);
  }
  // "downwarAPI": Kubernetes' spelling in this one message.
  if (volume.has_downward_api() && another("downwarAPI")) {
    ValidateDownwardAPISource(volume.downward_api(), path.Child("downwardAPI"), errs);
  }
  if (volume.has_config_map() && another("configMap")) {
    ValidateConfigMapSource(volume.config_map(), path.Child("configMap"), errs);
  }
  if (volume.has_projected() && another("projected")) {
    ValidateProjectedSource(volume.projected(), path.Child("projected"), errs);
  }
  if (types == 0) errs->push_back(Required(path, "must specify a volume type"));
}

}  // namespace

FieldErrors ValidateVolumes(const google::protobuf::RepeatedPtrField<Volume>& volumes,
                            const FieldPath& path) {
  FieldErrors errs;
  std::set<std::string> names;
  for (int i = 0; i < volumes.size(); ++i) {
    const Volume& volume = volumes[i];
    const FieldPath volume_path = path.Index(i);
    const FieldPath name_path = volume_path.Child("name");
    FieldErrors el;
    ValidateVolumeSource(volume, volume_path, &el);
    if (volume.name().empty()) {
      el.push_back(Required(name_path, ""));
    } else {
      for (const std::string& msg : IsDNS1123Label(volume.name())) {
        el.push_back(Invalid(name_path, volume.name(), msg));
      }
    }
    if (names.contains(volume.name())) el.push_back(Duplicate(name_path, volume.name()));
    // As Kubernetes: only a volume without errors claims its name.
    if (el.empty()) names.insert(volume.name());
    errs.insert(errs.end(), el.begin(), el.end());
  }
  return errs;
}

void ValidateEnvVarSource(const minik8s::core::v1::EnvVar& env, const FieldPath& path,
                          FieldErrors* errs) {
  const minik8s::core::v1::EnvVarSource& from = env.value_from();
  int sources = 0;
  if (from.has_field_ref()) {
    ++sources;
    ValidateObjectFieldSelector(from.field_ref(), EnvFieldPaths(), path.Child("fieldRef"), errs);
  }
  if (from.has_resource_field_ref()) {
    ++sources;
    ValidateResourceFieldSelector(from.resource_field_ref(), /*volume=*/false,
                                  path.Child("resourceFieldRef"), errs);
  }
  auto key_selector = [&](const std::string& name, const std::string& key, const FieldPath& sp) {
    ++sources;
    if (name.empty()) errs->push_back(Required(sp.Child("name"), ""));
    if (key.empty()) {
      errs->push_back(Required(sp.Child("key"), ""));
    } else {
      internal::ValidateConfigKey(key, sp.Child("key"), errs);
    }
  };
  if (from.has_config_map_key_ref()) {
    key_selector(from.config_map_key_ref().name(), from.config_map_key_ref().key(),
                 path.Child("configMapKeyRef"));
  }
  if (from.has_secret_key_ref()) {
    key_selector(from.secret_key_ref().name(), from.secret_key_ref().key(),
                 path.Child("secretKeyRef"));
  }
  if (sources == 0) {
    errs->push_back(Invalid(path, "",
                            "must specify one of: `fieldRef`, `resourceFieldRef`, "
                            "`configMapKeyRef` or `secretKeyRef`"));
  } else if (!env.value().empty()) {
    errs->push_back(Invalid(path, "", "may not be specified when `value` is not empty"));
  } else if (sources > 1) {
    errs->push_back(Invalid(path, "", "may not have more than one field specified at a time"));
  }
}

void SetVolumeDefaults(Volume* volume) {
  if (!volume->has_empty_dir() && !volume->has_host_path() && !volume->has_secret() &&
      !volume->has_config_map() && !volume->has_downward_api() && !volume->has_projected()) {
    volume->mutable_empty_dir();
  }
  if (volume->has_host_path() && !volume->host_path().has_type()) {
    volume->mutable_host_path()->set_type("");
  }
  if (volume->has_secret() && !volume->secret().has_default_mode()) {
    volume->mutable_secret()->set_default_mode(kDefaultFileMode);
  }
  if (volume->has_config_map() && !volume->config_map().has_default_mode()) {
    volume->mutable_config_map()->set_default_mode(kDefaultFileMode);
  }
  auto field_refs = [](google::protobuf::RepeatedPtrField<DownwardAPIVolumeFile>* items) {
    for (DownwardAPIVolumeFile& file : *items) {
      if (file.has_field_ref() && file.field_ref().api_version().empty()) {
        file.mutable_field_ref()->set_api_version("v1");
      }
    }
  };
  if (volume->has_downward_api()) {
    auto* source = volume->mutable_downward_api();
    if (!source->has_default_mode()) source->set_default_mode(kDefaultFileMode);
    field_refs(source->mutable_items());
  }
  if (volume->has_projected()) {
    auto* projected = volume->mutable_projected();
    if (!projected->has_default_mode()) projected->set_default_mode(kDefaultFileMode);
    for (auto& source : *projected->mutable_sources()) {
      if (source.has_service_account_token() &&
          !source.service_account_token().has_expiration_seconds()) {
        source.mutable_service_account_token()->set_expiration_seconds(kDefaultTokenSeconds);
      }
      if (source.has_downward_api()) field_refs(source.mutable_downward_api()->mutable_items());
    }
  }
}

}  // namespace minik8s::validation
