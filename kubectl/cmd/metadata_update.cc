#include "kubectl/cmd/metadata_update.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "kubectl/apply/json_node.h"
#include "yaml-cpp/yaml.h"

namespace minik8s::kubectl {
namespace {

const char* PairType(MetadataField field) {
  return field == MetadataField::kLabels ? "label" : "annotation";
}

}  // namespace

absl::StatusOr<MetadataChanges> ParseMetadataArgs(const std::vector<std::string>& args,
                                                  MetadataField field) {
  MetadataChanges out;
  std::vector<std::string> pairs;
  bool found_pair = false;
  for (const std::string& s : args) {
    const bool pair =
        (s.find('=') != std::string::npos && s[0] != '=') || (s.size() > 1 && s.back() == '-');
    if (pair) {
      found_pair = true;
      pairs.push_back(s);
    } else if (found_pair) {
      return absl::InvalidArgumentError(absl::StrCat("all resources must be specified before ",
                                                     PairType(field), " changes: ", s));
    } else {
      out.resources.push_back(s);
    }
  }
  if (pairs.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("at least one ", PairType(field), " update is required"));
  }
  for (const std::string& p : pairs) {
    const size_t eq = p.find('=');
    if (eq != std::string::npos) {
      out.set[p.substr(0, eq)] = p.substr(eq + 1);
    } else {
      out.remove.push_back(p.substr(0, p.size() - 1));
    }
  }
  for (const std::string& key : out.remove) {
    if (out.set.count(key) > 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "can not both modify and remove ",
          field == MetadataField::kLabels ? "a label" : "an annotation", " in the same command"));
    }
  }
  return out;
}

absl::StatusOr<MetadataUpdate> ComputeMetadataUpdate(
    const std::map<std::string, std::string>& current, const MetadataChanges& changes,
    MetadataField field, bool overwrite) {
  const bool labels = field == MetadataField::kLabels;
  if (!overwrite) {
    std::vector<std::string> conflicts;
    for (const auto& [key, value] : changes.set) {
      auto it = current.find(key);
      if (it == current.end() || it->second == value) continue;
      conflicts.push_back(labels
                              ? absl::StrCat("'", key, "' already has a value (", it->second,
                                             "), and --overwrite is false")
                              : absl::StrCat("'", key, "' already has a value (", it->second, ")"));
    }
    if (!conflicts.empty()) {
      if (!labels) {
        return absl::FailedPreconditionError(
            absl::StrCat("--overwrite is false but found the following declared annotation(s): ",
                         absl::StrJoin(conflicts, "; ")));
      }
      return absl::FailedPreconditionError(
          conflicts.size() == 1 ? conflicts[0]
                                : absl::StrCat("[", absl::StrJoin(conflicts, ", "), "]"));
    }
  }
  MetadataUpdate update;
  update.result = current;
  YAML::Node map(YAML::NodeType::Map);
  for (const auto& [key, value] : changes.set) {
    auto it = current.find(key);
    if (it != current.end() && it->second == value) continue;
    update.result[key] = value;
    map[key] = StringNode(value);
  }
  for (const std::string& key : changes.remove) {
    if (current.count(key) == 0) {
      update.not_found.push_back(key);
      continue;
    }
    update.result.erase(key);
    map[key] = YAML::Node(YAML::NodeType::Null);
  }
  const bool changed = map.size() > 0;
  if (changed) {
    YAML::Node patch(YAML::NodeType::Map);
    patch["metadata"][labels ? "labels" : "annotations"] = map;
    update.patch = NodeToJson(patch);
  }
  if (!labels) {
    update.verb = "annotated";
  } else if (!changed) {
    update.verb = "not labeled";
  } else if (!overwrite && update.result.size() < current.size()) {
    update.verb = "unlabeled";
  } else {
    update.verb = "labeled";
  }
  return update;
}

}  // namespace minik8s::kubectl
