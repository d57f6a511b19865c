// Namespaces: cluster-scoped; phase Active and the `kubernetes` finalizer on
// create; status subresource. Deletion is handled by the handler (phase
// Terminating) and the namespace finalizer (namespace_finalizer.h).
#include "apiserver/object_meta.h"
#include "apiserver/registry/kinds.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::apiserver {
namespace {

using core::v1::Namespace;

class NamespaceStrategy : public Strategy {
 public:
  explicit NamespaceStrategy(const api::KindInfo* kind)
      : Strategy(kind, Traits{.status_subresource = true, .clear_status_on_create = true}) {}

  void PrepareForCreate(google::protobuf::Message* object) const override {
    Strategy::PrepareForCreate(object);
    auto* ns = static_cast<Namespace*>(object);
    ns->mutable_status()->set_phase("Active");
    bool has = false;
    for (const std::string& f : ns->spec().finalizers()) has |= (f == "kubernetes");
    if (!has) ns->mutable_spec()->add_finalizers("kubernetes");
  }

  void PrepareForUpdate(google::protobuf::Message* object,
                        const google::protobuf::Message& old) const override {
    Strategy::PrepareForUpdate(object, old);
    // spec.finalizers change only through the namespace finalizer.
    CopyField(old, object, "spec");
  }
};

}  // namespace

std::unique_ptr<Strategy> NewNamespaceStrategy(const api::KindInfo* kind) {
  return std::make_unique<NamespaceStrategy>(kind);
}

}  // namespace minik8s::apiserver
