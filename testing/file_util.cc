#include "testing/file_util.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace minik8s::testing {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::Status WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return absl::InternalError(absl::StrCat("open ", path, ": ", strerror(errno)));
  out << content;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("write ", path, ": ", strerror(errno)));
  return absl::OkStatus();
}

std::string Example(const std::string& name) {
  return ReadFile(absl::StrCat(MINIK8S_SOURCE_DIR, "/examples/", name));
}

std::string FileTail(const std::string& path, size_t bytes) {
  std::string all = ReadFile(path);
  return all.size() > bytes ? all.substr(all.size() - bytes) : all;
}

}  // namespace minik8s::testing
