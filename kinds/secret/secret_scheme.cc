// Secret: the scheme entry.
#include "k8s/core/v1/core.pb.h"
#include "kinds/scheme_entry.h"

namespace minik8s::api {

KindInfo SecretScheme() {
  return ResourceKind<core::v1::Secret, core::v1::SecretList>("", "Secret", "secrets", "secret", {},
                                                              true);
}

}  // namespace minik8s::api
