#include "apiserver/filter.h"

#include "api/errors.h"
#include "apiserver/object_meta.h"

namespace minik8s::apiserver {

std::string IndexFieldFor(const api::KindInfo& kind) {
  if (kind.group.empty() && kind.kind == "Pod") return "spec.nodeName";
  return "";
}

absl::StatusOr<Filter> Filter::Make(const api::KindInfo& kind, const std::string& ns,
                                    const std::string& label_selector,
                                    const std::string& field_selector) {
  Filter filter;
  filter.ns_ = kind.namespaced ? ns : "";
  if (!label_selector.empty()) {
    absl::StatusOr<api::LabelSelector> labels = api::LabelSelector::Parse(label_selector);
    if (!labels.ok()) {
      return api::NewBadRequest(labels.status().message());
    }
    filter.labels_ = std::move(*labels);
  }
  if (!field_selector.empty()) {
    absl::StatusOr<api::FieldSelector> fields = api::FieldSelector::Parse(field_selector);
    if (!fields.ok()) return api::NewBadRequest(fields.status().message());
    std::unique_ptr<google::protobuf::Message> prototype = kind.New();
    absl::Status supported = api::CheckSupportedFields(*prototype, *fields);
    if (!supported.ok()) return api::NewBadRequest(supported.message());
    filter.fields_ = std::move(*fields);
    const std::string index_field = IndexFieldFor(kind);
    std::string value;
    if (!index_field.empty() && filter.fields_.RequiresExactMatch(index_field, &value)) {
      filter.index_value_ = value;
    }
  }
  return filter;
}

bool Filter::Matches(const google::protobuf::Message& object, const std::string& object_ns) const {
  if (!ns_.empty() && ns_ != object_ns) return false;
  if (!labels_.Empty() && !labels_.Matches(Meta(object).labels())) return false;
  if (!fields_.Empty() && !api::MatchesObject(fields_, object)) return false;
  return true;
}

bool Filter::Matches(const google::protobuf::Message& object) const {
  return Matches(object, Meta(object).namespace_());
}

}  // namespace minik8s::apiserver
