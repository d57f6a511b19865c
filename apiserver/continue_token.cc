#include "apiserver/continue_token.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "api/yaml_limits.h"
#include "yaml-cpp/yaml.h"

namespace minik8s::apiserver {
namespace {

constexpr char kVersion[] = "meta.k8s.io/v1";

std::string JsonQuote(absl::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20) {
      absl::StrAppend(&out, "\\u00", absl::Hex(u, absl::kZeroPad2));
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

absl::Status Invalid(absl::string_view why) {
  return api::NewBadRequest(absl::StrCat("continue key is not valid: ", why));
}

}  // namespace

std::string EncodeContinueToken(const ContinueToken& token) {
  std::string json = absl::StrCat("{\"v\":\"", kVersion, "\",\"rv\":", token.revision,
                                  ",\"start\":", JsonQuote(token.last_key), "}");
  return absl::WebSafeBase64Escape(json);
}

absl::StatusOr<ContinueToken> DecodeContinueToken(absl::string_view text) {
  std::string json;
  if (!absl::WebSafeBase64Unescape(text, &json)) return Invalid("not base64");
  ContinueToken token;
  absl::StatusOr<YAML::Node> parsed = api::LoadLimited(json);
  if (!parsed.ok()) return Invalid(parsed.status().message());
  try {
    const YAML::Node node = *parsed;
    if (!node.IsMap()) return Invalid("not an object");
    if (!node["v"] || node["v"].as<std::string>() != kVersion) return Invalid("unknown version");
    if (!node["rv"] || !node["start"]) return Invalid("incomplete");
    token.revision = node["rv"].as<int64_t>();
    token.last_key = node["start"].as<std::string>();
  } catch (const YAML::Exception& e) {
    return Invalid(e.what());
  }
  if (token.revision <= 0)
    return Invalid("incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
  if (token.last_key.empty() || token.last_key.find("..") != std::string::npos) {
    return Invalid("bad start key");
  }
  return token;
}

}  // namespace minik8s::apiserver
