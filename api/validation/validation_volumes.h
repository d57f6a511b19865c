// Validation of a pod's volumes with Kubernetes' rules, messages and field
// paths (pkg/apis/core/validation ValidateVolumes and validateVolumeSource):
// a name that is a unique DNS-1123 label, exactly one source, and for each
// source its own checks — emptyDir, hostPath (a path without '..', a known
// type), secret and configMap (a name; items with a key and a relative path
// without '..'), downwardAPI (items of the fields a volume may show:
// metadata.name, metadata.namespace, metadata.uid, metadata.labels,
// metadata.annotations and one label or annotation by key, or a container's
// resource), projected (each source one of secret, configMap, downwardAPI
// and serviceAccountToken; a token lives 10 minutes to 2^32 seconds; no two
// sources write the same path), and file modes 0 to 0777.
//
// Kept from Kubernetes as it is, quirks included: a projected downwardAPI
// item's errors are reported at `...sources[i].downwardAPI.path` (not the
// item's index), a serviceAccountToken's path errors at `...projected.path`,
// duplicate paths at `...projected` with the secret's or config map's name
// as the value. Unlike Kubernetes, a serviceAccountToken's path counts
// among the paths that may not repeat (Kubernetes lets a token overwrite
// another source's file); an empty projection source is accepted, as
// Kubernetes accepts it. Not checked: a downwardAPI resourceFieldRef's
// divisor.
//
// Thread safety: pure functions.
#ifndef MINIK8S_API_VALIDATION_VALIDATION_VOLUMES_H_
#define MINIK8S_API_VALIDATION_VALIDATION_VOLUMES_H_

#include "api/validation/field_error.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::validation {

// Kubernetes' fileModeErrorMsg.
inline constexpr char kFileModeErrorMsg[] =
    "must be a number between 0 and 0777 (octal), both inclusive";

// `volumes` at `path` (`spec.volumes`).
FieldErrors ValidateVolumes(
    const google::protobuf::RepeatedPtrField<minik8s::core::v1::Volume>& volumes,
    const FieldPath& path);

// An env var's valueFrom (Kubernetes' validateEnvVarValueFrom) at `path`
// (`...env[i].valueFrom`): one source, not with a value; a fieldRef among
// the fields env may take; a key selector's name and key.
void ValidateEnvVarSource(const minik8s::core::v1::EnvVar& env, const FieldPath& path,
                          FieldErrors* errs);

// Kubernetes' volume defaulting (pkg/apis/core/v1 SetDefaults_Volume and
// the sources' SetDefaults_*): a volume with no source is an emptyDir;
// secret, configMap, downwardAPI and projected volumes get defaultMode 0644;
// a serviceAccountToken projection lives 3600 s; a fieldRef's apiVersion is
// v1; a hostPath's type is "".
void SetVolumeDefaults(minik8s::core::v1::Volume* volume);

}  // namespace minik8s::validation

#endif  // MINIK8S_API_VALIDATION_VALIDATION_VOLUMES_H_
