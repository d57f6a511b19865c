#include "printers/format.h"

#include <map>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_join.h"
#include "api/selector/labels.h"

namespace minik8s::printers {

std::string LabelsColumn(const google::protobuf::Map<std::string, std::string>& labels) {
  if (labels.empty()) return "<none>";
  std::map<std::string, std::string> sorted(labels.begin(), labels.end());
  return absl::StrJoin(sorted, ",", absl::PairFormatter("="));
}

std::string SelectorString(const minik8s::meta::v1::LabelSelector& selector) {
  absl::StatusOr<api::LabelSelector> parsed = api::LabelSelector::FromProto(selector);
  if (!parsed.ok()) return "<error>";
  return parsed->ToString();
}

std::string FormatLabelSelector(const minik8s::meta::v1::LabelSelector& selector) {
  std::string s = SelectorString(selector);
  return s.empty() ? "<none>" : s;
}

std::string OrNone(const std::string& s) { return s.empty() ? "<none>" : s; }

ContainerCells LayoutContainerCells(const minik8s::core::v1::PodSpec& spec) {
  std::vector<std::string> names, images;
  for (const auto& c : spec.containers()) {
    names.push_back(c.name());
    images.push_back(c.image());
  }
  return {absl::StrJoin(names, ","), absl::StrJoin(images, ",")};
}

}  // namespace minik8s::printers
