// Validation of core/v1 ConfigMaps, with Kubernetes' rules and messages
// (pkg/apis/core/validation ValidateConfigMap and ValidateConfigMapUpdate).
// ConfigMaps have no defaulting.
//
// Thread safety: pure functions.
#ifndef MINIK8S_API_VALIDATION_VALIDATION_CONFIGMAP_H_
#define MINIK8S_API_VALIDATION_VALIDATION_CONFIGMAP_H_

#include "api/validation/field_error.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::validation {

// Keys of data and binaryData are config keys and appear in only one of
// the two; all values together hold at most kMaxSecretSize (1 MiB) bytes.
FieldErrors ValidateConfigMap(const minik8s::core::v1::ConfigMap& config_map);
// Once immutable is true, immutable, data and binaryData are frozen.
FieldErrors ValidateConfigMapUpdate(const minik8s::core::v1::ConfigMap& config_map,
                                    const minik8s::core::v1::ConfigMap& old);

}  // namespace minik8s::validation

#endif  // MINIK8S_API_VALIDATION_VALIDATION_CONFIGMAP_H_
