// Defaulting and validation of objects on their way into storage, through
// the shared api/validation library (the same rules every client can run):
// SetDefaults, ValidateObject and ValidateObjectUpdate. Validation errors
// become one Invalid error: `Deployment.apps "x" is invalid: <field errors>`
// with a StatusCause per field error.
//
// When the binary is built without api/validation (MINIK8S_APISERVER_HAVE_
// VALIDATION undefined), objects are stored without defaulting or
// validation; HaveValidation() tells which.
//
// Thread safety: pure functions.
#ifndef MINIK8S_APISERVER_REGISTRY_ADMISSION_H_
#define MINIK8S_APISERVER_REGISTRY_ADMISSION_H_

#include "absl/status/status.h"
#include "api/scheme.h"
#include "google/protobuf/message.h"

namespace minik8s::apiserver {

bool HaveValidation();
void ApplyDefaults(google::protobuf::Message* object);
// `old` is nullptr on create.
absl::Status ValidateForStorage(const api::KindInfo& kind, const google::protobuf::Message& object,
                                const google::protobuf::Message* old);

}  // namespace minik8s::apiserver

#endif  // MINIK8S_APISERVER_REGISTRY_ADMISSION_H_
