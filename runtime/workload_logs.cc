#include "runtime/workload_logs.h"

#include <cctype>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "runtime/image_name.h"

namespace minik8s::runtime {

namespace {

// nginx's error-log time stamp (UTC).
std::string NginxTime(absl::Time t) {
  return absl::FormatTime("%Y/%m/%d %H:%M:%S", t, absl::UTCTimeZone());
}

}  // namespace

bool IsNginxImage(const std::string& normalized_image) {
  return absl::StrContains(ImageRepository(normalized_image), "nginx");
}

std::string NginxVersion(const std::string& normalized) {
  std::string repo = ImageRepository(normalized);
  std::string tag = normalized.size() > repo.size() + 1 && normalized[repo.size()] == ':'
                        ? normalized.substr(repo.size() + 1)
                        : "";
  if (!tag.empty() && std::isdigit(static_cast<unsigned char>(tag[0]))) {
    return tag.substr(0, tag.find('-'));  // "1.14.2-alpine" -> "1.14.2"
  }
  return "1.25.3";
}

std::vector<LogLine> NginxStartLines(const std::string& normalized_image, absl::Time now) {
  std::string t = NginxTime(now);
  return {
      {"stdout",
       "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform "
       "configuration"},
      {"stdout", "/docker-entrypoint.sh: Configuration complete; ready for start up"},
      {"stderr", absl::StrCat(t, " [notice] 1#1: using the \"epoll\" event method")},
      {"stderr", absl::StrCat(t, " [notice] 1#1: nginx/", NginxVersion(normalized_image))},
      {"stderr", absl::StrCat(t, " [notice] 1#1: start worker processes")},
  };
}

std::vector<LogLine> NginxStopLines(absl::Time now) {
  std::string t = NginxTime(now);
  return {
      {"stderr", absl::StrCat(t, " [notice] 1#1: signal 15 (SIGTERM) received, exiting")},
      {"stderr", absl::StrCat(t, " [notice] 1#1: exit")},
  };
}

}  // namespace minik8s::runtime
