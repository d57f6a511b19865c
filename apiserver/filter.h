// The selection a List or Watch asks for: a namespace, a label selector and a
// field selector, checked against objects of one kind. Also tells which
// pods-by-node index entry a request can use (`spec.nodeName=<node>`).
//
// Thread safety: a value type; const methods are safe to call concurrently.
#ifndef MINIK8S_APISERVER_FILTER_H_
#define MINIK8S_APISERVER_FILTER_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "api/scheme.h"
#include "api/selector/fields.h"
#include "api/selector/labels.h"
#include "google/protobuf/message.h"

namespace minik8s::apiserver {

// The field a kind's watchers can be indexed by ("spec.nodeName" for pods),
// or "" when the kind has no index.
std::string IndexFieldFor(const api::KindInfo& kind);

class Filter {
 public:
  // Everything in every namespace.
  Filter() = default;

  // Parses the selectors; a field the kind does not support, or bad syntax,
  // is a BadRequest error.
  static absl::StatusOr<Filter> Make(const api::KindInfo& kind, const std::string& ns,
                                     const std::string& label_selector,
                                     const std::string& field_selector);

  // Namespace, labels and fields (in that order; the cheapest first).
  bool Matches(const google::protobuf::Message& object, const std::string& object_ns) const;
  bool Matches(const google::protobuf::Message& object) const;

  const std::string& ns() const { return ns_; }
  bool Empty() const { return ns_.empty() && labels_.Empty() && fields_.Empty(); }
  // The exact value the index field must have, when the selector demands one.
  const std::optional<std::string>& index_value() const { return index_value_; }

 private:
  std::string ns_;
  api::LabelSelector labels_;
  api::FieldSelector fields_;
  std::optional<std::string> index_value_;
};

}  // namespace minik8s::apiserver

#endif  // MINIK8S_APISERVER_FILTER_H_
