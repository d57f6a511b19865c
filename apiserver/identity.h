// Server-assigned identity: UIDs and generated names.
//
// Thread safety: safe to call concurrently (a thread-local generator).
#ifndef MINIK8S_APISERVER_IDENTITY_H_
#define MINIK8S_APISERVER_IDENTITY_H_

#include <string>

#include "absl/strings/string_view.h"

namespace minik8s::apiserver {

// A random (version 4) UUID, `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`.
std::string NewUuidV4();

// Kubernetes' generateName: `base` (cut to 58 characters) plus 5 random
// characters from the alphabet `bcdfghjklmnpqrstvwxz2456789`.
std::string GenerateName(absl::string_view base);

}  // namespace minik8s::apiserver

#endif  // MINIK8S_APISERVER_IDENTITY_H_
