// Field selectors with Kubernetes' semantics (k8s.io/apimachinery/pkg/fields)
// and the per-kind tables of selectable fields (the apiserver's field label
// conversion functions).
//
// Contract
//   - Parse() accepts `field=value`, `field==value`, `field!=value` terms
//     joined with `,` (an AND). In a value, `\,`, `\=` and `\\` stand for
//     `,`, `=` and `\`; an unescaped `,`/`=` or an unknown escape is an error
//     with Kubernetes' message. Terms are sorted by their text, as Kubernetes
//     does, so ToString() is canonical and re-escapes values.
//   - A field the object does not have reads as "" (so `spec.nodeName=`
//     selects unscheduled pods).
//   - Which fields exist is not checked by Parse(); the per-kind functions
//     below (and CheckSupportedFields) reject the others with
//     `field label not supported: <field>`.
//
// Thread safety: a value type; const methods are safe to call concurrently.
#ifndef MINIK8S_API_SELECTOR_FIELDS_H_
#define MINIK8S_API_SELECTOR_FIELDS_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "k8s/apps/v1/apps.pb.h"
#include "k8s/certificates/v1/certificates.pb.h"
#include "k8s/coordination/v1/coordination.pb.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::api {

struct FieldRequirement {
  std::string field;
  bool equals = true;  // `=`/`==` when true, `!=` when false
  std::string value;   // unescaped

  // `field=value` / `field!=value`, value escaped.
  std::string ToString() const;
};

class FieldSelector {
 public:
  // Field getter supplied by the caller: field path → value ("" if absent).
  using Getter = absl::FunctionRef<std::string(std::string_view field)>;

  // Everything(): matches all objects.
  FieldSelector() = default;
  static FieldSelector Everything() { return FieldSelector(); }
  // One `field=value` term.
  static FieldSelector OneTermEqual(std::string field, std::string value);

  static absl::StatusOr<FieldSelector> Parse(std::string_view text);

  bool Matches(Getter getter) const;
  bool Empty() const { return terms_.empty(); }

  // If a term is `field=v` (or `==`), stores v and returns true; the
  // apiserver uses it to serve `spec.nodeName=<node>` from an index.
  bool RequiresExactMatch(std::string_view field, std::string* value) const;

  std::string ToString() const;
  const std::vector<FieldRequirement>& requirements() const { return terms_; }

 private:
  std::vector<FieldRequirement> terms_;
};

// `\` → `\\`, `,` → `\,`, `=` → `\=`.
std::string EscapeFieldValue(std::string_view value);
// The inverse; errors as Kubernetes': `invalid field selector: invalid escape
// sequence: \x` and `invalid field selector: unescaped character in value: 61`.
absl::StatusOr<std::string> UnescapeFieldValue(std::string_view value);

// ---------------------------------------------------------------- per kind
// Each returns the value of a selectable field, or InvalidArgument
// `field label not supported: <field>`. All kinds support metadata.name and
// metadata.namespace.
//   Pod: spec.nodeName, spec.restartPolicy, spec.schedulerName,
//        spec.serviceAccountName, spec.hostNetwork, status.phase,
//        status.podIP, status.nominatedNodeName
//   Event: involvedObject.{kind,namespace,name,uid,apiVersion,
//        resourceVersion,fieldPath}, reason, reportingComponent, source, type
//   Node: spec.unschedulable
//   Namespace: status.phase
//   ReplicaSet: status.replicas
//   CertificateSigningRequest: spec.signerName
absl::StatusOr<std::string> PodFieldValue(const minik8s::core::v1::Pod& pod,
                                          std::string_view field);
absl::StatusOr<std::string> EventFieldValue(const minik8s::core::v1::Event& event,
                                            std::string_view field);
absl::StatusOr<std::string> NodeFieldValue(const minik8s::core::v1::Node& node,
                                           std::string_view field);
absl::StatusOr<std::string> NamespaceFieldValue(const minik8s::core::v1::Namespace& ns,
                                                std::string_view field);
absl::StatusOr<std::string> ReplicaSetFieldValue(const minik8s::apps::v1::ReplicaSet& rs,
                                                 std::string_view field);
absl::StatusOr<std::string> DeploymentFieldValue(const minik8s::apps::v1::Deployment& d,
                                                 std::string_view field);
absl::StatusOr<std::string> LeaseFieldValue(const minik8s::coordination::v1::Lease& lease,
                                            std::string_view field);

absl::StatusOr<std::string> CertificateSigningRequestFieldValue(
    const minik8s::certificates::v1::CertificateSigningRequest& csr, std::string_view field);

// Dispatches on the message type (any of the kinds above, or any message
// with an ObjectMeta `metadata` field for the two metadata fields).
absl::StatusOr<std::string> ObjectFieldValue(const google::protobuf::Message& obj,
                                             std::string_view field);

// OK when every field of `selector` is selectable for objects like
// `prototype` (an instance of the kind; its contents are not read).
absl::Status CheckSupportedFields(const google::protobuf::Message& prototype,
                                  const FieldSelector& selector);

// Matches `obj` with ObjectFieldValue as the getter (unsupported fields read
// as ""; call CheckSupportedFields first to reject them).
bool MatchesObject(const FieldSelector& selector, const google::protobuf::Message& obj);

}  // namespace minik8s::api

#endif  // MINIK8S_API_SELECTOR_FIELDS_H_
