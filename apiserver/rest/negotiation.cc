#include "apiserver/rest/negotiation.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "api/errors.h"

namespace minik8s::apiserver::rest {

std::vector<MediaType> ParseMediaTypes(absl::string_view header) {
  std::vector<MediaType> out;
  for (absl::string_view entry : absl::StrSplit(header, ',', absl::SkipWhitespace())) {
    std::vector<absl::string_view> parts = absl::StrSplit(entry, ';');
    MediaType media;
    media.type = absl::AsciiStrToLower(absl::StripAsciiWhitespace(parts[0]));
    if (media.type.empty()) continue;
    for (size_t i = 1; i < parts.size(); ++i) {
      absl::string_view param = absl::StripAsciiWhitespace(parts[i]);
      const size_t eq = param.find('=');
      if (eq == absl::string_view::npos) continue;
      std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(param.substr(0, eq)));
      absl::string_view value = absl::StripAsciiWhitespace(param.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      media.params.emplace(std::move(name), std::string(value));
    }
    out.push_back(std::move(media));
  }
  return out;
}

absl::StatusOr<Format> NegotiateResponse(absl::string_view accept, bool table_allowed) {
  if (absl::StripAsciiWhitespace(accept).empty()) return Format::kJson;
  for (const MediaType& media : ParseMediaTypes(accept)) {
    auto param = [&](const char* name) -> std::string {
      auto it = media.params.find(name);
      return it == media.params.end() ? "" : it->second;
    };
    const std::string as = param("as");
    if (!as.empty()) {
      if (media.type != kJsonType || param("g") != "meta.k8s.io" || param("v") != "v1") continue;
      if (as == "Table" && table_allowed) return Format::kTable;
      if (as == "PartialObjectMetadata" || as == "PartialObjectMetadataList") {
        return Format::kMetadata;
      }
      continue;
    }
    if (media.type == kJsonType || media.type == "*/*" || media.type == "application/*") {
      return Format::kJson;
    }
    if (media.type == kYamlType) return Format::kYaml;
    if (media.type == kProtobufType) return Format::kProtobuf;
  }
  return api::NewApiError(absl::StatusCode::kInvalidArgument, "NotAcceptable", 406,
                          "only the following media types are accepted: application/json, "
                          "application/yaml, application/vnd.kubernetes.protobuf",
                          {});
}

const char* ContentTypeOf(Format format) {
  switch (format) {
    case Format::kYaml:
      return kYamlType;
    case Format::kProtobuf:
      return kProtobufType;
    default:
      return kJsonType;
  }
}

std::string BodyMediaType(absl::string_view content_type) {
  std::vector<MediaType> types = ParseMediaTypes(content_type);
  if (types.empty()) return kJsonType;
  return types.front().type;
}

absl::Status UnsupportedMediaType(absl::string_view got, const std::vector<std::string>& accepted) {
  return api::NewApiError(
      absl::StatusCode::kInvalidArgument, "UnsupportedMediaType", 415,
      absl::StrCat("the body of the request was in an unknown format (", got,
                   ") - accepted media types include: ", absl::StrJoin(accepted, ", ")),
      {});
}

}  // namespace minik8s::apiserver::rest
