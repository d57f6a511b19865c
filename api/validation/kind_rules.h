// A kind's defaulting and validation as one value (KindRules), and the table
// that dispatches on an object's message type (KindRulesTable). The built-in
// table holds the rules of every kind of kinds/kinds.def (each defined in
// kinds/<name>/<name>_validation.cc, calling the rules of its API group's
// file here) and of the Binding body; SetDefaults, ValidateObject,
// ValidateObjectUpdate and QualifiedKind (defaults.h, validation.h) go
// through it.
//
// Thread safety: a table is immutable once built; Builtin() is built once on
// first use. All functions are safe to call concurrently.
#ifndef MINIK8S_API_VALIDATION_KIND_RULES_H_
#define MINIK8S_API_VALIDATION_KIND_RULES_H_

#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "api/validation/field_error.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace minik8s::validation {

// The rules of one kind, type-erased. Any function may be null: no
// defaulting (Lease, Event), or no update (Binding is only created).
struct KindRules {
  const google::protobuf::Descriptor* descriptor = nullptr;
  // "Deployment.apps", "Pod", "Lease.coordination.k8s.io" for InvalidMessage.
  std::string_view qualified_kind;
  void (*set_defaults)(google::protobuf::Message* obj) = nullptr;
  FieldErrors (*validate)(const google::protobuf::Message& obj) = nullptr;
  FieldErrors (*validate_update)(const google::protobuf::Message& obj,
                                 const google::protobuf::Message& old) = nullptr;
};

namespace rules_internal {

template <typename T, void (*F)(T*)>
void Default(google::protobuf::Message* obj) {
  F(static_cast<T*>(obj));
}
template <typename T, FieldErrors (*F)(const T&)>
FieldErrors Validate(const google::protobuf::Message& obj) {
  return F(static_cast<const T&>(obj));
}
template <typename T, FieldErrors (*F)(const T&, const T&)>
FieldErrors ValidateUpdate(const google::protobuf::Message& obj,
                           const google::protobuf::Message& old) {
  return F(static_cast<const T&>(obj), static_cast<const T&>(old));
}

}  // namespace rules_internal

// The rules of message type T from its typed functions; pass nullptr for
// `D` when the kind has no defaulting, for `U` when it has no update.
template <typename T, void (*D)(T*), FieldErrors (*V)(const T&),
          FieldErrors (*U)(const T&, const T&)>
KindRules RulesOf(std::string_view qualified_kind) {
  KindRules rules;
  rules.descriptor = T::descriptor();
  rules.qualified_kind = qualified_kind;
  if constexpr (D != nullptr) rules.set_defaults = &rules_internal::Default<T, D>;
  rules.validate = &rules_internal::Validate<T, V>;
  if constexpr (U != nullptr) rules.validate_update = &rules_internal::ValidateUpdate<T, U>;
  return rules;
}

class KindRulesTable {
 public:
  // The table of exactly `kinds` (a test's kinds); a later entry for a
  // message type already present is ignored.
  explicit KindRulesTable(const std::vector<KindRules>& kinds);

  // kinds/kinds.def's kinds and Binding.
  static const KindRulesTable& Builtin();

  // nullptr for a message type without rules.
  const KindRules* Find(const google::protobuf::Descriptor* descriptor) const;

  // Each does nothing (or finds nothing) for a type without rules or
  // without that function; ValidateUpdate also when `obj` and `old` differ
  // in type.
  void SetDefaults(google::protobuf::Message* obj) const;
  FieldErrors Validate(const google::protobuf::Message& obj) const;
  FieldErrors ValidateUpdate(const google::protobuf::Message& obj,
                             const google::protobuf::Message& old) const;
  // "" for a type without rules.
  std::string_view QualifiedKind(const google::protobuf::Message& obj) const;

 private:
  absl::flat_hash_map<const google::protobuf::Descriptor*, KindRules> by_descriptor_;
};

}  // namespace minik8s::validation

#endif  // MINIK8S_API_VALIDATION_KIND_RULES_H_
