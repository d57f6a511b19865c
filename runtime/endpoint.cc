#include "runtime/endpoint.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/net.h"

namespace minik8s::runtime {

absl::StatusOr<std::string> RuntimeEndpointToGrpcAddress(const std::string& endpoint) {
  std::string e(absl::StripAsciiWhitespace(endpoint));
  if (e.empty()) return absl::InvalidArgumentError("empty runtime endpoint");
  if (absl::StartsWith(e, "unix://")) {
    if (e.size() == 7) return absl::InvalidArgumentError("unix:// endpoint without a path");
    return e;
  }
  if (absl::StartsWith(e, "unix:")) return e;
  if (absl::StartsWith(e, "/") || absl::StartsWith(e, "./") || absl::EndsWith(e, ".sock")) {
    return absl::StrCat(absl::StartsWith(e, "/") ? "unix://" : "unix:", e);
  }
  return UrlToGrpcAddress(e);
}

}  // namespace minik8s::runtime
