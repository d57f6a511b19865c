// Validation of core/v1 ConfigMaps.
#include "api/validation/validation_configmap.h"

#include <cstdint>
#include <map>
#include <string>

#include "api/validation/validation.h"
#include "api/validation/validation_internal.h"
#include "api/validation/validation_secret.h"

namespace minik8s::validation {

using internal::Append;
using internal::ValidateConfigKey;
using minik8s::core::v1::ConfigMap;

namespace {

constexpr char kImmutableWhenSetMsg[] = "field is immutable when `immutable` is set";

template <typename Map>
bool SameEntries(const Map& a, const Map& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [key, value] : a) {
    auto it = b.find(key);
    if (it == b.end() || it->second != value) return false;
  }
  return true;
}

}  // namespace

FieldErrors ValidateConfigMap(const ConfigMap& config_map) {
  FieldErrors errs = ValidateObjectMeta(config_map.metadata(), true, NameRule::kDNS1123Subdomain,
                                        FieldPath("metadata"));
  // Key order, so that the errors come out the same every time.
  const std::map<std::string, std::string> data(config_map.data().begin(), config_map.data().end());
  const std::map<std::string, std::string> binary(config_map.binary_data().begin(),
                                                  config_map.binary_data().end());
  int64_t total = 0;
  const FieldPath data_path("data");
  for (const auto& [key, value] : data) {
    ValidateConfigKey(key, data_path.Key(key), &errs);
    if (binary.contains(key)) {
      errs.push_back(Invalid(data_path.Key(key), key, "duplicate of key present in binaryData"));
    }
    total += static_cast<int64_t>(value.size());
  }
  const FieldPath binary_path("binaryData");
  for (const auto& [key, value] : binary) {
    ValidateConfigKey(key, binary_path.Key(key), &errs);
    total += static_cast<int64_t>(value.size());
  }
  // The whole object: Kubernetes reports it at the empty path.
  if (total > kMaxSecretSize) errs.push_back(TooLong(FieldPath(""), kMaxSecretSize));
  return errs;
}

FieldErrors ValidateConfigMapUpdate(const ConfigMap& config_map, const ConfigMap& old) {
  FieldErrors errs =
      ValidateObjectMetaUpdate(config_map.metadata(), old.metadata(), FieldPath("metadata"));
  if (old.has_immutable() && old.immutable()) {
    if (!config_map.has_immutable() || !config_map.immutable()) {
      errs.push_back(Forbidden(FieldPath("immutable"), kImmutableWhenSetMsg));
    }
    if (!SameEntries(config_map.data(), old.data())) {
      errs.push_back(Forbidden(FieldPath("data"), kImmutableWhenSetMsg));
    }
    if (!SameEntries(config_map.binary_data(), old.binary_data())) {
      errs.push_back(Forbidden(FieldPath("binaryData"), kImmutableWhenSetMsg));
    }
  }
  Append(&errs, ValidateConfigMap(config_map));
  return errs;
}

}  // namespace minik8s::validation
