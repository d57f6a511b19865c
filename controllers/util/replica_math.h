// Replica arithmetic that cannot overflow. spec.replicas is an int32 that
// validation lets reach INT32_MAX (Kubernetes accepts 2147483647 too), so
// `replicas + maxSurge`, sums over several ReplicaSets and proportional
// shares do not fit an int32. The controllers compute them in int64 and
// clamp only where a value becomes a replica count or a status field again.
//
// Thread safety: pure functions.
#ifndef MINIK8S_CONTROLLERS_UTIL_REPLICA_MATH_H_
#define MINIK8S_CONTROLLERS_UTIL_REPLICA_MATH_H_

#include <algorithm>
#include <cstdint>
#include <limits>

namespace minik8s::controllers {

inline constexpr int64_t kMaxReplicas = std::numeric_limits<int32_t>::max();

// `v` as a replica count: clamped into [0, INT32_MAX].
inline int32_t ClampReplicas(int64_t v) {
  return static_cast<int32_t>(std::clamp<int64_t>(v, 0, kMaxReplicas));
}

// `v` clamped into int32's range (signed differences, such as a scale step).
inline int32_t ClampInt32(int64_t v) {
  return static_cast<int32_t>(
      std::clamp<int64_t>(v, std::numeric_limits<int32_t>::min(), kMaxReplicas));
}

}  // namespace minik8s::controllers

#endif  // MINIK8S_CONTROLLERS_UTIL_REPLICA_MATH_H_
