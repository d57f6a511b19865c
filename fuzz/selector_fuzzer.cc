// Fuzzes label and field selectors (api/selector/): the `-l` / `--field-
// selector` strings users and list requests send. A selector that parses
// must print (ToString) a canonical form that parses again to the same
// canonical form, and matching it against objects must not fail.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "api/selector/fields.h"
#include "api/selector/labels.h"
#include "fuzz/fuzz_util.h"
#include "k8s/core/v1/core.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  absl::StatusOr<minik8s::api::LabelSelector> labels = minik8s::api::LabelSelector::Parse(text);
  if (labels.ok()) {
    const std::string canonical = labels->ToString();
    absl::StatusOr<minik8s::api::LabelSelector> again =
        minik8s::api::LabelSelector::Parse(canonical);
    MINIK8S_FUZZ_CHECK(again.ok(), "a label selector's ToString() parses");
    MINIK8S_FUZZ_CHECK(again->ToString() == canonical, "label selector ToString() is canonical");
    const std::map<std::string, std::string> set = {
        {"app", "web"}, {"tier", "frontend"}, {"version", "3"}, {"a", ""}};
    (void)labels->Matches(set);
    std::string value;
    (void)labels->RequiresExactMatch("app", &value);
  }

  absl::StatusOr<minik8s::api::FieldSelector> fields = minik8s::api::FieldSelector::Parse(text);
  if (fields.ok()) {
    const std::string canonical = fields->ToString();
    absl::StatusOr<minik8s::api::FieldSelector> again =
        minik8s::api::FieldSelector::Parse(canonical);
    MINIK8S_FUZZ_CHECK(again.ok(), "a field selector's ToString() parses");
    MINIK8S_FUZZ_CHECK(again->ToString() == canonical, "field selector ToString() is canonical");
    minik8s::core::v1::Pod pod;
    pod.mutable_metadata()->set_name("web");
    pod.mutable_metadata()->set_namespace_("default");
    pod.mutable_spec()->set_node_name("node-1");
    pod.mutable_status()->set_phase("Running");
    if (minik8s::api::CheckSupportedFields(pod, *fields).ok()) {
      (void)minik8s::api::MatchesObject(*fields, pod);
    }
    (void)fields->Matches([](std::string_view field) { return std::string(field); });
  }
  return 0;
}
