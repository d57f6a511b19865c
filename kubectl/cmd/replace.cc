// mkctl replace -f FILE|DIR|-: each document PUT whole over the live object
// (an update without resourceVersion replaces unconditionally), as kubectl
// replace; failures are reported after the other documents were tried.
// --force deletes every object first (a missing one is simply created), waits
// until each is gone from storage (finalizers, graceful pod deletion) and
// creates them again from the manifests, as kubectl replace --force.
#include <iostream>
#include <iterator>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "api/errors.h"
#include "client/resource.h"
#include "kubectl/apply/manifests.h"
#include "kubectl/cmd/commands.h"
#include "kubectl/cmd/objects.h"
#include "kubectl/cmd/write_output.h"
#include "kubectl/printers/resource_tables.h"

namespace minik8s::kubectl {
namespace {

struct ReplaceOptions {
  std::vector<std::string> filenames;
  bool recursive = false;
  std::string dry_run = "none";
  std::string output;
  bool force = false;
  int grace_period = -1;
  std::string cascade = "background";
  std::string timeout = "0s";
};

// kubectl replace --force: delete, wait until gone, create.
int ForceReplace(Context& ctx, const ReplaceOptions& o, client::ApiClient& client,
                 std::vector<Manifest>& manifests) {
  absl::StatusOr<std::string> propagation = CascadeToPropagation(o.cascade);
  if (!propagation.ok()) return ctx.Fail(propagation.status());
  absl::StatusOr<absl::Duration> parsed = ParseWaitTimeout(o.timeout, absl::Minutes(5));
  if (!parsed.ok()) return ctx.Fail(parsed.status());
  const absl::Duration timeout = *parsed;
  client::DeleteOptions options;
  options.propagation_policy = *propagation;
  if (o.grace_period >= 0) options.grace_period_seconds = o.grace_period;
  struct Target {
    Manifest* manifest;
    std::string ns;
    std::string name;
  };
  std::vector<Target> targets;
  for (Manifest& m : manifests) {
    const api::KindInfo& kind = *m.decoded.kind;
    auto* meta = client::MutableMetaOf(m.decoded.object.get());
    const std::string ns = ManifestNamespace(ctx, m);
    if (kind.namespaced) meta->set_namespace_(ns);
    targets.push_back({&m, ns, meta->name()});
  }
  // Everything is deleted before anything is created; a missing object is
  // not an error (replace --force creates it).
  for (const Target& t : targets) {
    const api::KindInfo& kind = *t.manifest->decoded.kind;
    absl::Status st = client.Delete(kind.resource, t.ns, t.name, options);
    if (api::IsNotFound(st)) continue;
    if (!st.ok()) return ctx.Fail(st);
    ctx.out() << KindPrefix(kind) << " \"" << t.name << "\" deleted\n";
  }
  ctx.out().flush();
  const absl::Time deadline = absl::Now() + timeout;
  for (const Target& t : targets) {
    const api::KindInfo& kind = *t.manifest->decoded.kind;
    for (;;) {
      OwnedObject live = kind.New();
      absl::Status st = client.Get(kind.resource, t.ns, t.name, live.get());
      if (api::IsNotFound(st)) break;
      if (!st.ok()) return ctx.Fail(st);
      if (absl::Now() > deadline) {
        return ctx.Fail(absl::DeadlineExceededError("timed out waiting for the condition"));
      }
      absl::SleepFor(absl::Milliseconds(200));
    }
  }
  for (const Target& t : targets) {
    const api::KindInfo& kind = *t.manifest->decoded.kind;
    google::protobuf::Message* object = t.manifest->decoded.object.get();
    client::MutableMetaOf(object)->clear_resource_version();
    OwnedObject out = kind.New();
    absl::Status st = client.Create(kind.resource, t.ns, *object, out.get());
    if (!st.ok()) return ctx.Fail(st);
    ctx.out() << QualifiedName(kind, t.name) << (o.output == "name" ? "" : " replaced") << "\n";
  }
  if (targets.empty()) {
    return ctx.Fail(absl::InvalidArgumentError("no objects passed to replace"));
  }
  return 0;
}

int RunReplace(Context& ctx, const ReplaceOptions& o) {
  if (o.filenames.empty()) {
    ctx.err() << "error: must specify one of -f and -k\n";
    return 1;
  }
  if (absl::Status st = CheckDryRun(o.dry_run); !st.ok()) return ctx.Fail(st);
  if (o.force && o.dry_run != "none") {
    return ctx.Fail(absl::InvalidArgumentError("--dry-run can not be used when --force is set"));
  }
  if (absl::Status st = CheckNameOutput(o.output); !st.ok()) return ctx.Fail(st);
  absl::StatusOr<std::vector<Manifest>> manifests =
      ReadCommandManifests(ctx, o.filenames, o.recursive);
  if (!manifests.ok()) return ctx.Fail(manifests.status());
  absl::StatusOr<client::ApiClient*> client = ctx.Client();
  if (!client.ok()) return ctx.Fail(client.status());
  if (o.force) return ForceReplace(ctx, o, **client, *manifests);
  const std::string suffix = DryRunSuffix(o.dry_run);
  std::vector<absl::Status> errors;
  for (Manifest& m : *manifests) {
    const api::KindInfo& kind = *m.decoded.kind;
    google::protobuf::Message* object = m.decoded.object.get();
    auto* meta = client::MutableMetaOf(object);
    const std::string ns = ManifestNamespace(ctx, m);
    if (kind.namespaced) meta->set_namespace_(ns);
    const std::string name = meta->name();
    if (o.dry_run != "client") {
      OwnedObject out = kind.New();
      absl::Status st =
          (*client)->Update(kind.resource, ns, name, "", *object, out.get(), o.dry_run == "server");
      if (!st.ok()) {
        errors.push_back(WithSource(st, "replacing", m.source));
        continue;
      }
    }
    ctx.out() << QualifiedName(kind, name)
              << (o.output == "name" ? "" : absl::StrCat(" replaced", suffix)) << "\n";
  }
  ctx.out().flush();
  for (const absl::Status& st : errors) ctx.Fail(st);
  return errors.empty() ? 0 : 1;
}

}  // namespace

void AddReplaceCommand(CLI::App& app, Context& ctx, int& exit_code) {
  auto o = std::make_shared<ReplaceOptions>();
  CLI::App* cmd = app.add_subcommand("replace", "Replace a resource by file name or stdin");
  cmd->add_option("-f,--filename", o->filenames,
                  "The files that contain the configurations to replace (a file, a folder, or - "
                  "for stdin)");
  cmd->add_flag("-R,--recursive", o->recursive,
                "Process the directory used in -f, --filename recursively");
  cmd->add_option("-o,--output", o->output, "Output format: name");
  cmd->add_option("--dry-run", o->dry_run,
                  "Must be \"none\", \"server\", or \"client\". If client strategy, only print "
                  "the object that would be sent, without sending it.")
      ->capture_default_str();
  cmd->add_flag("--force", o->force,
                "Delete the objects, wait until they are gone, then create them again from the "
                "files");
  cmd->add_option("--grace-period", o->grace_period,
                  "With --force: seconds given to the objects to terminate gracefully (-1: "
                  "their default)")
      ->capture_default_str();
  cmd->add_option("--cascade", o->cascade,
                  "With --force: \"background\", \"orphan\" or \"foreground\", as for delete")
      ->capture_default_str();
  cmd->add_option("--timeout", o->timeout,
                  "With --force: how long to wait for the objects to be gone (0: 5m)")
      ->capture_default_str();
  cmd->callback([&ctx, &exit_code, o] { exit_code = RunReplace(ctx, *o); });
}

}  // namespace minik8s::kubectl
