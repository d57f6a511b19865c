#include "scheduler/config.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "api/yaml_limits.h"
#include "yaml-cpp/yaml.h"

namespace minik8s::scheduler {
namespace {

absl::Status CheckKeys(const YAML::Node& map, std::initializer_list<std::string_view> allowed,
                       std::string_view where) {
  for (const auto& kv : map) {
    std::string key = kv.first.as<std::string>();
    bool ok = false;
    for (auto a : allowed) ok |= key == a;
    if (!ok)
      return absl::InvalidArgumentError(
          absl::StrCat(std::string(where), ": unknown field \"", key, "\""));
  }
  return absl::OkStatus();
}

absl::StatusOr<SchedulerConfig> Parse(const YAML::Node& root) {
  SchedulerConfig config;
  if (root.IsNull()) return config;
  if (!root.IsMap()) return absl::InvalidArgumentError("config: expected a mapping");
  if (auto s = CheckKeys(root, {"schedulerName", "percentageOfNodesToScore", "plugins"}, "config");
      !s.ok()) {
    return s;
  }
  if (root["schedulerName"]) config.scheduler_name = root["schedulerName"].as<std::string>();
  if (root["percentageOfNodesToScore"]) {
    int p = root["percentageOfNodesToScore"].as<int>();
    if (p < 0 || p > 100) {
      return absl::InvalidArgumentError("percentageOfNodesToScore: must be between 0 and 100");
    }
    config.percentage_of_nodes_to_score = p;
  }
  YAML::Node plugins = root["plugins"];
  if (!plugins) return config;
  if (!plugins.IsMap()) return absl::InvalidArgumentError("plugins: expected a mapping");
  if (auto s = CheckKeys(plugins, {"filter", "score"}, "plugins"); !s.ok()) return s;
  if (YAML::Node filter = plugins["filter"]) {
    if (!filter.IsSequence()) return absl::InvalidArgumentError("plugins.filter: expected a list");
    config.profile.filter_plugins.clear();
    for (const auto& item : filter) {
      if (item.IsScalar()) {
        config.profile.filter_plugins.push_back(item.as<std::string>());
      } else if (item.IsMap() && item["name"]) {
        if (auto s = CheckKeys(item, {"name"}, "plugins.filter[]"); !s.ok()) return s;
        config.profile.filter_plugins.push_back(item["name"].as<std::string>());
      } else {
        return absl::InvalidArgumentError("plugins.filter[]: expected a plugin name");
      }
    }
  }
  if (YAML::Node score = plugins["score"]) {
    if (!score.IsSequence()) return absl::InvalidArgumentError("plugins.score: expected a list");
    config.profile.score_plugins.clear();
    for (const auto& item : score) {
      plugins::WeightedPlugin wp;
      if (item.IsScalar()) {
        wp.name = item.as<std::string>();
      } else if (item.IsMap() && item["name"]) {
        if (auto s = CheckKeys(item, {"name", "weight"}, "plugins.score[]"); !s.ok()) return s;
        wp.name = item["name"].as<std::string>();
        if (item["weight"]) wp.weight = item["weight"].as<int64_t>();
      } else {
        return absl::InvalidArgumentError("plugins.score[]: expected a name and a weight");
      }
      config.profile.score_plugins.push_back(std::move(wp));
    }
  }
  return config;
}

}  // namespace

absl::StatusOr<SchedulerConfig> ParseSchedulerConfig(std::string_view yaml) {
  absl::StatusOr<YAML::Node> node = api::LoadLimited(absl::string_view(yaml.data(), yaml.size()));
  if (!node.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("config: ", node.status().message()));
  }
  try {
    return Parse(*node);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("config: ", e.what()));
  }
}

absl::StatusOr<SchedulerConfig> LoadSchedulerConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read config file ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  auto config = ParseSchedulerConfig(ss.str());
  if (!config.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", config.status().message()));
  }
  return config;
}

}  // namespace minik8s::scheduler
