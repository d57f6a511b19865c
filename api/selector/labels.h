// Label selectors with Kubernetes' semantics
// (k8s.io/apimachinery/pkg/labels and metav1.LabelSelectorAsSelector).
//
// Contract
//   - Parse() accepts the string syntax users type (`kubectl -l`):
//       `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`,
//       `a>1`, `a<1`, joined with `,` (an AND). Whitespace between tokens is
//     ignored. Keys must be qualified names, values valid label values. Errors
//     (InvalidArgument) carry Kubernetes' messages, e.g.
//       `unable to parse requirement: found '', expected: identifier`.
//   - FromProto() converts a meta/v1 LabelSelector (matchLabels and
//     matchExpressions with In, NotIn, Exists, DoesNotExist). An empty proto
//     selector matches everything. A *missing* selector (the field unset)
//     matches nothing in Kubernetes: use FromProtoOrNothing() for that.
//   - Requirements are kept sorted by key (stable), their values sorted and
//     de-duplicated, so ToString() is canonical: `a in (x,y),b!=c,!d`.
//   - Matches() looks each key up once per requirement: a selector with k
//     requirements costs k hash lookups per object, no allocation.
//
// Thread safety: a value type; const methods are safe to call concurrently.
#ifndef MINIK8S_API_SELECTOR_LABELS_H_
#define MINIK8S_API_SELECTOR_LABELS_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "google/protobuf/map.h"
#include "k8s/meta/v1/meta.pb.h"

namespace minik8s::api {

// One requirement of a selector: `key op values`.
struct LabelRequirement {
  enum class Operator {
    kEquals,        // `=`
    kDoubleEquals,  // `==`
    kNotEquals,     // `!=`
    kIn,            // `in`
    kNotIn,         // `notin`
    kExists,        // `key`
    kDoesNotExist,  // `!key`
    kGreaterThan,   // `>` (integer comparison)
    kLessThan,      // `<` (integer comparison)
  };

  // Validates like Kubernetes' labels.NewRequirement (key syntax, value count
  // for the operator, value syntax). `values` is sorted and de-duplicated.
  static absl::StatusOr<LabelRequirement> Make(std::string key, Operator op,
                                               std::vector<std::string> values);

  // `value` is the label's value, or nullptr when the label is absent.
  bool MatchesValue(const std::string* value) const;

  // `a in (x,y)`, `!a`, `a!=b` ...
  std::string ToString() const;

  std::string key;
  Operator op = Operator::kExists;
  std::vector<std::string> values;  // sorted, unique
};

class LabelSelector {
 public:
  // Everything(): the empty selector, which matches every object.
  LabelSelector() = default;

  static LabelSelector Everything() { return LabelSelector(); }
  // Matches no object (a nil metav1.LabelSelector).
  static LabelSelector Nothing();

  static absl::StatusOr<LabelSelector> Parse(std::string_view text);
  static absl::StatusOr<LabelSelector> FromProto(const minik8s::meta::v1::LabelSelector& proto);
  // nullptr → Nothing(); otherwise FromProto(*proto).
  static absl::StatusOr<LabelSelector> FromProtoOrNothing(
      const minik8s::meta::v1::LabelSelector* proto);

  // Adds a requirement keeping the order by key.
  void Add(LabelRequirement requirement);

  // Generic matcher: `lookup(const std::string& key)` returns
  // `const std::string*` (nullptr when the label is absent).
  template <typename Lookup>
  bool MatchesLookup(Lookup&& lookup) const {
    if (nothing_) return false;
    for (const LabelRequirement& r : requirements_) {
      if (!r.MatchesValue(lookup(r.key))) return false;
    }
    return true;
  }

  bool Matches(const google::protobuf::Map<std::string, std::string>& labels) const;
  bool Matches(const std::map<std::string, std::string>& labels) const;
  bool Matches(const absl::flat_hash_map<std::string, std::string>& labels) const;

  // True when the selector does not restrict anything (matches everything).
  bool Empty() const { return !nothing_ && requirements_.empty(); }
  // True for Nothing().
  bool IsNothing() const { return nothing_; }

  // If some requirement is `key=v`, `key==v` or `key in (v)` with a single
  // value, stores v in *value and returns true (lets callers index).
  bool RequiresExactMatch(std::string_view key, std::string* value) const;

  // Canonical string form; "" for Everything() and Nothing().
  std::string ToString() const;

  const std::vector<LabelRequirement>& requirements() const { return requirements_; }

 private:
  std::vector<LabelRequirement> requirements_;  // stable-sorted by key
  bool nothing_ = false;
};

// Equal label maps (same keys, same values).
bool LabelsEqual(const google::protobuf::Map<std::string, std::string>& a,
                 const google::protobuf::Map<std::string, std::string>& b);

// A selector that matches exactly the given labels (`a=b,c=d`); an empty set
// gives Everything(). Does not validate the keys and values.
LabelSelector SelectorFromSet(const std::map<std::string, std::string>& labels);
LabelSelector SelectorFromSet(const google::protobuf::Map<std::string, std::string>& labels);

}  // namespace minik8s::api

#endif  // MINIK8S_API_SELECTOR_LABELS_H_
