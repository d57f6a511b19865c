// mkctl scale: sets spec.replicas through the scale subresource.
#include <limits>
#include <memory>

#include "absl/strings/str_cat.h"
#include "k8s/autoscaling/v1/autoscaling.pb.h"
#include "kubectl/cmd/commands.h"
#include "kubectl/cmd/resource_args.h"
#include "kubectl/printers/resource_tables.h"

namespace minik8s::kubectl {
namespace {

constexpr int kUnset = std::numeric_limits<int>::min();

struct ScaleOptions {
  std::vector<std::string> args;
  int replicas = kUnset;
  int current_replicas = -1;
  std::string resource_version;
};

int RunScale(Context& ctx, const ScaleOptions& o) {
  if (o.replicas == kUnset) {
    return ctx.Fail(absl::InvalidArgumentError("required flag(s) \"replicas\" not set"));
  }
  if (o.replicas < 0) {
    return ctx.Fail(absl::InvalidArgumentError(
        "The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0"));
  }
  absl::StatusOr<std::vector<ResourceRequest>> requests = ParseResourceArgs(o.args);
  if (!requests.ok()) return ctx.Fail(requests.status());
  absl::StatusOr<client::ApiClient*> client = ctx.Client();
  if (!client.ok()) return ctx.Fail(client.status());
  int exit_code = 0;
  for (const ResourceRequest& r : *requests) {
    if (r.kind->resource != "deployments" && r.kind->resource != "replicasets") {
      return ctx.Fail(absl::InvalidArgumentError(
          absl::StrCat("cannot scale ", r.kind->GroupResource(),
                       ": only deployments and replicasets have a scale subresource")));
    }
    if (r.names.empty()) {
      return ctx.Fail(
          absl::InvalidArgumentError("resource(s) were provided, but no name was specified"));
    }
    const std::string ns = r.kind->namespaced ? ctx.Namespace() : "";
    for (const std::string& name : r.names) {
      autoscaling::v1::Scale scale;
      absl::Status st = (*client)->Get(r.kind->resource, ns, name, &scale, "scale");
      if (!st.ok()) {
        ctx.Fail(st);
        exit_code = 1;
        continue;
      }
      if (o.current_replicas >= 0 && scale.spec().replicas() != o.current_replicas) {
        ctx.Fail(absl::FailedPreconditionError(absl::StrCat(
            "Expected replicas to be ", o.current_replicas, ", was ", scale.spec().replicas())));
        exit_code = 1;
        continue;
      }
      if (!o.resource_version.empty()) {
        scale.mutable_metadata()->set_resource_version(o.resource_version);
      }
      scale.mutable_spec()->set_replicas(o.replicas);
      autoscaling::v1::Scale out;
      st = (*client)->Update(r.kind->resource, ns, name, "scale", scale, &out);
      if (!st.ok()) {
        ctx.Fail(st);
        exit_code = 1;
        continue;
      }
      ctx.out() << QualifiedName(*r.kind, name) << " scaled\n";
    }
  }
  return exit_code;
}

}  // namespace

void AddScaleCommand(CLI::App& app, Context& ctx, int& exit_code) {
  auto o = std::make_shared<ScaleOptions>();
  CLI::App* cmd = app.add_subcommand("scale", "Set a new size for a deployment or replica set");
  cmd->add_option("resources", o->args, "TYPE NAME or TYPE/NAME (deployment/web)");
  cmd->add_option("--replicas", o->replicas, "The new desired number of replicas. Required.");
  cmd->add_option("--current-replicas", o->current_replicas,
                  "Precondition for current size. Requires that the current size of the "
                  "resource match this value in order to scale. -1 (default) for no condition.")
      ->capture_default_str();
  cmd->add_option("--resource-version", o->resource_version,
                  "Precondition for resource version. Requires that the current resource "
                  "version match this value in order to scale.");
  cmd->callback([&ctx, &exit_code, o] { exit_code = RunScale(ctx, *o); });
}

}  // namespace minik8s::kubectl
