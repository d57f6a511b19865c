#include "api/selector/fields.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "k8s/meta/v1/meta.pb.h"

namespace minik8s::api {
namespace {

// Splits on commas that are not escaped; escapes stay in the terms.
std::vector<std::string> SplitTerms(std::string_view s) {
  std::vector<std::string> terms;
  if (s.empty()) return terms;
  size_t start = 0;
  bool escaped = false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (escaped) {
      escaped = false;
    } else if (s[i] == '\\') {
      escaped = true;
    } else if (s[i] == ',') {
      terms.emplace_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  terms.emplace_back(s.substr(start));
  return terms;
}

// The first operator in the term splits it: `!=`, then `==`, then `=`. The
// field part has no escaping.
bool SplitTerm(std::string_view term, std::string_view* lhs, bool* equals, std::string_view* rhs) {
  for (size_t i = 0; i < term.size(); ++i) {
    std::string_view rest = term.substr(i);
    size_t op_len = 0;
    if (rest.substr(0, 2) == "!=") {
      *equals = false;
      op_len = 2;
    } else if (rest.substr(0, 2) == "==") {
      *equals = true;
      op_len = 2;
    } else if (rest.substr(0, 1) == "=") {
      *equals = true;
      op_len = 1;
    }
    if (op_len > 0) {
      *lhs = term.substr(0, i);
      *rhs = term.substr(i + op_len);
      return true;
    }
  }
  return false;
}

absl::Status NotSupported(std::string_view field) {
  return absl::InvalidArgumentError(
      absl::StrCat("field label not supported: ", std::string(field)));
}

const char* Bool(bool b) { return b ? "true" : "false"; }

// metadata.name / metadata.namespace; false when `field` is neither.
bool MetaField(const minik8s::meta::v1::ObjectMeta& meta, std::string_view field,
               std::string* out) {
  if (field == "metadata.name") {
    *out = meta.name();
    return true;
  }
  if (field == "metadata.namespace") {
    *out = meta.namespace_();
    return true;
  }
  return false;
}

}  // namespace

std::string FieldRequirement::ToString() const {
  return absl::StrCat(field, equals ? "=" : "!=", EscapeFieldValue(value));
}

std::string EscapeFieldValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == ',' || c == '=') out += '\\';
    out += c;
  }
  return out;
}

absl::StatusOr<std::string> UnescapeFieldValue(std::string_view value) {
  if (value.find_first_of("\\,=") == std::string_view::npos) return std::string(value);
  std::string out;
  out.reserve(value.size());
  bool escaped = false;
  for (char c : value) {
    if (escaped) {
      if (c != '\\' && c != ',' && c != '=') {
        return absl::InvalidArgumentError(
            absl::StrCat("invalid field selector: invalid escape sequence: \\", std::string(1, c)));
      }
      out += c;
      escaped = false;
      continue;
    }
    if (c == '\\') {
      escaped = true;
    } else if (c == ',' || c == '=') {
      // Kubernetes prints the rune with %v, i.e. its code point.
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid field selector: unescaped character in value: ", static_cast<int>(c)));
    } else {
      out += c;
    }
  }
  if (escaped) {
    return absl::InvalidArgumentError("invalid field selector: invalid escape sequence: \\");
  }
  return out;
}

FieldSelector FieldSelector::OneTermEqual(std::string field, std::string value) {
  FieldSelector s;
  s.terms_.push_back({std::move(field), true, std::move(value)});
  return s;
}

absl::StatusOr<FieldSelector> FieldSelector::Parse(std::string_view text) {
  std::vector<std::string> parts = SplitTerms(text);
  std::sort(parts.begin(), parts.end());
  FieldSelector s;
  for (const std::string& part : parts) {
    if (part.empty()) continue;
    std::string_view lhs, rhs;
    bool equals = true;
    if (!SplitTerm(part, &lhs, &equals, &rhs)) {
      return absl::InvalidArgumentError(absl::StrCat("invalid selector: '", std::string(text),
                                                     "'; can't understand '", part, "'"));
    }
    auto value = UnescapeFieldValue(rhs);
    if (!value.ok()) return value.status();
    s.terms_.push_back({std::string(lhs), equals, *std::move(value)});
  }
  // Kubernetes sorts the raw terms; sorting again by the printed form makes
  // ToString() canonical also when `==` and `=` terms mix ("==a" sorts
  // before "=b" raw, but prints as "=a", after it).
  std::stable_sort(s.terms_.begin(), s.terms_.end(),
                   [](const FieldRequirement& a, const FieldRequirement& b) {
                     return a.ToString() < b.ToString();
                   });
  return s;
}

bool FieldSelector::Matches(Getter getter) const {
  for (const FieldRequirement& t : terms_) {
    if ((getter(t.field) == t.value) != t.equals) return false;
  }
  return true;
}

bool FieldSelector::RequiresExactMatch(std::string_view field, std::string* value) const {
  for (const FieldRequirement& t : terms_) {
    if (t.equals && t.field == field) {
      if (value != nullptr) *value = t.value;
      return true;
    }
  }
  return false;
}

std::string FieldSelector::ToString() const {
  std::string out;
  for (size_t i = 0; i < terms_.size(); ++i) {
    if (i > 0) out += ",";
    out += terms_[i].ToString();
  }
  return out;
}

// ---------------------------------------------------------------- per kind

absl::StatusOr<std::string> PodFieldValue(const minik8s::core::v1::Pod& pod,
                                          std::string_view field) {
  std::string out;
  if (MetaField(pod.metadata(), field, &out)) return out;
  if (field == "spec.nodeName") return pod.spec().node_name();
  if (field == "spec.restartPolicy") return pod.spec().restart_policy();
  if (field == "spec.schedulerName") return pod.spec().scheduler_name();
  if (field == "spec.serviceAccountName") return pod.spec().service_account_name();
  if (field == "spec.hostNetwork") return std::string(Bool(pod.spec().host_network()));
  if (field == "status.phase") return pod.status().phase();
  if (field == "status.podIP") return pod.status().pod_ip();
  if (field == "status.nominatedNodeName") return pod.status().nominated_node_name();
  return NotSupported(field);
}

absl::StatusOr<std::string> EventFieldValue(const minik8s::core::v1::Event& event,
                                            std::string_view field) {
  std::string out;
  if (MetaField(event.metadata(), field, &out)) return out;
  const auto& obj = event.involved_object();
  if (field == "involvedObject.kind") return obj.kind();
  if (field == "involvedObject.namespace") return obj.namespace_();
  if (field == "involvedObject.name") return obj.name();
  if (field == "involvedObject.uid") return obj.uid();
  if (field == "involvedObject.apiVersion") return obj.api_version();
  if (field == "involvedObject.resourceVersion") return obj.resource_version();
  if (field == "involvedObject.fieldPath") return obj.field_path();
  if (field == "reason") return event.reason();
  if (field == "reportingComponent") return event.reporting_component();
  if (field == "source") return event.source().component();
  if (field == "type") return event.type();
  return NotSupported(field);
}

absl::StatusOr<std::string> NodeFieldValue(const minik8s::core::v1::Node& node,
                                           std::string_view field) {
  std::string out;
  if (MetaField(node.metadata(), field, &out)) return out;
  if (field == "spec.unschedulable") return std::string(Bool(node.spec().unschedulable()));
  return NotSupported(field);
}

absl::StatusOr<std::string> NamespaceFieldValue(const minik8s::core::v1::Namespace& ns,
                                                std::string_view field) {
  std::string out;
  if (MetaField(ns.metadata(), field, &out)) return out;
  if (field == "status.phase") return ns.status().phase();
  return NotSupported(field);
}

absl::StatusOr<std::string> ReplicaSetFieldValue(const minik8s::apps::v1::ReplicaSet& rs,
                                                 std::string_view field) {
  std::string out;
  if (MetaField(rs.metadata(), field, &out)) return out;
  if (field == "status.replicas") return absl::StrCat(rs.status().replicas());
  return NotSupported(field);
}

absl::StatusOr<std::string> DeploymentFieldValue(const minik8s::apps::v1::Deployment& d,
                                                 std::string_view field) {
  std::string out;
  if (MetaField(d.metadata(), field, &out)) return out;
  return NotSupported(field);
}

absl::StatusOr<std::string> LeaseFieldValue(const minik8s::coordination::v1::Lease& lease,
                                            std::string_view field) {
  std::string out;
  if (MetaField(lease.metadata(), field, &out)) return out;
  return NotSupported(field);
}

absl::StatusOr<std::string> CertificateSigningRequestFieldValue(
    const minik8s::certificates::v1::CertificateSigningRequest& csr, std::string_view field) {
  std::string out;
  if (MetaField(csr.metadata(), field, &out)) return out;
  if (field == "spec.signerName") return csr.spec().signer_name();
  return NotSupported(field);
}

absl::StatusOr<std::string> ObjectFieldValue(const google::protobuf::Message& obj,
                                             std::string_view field) {
  using namespace minik8s;  // NOLINT: local brevity for the type switch
  const google::protobuf::Descriptor* d = obj.GetDescriptor();
  if (d == core::v1::Pod::descriptor()) {
    return PodFieldValue(static_cast<const core::v1::Pod&>(obj), field);
  }
  if (d == core::v1::Event::descriptor()) {
    return EventFieldValue(static_cast<const core::v1::Event&>(obj), field);
  }
  if (d == core::v1::Node::descriptor()) {
    return NodeFieldValue(static_cast<const core::v1::Node&>(obj), field);
  }
  if (d == core::v1::Namespace::descriptor()) {
    return NamespaceFieldValue(static_cast<const core::v1::Namespace&>(obj), field);
  }
  if (d == apps::v1::ReplicaSet::descriptor()) {
    return ReplicaSetFieldValue(static_cast<const apps::v1::ReplicaSet&>(obj), field);
  }
  if (d == apps::v1::Deployment::descriptor()) {
    return DeploymentFieldValue(static_cast<const apps::v1::Deployment&>(obj), field);
  }
  if (d == coordination::v1::Lease::descriptor()) {
    return LeaseFieldValue(static_cast<const coordination::v1::Lease&>(obj), field);
  }
  if (d == certificates::v1::CertificateSigningRequest::descriptor()) {
    return CertificateSigningRequestFieldValue(
        static_cast<const certificates::v1::CertificateSigningRequest&>(obj), field);
  }
  // Any other kind: only the metadata fields, read through reflection.
  const google::protobuf::FieldDescriptor* meta_field = d->FindFieldByName("metadata");
  if (meta_field != nullptr && meta_field->message_type() == meta::v1::ObjectMeta::descriptor()) {
    const auto& meta =
        static_cast<const meta::v1::ObjectMeta&>(obj.GetReflection()->GetMessage(obj, meta_field));
    std::string out;
    if (MetaField(meta, field, &out)) return out;
  }
  return NotSupported(field);
}

absl::Status CheckSupportedFields(const google::protobuf::Message& prototype,
                                  const FieldSelector& selector) {
  for (const FieldRequirement& t : selector.requirements()) {
    auto v = ObjectFieldValue(prototype, t.field);
    if (!v.ok()) return v.status();
  }
  return absl::OkStatus();
}

bool MatchesObject(const FieldSelector& selector, const google::protobuf::Message& obj) {
  if (selector.Empty()) return true;
  return selector.Matches([&obj](std::string_view field) -> std::string {
    auto v = ObjectFieldValue(obj, field);
    return v.ok() ? *std::move(v) : std::string();
  });
}

}  // namespace minik8s::api
