// Conversion between absl::Status (used inside every component) and
// grpc::Status (used only at service and client edges). The canonical codes of
// the two libraries have the same numbering, so the mapping is one to one and
// the message is carried unchanged.
#ifndef MINIK8S_COMMON_GRPC_STATUS_H_
#define MINIK8S_COMMON_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace minik8s {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace minik8s

#endif  // MINIK8S_COMMON_GRPC_STATUS_H_
