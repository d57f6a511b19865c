// Cell formats shared by the kind printers and by describe output: labels,
// label selectors and container lists as Kubernetes prints them.
//
// Thread safety: pure functions.
#ifndef MINIK8S_PRINTERS_FORMAT_H_
#define MINIK8S_PRINTERS_FORMAT_H_

#include <string>

#include "google/protobuf/map.h"
#include "k8s/core/v1/core.pb.h"
#include "k8s/meta/v1/meta.pb.h"

namespace minik8s::printers {

// `a=b,c=d` sorted by key, `<none>` when empty (the LABELS column).
std::string LabelsColumn(const google::protobuf::Map<std::string, std::string>& labels);

// A label selector in Kubernetes' canonical string form (`app=web,tier in
// (a,b)`); empty for an empty selector, `<error>` for one that does not parse.
std::string SelectorString(const minik8s::meta::v1::LabelSelector& selector);

// apimachinery's FormatLabelSelector: SelectorString, but `<none>` when empty.
std::string FormatLabelSelector(const minik8s::meta::v1::LabelSelector& selector);

// `s`, or `<none>` when empty.
std::string OrNone(const std::string& s);

// The CONTAINERS and IMAGES cells: names and images joined with commas.
struct ContainerCells {
  std::string names;
  std::string images;
};
ContainerCells LayoutContainerCells(const minik8s::core::v1::PodSpec& spec);

}  // namespace minik8s::printers

#endif  // MINIK8S_PRINTERS_FORMAT_H_
