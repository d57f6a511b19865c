#include "kubectl/cmd/write_output.h"

#include <iostream>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "api/codec.h"
#include "api/scheme.h"
#include "client/resource.h"

namespace minik8s::kubectl {

absl::StatusOr<std::vector<Manifest>> ReadCommandManifests(Context& ctx,
                                                           const std::vector<std::string>& paths,
                                                           bool recursive) {
  absl::StatusOr<std::vector<Manifest>> manifests = ReadManifests(paths, recursive, [] {
    return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  });
  if (!manifests.ok()) return manifests.status();
  for (const Manifest& m : *manifests) {
    const std::string& obj_ns = client::MetaOf(*m.decoded.object).namespace_();
    if (m.decoded.kind->namespaced && ctx.NamespaceExplicit() && !obj_ns.empty() &&
        obj_ns != ctx.Namespace()) {
      return absl::InvalidArgumentError(
          absl::StrCat("the namespace from the provided object \"", obj_ns,
                       "\" does not match the namespace \"", ctx.Namespace(),
                       "\". You must pass '--namespace=", obj_ns, "' to perform this operation."));
    }
  }
  return manifests;
}

absl::Status CheckDryRun(const std::string& dry_run) {
  if (dry_run != "none" && dry_run != "server" && dry_run != "client") {
    return absl::InvalidArgumentError(absl::StrCat(
        "Invalid dry-run value (", dry_run, "). Must be \"none\", \"server\", or \"client\"."));
  }
  return absl::OkStatus();
}

std::string DryRunSuffix(const std::string& dry_run) {
  return dry_run == "client" ? " (dry run)" : dry_run == "server" ? " (server dry run)" : "";
}

absl::Status CheckWriteOutput(const std::string& output) {
  if (output.empty() || output == "name" || output == "yaml" || output == "json") {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unable to match a printer suitable for the output format \"", output,
                   "\", allowed formats are: json,name,yaml"));
}

void PrintWritten(Context& ctx, const std::string& output, const std::string& display,
                  const std::string& verb, const std::string& dry_run,
                  google::protobuf::Message* object) {
  (void)api::Scheme::Default().SetTypeMeta(object);
  if (output == "yaml") {
    ctx.out() << api::EncodeYaml(*object);
  } else if (output == "json") {
    ctx.out() << api::EncodeJsonIndented(*object) << "\n";
  } else if (output == "name") {
    ctx.out() << display << "\n";
  } else {
    ctx.out() << display << " " << verb << DryRunSuffix(dry_run) << "\n";
  }
}

std::string ManifestNamespace(Context& ctx, const Manifest& manifest) {
  if (!manifest.decoded.kind->namespaced) return "";
  const std::string& own = client::MetaOf(*manifest.decoded.object).namespace_();
  return own.empty() ? ctx.Namespace() : own;
}

absl::Status CheckNameOutput(const std::string& output) {
  if (output.empty() || output == "name") return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("unable to match a printer suitable for the output format \"", output,
                   "\", allowed formats are: name"));
}

}  // namespace minik8s::kubectl
