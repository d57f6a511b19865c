// mkctl rollout status|history|undo|restart|pause|resume for deployments.
#include "kubectl/printers/rollout.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "api/time.h"
#include "k8s/apps/v1/apps.pb.h"
#include "kubectl/apply/json_node.h"
#include "kubectl/cmd/commands.h"
#include "kubectl/cmd/related.h"
#include "kubectl/cmd/resource_args.h"
#include "kubectl/printers/resource_tables.h"

namespace minik8s::kubectl {
namespace {

struct RolloutOptions {
  std::vector<std::string> args;
  int64_t revision = 0;
  bool watch = true;
  std::string timeout = "0s";
  int64_t to_revision = 0;
};

// Resolves `deployment/x` or `deployment x` to names; only deployments.
absl::StatusOr<std::vector<std::string>> DeploymentNames(const std::vector<std::string>& args) {
  absl::StatusOr<std::vector<ResourceRequest>> requests = ParseResourceArgs(args);
  if (!requests.ok()) return requests.status();
  std::vector<std::string> names;
  for (const ResourceRequest& r : *requests) {
    if (r.kind->resource != "deployments") {
      return absl::InvalidArgumentError(absl::StrCat(
          "no rollout support for ", r.kind->GroupResource(), " (minik8s supports deployments)"));
    }
    if (r.names.empty()) {
      return absl::InvalidArgumentError("resource(s) were provided, but no name was specified");
    }
    names.insert(names.end(), r.names.begin(), r.names.end());
  }
  return names;
}

int RunStatus(Context& ctx, client::ApiClient& client, const std::string& name,
              const RolloutOptions& o) {
  absl::Duration timeout;
  if (!absl::ParseDuration(o.timeout, &timeout)) {
    return ctx.Fail(
        absl::InvalidArgumentError(absl::StrCat("invalid timeout \"", o.timeout, "\"")));
  }
  const absl::Time deadline =
      timeout > absl::ZeroDuration() ? absl::Now() + timeout : absl::InfiniteFuture();
  std::string last;
  while (true) {
    apps::v1::Deployment d;
    absl::Status st = client.Get("deployments", ctx.Namespace(), name, &d);
    if (!st.ok()) return ctx.Fail(st);
    absl::StatusOr<RolloutState> state = DeploymentRolloutStatus(d, o.revision);
    if (!state.ok()) return ctx.Fail(state.status());
    if (state->message != last) {
      ctx.out() << state->message;
      ctx.out().flush();
      last = state->message;
    }
    if (state->done || !o.watch) return 0;
    if (absl::Now() > deadline) {
      return ctx.Fail(absl::DeadlineExceededError("timed out waiting for the condition"));
    }
    absl::SleepFor(absl::Milliseconds(250));
  }
}

absl::StatusOr<std::vector<apps::v1::ReplicaSet>> OwnedSets(Context& ctx, client::ApiClient& client,
                                                            const apps::v1::Deployment& d) {
  return ReplicaSetsOwnedBy(client, ctx.Namespace(), d.metadata().uid());
}

int RunHistory(Context& ctx, client::ApiClient& client, const std::string& name,
               const RolloutOptions& o) {
  apps::v1::Deployment d;
  absl::Status st = client.Get("deployments", ctx.Namespace(), name, &d);
  if (!st.ok()) return ctx.Fail(st);
  absl::StatusOr<std::vector<apps::v1::ReplicaSet>> sets = OwnedSets(ctx, client, d);
  if (!sets.ok()) return ctx.Fail(sets.status());
  std::vector<const apps::v1::ReplicaSet*> ptrs;
  for (const auto& rs : *sets) ptrs.push_back(&rs);
  if (o.revision > 0) {
    for (const auto* rs : ptrs) {
      if (RevisionOf(rs->metadata()) == o.revision) {
        ctx.out() << RolloutRevisionText(name, o.revision, *rs);
        return 0;
      }
    }
    return ctx.Fail(absl::NotFoundError(absl::StrCat("unable to find the specified revision")));
  }
  ctx.out() << "deployment.apps/" << name << " \n" << RolloutHistoryTable(ptrs) << "\n";
  return 0;
}

int RunUndo(Context& ctx, client::ApiClient& client, const std::string& name,
            const RolloutOptions& o) {
  apps::v1::Deployment d;
  absl::Status st = client.Get("deployments", ctx.Namespace(), name, &d);
  if (!st.ok()) return ctx.Fail(st);
  if (d.spec().paused()) {
    return ctx.Fail(absl::FailedPreconditionError(absl::StrCat(
        "you cannot rollback a paused deployment; resume it first with 'mkctl rollout resume' "
        "and try again")));
  }
  absl::StatusOr<std::vector<apps::v1::ReplicaSet>> sets = OwnedSets(ctx, client, d);
  if (!sets.ok()) return ctx.Fail(sets.status());
  std::vector<const apps::v1::ReplicaSet*> ptrs;
  for (const auto& rs : *sets) ptrs.push_back(&rs);
  absl::StatusOr<const apps::v1::ReplicaSet*> target = RollbackTarget(d, ptrs, o.to_revision);
  if (!target.ok()) return ctx.Fail(target.status());
  if (EqualIgnoreHash((*target)->spec().template_(), d.spec().template_())) {
    ctx.out() << "deployment.apps/" << name
              << " skipped rollback (current template already matches revision "
              << RevisionOf((*target)->metadata()) << ")\n";
    return 0;
  }
  *d.mutable_spec()->mutable_template_() = TemplateWithoutHash(**target);
  *d.mutable_metadata()->mutable_annotations() = RollbackAnnotations(d, **target);
  apps::v1::Deployment out;
  st = client.Update("deployments", ctx.Namespace(), name, "", d, &out);
  if (!st.ok()) return ctx.Fail(st);
  ctx.out() << "deployment.apps/" << name << " rolled back\n";
  return 0;
}

int PatchDeployment(Context& ctx, client::ApiClient& client, const std::string& name,
                    const std::string& patch, const std::string& verb) {
  apps::v1::Deployment out;
  absl::Status st = client.Patch("deployments", ctx.Namespace(), name, "", patch, &out);
  if (!st.ok()) return ctx.Fail(st);
  ctx.out() << "deployment.apps/" << name << " " << verb << "\n";
  return 0;
}

int RunRestart(Context& ctx, client::ApiClient& client, const std::string& name) {
  apps::v1::Deployment d;
  absl::Status st = client.Get("deployments", ctx.Namespace(), name, &d);
  if (!st.ok()) return ctx.Fail(st);
  if (d.spec().paused()) {
    return ctx.Fail(absl::FailedPreconditionError(
        absl::StrCat("deployments.apps \"", name,
                     "\" can't restart paused deployment (run rollout resume first)")));
  }
  const std::string now = api::FormatRfc3339(ctx.Now());
  return PatchDeployment(ctx, client, name,
                         absl::StrCat("{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"",
                                      kRestartedAtAnnotation, "\":\"", now, "\"}}}}}"),
                         "restarted");
}

int RunPause(Context& ctx, client::ApiClient& client, const std::string& name, bool pause) {
  apps::v1::Deployment d;
  absl::Status st = client.Get("deployments", ctx.Namespace(), name, &d);
  if (!st.ok()) return ctx.Fail(st);
  if (d.spec().paused() == pause) {
    return ctx.Fail(absl::FailedPreconditionError(absl::StrCat(
        "deployments.apps \"", name, "\" ", pause ? "is already paused" : "is not paused")));
  }
  return PatchDeployment(ctx, client, name,
                         absl::StrCat("{\"spec\":{\"paused\":", pause ? "true" : "false", "}}"),
                         pause ? "paused" : "resumed");
}

void AddVerb(CLI::App* rollout, Context& ctx, int& exit_code, const std::string& verb,
             const std::string& help) {
  auto o = std::make_shared<RolloutOptions>();
  CLI::App* cmd = rollout->add_subcommand(verb, help);
  cmd->add_option("resources", o->args, "deployment/NAME or deployment NAME")->required();
  if (verb == "status") {
    cmd->add_option("--revision", o->revision,
                    "Pin to a specific revision for showing its status. Defaults to 0 (last "
                    "revision).");
    cmd->add_flag("-w,--watch", o->watch, "Watch the status of the rollout until it's done.");
    cmd->add_option("--timeout", o->timeout,
                    "The length of time to wait before ending watch, zero means never.")
        ->capture_default_str();
  } else if (verb == "history") {
    cmd->add_option("--revision", o->revision,
                    "See the details, including podTemplate of the revision specified");
  } else if (verb == "undo") {
    cmd->add_option("--to-revision", o->to_revision,
                    "The revision to rollback to. Default to 0 (last revision).");
  }
  cmd->fallthrough(true);
  cmd->callback([&ctx, &exit_code, o, verb] {
    absl::StatusOr<std::vector<std::string>> names = DeploymentNames(o->args);
    if (!names.ok()) {
      exit_code = ctx.Fail(names.status());
      return;
    }
    absl::StatusOr<client::ApiClient*> client = ctx.Client();
    if (!client.ok()) {
      exit_code = ctx.Fail(client.status());
      return;
    }
    exit_code = 0;
    for (const std::string& name : *names) {
      int rc = 0;
      if (verb == "status")
        rc = RunStatus(ctx, **client, name, *o);
      else if (verb == "history")
        rc = RunHistory(ctx, **client, name, *o);
      else if (verb == "undo")
        rc = RunUndo(ctx, **client, name, *o);
      else if (verb == "restart")
        rc = RunRestart(ctx, **client, name);
      else if (verb == "pause")
        rc = RunPause(ctx, **client, name, true);
      else if (verb == "resume")
        rc = RunPause(ctx, **client, name, false);
      if (rc != 0) exit_code = rc;
    }
  });
}

}  // namespace

void AddRolloutCommand(CLI::App& app, Context& ctx, int& exit_code) {
  CLI::App* rollout = app.add_subcommand("rollout", "Manage the rollout of a resource");
  rollout->require_subcommand(1);
  rollout->fallthrough(true);
  AddVerb(rollout, ctx, exit_code, "status", "Show the status of the rollout");
  AddVerb(rollout, ctx, exit_code, "history", "View rollout history");
  AddVerb(rollout, ctx, exit_code, "undo", "Undo a previous rollout");
  AddVerb(rollout, ctx, exit_code, "restart", "Restart a resource");
  AddVerb(rollout, ctx, exit_code, "pause", "Mark the provided resource as paused");
  AddVerb(rollout, ctx, exit_code, "resume", "Resume a paused resource");
}

}  // namespace minik8s::kubectl
