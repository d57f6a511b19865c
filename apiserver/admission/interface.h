// Admission plugins that look at who asks (k8s.io/apiserver/pkg/admission):
// the plugins of kube-apiserver's --enable-admission-plugins that minik8s
// has, asked by the handler (handler.h) on every create, update, patch and
// delete that a client makes, after authorization and before the object is
// validated and stored.
//
// A plugin sees the Attributes of one write: the caller, the operation
// (a patch is an Update, as in Kubernetes), the kind, namespace, name and
// subresource, the object to store (create and update) and the stored one
// (update and delete). It answers OK or an API error (most often
// api::NewForbidden: `nodes "n2" is forbidden: node "n1" is not allowed to
// modify node "n2"`), which the handler returns as it is. Plugins here only
// admit or refuse; minik8s' mutating steps (defaults, ServiceAccount,
// DefaultTolerationSeconds, Priority) are in registry/admission.h and run
// after them.
//
// Writes the apiserver makes itself (bootstrap objects, the namespace
// finalizer, the kubernetes Service) carry no caller and are not asked, as
// Kubernetes' loopback client (system:masters) is never restricted.
//
// Thread safety: plugins are immutable after construction and safe to call
// concurrently; an update may ask the same write again when the store's
// compare-and-swap is retried.
#ifndef MINIK8S_APISERVER_ADMISSION_INTERFACE_H_
#define MINIK8S_APISERVER_ADMISSION_INTERFACE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "api/scheme.h"
#include "apiserver/authn/authenticator.h"
#include "google/protobuf/message.h"

namespace minik8s::apiserver::admission {

enum class Operation { kCreate, kUpdate, kDelete };

// "CREATE", "UPDATE", "DELETE" (admission.Operation's values).
const char* OperationName(Operation operation);

// One write, all borrowed for the call.
struct Attributes {
  const authn::UserInfo* user = nullptr;
  Operation operation = Operation::kCreate;
  const api::KindInfo* kind = nullptr;
  std::string namespace_;
  // On create, the name of the object as sent ("" with generateName).
  std::string name;
  std::string subresource;  // "", "status", "scale"
  // The object to store (create, update), the stored one (update, delete);
  // null where the operation has none. For "scale" both are the whole
  // object of the kind, not the Scale.
  const google::protobuf::Message* object = nullptr;
  const google::protobuf::Message* old_object = nullptr;
};

class Plugin {
 public:
  virtual ~Plugin() = default;
  virtual absl::Status Admit(const Attributes& attributes) const = 0;
};

// Asks each plugin in order; the first refusal is the answer.
class Chain : public Plugin {
 public:
  explicit Chain(std::vector<std::unique_ptr<Plugin>> plugins) : plugins_(std::move(plugins)) {}
  absl::Status Admit(const Attributes& attributes) const override;
  bool empty() const { return plugins_.empty(); }

 private:
  std::vector<std::unique_ptr<Plugin>> plugins_;
};

}  // namespace minik8s::apiserver::admission

#endif  // MINIK8S_APISERVER_ADMISSION_INTERFACE_H_
