#include "kubectl/apply/manifests.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace minik8s::kubectl {
namespace {

namespace fs = std::filesystem;

bool IsSeparator(absl::string_view line) {
  return absl::StartsWith(line, "---") &&
         (line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r');
}

bool IsContent(absl::string_view line) {
  for (char c : line) {
    if (c == '#') return false;
    if (c != ' ' && c != '\t' && c != '\r') return true;
  }
  return false;
}

bool IsManifestFile(const fs::path& p) {
  const std::string ext = p.extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

absl::Status CollectFiles(const fs::path& dir, bool recursive, std::vector<std::string>* out) {
  std::error_code ec;
  std::vector<fs::path> entries;
  for (const auto& entry : fs::directory_iterator(dir, ec)) entries.push_back(entry.path());
  if (ec)
    return absl::InvalidArgumentError(
        absl::StrCat("error reading \"", dir.string(), "\": ", ec.message()));
  std::sort(entries.begin(), entries.end());
  for (const fs::path& p : entries) {
    if (fs::is_directory(p)) {
      if (recursive) {
        absl::Status st = CollectFiles(p, recursive, out);
        if (!st.ok()) return st;
      }
    } else if (IsManifestFile(p)) {
      out->push_back(p.string());
    }
  }
  return absl::OkStatus();
}

}  // namespace

int DocumentOfLine(const std::string& text, int line) {
  int finished = 0;
  bool has_content = false;
  int n = 0;
  for (absl::string_view l : absl::StrSplit(text, '\n')) {
    ++n;
    if (n == line) break;
    if (IsSeparator(l)) {
      if (has_content) ++finished;
      has_content = false;
    } else if (IsContent(l)) {
      has_content = true;
    }
  }
  return finished + 1;
}

absl::StatusOr<std::vector<Manifest>> DecodeManifests(const std::string& source,
                                                      const std::string& text) {
  absl::StatusOr<std::vector<api::DecodedObject>> decoded = api::DecodeAll(text);
  if (!decoded.ok()) {
    const std::string message(decoded.status().message());
    static const std::regex kLine(R"(line (\d+))");
    std::smatch m;
    std::string where;
    int line = 0;
    if (std::regex_search(message, m, kLine) && absl::SimpleAtoi(m[1].str(), &line)) {
      where = absl::StrCat("document ", DocumentOfLine(text, line), ": ");
    }
    return absl::InvalidArgumentError(absl::StrCat("error parsing ", source, ": ", where, message));
  }
  std::vector<Manifest> out;
  for (api::DecodedObject& d : *decoded) out.push_back({source, std::move(d)});
  return out;
}

absl::StatusOr<std::vector<Manifest>> ReadManifests(
    const std::vector<std::string>& paths, bool recursive,
    const std::function<std::string()>& read_stdin) {
  if (paths.empty()) {
    return absl::InvalidArgumentError("must specify one of -f and -k");
  }
  std::vector<Manifest> out;
  for (const std::string& path : paths) {
    std::vector<std::pair<std::string, std::string>> texts;  // source, text
    if (path == "-") {
      texts.emplace_back("STDIN", read_stdin ? read_stdin() : "");
    } else {
      std::error_code ec;
      if (!fs::exists(path, ec)) {
        return absl::NotFoundError(absl::StrCat("the path \"", path, "\" does not exist"));
      }
      std::vector<std::string> files;
      if (fs::is_directory(path, ec)) {
        absl::Status st = CollectFiles(path, recursive, &files);
        if (!st.ok()) return st;
      } else {
        files.push_back(path);
      }
      for (const std::string& file : files) {
        std::ifstream in(file);
        if (!in) {
          return absl::InvalidArgumentError(absl::StrCat("error reading \"", file, "\""));
        }
        std::stringstream ss;
        ss << in.rdbuf();
        texts.emplace_back(file, ss.str());
      }
    }
    for (const auto& [source, text] : texts) {
      absl::StatusOr<std::vector<Manifest>> decoded = DecodeManifests(source, text);
      if (!decoded.ok()) return decoded.status();
      for (Manifest& m : *decoded) out.push_back(std::move(m));
    }
  }
  if (out.empty()) return absl::InvalidArgumentError("no objects passed to apply");
  return out;
}

}  // namespace minik8s::kubectl
