#include "kubectl/cmd/write_output.h"

#include "absl/strings/str_cat.h"
#include "api/codec.h"
#include "api/scheme.h"

namespace minik8s::kubectl {

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

}  // namespace minik8s::kubectl
