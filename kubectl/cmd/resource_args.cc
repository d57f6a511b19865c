#include "kubectl/cmd/resource_args.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace minik8s::kubectl {

absl::StatusOr<const api::KindInfo*> ResolveType(const std::string& type,
                                                 const api::Scheme& scheme) {
  const api::KindInfo* kind = scheme.FindByResource(absl::AsciiStrToLower(type));
  if (kind == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("the server doesn't have a resource type \"", type, "\""));
  }
  return kind;
}

absl::StatusOr<std::pair<const api::KindInfo*, std::string>> ParseTypeName(
    const std::string& arg, const api::Scheme& scheme) {
  const size_t slash = arg.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == arg.size() ||
      arg.find('/', slash + 1) != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "arguments in resource/name form must have a single resource and name: \"", arg, "\""));
  }
  absl::StatusOr<const api::KindInfo*> kind = ResolveType(arg.substr(0, slash), scheme);
  if (!kind.ok()) return kind.status();
  return std::make_pair(*kind, arg.substr(slash + 1));
}

absl::StatusOr<std::vector<ResourceRequest>> ParseResourceArgs(const std::vector<std::string>& args,
                                                               const api::Scheme& scheme) {
  std::vector<ResourceRequest> out;
  if (args.empty()) {
    return absl::InvalidArgumentError(
        "You must specify the type of resource to get. Use \"mkctl api-resources\" for a "
        "complete list of supported resources.");
  }
  const bool slash_form = args[0].find('/') != std::string::npos;
  if (slash_form) {
    for (const std::string& arg : args) {
      if (arg.find('/') == std::string::npos) {
        return absl::InvalidArgumentError(
            "there is no need to specify a resource type as a separate argument when passing "
            "arguments in resource/name form (e.g. 'mkctl get resource/<resource_name>' instead "
            "of 'mkctl get resource resource/<resource_name>'");
      }
      absl::StatusOr<std::pair<const api::KindInfo*, std::string>> tn = ParseTypeName(arg, scheme);
      if (!tn.ok()) return tn.status();
      // Consecutive names of the same kind share one request.
      if (!out.empty() && out.back().kind == tn->first) {
        out.back().names.push_back(tn->second);
      } else {
        out.push_back({tn->first, {tn->second}});
      }
    }
    return out;
  }
  for (absl::string_view type : absl::StrSplit(args[0], ',', absl::SkipEmpty())) {
    if (absl::AsciiStrToLower(type) == "all") {
      // The kinds whose discovery categories include "all" (their
      // strategies' traits), in the order kubectl lists them: by API group
      // as discovery serves the groups, then by resource name.
      for (const char* name : {"pods", "services", "deployments", "replicasets", "jobs"}) {
        const api::KindInfo* kind = scheme.FindByResource(name);
        if (kind != nullptr) out.push_back({kind, {}});
      }
      continue;
    }
    absl::StatusOr<const api::KindInfo*> kind = ResolveType(std::string(type), scheme);
    if (!kind.ok()) return kind.status();
    out.push_back({*kind, {}});
  }
  if (out.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the server doesn't have a resource type \"", args[0], "\""));
  }
  if (args.size() > 1) {
    for (size_t i = 1; i < args.size(); ++i) {
      if (args[i].find('/') != std::string::npos) {
        return absl::InvalidArgumentError(
            "there is no need to specify a resource type as a separate argument when passing "
            "arguments in resource/name form (e.g. 'mkctl get resource/<resource_name>' instead "
            "of 'mkctl get resource resource/<resource_name>'");
      }
    }
    std::vector<std::string> names(args.begin() + 1, args.end());
    for (ResourceRequest& r : out) r.names = names;
  }
  return out;
}

}  // namespace minik8s::kubectl
