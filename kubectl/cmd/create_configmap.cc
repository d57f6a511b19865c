#include "kubectl/cmd/create_configmap.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "api/yaml_scalar.h"

namespace minik8s::kubectl {
namespace {

namespace fs = std::filesystem;

// kubectl's limit on one file (ConfigMaps hold at most 1 MiB anyway).
constexpr std::uintmax_t kMaxFileBytes = 1 << 20;

absl::Status Add(const std::string& name, const std::string& key, std::string value,
                 core::v1::ConfigMap* cm) {
  if (cm->data().contains(key) || cm->binary_data().contains(key)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot add key ", key,
        ", another key by that name already exists in Data for ConfigMap \"", name, "\""));
  }
  if (api::IsValidUtf8(value)) {
    (*cm->mutable_data())[key] = std::move(value);
  } else {
    (*cm->mutable_binary_data())[key] = std::move(value);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFile(const fs::path& path) {
  std::error_code ec;
  const std::uintmax_t size = fs::file_size(path, ec);
  if (ec) return absl::NotFoundError(absl::StrCat(path.string(), ": ", ec.message()));
  if (size > kMaxFileBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(path.string(), " is ", size, " bytes, over the 1 MiB a ConfigMap holds"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path.string()));
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

absl::StatusOr<core::v1::ConfigMap> BuildConfigMap(const std::string& name,
                                                   const std::vector<std::string>& literals,
                                                   const std::vector<std::string>& files) {
  core::v1::ConfigMap cm;
  cm.set_api_version("v1");
  cm.set_kind("ConfigMap");
  cm.mutable_metadata()->set_name(name);
  for (const std::string& literal : literals) {
    const size_t eq = literal.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid literal source ", literal, ", expected key=value"));
    }
    if (absl::Status s = Add(name, literal.substr(0, eq), literal.substr(eq + 1), &cm); !s.ok()) {
      return s;
    }
  }
  for (const std::string& source : files) {
    std::string key;
    std::string path = source;
    if (const size_t eq = source.find('='); eq != std::string::npos) {
      key = source.substr(0, eq);
      path = source.substr(eq + 1);
      if (key.empty() || path.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("invalid file source ", source, ", expected [key=]path"));
      }
    }
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      if (!key.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("cannot give a key name for a directory path: ", source));
      }
      std::vector<fs::path> entries;
      for (const fs::directory_entry& e : fs::directory_iterator(path, ec)) {
        if (e.is_regular_file()) entries.push_back(e.path());
      }
      if (ec) return absl::NotFoundError(absl::StrCat(path, ": ", ec.message()));
      std::sort(entries.begin(), entries.end());
      for (const fs::path& entry : entries) {
        absl::StatusOr<std::string> content = ReadFile(entry);
        if (!content.ok()) return content.status();
        if (absl::Status s = Add(name, entry.filename().string(), *std::move(content), &cm);
            !s.ok()) {
          return s;
        }
      }
      continue;
    }
    absl::StatusOr<std::string> content = ReadFile(path);
    if (!content.ok()) return content.status();
    if (key.empty()) key = fs::path(path).filename().string();
    if (absl::Status s = Add(name, key, *std::move(content), &cm); !s.ok()) return s;
  }
  return cm;
}

}  // namespace minik8s::kubectl
