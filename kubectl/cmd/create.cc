// mkctl create deployment NAME --image=IMG [--replicas=N] [--port=P].
#include <memory>

#include "absl/strings/str_cat.h"
#include "api/codec.h"
#include "k8s/apps/v1/apps.pb.h"
#include "kubectl/cmd/commands.h"
#include "kubectl/cmd/create_deployment.h"

namespace minik8s::kubectl {
namespace {

struct CreateDeploymentOptions {
  std::string name;
  std::vector<std::string> images;
  int replicas = 1;
  int port = -1;
  std::string dry_run = "none";
  std::string output;
};

int RunCreateDeployment(Context& ctx, const CreateDeploymentOptions& o) {
  if (o.dry_run != "none" && o.dry_run != "server" && o.dry_run != "client") {
    return ctx.Fail(absl::InvalidArgumentError(absl::StrCat(
        "Invalid dry-run value (", o.dry_run, "). Must be \"none\", \"server\", or \"client\".")));
  }
  absl::StatusOr<apps::v1::Deployment> d = BuildDeployment(o.name, o.images, o.replicas, o.port);
  if (!d.ok()) return ctx.Fail(d.status());
  d->mutable_metadata()->set_namespace_(ctx.Namespace());
  apps::v1::Deployment out = *d;
  if (o.dry_run != "client") {
    absl::StatusOr<client::ApiClient*> client = ctx.Client();
    if (!client.ok()) return ctx.Fail(client.status());
    absl::Status st =
        (*client)->Create("deployments", ctx.Namespace(), *d, &out, o.dry_run == "server");
    if (!st.ok()) return ctx.Fail(st);
  }
  (void)api::Scheme::Default().SetTypeMeta(&out);
  if (o.output == "yaml") {
    ctx.out() << api::EncodeYaml(out);
  } else if (o.output == "json") {
    ctx.out() << api::EncodeJsonIndented(out) << "\n";
  } else if (o.output == "name") {
    ctx.out() << "deployment.apps/" << o.name << "\n";
  } else {
    const std::string suffix = o.dry_run == "client"   ? " (dry run)"
                               : o.dry_run == "server" ? " (server dry run)"
                                                       : "";
    ctx.out() << "deployment.apps/" << o.name << " created" << suffix << "\n";
  }
  return 0;
}

}  // namespace

void AddCreateCommand(CLI::App& app, Context& ctx, int& exit_code) {
  CLI::App* create = app.add_subcommand("create", "Create a resource from a file or from stdin");
  create->require_subcommand(1);
  auto o = std::make_shared<CreateDeploymentOptions>();
  CLI::App* cmd =
      create->add_subcommand("deployment", "Create a deployment with the specified name");
  cmd->alias("deploy");
  cmd->add_option("name", o->name, "Name of the deployment")->required();
  cmd->add_option(
         "--image", o->images,
         "Image names to run. A deployment can have multiple images set for multi-container pod.")
      ->required();
  cmd->add_option("-r,--replicas", o->replicas, "Number of replicas to create. Default is 1.")
      ->capture_default_str();
  cmd->add_option("--port", o->port, "The containerPort that this deployment exposes.");
  cmd->add_option("--dry-run", o->dry_run,
                  "Must be \"none\", \"server\", or \"client\". If client strategy, only print "
                  "the object that would be sent, without sending it.")
      ->capture_default_str();
  cmd->add_option("-o,--output", o->output, "Output format: yaml, json or name");
  cmd->fallthrough(true);
  cmd->callback([&ctx, &exit_code, o] { exit_code = RunCreateDeployment(ctx, *o); });
}

}  // namespace minik8s::kubectl
