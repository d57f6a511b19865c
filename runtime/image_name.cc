#include "runtime/image_name.h"

#include <openssl/sha.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace minik8s::runtime {

std::string NormalizeImageName(absl::string_view image) {
  absl::string_view name = absl::StripAsciiWhitespace(image);
  if (name.empty()) return "";
  absl::string_view digest;
  if (size_t at = name.find('@'); at != absl::string_view::npos) {
    digest = name.substr(at);
    name = name.substr(0, at);
  }
  std::string out;
  size_t slash = name.find('/');
  absl::string_view first = name.substr(0, slash);
  bool has_domain =
      slash != absl::string_view::npos &&
      (absl::StrContains(first, '.') || absl::StrContains(first, ':') || first == "localhost");
  if (has_domain) {
    out = std::string(name);
  } else if (slash == absl::string_view::npos) {
    out = absl::StrCat("docker.io/library/", name);
  } else {
    out = absl::StrCat("docker.io/", name);
  }
  size_t last_slash = out.rfind('/');
  bool has_tag =
      out.find(':', last_slash == std::string::npos ? 0 : last_slash) != std::string::npos;
  if (!has_tag && digest.empty()) absl::StrAppend(&out, ":latest");
  absl::StrAppend(&out, digest);
  return out;
}

std::string ImageRepository(absl::string_view normalized) {
  absl::string_view s = normalized;
  if (size_t at = s.find('@'); at != absl::string_view::npos) s = s.substr(0, at);
  size_t last_slash = s.rfind('/');
  size_t colon = s.find(':', last_slash == absl::string_view::npos ? 0 : last_slash);
  if (colon != absl::string_view::npos) s = s.substr(0, colon);
  return std::string(s);
}

std::string Sha256Hex(absl::string_view data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(md), SHA256_DIGEST_LENGTH));
}

}  // namespace minik8s::runtime
