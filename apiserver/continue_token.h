// List continue tokens: opaque to clients, base64url of
// `{"v":"meta.k8s.io/v1","rv":<revision>,"start":"<last key>"}` where the
// key is relative to the resource prefix (`ns/name` or `name`) and the next
// page starts after it. Every page of one list is read at `rv`.
//
// Thread safety: pure functions.
#ifndef MINIK8S_APISERVER_CONTINUE_TOKEN_H_
#define MINIK8S_APISERVER_CONTINUE_TOKEN_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace minik8s::apiserver {

struct ContinueToken {
  int64_t revision = 0;
  std::string last_key;
};

std::string EncodeContinueToken(const ContinueToken& token);
// BadRequest `continue key is not valid: ...` for anything malformed.
absl::StatusOr<ContinueToken> DecodeContinueToken(absl::string_view text);

}  // namespace minik8s::apiserver

#endif  // MINIK8S_APISERVER_CONTINUE_TOKEN_H_
