// Small helpers for absl::Status plumbing. Debian's Abseil (20220623) has no
// public RETURN_IF_ERROR / ASSIGN_OR_RETURN, so the project defines its own.
#ifndef MINIK8S_COMMON_STATUS_MACROS_H_
#define MINIK8S_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define MINIK8S_CONCAT_INNER_(a, b) a##b
#define MINIK8S_CONCAT_(a, b) MINIK8S_CONCAT_INNER_(a, b)

// Returns from the current function if `expr` yields a non-OK absl::Status.
#define RETURN_IF_ERROR(expr)                          \
  do {                                                 \
    ::absl::Status minik8s_status_ = (expr);           \
    if (!minik8s_status_.ok()) return minik8s_status_; \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, MakeX());` assigns the value of an absl::StatusOr
// or returns its error status.
#define ASSIGN_OR_RETURN(lhs, expr) \
  MINIK8S_ASSIGN_OR_RETURN_IMPL_(MINIK8S_CONCAT_(minik8s_statusor_, __LINE__), lhs, expr)

#define MINIK8S_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                   \
  if (!statusor.ok()) return std::move(statusor).status();  \
  lhs = std::move(statusor).value()

#endif  // MINIK8S_COMMON_STATUS_MACROS_H_
