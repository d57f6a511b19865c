#include "api/validation/kind_rules.h"

#include "api/validation/validation.h"
#include "k8s/core/v1/core.pb.h"
#include "kinds/validation_entry.h"

namespace minik8s::validation {

KindRulesTable::KindRulesTable(const std::vector<KindRules>& kinds) {
  for (const KindRules& rules : kinds) {
    if (rules.descriptor != nullptr) by_descriptor_.emplace(rules.descriptor, rules);
  }
}

const KindRulesTable& KindRulesTable::Builtin() {
  static const KindRulesTable* const table = new KindRulesTable({
  // Every kind of kinds/kinds.def; each kind's rules are defined in
  // kinds/<name>/<name>_validation.cc.
#define MINIK8S_KIND(Name) Name##Rules(),
#include "kinds/kinds.def"
#undef MINIK8S_KIND
      // Binding is not a resource (the body of a POST to pods/binding) but
      // is validated like one; it is only created.
      RulesOf<minik8s::core::v1::Binding, nullptr, ValidateBinding, nullptr>("Binding"),
  });
  return *table;
}

const KindRules* KindRulesTable::Find(const google::protobuf::Descriptor* descriptor) const {
  auto it = by_descriptor_.find(descriptor);
  return it == by_descriptor_.end() ? nullptr : &it->second;
}

void KindRulesTable::SetDefaults(google::protobuf::Message* obj) const {
  const KindRules* rules = Find(obj->GetDescriptor());
  if (rules != nullptr && rules->set_defaults != nullptr) rules->set_defaults(obj);
}

FieldErrors KindRulesTable::Validate(const google::protobuf::Message& obj) const {
  const KindRules* rules = Find(obj.GetDescriptor());
  return rules == nullptr || rules->validate == nullptr ? FieldErrors{} : rules->validate(obj);
}

FieldErrors KindRulesTable::ValidateUpdate(const google::protobuf::Message& obj,
                                           const google::protobuf::Message& old) const {
  if (obj.GetDescriptor() != old.GetDescriptor()) return {};
  const KindRules* rules = Find(obj.GetDescriptor());
  return rules == nullptr || rules->validate_update == nullptr ? FieldErrors{}
                                                               : rules->validate_update(obj, old);
}

std::string_view KindRulesTable::QualifiedKind(const google::protobuf::Message& obj) const {
  const KindRules* rules = Find(obj.GetDescriptor());
  return rules == nullptr ? "" : rules->qualified_kind;
}

}  // namespace minik8s::validation
