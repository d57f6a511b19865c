// Namespaces: cluster-scoped; phase Active and the `kubernetes` finalizer on
// create; status subresource. A delete marks the namespace Terminating
// (MarkForDeletion); the namespace finalizer (namespace_finalizer.h) empties
// and then removes it.
#include "api/time.h"
#include "apiserver/object_meta.h"
#include "k8s/core/v1/core.pb.h"
#include "kinds/strategy_entry.h"

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

  bool MarkForDeletion(google::protobuf::Message* object) const override {
    auto* ns = static_cast<Namespace*>(object);
    meta::v1::ObjectMeta* meta = ns->mutable_metadata();
    if (!meta->has_deletion_timestamp()) *meta->mutable_deletion_timestamp() = api::NowTime();
    ns->mutable_status()->set_phase("Terminating");
    return true;
  }
};

}  // namespace

std::unique_ptr<Strategy> NewNamespaceStrategy(const api::KindInfo* kind) {
  return std::make_unique<NamespaceStrategy>(kind);
}

}  // namespace minik8s::apiserver
