#include "api/patch/strategic_merge_patch.h"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "api/patch/json_value.h"
#include "common/status_macros.h"
#include "k8s/meta/v1/field_options.pb.h"

namespace minik8s::patch {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

constexpr absl::string_view kDirectiveMarker = "$patch";
constexpr absl::string_view kRetainKeysDirective = "$retainKeys";
constexpr absl::string_view kSetElementOrderPrefix = "$setElementOrder";
constexpr absl::string_view kDeleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList";

absl::Status Invalid(absl::string_view message) {
  return absl::InvalidArgumentError(std::string(message));
}

// ------------------------------------------------------------------ metadata

// Message types the codec writes as JSON scalars.
bool IsScalarMessage(const Descriptor* d) {
  const std::string& name = d->full_name();
  return name == "minik8s.meta.v1.Quantity" || name == "minik8s.meta.v1.IntOrString" ||
         name == "minik8s.meta.v1.Time" || name == "minik8s.meta.v1.MicroTime";
}

// What the type says about one member of an object.
struct FieldMeta {
  std::string merge_key;
  // "merge", "replace" or "" (the default: objects merge, lists replace);
  // "retainKeys" is taken out, as it only matters to the patch author.
  std::string strategy;
  // The type of the member's object value, or of its list's elements;
  // nullptr for scalars and when unknown.
  const Descriptor* schema = nullptr;
};

// "merge,retainKeys" → "merge", as apimachinery's extractRetainKeysPatchStrategy.
absl::StatusOr<std::string> MainStrategy(const std::string& tag) {
  if (tag.empty()) return std::string();
  std::vector<std::string> parts = absl::StrSplit(tag, ',');
  if (parts.size() == 1) return parts[0] == "retainKeys" ? std::string() : parts[0];
  if (parts.size() == 2) {
    if (parts[0] == "retainKeys") return parts[1];
    if (parts[1] == "retainKeys") return parts[0];
  }
  return Invalid(absl::StrCat("unexpected patch strategy: ", tag));
}

const FieldDescriptor* FindField(const Descriptor* d, absl::string_view json_key) {
  // A protobuf map's JSON object: every key holds the map's value type.
  if (d->options().map_entry()) return d->map_value();
  for (int i = 0; i < d->field_count(); ++i) {
    if (d->field(i)->json_name() == json_key) return d->field(i);
  }
  return nullptr;
}

// The metadata of member `key` of an object of type `schema` (none without
// a schema). An unknown member is an error only when `required`: where both
// sides hold a value and the patch must know how to merge them.
absl::StatusOr<FieldMeta> Lookup(const Descriptor* schema, absl::string_view key, bool required) {
  FieldMeta meta;
  if (schema == nullptr) return meta;
  const FieldDescriptor* field = FindField(schema, key);
  if (field == nullptr) {
    if (!required) return meta;
    return Invalid(absl::StrCat("unable to find api field in struct ", schema->name(),
                                " for the json field \"", key, "\""));
  }
  const google::protobuf::FieldOptions& options = field->options();
  meta.merge_key = options.GetExtension(minik8s::meta::v1::patch_merge_key);
  ASSIGN_OR_RETURN(meta.strategy,
                   MainStrategy(options.GetExtension(minik8s::meta::v1::patch_strategy)));
  if (field->type() == FieldDescriptor::TYPE_MESSAGE && !IsScalarMessage(field->message_type())) {
    meta.schema = field->message_type();
  }
  return meta;
}

// ------------------------------------------------------------------ helpers

enum class Kind { kNull, kString, kNumber, kBool, kObject, kArray };

Kind KindOf(const JsonValue& v) {
  if (v.is_null()) return Kind::kNull;
  if (v.is_object()) return Kind::kObject;
  if (v.is_array()) return Kind::kArray;
  switch (v.scalar_type()) {
    case JsonValue::ScalarType::kString:
      return Kind::kString;
    case JsonValue::ScalarType::kNumber:
      return Kind::kNumber;
    case JsonValue::ScalarType::kBool:
      return Kind::kBool;
    case JsonValue::ScalarType::kNull:
      return Kind::kNull;
  }
  return Kind::kNull;
}

// Object, array or anything else: values of different classes replace each
// other instead of merging.
int ClassOf(const JsonValue& v) { return v.is_object() ? 0 : v.is_array() ? 1 : 2; }

bool IsDirective(const JsonValue& value, absl::string_view name) {
  return value.is_string() && value.text == name;
}

absl::Status NoMergeKey(const JsonValue& element, absl::string_view merge_key) {
  return Invalid(absl::StrCat("map: ", ToJsonText(element),
                              " does not contain declared merge key: ", merge_key));
}

absl::Status BadPatchType(const JsonValue& directive, const JsonValue& object) {
  std::string shown = directive.is_string() ? directive.text : ToJsonText(directive);
  return Invalid(absl::StrCat("unknown patch type: ", shown, " in map: ", ToJsonText(object)));
}

// "$setElementOrder/containers" → "containers".
absl::StatusOr<std::string> ExtractKey(absl::string_view key, absl::string_view prefix) {
  std::vector<absl::string_view> parts = absl::StrSplit(key, absl::MaxSplits('/', 1));
  if (parts.size() <= 1 || parts[0] != prefix) {
    if (prefix == kDeleteFromPrimitiveListPrefix) {
      return Invalid(absl::StrCat("invalid patch format of primitive list: \"", key, "\""));
    }
    return Invalid(absl::StrCat("invalid patch format of setElementOrder list: \"", key, "\""));
  }
  return std::string(parts[1]);
}

// What identifies a list element: its merge key value (nullptr when it has
// none), or for lists without a merge key the element itself.
const JsonValue* Identity(const JsonValue& element, const std::string& merge_key) {
  if (merge_key.empty()) return &element;
  if (!element.is_object()) return nullptr;
  return element.Find(merge_key);
}

// Position of the element identified by `id` in `ids`, or -1.
int IndexOf(const std::vector<const JsonValue*>& ids, const JsonValue* id) {
  if (id == nullptr) return -1;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] != nullptr && JsonEqual(*ids[i], *id)) return static_cast<int>(i);
  }
  return -1;
}

std::vector<const JsonValue*> Identities(const JsonValue& list, const std::string& merge_key) {
  std::vector<const JsonValue*> ids;
  ids.reserve(list.elements.size());
  for (const JsonValue& e : list.elements) ids.push_back(Identity(e, merge_key));
  return ids;
}

// Orders `merged` as apimachinery's normalizeElementOrder does: the
// elements named in `patch_order` in that order, the others in their order
// in `server_order`, and each of those placed before the first patch
// element that comes after it in `server_order`.
JsonValue OrderElements(JsonValue merged, const JsonValue& patch_order,
                        const JsonValue& server_order, const std::string& merge_key) {
  const std::vector<const JsonValue*> patch_ids = Identities(patch_order, merge_key);
  const std::vector<const JsonValue*> server_ids = Identities(server_order, merge_key);

  struct Item {
    JsonValue value;
    int patch_index;
    int server_index;
  };
  std::vector<Item> from_patch;
  std::vector<Item> server_only;
  for (JsonValue& e : merged.elements) {
    const JsonValue* id = Identity(e, merge_key);
    Item item{std::move(e), IndexOf(patch_ids, id), IndexOf(server_ids, id)};
    (item.patch_index >= 0 ? from_patch : server_only).push_back(std::move(item));
  }
  // Unknown positions sort last, keeping their relative order.
  auto by = [](int Item::*index) {
    return [index](const Item& a, const Item& b) {
      int ia = a.*index < 0 ? std::numeric_limits<int>::max() : a.*index;
      int ib = b.*index < 0 ? std::numeric_limits<int>::max() : b.*index;
      return ia < ib;
    };
  };
  std::stable_sort(from_patch.begin(), from_patch.end(), by(&Item::patch_index));
  std::stable_sort(server_only.begin(), server_only.end(), by(&Item::server_index));

  JsonValue out = JsonValue::Array();
  out.elements.reserve(from_patch.size() + server_only.size());
  size_t i = 0;  // server_only
  size_t j = 0;  // from_patch
  while (i < server_only.size() || j < from_patch.size()) {
    bool take_server;
    if (j >= from_patch.size()) {
      take_server = true;
    } else if (i >= server_only.size()) {
      take_server = false;
    } else {
      int l = server_only[i].server_index;
      int r = from_patch[j].server_index;
      take_server = l >= 0 && r >= 0 && l < r;
    }
    if (take_server) {
      out.elements.push_back(std::move(server_only[i++].value));
    } else {
      out.elements.push_back(std::move(from_patch[j++].value));
    }
  }
  return out;
}

// The JSON type shared by the elements of both lists; mixed types and lists
// of lists are errors, as in apimachinery's sliceElementType.
absl::StatusOr<Kind> ElementKind(const JsonValue& original, const JsonValue& patch,
                                 absl::string_view field) {
  bool have = false;
  Kind kind = Kind::kNull;
  for (const JsonValue* list : {&original, &patch}) {
    for (const JsonValue& e : list->elements) {
      Kind k = KindOf(e);
      if (k == Kind::kArray) return Invalid("lists of lists are not supported");
      if (!have) {
        kind = k;
        have = true;
      } else if (k != kind) {
        return Invalid(absl::StrCat("list element types are not identical in \"", field,
                                    "\": ", ToJsonText(original), " and ", ToJsonText(patch)));
      }
    }
  }
  return kind;
}

// ------------------------------------------------------------------ merging

absl::StatusOr<JsonValue> MergeMap(JsonValue original, const JsonValue& patch,
                                   const Descriptor* schema);
absl::StatusOr<JsonValue> MergeList(JsonValue original, const JsonValue& patch,
                                    const FieldMeta& meta, absl::string_view field);

// A patch value the original lacks: its directives applied to nothing, its
// nulls dropped.
absl::StatusOr<JsonValue> Fresh(const JsonValue& value, const FieldMeta& meta,
                                absl::string_view field) {
  if (value.is_object()) return MergeMap(JsonValue::Object(), value, meta.schema);
  if (value.is_array()) return MergeList(JsonValue::Array(), value, meta, field);
  return value;
}

// apimachinery's mergeSlice for a list with patch strategy "merge".
absl::StatusOr<JsonValue> MergeSlice(JsonValue original, const JsonValue& patch,
                                     const FieldMeta& meta, absl::string_view field) {
  if (original.elements.empty() && patch.elements.empty()) return original;
  ASSIGN_OR_RETURN(Kind kind, ElementKind(original, patch, field));
  const std::string& key = meta.merge_key;

  if (kind != Kind::kObject) {
    // Primitives: the union, without duplicates, in Kubernetes' order.
    JsonValue merged = JsonValue::Array();
    for (const JsonValue* list : {static_cast<const JsonValue*>(&original), &patch}) {
      for (const JsonValue& e : list->elements) {
        bool seen = std::any_of(merged.elements.begin(), merged.elements.end(),
                                [&](const JsonValue& m) { return JsonEqual(m, e); });
        if (!seen) merged.elements.push_back(e);
      }
    }
    return OrderElements(std::move(merged), patch, original, /*merge_key=*/"");
  }

  if (key.empty()) {
    return Invalid(absl::StrCat("cannot merge lists without merge key for \"", field, "\""));
  }
  // Special elements: {$patch: delete} and {$patch: replace}.
  JsonValue plain = JsonValue::Array();
  bool replace = false;
  for (const JsonValue& e : patch.elements) {
    const JsonValue* directive = e.Find(kDirectiveMarker);
    if (directive == nullptr) {
      plain.elements.push_back(e);
    } else if (IsDirective(*directive, "delete")) {
      const JsonValue* value = e.Find(key);
      if (value == nullptr) return NoMergeKey(e, key);
      auto& elements = original.elements;
      elements.erase(std::remove_if(elements.begin(), elements.end(),
                                    [&](const JsonValue& o) {
                                      const JsonValue* id = Identity(o, key);
                                      return id != nullptr && JsonEqual(*id, *value);
                                    }),
                     elements.end());
    } else if (IsDirective(*directive, "replace")) {
      replace = true;  // the other special elements still apply (and are dropped)
    } else if (IsDirective(*directive, "merge")) {
      return Invalid("merging lists cannot yet be specified in the patch");
    } else {
      return BadPatchType(*directive, e);
    }
  }
  if (replace) {
    JsonValue replaced = JsonValue::Array();
    for (const JsonValue& e : plain.elements) {
      ASSIGN_OR_RETURN(JsonValue fresh, MergeMap(JsonValue::Object(), e, meta.schema));
      replaced.elements.push_back(std::move(fresh));
    }
    return replaced;
  }

  // The server's order: the merge keys of the elements before merging.
  JsonValue server_order = JsonValue::Array();
  for (const JsonValue& o : original.elements) {
    const JsonValue* id = Identity(o, key);
    JsonValue entry = JsonValue::Object();
    if (id != nullptr) entry.Set(key, *id);
    server_order.elements.push_back(std::move(entry));
  }
  for (const JsonValue& e : plain.elements) {
    const JsonValue* value = e.Find(key);
    if (value == nullptr) return NoMergeKey(e, key);
    auto match =
        std::find_if(original.elements.begin(), original.elements.end(), [&](const JsonValue& o) {
          const JsonValue* id = Identity(o, key);
          return id != nullptr && JsonEqual(*id, *value);
        });
    if (match != original.elements.end()) {
      ASSIGN_OR_RETURN(*match, MergeMap(std::move(*match), e, meta.schema));
    } else {
      ASSIGN_OR_RETURN(JsonValue fresh, MergeMap(JsonValue::Object(), e, meta.schema));
      original.elements.push_back(std::move(fresh));
    }
  }
  return OrderElements(std::move(original), plain, server_order, key);
}

absl::StatusOr<JsonValue> MergeList(JsonValue original, const JsonValue& patch,
                                    const FieldMeta& meta, absl::string_view field) {
  if (meta.strategy != "merge") return patch;  // replaced whole
  return MergeSlice(std::move(original), patch, meta, field);
}

// $retainKeys: drops the original's keys that the list does not name.
absl::Status ApplyRetainKeys(const JsonValue& retain, const JsonValue& patch, JsonValue* original) {
  if (!retain.is_array()) {
    return Invalid("invalid patch format of retainKeys: $retainKeys must be a list");
  }
  absl::flat_hash_set<std::string> keep;
  for (const JsonValue& e : retain.elements) {
    if (e.is_string()) keep.insert(e.text);
  }
  for (const auto& [key, value] : patch.members) {
    if (key == kRetainKeysDirective || key == kDirectiveMarker || value.is_null() ||
        absl::StartsWith(key, kDeleteFromPrimitiveListPrefix) ||
        absl::StartsWith(key, kSetElementOrderPrefix)) {
      continue;
    }
    if (!keep.contains(key)) {
      return Invalid(absl::StrCat("invalid patch format of retainKeys: the patch sets \"", key,
                                  "\", which $retainKeys does not list"));
    }
  }
  auto& members = original->members;
  members.erase(std::remove_if(members.begin(), members.end(),
                               [&](const auto& m) { return !keep.contains(m.first); }),
                members.end());
  return absl::OkStatus();
}

// Checks that the patch list's elements appear in $setElementOrder in the
// same relative order (apimachinery's validatePatchWithSetOrderList).
absl::Status ValidateElementOrder(const JsonValue& patch_list, const JsonValue& order,
                                  const std::string& merge_key, absl::string_view field) {
  if (order.elements.empty() || patch_list.elements.empty()) return absl::OkStatus();
  std::vector<const JsonValue*> items;
  for (const JsonValue& e : patch_list.elements) {
    if (!merge_key.empty()) {
      if (!e.is_object()) {
        return Invalid(absl::StrCat("the elements of \"", field, "\" must be objects"));
      }
      const JsonValue* directive = e.Find(kDirectiveMarker);
      if (directive != nullptr && IsDirective(*directive, "delete")) continue;
    }
    items.push_back(&e);
  }
  size_t p = 0;
  size_t s = 0;
  while (p < items.size() && s < order.elements.size()) {
    if (items[p]->is_object() && items[p]->Find(kDirectiveMarker) != nullptr) {
      ++p;
      continue;
    }
    bool equal;
    if (merge_key.empty()) {
      equal = JsonEqual(*items[p], order.elements[s]);
    } else {
      const JsonValue& o = order.elements[s];
      if (!o.is_object() || o.Find(merge_key) == nullptr) return NoMergeKey(o, merge_key);
      const JsonValue* pv = items[p]->Find(merge_key);
      if (pv == nullptr) return NoMergeKey(*items[p], merge_key);
      equal = JsonEqual(*pv, *o.Find(merge_key));
    }
    if (equal) ++p;
    ++s;
  }
  if (p < items.size() && s >= order.elements.size()) {
    return Invalid(absl::StrCat("the order in patch list ", ToJsonText(patch_list),
                                " doesn't match $setElementOrder list ", ToJsonText(order)));
  }
  return absl::OkStatus();
}

// $setElementOrder/<key>: merges the list at `key` and orders the result.
absl::Status ApplySetElementOrder(absl::string_view directive_key, const JsonValue& order,
                                  const JsonValue& patch, const Descriptor* schema,
                                  JsonValue* original, absl::flat_hash_set<std::string>* consumed) {
  ASSIGN_OR_RETURN(std::string key, ExtractKey(directive_key, kSetElementOrderPrefix));
  if (!order.is_array()) {
    return Invalid(absl::StrCat("invalid patch format of setElementOrder list: \"", directive_key,
                                "\" must be a list"));
  }
  JsonValue* current = original->Find(key);
  const JsonValue* patch_list = patch.Find(key);
  if (current != nullptr && !current->is_array()) {
    return Invalid(absl::StrCat("$setElementOrder/", key, ": \"", key, "\" is not a list"));
  }
  if (patch_list != nullptr && !patch_list->is_array()) {
    return Invalid(
        absl::StrCat("$setElementOrder/", key, ": the patch's \"", key, "\" is not a list"));
  }
  ASSIGN_OR_RETURN(FieldMeta meta, Lookup(schema, key, /*required=*/true));
  if (patch_list != nullptr) {
    RETURN_IF_ERROR(ValidateElementOrder(*patch_list, order, meta.merge_key, key));
  }
  if (!meta.merge_key.empty()) {
    for (const JsonValue& o : order.elements) {
      if (!o.is_object()) {
        return Invalid(absl::StrCat("invalid patch format of setElementOrder list: ", ToJsonText(o),
                                    " in \"", directive_key, "\" is not an object"));
      }
    }
  }
  if (current == nullptr && patch_list == nullptr) return absl::OkStatus();

  JsonValue server = current != nullptr ? *current : JsonValue::Array();
  JsonValue merged;
  if (patch_list == nullptr) {
    merged = server;
  } else {
    ASSIGN_OR_RETURN(merged, MergeList(server, *patch_list, meta, key));
  }
  original->Set(key, OrderElements(std::move(merged), order, server, meta.merge_key));
  consumed->insert(key);
  return absl::OkStatus();
}

// apimachinery's mergeMap, minus the `$patch` directive handled by MergeMap.
absl::StatusOr<JsonValue> MergeMembers(JsonValue original, const JsonValue& patch,
                                       const Descriptor* schema) {
  if (const JsonValue* retain = patch.Find(kRetainKeysDirective)) {
    RETURN_IF_ERROR(ApplyRetainKeys(*retain, patch, &original));
  }
  // Lists named by $setElementOrder are merged and ordered first.
  absl::flat_hash_set<std::string> consumed;
  for (const auto& [key, value] : patch.members) {
    if (!absl::StartsWith(key, kSetElementOrderPrefix)) continue;
    RETURN_IF_ERROR(ApplySetElementOrder(key, value, patch, schema, &original, &consumed));
  }

  for (const auto& [patch_key, value] : patch.members) {
    if (patch_key == kDirectiveMarker || patch_key == kRetainKeysDirective ||
        absl::StartsWith(patch_key, kSetElementOrderPrefix) || consumed.contains(patch_key)) {
      continue;
    }
    std::string key = patch_key;
    bool delete_list = false;
    if (absl::StartsWith(patch_key, kDeleteFromPrimitiveListPrefix)) {
      ASSIGN_OR_RETURN(key, ExtractKey(patch_key, kDeleteFromPrimitiveListPrefix));
      delete_list = true;
    }
    if (value.is_null()) {
      original.Remove(key);
      continue;
    }
    JsonValue* current = original.Find(key);
    if (current == nullptr || current->is_null() || ClassOf(*current) != ClassOf(value)) {
      if (delete_list) continue;  // nothing to delete from
      ASSIGN_OR_RETURN(FieldMeta meta, Lookup(schema, key, /*required=*/false));
      ASSIGN_OR_RETURN(JsonValue fresh, Fresh(value, meta, key));
      original.Set(key, std::move(fresh));
      continue;
    }
    ASSIGN_OR_RETURN(FieldMeta meta, Lookup(schema, key, /*required=*/true));
    if (delete_list) {
      if (!value.is_array() || meta.strategy != "merge" || !meta.merge_key.empty()) {
        return Invalid(absl::StrCat("$deleteFromPrimitiveList/", key, ": \"", key,
                                    "\" is not a list of primitives with patch strategy merge"));
      }
      ASSIGN_OR_RETURN(Kind kind, ElementKind(*current, value, key));
      if (kind == Kind::kObject) {
        return Invalid(absl::StrCat("$deleteFromPrimitiveList/", key, ": \"", key,
                                    "\" is not a list of primitives"));
      }
      auto& elements = current->elements;
      const std::vector<JsonValue>& doomed = value.elements;  // clang 14 cannot capture a binding
      elements.erase(std::remove_if(elements.begin(), elements.end(),
                                    [&](const JsonValue& e) {
                                      return std::any_of(
                                          doomed.begin(), doomed.end(),
                                          [&](const JsonValue& d) { return JsonEqual(e, d); });
                                    }),
                     elements.end());
    } else if (value.is_object()) {
      if (meta.strategy == "replace") {
        ASSIGN_OR_RETURN(*current, Fresh(value, meta, key));
      } else {
        ASSIGN_OR_RETURN(*current, MergeMap(std::move(*current), value, meta.schema));
      }
    } else if (value.is_array()) {
      ASSIGN_OR_RETURN(*current, MergeList(std::move(*current), value, meta, key));
    } else {
      *current = value;
    }
  }
  return original;
}

absl::StatusOr<JsonValue> MergeMap(JsonValue original, const JsonValue& patch,
                                   const Descriptor* schema) {
  if (!original.is_object()) original = JsonValue::Object();
  if (const JsonValue* directive = patch.Find(kDirectiveMarker)) {
    if (IsDirective(*directive, "replace")) {
      return MergeMembers(JsonValue::Object(), patch, schema);
    }
    if (IsDirective(*directive, "delete")) return JsonValue::Object();
    if (!IsDirective(*directive, "merge")) return BadPatchType(*directive, patch);
  }
  return MergeMembers(std::move(original), patch, schema);
}

}  // namespace

absl::StatusOr<YAML::Node> StrategicMergePatch(const YAML::Node& original, const YAML::Node& patch,
                                               const google::protobuf::Descriptor* type) {
  try {
    ASSIGN_OR_RETURN(JsonValue patch_value, FromNode(patch, "patch"));
    if (!patch_value.is_object()) {
      return Invalid("the strategic merge patch must be a JSON object");
    }
    ASSIGN_OR_RETURN(JsonValue original_value, FromNode(original, "object to patch"));
    if (!original_value.is_null() && !original_value.is_object()) {
      return Invalid("the object to patch must be a JSON object");
    }
    ASSIGN_OR_RETURN(JsonValue merged, MergeMap(std::move(original_value), patch_value, type));
    return ToNode(merged);
  } catch (const YAML::Exception& e) {
    return Invalid(absl::StrCat("strategic merge patch: ", e.what()));
  }
}

}  // namespace minik8s::patch
